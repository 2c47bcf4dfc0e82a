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

.PHONY: test-interop bench-ike
test-interop: $(BIN)/ipsi-kdf $(BIN)/ipsecha-keylog
	$(Q)$(RUN_SUITE) interop tests/interop/run-interop

bench-ike: $(BIN)/ipsi-kdf
	@mkdir -p $(BENCH_OUT)
	$(Q)bench/ike/run-bench-ike $(BENCH_OUT)/ike.json

CHECK_SUITES  += test-interop
BENCH_TARGETS += bench-ike
