# tests/card/card.mk — tests, benchmark and demo of the card stack (firmware,
# ipsecha-card-sim, libipsecha, `ipsecha card`). Included at the end of
# hostlib/part.mk, after every variable it uses is defined.
#
#   make test-card        all card suites; each starts and stops its own card
#   make test-fw-unit     firmware unit tests only (also under ASan in make check)
#   make bench-card       bench/out/card.json
#   make demo-card        the bring-up demo on a simulated card
#   make ipsecha-conformance-static   static conformance binary (VFIO guest)

CONF_BIN    := $(BIN)/ipsecha-conformance
CONF_STATIC := $(BIN)/ipsecha-conformance-static
FWTEST_BIN  := $(BIN)/test-fw
JSONQ_BIN   := $(BIN)/jsonq
BENCH_CARD  := $(BIN)/bench-card
WITH_CARD   := tests/card/with-card.sh
CARD_ENV    := IPSECHA_TOP=$(TOP) CARD_SIM=$(TOP)/$(CARD_SIM) IPSECHA_BIN=$(TOP)/$(BIN)/ipsecha \
               JSONQ=$(TOP)/$(JSONQ_BIN)

# ---- conformance suite (dynamic, and static for the VFIO guest)
$(O)/obj/tests/hostlib/conformance.o: CPPFLAGS += $(HOSTLIB_INC)
$(CONF_BIN): $(O)/obj/tests/hostlib/conformance.o $(HOSTLIB_A)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(HOSTLIB_LDLIBS)

$(CONF_STATIC): tests/hostlib/conformance.c $(HOSTLIB_SRCS) $(wildcard hostlib/*.h hostlib/include/*.h)
	@mkdir -p $(dir $@)
	$(Q)$(CC) -static $(CSTD) -O2 -g $(WARN) -D_GNU_SOURCE $(HOSTLIB_INC) -I$(TOP)/hostlib \
		$(HOSTLIB_BACKEND_DEFS) -o $@ tests/hostlib/conformance.c $(HOSTLIB_SRCS) -lpthread
.PHONY: ipsecha-conformance-static
ipsecha-conformance-static: $(CONF_STATIC)

# ---- connection error paths (stopped, killed, frozen card; not-a-card servers)
CONN_BIN := $(BIN)/test-hostlib-conn
# (its not-a-card servers speak the ivshmem protocol through the card's sender)
$(O)/obj/tests/hostlib/test_conn.o: CPPFLAGS += $(HOSTLIB_INC) -I$(TOP)/hostlib -I$(TOP)/sim/card
$(CONN_BIN): $(O)/obj/tests/hostlib/test_conn.o $(O)/obj/sim/card/cs_ivshmem.o $(HOSTLIB_A)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(HOSTLIB_LDLIBS)

# ---- firmware unit tests: validation table, golden model, fake engine
FWT_SRCS := tests/firmware/test_fw.c tests/firmware/fake_engine.c
FWT_DEFS :=
FWT_LIBS :=
ifneq ($(strip $(ISQ_GOLDEN_LIB)),)
FWT_DEFS += -DHAVE_GOLDEN
FWT_LIBS += $(ISQ_GOLDEN_LIB)
endif
# The Verilated engine too, except in sanitizer builds (the Verilated
# model is not built with sanitizers).
FWT_LDLIBS :=
ifneq ($(strip $(ISQ_TB_LIB)),)
ifneq ($(SANITIZE),1)
FWT_DEFS   += -DHAVE_RTL
FWT_LIBS   += $(ISQ_TB_LIB)
FWT_LDLIBS += $(ISQ_TB_LDLIBS)
endif
endif
ifneq ($(strip $(ISQ_GEN_H)),)
FWT_SRCS += tests/firmware/test_fw_regs.c
$(O)/obj/tests/firmware/test_fw_regs.o: $(ISQ_GEN_H)
endif
FWT_OBJS := $(FWT_SRCS:%.c=$(O)/obj/%.o) $(CS_FW_SRCS:%.c=$(O)/obj/%.o)
$(FWT_OBJS): CPPFLAGS += $(FW_INC) -I$(TOP)/tests/firmware $(ISQ_SIM_INC)
$(O)/obj/tests/firmware/test_fw.o: CPPFLAGS += $(FWT_DEFS) $(ISQ_TB_INC)
$(FWTEST_BIN): $(FWT_OBJS) $(FWT_LIBS)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(FWT_LDLIBS)

$(O)/obj/tests/card/jsonq.o: CPPFLAGS += $(shell pkg-config --cflags json-c 2>/dev/null)
$(JSONQ_BIN): $(O)/obj/tests/card/jsonq.o
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ -ljson-c

CARD_TEST_BINS := $(CONF_BIN) $(FWTEST_BIN) $(JSONQ_BIN) $(CONN_BIN) $(CARD_SIM) $(BIN)/ipsecha
ALL_TARGETS += $(CONF_BIN) $(FWTEST_BIN) $(JSONQ_BIN) $(CONN_BIN)

.PHONY: test-card-conn
test-card-conn: $(CARD_TEST_BINS)
	$(Q)$(RUN_SUITE) card-hostlib-conn $(CONN_BIN) $(CARD_SIM)

.PHONY: test-card test-fw-unit test-card-conformance test-card-cli test-card-noreuse test-hostlib-asan
test-fw-unit: $(FWTEST_BIN)
	$(Q)$(RUN_SUITE) $(if $(ASAN_RUN),asan-)card-fw-unit $(FWTEST_BIN)

test-card-conformance: $(CARD_TEST_BINS)
	$(Q)$(CARD_ENV) $(RUN_SUITE) card-conformance $(WITH_CARD) sh -c '$(TOP)/$(CONF_BIN) $$IPSECHA_DEV'
ifneq ($(strip $(ISQ_GOLDEN_LIB)),)
	$(Q)$(CARD_ENV) $(RUN_SUITE) card-conformance-golden $(WITH_CARD) --engine golden \
		sh -c '$(TOP)/$(CONF_BIN) $$IPSECHA_DEV'
else
	@echo "card-conformance-golden: skipped: sim/ does not provide the golden model (ISQ_GOLDEN_LIB)"
endif
	$(Q)$(CARD_ENV) $(RUN_SUITE) card-conformance-dbreg $(WITH_CARD) --doorbell register \
		sh -c '$(TOP)/$(CONF_BIN) $$IPSECHA_DEV'

test-card-cli: $(CARD_TEST_BINS)
	$(Q)$(CARD_ENV) $(RUN_SUITE) card-cli $(WITH_CARD) tests/card/test-cli.sh

test-card-noreuse: $(CARD_TEST_BINS)
	$(Q)$(CARD_ENV) $(RUN_SUITE) card-noreuse $(WITH_CARD) tests/card/test-noreuse.sh

# libipsecha installed and consumed through pkg-config (shared and static).
.PHONY: test-card-install
test-card-install: $(CARD_TEST_BINS) $(HOSTLIB_A) $(HOSTLIB_SO) $(HOSTLIB_PC)
	$(Q)$(CARD_ENV) $(RUN_SUITE) card-install $(WITH_CARD) tests/card/test-install.sh

# Every card suite; `make check` runs this (and the ASan ones below).
test-card: $(CARD_TEST_BINS)
	$(Q)$(MAKE) --no-print-directory test-fw-unit
	$(Q)$(MAKE) --no-print-directory test-card-conformance
	$(Q)$(MAKE) --no-print-directory test-card-conn
	$(Q)$(MAKE) --no-print-directory test-card-cli
	$(Q)$(MAKE) --no-print-directory test-card-noreuse
	$(Q)$(MAKE) --no-print-directory test-card-install

# Under ASan+UBSan: the firmware unit tests, and the library and the card
# process (firmware, ivshmem server; golden engine) with the conformance
# suite and the connection tests.
test-hostlib-asan: $(CONF_BIN) $(CONN_BIN) $(CARD_SIM)
	$(Q)$(CARD_ENV) $(RUN_SUITE) $(if $(ASAN_RUN),asan-)card-conformance $(WITH_CARD) \
		sh -c '$(TOP)/$(CONF_BIN) $$IPSECHA_DEV'
	$(Q)$(CARD_ENV) $(RUN_SUITE) $(if $(ASAN_RUN),asan-)card-conformance-dbreg $(WITH_CARD) \
		--doorbell register sh -c '$(TOP)/$(CONF_BIN) $$IPSECHA_DEV'
	$(Q)$(RUN_SUITE) $(if $(ASAN_RUN),asan-)card-hostlib-conn $(CONN_BIN) $(CARD_SIM)

CHECK_SUITES += test-card
ASAN_SUITES  += test-fw-unit test-hostlib-asan

# ---- benchmark
$(O)/obj/bench/card/bench_card.o: CPPFLAGS += $(HOSTLIB_INC)
$(BENCH_CARD): $(O)/obj/bench/card/bench_card.o $(HOSTLIB_A)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(HOSTLIB_LDLIBS)
ALL_TARGETS += $(BENCH_CARD)

.PHONY: bench-card
bench-card: $(BENCH_CARD) $(CARD_SIM)
	@mkdir -p $(BENCH_OUT)
	$(Q)IPSECHA_TOP=$(TOP) CARD_SIM=$(TOP)/$(CARD_SIM) $(WITH_CARD) \
		sh -c '$(TOP)/$(BENCH_CARD) $$IPSECHA_DEV $(TOP)/$(BENCH_OUT)/card.json'
BENCH_TARGETS += bench-card

# ---- demo
.PHONY: demo-card
demo-card: $(CARD_SIM) $(BIN)/ipsecha
	$(Q)IPSECHA_TOP=$(TOP) CARD_SIM=$(TOP)/$(CARD_SIM) IPSECHA_BIN=$(TOP)/$(BIN)/ipsecha \
		sim/card/demo-card.sh

# ---- libFuzzer: the firmware's handling of host input (commands, queue
# indices) on the fake engine. make test-card-fuzz runs it for
# CARD_FUZZ_SECONDS from the seed corpus (a copy: the corpus in git stays).
CARD_FUZZ_BIN     := $(O)/fuzz/fuzz-fw
CARD_FUZZ_SECONDS ?= 20
$(CARD_FUZZ_BIN): tests/firmware/fuzz_fw.c tests/firmware/fake_engine.c $(CS_FW_SRCS) \
		  $(wildcard firmware/*.h firmware/include/*.h tests/firmware/*.h)
	@mkdir -p $(dir $@)
	$(Q)$(CLANG) -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
		$(FW_INC) -I$(TOP)/tests/firmware -o $@ tests/firmware/fuzz_fw.c \
		tests/firmware/fake_engine.c $(CS_FW_SRCS)
.PHONY: test-card-fuzz
test-card-fuzz: $(CARD_FUZZ_BIN)
	$(Q)rm -rf $(O)/fuzz/fw-corpus && mkdir -p $(O)/fuzz/fw-corpus && \
		cp tests/firmware/fuzz-seeds/* $(O)/fuzz/fw-corpus/
	$(Q)$(RUN_SUITE) card-fw-fuzz sh -c 'cd $(TOP)/$(O)/fuzz && ./fuzz-fw -max_total_time=$(CARD_FUZZ_SECONDS) \
		-max_len=4096 -artifact_prefix=$(TOP)/$(O)/fuzz/ fw-corpus >fuzz-fw.log 2>&1; rc=$$?; \
		tail -4 fuzz-fw.log; if [ $$rc -eq 0 ]; then echo "card-fw-fuzz: 1 passed, 0 failed"; \
		else echo "card-fw-fuzz: 0 passed, 1 failed"; exit 1; fi'
CHECK_SUITES += test-card-fuzz test-hostlib-fuzz

# The library's fuzzer is its own suite (a failure of one fuzzer must not
# keep the other from running); it builds inside the suite so a build
# failure is a recorded failure.
.PHONY: test-hostlib-fuzz
test-hostlib-fuzz:
	$(Q)rm -rf $(O)/fuzz/hostlib-corpus && mkdir -p $(O)/fuzz/hostlib-corpus && \
		cp tests/hostlib/fuzz-seeds/* $(O)/fuzz/hostlib-corpus/
	$(Q)$(RUN_SUITE) card-hostlib-fuzz sh -c '$(MAKE) --no-print-directory $(HOSTLIB_FUZZ_BIN) && \
		cd $(TOP)/$(O)/fuzz && ./fuzz-hostlib \
		-max_total_time=$(CARD_FUZZ_SECONDS) -max_len=4096 -artifact_prefix=$(TOP)/$(O)/fuzz/ \
		hostlib-corpus >fuzz-hostlib.log 2>&1; rc=$$?; tail -4 fuzz-hostlib.log; \
		if [ $$rc -eq 0 ]; then echo "card-hostlib-fuzz: 1 passed, 0 failed"; \
		else echo "card-hostlib-fuzz: 0 passed, 1 failed"; exit 1; fi'

# libFuzzer: libipsecha against a card whose BAR and answers are the input
# (identity geometry, completions, readback window, events). The library's
# own sources, with the test backend (scheme "fuzz") compiled in.
HOSTLIB_FUZZ_BIN := $(O)/fuzz/fuzz-hostlib
HOSTLIB_CORE_SRCS := hostlib/hl_core.c hostlib/hl_api.c hostlib/hl_sim.c
$(HOSTLIB_FUZZ_BIN): tests/hostlib/fuzz_hostlib.c $(HOSTLIB_CORE_SRCS) \
		     $(wildcard hostlib/*.h hostlib/include/*.h firmware/include/*.h)
	@mkdir -p $(dir $@)
	$(Q)$(CLANG) -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-D_GNU_SOURCE -DIPSECHA_TEST_BACKEND $(HOSTLIB_INC) -I$(TOP)/hostlib -o $@ \
		tests/hostlib/fuzz_hostlib.c $(HOSTLIB_CORE_SRCS) -lpthread

# ---- static analysis of the card stack's C (make lint)
CARD_LINT_SRCS := firmware/*.c firmware/rv32/*.c hostlib/*.c sim/card/cs_main.c sim/card/cs_ivshmem.c \
                  sim/card/cs_engine.c sim/card/cs_engine_fake.c tests/firmware/fake_engine.c \
                  cli/cmd_card.c tests/hostlib/conformance.c tests/hostlib/test_conn.c tests/hostlib/fuzz_hostlib.c \
                  bench/card/bench_card.c
.PHONY: lint-card
lint-card:
	$(Q)$(RUN_SUITE) lint-card sh -c 'cppcheck -q --std=c11 --enable=warning,portability,performance \
		--error-exitcode=1 --inline-suppr -D__GNUC__ -Ifirmware/include -Ifirmware -Ihostlib/include \
		-Ihostlib -Isim/card -Itests/firmware $(CARD_LINT_SRCS) && \
		shellcheck -S warning tests/card/*.sh sim/card/demo-card.sh && \
		echo "lint-card: 1 passed, 0 failed"'
LINT_TARGETS += lint-card
