/* vfio.c — userspace VFIO access to an ipsecha card (see ipsecha_vfio.h).
 *
 * Open sequence, legacy path (the order of the kernel's own documentation,
 * Documentation/driver-api/vfio.rst):
 *   sysfs checks -> /dev/vfio/vfio (API version, type1) -> /dev/vfio/<group>
 *   (viable?) -> GROUP_SET_CONTAINER -> SET_IOMMU -> GROUP_GET_DEVICE_FD
 * cdev path (vfio.rst "VFIO device cdev"; iommufd.rst):
 *   sysfs checks -> /dev/iommu -> /dev/vfio/devices/vfioN -> BIND_IOMMUFD
 *   -> IOMMU_IOAS_ALLOC -> ATTACH_IOMMUFD_PT
 * then, for both: DEVICE_GET_INFO -> config space IDs -> REGION_INFO + mmap
 * of the card BAR (and ivshmem registers) -> identity check -> MSI-X count
 * -> bus mastering.
 *
 * The sysfs checks come first so that a misconfigured host gets the precise
 * reason (IOMMU off, wrong driver, not bound) instead of a bare ENOENT from
 * the device nodes; every later kernel error is still mapped to a cause. */
#include "vfio_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#define SYSFS_PCI "/sys/bus/pci/devices"

/* The devices we drive. The ivshmem window must hold at least the card's
 * identity block and rings; 64 KiB is a floor well below any useful card. */
static const struct ipsecha_vfio_pci_id pci_ids[] = {
	{ ICA_PCI_VENDOR_ID, ICA_PCI_DEVICE_ID, IPSECHA_VFIO_KIND_CARD,
	  "ipsecha sequence-counter card", ICA_PCI_BAR, -1, 64 * 1024 },
	{ IPSECHA_IVSHMEM_VENDOR_ID, IPSECHA_IVSHMEM_DEVICE_ID, IPSECHA_VFIO_KIND_IVSHMEM,
	  "QEMU ivshmem (emulated ipsecha card)", 2, 0, 64 * 1024 },
};

/* ---- small helpers ------------------------------------------------------ */

static const char *const cause_names[] = {
	[IPSECHA_VFIO_OK] = "ok",
	[IPSECHA_VFIO_E_ADDRESS] = "bad-address",
	[IPSECHA_VFIO_E_NO_DEVICE] = "no-device",
	[IPSECHA_VFIO_E_UNKNOWN_DEVICE] = "unknown-device",
	[IPSECHA_VFIO_E_NOT_BOUND] = "not-bound",
	[IPSECHA_VFIO_E_OTHER_DRIVER] = "other-driver",
	[IPSECHA_VFIO_E_NO_IOMMU_GROUP] = "no-iommu-group",
	[IPSECHA_VFIO_E_NO_VFIO] = "no-vfio",
	[IPSECHA_VFIO_E_NO_CDEV] = "no-cdev",
	[IPSECHA_VFIO_E_VFIO_API] = "vfio-api",
	[IPSECHA_VFIO_E_PERM] = "permission",
	[IPSECHA_VFIO_E_GROUP_NOT_VIABLE] = "group-not-viable",
	[IPSECHA_VFIO_E_BUSY] = "busy",
	[IPSECHA_VFIO_E_NOT_PCI] = "not-pci",
	[IPSECHA_VFIO_E_BAR_MISSING] = "bar-missing",
	[IPSECHA_VFIO_E_BAR_TOO_SMALL] = "bar-too-small",
	[IPSECHA_VFIO_E_BAR_NO_MMAP] = "bar-no-mmap",
	[IPSECHA_VFIO_E_NO_MSIX] = "no-msix",
	[IPSECHA_VFIO_E_IDENTITY_ABSENT] = "identity-absent",
	[IPSECHA_VFIO_E_IDENTITY_VERSION] = "identity-version",
	[IPSECHA_VFIO_E_SYSCALL] = "syscall",
	[IPSECHA_VFIO_E_NOMEM] = "no-memory",
};

const char *ipsecha_vfio_cause_name(enum ipsecha_vfio_cause cause)
{
	if ((unsigned int)cause >= sizeof(cause_names) / sizeof(cause_names[0]) ||
	    !cause_names[cause])
		return "unknown";
	return cause_names[cause];
}

const char *ipsecha_vfio_mode_name(enum ipsecha_vfio_mode mode)
{
	switch (mode) {
	case IPSECHA_VFIO_MODE_AUTO: return "auto";
	case IPSECHA_VFIO_MODE_LEGACY: return "legacy";
	case IPSECHA_VFIO_MODE_CDEV: return "cdev";
	}
	return "unknown";
}

int ipsecha_vfio_mode_parse(const char *s, enum ipsecha_vfio_mode *mode)
{
	if (!s || !mode)
		return -EINVAL;
	if (!strcmp(s, "auto"))
		*mode = IPSECHA_VFIO_MODE_AUTO;
	else if (!strcmp(s, "legacy") || !strcmp(s, "group") || !strcmp(s, "type1"))
		*mode = IPSECHA_VFIO_MODE_LEGACY;
	else if (!strcmp(s, "cdev") || !strcmp(s, "iommufd"))
		*mode = IPSECHA_VFIO_MODE_CDEV;
	else
		return -EINVAL;
	return 0;
}

const struct ipsecha_vfio_pci_id *ipsecha_vfio_lookup_id(uint16_t vendor, uint16_t device)
{
	for (size_t i = 0; i < sizeof(pci_ids) / sizeof(pci_ids[0]); i++)
		if (pci_ids[i].vendor == vendor && pci_ids[i].device == device)
			return &pci_ids[i];
	return NULL;
}

__attribute__((format(printf, 4, 5)))
static int fail(struct ipsecha_vfio_diag *d, int err, enum ipsecha_vfio_cause cause,
		const char *fmt, ...)
{
	if (d) {
		va_list ap;

		d->err = err;
		d->cause = cause;
		va_start(ap, fmt);
		vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
		va_end(ap);
	}
	return err;
}

/* errno of a failed call, never 0 (a misbehaving shim must not turn a
 * failure into success). */
int vfio_neg_errno(void)
{
	return errno ? -errno : -EIO;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

/* strcpy that refuses to truncate. */
static int copy_str(char *dst, size_t len, const char *src)
{
	size_t n = strlen(src);

	if (n >= len)
		return -ENAMETOOLONG;
	memcpy(dst, src, n + 1);
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Parse exactly `n` hex digits at *s. */
static int hex_field(const char **s, int n, unsigned int *out)
{
	unsigned int v = 0;

	for (int i = 0; i < n; i++) {
		int h = hexval((*s)[i]);

		if (h < 0)
			return -1;
		v = v << 4 | (unsigned int)h;
	}
	*s += n;
	*out = v;
	return 0;
}

/* "[DDDD:]BB:DD.F" -> canonical "dddd:bb:dd.f". */
static int parse_bdf(const char *s, char out[16])
{
	unsigned int dom = 0, bus, slot, fn;
	const char *p = s;
	size_t len = strlen(s);

	if (len == 12) {
		if (hex_field(&p, 4, &dom) || *p++ != ':')
			return -EINVAL;
	} else if (len != 7) {
		return -EINVAL;
	}
	if (hex_field(&p, 2, &bus) || *p++ != ':' || hex_field(&p, 2, &slot) ||
	    *p++ != '.' || hex_field(&p, 1, &fn) || *p)
		return -EINVAL;
	if (slot > 0x1f || fn > 7)
		return -EINVAL;
	snprintf(out, 16, "%04x:%02x:%02x.%x", dom, bus, slot, fn);
	return 0;
}

/* "/dev/vfio/devices/vfioN" -> "vfioN". */
static int parse_cdev(const char *s, char name[32])
{
	static const char prefix[] = "/dev/vfio/devices/vfio";
	const char *num = s + sizeof(prefix) - 1;
	size_t n;

	if (strncmp(s, prefix, sizeof(prefix) - 1))
		return -EINVAL;
	n = strlen(num);
	if (n == 0 || n > 9 || strspn(num, "0123456789") != n)
		return -EINVAL;
	snprintf(name, 32, "vfio%s", num);
	return 0;
}

bool vfio_is_owner(const struct ipsecha_vfio *dev)
{
	return getpid() == dev->pid;
}

int ipsecha_vfio_canonical_addr(const char *addr, char *out, size_t len)
{
	char b[32];

	if (!addr || !out)
		return -EINVAL;
	if (addr[0] == '/') {
		if (parse_cdev(addr, b))
			return -EINVAL;
		return copy_str(out, len, addr);
	}
	if (parse_bdf(addr, b))
		return -EINVAL;
	return copy_str(out, len, b);
}

/* Read a small sysfs attribute into buf, newline stripped. */
static int read_attr(struct ipsecha_vfio *dev, const char *path, char *buf, size_t len)
{
	int fd = SYS(dev, open, path, O_RDONLY);
	ssize_t n;
	int err;

	if (fd < 0)
		return vfio_neg_errno();
	n = SYS(dev, pread, fd, buf, len - 1, 0);
	err = n < 0 ? vfio_neg_errno() : 0;
	SYS(dev, close, fd);
	if (err)
		return err;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

static int read_attr_hex16(struct ipsecha_vfio *dev, const char *path, uint16_t *out)
{
	char buf[32], *end;
	unsigned long v;
	int err = read_attr(dev, path, buf, sizeof(buf));

	if (err)
		return err;
	errno = 0;
	v = strtoul(buf, &end, 16);
	if (errno || *end || end == buf || v > 0xffff)
		return -EINVAL;
	*out = (uint16_t)v;
	return 0;
}

/* basename of a sysfs symlink's target, e.g. driver -> ".../vfio-pci". */
static int read_link_name(struct ipsecha_vfio *dev, const char *path, char *out, size_t len)
{
	char target[PATH_MAX];
	ssize_t n = SYS(dev, readlink, path, target, sizeof(target) - 1);

	if (n < 0)
		return vfio_neg_errno();
	target[n] = 0;
	return copy_str(out, len, base_name(target));
}

static bool is_vfio_driver(const char *drv)
{
	/* vfio-pci itself, or a vfio-pci variant driver (mlx5_vfio_pci, ...). */
	return !strcmp(drv, "vfio-pci") || strstr(drv, "vfio") != NULL;
}

static void region_release(struct ipsecha_vfio *dev)
{
	if (dev->card_map) {
		SYS(dev, munmap, dev->card_map, dev->card_map_len);
		dev->card_map = NULL;
	}
	if (dev->regs_map) {
		SYS(dev, munmap, dev->regs_map, dev->regs_map_len);
		dev->regs_map = NULL;
	}
}

static void close_fd(struct ipsecha_vfio *dev, int *fd)
{
	if (*fd >= 0) {
		SYS(dev, close, *fd);
		*fd = -1;
	}
}

/* Release in reverse acquisition order; safe on a half-built handle. */
static void release_all(struct ipsecha_vfio *dev)
{
	ipsecha_vfio_irq_disable(dev);
	while (dev->nmaps)
		ipsecha_vfio_dma_unmap(dev, dev->maps[dev->nmaps - 1].iova,
				       dev->maps[dev->nmaps - 1].len);
	free(dev->maps);
	dev->maps = NULL;
	dev->maps_cap = 0;
	region_release(dev);
	close_fd(dev, &dev->device_fd);
	if (dev->iommufd >= 0 && dev->ioas_id && vfio_is_owner(dev)) {
		struct iommu_destroy d = { .size = sizeof(d), .id = dev->ioas_id };

		SYS(dev, ioctl, dev->iommufd, IOMMU_DESTROY, &d);
		dev->ioas_id = 0;
	}
	close_fd(dev, &dev->iommufd);
	close_fd(dev, &dev->group_fd);
	close_fd(dev, &dev->container_fd);
}

/* ---- sysfs checks ------------------------------------------------------ */

struct target {
	char bdf[16];       /* "" when only a cdev path is known */
	char cdev_name[32]; /* "vfioN" or "" */
	uint16_t vendor, device;
	bool ids_known;
	int group;          /* -1 unknown */
};

/* Name the other members of an IOMMU group and their drivers, for the
 * "group not viable" message. */
static void describe_group(struct ipsecha_vfio *dev, int group, const char *self,
			   char *out, size_t len)
{
	char dir[96], names[2048], path[PATH_MAX], drv[64];
	const char *p;
	int n;
	size_t used = 0;

	out[0] = 0;
	snprintf(dir, sizeof(dir), "/sys/kernel/iommu_groups/%d/devices", group);
	n = SYS(dev, list_dir, dir, names, sizeof(names));
	for (p = names; n > 0; n--, p += strlen(p) + 1) {
		int w;

		if (!strcmp(p, self))
			continue;
		snprintf(path, sizeof(path), "%s/%s/driver", dir, p);
		if (read_link_name(dev, path, drv, sizeof(drv)))
			snprintf(drv, sizeof(drv), "no driver");
		if (is_vfio_driver(drv) || !strcmp(drv, "no driver") ||
		    !strcmp(drv, "pci-stub") || !strcmp(drv, "pcieport"))
			continue;
		w = snprintf(out + used, len - used, "%s%s is bound to %s",
			     used ? ", " : "", p, drv);
		if (w < 0 || (size_t)w >= len - used)
			break;
		used += (size_t)w;
	}
}

static int check_sysfs(struct ipsecha_vfio *dev, struct target *t,
		       struct ipsecha_vfio_diag *d)
{
	char path[PATH_MAX], drv[64];
	int err;

	snprintf(path, sizeof(path), SYSFS_PCI "/%s", t->bdf);
	if (SYS(dev, exists, path) != 0) {
		err = vfio_neg_errno();
		if (err == -EACCES || err == -EPERM)
			return fail(d, err, IPSECHA_VFIO_E_PERM, "%s: permission denied", path);
		if (err != -ENOENT && err != -ENOTDIR)
			return fail(d, err, IPSECHA_VFIO_E_SYSCALL, "%s: %s", path, strerror(-err));
		return fail(d, -ENODEV, IPSECHA_VFIO_E_NO_DEVICE,
			    "%s: no such PCI device (see lspci -D)", t->bdf);
	}

	snprintf(path, sizeof(path), SYSFS_PCI "/%s/vendor", t->bdf);
	if (!read_attr_hex16(dev, path, &t->vendor)) {
		snprintf(path, sizeof(path), SYSFS_PCI "/%s/device", t->bdf);
		t->ids_known = !read_attr_hex16(dev, path, &t->device);
	}
	if (t->ids_known && !ipsecha_vfio_lookup_id(t->vendor, t->device))
		return fail(d, -ENODEV, IPSECHA_VFIO_E_UNKNOWN_DEVICE,
			    "%s: %04x:%04x is not an ipsecha card (expected %04x:%04x, or "
			    "%04x:%04x for the emulated card); refusing to touch it",
			    t->bdf, t->vendor, t->device, ICA_PCI_VENDOR_ID,
			    ICA_PCI_DEVICE_ID, IPSECHA_IVSHMEM_VENDOR_ID,
			    IPSECHA_IVSHMEM_DEVICE_ID);

	/* Without an IOMMU group vfio-pci cannot bind at all, so this is the
	 * root cause whenever it applies: report it before the driver. */
	snprintf(path, sizeof(path), SYSFS_PCI "/%s/iommu_group", t->bdf);
	err = read_link_name(dev, path, drv, sizeof(drv));
	if (err == -ENOENT)
		return fail(d, -ENODEV, IPSECHA_VFIO_E_NO_IOMMU_GROUP,
			    "%s has no IOMMU group: the IOMMU is off; enable VT-d/AMD-Vi in "
			    "firmware and boot with intel_iommu=on (or amd_iommu=on)", t->bdf);
	if (err)
		return fail(d, err, IPSECHA_VFIO_E_SYSCALL, "%s: reading %s: %s",
			    t->bdf, path, strerror(-err));
	t->group = atoi(drv);

	snprintf(path, sizeof(path), SYSFS_PCI "/%s/driver", t->bdf);
	err = read_link_name(dev, path, drv, sizeof(drv));
	if (err == -ENOENT)
		return fail(d, -ENODEV, IPSECHA_VFIO_E_NOT_BOUND,
			    "%s is not bound to vfio-pci (no driver): echo vfio-pci > "
			    SYSFS_PCI "/%s/driver_override; echo %s > /sys/bus/pci/drivers_probe",
			    t->bdf, t->bdf, t->bdf);
	if (err)
		return fail(d, err, IPSECHA_VFIO_E_SYSCALL, "%s: reading %s: %s",
			    t->bdf, path, strerror(-err));
	if (!is_vfio_driver(drv))
		return fail(d, -EBUSY, IPSECHA_VFIO_E_OTHER_DRIVER,
			    "%s is bound to driver %s, not vfio-pci: echo %s > "
			    SYSFS_PCI "/%s/driver/unbind, then bind vfio-pci (docs/vfio.md)",
			    t->bdf, drv, t->bdf, t->bdf);
	return 0;
}

/* The cdev name of a BDF (from .../vfio-dev/), or -ENOENT. */
static int find_cdev(struct ipsecha_vfio *dev, struct target *t)
{
	char path[PATH_MAX], names[256];
	int n;

	snprintf(path, sizeof(path), SYSFS_PCI "/%s/vfio-dev", t->bdf);
	n = SYS(dev, list_dir, path, names, sizeof(names));
	if (n <= 0)
		return -ENOENT;
	if (strncmp(names, "vfio", 4) || strlen(names) >= sizeof(t->cdev_name))
		return -ENOENT;
	snprintf(t->cdev_name, sizeof(t->cdev_name), "%s", names);
	/* Linux 6.1-6.5 have the vfio-dev class in sysfs but no character
	 * device behind it. */
	snprintf(path, sizeof(path), "/dev/vfio/devices/%s", t->cdev_name);
	if (SYS(dev, exists, path) != 0)
		return -ENOENT;
	return 0;
}

/* ---- legacy path --------------------------------------------------------- */

static int open_legacy(struct ipsecha_vfio *dev, struct target *t,
		       struct ipsecha_vfio_diag *d)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	char path[64];
	int r, type;

	dev->container_fd = SYS(dev, open, "/dev/vfio/vfio", O_RDWR);
	if (dev->container_fd < 0) {
		int err = vfio_neg_errno();

		if (err == -EACCES || err == -EPERM)
			return fail(d, err, IPSECHA_VFIO_E_PERM,
				    "/dev/vfio/vfio: permission denied (run as root or grant "
				    "access, docs/vfio.md)");
		if (err == -ENOENT || err == -ENODEV || err == -ENXIO)
			return fail(d, err, IPSECHA_VFIO_E_NO_VFIO,
				    "/dev/vfio/vfio is missing: load the vfio modules "
				    "(modprobe vfio-pci)");
		return fail(d, err, IPSECHA_VFIO_E_SYSCALL, "open /dev/vfio/vfio: %s",
			    strerror(-err));
	}
	r = SYS(dev, ioctl, dev->container_fd, VFIO_GET_API_VERSION, NULL);
	if (r != VFIO_API_VERSION)
		return fail(d, -EPROTONOSUPPORT, IPSECHA_VFIO_E_VFIO_API,
			    "/dev/vfio/vfio speaks VFIO API %d, we need %d", r, VFIO_API_VERSION);
	if (SYS(dev, ioctl, dev->container_fd, VFIO_CHECK_EXTENSION,
		(void *)(uintptr_t)VFIO_TYPE1v2_IOMMU) > 0)
		type = VFIO_TYPE1v2_IOMMU;
	else if (SYS(dev, ioctl, dev->container_fd, VFIO_CHECK_EXTENSION,
		     (void *)(uintptr_t)VFIO_TYPE1_IOMMU) > 0)
		type = VFIO_TYPE1_IOMMU;
	else
		return fail(d, -EPROTONOSUPPORT, IPSECHA_VFIO_E_VFIO_API,
			    "the VFIO container offers no type1 IOMMU "
			    "(modprobe vfio_iommu_type1)");

	snprintf(path, sizeof(path), "/dev/vfio/%d", t->group);
	dev->group_fd = SYS(dev, open, path, O_RDWR);
	if (dev->group_fd < 0) {
		int err = vfio_neg_errno();

		if (err == -EACCES || err == -EPERM)
			return fail(d, err, IPSECHA_VFIO_E_PERM,
				    "%s: permission denied (IOMMU group of %s): run as root or "
				    "chown the group node to this user", path, t->bdf);
		if (err == -EBUSY)
			return fail(d, err, IPSECHA_VFIO_E_BUSY,
				    "%s: IOMMU group %d of %s is already open in another "
				    "process (a VM or another ipsecha client)", path, t->group, t->bdf);
		if (err == -ENOENT)
			return fail(d, err, IPSECHA_VFIO_E_NO_VFIO,
				    "%s is missing although %s is bound to vfio-pci",
				    path, t->bdf);
		return fail(d, err, IPSECHA_VFIO_E_SYSCALL, "open %s: %s", path,
			    strerror(-err));
	}
	snprintf(dev->info.path, sizeof(dev->info.path), "%s", path);
	if (SYS(dev, ioctl, dev->group_fd, VFIO_GROUP_GET_STATUS, &st) < 0) {
		int err = vfio_neg_errno();

		return fail(d, err, IPSECHA_VFIO_E_SYSCALL, "%s: GROUP_GET_STATUS: %s",
			    path, strerror(-err));
	}
	if (!(st.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		char who[200];

		describe_group(dev, t->group, t->bdf, who, sizeof(who));
		return fail(d, -EBUSY, IPSECHA_VFIO_E_GROUP_NOT_VIABLE,
			    "IOMMU group %d of %s is not viable: %s; bind every device of "
			    "the group to vfio-pci or unbind it", t->group, t->bdf,
			    who[0] ? who : "a member is bound to a host driver");
	}
	if (SYS(dev, ioctl, dev->group_fd, VFIO_GROUP_SET_CONTAINER, &dev->container_fd) < 0) {
		int err = vfio_neg_errno();

		return fail(d, err, err == -EBUSY ? IPSECHA_VFIO_E_BUSY : IPSECHA_VFIO_E_SYSCALL,
			    "%s: GROUP_SET_CONTAINER: %s", path, strerror(-err));
	}
	if (SYS(dev, ioctl, dev->container_fd, VFIO_SET_IOMMU, (void *)(uintptr_t)type) < 0) {
		int err = vfio_neg_errno();

		return fail(d, err, IPSECHA_VFIO_E_SYSCALL, "VFIO_SET_IOMMU(type1): %s",
			    strerror(-err));
	}
	dev->device_fd = SYS(dev, ioctl, dev->group_fd, VFIO_GROUP_GET_DEVICE_FD, t->bdf);
	if (dev->device_fd < 0) {
		int err = vfio_neg_errno();

		dev->device_fd = -1;
		if (err == -EBUSY)
			return fail(d, err, IPSECHA_VFIO_E_BUSY,
				    "%s is busy: it is already open (through its cdev or by "
				    "another user)", t->bdf);
		if (err == -EPERM || err == -EACCES)
			return fail(d, err, IPSECHA_VFIO_E_PERM,
				    "%s: GROUP_GET_DEVICE_FD: permission denied", t->bdf);
		return fail(d, err, IPSECHA_VFIO_E_SYSCALL, "%s: GROUP_GET_DEVICE_FD: %s",
			    t->bdf, strerror(-err));
	}
	return 0;
}

/* ---- cdev / iommufd path ----------------------------------------------- */

static int open_cdev(struct ipsecha_vfio *dev, struct target *t,
		     struct ipsecha_vfio_diag *d)
{
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct vfio_device_attach_iommufd_pt attach = { .argsz = sizeof(attach) };
	char path[64];
	const char *who = t->bdf[0] ? t->bdf : t->cdev_name;

	dev->iommufd = SYS(dev, open, "/dev/iommu", O_RDWR);
	if (dev->iommufd < 0) {
		int err = vfio_neg_errno();

		if (err == -EACCES || err == -EPERM)
			return fail(d, err, IPSECHA_VFIO_E_PERM,
				    "/dev/iommu: permission denied (run as root or grant access)");
		if (err == -ENOENT || err == -ENODEV || err == -ENXIO)
			return fail(d, err, IPSECHA_VFIO_E_NO_CDEV,
				    "/dev/iommu is missing: this kernel has no iommufd "
				    "(CONFIG_IOMMUFD, Linux 6.2+); use the legacy mode");
		return fail(d, err, IPSECHA_VFIO_E_SYSCALL, "open /dev/iommu: %s",
			    strerror(-err));
	}
	snprintf(path, sizeof(path), "/dev/vfio/devices/%s", t->cdev_name);
	snprintf(dev->info.path, sizeof(dev->info.path), "%s", path);
	dev->device_fd = SYS(dev, open, path, O_RDWR);
	if (dev->device_fd < 0) {
		int err = vfio_neg_errno();

		dev->device_fd = -1;
		if (err == -EACCES || err == -EPERM)
			return fail(d, err, IPSECHA_VFIO_E_PERM,
				    "%s: permission denied (run as root or chown it)", path);
		if (err == -EBUSY)
			return fail(d, err, IPSECHA_VFIO_E_BUSY, "%s (%s) is busy", path, who);
		if (err == -ENOENT)
			return fail(d, err, IPSECHA_VFIO_E_NO_CDEV,
				    "%s is missing: the kernel has no VFIO device cdev "
				    "(CONFIG_VFIO_DEVICE_CDEV, Linux 6.6+)", path);
		return fail(d, err, IPSECHA_VFIO_E_SYSCALL, "open %s: %s", path,
			    strerror(-err));
	}
	bind.iommufd = dev->iommufd;
	if (SYS(dev, ioctl, dev->device_fd, VFIO_DEVICE_BIND_IOMMUFD, &bind) < 0) {
		int err = vfio_neg_errno();

		if (err == -EBUSY)
			return fail(d, err, IPSECHA_VFIO_E_BUSY,
				    "%s is busy: its IOMMU group is open through /dev/vfio "
				    "(legacy) in another process", who);
		if (err == -ENOTTY)
			return fail(d, -ENOTSUP, IPSECHA_VFIO_E_NO_CDEV,
				    "%s: VFIO_DEVICE_BIND_IOMMUFD unsupported by this kernel", path);
		return fail(d, err, IPSECHA_VFIO_E_SYSCALL, "%s: BIND_IOMMUFD: %s",
			    path, strerror(-err));
	}
	if (SYS(dev, ioctl, dev->iommufd, IOMMU_IOAS_ALLOC, &alloc) < 0) {
		int err = vfio_neg_errno();

		return fail(d, err, IPSECHA_VFIO_E_SYSCALL, "IOMMU_IOAS_ALLOC: %s",
			    strerror(-err));
	}
	dev->ioas_id = alloc.out_ioas_id;
	attach.pt_id = dev->ioas_id;
	if (SYS(dev, ioctl, dev->device_fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach) < 0) {
		int err = vfio_neg_errno();

		return fail(d, err, IPSECHA_VFIO_E_SYSCALL, "%s: ATTACH_IOMMUFD_PT: %s",
			    path, strerror(-err));
	}
	return 0;
}

/* ---- device set-up common to both paths --------------------------------- */

static int region_info(struct ipsecha_vfio *dev, unsigned int index,
		       struct vfio_region_info *ri)
{
	memset(ri, 0, sizeof(*ri));
	ri->argsz = sizeof(*ri);
	ri->index = index;
	if (SYS(dev, ioctl, dev->device_fd, VFIO_DEVICE_GET_REGION_INFO, ri) < 0)
		return vfio_neg_errno();
	return 0;
}

int vfio_cfg_io(const struct ipsecha_vfio *dev, bool write, unsigned int off,
		  void *buf, size_t len)
{
	ssize_t n;

	if (off > 4096 || len > 4096 - off)
		return -EINVAL;
	if (write)
		n = SYS(dev, pwrite, dev->device_fd, buf, len, (off_t)(dev->config_off + off));
	else
		n = SYS(dev, pread, dev->device_fd, buf, len, (off_t)(dev->config_off + off));
	if (n < 0)
		return vfio_neg_errno();
	return (size_t)n == len ? 0 : -EIO;
}

/* Map one BAR, checking it exists, is big enough and mmappable. */
static int map_bar(struct ipsecha_vfio *dev, int bar, uint64_t min, bool need_mmap,
		   const char *what, void **map, size_t *map_len, uint64_t *size,
		   uint64_t *off, struct ipsecha_vfio_diag *d)
{
	struct vfio_region_info ri;
	int err = region_info(dev, (unsigned int)bar, &ri);
	const char *who = dev->info.bdf[0] ? dev->info.bdf : dev->info.path;

	if (err == -EINVAL || (!err && ri.size == 0))
		return fail(d, -ENXIO, IPSECHA_VFIO_E_BAR_MISSING,
			    "%s: BAR%d (%s) is absent", who, bar, what);
	if (err)
		return fail(d, err, IPSECHA_VFIO_E_SYSCALL, "%s: REGION_INFO(BAR%d): %s",
			    who, bar, strerror(-err));
	if (ri.size < min)
		return fail(d, -ENOSPC, IPSECHA_VFIO_E_BAR_TOO_SMALL,
			    "%s: BAR%d (%s) is %" PRIu64 " bytes, the card needs at least %"
			    PRIu64, who, bar, what, (uint64_t)ri.size, min);
	*size = ri.size;
	*off = ri.offset;
	*map = NULL;
	if (!(ri.flags & VFIO_REGION_INFO_FLAG_MMAP)) {
		if (need_mmap)
			return fail(d, -ENOTSUP, IPSECHA_VFIO_E_BAR_NO_MMAP,
				    "%s: BAR%d (%s) cannot be mmapped (is it an I/O-port BAR?)",
				    who, bar, what);
		return 0;
	}
	/* A sub-page BAR maps as one page; vfio-pci reserves the rest. */
	*map_len = ri.size < PAGE ? PAGE : (size_t)ri.size;
	*map = SYS(dev, mmap, *map_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		   dev->device_fd, (off_t)ri.offset);
	if (*map == MAP_FAILED) {
		err = vfio_neg_errno();
		*map = NULL;
		if (need_mmap)
			return fail(d, err, IPSECHA_VFIO_E_SYSCALL, "%s: mmap BAR%d: %s",
				    who, bar, strerror(-err));
	}
	return 0;
}

static int setup_device(struct ipsecha_vfio *dev, struct target *t,
			const struct ipsecha_vfio_opts *o, struct ipsecha_vfio_diag *d)
{
	struct vfio_device_info di = { .argsz = sizeof(di) };
	struct vfio_irq_info ii = { .argsz = sizeof(ii), .index = VFIO_PCI_MSIX_IRQ_INDEX };
	struct vfio_region_info ri;
	const struct ipsecha_vfio_pci_id *id;
	const char *who = t->bdf[0] ? t->bdf : dev->info.path;
	uint8_t ids[4];
	uint64_t min;
	int err;

	if (SYS(dev, ioctl, dev->device_fd, VFIO_DEVICE_GET_INFO, &di) < 0) {
		err = vfio_neg_errno();
		return fail(d, err, IPSECHA_VFIO_E_SYSCALL, "%s: DEVICE_GET_INFO: %s", who,
			    strerror(-err));
	}
	if (!(di.flags & VFIO_DEVICE_FLAGS_PCI) || di.num_regions <= VFIO_PCI_CONFIG_REGION_INDEX)
		return fail(d, -ENODEV, IPSECHA_VFIO_E_NOT_PCI,
			    "%s is not a vfio-pci device", who);
	dev->info.can_reset = di.flags & VFIO_DEVICE_FLAGS_RESET;

	err = region_info(dev, VFIO_PCI_CONFIG_REGION_INDEX, &ri);
	if (err)
		return fail(d, err, IPSECHA_VFIO_E_SYSCALL, "%s: config REGION_INFO: %s", who,
			    strerror(-err));
	dev->config_off = ri.offset;
	err = vfio_cfg_io(dev, false, 0, ids, sizeof(ids));
	if (err)
		return fail(d, err, IPSECHA_VFIO_E_SYSCALL, "%s: reading config space: %s",
			    who, strerror(-err));
	dev->info.vendor = (uint16_t)(ids[0] | ids[1] << 8);
	dev->info.device = (uint16_t)(ids[2] | ids[3] << 8);
	id = ipsecha_vfio_lookup_id(dev->info.vendor, dev->info.device);
	if (!id)
		return fail(d, -ENODEV, IPSECHA_VFIO_E_UNKNOWN_DEVICE,
			    "%s: %04x:%04x is not an ipsecha card", who, dev->info.vendor,
			    dev->info.device);
	dev->info.id = id;

	min = o->min_card_bar ? o->min_card_bar : id->min_card_bar;
	err = map_bar(dev, id->card_bar, min, true, "card window", &dev->card_map,
		      &dev->card_map_len, &dev->info.card_bar_size, &dev->card_off, d);
	if (err)
		return err;
	if (id->regs_bar >= 0) {
		err = map_bar(dev, id->regs_bar, IPSECHA_IVSHMEM_REGS_SIZE, false,
			      "ivshmem registers", &dev->regs_map, &dev->regs_map_len,
			      &dev->info.regs_bar_size, &dev->regs_off, d);
		if (err)
			return err;
	}

	if (o->check_identity) {
		char why[200] = "";

		err = o->check_identity(dev->card_map, dev->card_map_len, o->identity_arg,
					why, sizeof(why));
		if (err == -EPROTO)
			return fail(d, err, IPSECHA_VFIO_E_IDENTITY_ABSENT,
				    "%s: no card identity block in BAR%d: %s%s", who, id->card_bar,
				    why[0] ? why : "bad magic",
				    id->kind == IPSECHA_VFIO_KIND_IVSHMEM ?
				    " (is ipsecha-card-sim attached to this ivshmem device?)" : "");
		if (err == -ENOSPC)
			return fail(d, err, IPSECHA_VFIO_E_BAR_TOO_SMALL, "%s: BAR%d: %s", who,
				    id->card_bar, why[0] ? why : "smaller than the card's window");
		if (err)
			return fail(d, err < 0 ? err : -EPROTO, IPSECHA_VFIO_E_IDENTITY_VERSION,
				    "%s: card identity refused: %s", who,
				    why[0] ? why : strerror(err < 0 ? -err : EPROTO));
	}

	if (SYS(dev, ioctl, dev->device_fd, VFIO_DEVICE_GET_IRQ_INFO, &ii) < 0 ||
	    !(ii.flags & VFIO_IRQ_INFO_EVENTFD))
		ii.count = 0;
	dev->info.msix_vectors = ii.count;
	if (o->irq_vectors > ii.count)
		return fail(d, -ENOTSUP, IPSECHA_VFIO_E_NO_MSIX,
			    "%s offers %u MSI-X vectors, the card needs %u%s", who, ii.count,
			    o->irq_vectors, id->kind == IPSECHA_VFIO_KIND_IVSHMEM ?
			    " (use ivshmem-doorbell with vectors=N, not ivshmem-plain)" : "");

	err = ipsecha_vfio_bus_master(dev, true);
	if (err)
		return fail(d, err, IPSECHA_VFIO_E_SYSCALL, "%s: enabling bus mastering: %s",
			    who, strerror(-err));
	return 0;
}

int ipsecha_vfio_open(const char *addr, const struct ipsecha_vfio_opts *opts,
		      struct ipsecha_vfio **out, struct ipsecha_vfio_diag *diag)
{
	struct ipsecha_vfio_opts o = { .sz = sizeof(o) };
	struct ipsecha_vfio_diag scratch;
	struct ipsecha_vfio *dev;
	struct target t = { .group = -1 };
	enum ipsecha_vfio_mode mode;
	int err;

	if (!diag)
		diag = &scratch;
	memset(diag, 0, sizeof(*diag));
	if (out)
		*out = NULL;
	if (!addr || !out)
		return fail(diag, -EINVAL, IPSECHA_VFIO_E_ADDRESS, "no device address given");
	if (opts) {
		/* Copy what the caller's header version knew; the rest stays 0.
		 * Unknown trailing bytes must be zero (they carry options this
		 * library does not implement). */
		size_t n = opts->sz < sizeof(o) ? opts->sz : sizeof(o);

		if (opts->sz < sizeof(size_t))
			return fail(diag, -EINVAL, IPSECHA_VFIO_E_ADDRESS,
				    "ipsecha_vfio_opts.sz is not set");
		for (size_t i = sizeof(o); i < opts->sz; i++)
			if (((const unsigned char *)opts)[i])
				return fail(diag, -E2BIG, IPSECHA_VFIO_E_ADDRESS,
					    "ipsecha_vfio_opts has options this library "
					    "does not know");
		memcpy(&o, opts, n);
		o.sz = sizeof(o);
	}
	if (o.mode != IPSECHA_VFIO_MODE_AUTO && o.mode != IPSECHA_VFIO_MODE_LEGACY &&
	    o.mode != IPSECHA_VFIO_MODE_CDEV)
		return fail(diag, -EINVAL, IPSECHA_VFIO_E_ADDRESS, "unknown VFIO mode %d",
			    (int)o.mode);

	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return fail(diag, -ENOMEM, IPSECHA_VFIO_E_NOMEM, "out of memory");
	dev->sys = o.sys ? o.sys : &ipsecha_vfio_sys_real;
	dev->pid = getpid();
	dev->container_fd = dev->group_fd = dev->iommufd = dev->device_fd = -1;
	dev->info.iommu_group = -1;

	mode = o.mode;
	if (addr[0] == '/') {
		char link[PATH_MAX], bdf[16];

		if (parse_cdev(addr, t.cdev_name)) {
			err = fail(diag, -EINVAL, IPSECHA_VFIO_E_ADDRESS,
				   "%s: not a VFIO device cdev (/dev/vfio/devices/vfioN)", addr);
			goto out_free;
		}
		if (mode == IPSECHA_VFIO_MODE_LEGACY) {
			err = fail(diag, -EINVAL, IPSECHA_VFIO_E_ADDRESS,
				   "%s is a device cdev: it cannot be opened in legacy mode; "
				   "give the PCI address instead", addr);
			goto out_free;
		}
		mode = IPSECHA_VFIO_MODE_CDEV;
		/* Learn the PCI address so the sysfs checks can name the problem. */
		snprintf(link, sizeof(link), "/sys/class/vfio-dev/%s/device", t.cdev_name);
		if (!read_link_name(dev, link, bdf, sizeof(bdf)) && !parse_bdf(bdf, t.bdf)) {
			err = check_sysfs(dev, &t, diag);
			if (err)
				goto out_free;
		}
	} else {
		if (parse_bdf(addr, t.bdf)) {
			err = fail(diag, -EINVAL, IPSECHA_VFIO_E_ADDRESS,
				   "%s: not a PCI address (DDDD:BB:DD.F)", addr);
			goto out_free;
		}
		err = check_sysfs(dev, &t, diag);
		if (err)
			goto out_free;
		if (mode != IPSECHA_VFIO_MODE_LEGACY) {
			bool have = !find_cdev(dev, &t) && SYS(dev, exists, "/dev/iommu") == 0;

			if (have)
				mode = IPSECHA_VFIO_MODE_CDEV;
			else if (mode == IPSECHA_VFIO_MODE_AUTO)
				mode = IPSECHA_VFIO_MODE_LEGACY;
			else if (!t.cdev_name[0]) {
				err = fail(diag, -ENOENT, IPSECHA_VFIO_E_NO_CDEV,
					   "%s has no VFIO device cdev: the kernel lacks "
					   "CONFIG_VFIO_DEVICE_CDEV (Linux 6.6+); use legacy mode",
					   t.bdf);
				goto out_free;
			}
			/* cdev forced, device has one: open_cdev reports a missing
			 * /dev/iommu precisely. */
		}
	}
	snprintf(dev->info.bdf, sizeof(dev->info.bdf), "%s", t.bdf);
	dev->info.iommu_group = t.group;
	dev->info.mode = mode;

	err = mode == IPSECHA_VFIO_MODE_CDEV ? open_cdev(dev, &t, diag)
					     : open_legacy(dev, &t, diag);
	if (!err)
		err = setup_device(dev, &t, &o, diag);
	if (err)
		goto out_release;
	*out = dev;
	return 0;

out_release:
	release_all(dev);
out_free:
	free(dev);
	return err;
}

void ipsecha_vfio_close(struct ipsecha_vfio *dev)
{
	if (!dev)
		return;
	release_all(dev);
	free(dev);
}

const struct ipsecha_vfio_info *ipsecha_vfio_get_info(const struct ipsecha_vfio *dev)
{
	return dev ? &dev->info : NULL;
}

volatile void *ipsecha_vfio_card_bar(const struct ipsecha_vfio *dev, size_t *len)
{
	if (!dev)
		return NULL;
	if (len)
		*len = (size_t)dev->info.card_bar_size;
	return dev->card_map;
}

