# sim/part.mk — C golden model of the engine, Verilator model, C testbench
# library (sim/card/ has its own fragment).
#
# Variables for other fragments:
#   ISQ_SIM_INC     -I flags for isq_bus.h, isq_golden.h and the generated headers
#   ISQ_GOLDEN_LIB  $(O)/lib/libisq_golden.a — golden model (operation + CSR level)

ISQ_SIM_INC    := -I$(TOP)/sim/include -I$(TOP)/sim/golden $(ISQ_GEN_INC)
ISQ_GOLDEN_SRCS := sim/golden/isq_golden.c sim/golden/isq_golden_csr.c
ISQ_GOLDEN_OBJS := $(ISQ_GOLDEN_SRCS:%.c=$(O)/obj/%.o)
ISQ_GOLDEN_LIB  := $(O)/lib/libisq_golden.a

$(ISQ_GOLDEN_OBJS): $(ISQ_GEN_H) $(ISQ_BUILD_H)
$(ISQ_GOLDEN_OBJS): CPPFLAGS += $(ISQ_SIM_INC)
$(ISQ_GOLDEN_LIB): $(ISQ_GOLDEN_OBJS)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^
ALL_TARGETS += $(ISQ_GOLDEN_LIB)

-include rtl/tests.mk
