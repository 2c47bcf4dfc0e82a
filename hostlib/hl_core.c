/* hl_core.c — open/close, ABI checks, queue ownership, submission. */
#include "hl_internal.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

static const struct hl_backend_ops *const backends[] = {
	&hl_backend_sim,
#ifdef IPSECHA_HAVE_VFIO
	&hl_backend_vfio,
#endif
#ifdef IPSECHA_TEST_BACKEND
	&hl_backend_test,
#endif
};

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint32_t ld_acq(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void st_rel(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static int is_pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

/* Options: sz first; bytes past what we know must be zero (libbpf rule). */
static int opts_valid(const struct ipsecha_open_opts *o)
{
	const unsigned char *p;
	size_t i;

	if (!o)
		return 1;
	if (o->sz < sizeof(size_t))
		return 0;
	p = (const unsigned char *)o;
	for (i = sizeof(*o); i < o->sz; i++)
		if (p[i])
			return 0;
	return 1;
}

#define OPT(o, f, def) \
	((o) && (o)->sz >= offsetof(struct ipsecha_open_opts, f) + sizeof((o)->f) && (o)->f \
	 ? (o)->f : (def))

/* Check what the card publishes before trusting any of it: every region
 * must lie inside the BAR and match the structure sizes we compiled. */
static int check_identity(struct ipsecha *h, unsigned want_major, unsigned want_minor)
{
	const struct ica_id *c = &h->idc;
	size_t bar = h->dev->bar_size;
	uint64_t qend;

	if (c->magic != ICA_MAGIC)
		return -ENODEV;
	/* Versions: majors must be equal; the card's minor must be at least
	 * the one this host was built for. */
	if (c->abi_major != want_major || c->abi_minor < want_minor)
		return -EPROTO;
	if (c->id_size < sizeof(struct ica_id) || c->bar_size > bar)
		return -ENODEV;
	if (!c->num_sa || !c->num_group || c->num_group > 0x10000u || c->window < 64 ||
	    !c->num_queues || c->num_queues > 256 || !is_pow2(c->cmd_entries) ||
	    c->cpl_entries != c->cmd_entries || !is_pow2(c->ev_entries) || !c->rb_entries)
		return -ENODEV;
	/* SLOT_READ with BITMAP puts window/32 words into the readback window. */
	if (c->window % 32 || (uint64_t)c->window / 8 > (uint64_t)c->rb_entries * sizeof(struct ica_rb))
		return -ENODEV;
	if ((uint64_t)c->ctrl_off + sizeof(struct ica_ctrl) > bar ||
	    (uint64_t)c->qtab_off + (uint64_t)c->num_queues * sizeof(struct ica_queue) > bar ||
	    (uint64_t)c->evring_off + (uint64_t)c->ev_entries * sizeof(struct ica_ev) > bar)
		return -ENODEV;
	if ((uint64_t)c->qmem_cmd_off + (uint64_t)c->cmd_entries * sizeof(struct ica_cmd) > c->qmem_stride ||
	    (uint64_t)c->qmem_cpl_off + (uint64_t)c->cpl_entries * sizeof(struct ica_cpl) > c->qmem_stride ||
	    (uint64_t)c->qmem_rb_off + (uint64_t)c->rb_entries * sizeof(struct ica_rb) > c->qmem_stride)
		return -ENODEV;
	qend = (uint64_t)c->qmem_off + (uint64_t)c->num_queues * c->qmem_stride;
	if (qend > bar || ((c->ctrl_off | c->qtab_off | c->evring_off | c->qmem_off |
			    c->qmem_stride | c->qmem_cmd_off | c->qmem_cpl_off | c->qmem_rb_off) & 7u))
		return -ENODEV;
	/* Doorbells: one aligned 32-bit register per queue, inside the BAR. */
	if (c->db_stride < sizeof(uint32_t) || ((c->db_off | c->db_stride) & 3u) ||
	    (uint64_t)c->db_off + (uint64_t)(c->num_queues - 1) * c->db_stride +
	    sizeof(uint32_t) > bar)
		return -ENODEV;
	return 0;
}

/* Tell the card that `prod` is published: the queue's doorbell register,
 * then whatever the transport needs to notice it (ivshmem: a kick). The
 * fence orders the ring entries and cmd_prod before the register write. */
static int ring_doorbell(struct ipsecha *h, uint32_t prod)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	*h->db = prod;
	return h->dev->ops->doorbell(h->dev, h->idc.doorbell_peer, ICA_VEC_DOORBELL);
}

static int wait_ready(struct ipsecha *h)
{
	uint64_t deadline = now_us() + (uint64_t)h->timeout_ms * 1000u;
	uint32_t st;

	for (;;) {
		st = ld_acq(&h->id->state);
		if (st == ICA_STATE_READY)
			break;
		if (st == ICA_STATE_FAILED)
			return -EIO;
		if (st == ICA_STATE_STOPPED)
			return -ESHUTDOWN;
		if (now_us() > deadline)
			return st == ICA_STATE_OFF ? -ENODEV : -ETIMEDOUT;
		usleep(1000);
	}
	memcpy(&h->idc, (const void *)h->id, sizeof(h->idc));
	return 0;
}

static int pid_dead(uint32_t pid)
{
	return pid && kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

/* Take a free queue, or one of our own peer whose owner process is dead
 * (several processes share one peer behind a VFIO guest). */
static int claim_queue(struct ipsecha *h)
{
	uint8_t *bar = h->dev->bar;
	uint32_t pid = (uint32_t)getpid(), i;
	uint16_t nonce = 0;

	if (getrandom(&nonce, sizeof(nonce), 0) != sizeof(nonce))
		nonce = (uint16_t)(now_us() ^ pid);
	h->tag = ICA_TAG_MAKE(h->dev->peer_id, nonce | 1u);
	for (i = 0; i < h->idc.num_queues; i++) {
		struct ica_queue *q = (struct ica_queue *)(void *)(bar + h->idc.qtab_off) + i;
		uint64_t *owner = (uint64_t *)(void *)&q->owner_tag;
		uint64_t cur = __atomic_load_n(owner, __ATOMIC_ACQUIRE);
		uint32_t tag = (uint32_t)cur, opid = (uint32_t)(cur >> 32);
		uint64_t mine = ((uint64_t)pid << 32) | h->tag;

		if (tag & ICA_TAG_VALID) {
			if (ICA_TAG_PEER(tag) != h->dev->peer_id || opid == pid || !pid_dead(opid))
				continue;
		}
		if (!__atomic_compare_exchange_n(owner, &cur, mine, 0, __ATOMIC_ACQ_REL,
						 __ATOMIC_ACQUIRE))
			continue;
		h->qidx = i;
		h->q = q;
		return 0;
	}
	return -EBUSY;
}

/* After a claim: let the card finish (or drop) whatever the previous owner
 * published, then skip its completions. */
static int sync_queue(struct ipsecha *h)
{
	uint64_t deadline = now_us() + (uint64_t)h->timeout_ms * 1000u;
	uint32_t prod = ld_acq(&h->q->cmd_prod), cons;

	for (;;) {
		cons = ld_acq(&h->q->cmd_cons);
		if (prod - cons > h->idc.cmd_entries) {
			/* Garbage from a dead owner: publish nothing more. */
			prod = cons;
			st_rel(&h->q->cmd_prod, prod);
			break;
		}
		/* Keep the completion ring open so the card can finish. */
		st_rel(&h->q->cpl_cons, ld_acq(&h->q->cpl_prod));
		if (cons == prod)
			break;
		if (now_us() > deadline)
			return -ETIMEDOUT;
		(void)ring_doorbell(h, prod);
		usleep(200);
	}
	h->prod = prod;
	h->ccons = ld_acq(&h->q->cpl_prod);
	st_rel(&h->q->cpl_cons, h->ccons);
	return 0;
}

int ipsecha_open(const char *uri, const struct ipsecha_open_opts *opts, struct ipsecha **out)
{
	const struct hl_backend_ops *ops = NULL;
	struct ipsecha *h;
	const char *colon;
	uint8_t *qm;
	size_t i, n;
	int err;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!uri || !(colon = strchr(uri, ':')) || !colon[1] || !opts_valid(opts))
		return -EINVAL;
	n = (size_t)(colon - uri);
	for (i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (strlen(backends[i]->scheme) == n && !strncmp(backends[i]->scheme, uri, n))
			ops = backends[i];
	if (!ops)
		return -EPROTONOSUPPORT;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->timeout_ms = OPT(opts, timeout_ms, 5000);
	if (h->timeout_ms < 0) {
		free(h);
		return -EINVAL;
	}
	h->spin_us = OPT(opts, spin_us, 20);
	pthread_mutex_init(&h->lock, NULL);
	err = ops->open(colon + 1, h->timeout_ms, &h->dev);
	if (err)
		goto fail_open;
	if (h->dev->bar_size < sizeof(struct ica_id)) {
		err = -ENODEV;
		goto fail_dev;
	}
	h->id = (const struct ica_id *)(void *)h->dev->bar;
	err = wait_ready(h);
	if (err)
		goto fail_dev;
	err = check_identity(h, OPT(opts, host_abi_major, ICA_ABI_MAJOR),
			     OPT(opts, host_abi_minor, ICA_ABI_MINOR));
	if (err)
		goto fail_dev;
	err = claim_queue(h);
	if (err)
		goto fail_dev;
	qm = h->dev->bar + h->idc.qmem_off + (size_t)h->qidx * h->idc.qmem_stride;
	h->cmd_ring = (struct ica_cmd *)(void *)(qm + h->idc.qmem_cmd_off);
	h->cpl_ring = (struct ica_cpl *)(void *)(qm + h->idc.qmem_cpl_off);
	h->rb = (struct ica_rb *)(void *)(qm + h->idc.qmem_rb_off);
	h->db = (volatile uint32_t *)(void *)(h->dev->bar + h->idc.db_off +
					      (size_t)h->qidx * h->idc.db_stride);
	h->ev_ring = (const struct ica_ev *)(const void *)(h->dev->bar + h->idc.evring_off);
	h->ctrl = (const struct ica_ctrl *)(const void *)(h->dev->bar + h->idc.ctrl_off);
	err = sync_queue(h);
	if (err)
		goto fail_queue;
	st_rel(&h->q->irq_enable, 1);
	{
		uint32_t prod = ld_acq(&h->ctrl->ev_prod);

		if (OPT(opts, flags, 0u) & IPSECHA_OPEN_EVENTS_NEW)
			h->ev_next = prod + 1;
		else
			h->ev_next = prod >= h->idc.ev_entries ? prod - h->idc.ev_entries + 1 : 1;
	}
	*out = h;
	return 0;

fail_queue:
	__atomic_store_n(&h->q->owner_tag, 0, __ATOMIC_RELEASE);
fail_dev:
	ops->close(h->dev);
fail_open:
	pthread_mutex_destroy(&h->lock);
	free(h);
	return err;
}

void ipsecha_close(struct ipsecha *h)
{
	uint32_t tag;

	if (!h)
		return;
	if (h->q) {
		uint64_t deadline = now_us() + 200000u;

		st_rel(&h->q->irq_enable, 0);
		/* Let the card finish what we published (bounded), then free. */
		while (ld_acq(&h->q->cmd_cons) != h->prod && now_us() < deadline &&
		       ld_acq(&h->id->state) == ICA_STATE_READY)
			usleep(100);
		tag = h->tag;
		(void)__atomic_compare_exchange_n(&h->q->owner_tag, &tag, 0, 0,
						  __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
	}
	h->dev->ops->close(h->dev);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

static int card_state_err(struct ipsecha *h)
{
	uint32_t st = ld_acq(&h->id->state);

	if (st == ICA_STATE_READY)
		return 0;
	return st == ICA_STATE_STOPPED ? -ESHUTDOWN : -ECONNRESET;
}

/* Wait until at least `want` completions are available past h->ccons. */
static int wait_cpl(struct ipsecha *h, uint32_t want)
{
	uint64_t start = now_us(), deadline = start + (uint64_t)h->timeout_ms * 1000u;
	int rc;

	for (;;) {
		if (ld_acq(&h->q->cpl_prod) - h->ccons >= want)
			return 0;
		if (now_us() - start < h->spin_us)
			continue;
		rc = card_state_err(h);
		if (rc)
			return rc;
		if (now_us() > deadline)
			return -ETIMEDOUT;
		h->stats.irq_waits++;
		rc = h->dev->ops->wait(h->dev, ICA_VEC_COMPLETION, 10);
		if (rc < 0)
			return rc;
		if (rc > 0)
			h->stats.irq_wakeups++;
	}
}

/* Completions of commands whose wait timed out arrive later: skip them. */
static int skip_stale(struct ipsecha *h)
{
	int err;

	if (!h->stale)
		return 0;
	err = wait_cpl(h, h->stale);
	if (err)
		return err;
	h->ccons += h->stale;
	h->stale = 0;
	st_rel(&h->q->cpl_cons, h->ccons);
	return 0;
}

int hl_submit_locked(struct ipsecha *h, struct ica_cmd *cmd, struct ica_cpl *cpl, size_t n)
{
	uint32_t mask = h->idc.cmd_entries - 1, k, i;
	size_t done = 0;
	int err = skip_stale(h);

	if (err)
		return err;
	while (done < n) {
		k = (uint32_t)(n - done < h->idc.cmd_entries ? n - done : h->idc.cmd_entries);
		for (i = 0; i < k; i++) {
			cmd[done + i].tag = ++h->next_tag;
			memcpy(&h->cmd_ring[(h->prod + i) & mask], &cmd[done + i], sizeof(*cmd));
		}
		h->prod += k;
		st_rel(&h->q->cmd_prod, h->prod);
		h->stats.commands += k;
		h->stats.doorbells++;
		err = ring_doorbell(h, h->prod);
		if (err) {
			h->stale = k;   /* published: their completions may still come */
			return err;
		}
		err = wait_cpl(h, k);
		if (err) {
			h->stale = k;
			return err;
		}
		for (i = 0; i < k; i++) {
			memcpy(&cpl[done + i], &h->cpl_ring[(h->ccons + i) & mask], sizeof(*cpl));
			if (cpl[done + i].tag != cmd[done + i].tag) {
				h->ccons += k;
				st_rel(&h->q->cpl_cons, h->ccons);
				return -EIO;
			}
		}
		h->ccons += k;
		st_rel(&h->q->cpl_cons, h->ccons);
		done += k;
	}
	return 0;
}

int ipsecha_status_errno(unsigned status)
{
	switch (status) {
	case ICA_ST_OK:           return 0;
	case ICA_ST_BAD_OP:       return -EOPNOTSUPP;
	case ICA_ST_BAD_SLOT:
	case ICA_ST_BAD_GROUP:    return -ERANGE;
	case ICA_ST_SLOT_LIVE:    return -EEXIST;
	case ICA_ST_SLOT_FREE:    return -ENOENT;
	case ICA_ST_ESN_MISMATCH: return -EXDEV;
	case ICA_ST_RESERVED:
	case ICA_ST_BAD_FLAGS:    return -EINVAL;
	case ICA_ST_OVERFLOW:     return -EOVERFLOW;
	case ICA_ST_BAD_VALUE:    return -EDOM;
	case ICA_ST_SELFTEST:     return -EREMOTEIO;
	default:                  return -EIO;
	}
}

int hl_exec1(struct ipsecha *h, struct ica_cmd *cmd, struct ica_cpl *cpl)
{
	int err = hl_submit_locked(h, cmd, cpl, 1);

	return err ? err : ipsecha_status_errno(cpl->status);
}

int ipsecha_stats(struct ipsecha *h, struct ipsecha_stats *st)
{
	if (!h || !st)
		return -EINVAL;
	pthread_mutex_lock(&h->lock);
	*st = h->stats;
	pthread_mutex_unlock(&h->lock);
	return 0;
}
