# hostlib/part.mk — libipsecha (static + shared, version script, pkg-config).
#
# Variables for other fragments:
#   HOSTLIB_INC     include flags (ipsecha.h and the card ABI header)
#   HOSTLIB_A       static library;  HOSTLIB_SO  shared library
#   HOSTLIB_LDLIBS  what a program linking HOSTLIB_A also needs
#
# Adding a backend (driver/vfio/): create driver/vfio/hostlib-backend.mk that
# appends its sources to HOSTLIB_BACKEND_SRCS and -DIPSECHA_HAVE_VFIO to
# HOSTLIB_BACKEND_DEFS, and defines `const struct hl_backend_ops
# hl_backend_vfio` (hostlib/hl_internal.h). It is included here so the
# library's rules see it.
HOSTLIB_BACKEND_SRCS :=
HOSTLIB_BACKEND_DEFS :=
-include driver/vfio/hostlib-backend.mk

HOSTLIB_VERSION := 1.1.0
HOSTLIB_INC    := -I$(TOP)/hostlib/include -I$(TOP)/firmware/include
HOSTLIB_SRCS   := hostlib/hl_core.c hostlib/hl_api.c hostlib/hl_sim.c $(HOSTLIB_BACKEND_SRCS)
HOSTLIB_OBJS   := $(HOSTLIB_SRCS:%.c=$(O)/obj/%.o)
HOSTLIB_A      := $(O)/lib/libipsecha.a
HOSTLIB_SO     := $(O)/lib/libipsecha.so.1
HOSTLIB_PC     := $(O)/lib/pkgconfig/ipsecha.pc
HOSTLIB_LDLIBS := -lpthread
PREFIX         ?= /usr/local

$(HOSTLIB_OBJS): CPPFLAGS += $(HOSTLIB_INC) -I$(TOP)/hostlib $(HOSTLIB_BACKEND_DEFS)
$(HOSTLIB_OBJS): CFLAGS += -fPIC -fvisibility=hidden

$(HOSTLIB_A): $(HOSTLIB_OBJS)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $(filter %.o,$^)

$(HOSTLIB_SO): $(HOSTLIB_OBJS) hostlib/libipsecha.map
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -shared -Wl,-soname,libipsecha.so.1 \
		-Wl,--version-script=hostlib/libipsecha.map -o $@ $(filter %.o,$^) $(HOSTLIB_LDLIBS)
	$(Q)ln -sf libipsecha.so.1 $(dir $@)libipsecha.so

$(HOSTLIB_PC): hostlib/ipsecha.pc.in hostlib/part.mk
	@mkdir -p $(dir $@)
	$(Q)sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(HOSTLIB_VERSION)|' $< > $@

ALL_TARGETS += $(HOSTLIB_A) $(HOSTLIB_SO) $(HOSTLIB_PC)

.PHONY: install-hostlib
install-hostlib: $(HOSTLIB_A) $(HOSTLIB_SO) $(HOSTLIB_PC)
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include
	install -m 644 $(HOSTLIB_A) $(HOSTLIB_SO) $(DESTDIR)$(PREFIX)/lib/
	ln -sf libipsecha.so.1 $(DESTDIR)$(PREFIX)/lib/libipsecha.so
	install -m 644 $(HOSTLIB_PC) $(DESTDIR)$(PREFIX)/lib/pkgconfig/
	install -m 644 hostlib/include/ipsecha.h firmware/include/ipsecha_card_abi.h \
		$(DESTDIR)$(PREFIX)/include/

# The CLI links the library for `ipsecha card`.
CLI_CFLAGS += $(HOSTLIB_INC)
CLI_LIBS   += $(HOSTLIB_A)
CLI_LDLIBS += $(HOSTLIB_LDLIBS)

# Tests, benchmark and demo of the whole card stack.
include tests/card/card.mk
