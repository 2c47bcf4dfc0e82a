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
