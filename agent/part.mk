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

# RFC 6311 (agent/ha/) builds on the engine above.
-include agent/ha/ha.mk
$(BIN)/test-ike-codec: $(O)/obj/tests/agent/test_codec.o $(IKE_LIBS)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(IKE_LDLIBS)
$(BIN)/test-ike-units: $(O)/obj/tests/agent/test_units.o $(IKE_LIBS)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(IKE_LDLIBS)

# libFuzzer targets built from the production sources (clang), bounded runs.
IKE_FUZZ_FLAGS := -std=c11 -g -O1 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
	-I$(TOP)/agent/ike -I$(TOP)/agent/dp -I$(TOP)/agent/crypto -I$(TOP)/agent/conf \
	-I$(TOP)/agent/keylog
IKE_FUZZ_SECONDS ?= 15
$(BIN)/fuzz-ike-msg: tests/agent/fuzz_msg.c agent/ike/msg.c agent/ike/rules.c
	@mkdir -p $(dir $@)
	$(Q)$(CLANG) $(IKE_FUZZ_FLAGS) -o $@ $^
$(BIN)/fuzz-ike-engine: tests/agent/fuzz_engine.c $(IKE_SRCS) $(IKC_SRCS) $(AGC_SRCS) $(IKL_SRCS)
	@mkdir -p $(dir $@)
	$(Q)$(CLANG) $(IKE_FUZZ_FLAGS) -o $@ $^ -linih -lcrypto -lpthread

IKE_UNIT_BINS := $(BIN)/test-ike-codec $(BIN)/test-ike-units $(BIN)/test-ike-peers

.PHONY: test-ike test-ike-unit test-ike-fuzz-msg
# Unit-level suites (also rerun under ASan+UBSan by make check).
test-ike-unit: $(IKE_UNIT_BINS)
	$(Q)rc=0; \
	$(RUN_SUITE) $(if $(ASAN_RUN),asan-)ike-codec $(BIN)/test-ike-codec || rc=1; \
	$(RUN_SUITE) $(if $(ASAN_RUN),asan-)ike-units $(BIN)/test-ike-units || rc=1; \
	$(RUN_SUITE) $(if $(ASAN_RUN),asan-)ike-peers $(BIN)/test-ike-peers || rc=1; \
	exit $$rc
test-ike-fuzz-msg: $(BIN)/fuzz-ike-msg $(BIN)/fuzz-ike-engine
	$(Q)$(RUN_SUITE) ike-msg-fuzz tests/agent/run-fuzz $(BIN) $(IKE_FUZZ_SECONDS)
# make test-ike: everything of the IKE core (unit, codec, fuzz smoke,
# in-memory peers, the daemon and CLI over real sockets).
test-ike: test-ike-unit test-ike-fuzz-msg

CHECK_SUITES += test-ike
ASAN_SUITES  += test-ike-unit
