# driver/vfio/part.mk — userspace VFIO access to the card (driver/vfio/), its
# unit tests against an in-memory kernel (tests/vfio/test_vfio_unit.c) and the
# real run through vfio-pci in a QEMU guest (tests/vfio/run-guest.sh).

# The library on its own (the libipsecha backend, hl_vfio.c, is compiled
# into libipsecha through driver/vfio/hostlib-backend.mk).
VFIO_SRCS := driver/vfio/vfio.c driver/vfio/vfio_sys.c driver/vfio/vfio_card.c
VFIO_OBJS := $(VFIO_SRCS:%.c=$(O)/obj/%.o)
VFIO_LIB  := $(O)/lib/libipsecha_vfio.a

$(VFIO_LIB): $(VFIO_OBJS)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^
$(VFIO_OBJS): CPPFLAGS += -I. -Ifirmware/include

ALL_TARGETS += $(VFIO_LIB)

# ---- unit tests: every error path, injected through the syscall table ----
VFIO_UNIT_OBJS := $(O)/obj/tests/vfio/test_vfio_unit.o $(O)/obj/tests/vfio/fake_kernel.o
$(VFIO_UNIT_OBJS): CPPFLAGS += -I. -Itests/vfio -Ifirmware/include -Ihostlib/include -Ihostlib \
                             -DIPSECHA_HAVE_VFIO
# libipsecha carries the VFIO library and the backend.
$(BIN)/test-vfio-unit: $(VFIO_UNIT_OBJS) $(HOSTLIB_A)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(HOSTLIB_LDLIBS)

ALL_TARGETS += $(BIN)/test-vfio-unit

.PHONY: test-vfio-unit test-vfio
test-vfio-unit: $(BIN)/test-vfio-unit
	$(Q)$(RUN_SUITE) $(if $(ASAN_RUN),asan-)vfio-unit $(BIN)/test-vfio-unit

CHECK_SUITES += test-vfio-unit
ASAN_SUITES  += test-vfio-unit
