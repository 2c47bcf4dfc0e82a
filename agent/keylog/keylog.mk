# agent/keylog/keylog.mk — opt-in key log in Wireshark UAT formats.
# For users: $(IKL_CPPFLAGS), $(IKL_LIB) (needs $(IKC_LIB)); the helper
# $(BIN)/ipsecha-keylog turns a key log into tshark options.

IKL_SRCS     := agent/keylog/ikl.c
IKL_OBJS     := $(IKL_SRCS:%.c=$(O)/obj/%.o)
IKL_LIB      := $(O)/lib/libipsecha_keylog.a
IKL_CPPFLAGS := -I$(TOP)/agent/keylog $(IKC_CPPFLAGS)
IKL_LDLIBS   := -lpthread

$(IKL_OBJS): CPPFLAGS += $(IKL_CPPFLAGS)
$(IKL_LIB): $(IKL_OBJS)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(BIN)/ipsecha-keylog: agent/keylog/ipsecha-keylog
	@mkdir -p $(dir $@)
	$(Q)install -m 755 $< $@

ALL_TARGETS += $(IKL_LIB) $(BIN)/ipsecha-keylog
include tests/interop/interop.mk
