/* vfio_compat.h — the iommufd and VFIO device-cdev uapi bits that Debian 12's
 * linux-libc-dev (6.1) lacks.
 *
 * iommufd landed in Linux 6.2 (/dev/iommu, <linux/iommufd.h>) and the VFIO
 * device character device (/dev/vfio/devices/vfioN, VFIO_DEVICE_BIND_IOMMUFD)
 * in 6.6. We build against 6.1 headers but must drive newer kernels, so the
 * few ioctls we use are declared here, each guarded so that newer system
 * headers win. Layouts are the kernel's ABI (include/uapi/linux/iommufd.h and
 * vfio.h); a _Static_assert pins every size so a typo cannot slip through.
 *
 * Every struct starts with its own size (argsz / size): the kernel accepts a
 * shorter struct from an older binary and zero-checks any tail it does not
 * know, so using the original (smallest) layout is forward compatible. */
#ifndef IPSECHA_VFIO_COMPAT_H
#define IPSECHA_VFIO_COMPAT_H

#include <linux/ioctl.h>
#include <linux/types.h>
#include <linux/vfio.h>

/* ---- <linux/iommufd.h> (Linux 6.2+) ---------------------------------- */
#ifndef IOMMUFD_TYPE
#define IOMMUFD_TYPE (';')

enum {
	IOMMUFD_CMD_BASE = 0x80,
	IOMMUFD_CMD_DESTROY = IOMMUFD_CMD_BASE,
	IOMMUFD_CMD_IOAS_ALLOC,
	IOMMUFD_CMD_IOAS_ALLOW_IOVAS,
	IOMMUFD_CMD_IOAS_COPY,
	IOMMUFD_CMD_IOAS_IOVA_RANGES,
	IOMMUFD_CMD_IOAS_MAP,
	IOMMUFD_CMD_IOAS_UNMAP,
};

struct iommu_destroy {
	__u32 size;
	__u32 id;
};
#define IOMMU_DESTROY _IO(IOMMUFD_TYPE, IOMMUFD_CMD_DESTROY)

struct iommu_ioas_alloc {
	__u32 size;
	__u32 flags;
	__u32 out_ioas_id;
};
#define IOMMU_IOAS_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_ALLOC)

enum iommufd_ioas_map_flags {
	IOMMU_IOAS_MAP_FIXED_IOVA = 1 << 0,
	IOMMU_IOAS_MAP_WRITEABLE = 1 << 1,
	IOMMU_IOAS_MAP_READABLE = 1 << 2,
};

struct iommu_ioas_map {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__u32 __reserved;
	__aligned_u64 user_va;
	__aligned_u64 length;
	__aligned_u64 iova;
};
#define IOMMU_IOAS_MAP _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_MAP)

struct iommu_ioas_unmap {
	__u32 size;
	__u32 ioas_id;
	__aligned_u64 iova;
	__aligned_u64 length;
};
#define IOMMU_IOAS_UNMAP _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_UNMAP)
#endif /* IOMMUFD_TYPE */

/* ---- VFIO device cdev (Linux 6.6+) ------------------------------------ */
#ifndef VFIO_DEVICE_BIND_IOMMUFD
struct vfio_device_bind_iommufd {
	__u32 argsz;
	__u32 flags;
	__s32 iommufd;
	__u32 out_devid;
};
#define VFIO_DEVICE_BIND_IOMMUFD _IO(VFIO_TYPE, VFIO_BASE + 18)

struct vfio_device_attach_iommufd_pt {
	__u32 argsz;
	__u32 flags;
	__u32 pt_id;
};
#define VFIO_DEVICE_ATTACH_IOMMUFD_PT _IO(VFIO_TYPE, VFIO_BASE + 19)

struct vfio_device_detach_iommufd_pt {
	__u32 argsz;
	__u32 flags;
};
#define VFIO_DEVICE_DETACH_IOMMUFD_PT _IO(VFIO_TYPE, VFIO_BASE + 20)
#endif /* VFIO_DEVICE_BIND_IOMMUFD */

/* The ioctl numbers are _IO(';', 0x80 + n) / _IO(';', 100 + n): pin them. */
_Static_assert(IOMMU_IOAS_ALLOC == 0x3b81, "IOMMU_IOAS_ALLOC number");
_Static_assert(IOMMU_IOAS_MAP == 0x3b85, "IOMMU_IOAS_MAP number");
_Static_assert(IOMMU_IOAS_UNMAP == 0x3b86, "IOMMU_IOAS_UNMAP number");
_Static_assert(VFIO_DEVICE_BIND_IOMMUFD == 0x3b76, "BIND_IOMMUFD number");
_Static_assert(VFIO_DEVICE_ATTACH_IOMMUFD_PT == 0x3b77, "ATTACH_PT number");
_Static_assert(sizeof(struct iommu_ioas_alloc) == 12, "iommu_ioas_alloc");
_Static_assert(sizeof(struct iommu_ioas_map) == 40, "iommu_ioas_map");
_Static_assert(sizeof(struct iommu_ioas_unmap) == 24, "iommu_ioas_unmap");
_Static_assert(sizeof(struct iommu_destroy) == 8, "iommu_destroy");
_Static_assert(sizeof(struct vfio_device_bind_iommufd) >= 16, "bind_iommufd");
_Static_assert(sizeof(struct vfio_device_attach_iommufd_pt) >= 12, "attach_pt");

#endif
