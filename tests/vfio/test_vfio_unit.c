/* test_vfio_unit.c — every error path of driver/vfio against the in-memory
 * kernel model (fake_kernel.c); the real-kernel run is tests/vfio/run-guest.sh.
 *
 * Each case sets the kernel up, opens, and checks: the returned errno, the
 * cause code, that the message names the problem, and that nothing was left
 * behind (fk_clean). A fault sweep then fails every single system call of a
 * successful open in turn. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "driver/vfio/hl_vfio.h"
#include "driver/vfio/ipsecha_vfio.h"
#include "driver/vfio/vfio_card.h"
#include "driver/vfio/vfio_compat.h"
#include "fake_engine.h"
#include "fake_kernel.h"
#include "fw.h"
#include "hl_internal.h"
#include "ipsecha.h"
#include "ipsecha_card_abi.h"

#define BAR2 (1u << 20)
#define BDF "0000:00:03.0"

static struct fake_kernel fk;

/* Identity check used by the tests: magic "IPSC" at offset 0, version at 4. */
static int check_id(const volatile void *bar, size_t len, void *arg, char *msg, size_t msglen)
{
	const volatile uint32_t *w = bar;
	uint32_t want = arg ? *(uint32_t *)arg : 1;

	if (len < 8 || w[0] != 0x43535049u) {
		snprintf(msg, msglen, "magic %08x", len >= 4 ? w[0] : 0);
		return -EPROTO;
	}
	if (w[1] != want) {
		snprintf(msg, msglen, "card ABI %u, host ABI %u", w[1], want);
		return -EPROTONOSUPPORT;
	}
	return 0;
}

static void put_identity(uint32_t version)
{
	uint32_t *w = (uint32_t *)fk.dev[0].r[2].mem;

	w[0] = 0x43535049u;
	w[1] = version;
}

static int setup_legacy(void **state)
{
	(void)state;
	fk_init_ivshmem(&fk, BAR2, false);
	fk_finalize(&fk);
	put_identity(1);
	return 0;
}

static int setup_cdev(void **state)
{
	(void)state;
	fk_init_ivshmem(&fk, BAR2, true);
	fk_finalize(&fk);
	put_identity(1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fk_destroy(&fk);
	return 0;
}

/* Open `addr` expecting failure with (err, cause) and `needle` in the message. */
static void expect_fail_mode(const char *addr, enum ipsecha_vfio_mode mode, int err,
			     enum ipsecha_vfio_cause cause, const char *needle)
{
	IPSECHA_VFIO_OPTS(o, .sys = &fk.sys, .mode = mode, .irq_vectors = 2,
			  .check_identity = check_id);
	struct ipsecha_vfio_diag d;
	struct ipsecha_vfio *dev = (void *)1;
	int r = ipsecha_vfio_open(addr, &o, &dev, &d);

	if (r != err || d.cause != cause || (needle && !strstr(d.msg, needle)))
		print_error("got %d (%s) \"%s\"; want %d (%s) with \"%s\"\n", r,
			    ipsecha_vfio_cause_name(d.cause), d.msg, err,
			    ipsecha_vfio_cause_name(cause), needle ? needle : "");
	assert_int_equal(r, err);
	assert_int_equal(d.cause, cause);
	assert_int_equal(d.err, err);
	assert_null(dev);
	assert_true(d.msg[0] != 0);
	if (needle)
		assert_non_null(strstr(d.msg, needle));
	assert_true(fk_clean(&fk));
}

static void expect_fail(const char *addr, int err, enum ipsecha_vfio_cause cause,
			const char *needle)
{
	expect_fail_mode(addr, IPSECHA_VFIO_MODE_AUTO, err, cause, needle);
}

static struct ipsecha_vfio *open_ok(const char *addr, enum ipsecha_vfio_mode mode)
{
	IPSECHA_VFIO_OPTS(o, .sys = &fk.sys, .mode = mode, .irq_vectors = 2,
			  .check_identity = check_id);
	struct ipsecha_vfio_diag d;
	struct ipsecha_vfio *dev = NULL;
	int r = ipsecha_vfio_open(addr, &o, &dev, &d);

	if (r)
		print_error("open %s: %d %s: %s\n", addr, r, ipsecha_vfio_cause_name(d.cause), d.msg);
	assert_int_equal(r, 0);
	assert_non_null(dev);
	return dev;
}

/* ---- addresses ------------------------------------------------------------ */

static void t_bad_addresses(void **state)
{
	static const char *const bad[] = {
		"", "0000:00:03", "00:3.0", "0000:00:20.0", "0000:00:03.8", "0000-00:03.0",
		"0000:00:03.0 ", "000:00:03.0", "0x00:03.0", "gg:00.0",
		"/dev/vfio/devices/x", "/dev/vfio/vfio0", "/dev/vfio/devices/vfio",
		"/dev/vfio/devices/vfio1a", "/dev/vfio/devices/vfio1234567890",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_fail(bad[i], -EINVAL, IPSECHA_VFIO_E_ADDRESS, NULL);
	expect_fail_mode("/dev/vfio/devices/vfio0", IPSECHA_VFIO_MODE_LEGACY, -EINVAL,
			 IPSECHA_VFIO_E_ADDRESS, "legacy");
	/* NULL arguments */
	{
		struct ipsecha_vfio *dev;
		struct ipsecha_vfio_diag d;

		assert_int_equal(ipsecha_vfio_open(NULL, NULL, &dev, &d), -EINVAL);
		assert_int_equal(ipsecha_vfio_open(BDF, NULL, NULL, NULL), -EINVAL);
	}
}

static void t_short_bdf_accepted(void **state)
{
	struct ipsecha_vfio *dev;

	(void)state;
	dev = open_ok("00:03.0", IPSECHA_VFIO_MODE_AUTO);
	assert_string_equal(ipsecha_vfio_get_info(dev)->bdf, BDF);
	ipsecha_vfio_close(dev);
	assert_true(fk_clean(&fk));
	/* Upper-case hex is canonicalised. */
	fk.dev[0].bdf[3] = '0';
	dev = open_ok("0000:00:03.0", IPSECHA_VFIO_MODE_AUTO);
	ipsecha_vfio_close(dev);
}

static void t_opts_versioning(void **state)
{
	struct ipsecha_vfio *dev = NULL;
	struct ipsecha_vfio_diag d;
	struct { struct ipsecha_vfio_opts o; uint64_t future; } big;

	(void)state;
	/* sz unset */
	{
		struct ipsecha_vfio_opts o = { 0 };

		assert_int_equal(ipsecha_vfio_open(BDF, &o, &dev, &d), -EINVAL);
	}
	/* a newer caller with an unknown non-zero option: refused */
	memset(&big, 0, sizeof(big));
	big.o.sys = &fk.sys;
	big.o.sz = sizeof(big);
	big.future = 1;
	assert_int_equal(ipsecha_vfio_open(BDF, &big.o, &dev, &d), -E2BIG);
	/* ... and accepted when the unknown tail is zero */
	big.future = 0;
	assert_int_equal(ipsecha_vfio_open(BDF, &big.o, &dev, &d), 0);
	ipsecha_vfio_close(dev);
	/* an older caller that knew only sz, mode and sys */
	{
		IPSECHA_VFIO_OPTS(o, .sys = &fk.sys);

		o.sz = offsetof(struct ipsecha_vfio_opts, min_card_bar);
		assert_int_equal(ipsecha_vfio_open(BDF, &o, &dev, &d), 0);
		ipsecha_vfio_close(dev);
	}
	/* unknown mode */
	{
		IPSECHA_VFIO_OPTS(o, .sys = &fk.sys, .mode = (enum ipsecha_vfio_mode)9);

		assert_int_equal(ipsecha_vfio_open(BDF, &o, &dev, &d), -EINVAL);
	}
	assert_true(fk_clean(&fk));
}

static void t_mode_names(void **state)
{
	enum ipsecha_vfio_mode m;

	(void)state;
	assert_int_equal(ipsecha_vfio_mode_parse("legacy", &m), 0);
	assert_int_equal(m, IPSECHA_VFIO_MODE_LEGACY);
	assert_int_equal(ipsecha_vfio_mode_parse("iommufd", &m), 0);
	assert_int_equal(m, IPSECHA_VFIO_MODE_CDEV);
	assert_int_equal(ipsecha_vfio_mode_parse("auto", &m), 0);
	assert_int_equal(m, IPSECHA_VFIO_MODE_AUTO);
	assert_int_equal(ipsecha_vfio_mode_parse("fast", &m), -EINVAL);
	assert_string_equal(ipsecha_vfio_mode_name(IPSECHA_VFIO_MODE_CDEV), "cdev");
	assert_string_equal(ipsecha_vfio_cause_name(IPSECHA_VFIO_E_GROUP_NOT_VIABLE),
			    "group-not-viable");
	assert_string_equal(ipsecha_vfio_cause_name((enum ipsecha_vfio_cause)999), "unknown");
}

/* ---- sysfs-level errors ------------------------------------------------------ */

static void t_no_device(void **state)
{
	(void)state;
	expect_fail("0000:00:04.0", -ENODEV, IPSECHA_VFIO_E_NO_DEVICE, "0000:00:04.0");
}

static void t_sysfs_perm(void **state)
{
	(void)state;
	fk.calls = 0;
	fk.fail_at = 1; /* the first call: stat of the device's sysfs directory */
	fk.fail_errno = EACCES;
	expect_fail(BDF, -EACCES, IPSECHA_VFIO_E_PERM, "permission denied");
	fk.fail_at = 0;
}

static void t_unknown_device(void **state)
{
	(void)state;
	fk_add_device(&fk, "0000:00:02.0", 0x8086, 0x10d3, "vfio-pci", 4);
	expect_fail("0000:00:02.0", -ENODEV, IPSECHA_VFIO_E_UNKNOWN_DEVICE, "8086:10d3");
}

static void t_no_iommu_group(void **state)
{
	(void)state;
	fk.dev[0].group = -1;
	fk.dev[0].driver = NULL; /* vfio-pci cannot bind without a group */
	expect_fail(BDF, -ENODEV, IPSECHA_VFIO_E_NO_IOMMU_GROUP, "intel_iommu=on");
}

static void t_not_bound(void **state)
{
	(void)state;
	fk.dev[0].driver = NULL;
	expect_fail(BDF, -ENODEV, IPSECHA_VFIO_E_NOT_BOUND, "driver_override");
}

static void t_other_driver(void **state)
{
	(void)state;
	fk.dev[0].driver = "uio_pci_generic";
	expect_fail(BDF, -EBUSY, IPSECHA_VFIO_E_OTHER_DRIVER, "uio_pci_generic");
}

static void t_variant_driver_accepted(void **state)
{
	struct ipsecha_vfio *dev;

	(void)state;
	fk.dev[0].driver = "vfio-pci";
	dev = open_ok(BDF, IPSECHA_VFIO_MODE_LEGACY);
	ipsecha_vfio_close(dev);
	assert_true(fk_clean(&fk));
}

/* ---- legacy path errors -------------------------------------------------------- */

static void t_no_vfio_node(void **state)
{
	(void)state;
	fk.vfio_node = false;
	expect_fail(BDF, -ENOENT, IPSECHA_VFIO_E_NO_VFIO, "modprobe vfio-pci");
}

static void t_container_perm(void **state)
{
	(void)state;
	fk.fail_open_path = "/dev/vfio/vfio";
	fk.fail_open_errno = EACCES;
	expect_fail(BDF, -EACCES, IPSECHA_VFIO_E_PERM, "/dev/vfio/vfio");
}

static void t_api_version(void **state)
{
	(void)state;
	fk.api_version = 1;
	expect_fail(BDF, -EPROTONOSUPPORT, IPSECHA_VFIO_E_VFIO_API, "API 1");
}

static void t_no_type1(void **state)
{
	(void)state;
	fk.type1 = false;
	expect_fail(BDF, -EPROTONOSUPPORT, IPSECHA_VFIO_E_VFIO_API, "type1");
}

static void t_group_perm(void **state)
{
	(void)state;
	fk.fail_open_path = "/dev/vfio/3";
	fk.fail_open_errno = EACCES;
	expect_fail(BDF, -EACCES, IPSECHA_VFIO_E_PERM, "/dev/vfio/3");
}

static void t_group_busy(void **state)
{
	(void)state;
	fk.group_elsewhere = true;
	expect_fail_mode(BDF, IPSECHA_VFIO_MODE_LEGACY, -EBUSY, IPSECHA_VFIO_E_BUSY,
			 "already open");
}

static void t_group_not_viable(void **state)
{
	(void)state;
	fk_add_device(&fk, "0000:00:03.1", 0x8086, 0x10d3, "e1000e", 3);
	fk_add_device(&fk, "0000:00:03.2", 0x8086, 0x10d3, NULL, 3); /* fine: unbound */
	fk.group_viable = false;
	expect_fail(BDF, -EBUSY, IPSECHA_VFIO_E_GROUP_NOT_VIABLE, "0000:00:03.1 is bound to e1000e");
}

static void t_group_status_fails(void **state)
{
	(void)state;
	fk.fail_ioctl_req = VFIO_GROUP_GET_STATUS;
	fk.fail_ioctl_errno = EFAULT;
	expect_fail(BDF, -EFAULT, IPSECHA_VFIO_E_SYSCALL, "GROUP_GET_STATUS");
}

static void t_device_busy(void **state)
{
	(void)state;
	fk.device_elsewhere = true; /* open through its cdev by another process */
	expect_fail_mode(BDF, IPSECHA_VFIO_MODE_LEGACY, -EBUSY, IPSECHA_VFIO_E_BUSY, "busy");
}

static void t_device_fd_perm(void **state)
{
	(void)state;
	fk.fail_ioctl_req = VFIO_GROUP_GET_DEVICE_FD;
	fk.fail_ioctl_errno = EPERM;
	expect_fail(BDF, -EPERM, IPSECHA_VFIO_E_PERM, "permission denied");
}

static void t_set_iommu_fails(void **state)
{
	(void)state;
	fk.fail_ioctl_req = VFIO_SET_IOMMU;
	fk.fail_ioctl_errno = ENODEV;
	expect_fail(BDF, -ENODEV, IPSECHA_VFIO_E_SYSCALL, "SET_IOMMU");
}

/* ---- device-level errors ---------------------------------------------------------- */

static void t_not_pci(void **state)
{
	(void)state;
	fk.dev[0].vfio_flags = VFIO_DEVICE_FLAGS_PLATFORM;
	expect_fail(BDF, -ENODEV, IPSECHA_VFIO_E_NOT_PCI, "not a vfio-pci");
}

static void t_config_ids_not_card(void **state)
{
	(void)state;
	/* sysfs says ivshmem, config space disagrees (a firmware glitch) */
	fk.dev[0].config[0] = 0xff;
	fk.dev[0].config[1] = 0xff;
	expect_fail(BDF, -ENODEV, IPSECHA_VFIO_E_UNKNOWN_DEVICE, "ffff:1110");
}

static void t_bar_missing(void **state)
{
	(void)state;
	fk.dev[0].r[2].size = 0;
	expect_fail(BDF, -ENXIO, IPSECHA_VFIO_E_BAR_MISSING, "BAR2");
}

static void t_bar_too_small(void **state)
{
	(void)state;
	fk.dev[0].r[2].size = 4096;
	expect_fail(BDF, -ENOSPC, IPSECHA_VFIO_E_BAR_TOO_SMALL, "BAR2 (card window) is 4096 bytes");
}

static void t_bar_too_small_for_caller(void **state)
{
	IPSECHA_VFIO_OPTS(o, .sys = &fk.sys, .min_card_bar = 2 * BAR2);
	struct ipsecha_vfio_diag d;
	struct ipsecha_vfio *dev;

	(void)state;
	assert_int_equal(ipsecha_vfio_open(BDF, &o, &dev, &d), -ENOSPC);
	assert_int_equal(d.cause, IPSECHA_VFIO_E_BAR_TOO_SMALL);
	assert_true(fk_clean(&fk));
}

static void t_bar_no_mmap(void **state)
{
	(void)state;
	fk.dev[0].r[2].flags &= ~(uint32_t)VFIO_REGION_INFO_FLAG_MMAP;
	expect_fail(BDF, -ENOTSUP, IPSECHA_VFIO_E_BAR_NO_MMAP, "cannot be mmapped");
}

static void t_regs_bar_missing(void **state)
{
	(void)state;
	fk.dev[0].r[0].size = 0;
	expect_fail(BDF, -ENXIO, IPSECHA_VFIO_E_BAR_MISSING, "BAR0 (ivshmem registers)");
}

static void t_regs_bar_no_mmap_falls_back(void **state)
{
	struct ipsecha_vfio *dev;

	(void)state;
	fk.dev[0].r[0].flags &= ~(uint32_t)VFIO_REGION_INFO_FLAG_MMAP;
	fk.dev[0].r[0].mem[IPSECHA_IVSHMEM_REG_IVPOSITION] = 5;
	dev = open_ok(BDF, IPSECHA_VFIO_MODE_AUTO);
	/* registers through pread/pwrite on the region */
	assert_int_equal(ipsecha_vfio_ivshmem_position(dev), 5);
	assert_int_equal(ipsecha_vfio_ivshmem_ring(dev, 1, 1), 0);
	assert_int_equal(*(uint32_t *)(fk.dev[0].r[0].mem + IPSECHA_IVSHMEM_REG_DOORBELL),
			 0x10001);
	ipsecha_vfio_close(dev);
	assert_true(fk_clean(&fk));
}

static void t_mmap_fails(void **state)
{
	(void)state;
	fk.fail_mmap_errno = ENOMEM;
	expect_fail(BDF, -ENOMEM, IPSECHA_VFIO_E_SYSCALL, "mmap BAR2");
}

static void t_identity_absent(void **state)
{
	(void)state;
	memset(fk.dev[0].r[2].mem, 0, 8);
	expect_fail(BDF, -EPROTO, IPSECHA_VFIO_E_IDENTITY_ABSENT, "ipsecha-card-sim");
}

static void t_identity_version(void **state)
{
	(void)state;
	put_identity(2);
	expect_fail(BDF, -EPROTONOSUPPORT, IPSECHA_VFIO_E_IDENTITY_VERSION, "card ABI 2");
}

static void t_no_msix(void **state)
{
	(void)state;
	fk.dev[0].msix = 0; /* ivshmem-plain */
	expect_fail(BDF, -ENOTSUP, IPSECHA_VFIO_E_NO_MSIX, "ivshmem-doorbell");
}

static void t_bus_master_fails(void **state)
{
	(void)state;
	/* the only pwrite of open is the command register */
	fk.dev[0].r[VFIO_PCI_CONFIG_REGION_INDEX].size = 4;
	expect_fail(BDF, -EINVAL, IPSECHA_VFIO_E_SYSCALL, "bus mastering");
}

/* ---- cdev path ----------------------------------------------------------------- */

static void t_cdev_forced_unavailable(void **state)
{
	(void)state;
	/* no cdev: kernel 6.1 */
	expect_fail_mode(BDF, IPSECHA_VFIO_MODE_CDEV, -ENOENT, IPSECHA_VFIO_E_NO_CDEV,
			 "CONFIG_VFIO_DEVICE_CDEV");
}

static void t_cdev_no_iommufd(void **state)
{
	(void)state;
	fk.iommufd_node = false;
	expect_fail_mode(BDF, IPSECHA_VFIO_MODE_CDEV, -ENOENT, IPSECHA_VFIO_E_NO_CDEV,
			 "/dev/iommu");
}

static void t_cdev_auto_falls_back_to_legacy(void **state)
{
	struct ipsecha_vfio *dev;

	(void)state;
	fk.iommufd_node = false;
	dev = open_ok(BDF, IPSECHA_VFIO_MODE_AUTO);
	assert_int_equal(ipsecha_vfio_get_info(dev)->mode, IPSECHA_VFIO_MODE_LEGACY);
	ipsecha_vfio_close(dev);
	assert_true(fk_clean(&fk));
}

static void t_cdev_sysfs_only(void **state)
{
	struct ipsecha_vfio *dev;

	(void)state;
	/* Linux 6.2-6.5: iommufd and /sys/class/vfio-dev, no device cdev */
	fk.no_cdev_nodes = true;
	dev = open_ok(BDF, IPSECHA_VFIO_MODE_AUTO);
	assert_int_equal(ipsecha_vfio_get_info(dev)->mode, IPSECHA_VFIO_MODE_LEGACY);
	ipsecha_vfio_close(dev);
	assert_true(fk_clean(&fk));
	expect_fail_mode(BDF, IPSECHA_VFIO_MODE_CDEV, -ENOENT, IPSECHA_VFIO_E_NO_CDEV, "6.6+");
}

static void t_cdev_perm(void **state)
{
	(void)state;
	fk.fail_open_path = "/dev/vfio/devices/vfio0";
	fk.fail_open_errno = EACCES;
	expect_fail(BDF, -EACCES, IPSECHA_VFIO_E_PERM, "/dev/vfio/devices/vfio0");
	fk.fail_open_path = "/dev/iommu";
	expect_fail(BDF, -EACCES, IPSECHA_VFIO_E_PERM, "/dev/iommu");
}

static void t_cdev_bind_busy(void **state)
{
	(void)state;
	fk.group_elsewhere = true; /* open through the legacy interface */
	expect_fail(BDF, -EBUSY, IPSECHA_VFIO_E_BUSY, "legacy");
}

static void t_cdev_bind_unsupported(void **state)
{
	(void)state;
	fk.fail_ioctl_req = VFIO_DEVICE_BIND_IOMMUFD;
	fk.fail_ioctl_errno = ENOTTY;
	expect_fail(BDF, -ENOTSUP, IPSECHA_VFIO_E_NO_CDEV, "BIND_IOMMUFD");
}

static void t_cdev_attach_fails(void **state)
{
	(void)state;
	fk.fail_ioctl_req = VFIO_DEVICE_ATTACH_IOMMUFD_PT;
	fk.fail_ioctl_errno = EINVAL;
	expect_fail(BDF, -EINVAL, IPSECHA_VFIO_E_SYSCALL, "ATTACH_IOMMUFD_PT");
}

static void t_cdev_open_by_path(void **state)
{
	struct ipsecha_vfio *dev;
	const struct ipsecha_vfio_info *in;

	(void)state;
	dev = open_ok("/dev/vfio/devices/vfio0", IPSECHA_VFIO_MODE_AUTO);
	in = ipsecha_vfio_get_info(dev);
	assert_int_equal(in->mode, IPSECHA_VFIO_MODE_CDEV);
	assert_string_equal(in->bdf, BDF); /* learnt from /sys/class/vfio-dev */
	assert_string_equal(in->path, "/dev/vfio/devices/vfio0");
	assert_int_equal(in->iommu_group, 3);
	ipsecha_vfio_close(dev);
	assert_true(fk_clean(&fk));
	/* the sysfs checks apply to the path form too */
	fk.dev[0].driver = NULL;
	fk.dev[0].cdev = 0;
	expect_fail("/dev/vfio/devices/vfio0", -ENODEV, IPSECHA_VFIO_E_NOT_BOUND, BDF);
}

static void t_cdev_path_missing(void **state)
{
	(void)state;
	expect_fail("/dev/vfio/devices/vfio7", -ENOENT, IPSECHA_VFIO_E_NO_CDEV,
		    "/dev/vfio/devices/vfio7");
}

/* ---- successful use ----------------------------------------------------------- */

static void check_open_device(struct ipsecha_vfio *dev, enum ipsecha_vfio_mode mode)
{
	const struct ipsecha_vfio_info *in = ipsecha_vfio_get_info(dev);
	size_t len = 0;
	volatile uint32_t *bar = ipsecha_vfio_card_bar(dev, &len);

	assert_int_equal(in->mode, mode);
	assert_string_equal(in->bdf, BDF);
	assert_int_equal(in->vendor, 0x1af4);
	assert_int_equal(in->device, 0x1110);
	assert_int_equal(in->id->kind, IPSECHA_VFIO_KIND_IVSHMEM);
	assert_int_equal(in->card_bar_size, BAR2);
	assert_int_equal(in->regs_bar_size, 256);
	assert_int_equal(in->msix_vectors, 2);
	assert_false(in->can_reset);
	assert_int_equal(len, BAR2);
	/* the BAR is the device memory: writes land there */
	assert_ptr_equal((void *)bar, fk.dev[0].r[2].mem);
	bar[100] = 0xabcd;
	assert_int_equal(((uint32_t *)fk.dev[0].r[2].mem)[100], 0xabcd);
	/* bus mastering and memory decoding on */
	assert_int_equal(fk.dev[0].config[4] & 0x6, 0x6);
	/* ivshmem registers */
	fk.dev[0].r[0].mem[IPSECHA_IVSHMEM_REG_IVPOSITION] = 2;
	assert_int_equal(ipsecha_vfio_ivshmem_position(dev), 2);
	assert_int_equal(ipsecha_vfio_ivshmem_ring(dev, 0, 1), 0);
	assert_int_equal(*(uint32_t *)(fk.dev[0].r[0].mem + IPSECHA_IVSHMEM_REG_DOORBELL), 1);
}

static void t_legacy_open_close(void **state)
{
	struct ipsecha_vfio *dev;

	(void)state;
	dev = open_ok(BDF, IPSECHA_VFIO_MODE_AUTO);
	check_open_device(dev, IPSECHA_VFIO_MODE_LEGACY);
	assert_string_equal(ipsecha_vfio_get_info(dev)->path, "/dev/vfio/3");
	/* a second open of the same group is refused, cleanly */
	{
		IPSECHA_VFIO_OPTS(o, .sys = &fk.sys);
		struct ipsecha_vfio *dev2;
		struct ipsecha_vfio_diag d;

		assert_int_equal(ipsecha_vfio_open(BDF, &o, &dev2, &d), -EBUSY);
		assert_int_equal(d.cause, IPSECHA_VFIO_E_BUSY);
	}
	ipsecha_vfio_close(dev);
	assert_true(fk_clean(&fk));
	ipsecha_vfio_close(NULL); /* NULL-safe */
}

static void t_cdev_open_close(void **state)
{
	struct ipsecha_vfio *dev;

	(void)state;
	dev = open_ok(BDF, IPSECHA_VFIO_MODE_AUTO); /* auto prefers cdev */
	check_open_device(dev, IPSECHA_VFIO_MODE_CDEV);
	assert_true(fk.dev[0].attached);
	ipsecha_vfio_close(dev);
	assert_true(fk_clean(&fk));
	/* legacy forced on a cdev-capable kernel */
	dev = open_ok(BDF, IPSECHA_VFIO_MODE_LEGACY);
	check_open_device(dev, IPSECHA_VFIO_MODE_LEGACY);
	ipsecha_vfio_close(dev);
	assert_true(fk_clean(&fk));
}

static void t_not_ivshmem_register_calls(void **state)
{
	struct ipsecha_vfio *dev;

	(void)state;
	fk.dev[0].vendor = IPSECHA_PCI_VENDOR_ID;
	fk.dev[0].device = IPSECHA_PCI_DEVICE_ID;
	fk.dev[0].config[0] = 0x34;
	fk.dev[0].config[1] = 0x12;
	fk.dev[0].config[2] = 0x11;
	fk.dev[0].config[3] = 0x63;
	/* the card's window is BAR0 */
	fk_destroy(&fk);
	fk.dev[0].r[0].size = BAR2;
	fk_finalize(&fk);
	memcpy(fk.dev[0].r[0].mem, "IPSC\1\0\0\0", 8);
	dev = open_ok(BDF, IPSECHA_VFIO_MODE_AUTO);
	assert_int_equal(ipsecha_vfio_get_info(dev)->id->kind, IPSECHA_VFIO_KIND_CARD);
	assert_int_equal(ipsecha_vfio_get_info(dev)->regs_bar_size, 0);
	assert_int_equal(ipsecha_vfio_ivshmem_position(dev), -ENOTSUP);
	assert_int_equal(ipsecha_vfio_ivshmem_ring(dev, 0, 0), -ENOTSUP);
	ipsecha_vfio_close(dev);
	assert_true(fk_clean(&fk));
}

static void t_config_access(void **state)
{
	struct ipsecha_vfio *dev;
	uint8_t b[4];

	(void)state;
	dev = open_ok(BDF, IPSECHA_VFIO_MODE_AUTO);
	assert_int_equal(ipsecha_vfio_config_read(dev, 0, b, 4), 0);
	assert_memory_equal(b, "\xf4\x1a\x10\x11", 4);
	assert_int_equal(ipsecha_vfio_config_read(dev, 4094, b, 4), -EINVAL);
	assert_int_equal(ipsecha_vfio_config_read(dev, 5000, b, 1), -EINVAL);
	assert_int_equal(ipsecha_vfio_config_read(dev, 0, NULL, 1), -EINVAL);
	assert_int_equal(ipsecha_vfio_bus_master(dev, false), 0);
	assert_int_equal(fk.dev[0].config[4] & 0x4, 0);
	assert_int_equal(ipsecha_vfio_bus_master(dev, true), 0);
	assert_int_equal(fk.dev[0].config[4] & 0x4, 0x4);
	ipsecha_vfio_close(dev);
}

static void t_reset(void **state)
{
	struct ipsecha_vfio *dev;

	(void)state;
	dev = open_ok(BDF, IPSECHA_VFIO_MODE_AUTO);
	assert_int_equal(ipsecha_vfio_reset(dev), -ENOTSUP);
	assert_int_equal(fk.dev[0].resets, 0);
	ipsecha_vfio_close(dev);

	fk.dev[0].vfio_flags |= VFIO_DEVICE_FLAGS_RESET;
	dev = open_ok(BDF, IPSECHA_VFIO_MODE_AUTO);
	assert_true(ipsecha_vfio_get_info(dev)->can_reset);
	assert_int_equal(ipsecha_vfio_reset(dev), 0);
	assert_int_equal(fk.dev[0].resets, 1);
	assert_int_equal(fk.dev[0].config[4] & 0x6, 0x6); /* bus master restored */
	fk.fail_ioctl_req = VFIO_DEVICE_RESET;
	fk.fail_ioctl_errno = EAGAIN;
	assert_int_equal(ipsecha_vfio_reset(dev), -EAGAIN);
	fk.fail_ioctl_req = 0;
	ipsecha_vfio_close(dev);
	assert_true(fk_clean(&fk));
	assert_int_equal(ipsecha_vfio_reset(NULL), -EINVAL);
}

static void t_irqs(void **state)
{
	struct ipsecha_vfio *dev;
	uint64_t one = 1;
	int fd;

	(void)state;
	dev = open_ok(BDF, IPSECHA_VFIO_MODE_AUTO);
	assert_int_equal(ipsecha_vfio_irq_fd(dev, 0), -EINVAL); /* not enabled */
	assert_int_equal(ipsecha_vfio_irq_wait(dev, 0, 0), -EINVAL);
	assert_int_equal(ipsecha_vfio_irq_enable(dev, 3), -ENOTSUP); /* 2 vectors */
	assert_int_equal(ipsecha_vfio_irq_enable(dev, 0), -EINVAL);
	assert_int_equal(ipsecha_vfio_irq_enable(dev, 2), 0);
	assert_int_equal(ipsecha_vfio_irq_enable(dev, 2), -EALREADY);
	assert_int_equal(fk.dev[0].irq_count, 2);
	fd = ipsecha_vfio_irq_fd(dev, 1);
	assert_int_equal(fd, fk.dev[0].irq_fds[1]);
	assert_int_equal(ipsecha_vfio_irq_wait(dev, 1, 0), -ETIMEDOUT);
	/* the kernel signals vector 1 three times */
	for (int i = 0; i < 3; i++)
		assert_int_equal(write(fk.dev[0].irq_fds[1], &one, 8), 8);
	assert_int_equal(ipsecha_vfio_irq_wait(dev, 1, 1000), 3);
	assert_int_equal(ipsecha_vfio_irq_wait(dev, 1, 0), -ETIMEDOUT);
	assert_int_equal(ipsecha_vfio_irq_wait(dev, 0, 0), -ETIMEDOUT);
	assert_int_equal(ipsecha_vfio_irq_disable(dev), 0);
	assert_int_equal(fk.dev[0].irq_count, 0);
	assert_int_equal(fk.live_eventfds, 0);
	assert_int_equal(ipsecha_vfio_irq_disable(dev), 0); /* idempotent */
	/* close with interrupts enabled tears them down */
	assert_int_equal(ipsecha_vfio_irq_enable(dev, 1), 0);
	ipsecha_vfio_close(dev);
	assert_true(fk_clean(&fk));
}

static void t_irq_failures(void **state)
{
	struct ipsecha_vfio *dev;

	(void)state;
	dev = open_ok(BDF, IPSECHA_VFIO_MODE_AUTO);
	fk.fail_eventfd_errno = EMFILE;
	assert_int_equal(ipsecha_vfio_irq_enable(dev, 2), -EMFILE);
	assert_int_equal(fk.live_eventfds, 0);
	fk.fail_eventfd_errno = 0;
	fk.fail_ioctl_req = VFIO_DEVICE_SET_IRQS;
	fk.fail_ioctl_errno = EINVAL;
	assert_int_equal(ipsecha_vfio_irq_enable(dev, 2), -EINVAL);
	assert_int_equal(fk.live_eventfds, 0);
	assert_int_equal(ipsecha_vfio_irq_fd(dev, 0), -EINVAL);
	fk.fail_ioctl_req = 0;
	/* the second eventfd fails: the first is closed again */
	fk.fail_at = fk.calls + 2;
	fk.fail_errno = ENFILE;
	assert_int_equal(ipsecha_vfio_irq_enable(dev, 2), -ENFILE);
	assert_int_equal(fk.live_eventfds, 0);
	fk.fail_at = 0;
	assert_int_equal(ipsecha_vfio_irq_enable(dev, 2), 0);
	ipsecha_vfio_close(dev);
	assert_true(fk_clean(&fk));
}

static void dma_cases(enum ipsecha_vfio_mode mode)
{
	struct ipsecha_vfio *dev;
	void *buf = mmap(NULL, 8 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t a, b, c;

	assert_true(buf != MAP_FAILED);
	dev = open_ok(BDF, mode);
	assert_int_equal(ipsecha_vfio_dma_map(dev, (char *)buf + 1, 4096, &a), -EINVAL);
	assert_int_equal(ipsecha_vfio_dma_map(dev, buf, 100, &a), -EINVAL);
	assert_int_equal(ipsecha_vfio_dma_map(dev, buf, 0, &a), -EINVAL);
	assert_int_equal(ipsecha_vfio_dma_map(dev, buf, 4096, NULL), -EINVAL);
	assert_int_equal(ipsecha_vfio_dma_map(dev, buf, 2 * 4096, &a), 0);
	assert_int_equal(ipsecha_vfio_dma_map(dev, (char *)buf + 2 * 4096, 4096, &b), 0);
	assert_int_equal(fk.live_dma, 2);
	assert_true(a != b);
	assert_true(b >= a + 2 * 4096 || a >= b + 4096); /* disjoint */
	assert_int_equal(a & 4095, 0);
	assert_true(a >= 1 << 20); /* never IOVA 0 or the low MiB */
	assert_int_equal(ipsecha_vfio_dma_unmap(dev, a, 4096), -ENOENT); /* wrong length */
	assert_int_equal(ipsecha_vfio_dma_unmap(dev, a, 2 * 4096), 0);
	assert_int_equal(ipsecha_vfio_dma_unmap(dev, a, 2 * 4096), -ENOENT);
	assert_int_equal(fk.live_dma, 1);
	/* a kernel refusal records nothing */
	fk.fail_ioctl_req = mode == IPSECHA_VFIO_MODE_CDEV ? IOMMU_IOAS_MAP : VFIO_IOMMU_MAP_DMA;
	fk.fail_ioctl_errno = EFAULT;
	assert_int_equal(ipsecha_vfio_dma_map(dev, buf, 4096, &c), -EFAULT);
	fk.fail_ioctl_req = 0;
	assert_int_equal(fk.live_dma, 1);
	/* many mappings: the record grows */
	for (int i = 0; i < 12; i++)
		assert_int_equal(ipsecha_vfio_dma_map(dev, (char *)buf + (i % 8) * 4096, 4096, &c), 0);
	assert_int_equal(fk.live_dma, 13);
	/* close unmaps everything */
	ipsecha_vfio_close(dev);
	assert_int_equal(fk.live_dma, 0);
	assert_true(fk_clean(&fk));
	munmap(buf, 8 * 4096);
}

static void t_dma_legacy(void **state)
{
	(void)state;
	dma_cases(IPSECHA_VFIO_MODE_LEGACY);
}

static void t_dma_legacy_avoids_msi_window(void **state)
{
	struct ipsecha_vfio *dev;
	void *buf = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t iova = 0;

	(void)state;
	assert_true(buf != MAP_FAILED);
	dev = open_ok(BDF, IPSECHA_VFIO_MODE_LEGACY);
	/* Fill the low range up to the MSI window: ~4078 MiB in 1 MiB maps
	 * would be slow; map the same buffer at successive IOVAs instead
	 * until one lands above the window. */
	for (int i = 0; i < 5000 && iova < 0xfee00000; i++) {
		assert_int_equal(ipsecha_vfio_dma_map(dev, buf, 1 << 20, &iova), 0);
		assert_false(iova < 0xfef00000 && iova + (1 << 20) > 0xfee00000);
		if (fk.live_dma >= FK_MAX_DMA - 1)
			while (fk.live_dma > 1) {
				/* unmap all but the newest to keep the fake's table small */
				for (int j = 0; j < FK_MAX_DMA; j++)
					if (fk.dma[j].used && fk.dma[j].iova != iova) {
						assert_int_equal(ipsecha_vfio_dma_unmap(dev, fk.dma[j].iova,
											fk.dma[j].len), 0);
						break;
					}
			}
	}
	assert_true(iova >= 0xfef00000);
	ipsecha_vfio_close(dev);
	assert_true(fk_clean(&fk));
	munmap(buf, 1 << 20);
}

static void t_dma_legacy_no_iova_cap(void **state)
{
	(void)state;
	fk.iova_cap = false;
	dma_cases(IPSECHA_VFIO_MODE_LEGACY);
}

static void t_dma_cdev(void **state)
{
	(void)state;
	dma_cases(IPSECHA_VFIO_MODE_CDEV);
}

/* A child that inherited the handle across fork() and closes it must not
 * change the device (the descriptors are the parent's too). */
static void fork_close(enum ipsecha_vfio_mode mode)
{
	struct ipsecha_vfio *dev;
	void *buf = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t iova;
	int status = -1;
	pid_t pid;

	dev = open_ok(BDF, mode);
	assert_int_equal(ipsecha_vfio_irq_enable(dev, 2), 0);
	assert_int_equal(ipsecha_vfio_dma_map(dev, buf, 4096, &iova), 0);
	pid = fork();
	if (pid == 0) {
		long before = fk.nioctl;

		/* no SET_IRQS(NONE), no unmap, no IOAS destroy from the child:
		 * its descriptors are the parent's (the fake cannot share file
		 * references, so count the ioctls instead of looking at state) */
		ipsecha_vfio_close(dev);
		_exit(fk.nioctl == before && fk.live_eventfds == 0 ? 0 : 1);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* the opener's close does everything */
	ipsecha_vfio_close(dev);
	assert_true(fk_clean(&fk));
	munmap(buf, 4096);
}

static void t_fork_close_legacy(void **state)
{
	(void)state;
	fork_close(IPSECHA_VFIO_MODE_LEGACY);
}

static void t_fork_close_cdev(void **state)
{
	(void)state;
	fork_close(IPSECHA_VFIO_MODE_CDEV);
}

/* ---- fault sweep ------------------------------------------------------------------ */

/* Fail each system call of a successful open in turn: every outcome must be
 * either a clean failure (negative errno, a cause, a message, nothing left
 * behind) or a success that still works; never a crash or a leak. */
static void sweep(enum ipsecha_vfio_mode mode)
{
	IPSECHA_VFIO_OPTS(o, .sys = &fk.sys, .mode = mode, .irq_vectors = 2,
			  .check_identity = check_id);
	struct ipsecha_vfio *dev;
	struct ipsecha_vfio_diag d;
	long total;
	int fails = 0;

	fk.calls = 0;
	assert_int_equal(ipsecha_vfio_open(BDF, &o, &dev, &d), 0);
	ipsecha_vfio_close(dev);
	total = fk.calls;
	assert_true(total > 10);
	for (long k = 1; k <= total; k++) {
		int r;

		fk.calls = 0;
		fk.fail_at = k;
		fk.fail_errno = EIO;
		r = ipsecha_vfio_open(BDF, &o, &dev, &d);
		fk.fail_at = 0;
		if (r == 0) {
			/* tolerated failure (e.g. optional reads): still usable */
			assert_non_null(ipsecha_vfio_card_bar(dev, NULL));
			ipsecha_vfio_close(dev);
		} else {
			fails++;
			assert_true(r < 0);
			assert_int_equal(d.err, r);
			assert_true(d.cause != IPSECHA_VFIO_OK);
			assert_true(d.msg[0] != 0);
			assert_null(dev);
		}
		if (!fk_clean(&fk))
			print_error("leak after failing call %ld of %ld\n", k, total);
		assert_true(fk_clean(&fk));
	}
	assert_true(fails > total / 2);
	print_message("fault sweep (%s): %ld calls, %d clean failures, %ld tolerated\n",
		      ipsecha_vfio_mode_name(mode), total, fails, total - fails);
}

static void t_sweep_legacy(void **state)
{
	(void)state;
	sweep(IPSECHA_VFIO_MODE_LEGACY);
}

static void t_sweep_cdev(void **state)
{
	(void)state;
	sweep(IPSECHA_VFIO_MODE_CDEV);
}


/* ---- the card-ABI identity check ---------------------------------------------- */

static void t_card_identity(void **state)
{
	static const unsigned want12[2] = { 1, 2 };
	static struct {
		uint32_t magic, state, bar_size;
		uint16_t major, minor;
		size_t len;
		const unsigned *want;
		int expect;
		const char *needle;
	} cases[] = {
		{ ICA_MAGIC, ICA_STATE_READY, ICA_BAR_SIZE, ICA_ABI_MAJOR, ICA_ABI_MINOR, ICA_BAR_SIZE, NULL, 0, NULL },
		{ ICA_MAGIC, ICA_STATE_READY, ICA_BAR_SIZE, ICA_ABI_MAJOR, ICA_ABI_MINOR + 3, ICA_BAR_SIZE, NULL, 0, NULL },
		{ 0, ICA_STATE_OFF, 0, 0, 0, ICA_BAR_SIZE, NULL, -EPROTO, "magic 0x00000000" },
		{ 0xdeadbeef, ICA_STATE_READY, ICA_BAR_SIZE, 1, 0, ICA_BAR_SIZE, NULL, -EPROTO, "0xdeadbeef" },
		{ 0, ICA_STATE_BOOTING, 0, 0, 0, ICA_BAR_SIZE, NULL, 0, NULL }, /* libipsecha waits */
		{ ICA_MAGIC, ICA_STATE_READY, ICA_BAR_SIZE, ICA_ABI_MAJOR + 1, 0, ICA_BAR_SIZE, NULL, -EPROTONOSUPPORT, "card ABI 2.0" },
		{ ICA_MAGIC, ICA_STATE_READY, ICA_BAR_SIZE, 1, 0, ICA_BAR_SIZE, NULL, -EPROTONOSUPPORT, "minor >= 2" },
		{ ICA_MAGIC, ICA_STATE_READY, ICA_BAR_SIZE, 1, 3, ICA_BAR_SIZE, NULL, 0, NULL },
		{ ICA_MAGIC, ICA_STATE_READY, ICA_BAR_SIZE, ICA_ABI_MAJOR, ICA_ABI_MINOR, 65536, NULL, -ENOSPC, "1048576-byte BAR" },
		{ ICA_MAGIC, ICA_STATE_READY, ICA_BAR_SIZE, ICA_ABI_MAJOR, ICA_ABI_MINOR, 128, NULL, -EPROTO, "128 bytes" },
	};
	struct ica_id *id = aligned_alloc(4096, ICA_BAR_SIZE);

	(void)state;
	assert_non_null(id);
	static char next_major[32];

	snprintf(next_major, sizeof(next_major), "card ABI %u.0", ICA_ABI_MAJOR + 1);
	cases[5].needle = next_major;
	cases[6].want = cases[7].want = want12;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char msg[200] = "";
		int r;

		memset(id, 0, sizeof(*id));
		id->magic = cases[i].magic;
		id->state = cases[i].state;
		id->bar_size = cases[i].bar_size;
		id->abi_major = cases[i].major;
		id->abi_minor = cases[i].minor;
		r = ipsecha_vfio_check_card_identity(id, cases[i].len, (void *)cases[i].want,
						     msg, sizeof(msg));
		if (r != cases[i].expect || (cases[i].needle && !strstr(msg, cases[i].needle)))
			print_error("case %zu: got %d \"%s\"\n", i, r, msg);
		assert_int_equal(r, cases[i].expect);
		if (cases[i].needle)
			assert_non_null(strstr(msg, cases[i].needle));
	}
	assert_int_equal(ipsecha_vfio_check_card_identity(NULL, 0, NULL, (char[8]){0}, 8), -EPROTO);
	free(id);
}

/* ---- the libipsecha vfio: backend, over the fake kernel ----------------------------- */

static int setup_backend(void **state)
{
	struct ica_id *id;

	(void)state;
	fk_init_ivshmem(&fk, ICA_BAR_SIZE, false);
	fk_finalize(&fk);
	id = (struct ica_id *)fk.dev[0].r[2].mem;
	id->magic = ICA_MAGIC;
	id->abi_major = ICA_ABI_MAJOR;
	id->abi_minor = ICA_ABI_MINOR;
	id->bar_size = ICA_BAR_SIZE;
	id->state = ICA_STATE_READY;
	fk.dev[0].r[0].mem[IPSECHA_IVSHMEM_REG_IVPOSITION] = 4;
	ipsecha_vfio_backend_set_sys(&fk.sys);
	setenv("IPSECHA_VFIO_QUIET", "1", 1);
	unsetenv("IPSECHA_VFIO_MODE");
	return 0;
}

static int teardown_backend(void **state)
{
	ipsecha_vfio_backend_set_sys(NULL);
	unsetenv("IPSECHA_VFIO_MODE");
	return teardown(state);
}

static void t_backend_ops(void **state)
{
	struct hl_dev *dev = NULL;
	uint64_t one = 1;

	(void)state;
	assert_string_equal(hl_backend_vfio.scheme, "vfio");
	assert_int_equal(hl_backend_vfio.open(BDF, 1000, &dev), 0);
	assert_int_equal(ipsecha_vfio_backend_diag()->cause, IPSECHA_VFIO_OK);
	assert_ptr_equal(dev->bar, fk.dev[0].r[2].mem);
	assert_int_equal(dev->bar_size, ICA_BAR_SIZE);
	assert_int_equal(dev->peer_id, 4);
	assert_ptr_equal(dev->ops, &hl_backend_vfio);
	/* both vectors wired */
	assert_int_equal(fk.dev[0].irq_count, ICA_NUM_VECTORS);
	assert_int_equal(hl_backend_vfio.irq_fd(dev, ICA_VEC_EVENT), fk.dev[0].irq_fds[1]);
	assert_int_equal(hl_backend_vfio.irq_fd(dev, 2), -EINVAL);
	/* doorbell: card peer 0, vector 0 -> Doorbell register */
	assert_int_equal(hl_backend_vfio.doorbell(dev, 0, ICA_VEC_DOORBELL), 0);
	assert_int_equal(*(uint32_t *)(fk.dev[0].r[0].mem + IPSECHA_IVSHMEM_REG_DOORBELL), 0);
	assert_int_equal(hl_backend_vfio.doorbell(dev, 3, 1), 0);
	assert_int_equal(*(uint32_t *)(fk.dev[0].r[0].mem + IPSECHA_IVSHMEM_REG_DOORBELL), 0x30001);
	assert_int_equal(hl_backend_vfio.doorbell(dev, 0x10000, 0), -EINVAL);
	/* wait: timeout, then an interrupt */
	assert_int_equal(hl_backend_vfio.wait(dev, ICA_VEC_COMPLETION, 0), 0);
	assert_int_equal(write(fk.dev[0].irq_fds[0], &one, 8), 8);
	assert_int_equal(hl_backend_vfio.wait(dev, ICA_VEC_COMPLETION, 1000), 1);
	assert_int_equal(hl_backend_vfio.wait(dev, ICA_VEC_COMPLETION, 0), 0);
	assert_int_equal(hl_backend_vfio.wait(dev, 7, 0), -EINVAL);
	hl_backend_vfio.close(dev);
	hl_backend_vfio.close(NULL);
	assert_true(fk_clean(&fk));
}

static void t_backend_shared(void **state)
{
	struct hl_dev *a = NULL, *b = NULL, *c = NULL;
	char key[64];

	(void)state;
	assert_int_equal(ipsecha_vfio_canonical_addr("00:03.0", key, sizeof(key)), 0);
	assert_string_equal(key, BDF);
	assert_int_equal(ipsecha_vfio_canonical_addr("/dev/vfio/devices/vfio3", key, sizeof(key)), 0);
	assert_string_equal(key, "/dev/vfio/devices/vfio3");
	assert_int_equal(ipsecha_vfio_canonical_addr("00:03", key, sizeof(key)), -EINVAL);
	assert_int_equal(ipsecha_vfio_canonical_addr(BDF, key, 5), -ENAMETOOLONG);
	/* three handles, one VFIO device: the kernel sees one open */
	assert_int_equal(hl_backend_vfio.open(BDF, 1000, &a), 0);
	assert_int_equal(hl_backend_vfio.open("00:03.0", 1000, &b), 0);
	assert_int_equal(hl_backend_vfio.open(BDF "?mode=legacy", 1000, &c), 0);
	assert_ptr_equal(a->bar, b->bar);
	assert_ptr_equal(a->bar, c->bar);
	assert_int_equal(b->peer_id, 4);
	assert_int_equal(fk.dev[0].opened, 1);
	assert_int_equal(fk.live_eventfds, ICA_NUM_VECTORS);
	assert_int_equal(hl_backend_vfio.irq_fd(a, 0), hl_backend_vfio.irq_fd(c, 0));
	hl_backend_vfio.close(a);
	hl_backend_vfio.close(c);
	assert_false(fk_clean(&fk));
	assert_int_equal(hl_backend_vfio.doorbell(b, 0, 1), 0);
	hl_backend_vfio.close(b);
	assert_true(fk_clean(&fk));
	/* and a fresh open after the last close opens the device again */
	assert_int_equal(hl_backend_vfio.open(BDF, 1000, &a), 0);
	assert_int_equal(fk.dev[0].opened, 1);
	hl_backend_vfio.close(a);
	assert_true(fk_clean(&fk));
}

static void backend_fail(const char *arg, int err, enum ipsecha_vfio_cause cause,
			 const char *needle)
{
	struct hl_dev *dev = NULL;
	int r = hl_backend_vfio.open(arg, 1000, &dev);
	const struct ipsecha_vfio_diag *d = ipsecha_vfio_backend_diag();

	if (r != err || d->cause != cause || !strstr(d->msg, needle))
		print_error("%s: got %d %s \"%s\"\n", arg, r, ipsecha_vfio_cause_name(d->cause), d->msg);
	assert_int_equal(r, err);
	assert_int_equal(d->cause, cause);
	assert_non_null(strstr(d->msg, needle));
	assert_null(dev);
	assert_true(fk_clean(&fk));
}

static void t_backend_errors(void **state)
{
	struct ica_id *id = (struct ica_id *)fk.dev[0].r[2].mem;

	(void)state;
	backend_fail("", -EINVAL, IPSECHA_VFIO_E_ADDRESS, "vfio:DDDD");
	backend_fail(BDF "?mode=turbo", -EINVAL, IPSECHA_VFIO_E_ADDRESS, "mode=");
	backend_fail(BDF "?fast", -EINVAL, IPSECHA_VFIO_E_ADDRESS, "mode=");
	backend_fail("0000:00:09.0", -ENOENT, IPSECHA_VFIO_E_NO_DEVICE, "no such PCI device");
	/* cdev forced by URI, and by the environment, on a kernel without it */
	backend_fail(BDF "?mode=cdev", -ENOENT, IPSECHA_VFIO_E_NO_CDEV, "CONFIG_VFIO_DEVICE_CDEV");
	setenv("IPSECHA_VFIO_MODE", "iommufd", 1);
	backend_fail(BDF, -ENOENT, IPSECHA_VFIO_E_NO_CDEV, "Linux 6.6+");
	setenv("IPSECHA_VFIO_MODE", "bogus", 1);
	backend_fail(BDF, -EINVAL, IPSECHA_VFIO_E_ADDRESS, "IPSECHA_VFIO_MODE");
	unsetenv("IPSECHA_VFIO_MODE");
	/* the URI's mode wins over the environment */
	setenv("IPSECHA_VFIO_MODE", "cdev", 1);
	{
		struct hl_dev *dev;

		assert_int_equal(hl_backend_vfio.open(BDF "?mode=legacy", 1000, &dev), 0);
		hl_backend_vfio.close(dev);
	}
	unsetenv("IPSECHA_VFIO_MODE");
	/* identity: absent -> -ENODEV, other ABI -> -EPROTO (ipsecha.h meanings) */
	id->abi_major = ICA_ABI_MAJOR + 1;
	{
		char next_major[32];

		snprintf(next_major, sizeof(next_major), "card ABI %u.0", ICA_ABI_MAJOR + 1);
		backend_fail(BDF, -EPROTO, IPSECHA_VFIO_E_IDENTITY_VERSION, next_major);
	}
	id->abi_major = ICA_ABI_MAJOR;
	id->magic = 0;
	backend_fail(BDF, -ENODEV, IPSECHA_VFIO_E_IDENTITY_ABSENT, "ipsecha-card-sim");
	id->magic = ICA_MAGIC;
	id->bar_size = 2 * ICA_BAR_SIZE;
	backend_fail(BDF, -ENODEV, IPSECHA_VFIO_E_BAR_TOO_SMALL, "2097152-byte BAR");
	id->bar_size = ICA_BAR_SIZE;
	/* wrong driver -> -EBUSY with the driver named */
	fk.dev[0].driver = "ivshmem_net";
	backend_fail(BDF, -EBUSY, IPSECHA_VFIO_E_OTHER_DRIVER, "ivshmem_net");
	fk.dev[0].driver = "vfio-pci";
	/* ivshmem-plain: no MSI-X */
	fk.dev[0].msix = 0;
	backend_fail(BDF, -ENOTSUP, IPSECHA_VFIO_E_NO_MSIX, "vectors=N");
	fk.dev[0].msix = 2;
	/* SET_IRQS refused after a good open: everything released */
	fk.fail_ioctl_req = VFIO_DEVICE_SET_IRQS;
	fk.fail_ioctl_errno = EINVAL;
	backend_fail(BDF, -EINVAL, IPSECHA_VFIO_E_SYSCALL, "MSI-X");
	fk.fail_ioctl_req = 0;
}

/* ---- the card itself (1234:6311), driven through libipsecha ---------------------
 *
 * No ivshmem here: BAR0 is the card window and nothing but MMIO reaches the
 * card. A thread plays the card: the real firmware (host build) on the
 * fake engine, woken only when a doorbell register in BAR0 changes (what
 * the card's bus logic turns into its CPU's doorbell interrupt), and
 * signalling MSI-X by writing the eventfds the library routed. A library
 * that did not write the doorbell register would time out. */
static struct fw board_fw;
static struct fake_engine board_eng;
static volatile int board_stop;
static unsigned long board_wakes;
static pthread_t board_thread;
static int board_running;

static void board_irq(void *ctx, uint32_t peer, uint32_t vec)
{
	uint64_t one = 1;

	(void)ctx;
	(void)peer; /* one host per function: the vector is the interrupt */
	if (vec < fk.dev[0].irq_count && write(fk.dev[0].irq_fds[vec], &one, 8) != 8)
		board_stop = 2;
}

static void *board_run(void *arg)
{
	const uint8_t *bar = arg;
	uint32_t seen[ICA_NUM_QUEUES] = { 0 }, q, v;

	while (!board_stop) {
		int rung = 0;

		for (q = 0; q < ICA_NUM_QUEUES; q++) {
			v = __atomic_load_n((const uint32_t *)(const void *)
					    (bar + ICA_DB_OFF + q * ICA_DB_STRIDE), __ATOMIC_ACQUIRE);
			if (v != seen[q]) {
				seen[q] = v;
				rung = 1;
			}
		}
		if (rung) {
			board_wakes++;
			fw_doorbell(&board_fw);
			while (fw_poll(&board_fw))
				;
		}
		usleep(50);
	}
	return NULL;
}

static int setup_card_board(void **state)
{
	struct fw_platform p = { .rd32 = fe_rd32, .wr32 = fe_wr32, .bus_ctx = &board_eng,
				 .irq = board_irq, .bar_size = ICA_BAR_SIZE, .fw_build_id = 0xb0a4d };

	(void)state;
	fk_init_ivshmem(&fk, 0, false);
	fk.dev[0].vendor = ICA_PCI_VENDOR_ID;
	fk.dev[0].device = ICA_PCI_DEVICE_ID;
	fk.dev[0].config[0] = ICA_PCI_VENDOR_ID & 0xff;
	fk.dev[0].config[1] = ICA_PCI_VENDOR_ID >> 8;
	fk.dev[0].config[2] = ICA_PCI_DEVICE_ID & 0xff;
	fk.dev[0].config[3] = ICA_PCI_DEVICE_ID >> 8;
	fk.dev[0].r[ICA_PCI_BAR].size = ICA_BAR_SIZE;
	fk.dev[0].r[2].size = 0;
	fk.dev[0].r[2].flags = 0;
	fk_finalize(&fk);
	fe_init(&board_eng, 256, 64, 64);
	p.bar = fk.dev[0].r[ICA_PCI_BAR].mem;
	if (fw_init(&board_fw, &p) != ICA_ST_OK)
		return -1;
	ipsecha_vfio_backend_set_sys(&fk.sys);
	setenv("IPSECHA_VFIO_QUIET", "1", 1);
	unsetenv("IPSECHA_VFIO_MODE");
	board_stop = 0;
	board_wakes = 0;
	return 0;
}

static void t_card_board(void **state)
{
	IPSECHA_OPTS(ipsecha_open_opts, o, .timeout_ms = 3000, .spin_us = 1);
	const struct ica_ctrl *ctrl = (const struct ica_ctrl *)(const void *)
		(fk.dev[0].r[ICA_PCI_BAR].mem + ICA_CTRL_OFF);
	struct ipsecha_sa sa = { .group = 3, .hard_limit = 100 };
	struct ipsecha_dp_result r[3];
	struct ipsecha_slot_state st;
	struct ipsecha_info info;
	struct ipsecha_stats stats;
	struct ipsecha_event ev[4];
	struct ipsecha *h = NULL;
	struct pollfd pfd;
	uint64_t epoch;
	uint32_t ok = 0;
	size_t n = 0;

	(void)state;
	assert_int_equal(pthread_create(&board_thread, NULL, board_run,
				       fk.dev[0].r[ICA_PCI_BAR].mem), 0);
	board_running = 1;
	assert_int_equal(ipsecha_open("vfio:" BDF, &o, &h), 0);
	assert_int_equal(ipsecha_identify(h, &info), 0);
	assert_string_equal(info.backend, "vfio");
	assert_int_equal(info.peer_id, 0);
	assert_int_equal(info.fw_build_id, 0xb0a4d);
	assert_int_equal(info.num_sa, 256);
	assert_int_equal(ipsecha_slot_install(h, 7, &sa, NULL), 0);
	assert_int_equal(ipsecha_dp_tx(h, 7, 3, r, &ok), 0);
	assert_int_equal(ok, 3);
	assert_int_equal(r[2].seq, 3);
	assert_int_equal(ipsecha_group_tx_add(h, 3, 10, 0, &epoch), 0);
	assert_int_equal(epoch, 1);
	assert_int_equal(ipsecha_slot_read(h, 7, &st), 0);
	assert_int_equal(st.value, 13);
	/* The event interrupt (MSI-X 1) reaches the event fd. */
	pfd = (struct pollfd){ ipsecha_event_fd(h), POLLIN, 0 };
	assert_int_equal(ipsecha_event_drain(h, ev, 4, &n, NULL), 0);
	assert_int_equal(ipsecha_group_tx_add(h, 3, 1000, 0, NULL), -EOVERFLOW);
	assert_int_equal(poll(&pfd, 1, 2000), 1);
	assert_int_equal(ipsecha_event_drain(h, ev, 4, &n, NULL), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ev[0].type, IPSECHA_EV_OVERFLOW);
	/* Completions arrived as MSI-X 0 wake-ups, every command by a
	 * doorbell register write (the card counted one per wake-up). */
	assert_int_equal(ipsecha_stats(h, &stats), 0);
	assert_true(stats.irq_wakeups > 0);
	assert_true(board_wakes > 0 && board_wakes <= stats.doorbells);
	assert_int_equal(ctrl->doorbells, board_wakes);
	assert_int_equal(ipsecha_slot_remove(h, 7, NULL), 0);
	ipsecha_close(h);
	board_stop = 1;
	pthread_join(board_thread, NULL);
	board_running = 0;
	assert_int_equal(board_stop, 1);
	assert_true(fk_clean(&fk));
}

/* Also after a failed assertion: the card thread must not outlive the BAR. */
static int teardown_card_board(void **state)
{
	if (board_running) {
		board_stop = 1;
		pthread_join(board_thread, NULL);
		board_running = 0;
	}
	return teardown_backend(state);
}

#define L(f) cmocka_unit_test_setup_teardown(f, setup_legacy, teardown)
#define B(f) cmocka_unit_test_setup_teardown(f, setup_backend, teardown_backend)
#define C(f) cmocka_unit_test_setup_teardown(f, setup_cdev, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		L(t_bad_addresses), L(t_short_bdf_accepted), L(t_opts_versioning),
		cmocka_unit_test(t_mode_names),
		L(t_no_device), L(t_sysfs_perm), L(t_unknown_device), L(t_no_iommu_group), L(t_not_bound),
		L(t_other_driver), L(t_variant_driver_accepted),
		L(t_no_vfio_node), L(t_container_perm), L(t_api_version), L(t_no_type1),
		L(t_group_perm), L(t_group_busy), L(t_group_not_viable), L(t_group_status_fails),
		L(t_device_busy), L(t_device_fd_perm), L(t_set_iommu_fails),
		L(t_not_pci), L(t_config_ids_not_card), L(t_bar_missing), L(t_bar_too_small),
		L(t_bar_too_small_for_caller), L(t_bar_no_mmap), L(t_regs_bar_missing),
		L(t_regs_bar_no_mmap_falls_back), L(t_mmap_fails), L(t_identity_absent),
		L(t_identity_version), L(t_no_msix), L(t_bus_master_fails),
		L(t_cdev_forced_unavailable), C(t_cdev_no_iommufd),
		C(t_cdev_auto_falls_back_to_legacy), C(t_cdev_sysfs_only), C(t_cdev_perm), C(t_cdev_bind_busy),
		C(t_cdev_bind_unsupported), C(t_cdev_attach_fails), C(t_cdev_open_by_path),
		C(t_cdev_path_missing),
		L(t_legacy_open_close), C(t_cdev_open_close), L(t_not_ivshmem_register_calls),
		L(t_config_access), L(t_reset), L(t_irqs), L(t_irq_failures),
		L(t_dma_legacy), L(t_dma_legacy_avoids_msi_window), L(t_dma_legacy_no_iova_cap),
		C(t_dma_cdev), L(t_fork_close_legacy), C(t_fork_close_cdev),
		L(t_sweep_legacy), C(t_sweep_cdev),
		cmocka_unit_test(t_card_identity), B(t_backend_ops), B(t_backend_errors),
		B(t_backend_shared),
		cmocka_unit_test_setup_teardown(t_card_board, setup_card_board, teardown_card_board),
	};

	return cmocka_run_group_tests_name("vfio-unit", tests, NULL, NULL);
}
