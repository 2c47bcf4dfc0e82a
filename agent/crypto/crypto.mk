# agent/crypto/crypto.mk — the agent's IKEv2 crypto layer (OpenSSL 3 EVP).
#
# For users (ike-core): include path $(IKC_CPPFLAGS), archive $(IKC_LIB),
# libraries $(IKC_LDLIBS). Tests: `make test-ike-crypto` (vectors, SK,
# KDF, AUTH, proposals, key log, configuration; also under ASan+UBSan).

IKC_SRCS     := $(sort $(wildcard agent/crypto/*.c))
IKC_OBJS     := $(IKC_SRCS:%.c=$(O)/obj/%.o)
IKC_LIB      := $(O)/lib/libipsecha_crypto.a
IKC_CPPFLAGS := -I$(TOP)/agent/crypto
IKC_LDLIBS   := -lcrypto -lpthread

$(IKC_OBJS): CPPFLAGS += $(IKC_CPPFLAGS)
$(IKC_LIB): $(IKC_OBJS)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

ALL_TARGETS += $(IKC_LIB)

# ---- tests -----------------------------------------------------------------
# One binary for crypto vectors, SK, KDF, AUTH, proposals and the key log;
# one for the configuration; two libFuzzer targets built from the production
# sources with clang (bounded runs in the ike-fuzz suite).
IKC_TEST_SRCS := $(sort $(wildcard tests/agent/crypto/t_*.c)) tests/agent/crypto/th.c
IKC_TEST_OBJS := $(IKC_TEST_SRCS:%.c=$(O)/obj/%.o)
AGC_TEST_OBJS := $(O)/obj/tests/agent/conf/test_conf.o
$(IKC_TEST_OBJS): CPPFLAGS += $(IKC_CPPFLAGS) -I$(TOP)/agent/keylog \
	-DTH_VECTOR_DIR='"$(TOP)/tests/agent/crypto/vectors"' -DTH_TOP='"$(TOP)"'
$(AGC_TEST_OBJS): CPPFLAGS += $(IKC_CPPFLAGS) -I$(TOP)/agent/conf

$(BIN)/test-ike-crypto: $(IKC_TEST_OBJS) $(O)/lib/libipsecha_keylog.a $(IKC_LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ -ljson-c $(IKC_LDLIBS)
$(BIN)/test-ike-conf: $(AGC_TEST_OBJS) $(O)/lib/libipsecha_conf.a $(IKC_LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ -linih $(IKC_LDLIBS)

IKC_FUZZ_FLAGS := -std=c11 -g -O1 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
	-I$(TOP)/agent/crypto -I$(TOP)/agent/conf
$(BIN)/fuzz-ike-sk: tests/agent/crypto/fuzz_sk.c $(IKC_SRCS)
	@mkdir -p $(dir $@)
	$(Q)$(CLANG) $(IKC_FUZZ_FLAGS) -o $@ $^ -lcrypto -lpthread
$(BIN)/fuzz-ike-conf: tests/agent/conf/fuzz_conf.c agent/conf/agc.c $(IKC_SRCS)
	@mkdir -p $(dir $@)
	$(Q)$(CLANG) $(IKC_FUZZ_FLAGS) -o $@ $^ -linih -lcrypto -lpthread

.PHONY: test-ike-crypto test-ike-fuzz
# Both suites run even when the first fails; the target fails if either did.
test-ike-crypto: $(BIN)/test-ike-crypto $(BIN)/test-ike-conf
	$(Q)rc=0; \
	$(RUN_SUITE) $(if $(ASAN_RUN),asan-)ike-crypto $(BIN)/test-ike-crypto || rc=1; \
	$(RUN_SUITE) $(if $(ASAN_RUN),asan-)ike-conf $(BIN)/test-ike-conf || rc=1; \
	exit $$rc
test-ike-fuzz: $(BIN)/fuzz-ike-sk $(BIN)/fuzz-ike-conf
	$(Q)$(RUN_SUITE) ike-fuzz tests/agent/crypto/run-fuzz $(BIN) \
		$(IKC_FUZZ_SECONDS)
IKC_FUZZ_SECONDS ?= 20

CHECK_SUITES += test-ike-crypto test-ike-fuzz
ASAN_SUITES  += test-ike-crypto
