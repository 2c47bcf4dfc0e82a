/* vfio_dev.c — an open device: ivshmem registers, config space, bus
 * mastering, reset, MSI-X interrupts to eventfds (see ipsecha_vfio.h). */
#include "vfio_internal.h"

#include <errno.h>
#include <poll.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* ---- ivshmem registers --------------------------------------------------- */

static int reg_read32(const struct ipsecha_vfio *dev, unsigned int off, uint32_t *v)
{
	if (dev->regs_map) {
		*v = *(volatile uint32_t *)((char *)dev->regs_map + off);
		return 0;
	}
	if (SYS(dev, pread, dev->device_fd, v, 4, (off_t)(dev->regs_off + off)) != 4)
		return vfio_neg_errno();
	return 0;
}

static int reg_write32(const struct ipsecha_vfio *dev, unsigned int off, uint32_t v)
{
	if (dev->regs_map) {
		*(volatile uint32_t *)((char *)dev->regs_map + off) = v;
		return 0;
	}
	if (SYS(dev, pwrite, dev->device_fd, &v, 4, (off_t)(dev->regs_off + off)) != 4)
		return vfio_neg_errno();
	return 0;
}

int ipsecha_vfio_ivshmem_position(const struct ipsecha_vfio *dev)
{
	uint32_t v;
	int err;

	if (!dev)
		return -EINVAL;
	if (!dev->info.id || dev->info.id->kind != IPSECHA_VFIO_KIND_IVSHMEM)
		return -ENOTSUP;
	err = reg_read32(dev, IPSECHA_IVSHMEM_REG_IVPOSITION, &v);
	if (err)
		return err;
	return v > INT_MAX ? -ERANGE : (int)v;
}

int ipsecha_vfio_ivshmem_ring(const struct ipsecha_vfio *dev, uint16_t peer, uint16_t vector)
{
	if (!dev)
		return -EINVAL;
	if (!dev->info.id || dev->info.id->kind != IPSECHA_VFIO_KIND_IVSHMEM)
		return -ENOTSUP;
	return reg_write32(dev, IPSECHA_IVSHMEM_REG_DOORBELL, (uint32_t)peer << 16 | vector);
}

/* ---- config space, bus mastering, reset ---------------------------------- */

int ipsecha_vfio_config_read(const struct ipsecha_vfio *dev, unsigned int off, void *buf, size_t len)
{
	if (!dev || !buf)
		return -EINVAL;
	return vfio_cfg_io(dev, false, off, buf, len);
}

int ipsecha_vfio_config_write(const struct ipsecha_vfio *dev, unsigned int off,
			      const void *buf, size_t len)
{
	if (!dev || !buf)
		return -EINVAL;
	return vfio_cfg_io(dev, true, off, (void *)buf, len);
}

int ipsecha_vfio_bus_master(const struct ipsecha_vfio *dev, bool on)
{
	uint8_t c[2];
	uint16_t cmd;
	int err;

	if (!dev)
		return -EINVAL;
	err = vfio_cfg_io(dev, false, PCI_COMMAND, c, 2);
	if (err)
		return err;
	cmd = (uint16_t)(c[0] | c[1] << 8);
	if (on)
		cmd |= PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY;
	else
		cmd &= (uint16_t)~PCI_COMMAND_MASTER;
	c[0] = (uint8_t)cmd;
	c[1] = (uint8_t)(cmd >> 8);
	return vfio_cfg_io(dev, true, PCI_COMMAND, c, 2);
}

int ipsecha_vfio_reset(struct ipsecha_vfio *dev)
{
	uint8_t c[2];
	int err;

	if (!dev)
		return -EINVAL;
	if (!dev->info.can_reset)
		return -ENOTSUP;
	err = vfio_cfg_io(dev, false, PCI_COMMAND, c, 2);
	if (err)
		return err;
	if (SYS(dev, ioctl, dev->device_fd, VFIO_DEVICE_RESET, NULL) < 0)
		return vfio_neg_errno();
	/* The kernel restores saved config state; make sure the command
	 * register (bus mastering) is what it was before. */
	return vfio_cfg_io(dev, true, PCI_COMMAND, c, 2);
}

/* ---- interrupts ------------------------------------------------------------ */

int ipsecha_vfio_irq_enable(struct ipsecha_vfio *dev, unsigned int nvec)
{
	struct vfio_irq_set *set;
	size_t sz;
	int *fds, err = 0;
	unsigned int i;

	if (!dev || nvec == 0 || nvec > 64)
		return -EINVAL;
	if (dev->irq_count)
		return -EALREADY;
	if (nvec > dev->info.msix_vectors)
		return -ENOTSUP;
	fds = calloc(nvec, sizeof(*fds));
	sz = sizeof(*set) + nvec * sizeof(int32_t);
	set = calloc(1, sz);
	if (!fds || !set) {
		free(fds);
		free(set);
		return -ENOMEM;
	}
	for (i = 0; i < nvec; i++) {
		fds[i] = SYS(dev, eventfd, 0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (fds[i] < 0) {
			err = vfio_neg_errno();
			break;
		}
	}
	if (!err) {
		set->argsz = (uint32_t)sz;
		set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
		set->index = VFIO_PCI_MSIX_IRQ_INDEX;
		set->start = 0;
		set->count = nvec;
		memcpy(set->data, fds, nvec * sizeof(int32_t));
		if (SYS(dev, ioctl, dev->device_fd, VFIO_DEVICE_SET_IRQS, set) < 0)
			err = vfio_neg_errno();
	}
	free(set);
	if (err) {
		while (i-- > 0)
			SYS(dev, close, fds[i]);
		free(fds);
		return err;
	}
	dev->irq_fds = fds;
	dev->irq_count = nvec;
	return 0;
}

int ipsecha_vfio_irq_disable(struct ipsecha_vfio *dev)
{
	struct vfio_irq_set set = {
		.argsz = sizeof(set),
		.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
		.index = VFIO_PCI_MSIX_IRQ_INDEX,
		.start = 0,
		.count = 0,
	};
	int err = 0;

	if (!dev)
		return -EINVAL;
	if (!dev->irq_count)
		return 0;
	/* An inherited handle leaves the routing to its opener. */
	if (vfio_is_owner(dev) && SYS(dev, ioctl, dev->device_fd, VFIO_DEVICE_SET_IRQS, &set) < 0)
		err = vfio_neg_errno();
	/* Close the eventfds regardless: the device fd's release tears the
	 * routing down if the ioctl failed. */
	for (unsigned int i = 0; i < dev->irq_count; i++)
		SYS(dev, close, dev->irq_fds[i]);
	free(dev->irq_fds);
	dev->irq_fds = NULL;
	dev->irq_count = 0;
	return err;
}

int ipsecha_vfio_irq_fd(const struct ipsecha_vfio *dev, unsigned int vector)
{
	if (!dev || vector >= dev->irq_count)
		return -EINVAL;
	return dev->irq_fds[vector];
}

int64_t ipsecha_vfio_irq_wait(const struct ipsecha_vfio *dev, unsigned int vector, int timeout_ms)
{
	struct pollfd p;
	uint64_t count;
	int r;

	if (!dev || vector >= dev->irq_count)
		return -EINVAL;
	p.fd = dev->irq_fds[vector];
	p.events = POLLIN;
	for (;;) {
		r = poll(&p, 1, timeout_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return vfio_neg_errno();
		if (r == 0)
			return -ETIMEDOUT;
		if (read(p.fd, &count, sizeof(count)) == (ssize_t)sizeof(count))
			return count > INT64_MAX ? INT64_MAX : (int64_t)count;
		if (errno != EAGAIN && errno != EINTR)
			return vfio_neg_errno();
		/* Another thread consumed it: wait again. */
	}
}

