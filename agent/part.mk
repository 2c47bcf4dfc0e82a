# agent/part.mk — the IKEv2 agent. Sub-fragments of the crypto, configuration
# and key-log modules are kept beside their sources.
-include agent/crypto/crypto.mk agent/conf/conf.mk agent/keylog/keylog.mk

# ---- the IKE engine: codec, rule tables, state machine, dataplane ops -------
IKE_SRCS     := $(sort $(wildcard agent/ike/*.c agent/dp/*.c))
IKE_OBJS     := $(IKE_SRCS:%.c=$(O)/obj/%.o)
IKE_LIB      := $(O)/lib/libipsecha_ike.a
IKE_CPPFLAGS := -I$(TOP)/agent/ike -I$(TOP)/agent/dp $(AGC_CPPFLAGS) $(IKL_CPPFLAGS)
# Link order: engine, then what it needs.
IKE_LIBS     := $(IKE_LIB) $(AGC_LIB) $(IKL_LIB) $(IKC_LIB)
IKE_LDLIBS   := $(AGC_LDLIBS) $(IKC_LDLIBS) -lpthread

$(IKE_OBJS): CPPFLAGS += $(IKE_CPPFLAGS)
$(IKE_LIB): $(IKE_OBJS)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

ALL_TARGETS += $(IKE_LIB)

# ---- tests ------------------------------------------------------------------
IKE_TEST_CPPFLAGS := $(IKE_CPPFLAGS) -I$(TOP)/tests/agent
IKE_TPEER_OBJ := $(O)/obj/tests/agent/tpeer.o
$(O)/obj/tests/agent/%.o: CPPFLAGS += $(IKE_TEST_CPPFLAGS)

$(BIN)/test-ike-peers: $(O)/obj/tests/agent/test_peers.o $(IKE_TPEER_OBJ) $(IKE_LIBS)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(IKE_LDLIBS)
