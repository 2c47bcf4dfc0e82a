/* hl_vfio.c — the libipsecha `vfio:` backend: a card (or QEMU's
 * ivshmem-doorbell in front of ipsecha-card-sim) driven through vfio-pci.
 *
 * The backend contract (hostlib/hl_internal.h) asks for the whole card BAR
 * mapped, our peer id, a doorbell to the card and two interrupt vectors.
 * Through VFIO that is:
 *   BAR        the card window (BAR2 of ivshmem, BAR0 of the card), mmapped
 *   peer id    ivshmem: the IVPosition register (QEMU's peer id on the
 *              card's ivshmem server); the card: 0 (one host per function)
 *   doorbell   libipsecha writes the queue's doorbell register through the
 *              BAR mapping (card ABI). On the card that posted write is the
 *              doorbell. Behind ivshmem the BAR is shared memory nobody sees
 *              written, so we also write ivshmem's Doorbell register, peer
 *              << 16 | vector; QEMU turns it into an eventfd kick of the
 *              card process.
 *   vectors    MSI-X 0 (completion) and 1 (event) routed to eventfds; the
 *              card kicks QEMU's eventfds, QEMU raises MSI-X, vfio-pci
 *              signals ours. */
#include "hl_internal.h"
#include "hl_vfio.h"
#include "vfio_card.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One VFIO device per process, shared by every handle that opens it: the
 * kernel lets one process hold a VFIO group (or device cdev) at a time, and
 * the function has one MSI-X table, so the handles of a process share the
 * mapping and the eventfds. A handle that wakes on an interrupt meant for
 * another costs that one a re-check (libipsecha re-reads the rings after
 * every wait); the card gives each handle its own queue. */
struct shared_dev {
	struct ipsecha_vfio *v;
	unsigned int refs;
	char key[64];      /* canonical address it was opened by */
	int ivshmem;
	uint32_t peer_id;
	struct shared_dev *next;
};

struct vfio_hl {
	struct hl_dev base;
	struct shared_dev *s;
};

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t reg_once = PTHREAD_ONCE_INIT;
static struct shared_dev *reg;

/* A fork while another thread holds reg_lock must not leave the child
 * with a lock nobody will release. */
static void reg_prefork(void) { pthread_mutex_lock(&reg_lock); }
static void reg_postfork(void) { pthread_mutex_unlock(&reg_lock); }
static void reg_init(void) { pthread_atfork(reg_prefork, reg_postfork, reg_postfork); }

static const struct ipsecha_vfio_sys *backend_sys;
static _Thread_local struct ipsecha_vfio_diag last_diag;

const struct ipsecha_vfio_diag *ipsecha_vfio_backend_diag(void)
{
	return &last_diag;
}

void ipsecha_vfio_backend_set_sys(const struct ipsecha_vfio_sys *sys)
{
	backend_sys = sys;
}

/* Map the VFIO library's error onto the meanings ipsecha.h documents. */
static int hl_errno(const struct ipsecha_vfio_diag *d)
{
	switch (d->cause) {
	case IPSECHA_VFIO_E_NO_DEVICE:
		return -ENOENT;
	case IPSECHA_VFIO_E_UNKNOWN_DEVICE:
	case IPSECHA_VFIO_E_NOT_PCI:
	case IPSECHA_VFIO_E_IDENTITY_ABSENT:
	case IPSECHA_VFIO_E_BAR_MISSING:
	case IPSECHA_VFIO_E_BAR_TOO_SMALL:
		return -ENODEV;
	case IPSECHA_VFIO_E_IDENTITY_VERSION:
		return -EPROTO;
	default:
		return d->err;
	}
}

static int diag_fail(int err, enum ipsecha_vfio_cause cause, const char *msg)
{
	last_diag.err = err;
	last_diag.cause = cause;
	snprintf(last_diag.msg, sizeof(last_diag.msg), "%s", msg);
	return err;
}

static void report(void)
{
	if (!getenv("IPSECHA_VFIO_QUIET"))
		fprintf(stderr, "ipsecha: vfio: %s\n", last_diag.msg);
}

static void shared_put(struct shared_dev *sd)
{
	struct shared_dev **pp;

	pthread_mutex_lock(&reg_lock);
	if (--sd->refs == 0) {
		for (pp = &reg; *pp; pp = &(*pp)->next)
			if (*pp == sd) {
				*pp = sd->next;
				break;
			}
		ipsecha_vfio_close(sd->v);
		free(sd);
	}
	pthread_mutex_unlock(&reg_lock);
}

static void vfio_hl_close(struct hl_dev *dev)
{
	struct vfio_hl *d = (struct vfio_hl *)dev;

	if (!d)
		return;
	shared_put(d->s);
	free(d);
}

/* "ADDR[?mode=M]" -> addr, mode. */
static int parse_arg(const char *arg, char *addr, size_t len, enum ipsecha_vfio_mode *mode)
{
	const char *q = strchr(arg, '?'), *env = getenv("IPSECHA_VFIO_MODE");
	size_t n = q ? (size_t)(q - arg) : strlen(arg);

	if (n == 0 || n >= len)
		return -EINVAL;
	memcpy(addr, arg, n);
	addr[n] = 0;
	*mode = IPSECHA_VFIO_MODE_AUTO;
	if (q) {
		if (strncmp(q, "?mode=", 6))
			return -EINVAL;
		return ipsecha_vfio_mode_parse(q + 6, mode);
	}
	if (env && *env)
		return ipsecha_vfio_mode_parse(env, mode);
	return 0;
}

/* Open the device for a first handle of this process. Caller holds reg_lock. */
static int shared_open(const char *addr, const char *key, enum ipsecha_vfio_mode mode,
		       struct shared_dev **out)
{
	struct shared_dev *sd = calloc(1, sizeof(*sd));
	int err, pos;

	if (!sd)
		return diag_fail(-ENOMEM, IPSECHA_VFIO_E_NOMEM, "out of memory");
	{
		IPSECHA_VFIO_OPTS(o, .mode = mode, .sys = backend_sys,
				  .min_card_bar = sizeof(struct ica_id),
				  .irq_vectors = ICA_NUM_VECTORS,
				  .check_identity = ipsecha_vfio_check_card_identity);

		err = ipsecha_vfio_open(addr, &o, &sd->v, &last_diag);
	}
	if (err) {
		free(sd);
		return hl_errno(&last_diag);
	}
	sd->ivshmem = ipsecha_vfio_get_info(sd->v)->id->kind == IPSECHA_VFIO_KIND_IVSHMEM;
	if (sd->ivshmem) {
		pos = ipsecha_vfio_ivshmem_position(sd->v);
		if (pos < 0 || pos > 0xffff) {
			err = pos < 0 ? pos : -ERANGE;
			snprintf(last_diag.msg, sizeof(last_diag.msg),
				 "%s: reading IVPosition: %s", addr, strerror(-err));
			goto fail;
		}
		sd->peer_id = (uint32_t)pos;
	}
	err = ipsecha_vfio_irq_enable(sd->v, ICA_NUM_VECTORS);
	if (err) {
		snprintf(last_diag.msg, sizeof(last_diag.msg),
			 "%s: routing MSI-X vectors to eventfds: %s", addr, strerror(-err));
		goto fail;
	}
	snprintf(sd->key, sizeof(sd->key), "%s", key);
	sd->refs = 1;
	sd->next = reg;
	reg = sd;
	*out = sd;
	return 0;
fail:
	last_diag.err = err;
	last_diag.cause = IPSECHA_VFIO_E_SYSCALL;
	ipsecha_vfio_close(sd->v);
	free(sd);
	return err;
}

static int vfio_hl_open(const char *arg, int timeout_ms, struct hl_dev **out)
{
	struct shared_dev *sd;
	struct vfio_hl *d;
	enum ipsecha_vfio_mode mode;
	char addr[128], key[64];
	size_t len;
	int err = 0;

	(void)timeout_ms; /* VFIO opens do not wait; libipsecha waits for READY */
	memset(&last_diag, 0, sizeof(last_diag));
	if (parse_arg(arg, addr, sizeof(addr), &mode) ||
	    ipsecha_vfio_canonical_addr(addr, key, sizeof(key))) {
		diag_fail(-EINVAL, IPSECHA_VFIO_E_ADDRESS,
			  "bad vfio: address (vfio:DDDD:BB:DD.F or vfio:/dev/vfio/devices/vfioN, "
			  "optionally ?mode=legacy|cdev|auto; or a bad $IPSECHA_VFIO_MODE)");
		report();
		return -EINVAL;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return diag_fail(-ENOMEM, IPSECHA_VFIO_E_NOMEM, "out of memory");
	pthread_once(&reg_once, reg_init);
	pthread_mutex_lock(&reg_lock);
	for (sd = reg; sd; sd = sd->next) {
		const struct ipsecha_vfio_info *in = ipsecha_vfio_get_info(sd->v);

		if (!strcmp(sd->key, key) || !strcmp(in->bdf, key) || !strcmp(in->path, key))
			break;
	}
	if (sd)
		sd->refs++;
	else
		err = shared_open(addr, key, mode, &sd);
	pthread_mutex_unlock(&reg_lock);
	if (err) {
		free(d);
		report();
		return err;
	}
	d->s = sd;
	d->base.ops = &hl_backend_vfio;
	d->base.bar = (uint8_t *)(uintptr_t)ipsecha_vfio_card_bar(sd->v, &len);
	d->base.bar_size = len;
	d->base.peer_id = sd->peer_id;
	*out = &d->base;
	return 0;
}

static int vfio_hl_doorbell(struct hl_dev *dev, uint32_t peer, uint32_t vec)
{
	struct vfio_hl *d = (struct vfio_hl *)dev;

	if (peer > 0xffff || vec > 0xffff)
		return -EINVAL;
	/* On the card, the doorbell register write libipsecha just made
	 * through the BAR mapping is the whole doorbell. */
	if (!d->s->ivshmem)
		return 0;
	return ipsecha_vfio_ivshmem_ring(d->s->v, (uint16_t)peer, (uint16_t)vec);
}

static int vfio_hl_wait(struct hl_dev *dev, uint32_t vec, int timeout_ms)
{
	struct vfio_hl *d = (struct vfio_hl *)dev;
	int64_t r = ipsecha_vfio_irq_wait(d->s->v, vec, timeout_ms);

	if (r == -ETIMEDOUT)
		return 0;
	if (r == -EINTR)
		return 0;
	return r < 0 ? (int)r : 1;
}

static int vfio_hl_irq_fd(struct hl_dev *dev, uint32_t vec)
{
	struct vfio_hl *d = (struct vfio_hl *)dev;

	return ipsecha_vfio_irq_fd(d->s->v, vec);
}

const struct hl_backend_ops hl_backend_vfio = {
	.scheme = "vfio",
	.open = vfio_hl_open,
	.close = vfio_hl_close,
	.doorbell = vfio_hl_doorbell,
	.wait = vfio_hl_wait,
	.irq_fd = vfio_hl_irq_fd,
};
