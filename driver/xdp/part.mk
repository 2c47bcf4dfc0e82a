# driver/xdp/part.mk — XDP steering of IKE and ESP by SPI (docs/xdp.md).
#
#   make test-xdp    unit checks, BPF_PROG_TEST_RUN fixtures, veth/netns with
#                    real packets (native + generic), CLI checks
#   make bench-xdp   ns/packet vs a trivial XDP_PASS program; veth Mpps
#
# The BPF object is compiled by clang, turned into a libbpf skeleton
# (bpftool gen skeleton) and linked into the loader library, which the
# ipsecha CLI (cli/cmd_xdp.c) and the agent use.

XDP_TRIPLE   := $(shell $(CC) -dumpmachine 2>/dev/null)
XDP_BPFFLAGS := -target bpf -O2 -g -Wall -Wextra -Werror -D__TARGET_ARCH_x86 \
                -I/usr/include/$(XDP_TRIPLE) -Idriver/xdp/include -Idriver/xdp/bpf
XDP_BPF_DIR  := $(O)/bpf/xdp
XDP_GEN      := $(GEN)/xdp
XDP_LIB      := $(O)/lib/libipsecha_xdp.a
XDP_LIB_SRCS := driver/xdp/xdp_loader.c driver/xdp/xdp_handle.c driver/xdp/xdp_util.c
XDP_LIB_OBJS := $(XDP_LIB_SRCS:%.c=$(O)/obj/%.o)
XDP_LDLIBS   := -lbpf -lelf -lz -lpthread
XDP_INC      := -Idriver/xdp/include -Idriver/xdp -I$(XDP_GEN)

# BPF object -> linked object -> skeleton header. $(1): source stem under
# $(2) (directory), $(3): skeleton name.
define xdp_bpf_rules
$(XDP_BPF_DIR)/$(1).bpf.o: $(2)/$(1).bpf.c driver/xdp/include/ipsecha_xdp_abi.h driver/xdp/bpf/parse.h
	@mkdir -p $$(dir $$@)
	@$$(if $$(Q),echo "  BPF     $$<")
	$$(Q)$$(CLANG) $$(XDP_BPFFLAGS) -c $$< -o $$@.raw.o
	$$(Q)bpftool gen object $$@ $$@.raw.o
$(XDP_GEN)/$(1).skel.h: $(XDP_BPF_DIR)/$(1).bpf.o
	@mkdir -p $$(dir $$@)
	$$(Q)bpftool gen skeleton $$< name $(3) > $$@.tmp && mv $$@.tmp $$@
endef
$(eval $(call xdp_bpf_rules,ipsecha_xdp,driver/xdp/bpf,ipsecha_xdp_bpf))
$(eval $(call xdp_bpf_rules,xdp_baseline,bench/xdp,xdp_baseline_bpf))
$(eval $(call xdp_bpf_rules,xdp_slow,tests/xdp,xdp_slow_bpf))

$(XDP_LIB_OBJS): CPPFLAGS += $(XDP_INC)
$(O)/obj/driver/xdp/xdp_loader.o: $(XDP_GEN)/ipsecha_xdp.skel.h
$(XDP_LIB): $(XDP_LIB_OBJS)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^

# ---- tests
XDP_TEST_COMMON := tests/xdp/frames.c tests/xdp/xsk_util.c tests/xdp/refmodel.c tests/xdp/testenv.c
XDP_TEST_COMMON_OBJS := $(XDP_TEST_COMMON:%.c=$(O)/obj/%.o)
XDP_TESTS := test_xdp_unit test_xdp_fixtures test_xdp_live
$(XDP_TEST_COMMON_OBJS) $(XDP_TESTS:%=$(O)/obj/tests/xdp/%.o): CPPFLAGS += $(XDP_INC) -Itests/xdp
$(O)/obj/tests/xdp/test_xdp_fixtures.o: $(XDP_GEN)/xdp_slow.skel.h
$(BIN)/test_xdp_%: $(O)/obj/tests/xdp/test_xdp_%.o $(XDP_TEST_COMMON_OBJS) $(XDP_LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ -lxdp $(XDP_LDLIBS)

XDP_SUITE = $(if $(ASAN_RUN),asan-)$(1)
.PHONY: test-xdp test-xdp-unit test-xdp-fixtures test-xdp-netns test-xdp-cli
test-xdp: test-xdp-unit test-xdp-fixtures test-xdp-netns test-xdp-cli test-xdp-fuzz
test-xdp-unit: $(BIN)/test_xdp_unit
	$(Q)$(RUN_SUITE) $(call XDP_SUITE,xdp-unit) $(BIN)/test_xdp_unit
test-xdp-fixtures: $(BIN)/test_xdp_fixtures
	$(Q)$(RUN_SUITE) $(call XDP_SUITE,xdp-fixtures) $(BIN)/test_xdp_fixtures
test-xdp-netns: $(BIN)/test_xdp_live $(BIN)/ipsecha
	$(Q)$(RUN_SUITE) xdp-netns tests/xdp/netns.sh $(BIN)
test-xdp-cli: $(BIN)/ipsecha
	$(Q)$(RUN_SUITE) xdp-cli tests/xdp/cli.sh $(BIN)

# libFuzzer: the program (through BPF_PROG_TEST_RUN) against the reference
# model, built with clang from the production library sources.
XDP_FUZZ_FLAGS := -std=c11 -g -O1 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
                  $(XDP_INC) -Itests/xdp
XDP_FUZZ_SECONDS ?= 20
$(BIN)/fuzz-xdp: tests/xdp/fuzz_xdp.c tests/xdp/refmodel.c tests/xdp/testenv.c \
		 tests/xdp/xsk_util.c $(XDP_LIB_SRCS) $(XDP_GEN)/ipsecha_xdp.skel.h
	@mkdir -p $(dir $@)
	$(Q)$(CLANG) $(XDP_FUZZ_FLAGS) -o $@ $(filter %.c,$^) -lxdp $(XDP_LDLIBS)
.PHONY: test-xdp-fuzz
test-xdp-fuzz: $(BIN)/fuzz-xdp
	$(Q)$(RUN_SUITE) xdp-fuzz tests/xdp/run-fuzz.sh $(BIN) $(XDP_FUZZ_SECONDS)

# ---- benchmark
$(O)/obj/bench/xdp/bench_xdp.o: CPPFLAGS += $(XDP_INC) -Itests/xdp
$(O)/obj/bench/xdp/bench_xdp.o: $(XDP_GEN)/xdp_baseline.skel.h
$(BIN)/bench_xdp: $(O)/obj/bench/xdp/bench_xdp.o $(O)/obj/tests/xdp/frames.o \
		  $(O)/obj/tests/xdp/xsk_util.o $(O)/obj/tests/xdp/testenv.o $(XDP_LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ -lxdp -ljson-c $(XDP_LDLIBS)
.PHONY: bench-xdp
bench-xdp: $(BIN)/bench_xdp
	@mkdir -p $(BENCH_OUT)
	$(Q)$(BIN)/bench_xdp $(BENCH_OUT)/xdp.json

ALL_TARGETS   += $(XDP_LIB) $(XDP_TESTS:%=$(BIN)/%) $(BIN)/bench_xdp $(BIN)/fuzz-xdp
CHECK_SUITES  += test-xdp
ASAN_SUITES   += test-xdp-unit test-xdp-fixtures
BENCH_TARGETS += bench-xdp
CLI_CFLAGS    += -Idriver/xdp/include
CLI_LIBS      += $(XDP_LIB)
CLI_LDLIBS    += $(XDP_LDLIBS)
