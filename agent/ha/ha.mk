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
HA_LDLIBS   := $(IKE_LDLIBS)

$(HA_OBJS): CPPFLAGS += $(HA_CPPFLAGS)
$(HA_LIB): $(HA_OBJS)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

ALL_TARGETS += $(HA_LIB)
