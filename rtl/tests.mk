# rtl/tests.mk — tests, benchmarks and demo of the engine (included at the end
# of sim/part.mk, once the golden model and testbench libraries are defined).

# ---- tests (tests/rtl/): golden-model unit tests; RTL suites are added below.
RTLT_INC        = $(ISQ_SIM_INC) -I$(TOP)/tests/rtl
RTLT_COMMON     := tests/rtl/tcheck.c tests/rtl/eng_util.c
RTLT_GOLDEN_BIN := $(BIN)/isq-test-directed-golden
RTLT_GOLDEN_OBJS := $(patsubst %.c,$(O)/obj/%.o,$(RTLT_COMMON) tests/rtl/test_directed.c tests/rtl/eng_golden.c)
$(RTLT_GOLDEN_OBJS): $(ISQ_GEN_H) $(ISQ_BUILD_H)
$(O)/obj/tests/rtl/%.o: CPPFLAGS += $(RTLT_INC)
$(RTLT_GOLDEN_BIN): $(RTLT_GOLDEN_OBJS) $(ISQ_GOLDEN_LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^

# Suite names differ under ASan (make check reruns ASAN_SUITES there).
RTLT_PFX := $(if $(ASAN_RUN),asan-)
.PHONY: test-golden
test-golden: $(RTLT_GOLDEN_BIN)
	$(Q)$(RUN_SUITE) $(RTLT_PFX)golden-w64 $(RTLT_GOLDEN_BIN)
	$(Q)ISQ_TEST_WINDOW=1024 $(RUN_SUITE) $(RTLT_PFX)golden-w1024 $(RTLT_GOLDEN_BIN)
ASAN_SUITES += test-golden

# ---- RTL tests: the same directed cases on the Verilated engine, W = 64
# (the default library) and W = 1024.
RTLT_DIR_OBJS := $(patsubst %.c,$(O)/obj/%.o,$(RTLT_COMMON) tests/rtl/test_directed.c tests/rtl/eng_rtl.c)
$(O)/obj/tests/rtl/eng_rtl.o: CPPFLAGS += -I$(TOP)/sim/tb
$(BIN)/isq-test-directed-rtl: $(RTLT_DIR_OBJS) $(ISQ_TB_LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(ISQ_TB_LDLIBS)
$(BIN)/isq-test-directed-rtl-w1024: $(RTLT_DIR_OBJS) $(ISQ_TB_LIB_W1024)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(ISQ_TB_LDLIBS)

# randomized RTL-versus-golden comparison (and the other cycle-level tests)
RTLT_RT_OBJS := $(patsubst %.c,$(O)/obj/%.o,tests/rtl/rt_common.c)
$(O)/obj/tests/rtl/rt_common.o $(O)/obj/tests/rtl/test_random.o: CPPFLAGS += -I$(TOP)/sim/tb
$(BIN)/isq-test-random: $(O)/obj/tests/rtl/test_random.o $(RTLT_RT_OBJS) $(ISQ_TB_LIB) $(ISQ_GOLDEN_LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(ISQ_TB_LDLIBS)
$(BIN)/isq-test-random-w1024: $(O)/obj/tests/rtl/test_random.o $(RTLT_RT_OBJS) $(ISQ_TB_LIB_W1024) $(ISQ_GOLDEN_LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(ISQ_TB_LDLIBS)
$(O)/obj/tests/rtl/test_linear.o: CPPFLAGS += -I$(TOP)/sim/tb
$(BIN)/isq-test-linear: $(O)/obj/tests/rtl/test_linear.o $(O)/obj/tests/rtl/tcheck.o $(RTLT_RT_OBJS) $(ISQ_TB_LIB) $(ISQ_GOLDEN_LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(ISQ_TB_LDLIBS)
$(BIN)/isq-test-linear-w1024: $(O)/obj/tests/rtl/test_linear.o $(O)/obj/tests/rtl/tcheck.o $(RTLT_RT_OBJS) $(ISQ_TB_LIB_W1024) $(ISQ_GOLDEN_LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(ISQ_TB_LDLIBS)

# a configuration with no power of two in it: 1000 slots, 100 groups, W = 128
$(BIN)/isq-test-directed-rtl-odd: $(RTLT_DIR_OBJS) $(ISQ_TB_LIB_ODD)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(ISQ_TB_LDLIBS)
$(BIN)/isq-test-random-odd: $(O)/obj/tests/rtl/test_random.o $(RTLT_RT_OBJS) $(ISQ_TB_LIB_ODD) $(ISQ_GOLDEN_LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(ISQ_TB_LDLIBS)
$(BIN)/isq-test-linear-odd: $(O)/obj/tests/rtl/test_linear.o $(O)/obj/tests/rtl/tcheck.o $(RTLT_RT_OBJS) $(ISQ_TB_LIB_ODD) $(ISQ_GOLDEN_LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(ISQ_TB_LDLIBS)

# the iCE40 HX8K configuration of make synth (HX8K_* in rtl/part.mk), with
# RAM_COLLIDE = 1: a same-address read during a write returns garbage, as
# the synthesized block RAMs may (rtl/isq_ram.v)
$(eval $(call ISQ_TB_CONFIG,hx8k,$(HX8K_NUM_SA),$(HX8K_NUM_GROUP),$(HX8K_W)))
$(O)/verilator/hx8k/Visq.mk: ISQ_VL_FLAGS += -GEVT_DEPTH=$(HX8K_EVT_DEPTH) \
	-GINJ_DEPTH=$(HX8K_INJ_DEPTH) -GRAM_COLLIDE=1
$(O)/verilator/hx8k/Visq.mk: rtl/part.mk rtl/tests.mk
$(O)/verilator/hx8k/isq_tb_shim.o: CXXFLAGS += -DISQ_TB_INJ_DEPTH=$(HX8K_INJ_DEPTH)
ISQ_TB_LIB_HX8K := $(O)/lib/libisq_tb_hx8k.a
$(BIN)/isq-test-directed-rtl-hx8k: $(RTLT_DIR_OBJS) $(ISQ_TB_LIB_HX8K)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(ISQ_TB_LDLIBS)
$(BIN)/isq-test-random-hx8k: $(O)/obj/tests/rtl/test_random.o $(RTLT_RT_OBJS) $(ISQ_TB_LIB_HX8K) $(ISQ_GOLDEN_LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(ISQ_TB_LDLIBS)
$(BIN)/isq-test-linear-hx8k: $(O)/obj/tests/rtl/test_linear.o $(O)/obj/tests/rtl/tcheck.o $(RTLT_RT_OBJS) $(ISQ_TB_LIB_HX8K) $(ISQ_GOLDEN_LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(ISQ_TB_LDLIBS)

RTLT_BINS := $(RTLT_GOLDEN_BIN) $(BIN)/isq-test-directed-rtl $(BIN)/isq-test-directed-rtl-w1024 \
             $(BIN)/isq-test-random $(BIN)/isq-test-random-w1024 $(BIN)/isq-test-linear \
             $(BIN)/isq-test-linear-w1024 $(BIN)/isq-test-directed-rtl-odd \
             $(BIN)/isq-test-random-odd $(BIN)/isq-test-linear-odd \
             $(BIN)/isq-test-directed-rtl-hx8k $(BIN)/isq-test-random-hx8k \
             $(BIN)/isq-test-linear-hx8k
# CI: 3,000,000 random operations at W = 64 and 1,000,000 at W = 1024 and in
# the odd and HX8K configurations
# (ISQ_OPS / ISQ_OPS_W1024 override); the seed is printed, ISQ_SEED reproduces it.
ISQ_OPS ?= 3000000
ISQ_OPS_W1024 ?= 1000000
.PHONY: test-rtl test-rtl-random
test-rtl: $(RTLT_BINS)
	$(Q)$(RUN_SUITE) golden-w64 $(RTLT_GOLDEN_BIN)
	$(Q)ISQ_TEST_WINDOW=1024 $(RUN_SUITE) golden-w1024 $(RTLT_GOLDEN_BIN)
	$(Q)$(RUN_SUITE) rtl-directed-w64 $(BIN)/isq-test-directed-rtl
	$(Q)$(RUN_SUITE) rtl-directed-w1024 $(BIN)/isq-test-directed-rtl-w1024
	$(Q)$(RUN_SUITE) rtl-linear-w64 $(BIN)/isq-test-linear
	$(Q)$(RUN_SUITE) rtl-linear-w1024 $(BIN)/isq-test-linear-w1024
	$(Q)ISQ_OPS=$(ISQ_OPS) $(RUN_SUITE) rtl-random-w64 $(BIN)/isq-test-random
	$(Q)ISQ_OPS=$(ISQ_OPS_W1024) $(RUN_SUITE) rtl-random-w1024 $(BIN)/isq-test-random-w1024
	$(Q)$(RUN_SUITE) rtl-directed-odd $(BIN)/isq-test-directed-rtl-odd
	$(Q)$(RUN_SUITE) rtl-linear-odd $(BIN)/isq-test-linear-odd
	$(Q)ISQ_OPS=$(ISQ_OPS_W1024) $(RUN_SUITE) rtl-random-odd $(BIN)/isq-test-random-odd
	$(Q)$(RUN_SUITE) rtl-directed-hx8k $(BIN)/isq-test-directed-rtl-hx8k
	$(Q)$(RUN_SUITE) rtl-linear-hx8k $(BIN)/isq-test-linear-hx8k
	$(Q)ISQ_OPS=$(ISQ_OPS_W1024) $(RUN_SUITE) rtl-random-hx8k $(BIN)/isq-test-random-hx8k
CHECK_SUITES += test-rtl

# ---- benchmark (bench/rtl): table + bench/out/rtl.json
$(O)/obj/bench/rtl/bench_rtl.o: $(ISQ_GEN_H)
$(O)/obj/bench/rtl/bench_rtl.o: CPPFLAGS += $(ISQ_TB_INC)
$(BIN)/isq-bench-rtl: $(O)/obj/bench/rtl/bench_rtl.o $(ISQ_TB_LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(ISQ_TB_LDLIBS)
.PHONY: bench-rtl
bench-rtl: $(BIN)/isq-bench-rtl
	@mkdir -p $(BENCH_OUT)
	$(Q)$(BIN)/isq-bench-rtl $(BENCH_OUT)/rtl.json $(BENCH_OUT)/synth.json
BENCH_TARGETS += bench-rtl

# ---- demo (sim/demo): the engine on a small scenario
$(O)/obj/sim/demo/isq_demo.o: $(ISQ_GEN_H)
$(O)/obj/sim/demo/isq_demo.o: CPPFLAGS += $(ISQ_TB_INC)
$(BIN)/isq-demo: $(O)/obj/sim/demo/isq_demo.o $(ISQ_TB_LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(ISQ_TB_LDLIBS)
ALL_TARGETS += $(BIN)/isq-demo
.PHONY: demo-rtl
demo-rtl: $(BIN)/isq-demo
	$(Q)$(BIN)/isq-demo

# ---- libFuzzer target over the golden model's register file (clang)
FUZZ_GOLDEN := $(O)/fuzz/isq-fuzz-golden
$(FUZZ_GOLDEN): tests/rtl/fuzz_golden.c $(ISQ_GOLDEN_SRCS) $(ISQ_GEN_H) $(ISQ_BUILD_H)
	@mkdir -p $(dir $@)
	$(Q)$(CLANG) -g -O1 -fsanitize=fuzzer,address,undefined $(CSTD) -D_GNU_SOURCE \
		$(ISQ_SIM_INC) -o $@ tests/rtl/fuzz_golden.c $(ISQ_GOLDEN_SRCS)
.PHONY: fuzz-golden fuzz-golden-suite
FUZZ_RUNS ?= 200000
fuzz-golden: $(FUZZ_GOLDEN)
	@mkdir -p $(O)/fuzz/corpus-golden
	$(Q)if $(FUZZ_GOLDEN) -runs=$(FUZZ_RUNS) -max_len=2000 -artifact_prefix=$(O)/fuzz/golden- $(O)/fuzz/corpus-golden \
	      > $(O)/fuzz/golden.log 2>&1; then tail -1 $(O)/fuzz/golden.log; \
	      echo "fuzz-golden: 1 passed, 0 failed"; \
	    else tail -30 $(O)/fuzz/golden.log; echo "fuzz-golden: 0 passed, 1 failed"; false; fi
fuzz-golden-suite:
	$(Q)$(RUN_SUITE) golden-fuzz $(MAKE) --no-print-directory fuzz-golden
CHECK_SUITES += fuzz-golden-suite
