/* vfio_dma.c — DMA mappings for host-memory rings: type1 (legacy
 * container, IOVAs chosen here from the ranges the IOMMU reports) or
 * iommufd (IOAS, IOVAs chosen by the kernel). */
#include "vfio_internal.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* ---- DMA --------------------------------------------------------------------- */

/* Learn the usable IOVA ranges of a type1 container (the IOVA_RANGE
 * capability of VFIO_IOMMU_GET_INFO; absent on old kernels, in which case
 * the whole 32..47-bit space is assumed). */
static int legacy_ranges(struct ipsecha_vfio *dev)
{
	struct vfio_iommu_type1_info hdr = { .argsz = sizeof(hdr) };
	struct vfio_iommu_type1_info *info;
	size_t alloc, lim, off;
	int err = 0;

	if (SYS(dev, ioctl, dev->container_fd, VFIO_IOMMU_GET_INFO, &hdr) < 0)
		return vfio_neg_errno();
	if (hdr.argsz > 65536)
		return -EOVERFLOW;
	alloc = hdr.argsz > sizeof(hdr) ? hdr.argsz : sizeof(hdr);
	info = calloc(1, alloc);
	if (!info)
		return -ENOMEM;
	info->argsz = (uint32_t)alloc;
	if (SYS(dev, ioctl, dev->container_fd, VFIO_IOMMU_GET_INFO, info) < 0) {
		err = vfio_neg_errno();
		goto out;
	}
	dev->nranges = 0;
	/* Walk the capability chain, bounded by what we allocated and by what
	 * the kernel says it wrote, whichever is smaller. */
	lim = info->argsz < alloc ? info->argsz : alloc;
	off = (info->flags & VFIO_IOMMU_INFO_CAPS) ? info->cap_offset : 0;
	for (int hops = 0; off && hops < 16; hops++) {
		struct vfio_info_cap_header c;
		const char *at = (const char *)info + off;

		if (off < sizeof(*info) || off > lim || lim - off < sizeof(c))
			break;
		/* The kernel aligns capabilities to 8 bytes; copy them out anyway,
		 * so a misaligned chain cannot cause a misaligned access. */
		memcpy(&c, at, sizeof(c));
		if (c.id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE &&
		    lim - off >= sizeof(struct vfio_iommu_type1_info_cap_iova_range)) {
			const size_t first = offsetof(struct vfio_iommu_type1_info_cap_iova_range,
						      iova_ranges);
			size_t room = (lim - off - first) / sizeof(struct vfio_iova_range);
			uint32_t nr;

			memcpy(&nr, at + offsetof(struct vfio_iommu_type1_info_cap_iova_range, nr_iovas),
			       sizeof(nr));
			for (uint32_t i = 0; i < nr && i < room && dev->nranges < MAX_IOVA_RANGES; i++) {
				struct vfio_iova_range rg;

				memcpy(&rg, at + first + i * sizeof(rg), sizeof(rg));
				if (rg.start <= rg.end)
					dev->ranges[dev->nranges++] = rg;
			}
		}
		off = c.next;
	}
	if (!dev->nranges) {
		dev->ranges[0].start = 1ull << 32;
		dev->ranges[0].end = (1ull << 47) - 1;
		dev->nranges = 1;
	}
	/* Stay clear of IOVA 0 and the low 1 MiB (legacy ISA / x86 MSI quirks). */
	dev->next_iova = 1ull << 20;
out:
	free(info);
	return err;
}

/* Pick the next free IOVA for len bytes from the usable ranges. */
static int legacy_alloc_iova(struct ipsecha_vfio *dev, uint64_t len, uint64_t *iova)
{
	for (unsigned int i = 0; i < dev->nranges; i++) {
		uint64_t start = dev->ranges[i].start, end = dev->ranges[i].end;
		uint64_t at = dev->next_iova > start ? dev->next_iova : start;

		at = (at + PAGE - 1) & ~(uint64_t)(PAGE - 1);
		/* (at + len wrapping to 0 would let a later map reuse IOVAs) */
		if (at < start || at > end || end - at < len - 1 || at + len < at)
			continue;
		*iova = at;
		dev->next_iova = at + len;
		return 0;
	}
	return -ENOSPC;
}

int ipsecha_vfio_dma_map(struct ipsecha_vfio *dev, void *vaddr, size_t len, uint64_t *iova)
{
	uint64_t at = 0;
	int err;

	if (!dev || !vaddr || !iova || len == 0 || ((uintptr_t)vaddr | len) & (PAGE - 1))
		return -EINVAL;
	if (dev->nmaps == dev->maps_cap) {
		size_t cap = dev->maps_cap ? dev->maps_cap * 2 : 8;
		struct dma_map *m = realloc(dev->maps, cap * sizeof(*m));

		if (!m)
			return -ENOMEM;
		dev->maps = m;
		dev->maps_cap = cap;
	}
	if (dev->iommufd >= 0) {
		struct iommu_ioas_map m = {
			.size = sizeof(m),
			.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
			.ioas_id = dev->ioas_id,
			.user_va = (uintptr_t)vaddr,
			.length = len,
		};

		if (SYS(dev, ioctl, dev->iommufd, IOMMU_IOAS_MAP, &m) < 0)
			return vfio_neg_errno();
		at = m.iova;
	} else {
		struct vfio_iommu_type1_dma_map m = {
			.argsz = sizeof(m),
			.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
			.vaddr = (uintptr_t)vaddr,
			.size = len,
		};

		if (!dev->nranges && (err = legacy_ranges(dev)))
			return err;
		err = legacy_alloc_iova(dev, len, &at);
		if (err)
			return err;
		m.iova = at;
		if (SYS(dev, ioctl, dev->container_fd, VFIO_IOMMU_MAP_DMA, &m) < 0)
			return vfio_neg_errno();
	}
	dev->maps[dev->nmaps].iova = at;
	dev->maps[dev->nmaps].len = len;
	dev->nmaps++;
	*iova = at;
	return 0;
}

int ipsecha_vfio_dma_unmap(struct ipsecha_vfio *dev, uint64_t iova, size_t len)
{
	size_t i;
	int r;

	if (!dev)
		return -EINVAL;
	for (i = 0; i < dev->nmaps; i++)
		if (dev->maps[i].iova == iova && dev->maps[i].len == len)
			break;
	if (i == dev->nmaps)
		return -ENOENT;
	if (!vfio_is_owner(dev)) {
		/* Inherited across fork: the mapping is the opener's. */
		dev->maps[i] = dev->maps[--dev->nmaps];
		return 0;
	}
	if (dev->iommufd >= 0) {
		struct iommu_ioas_unmap u = {
			.size = sizeof(u), .ioas_id = dev->ioas_id, .iova = iova, .length = len,
		};

		r = SYS(dev, ioctl, dev->iommufd, IOMMU_IOAS_UNMAP, &u);
	} else {
		struct vfio_iommu_type1_dma_unmap u = {
			.argsz = sizeof(u), .iova = iova, .size = len,
		};

		r = SYS(dev, ioctl, dev->container_fd, VFIO_IOMMU_UNMAP_DMA, &u);
	}
	/* Forget the mapping even if the kernel refused: closing the container
	 * or iommufd drops every mapping anyway. */
	dev->maps[i] = dev->maps[--dev->nmaps];
	return r < 0 ? vfio_neg_errno() : 0;
}
