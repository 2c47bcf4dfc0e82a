# sim/part.mk — C golden model of the engine, Verilator model, C testbench
# library (sim/card/ has its own fragment).
#
# Variables for other fragments:
#   ISQ_SIM_INC     -I flags for isq_bus.h, isq_golden.h and the generated headers
#   ISQ_GOLDEN_LIB  $(O)/lib/libisq_golden.a — golden model (operation + CSR level)
#   ISQ_TB_INC      -I flags for sim/tb/isq_tb.h (and what it includes)
#   ISQ_TB_LIB      $(O)/lib/libisq_tb.a — Verilated engine (4096 slots, 1024 groups,
#                   W = 64) + C testbench library; link with a C++-aware line:
#   ISQ_TB_LDLIBS   libraries to add after ISQ_TB_LIB
#   ISQ_TB_LIB_W1024  the same library for the W = 1024 build (tests)
#   ISQ_TB_LIB_ODD    ... for 1000 slots, 100 groups, W = 128 (tests)
#   ISQ_TRACE       vcd (default), fst or none: what the model can trace

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


# ---- Verilator model + C testbench library (recipe B of TOOLCHAIN.md: model
# library built with OPT_FAST=-O2, testbench in C11 by gcc, extern "C" shim)
VERILATOR   ?= verilator
VL_ROOT     := $(shell $(VERILATOR) --getenv VERILATOR_ROOT 2>/dev/null)
VL_INC      := $(VL_ROOT)/include
ISQ_TRACE   ?= vcd
ISQ_VL_TRACE := $(if $(filter vcd,$(ISQ_TRACE)),--trace,$(if $(filter fst,$(ISQ_TRACE)),--trace-fst,))
ISQ_VL_TROBJ := $(if $(filter vcd,$(ISQ_TRACE)),verilated_vcd_c.o,$(if $(filter fst,$(ISQ_TRACE)),verilated_fst_c.o,))
ISQ_TB_INC  := -I$(TOP)/sim/tb -I$(TOP)/sim/include $(ISQ_GEN_INC)
ISQ_TB_LDLIBS := -lstdc++ -lpthread -latomic -lm $(if $(filter fst,$(ISQ_TRACE)),-lz)
# sim/tb/isq_tb.vlt: signals the testbench reads that have no port (simulation only)
ISQ_VL_CFG  := sim/tb/isq_tb.vlt
ISQ_VL_FLAGS := --cc -Wall --prefix Visq --top-module $(RTL_TOP) -I$(TOP)/rtl $(ISQ_GEN_INC) \
                $(ISQ_VL_TRACE) --x-assign fast --x-initial fast -O3 -GBUILD_ID=$(shell printf '%u' $(ISQ_BUILD_ID))
ISQ_TB_C_OBJ := $(O)/obj/sim/tb/isq_tb.o
$(ISQ_TB_C_OBJ): $(ISQ_GEN_H)
$(ISQ_TB_C_OBJ): CPPFLAGS += $(ISQ_TB_INC)

# $(1) name, $(2) NUM_SA, $(3) NUM_GROUP, $(4) W
define ISQ_TB_CONFIG
$(O)/verilator/$(1)/Visq.mk: $(RTL_SRCS) $(ISQ_VL_CFG) $(ISQ_GEN_VH) sim/part.mk
	@mkdir -p $$(dir $$@)
	@$$(if $$(Q),echo "  VERILATE $(1) (NUM_SA=$(2) NUM_GROUP=$(3) W=$(4))")
	$$(Q)$$(VERILATOR) $$(ISQ_VL_FLAGS) -GNUM_SA=$(2) -GNUM_GROUP=$(3) -GW=$(4) \
		-Mdir $$(dir $$@) $$(ISQ_VL_CFG) $$(RTL_SRCS)
$(O)/verilator/$(1)/Visq__ALL.a: $(O)/verilator/$(1)/Visq.mk
	@$$(if $$(Q),echo "  MODEL   $(1)")
	$$(Q)$$(MAKE) -s --no-print-directory -C $$(dir $$@) -f Visq.mk OPT_FAST=-O2 OPT_SLOW=-O1 \
		default verilated.o verilated_threads.o $$(ISQ_VL_TROBJ) >/dev/null
$(O)/verilator/$(1)/isq_tb_shim.o: sim/tb/isq_tb_shim.cpp sim/tb/isq_tb_dut.h $(O)/verilator/$(1)/Visq__ALL.a
	$$(Q)$$(CXX) $$(CXXFLAGS) -I$$(dir $$@) -I$$(VL_INC) -I$$(VL_INC)/vltstd -I$$(TOP)/sim/tb \
		-DVM_TRACE=$$(if $$(ISQ_VL_TRACE),1,0) -DVM_TRACE_FST=$$(if $$(filter fst,$$(ISQ_TRACE)),1,0) \
		-c $$< -o $$@
$(O)/lib/libisq_tb$(if $(filter default,$(1)),,_$(1)).a: $(O)/verilator/$(1)/Visq__ALL.a $(O)/verilator/$(1)/isq_tb_shim.o $(ISQ_TB_C_OBJ)
	@mkdir -p $$(dir $$@)
	$$(Q)rm -f $$@ && d=$$(dir $$<) && \
	  { echo "create $$@"; echo "addlib $$<"; \
	    for m in isq_tb_shim.o verilated.o verilated_threads.o $$(ISQ_VL_TROBJ); do echo "addmod $$$$d$$$$m"; done; \
	    echo "addmod $(ISQ_TB_C_OBJ)"; echo save; echo end; } | ar -M
endef
$(eval $(call ISQ_TB_CONFIG,default,4096,1024,64))
$(eval $(call ISQ_TB_CONFIG,w1024,4096,1024,1024))
$(eval $(call ISQ_TB_CONFIG,odd,1000,100,128))
ISQ_TB_LIB       := $(O)/lib/libisq_tb.a
ISQ_TB_LIB_W1024 := $(O)/lib/libisq_tb_w1024.a
ISQ_TB_LIB_ODD   := $(O)/lib/libisq_tb_odd.a
ALL_TARGETS += $(ISQ_TB_LIB)

-include rtl/tests.mk
