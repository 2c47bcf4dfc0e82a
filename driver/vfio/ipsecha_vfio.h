/* ipsecha_vfio.h — userspace VFIO access to an ipsecha card.
 *
 * Opens a PCI function that the kernel's vfio-pci driver owns, through either
 * of the kernel's two VFIO interfaces:
 *
 *   legacy   /dev/vfio/vfio (container, type1 IOMMU) + /dev/vfio/<group>
 *   cdev     /dev/iommu (iommufd IOAS) + /dev/vfio/devices/vfioN (Linux 6.6+)
 *
 * and hands the caller what a card driver needs: the card's BAR mapped into
 * the process, bus mastering on, MSI-X vectors delivered to eventfds, device
 * reset, config-space access and a DMA-mapping helper for host-memory rings.
 *
 * Two kinds of device are recognised (ipsecha_vfio_lookup_id()): the card's
 * own PCI IDs, and QEMU's ivshmem-doorbell (1af4:1110), whose BAR2 is the
 * simulated card's BAR and whose BAR0 registers (IVPosition, Doorbell) carry
 * doorbells and interrupts.
 *
 * Errors: functions return 0 or a negative errno. ipsecha_vfio_open() also
 * fills a struct ipsecha_vfio_diag with a cause code and a one-line message
 * that names the device, what is wrong and what to do about it; a failed
 * open leaves nothing behind (no descriptor, mapping or device state).
 *
 * Thread-safety: a handle may be used by several threads for the read-only
 * accessors (info, BAR pointers, irq fds) and ipsecha_vfio_irq_wait() on
 * distinct vectors; every other call on one handle must be serialised by the
 * caller (libipsecha does). Distinct handles are independent. */
#ifndef IPSECHA_VFIO_H
#define IPSECHA_VFIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ipsecha_card_abi.h"
#include "vfio_sys.h"

struct ipsecha_vfio;

/* ---- device identification ----------------------------------------- */

/* The card's own PCI function: its IDs and the BAR of its window belong to
 * the card ABI (ICA_PCI_* in ipsecha_card_abi.h); these names stay for this
 * library's users. */
#define IPSECHA_PCI_VENDOR_ID ICA_PCI_VENDOR_ID
#define IPSECHA_PCI_DEVICE_ID ICA_PCI_DEVICE_ID
/* QEMU's ivshmem (plain or doorbell): the emulated card. */
#define IPSECHA_IVSHMEM_VENDOR_ID 0x1af4
#define IPSECHA_IVSHMEM_DEVICE_ID 0x1110

/* ivshmem BAR0 registers (QEMU docs/specs/ivshmem-spec.rst). */
enum {
	IPSECHA_IVSHMEM_REG_INTRMASK = 0x00,
	IPSECHA_IVSHMEM_REG_INTRSTATUS = 0x04,
	IPSECHA_IVSHMEM_REG_IVPOSITION = 0x08, /* read: our peer ID */
	IPSECHA_IVSHMEM_REG_DOORBELL = 0x0c,   /* write: peer << 16 | vector */
	IPSECHA_IVSHMEM_REGS_SIZE = 0x10,
};

enum ipsecha_vfio_kind {
	IPSECHA_VFIO_KIND_CARD,    /* the card itself */
	IPSECHA_VFIO_KIND_IVSHMEM, /* QEMU ivshmem attached to ipsecha-card-sim */
};

struct ipsecha_vfio_pci_id {
	uint16_t vendor, device;
	enum ipsecha_vfio_kind kind;
	const char *name;
	int card_bar;          /* BAR holding the card ABI window */
	int regs_bar;          /* BAR with ivshmem registers, or -1 */
	uint64_t min_card_bar; /* smallest card BAR this kind can have */
};

/* The table entry for vendor:device, or NULL when it is not a card. */
const struct ipsecha_vfio_pci_id *ipsecha_vfio_lookup_id(uint16_t vendor, uint16_t device);

/* ---- errors ----------------------------------------------------------- */

enum ipsecha_vfio_cause {
	IPSECHA_VFIO_OK = 0,
	IPSECHA_VFIO_E_ADDRESS,          /* -EINVAL: malformed BDF / cdev path */
	IPSECHA_VFIO_E_NO_DEVICE,        /* -ENODEV: no PCI device at that address */
	IPSECHA_VFIO_E_UNKNOWN_DEVICE,   /* -ENODEV: vendor:device is not a card */
	IPSECHA_VFIO_E_NOT_BOUND,        /* -ENODEV: no driver bound (vfio-pci needed) */
	IPSECHA_VFIO_E_OTHER_DRIVER,     /* -EBUSY: bound to another driver */
	IPSECHA_VFIO_E_NO_IOMMU_GROUP,   /* -ENODEV: IOMMU off, device has no group */
	IPSECHA_VFIO_E_NO_VFIO,          /* -ENOENT: VFIO device nodes missing */
	IPSECHA_VFIO_E_NO_CDEV,          /* -ENOENT: kernel lacks iommufd / device cdev */
	IPSECHA_VFIO_E_VFIO_API,         /* -EPROTONOSUPPORT: VFIO API / type1 missing */
	IPSECHA_VFIO_E_PERM,             /* -EACCES / -EPERM: permission denied */
	IPSECHA_VFIO_E_GROUP_NOT_VIABLE, /* -EBUSY: a group member is on a host driver */
	IPSECHA_VFIO_E_BUSY,             /* -EBUSY: group or device already in use */
	IPSECHA_VFIO_E_NOT_PCI,          /* -ENODEV: VFIO device is not vfio-pci */
	IPSECHA_VFIO_E_BAR_MISSING,      /* -ENXIO: a needed BAR is absent */
	IPSECHA_VFIO_E_BAR_TOO_SMALL,    /* -ENOSPC: a needed BAR is too small */
	IPSECHA_VFIO_E_BAR_NO_MMAP,      /* -ENOTSUP: BAR cannot be mmapped */
	IPSECHA_VFIO_E_NO_MSIX,          /* -ENOTSUP: too few MSI-X vectors */
	IPSECHA_VFIO_E_IDENTITY_ABSENT,  /* -EPROTO: no card identity block in the BAR */
	IPSECHA_VFIO_E_IDENTITY_VERSION, /* identity present, version refused */
	IPSECHA_VFIO_E_SYSCALL,          /* any other kernel error (errno kept) */
	IPSECHA_VFIO_E_NOMEM,            /* -ENOMEM */
};

#define IPSECHA_VFIO_MSG_MAX 320

struct ipsecha_vfio_diag {
	int err;                       /* the negative errno the call returned */
	enum ipsecha_vfio_cause cause; /* why, precisely */
	char msg[IPSECHA_VFIO_MSG_MAX]; /* one line: device, problem, remedy */
};

/* Stable short name of a cause ("group-not-viable", ...). */
const char *ipsecha_vfio_cause_name(enum ipsecha_vfio_cause cause);

/* ---- opening -------------------------------------------------------- */

enum ipsecha_vfio_mode {
	IPSECHA_VFIO_MODE_AUTO = 0, /* cdev when the kernel offers it, else legacy */
	IPSECHA_VFIO_MODE_LEGACY,   /* container/group, type1 IOMMU */
	IPSECHA_VFIO_MODE_CDEV,     /* iommufd + VFIO device cdev */
};

const char *ipsecha_vfio_mode_name(enum ipsecha_vfio_mode mode);
/* "auto" | "legacy" | "cdev" (also "iommufd") -> mode; -EINVAL otherwise. */
int ipsecha_vfio_mode_parse(const char *s, enum ipsecha_vfio_mode *mode);

/* Identity check run on the mapped card BAR before open succeeds. Returns 0
 * when the BAR holds an identity block this host accepts, -EPROTO when it
 * holds none (cause IDENTITY_ABSENT), -ENOSPC when the card's window is
 * larger than the BAR (cause BAR_TOO_SMALL), any other negative errno when
 * it holds one that is refused, e.g. a different ABI major version (cause
 * IDENTITY_VERSION). Writes a one-line reason into msg on failure.
 * vfio_card.h provides the check for the ipsecha card ABI. */
typedef int (*ipsecha_vfio_identity_fn)(const volatile void *bar, size_t len,
					void *arg, char *msg, size_t msglen);

/* Options, extensible: the first field is the struct's size so that a binary
 * built against an older header keeps working; fields beyond `sz` read as 0.
 * Build one with IPSECHA_VFIO_OPTS(name, .field = value, ...). */
struct ipsecha_vfio_opts {
	size_t sz;
	enum ipsecha_vfio_mode mode;
	const struct ipsecha_vfio_sys *sys; /* NULL: the real system calls */
	uint64_t min_card_bar;    /* required card BAR size; 0: the table's */
	unsigned int irq_vectors; /* MSI-X vectors needed; checked at open */
	ipsecha_vfio_identity_fn check_identity; /* NULL: no check */
	void *identity_arg;
};

#define IPSECHA_VFIO_OPTS(name, ...) \
	struct ipsecha_vfio_opts name = { .sz = sizeof(struct ipsecha_vfio_opts), __VA_ARGS__ }

/* Open the card at `addr`:
 *   "0000:00:03.0" or "00:03.0"   a PCI address (BDF) bound to vfio-pci;
 *   "/dev/vfio/devices/vfioN"     a VFIO device cdev (implies cdev mode).
 * opts may be NULL (auto mode, real syscalls, no identity check). diag may be
 * NULL. On success *out is the handle, bus mastering is on, and the card BAR
 * (and ivshmem registers) are mapped. */
int ipsecha_vfio_open(const char *addr, const struct ipsecha_vfio_opts *opts,
		      struct ipsecha_vfio **out, struct ipsecha_vfio_diag *diag);

/* The canonical form of an open() address ("00:03.0" -> "0000:00:03.0";
 * cdev paths unchanged), or -EINVAL when it is not one. */
int ipsecha_vfio_canonical_addr(const char *addr, char *out, size_t len);

/* Releases everything the handle holds (interrupts, DMA mappings, BAR
 * mappings, descriptors). NULL-safe. In a child that inherited the handle
 * across fork() it only drops the child's copies: the routing and mappings
 * belong to the opener, whose descriptors are the same. */
void ipsecha_vfio_close(struct ipsecha_vfio *dev);

struct ipsecha_vfio_info {
	char bdf[16];                  /* "0000:00:03.0", or "" if unknown (cdev) */
	char path[64];                 /* device node used: /dev/vfio/N or cdev */
	enum ipsecha_vfio_mode mode;   /* LEGACY or CDEV: what open chose */
	int iommu_group;               /* -1 when unknown */
	uint16_t vendor, device;
	const struct ipsecha_vfio_pci_id *id;
	uint64_t card_bar_size;
	uint64_t regs_bar_size;        /* 0 when the kind has none */
	unsigned int msix_vectors;     /* MSI-X vectors the device offers */
	bool can_reset;                /* VFIO_DEVICE_RESET is supported */
};

const struct ipsecha_vfio_info *ipsecha_vfio_get_info(const struct ipsecha_vfio *dev);

/* The mapped card BAR (the card ABI window) and its size. */
volatile void *ipsecha_vfio_card_bar(const struct ipsecha_vfio *dev, size_t *len);

/* ---- ivshmem registers (KIND_IVSHMEM only; -ENOTSUP otherwise) ---------- */

/* Our peer ID on the ivshmem server (the IVPosition register), >= 0. */
int ipsecha_vfio_ivshmem_position(const struct ipsecha_vfio *dev);
/* Ring `vector` of ivshmem peer `peer` (the Doorbell register). */
int ipsecha_vfio_ivshmem_ring(const struct ipsecha_vfio *dev, uint16_t peer, uint16_t vector);

/* ---- config space, bus mastering, reset -------------------------------- */

int ipsecha_vfio_config_read(const struct ipsecha_vfio *dev, unsigned int off, void *buf, size_t len);
int ipsecha_vfio_config_write(const struct ipsecha_vfio *dev, unsigned int off, const void *buf, size_t len);
/* Set or clear Bus Master Enable (and Memory Space Enable when setting). */
int ipsecha_vfio_bus_master(const struct ipsecha_vfio *dev, bool on);
/* VFIO_DEVICE_RESET; -ENOTSUP when the device offers no reset method. The
 * BAR mappings stay valid (the kernel refaults them after the reset); bus
 * mastering is restored to what it was. */
int ipsecha_vfio_reset(struct ipsecha_vfio *dev);

/* ---- interrupts ----------------------------------------------------- */

/* Route MSI-X vectors 0..nvec-1 to fresh non-blocking eventfds. */
int ipsecha_vfio_irq_enable(struct ipsecha_vfio *dev, unsigned int nvec);
/* Tear the routing down and close the eventfds (no-op when not enabled). */
int ipsecha_vfio_irq_disable(struct ipsecha_vfio *dev);
/* The eventfd of `vector` (poll it for POLLIN), or -EINVAL. The handle keeps
 * ownership: do not close it. */
int ipsecha_vfio_irq_fd(const struct ipsecha_vfio *dev, unsigned int vector);
/* Wait up to timeout_ms (-1: forever) for `vector` to fire; returns the number
 * of interrupts since the last wait (>= 1), -ETIMEDOUT, or -errno. */
int64_t ipsecha_vfio_irq_wait(const struct ipsecha_vfio *dev, unsigned int vector, int timeout_ms);

/* ---- DMA ------------------------------------------------------------ */

/* Map [vaddr, vaddr+len) (page-aligned, len > 0) for device reads and writes
 * and return its bus address in *iova. IOVAs come from the ranges the IOMMU
 * reports as usable and are not reused after unmap. */
int ipsecha_vfio_dma_map(struct ipsecha_vfio *dev, void *vaddr, size_t len, uint64_t *iova);
/* Undo one ipsecha_vfio_dma_map(); -ENOENT when (iova, len) was not mapped. */
int ipsecha_vfio_dma_unmap(struct ipsecha_vfio *dev, uint64_t iova, size_t len);

#endif
