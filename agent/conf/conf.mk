# agent/conf/conf.mk — the agent's configuration file (INI on libinih).
# For users: $(AGC_CPPFLAGS), $(AGC_LIB) (needs $(IKC_LIB)), $(AGC_LDLIBS).

AGC_SRCS     := agent/conf/agc.c
AGC_OBJS     := $(AGC_SRCS:%.c=$(O)/obj/%.o)
AGC_LIB      := $(O)/lib/libipsecha_conf.a
AGC_CPPFLAGS := -I$(TOP)/agent/conf $(IKC_CPPFLAGS)
AGC_LDLIBS   := -linih

$(AGC_OBJS): CPPFLAGS += $(AGC_CPPFLAGS)
$(AGC_LIB): $(AGC_OBJS)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

ALL_TARGETS += $(AGC_LIB)
