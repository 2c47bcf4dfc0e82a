/* fake_kernel.h — an in-memory model of the parts of Linux that driver/vfio
 * talks to (sysfs PCI nodes, /dev/vfio, /dev/iommu, the VFIO and iommufd
 * ioctls, BAR mmap, eventfds), behind a struct ipsecha_vfio_sys.
 *
 * It is a unit-test fixture in addition to the real run in a QEMU guest
 * (tests/vfio/run-guest.sh), never instead: it lets a test put the kernel in
 * any state (IOMMU off, group not viable, BAR too small, ...) and inject a
 * failure into any single call, then check the library's answer and that it
 * left nothing behind (descriptors, mappings, DMA, interrupt routing).
 *
 * Behaviour follows the kernel's documented semantics (vfio.rst,
 * iommufd.rst, the uapi headers); where the fake is stricter (argsz checks,
 * page alignment) it fails the call the way the kernel does. */
#ifndef IPSECHA_TEST_FAKE_KERNEL_H
#define IPSECHA_TEST_FAKE_KERNEL_H

#include <stdbool.h>
#include <stdint.h>

#include "driver/vfio/vfio_sys.h"

#define FK_REGIONS 9 /* BAR0..5, ROM, CONFIG, VGA */
#define FK_MAX_DEVS 4
#define FK_MAX_FDS 64
#define FK_MAX_DMA 32
#define FK_MAX_IRQ 8

struct fk_region {
	uint64_t size;
	uint32_t flags; /* VFIO_REGION_INFO_FLAG_* */
	uint8_t *mem;   /* backing store (page aligned), allocated by fk_finalize */
};

struct fk_device {
	char bdf[16];
	uint16_t vendor, device;
	const char *driver;   /* NULL: no driver bound */
	int group;            /* -1: no IOMMU group (IOMMU off) */
	int cdev;             /* N of /dev/vfio/devices/vfioN, -1: none */
	uint32_t vfio_flags;  /* VFIO_DEVICE_FLAGS_* */
	unsigned int msix;    /* MSI-X vectors */
	struct fk_region r[FK_REGIONS];
	uint8_t config[256];
	/* state */
	int opened;           /* device fds open */
	bool bound;           /* cdev bound to an iommufd */
	bool attached;        /* cdev attached to an IOAS */
	int irq_fds[FK_MAX_IRQ];
	unsigned int irq_count;
	int resets;
};

struct fk_dma {
	bool used;
	uint64_t iova, len;
};

struct fake_kernel {
	struct fk_device dev[FK_MAX_DEVS];
	int ndev;
	/* what exists */
	bool vfio_node;        /* /dev/vfio/vfio */
	bool iommufd_node;     /* /dev/iommu */
	bool no_cdev_nodes;    /* sysfs vfio-dev only, no /dev/vfio/devices (6.1-6.5) */
	bool type1;            /* type1 IOMMU offered */
	int api_version;
	bool group_viable;
	bool iova_cap;         /* report the IOVA_RANGE capability */
	bool group_elsewhere;  /* another process holds the group open */
	bool device_elsewhere; /* another process holds device 0 open */
	/* state */
	bool group_open;
	bool container_has_group;
	bool iommu_set;
	int ioas;              /* allocated IOAS id, 0: none */
	struct fk_dma dma[FK_MAX_DMA];
	/* fd table: index + FK_FD_BASE is the fd number */
	struct { int kind; int obj; } fds[FK_MAX_FDS];
	int live_fds;          /* fake fds open (files, vfio, iommufd) */
	int live_eventfds;     /* real eventfds created and not closed */
	int live_maps;         /* mmaps not unmapped */
	int live_dma;          /* DMA mappings not unmapped */
	/* faults: the k-th call (1-based, any kind) fails with fail_errno */
	long calls;
	long fail_at;
	int fail_errno;
	/* targeted faults */
	const char *fail_open_path;
	int fail_open_errno;
	unsigned long fail_ioctl_req;
	int fail_ioctl_errno;
	int fail_mmap_errno;
	int fail_eventfd_errno;
	/* VFIO_IOMMU_GET_INFO answers with these bytes when set (fuzzing):
	 * argsz is taken from the blob, the rest copied as far as it fits. */
	const uint8_t *iommu_info_blob;
	size_t iommu_info_len;
	/* the process that set the kernel up; a forked child may close
	 * eventfds that are still routed (they are its copies) */
	int pid;
	/* what the library asked */
	unsigned long last_ioctl;
	long nioctl;
	struct ipsecha_vfio_sys sys;
};

#define FK_FD_BASE 1000

/* A kernel with one ivshmem-doorbell (1af4:1110) at 0000:00:03.0, bound to
 * vfio-pci, IOMMU group 3, cdev vfio0 (when `cdev`), BAR0 256 bytes of
 * registers, BAR2 `bar2` bytes, 2 MSI-X vectors, legacy and (when `cdev`)
 * iommufd available. */
void fk_init_ivshmem(struct fake_kernel *fk, uint64_t bar2, bool cdev);
/* Adds a device; returns its index. */
int fk_add_device(struct fake_kernel *fk, const char *bdf, uint16_t vendor,
		  uint16_t device, const char *driver, int group);
/* Allocates region memory; call after setting region sizes. */
void fk_finalize(struct fake_kernel *fk);
/* Frees region memory. */
void fk_destroy(struct fake_kernel *fk);
/* Nothing held: no fake fds, eventfds, mmaps, DMA or IRQ routing left. */
bool fk_clean(const struct fake_kernel *fk);

#endif
