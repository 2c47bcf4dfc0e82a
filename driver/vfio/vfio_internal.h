/* vfio_internal.h — driver/vfio internals shared by its modules:
 * vfio.c (open/close), vfio_dev.c (registers, config space, reset,
 * interrupts), vfio_dma.c (DMA mappings). */
#ifndef IPSECHA_VFIO_INTERNAL_H
#define IPSECHA_VFIO_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ipsecha_vfio.h"
#include "vfio_compat.h"

#define PCI_COMMAND 0x04
#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4
#define PAGE 4096u
#define MAX_IOVA_RANGES 8

/* Every kernel interaction goes through the injectable table. */
#define SYS(dev, fn, ...) ((dev)->sys->fn((dev)->sys->ctx, __VA_ARGS__))

struct dma_map {
	uint64_t iova, len;
};

struct ipsecha_vfio {
	const struct ipsecha_vfio_sys *sys;
	pid_t pid; /* the opener: only it changes device state at close */
	struct ipsecha_vfio_info info;
	int container_fd; /* legacy */
	int group_fd;     /* legacy */
	int iommufd;      /* cdev */
	uint32_t ioas_id; /* cdev */
	int device_fd;
	uint64_t config_off;
	uint64_t card_off; /* region offsets within the device fd */
	uint64_t regs_off;
	void *card_map;
	size_t card_map_len;
	void *regs_map; /* NULL: registers via pread/pwrite */
	size_t regs_map_len;
	int *irq_fds;
	unsigned int irq_count;
	struct dma_map *maps;
	size_t nmaps, maps_cap;
	struct vfio_iova_range ranges[MAX_IOVA_RANGES];
	unsigned int nranges;  /* 0: not queried yet */
	uint64_t next_iova;
};

/* -errno of a failed call, never 0 (a misbehaving shim must not turn a
 * failure into success). */
int vfio_neg_errno(void);
/* Config-space access through the VFIO config region; off+len <= 4096. */
int vfio_cfg_io(const struct ipsecha_vfio *dev, bool write, unsigned int off, void *buf,
		size_t len);
/* True in the process that opened dev; false in a child that inherited it
 * across fork(), whose descriptors are shared with the opener. */
bool vfio_is_owner(const struct ipsecha_vfio *dev);

#endif
