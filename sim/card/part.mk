# sim/card/part.mk — ipsecha-card-sim, the simulated card process:
# the Verilated engine (sim/tb: ISQ_TB_LIB) + the host build of the firmware,
# its BAR a shared-memory file, an ivshmem server on a UNIX socket.
#
# Engines linked in (docs/card-sim.md): rtl when sim/part.mk provides
# ISQ_TB_LIB, golden when it provides ISQ_GOLDEN_LIB, and always the firmware
# unit tests' fake. `--engine` picks one; the default is the first of
# rtl, golden, fake that was built.

CARD_SIM     := $(BIN)/ipsecha-card-sim
CS_FW_SRCS   := firmware/fw_engine.c firmware/fw_cmd.c firmware/fw_ring.c
CS_SRCS      := sim/card/cs_main.c sim/card/cs_ivshmem.c sim/card/cs_engine.c \
                sim/card/cs_engine_fake.c tests/firmware/fake_engine.c
CS_DEFS      := -DCS_FW_BUILD_ID=0x$(shell git -C $(TOP) rev-parse --short=8 HEAD 2>/dev/null || echo 0)u
CS_LIBS      :=
CS_LDLIBS    :=
CS_LINK      := $(CC)
CS_INC       := -I$(TOP)/firmware/include -I$(TOP)/firmware -I$(TOP)/sim/card \
                -I$(TOP)/tests/firmware -I$(TOP)/sim/include $(ISQ_SIM_INC) $(ISQ_TB_INC)

# Sanitizer builds leave the Verilated model out (it is not built with
# sanitizers); their card runs the golden engine.
ifneq ($(strip $(ISQ_TB_LIB)),)
ifneq ($(SANITIZE),1)
CS_SRCS   += sim/card/cs_engine_rtl.c
CS_DEFS   += -DCS_HAVE_RTL
CS_LIBS   += $(ISQ_TB_LIB)
CS_LDLIBS += $(ISQ_TB_LDLIBS)
CS_LINK   := $(CXX)
endif
endif
ifneq ($(strip $(ISQ_GOLDEN_LIB)),)
CS_SRCS   += sim/card/cs_engine_golden.c
CS_DEFS   += -DCS_HAVE_GOLDEN
CS_LIBS   += $(ISQ_GOLDEN_LIB)
endif

CS_OBJS := $(CS_SRCS:%.c=$(O)/obj/%.o) $(CS_FW_SRCS:%.c=$(O)/obj/%.o)
$(CS_OBJS): CPPFLAGS += $(CS_INC) $(CS_DEFS)
$(O)/obj/sim/card/cs_engine_rtl.o: $(ISQ_GEN_H)
$(O)/obj/sim/card/cs_engine_golden.o: $(ISQ_GEN_H)

$(CARD_SIM): $(CS_OBJS) $(CS_LIBS)
	@mkdir -p $(dir $@)
	$(Q)$(CS_LINK) $(LDFLAGS) -o $@ $(CS_OBJS) $(CS_LIBS) $(CS_LDLIBS) -lpthread

ALL_TARGETS += $(CARD_SIM)
DEMO_TARGET := demo-card
