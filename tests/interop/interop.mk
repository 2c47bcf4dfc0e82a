# tests/interop/interop.mk — strongSwan 5.9.8 + tshark interop harness in
# network namespaces (included from agent/keylog/keylog.mk, after the
# crypto, conf and key-log libraries are defined).
#
#   make test-interop     charon<->charon validation (our KDF and key log
#                         against charon's key dump and tshark), then our
#                         agent against charon in both roles when
#                         $(BIN)/ipsecha-agent exists
#   make bench-ike        IKE SA establishments/s: our responder vs charon's
#                         responder, same initiator, same run

$(BIN)/ipsi-kdf: $(O)/obj/tests/interop/ipsi-kdf.o $(IKL_LIB) $(IKC_LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(IKC_LDLIBS)
$(O)/obj/tests/interop/ipsi-kdf.o: CPPFLAGS += $(IKL_CPPFLAGS)

ALL_TARGETS += $(BIN)/ipsi-kdf

# The agent, its CLI and the simulated card are built by other fragments
# (included after this one): build whichever of them exist, at run time.
IPSI_AGENT_BINS = $(filter %/ipsecha-agent %/ipsecha %/ipsecha-card-sim,$(ALL_TARGETS))

.PHONY: test-interop bench-ike
test-interop: $(BIN)/ipsi-kdf $(BIN)/ipsecha-keylog
	$(Q)$(if $(IPSI_AGENT_BINS),$(MAKE) --no-print-directory $(IPSI_AGENT_BINS) || \
		echo "test-interop: building $(IPSI_AGENT_BINS) failed; running with what exists")
	$(Q)$(RUN_SUITE) interop tests/interop/run-interop

bench-ike: $(BIN)/ipsi-kdf
	$(Q)$(if $(IPSI_AGENT_BINS),$(MAKE) --no-print-directory $(IPSI_AGENT_BINS) || \
		echo "bench-ike: building $(IPSI_AGENT_BINS) failed; running with what exists")
	@mkdir -p $(BENCH_OUT)
	$(Q)bench/ike/run-bench-ike $(BENCH_OUT)/ike.json

CHECK_SUITES  += test-interop
BENCH_TARGETS += bench-ike
