/* fake_kernel.c — see fake_kernel.h. */
#include "fake_kernel.h"
#include "driver/vfio/vfio_compat.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

/* vfio-pci places region N at offset N << 40 in the device fd. */
#define REGION_SHIFT 40
#define PAGE 4096u

enum { FD_FREE, FD_FILE, FD_CONTAINER, FD_GROUP, FD_IOMMUFD, FD_DEVICE, FD_CDEV };

/* A sysfs attribute file: obj = device index, |0x100 for "device". */

static struct fake_kernel *K(void *ctx) { return ctx; }

/* Generic fault: the fail_at-th call fails. */
static bool fault(struct fake_kernel *fk)
{
	fk->calls++;
	if (fk->fail_at && fk->calls == fk->fail_at) {
		errno = fk->fail_errno ? fk->fail_errno : EIO;
		return true;
	}
	return false;
}

static int new_fd(struct fake_kernel *fk, int kind, int obj)
{
	for (int i = 0; i < FK_MAX_FDS; i++)
		if (fk->fds[i].kind == FD_FREE) {
			fk->fds[i].kind = kind;
			fk->fds[i].obj = obj;
			fk->live_fds++;
			return FK_FD_BASE + i;
		}
	errno = EMFILE;
	return -1;
}

static int fd_kind(struct fake_kernel *fk, int fd, int *obj)
{
	int i = fd - FK_FD_BASE;

	if (i < 0 || i >= FK_MAX_FDS || fk->fds[i].kind == FD_FREE)
		return FD_FREE;
	if (obj)
		*obj = fk->fds[i].obj;
	return fk->fds[i].kind;
}

static struct fk_device *dev_by_bdf(struct fake_kernel *fk, const char *bdf, size_t n)
{
	for (int i = 0; i < fk->ndev; i++)
		if (strlen(fk->dev[i].bdf) == n && !strncmp(fk->dev[i].bdf, bdf, n))
			return &fk->dev[i];
	return NULL;
}

/* "/sys/bus/pci/devices/<bdf><rest>" -> device, *rest. */
static struct fk_device *sysfs_dev(struct fake_kernel *fk, const char *path, const char **rest)
{
	static const char pre[] = "/sys/bus/pci/devices/";
	const char *b, *e;

	if (strncmp(path, pre, sizeof(pre) - 1))
		return NULL;
	b = path + sizeof(pre) - 1;
	e = strchr(b, '/');
	if (!e)
		e = b + strlen(b);
	*rest = e;
	return dev_by_bdf(fk, b, (size_t)(e - b));
}

static int f_exists(void *ctx, const char *path)
{
	struct fake_kernel *fk = K(ctx);
	struct fk_device *d;
	const char *rest;
	int n;

	if (fault(fk))
		return -1;
	if (!strcmp(path, "/dev/iommu") && fk->iommufd_node)
		return 0;
	if (!strcmp(path, "/dev/vfio/vfio") && fk->vfio_node)
		return 0;
	d = sysfs_dev(fk, path, &rest);
	if (d && !*rest)
		return 0;
	if (sscanf(path, "/dev/vfio/devices/vfio%d", &n) == 1 && !fk->no_cdev_nodes)
		for (int i = 0; i < fk->ndev; i++)
			if (fk->dev[i].cdev == n)
				return 0;
	errno = ENOENT;
	return -1;
}

static int f_open(void *ctx, const char *path, int flags)
{
	struct fake_kernel *fk = K(ctx);
	struct fk_device *d;
	const char *rest;
	int n;

	(void)flags;
	if (fault(fk))
		return -1;
	if (fk->fail_open_path && !strcmp(path, fk->fail_open_path)) {
		errno = fk->fail_open_errno;
		return -1;
	}
	d = sysfs_dev(fk, path, &rest);
	if (d && (!strcmp(rest, "/vendor") || !strcmp(rest, "/device")))
		return new_fd(fk, FD_FILE, (int)(d - fk->dev) | (rest[1] == 'd' ? 0x100 : 0));
	if (!strcmp(path, "/dev/vfio/vfio")) {
		if (!fk->vfio_node)
			goto noent;
		return new_fd(fk, FD_CONTAINER, 0);
	}
	if (!strcmp(path, "/dev/iommu")) {
		if (!fk->iommufd_node)
			goto noent;
		return new_fd(fk, FD_IOMMUFD, 0);
	}
	if (sscanf(path, "/dev/vfio/devices/vfio%d", &n) == 1) {
		if (fk->no_cdev_nodes)
			goto noent;
		for (int i = 0; i < fk->ndev; i++)
			if (fk->dev[i].cdev == n && fk->dev[i].driver &&
			    !strcmp(fk->dev[i].driver, "vfio-pci")) {
				fk->dev[i].opened++;
				return new_fd(fk, FD_CDEV, i);
			}
		goto noent;
	}
	if (sscanf(path, "/dev/vfio/%d", &n) == 1) {
		bool any = false;

		for (int i = 0; i < fk->ndev; i++)
			any |= fk->dev[i].group == n && fk->dev[i].driver &&
			       !strcmp(fk->dev[i].driver, "vfio-pci");
		if (!any)
			goto noent;
		if (fk->group_open || fk->group_elsewhere) {
			errno = EBUSY;
			return -1;
		}
		fk->group_open = true;
		return new_fd(fk, FD_GROUP, n);
	}
noent:
	errno = ENOENT;
	return -1;
}

static int f_close(void *ctx, int fd)
{
	struct fake_kernel *fk = K(ctx);
	int obj = 0, kind = fd_kind(fk, fd, &obj);

	if (kind == FD_FREE) {
		/* A real eventfd (ours) or a bogus fd. */
		for (int i = 0; i < fk->ndev && getpid() == fk->pid; i++)
			for (unsigned int j = 0; j < fk->dev[i].irq_count; j++)
				if (fk->dev[i].irq_fds[j] == fd) {
					errno = EBADF; /* still routed: a library bug */
					return -1;
				}
		if (close(fd) == 0) {
			fk->live_eventfds--;
			return 0;
		}
		return -1;
	}
	switch (kind) {
	case FD_GROUP:
		fk->group_open = false;
		fk->container_has_group = false;
		fk->iommu_set = false;
		/* The last group leaving the container drops its mappings. */
		for (int i = 0; i < FK_MAX_DMA; i++)
			if (fk->dma[i].used) {
				fk->dma[i].used = false;
				fk->live_dma--;
			}
		break;
	case FD_IOMMUFD:
		for (int i = 0; i < FK_MAX_DMA; i++)
			if (fk->dma[i].used) {
				fk->dma[i].used = false;
				fk->live_dma--;
			}
		fk->ioas = 0;
		break;
	case FD_DEVICE:
	case FD_CDEV: {
		struct fk_device *d = &fk->dev[obj];

		d->opened--;
		d->bound = d->attached = false;
		/* Releasing the device fd tears interrupt routing down. */
		d->irq_count = 0;
		break;
	}
	default:
		break;
	}
	fk->fds[fd - FK_FD_BASE].kind = FD_FREE;
	fk->live_fds--;
	return 0;
}

static ssize_t f_readlink(void *ctx, const char *path, char *buf, size_t len)
{
	struct fake_kernel *fk = K(ctx);
	struct fk_device *d;
	const char *rest;
	char out[256];
	int n, g;

	if (fault(fk))
		return -1;
	out[0] = 0;
	d = sysfs_dev(fk, path, &rest);
	if (d && !strcmp(rest, "/driver") && d->driver)
		snprintf(out, sizeof(out), "../../../bus/pci/drivers/%s", d->driver);
	else if (d && !strcmp(rest, "/iommu_group") && d->group >= 0)
		snprintf(out, sizeof(out), "../../../kernel/iommu_groups/%d", d->group);
	else if (sscanf(path, "/sys/class/vfio-dev/vfio%d/device", &n) == 1) {
		for (int i = 0; i < fk->ndev; i++)
			if (fk->dev[i].cdev == n)
				snprintf(out, sizeof(out), "../../../%s", fk->dev[i].bdf);
	} else if (sscanf(path, "/sys/kernel/iommu_groups/%d/devices/", &g) == 1) {
		const char *b = strstr(path, "/devices/") + 9, *e = strchr(b, '/');

		d = e ? dev_by_bdf(fk, b, (size_t)(e - b)) : NULL;
		if (d && d->group == g && !strcmp(e, "/driver") && d->driver)
			snprintf(out, sizeof(out), "../../../../bus/pci/drivers/%s", d->driver);
	}
	if (!out[0]) {
		errno = ENOENT;
		return -1;
	}
	n = (int)strlen(out);
	if ((size_t)n > len)
		n = (int)len;
	memcpy(buf, out, (size_t)n);
	return n;
}

static int f_list_dir(void *ctx, const char *path, char *buf, size_t len)
{
	struct fake_kernel *fk = K(ctx);
	struct fk_device *d;
	const char *rest;
	size_t used = 0;
	int g, n = 0;

	if (fault(fk))
		return -1;
	d = sysfs_dev(fk, path, &rest);
	if (d && !strcmp(rest, "/vfio-dev")) {
		if (d->cdev < 0 || !d->driver || strcmp(d->driver, "vfio-pci"))
			goto noent;
		return snprintf(buf, len, "vfio%d", d->cdev) < (int)len ? 1 : (errno = ENOSPC, -1);
	}
	if (sscanf(path, "/sys/kernel/iommu_groups/%d/devices", &g) == 1) {
		for (int i = 0; i < fk->ndev; i++) {
			size_t l = strlen(fk->dev[i].bdf) + 1;

			if (fk->dev[i].group != g)
				continue;
			if (used + l > len) {
				errno = ENOSPC;
				return -1;
			}
			memcpy(buf + used, fk->dev[i].bdf, l);
			used += l;
			n++;
		}
		return n ? n : (errno = ENOENT, -1);
	}
noent:
	errno = ENOENT;
	return -1;
}

static struct fk_region *region_at(struct fk_device *d, off_t off, uint64_t *in)
{
	uint64_t idx = (uint64_t)off >> REGION_SHIFT;

	if (idx >= FK_REGIONS || !d->r[idx].size)
		return NULL;
	*in = (uint64_t)off & ((1ull << REGION_SHIFT) - 1);
	return &d->r[idx];
}

static ssize_t rw(struct fake_kernel *fk, int fd, void *buf, size_t len, off_t off, bool wr)
{
	int obj = 0, kind = fd_kind(fk, fd, &obj);

	if (fault(fk))
		return -1;
	if (kind == FD_FILE && !wr) {
		struct fk_device *d = &fk->dev[obj & 0xff];
		char s[16];
		int n = snprintf(s, sizeof(s), "0x%04x\n", (obj & 0x100) ? d->device : d->vendor);

		if (off >= n)
			return 0;
		if ((size_t)(n - off) < len)
			len = (size_t)(n - off);
		memcpy(buf, s + off, len);
		return (ssize_t)len;
	}
	if (kind == FD_DEVICE || kind == FD_CDEV) {
		struct fk_device *d = &fk->dev[obj];
		uint64_t in;

		if (kind == FD_CDEV && !fk->dev[obj].attached) {
			errno = EINVAL;
			return -1;
		}
		struct fk_region *r = region_at(d, off, &in);

		if (!r || in > r->size || len > r->size - in) {
			errno = EINVAL;
			return -1;
		}
		if (r == &d->r[VFIO_PCI_CONFIG_REGION_INDEX]) {
			if (wr)
				memcpy(d->config + in, buf, len);
			else
				memcpy(buf, d->config + in, len);
		} else if (wr) {
			memcpy(r->mem + in, buf, len);
		} else {
			memcpy(buf, r->mem + in, len);
		}
		return (ssize_t)len;
	}
	errno = EBADF;
	return -1;
}

static ssize_t f_pread(void *ctx, int fd, void *buf, size_t len, off_t off)
{
	return rw(K(ctx), fd, buf, len, off, false);
}

static ssize_t f_pwrite(void *ctx, int fd, const void *buf, size_t len, off_t off)
{
	return rw(K(ctx), fd, (void *)buf, len, off, true);
}

static void *f_mmap(void *ctx, size_t len, int prot, int flags, int fd, off_t off)
{
	struct fake_kernel *fk = K(ctx);
	int obj;
	uint64_t in;
	struct fk_region *r;

	(void)prot;
	if (fault(fk))
		return MAP_FAILED;
	if (fk->fail_mmap_errno) {
		errno = fk->fail_mmap_errno;
		return MAP_FAILED;
	}
	int kind = fd_kind(fk, fd, &obj);

	if ((kind != FD_DEVICE && kind != FD_CDEV) || !(flags & MAP_SHARED)) {
		errno = EINVAL;
		return MAP_FAILED;
	}
	r = region_at(&fk->dev[obj], off, &in);
	if (!r || in || !(r->flags & VFIO_REGION_INFO_FLAG_MMAP) ||
	    len > (r->size < PAGE ? PAGE : r->size)) {
		errno = EINVAL;
		return MAP_FAILED;
	}
	fk->live_maps++;
	return r->mem;
}

static int f_munmap(void *ctx, void *addr, size_t len)
{
	struct fake_kernel *fk = K(ctx);

	(void)len;
	for (int i = 0; i < fk->ndev; i++)
		for (int j = 0; j < FK_REGIONS; j++)
			if (fk->dev[i].r[j].mem == addr) {
				fk->live_maps--;
				return 0;
			}
	errno = EINVAL;
	return -1;
}

static int f_eventfd(void *ctx, unsigned int initval, int flags)
{
	struct fake_kernel *fk = K(ctx);
	int fd;

	if (fault(fk))
		return -1;
	if (fk->fail_eventfd_errno) {
		errno = fk->fail_eventfd_errno;
		return -1;
	}
	fd = eventfd(initval, flags);
	if (fd >= 0)
		fk->live_eventfds++;
	return fd;
}

/* ---- ioctls -------------------------------------------------------------- */

static int dma_add(struct fake_kernel *fk, uint64_t iova, uint64_t len)
{
	for (int i = 0; i < FK_MAX_DMA; i++)
		if (fk->dma[i].used && iova < fk->dma[i].iova + fk->dma[i].len &&
		    fk->dma[i].iova < iova + len) {
			errno = EEXIST;
			return -1;
		}
	for (int i = 0; i < FK_MAX_DMA; i++)
		if (!fk->dma[i].used) {
			fk->dma[i] = (struct fk_dma){ true, iova, len };
			fk->live_dma++;
			return 0;
		}
	errno = ENOSPC;
	return -1;
}

static int dma_del(struct fake_kernel *fk, uint64_t iova, uint64_t len)
{
	for (int i = 0; i < FK_MAX_DMA; i++)
		if (fk->dma[i].used && fk->dma[i].iova == iova && fk->dma[i].len == len) {
			fk->dma[i].used = false;
			fk->live_dma--;
			return 0;
		}
	errno = ENOENT;
	return -1;
}

static int container_ioctl(struct fake_kernel *fk, unsigned long req, void *arg)
{
	switch (req) {
	case VFIO_GET_API_VERSION:
		return fk->api_version;
	case VFIO_CHECK_EXTENSION: {
		uintptr_t ext = (uintptr_t)arg;

		return fk->type1 && (ext == VFIO_TYPE1_IOMMU || ext == VFIO_TYPE1v2_IOMMU);
	}
	case VFIO_SET_IOMMU:
		if (!fk->container_has_group || fk->iommu_set) {
			errno = EINVAL;
			return -1;
		}
		fk->iommu_set = true;
		return 0;
	case VFIO_IOMMU_GET_INFO: {
		struct vfio_iommu_type1_info *info = arg;
		size_t need = sizeof(*info);

		if (!fk->iommu_set) {
			errno = EINVAL;
			return -1;
		}
		if (fk->iommu_info_blob) {
			uint32_t room = info->argsz, claim = 0;
			size_t n = fk->iommu_info_len < room ? fk->iommu_info_len : room;

			if (room < sizeof(*info)) {
				errno = EINVAL;
				return -1;
			}
			memcpy(&claim, fk->iommu_info_blob, fk->iommu_info_len < 4 ? fk->iommu_info_len : 4);
			memset((char *)info + 4, 0, room - 4);
			if (n > 4)
				memcpy((char *)info + 4, fk->iommu_info_blob + 4, n - 4);
			info->argsz = claim;
			return 0;
		}
		if (fk->iova_cap)
			need = sizeof(*info) + 4 /* pad to 8 */ +
			       sizeof(struct vfio_iommu_type1_info_cap_iova_range) +
			       2 * sizeof(struct vfio_iova_range);
		if (info->argsz < sizeof(*info)) {
			errno = EINVAL;
			return -1;
		}
		info->flags = VFIO_IOMMU_INFO_PGSIZES;
		info->iova_pgsizes = PAGE;
		info->cap_offset = 0;
		if (fk->iova_cap) {
			if (info->argsz < need) {
				info->argsz = (uint32_t)need;
				info->flags |= VFIO_IOMMU_INFO_CAPS;
				return 0;
			}
			uint32_t off = (uint32_t)((sizeof(*info) + 7) & ~7u);
			struct vfio_iommu_type1_info_cap_iova_range *c =
				(void *)((char *)info + off);

			info->flags |= VFIO_IOMMU_INFO_CAPS;
			info->cap_offset = off;
			c->header.id = VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE;
			c->header.version = 1;
			c->header.next = 0;
			c->nr_iovas = 2;
			/* Below the x86 MSI window, and above it. */
			c->iova_ranges[0] = (struct vfio_iova_range){ 0, 0xfedfffff };
			c->iova_ranges[1] = (struct vfio_iova_range){ 0xfef00000, (1ull << 39) - 1 };
		}
		return 0;
	}
	case VFIO_IOMMU_MAP_DMA: {
		struct vfio_iommu_type1_dma_map *m = arg;

		if (!fk->iommu_set || m->argsz < sizeof(*m) ||
		    ((m->vaddr | m->iova | m->size) & (PAGE - 1)) || !m->size ||
		    !(m->flags & (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)) ||
		    (m->iova >= 0xfee00000 && m->iova < 0xfef00000)) {
			errno = EINVAL;
			return -1;
		}
		return dma_add(fk, m->iova, m->size);
	}
	case VFIO_IOMMU_UNMAP_DMA: {
		struct vfio_iommu_type1_dma_unmap *u = arg;

		if (!fk->iommu_set || u->argsz < sizeof(*u)) {
			errno = EINVAL;
			return -1;
		}
		return dma_del(fk, u->iova, u->size);
	}
	}
	errno = ENOTTY;
	return -1;
}

static int group_ioctl(struct fake_kernel *fk, int group, unsigned long req, void *arg)
{
	switch (req) {
	case VFIO_GROUP_GET_STATUS: {
		struct vfio_group_status *s = arg;

		if (s->argsz < sizeof(*s)) {
			errno = EINVAL;
			return -1;
		}
		s->flags = (fk->group_viable ? VFIO_GROUP_FLAGS_VIABLE : 0) |
			   (fk->container_has_group ? VFIO_GROUP_FLAGS_CONTAINER_SET : 0);
		return 0;
	}
	case VFIO_GROUP_SET_CONTAINER:
		if (!fk->group_viable) {
			errno = EPERM;
			return -1;
		}
		if (fd_kind(fk, *(int *)arg, NULL) != FD_CONTAINER || fk->container_has_group) {
			errno = EINVAL;
			return -1;
		}
		fk->container_has_group = true;
		return 0;
	case VFIO_GROUP_GET_DEVICE_FD: {
		const char *name = arg;
		struct fk_device *d = dev_by_bdf(fk, name, strlen(name));

		if (!fk->iommu_set) {
			errno = EINVAL;
			return -1;
		}
		if (!d || d->group != group) {
			errno = ENODEV;
			return -1;
		}
		if (d->opened || (d == &fk->dev[0] && fk->device_elsewhere)) {
			errno = EBUSY;
			return -1;
		}
		d->opened++;
		return new_fd(fk, FD_DEVICE, (int)(d - fk->dev));
	}
	}
	errno = ENOTTY;
	return -1;
}

static int iommufd_ioctl(struct fake_kernel *fk, unsigned long req, void *arg)
{
	switch (req) {
	case IOMMU_IOAS_ALLOC: {
		struct iommu_ioas_alloc *a = arg;

		if (a->size < sizeof(*a) || a->flags || fk->ioas) {
			errno = EINVAL;
			return -1;
		}
		fk->ioas = 7;
		a->out_ioas_id = 7;
		return 0;
	}
	case IOMMU_DESTROY: {
		struct iommu_destroy *d = arg;

		if (d->id != (uint32_t)fk->ioas || !fk->ioas) {
			errno = ENOENT;
			return -1;
		}
		for (int i = 0; i < fk->ndev; i++)
			if (fk->dev[i].attached) {
				errno = EBUSY;
				return -1;
			}
		fk->ioas = 0;
		return 0;
	}
	case IOMMU_IOAS_MAP: {
		struct iommu_ioas_map *m = arg;
		uint64_t iova = 0x10000000;

		if (m->size < sizeof(*m) || m->ioas_id != (uint32_t)fk->ioas || !fk->ioas ||
		    (m->flags & IOMMU_IOAS_MAP_FIXED_IOVA) || !m->length ||
		    ((m->user_va | m->length) & (PAGE - 1))) {
			errno = EINVAL;
			return -1;
		}
		for (int i = 0; i < FK_MAX_DMA; i++)
			if (fk->dma[i].used && fk->dma[i].iova + fk->dma[i].len > iova)
				iova = fk->dma[i].iova + fk->dma[i].len;
		if (dma_add(fk, iova, m->length))
			return -1;
		m->iova = iova;
		return 0;
	}
	case IOMMU_IOAS_UNMAP: {
		struct iommu_ioas_unmap *u = arg;

		if (u->size < sizeof(*u) || u->ioas_id != (uint32_t)fk->ioas) {
			errno = ENOENT;
			return -1;
		}
		if (dma_del(fk, u->iova, u->length))
			return -1;
		return 0;
	}
	}
	errno = ENOTTY;
	return -1;
}

static int device_ioctl(struct fake_kernel *fk, struct fk_device *d, bool cdev,
			unsigned long req, void *arg)
{
	/* A cdev fd is usable only once bound and attached (vfio.rst). */
	if (cdev && req != VFIO_DEVICE_BIND_IOMMUFD && !d->bound) {
		errno = EINVAL;
		return -1;
	}
	switch (req) {
	case VFIO_DEVICE_BIND_IOMMUFD: {
		struct vfio_device_bind_iommufd *b = arg;

		if (!cdev || b->argsz < sizeof(*b) || b->flags ||
		    fd_kind(fk, b->iommufd, NULL) != FD_IOMMUFD) {
			errno = EINVAL;
			return -1;
		}
		if (d->bound || fk->group_open || fk->group_elsewhere) {
			errno = EBUSY;
			return -1;
		}
		d->bound = true;
		b->out_devid = 1;
		return 0;
	}
	case VFIO_DEVICE_ATTACH_IOMMUFD_PT: {
		struct vfio_device_attach_iommufd_pt *a = arg;

		if (!cdev || a->argsz < sizeof(*a) || a->flags || a->pt_id != (uint32_t)fk->ioas ||
		    !fk->ioas) {
			errno = EINVAL;
			return -1;
		}
		d->attached = true;
		return 0;
	}
	case VFIO_DEVICE_GET_INFO: {
		struct vfio_device_info *i = arg;

		if (i->argsz < offsetof(struct vfio_device_info, cap_offset)) {
			errno = EINVAL;
			return -1;
		}
		i->flags = d->vfio_flags;
		i->num_regions = FK_REGIONS;
		i->num_irqs = 5;
		return 0;
	}
	case VFIO_DEVICE_GET_REGION_INFO: {
		struct vfio_region_info *r = arg;

		if (r->argsz < sizeof(*r) || r->index >= FK_REGIONS) {
			errno = EINVAL;
			return -1;
		}
		r->size = d->r[r->index].size;
		r->flags = d->r[r->index].flags;
		r->offset = (uint64_t)r->index << REGION_SHIFT;
		r->cap_offset = 0;
		return 0;
	}
	case VFIO_DEVICE_GET_IRQ_INFO: {
		struct vfio_irq_info *i = arg;

		if (i->argsz < sizeof(*i) || i->index >= 5) {
			errno = EINVAL;
			return -1;
		}
		i->flags = VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE;
		i->count = i->index == VFIO_PCI_MSIX_IRQ_INDEX ? d->msix : 0;
		return 0;
	}
	case VFIO_DEVICE_SET_IRQS: {
		struct vfio_irq_set *s = arg;

		if (s->argsz < sizeof(*s) || s->index != VFIO_PCI_MSIX_IRQ_INDEX ||
		    !(s->flags & VFIO_IRQ_SET_ACTION_TRIGGER)) {
			errno = EINVAL;
			return -1;
		}
		if (s->flags & VFIO_IRQ_SET_DATA_NONE) {
			if (s->count) {
				errno = EINVAL;
				return -1;
			}
			d->irq_count = 0;
			return 0;
		}
		if (!(s->flags & VFIO_IRQ_SET_DATA_EVENTFD) || s->start || !s->count ||
		    s->count > d->msix || s->count > FK_MAX_IRQ ||
		    s->argsz < sizeof(*s) + s->count * sizeof(int32_t)) {
			errno = EINVAL;
			return -1;
		}
		memcpy(d->irq_fds, s->data, s->count * sizeof(int32_t));
		d->irq_count = s->count;
		return 0;
	}
	case VFIO_DEVICE_RESET:
		if (!(d->vfio_flags & VFIO_DEVICE_FLAGS_RESET)) {
			errno = ENOTTY;
			return -1;
		}
		d->resets++;
		/* Like a function reset: the command register is cleared (the
		 * kernel restores it; we model the worst case). */
		d->config[4] = d->config[5] = 0;
		return 0;
	}
	errno = ENOTTY;
	return -1;
}

static int f_ioctl(void *ctx, int fd, unsigned long req, void *arg)
{
	struct fake_kernel *fk = K(ctx);
	int obj = 0, kind = fd_kind(fk, fd, &obj);

	if (fault(fk))
		return -1;
	fk->last_ioctl = req;
	fk->nioctl++;
	if (fk->fail_ioctl_req && fk->fail_ioctl_req == req) {
		errno = fk->fail_ioctl_errno;
		return -1;
	}
	switch (kind) {
	case FD_CONTAINER:
		return container_ioctl(fk, req, arg);
	case FD_GROUP:
		return group_ioctl(fk, obj, req, arg);
	case FD_IOMMUFD:
		return iommufd_ioctl(fk, req, arg);
	case FD_DEVICE:
	case FD_CDEV:
		return device_ioctl(fk, &fk->dev[obj], kind == FD_CDEV, req, arg);
	}
	errno = EBADF;
	return -1;
}

/* ---- set-up --------------------------------------------------------------- */

int fk_add_device(struct fake_kernel *fk, const char *bdf, uint16_t vendor,
		  uint16_t device, const char *driver, int group)
{
	struct fk_device *d = &fk->dev[fk->ndev];

	memset(d, 0, sizeof(*d));
	snprintf(d->bdf, sizeof(d->bdf), "%s", bdf);
	d->vendor = vendor;
	d->device = device;
	d->driver = driver;
	d->group = group;
	d->cdev = -1;
	d->vfio_flags = VFIO_DEVICE_FLAGS_PCI;
	d->config[0] = (uint8_t)vendor;
	d->config[1] = (uint8_t)(vendor >> 8);
	d->config[2] = (uint8_t)device;
	d->config[3] = (uint8_t)(device >> 8);
	d->r[VFIO_PCI_CONFIG_REGION_INDEX].size = 256;
	d->r[VFIO_PCI_CONFIG_REGION_INDEX].flags =
		VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
	return fk->ndev++;
}

void fk_init_ivshmem(struct fake_kernel *fk, uint64_t bar2, bool cdev)
{
	struct fk_device *d;
	const uint32_t rwm = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE |
			     VFIO_REGION_INFO_FLAG_MMAP;

	memset(fk, 0, sizeof(*fk));
	fk->pid = getpid();
	fk->vfio_node = true;
	fk->iommufd_node = cdev;
	fk->type1 = true;
	fk->api_version = VFIO_API_VERSION;
	fk->group_viable = true;
	fk->iova_cap = true;
	d = &fk->dev[fk_add_device(fk, "0000:00:03.0", 0x1af4, 0x1110, "vfio-pci", 3)];
	d->cdev = cdev ? 0 : -1;
	d->msix = 2;
	d->r[0].size = 256;
	d->r[0].flags = rwm;
	d->r[2].size = bar2;
	d->r[2].flags = rwm;
	fk->sys = (struct ipsecha_vfio_sys){
		.open = f_open, .close = f_close, .ioctl = f_ioctl, .pread = f_pread,
		.pwrite = f_pwrite, .mmap = f_mmap, .munmap = f_munmap,
		.readlink = f_readlink, .exists = f_exists, .list_dir = f_list_dir,
		.eventfd = f_eventfd, .ctx = fk,
	};
}

void fk_finalize(struct fake_kernel *fk)
{
	for (int i = 0; i < fk->ndev; i++)
		for (int j = 0; j < FK_REGIONS; j++) {
			struct fk_region *r = &fk->dev[i].r[j];
			size_t sz = r->size < PAGE ? PAGE : (size_t)r->size;

			if (!r->size || j == VFIO_PCI_CONFIG_REGION_INDEX || r->mem)
				continue;
			r->mem = aligned_alloc(PAGE, (sz + PAGE - 1) & ~(size_t)(PAGE - 1));
			if (r->mem)
				memset(r->mem, 0, sz);
		}
}

void fk_destroy(struct fake_kernel *fk)
{
	for (int i = 0; i < fk->ndev; i++)
		for (int j = 0; j < FK_REGIONS; j++) {
			free(fk->dev[i].r[j].mem);
			fk->dev[i].r[j].mem = NULL;
		}
}

bool fk_clean(const struct fake_kernel *fk)
{
	if (fk->live_fds || fk->live_eventfds || fk->live_maps || fk->live_dma ||
	    fk->group_open || fk->ioas)
		return false;
	for (int i = 0; i < fk->ndev; i++)
		if (fk->dev[i].opened || fk->dev[i].irq_count || fk->dev[i].bound)
			return false;
	return true;
}
