# driver/vfio/part.mk — userspace VFIO access to the card (driver/vfio/), its
# unit tests against an in-memory kernel (tests/vfio/test_vfio_unit.c) and the
# real run through vfio-pci in a QEMU guest (tests/vfio/run-guest.sh).

# The library on its own (the libipsecha backend, hl_vfio.c, is compiled
# into libipsecha through driver/vfio/hostlib-backend.mk).
VFIO_SRCS := driver/vfio/vfio.c driver/vfio/vfio_dev.c driver/vfio/vfio_dma.c \
             driver/vfio/vfio_sys.c driver/vfio/vfio_card.c
VFIO_OBJS := $(VFIO_SRCS:%.c=$(O)/obj/%.o)
VFIO_LIB  := $(O)/lib/libipsecha_vfio.a

$(VFIO_LIB): $(VFIO_OBJS)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^
$(VFIO_OBJS): CPPFLAGS += -I. -Ifirmware/include

ALL_TARGETS += $(VFIO_LIB)

# ---- unit tests: every error path, injected through the syscall table ----
# The card-kind case runs the real firmware (host build) on the fake engine
# behind the fake kernel, so those objects link in too.
VFIO_UNIT_OBJS := $(O)/obj/tests/vfio/test_vfio_unit.o $(O)/obj/tests/vfio/fake_kernel.o
VFIO_UNIT_FW   := $(FW_OBJS) $(O)/obj/tests/firmware/fake_engine.o
$(VFIO_UNIT_OBJS): CPPFLAGS += -I. -Itests/vfio -Ifirmware/include -Ifirmware -Itests/firmware \
                             -Ihostlib/include -Ihostlib -DIPSECHA_HAVE_VFIO
# libipsecha carries the VFIO library and the backend.
$(BIN)/test-vfio-unit: $(VFIO_UNIT_OBJS) $(VFIO_UNIT_FW) $(HOSTLIB_A)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(HOSTLIB_LDLIBS)

ALL_TARGETS += $(BIN)/test-vfio-unit

# Suites build what they run inside the suite, so that a build failure is
# recorded as a failed suite rather than skipping it under `make -k check`.
.PHONY: test-vfio-unit test-vfio vfio-guest-run
test-vfio-unit:
	$(Q)$(RUN_SUITE) $(if $(ASAN_RUN),asan-)vfio-unit sh -c \
		'$(MAKE) --no-print-directory $(BIN)/test-vfio-unit && $(BIN)/test-vfio-unit'

CHECK_SUITES += test-vfio-unit
ASAN_SUITES  += test-vfio-unit

# ---- the real run: a QEMU guest with vfio-pci in front of ipsecha-card-sim ----
# Guest programs are static (the initramfs has no libc); never sanitized.
VFIO_GUEST      := $(O)/vfio-guest
VFIO_GUEST_BINS := $(VFIO_GUEST)/vfio-guest-test $(VFIO_GUEST)/ipsecha \
                   $(VFIO_GUEST)/ipsecha-vfio-rtt
VFIO_GUEST_OBJS := $(O)/obj/tests/vfio/guest_vfio_test.o $(O)/obj/bench/vfio/rtt.o
$(VFIO_GUEST_OBJS): CPPFLAGS += $(HOSTLIB_INC) -Idriver/vfio

# The host-library conformance suite (tests/hostlib/), unchanged, built static.
VFIO_CONF_SRC := tests/hostlib/conformance.c
ifneq ($(wildcard $(VFIO_CONF_SRC)),)
VFIO_GUEST_BINS += $(VFIO_GUEST)/ipsecha-conformance
$(O)/obj/tests/hostlib/conformance.o: CPPFLAGS += $(HOSTLIB_INC)
$(VFIO_GUEST)/ipsecha-conformance: $(O)/obj/tests/hostlib/conformance.o $(HOSTLIB_A)
	@mkdir -p $(dir $@)
	$(Q)$(CC) -static -o $@ $^ $(HOSTLIB_LDLIBS)
endif

$(VFIO_GUEST)/vfio-guest-test: $(O)/obj/tests/vfio/guest_vfio_test.o $(HOSTLIB_A)
	@mkdir -p $(dir $@)
	$(Q)$(CC) -static -o $@ $^ $(HOSTLIB_LDLIBS)
$(VFIO_GUEST)/ipsecha-vfio-rtt: $(O)/obj/bench/vfio/rtt.o $(HOSTLIB_A)
	@mkdir -p $(dir $@)
	$(Q)$(CC) -static -o $@ $^ $(HOSTLIB_LDLIBS)
# The same CLI as $(BIN)/ipsecha, linked statically (CLI_* are final when
# the recipe runs).
$(VFIO_GUEST)/ipsecha: $(BIN)/ipsecha
	@mkdir -p $(dir $@)
	$(Q)$(CC) -static -o $@ $(CLI_OBJS) $(CLI_LIBS) $(CLI_LDLIBS)
# The latency probe, for the host side of bench-vfio.
$(BIN)/ipsecha-vfio-rtt: $(O)/obj/bench/vfio/rtt.o $(HOSTLIB_A)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(HOSTLIB_LDLIBS)

# The static CLI links whatever libraries the other parts add to CLI_LDLIBS:
# it is built by test-vfio, not by `make`, so a library without a static
# archive fails this suite only.
ifneq ($(SANITIZE),1)
ALL_TARGETS += $(filter-out $(VFIO_GUEST)/ipsecha,$(VFIO_GUEST_BINS)) $(BIN)/ipsecha-vfio-rtt
endif

test-vfio:
	$(Q)$(RUN_SUITE) vfio $(MAKE) --no-print-directory vfio-guest-run
# A static CLI that fails to link fails the guest's cli suite only.
vfio-guest-run: $(CARD_SIM) $(filter-out $(VFIO_GUEST)/ipsecha,$(VFIO_GUEST_BINS))
	$(Q)$(MAKE) --no-print-directory $(VFIO_GUEST)/ipsecha || rm -f $(VFIO_GUEST)/ipsecha
	$(Q)tests/vfio/run-guest.sh $(BIN) $(VFIO_GUEST) $(O)/vfio

CHECK_SUITES += test-vfio

# ---- latency of one command: sim backend on the host vs vfio in the guest ----
.PHONY: bench-vfio
bench-vfio: $(CARD_SIM) $(BIN)/ipsecha-vfio-rtt $(VFIO_GUEST_BINS)
	$(Q)bench/vfio/run.sh $(BIN) $(VFIO_GUEST) $(O)/vfio-bench $(BENCH_OUT)/vfio.json
BENCH_TARGETS += bench-vfio

# ---- libFuzzer: addresses, the card identity block, the IOMMU info chain ----
VFIO_FUZZ      := $(O)/fuzz/fuzz-vfio
VFIO_FUZZ_SRCS := tests/vfio/fuzz_vfio.c tests/vfio/fake_kernel.c driver/vfio/vfio.c \
                  driver/vfio/vfio_dev.c driver/vfio/vfio_dma.c \
                  driver/vfio/vfio_sys.c driver/vfio/vfio_card.c
$(VFIO_FUZZ): $(VFIO_FUZZ_SRCS) $(wildcard driver/vfio/*.h tests/vfio/*.h)
	@mkdir -p $(dir $@)
	$(Q)$(CLANG) -std=c11 -g -O1 -D_GNU_SOURCE -Wall -Wextra -Werror \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-I. -Itests/vfio -Ifirmware/include -o $@ $(VFIO_FUZZ_SRCS)

.PHONY: test-vfio-fuzz
test-vfio-fuzz:
	$(Q)$(RUN_SUITE) vfio-fuzz sh -c \
		'$(MAKE) --no-print-directory $(VFIO_FUZZ) && tests/vfio/run-fuzz.sh $(VFIO_FUZZ) $(O)/fuzz/vfio-corpus'
CHECK_SUITES += test-vfio-fuzz

# ---- lint: scripts parse (POSIX sh; guest-init under busybox), headers stand alone ----
.PHONY: lint-vfio
lint-vfio:
	$(Q)for f in tests/vfio/*.sh bench/vfio/run.sh; do sh -n $$f || exit 1; done
	$(Q)busybox sh -n tests/vfio/guest-init.sh
	$(Q)for h in ipsecha_vfio.h vfio_sys.h vfio_compat.h vfio_card.h; do \
		echo "#include \"$$h\"" | $(CC) $(CSTD) $(WARN) -D_GNU_SOURCE -Idriver/vfio -Ifirmware/include \
			-fsyntax-only -x c - || exit 1; done
	@echo "lint-vfio: ok"
LINT_TARGETS += lint-vfio
