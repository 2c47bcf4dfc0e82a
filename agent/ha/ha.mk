# agent/ha/ha.mk — RFC 6311 (issue 7): both roles as an extension of the IKE
# engine, the takeover procedure, state snapshots. Included at the end of
# agent/part.mk, so the engine's variables (IKE_*) are defined.
#
#   make test-rfc6311    rule tables (both roles), two in-memory agents with
#                        in-memory and simulated-card dataplanes, strongSwan
#                        and tshark scenarios in network namespaces
#   make bench-sync      sync answers/s (ours vs strongSwan), takeover time
#   make demo-failover   the failover demo on the simulated card

HA_SRCS     := $(sort $(wildcard agent/ha/*.c))
HA_OBJS     := $(HA_SRCS:%.c=$(O)/obj/%.o)
HA_LIB      := $(O)/lib/libipsecha_ha.a
HA_CPPFLAGS := -I$(TOP)/agent/ha $(IKE_CPPFLAGS)
# Link order: RFC 6311, then the engine and what it needs.
HA_LIBS     := $(HA_LIB) $(IKE_LIBS)
HA_LDLIBS   := $(IKE_LDLIBS) -lcrypto

$(HA_OBJS): CPPFLAGS += $(HA_CPPFLAGS)
$(HA_LIB): $(HA_OBJS)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

ALL_TARGETS += $(HA_LIB)

# The daemon extension (agent_ext_get, ha_agent.c) is linked into
# ipsecha-agent through agent/part.mk's AGENT_EXT_LIBS. As an object, not
# only from the archive: the daemon's reference to agent_ext_get() is weak,
# and a weak reference does not pull an archive member.
$(O)/obj/agent/ha/ha_agent.o: CPPFLAGS += -I$(TOP)/agent/daemon
AGENT_EXT_LIBS   += $(O)/obj/agent/ha/ha_agent.o $(HA_LIB)
AGENT_EXT_LDLIBS += -lcrypto

# ---- tests ------------------------------------------------------------------
HA_TEST_CPPFLAGS := $(HA_CPPFLAGS) -I$(TOP)/tests/agent -I$(TOP)/tests/rfc6311
$(O)/obj/tests/rfc6311/%.o: CPPFLAGS += $(HA_TEST_CPPFLAGS)
# Rule tables leave fields zero on purpose and override ST() defaults.
$(O)/obj/tests/rfc6311/%.o: CFLAGS += -Wno-missing-field-initializers -Wno-override-init

$(BIN)/test-rfc6311-rules: $(O)/obj/tests/rfc6311/test_rules.o $(HA_LIBS)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(HA_LDLIBS)

.PHONY: test-rfc6311 test-rfc6311-unit
# Unit level (also under ASan+UBSan): the rule tables, snapshots and the
# two in-memory agents. Every suite runs even when an earlier one fails.
test-rfc6311-unit: $(BIN)/test-rfc6311-rules $(BIN)/test-rfc6311-snap $(BIN)/test-rfc6311-peers
	$(Q)rc=0; \
	$(RUN_SUITE) $(if $(ASAN_RUN),asan-)rfc6311-rules $(BIN)/test-rfc6311-rules || rc=1; \
	$(RUN_SUITE) $(if $(ASAN_RUN),asan-)rfc6311-snap $(BIN)/test-rfc6311-snap || rc=1; \
	$(RUN_SUITE) $(if $(ASAN_RUN),asan-)rfc6311-peers $(BIN)/test-rfc6311-peers || rc=1; \
	exit $$rc

# Real agents (each with its simulated card) in network namespaces; the
# same against strongSwan 5.9.8; tshark decodes the sync exchanges.
.PHONY: test-rfc6311-agents test-rfc6311-strongswan test-rfc6311-xdp
test-rfc6311-agents: $(BIN)/ipsecha-agent $(BIN)/ipsecha $(BIN)/ipsecha-card-sim
	$(Q)$(RUN_SUITE) rfc6311-agents tests/rfc6311/agents.sh $(BIN)
test-rfc6311-strongswan: $(BIN)/ipsecha-agent $(BIN)/ipsecha $(BIN)/ipsecha-card-sim
	$(Q)$(RUN_SUITE) rfc6311-strongswan tests/rfc6311/strongswan.sh $(BIN)
test-rfc6311-xdp: $(BIN)/ipsecha-agent $(BIN)/ipsecha $(BIN)/ipsecha-card-sim
	$(Q)$(RUN_SUITE) rfc6311-xdp tests/rfc6311/xdp.sh $(BIN)

test-rfc6311: test-rfc6311-unit test-rfc6311-fuzz test-rfc6311-agents test-rfc6311-strongswan \
	      test-rfc6311-xdp

CHECK_SUITES += test-rfc6311
ASAN_SUITES  += test-rfc6311-unit

$(BIN)/test-rfc6311-snap: $(O)/obj/tests/rfc6311/test_snap.o $(HA_LIBS)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(HA_LDLIBS)

$(BIN)/test-rfc6311-peers: $(O)/obj/tests/rfc6311/test_ha_peers.o $(IKE_TPEER_OBJ) $(HA_LIBS)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(HA_LDLIBS)

# ---- the CLI: ipsecha state (ha_snap.c), ipsecha takeover --------------------
CLI_CFLAGS += $(HA_CPPFLAGS)
CLI_LIBS   += $(HA_LIB)
CLI_LDLIBS += -lcrypto

# ---- fuzzing: the sync classification, snapshot records and files ---------------
HA_FUZZ_FLAGS := -std=c11 -g -O1 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
	-I$(TOP)/agent/ha -I$(TOP)/agent/ike -I$(TOP)/agent/dp -I$(TOP)/agent/crypto \
	-I$(TOP)/agent/conf -I$(TOP)/agent/keylog
HA_FUZZ_SECONDS ?= 15
$(BIN)/fuzz-rfc6311: tests/rfc6311/fuzz_ha.c agent/ha/ha_wire.c agent/ha/ha_rules.c \
		agent/ha/ha_snap.c agent/ike/msg.c
	@mkdir -p $(dir $@)
	$(Q)$(CLANG) $(HA_FUZZ_FLAGS) -o $@ $^ -lcrypto
$(BIN)/fuzz-rfc6311-seeds: $(O)/obj/tests/rfc6311/fuzz_seeds.o $(HA_LIBS)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(HA_LDLIBS)

.PHONY: test-rfc6311-fuzz
test-rfc6311-fuzz: $(BIN)/fuzz-rfc6311 $(BIN)/fuzz-rfc6311-seeds
	$(Q)$(RUN_SUITE) rfc6311-fuzz tests/rfc6311/run-fuzz $(BIN) $(HA_FUZZ_SECONDS)

# ---- benchmark -----------------------------------------------------------------
.PHONY: bench-sync
bench-sync: $(BIN)/ipsecha-agent $(BIN)/ipsecha $(BIN)/ipsecha-card-sim
	@mkdir -p $(BENCH_OUT)
	$(Q)bench/sync/run-bench-sync $(BENCH_OUT)/sync.json
BENCH_TARGETS += bench-sync

# ---- the demo: `make demo` runs the failover on the simulated card ------------
.PHONY: demo-failover
demo-failover: $(BIN)/ipsecha-agent $(BIN)/ipsecha $(BIN)/ipsecha-card-sim
	$(Q)tests/rfc6311/demo-failover.sh $(BIN)
DEMO_TARGET := demo-failover
