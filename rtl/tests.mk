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
