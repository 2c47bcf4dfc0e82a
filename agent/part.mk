# agent/part.mk — the IKEv2 agent (docs/agent.md).
#
#   make test-ike     crypto vectors and configuration tables, codec and rule
#                     tables, unit tables, two in-memory peers, fuzz smoke of
#                     the parsers and the engine input path, the daemon and
#                     CLI over real sockets in network namespaces
#
# Sub-fragments of the crypto, configuration and key-log modules are kept
# beside their sources; agent/ha/ha.mk (RFC 6311) is included near the end,
# after everything it may use.
-include agent/crypto/crypto.mk agent/conf/conf.mk agent/keylog/keylog.mk

# ---- the IKE engine: codec, rule tables, state machine, in-memory dataplane --
IKE_SRCS     := $(sort $(wildcard agent/ike/*.c)) agent/dp/dp_mem.c
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

# ---- unit-level tests ----------------------------------------------------------
# tests/agent/tpeer.[ch]: the two-in-memory-peers harness (IKE_TPEER_OBJ,
# include path IKE_TEST_CPPFLAGS), reusable by other agent test suites.
IKE_TEST_CPPFLAGS := $(IKE_CPPFLAGS) -I$(TOP)/tests/agent
IKE_TPEER_OBJ := $(O)/obj/tests/agent/tpeer.o
$(O)/obj/tests/agent/%.o: CPPFLAGS += $(IKE_TEST_CPPFLAGS)

$(BIN)/test-ike-peers: $(O)/obj/tests/agent/test_peers.o $(IKE_TPEER_OBJ) $(IKE_LIBS)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(IKE_LDLIBS)
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
# Authenticated input: SK plaintexts sealed with a real IKE SA's keys between
# two in-memory engines (tests/agent/tpeer.c); its seed writer is the same
# file built as a program.
IKE_FUZZ_AUTH_SRCS := tests/agent/fuzz_auth.c tests/agent/tpeer.c $(IKE_SRCS) $(IKC_SRCS) \
	$(AGC_SRCS) $(IKL_SRCS)
$(BIN)/fuzz-ike-auth: $(IKE_FUZZ_AUTH_SRCS)
	@mkdir -p $(dir $@)
	$(Q)$(CLANG) $(IKE_FUZZ_FLAGS) -I$(TOP)/tests/agent -o $@ $^ -linih -lcrypto -lpthread
$(BIN)/fuzz-ike-auth-seeds: $(IKE_FUZZ_AUTH_SRCS)
	@mkdir -p $(dir $@)
	$(Q)$(CLANG) $(filter-out -fsanitize=%,$(IKE_FUZZ_FLAGS)) -DFUZZ_AUTH_SEEDS \
		-I$(TOP)/tests/agent -o $@ $^ -linih -lcrypto -lpthread

# ---- extensions ------------------------------------------------------------------
# agent/ha/ha.mk (RFC 6311) sees everything above and may append to
# AGENT_EXT_LIBS (archives linked into ipsecha-agent; one of them defines
# agent_ext_get(), agent/daemon/agent.h) and AGENT_EXT_LDLIBS.
AGENT_EXT_LIBS   :=
AGENT_EXT_LDLIBS :=
-include agent/ha/ha.mk

# ---- the daemon: sockets, control, card/XDP dataplanes, load mode ---------------
AGENT_SRCS   := $(sort $(wildcard agent/daemon/*.c)) agent/dp/dp_card.c agent/dp/dp_xdp.c \
                agent/dp/dp_stack.c
AGENT_OBJS   := $(AGENT_SRCS:%.c=$(O)/obj/%.o)
AGENT_CPPFLAGS := $(IKE_CPPFLAGS) -I$(TOP)/agent/daemon $(HOSTLIB_INC) -I$(TOP)/driver/xdp/include
$(AGENT_OBJS): CPPFLAGS += $(AGENT_CPPFLAGS)
$(BIN)/ipsecha-agent: $(AGENT_OBJS) $(AGENT_EXT_LIBS) $(IKE_LIBS) $(HOSTLIB_A) $(XDP_LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(AGENT_EXT_LDLIBS) -ljson-c $(IKE_LDLIBS) $(HOSTLIB_LDLIBS) $(XDP_LDLIBS)
ALL_TARGETS += $(BIN)/ipsecha-agent

# The control client, for the ipsecha CLI's agent subcommands (cli/cmd_status.c,
# cmd_sa.c, cmd_initiate.c, cmd_terminate.c, cmd_reload.c).
AGENT_CTL_LIB := $(O)/lib/libipsecha_agentctl.a
$(AGENT_CTL_LIB): $(O)/obj/agent/daemon/ctl.o
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^
CLI_CFLAGS += -I$(TOP)/agent/daemon
CLI_LIBS   += $(AGENT_CTL_LIB)

# ---- make test-ike -----------------------------------------------------------------
IKE_UNIT_BINS := $(BIN)/test-ike-codec $(BIN)/test-ike-units $(BIN)/test-ike-peers

.PHONY: test-ike test-ike-unit test-ike-fuzz-msg test-ike-daemon
# Unit-level suites (also rerun under ASan+UBSan by make check).
test-ike-unit: $(IKE_UNIT_BINS)
	$(Q)rc=0; \
	$(RUN_SUITE) $(if $(ASAN_RUN),asan-)ike-codec $(BIN)/test-ike-codec || rc=1; \
	$(RUN_SUITE) $(if $(ASAN_RUN),asan-)ike-units $(BIN)/test-ike-units || rc=1; \
	$(RUN_SUITE) $(if $(ASAN_RUN),asan-)ike-peers $(BIN)/test-ike-peers || rc=1; \
	exit $$rc
test-ike-fuzz-msg: $(BIN)/fuzz-ike-msg $(BIN)/fuzz-ike-engine $(BIN)/fuzz-ike-auth \
		$(BIN)/fuzz-ike-auth-seeds
	$(Q)$(RUN_SUITE) ike-msg-fuzz tests/agent/run-fuzz $(BIN) $(IKE_FUZZ_SECONDS)
test-ike-daemon: $(BIN)/ipsecha-agent $(BIN)/ipsecha $(BIN)/ipsecha-card-sim
	$(Q)$(RUN_SUITE) $(if $(ASAN_RUN),asan-)ike-daemon tests/agent/daemon.sh $(BIN)
# make test-ike: everything of the IKE core, the crypto vectors (RFC, NIST,
# Wycheproof), the configuration tables and their fuzz targets included
# (agent/crypto/crypto.mk: test-ike-crypto, test-ike-fuzz).
test-ike: test-ike-crypto test-ike-unit test-ike-fuzz test-ike-fuzz-msg test-ike-daemon

CHECK_SUITES += test-ike
# The daemon suite too: the agent, CLI and card process built with ASan+UBSan.
ASAN_SUITES  += test-ike-unit test-ike-daemon
