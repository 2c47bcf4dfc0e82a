/* hl_api.c — the command helpers, readback, events, batches, errors. */
#include "hl_internal.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define IPSECHA_LIB_VERSION "1.1.0"   /* = HOSTLIB_VERSION; 1.1: card ABI 2 (doorbell registers) */

const char *ipsecha_version(void)
{
	return IPSECHA_LIB_VERSION;
}

void ipsecha_abi_version(unsigned *major, unsigned *minor)
{
	if (major)
		*major = ICA_ABI_MAJOR;
	if (minor)
		*minor = ICA_ABI_MINOR;
}

const char *ipsecha_strerror(int err)
{
	switch (err) {
	case 0:                 return "success";
	case -EINVAL:           return "invalid argument (refused before reaching the card)";
	case -EEXIST:           return "slot is already installed";
	case -ENOENT:           return "slot is not installed, or no card at that address";
	case -EXDEV:            return "slot ESN mode differs from its group's (RFC 6311 \xc2\xa7" "6.4)";
	case -EOVERFLOW:        return "a slot of the group would pass its limit; nothing changed";
	case -EDOM:             return "value out of range for the card";
	case -ERANGE:           return "slot or group index out of the card's range";
	case -EOPNOTSUPP:       return "command or feature not supported by the card";
	case -EIO:              return "card engine error";
	case -EREMOTEIO:        return "card self-test found a fault";
	case -EPROTO:           return "card ABI version incompatible with this library";
	case -ENODEV:           return "not an ipsecha card (bad identity block)";
	case -EPROTONOSUPPORT:  return "unknown device URI scheme";
	case -ECONNREFUSED:     return "card not running (connection refused)";
	case -EBUSY:            return "all command queues of the card are in use";
	case -ETIMEDOUT:        return "card did not answer in time";
	case -ECONNRESET:       return "card went away";
	case -ESHUTDOWN:        return "card has shut down";
	case -ENOSPC:           return "more results than room given";
	case -ENOMEM:           return "out of memory";
	case -EACCES:
	case -EPERM:            return "permission denied";
	default:                return "unknown error";
	}
}

static void cmd_init(struct ica_cmd *c, uint8_t op, uint32_t index)
{
	memset(c, 0, sizeof(*c));
	c->op = op;
	c->index = index;
}

static int exec_locked(struct ipsecha *h, struct ica_cmd *c, struct ica_cpl *cpl)
{
	int err;

	pthread_mutex_lock(&h->lock);
	err = hl_exec1(h, c, cpl);
	pthread_mutex_unlock(&h->lock);
	return err;
}

int ipsecha_cmd_raw(struct ipsecha *h, const struct ica_cmd *cmd, struct ica_cpl *cpl)
{
	struct ica_cmd c;
	int err;

	if (!h || !cmd || !cpl)
		return -EINVAL;
	c = *cmd;
	pthread_mutex_lock(&h->lock);
	err = hl_submit_locked(h, &c, cpl, 1);
	pthread_mutex_unlock(&h->lock);
	return err;
}

int ipsecha_identify(struct ipsecha *h, struct ipsecha_info *info)
{
	struct ica_cmd c;
	struct ica_cpl cpl;
	int err;

	if (!h || !info)
		return -EINVAL;
	cmd_init(&c, ICA_OP_IDENTIFY, 0);
	err = exec_locked(h, &c, &cpl);
	if (err)
		return err;
	memset(info, 0, sizeof(*info));
	info->abi_major = h->idc.abi_major;
	info->abi_minor = h->idc.abi_minor;
	info->num_sa = h->idc.num_sa;
	info->num_group = h->idc.num_group;
	info->window = h->idc.window;
	info->caps = h->idc.caps;
	info->fw_build_id = h->idc.fw_build_id;
	info->rtl_build_id = h->idc.rtl_build_id;
	info->rtl_version = h->idc.rtl_version;
	info->num_queues = h->idc.num_queues;
	info->cmd_entries = h->idc.cmd_entries;
	info->ev_entries = h->idc.ev_entries;
	info->rb_entries = h->idc.rb_entries;
	info->queue = h->qidx;
	info->peer_id = h->dev->peer_id;
	info->epoch = cpl.v[0];
	info->cycles = cpl.v[1];
	info->cmd_cycles = cpl.cycles;
	strncpy(info->backend, h->dev->ops->scheme, sizeof(info->backend) - 1);
	return 0;
}

/* ---- argument checks shared by the sync helpers and batches ---- */

static int sa_cmd(const struct ipsecha *h, uint32_t slot, const struct ipsecha_sa *sa,
		  struct ica_cmd *c)
{
	uint64_t max;

	if (!sa || slot >= h->idc.num_sa || sa->group >= h->idc.num_group ||
	    (sa->flags & ~(IPSECHA_SA_IN | IPSECHA_SA_ESN)))
		return -EINVAL;
	if ((sa->flags & IPSECHA_SA_ESN) && !(h->idc.caps & ICA_CAP_ESN))
		return -EOPNOTSUPP;
	if ((sa->flags & IPSECHA_SA_IN) && !(h->idc.caps & ICA_CAP_INBOUND))
		return -EOPNOTSUPP;
	max = (sa->flags & IPSECHA_SA_ESN) ? UINT64_MAX : UINT32_MAX;
	if (sa->flags & IPSECHA_SA_IN) {
		if (sa->hard_limit || sa->soft_limit || sa->seq > max)
			return -EINVAL;
	} else {
		uint64_t hard = sa->hard_limit ? sa->hard_limit : max;

		if (sa->hard_limit > max || sa->seq >= hard || sa->soft_limit > hard)
			return -EINVAL;
	}
	cmd_init(c, ICA_OP_SLOT_INSTALL, slot);
	c->index2 = sa->group;
	c->flags = (uint16_t)(((sa->flags & IPSECHA_SA_IN) ? ICA_F_INSTALL_IN : 0) |
			      ((sa->flags & IPSECHA_SA_ESN) ? ICA_F_INSTALL_ESN : 0));
	c->a = sa->seq;
	c->b = sa->hard_limit;
	c->c = sa->soft_limit;
	return 0;
}

static int slot_cmd(const struct ipsecha *h, uint8_t op, uint32_t slot, struct ica_cmd *c)
{
	if (slot >= h->idc.num_sa)
		return -EINVAL;
	cmd_init(c, op, slot);
	return 0;
}

static int group_cmd(const struct ipsecha *h, uint8_t op, uint32_t group, uint64_t delta,
		     uint32_t flags, struct ica_cmd *c)
{
	if (group >= h->idc.num_group)
		return -EINVAL;
	if (flags & ~(op == ICA_OP_GROUP_TX_ADD ? IPSECHA_TX_RELEASE : 0u))
		return -EINVAL;
	cmd_init(c, op, group);
	c->a = delta;
	c->flags = (uint16_t)((flags & IPSECHA_TX_RELEASE) ? ICA_F_TXADD_RELEASE : 0);
	return 0;
}

static void slot_state(struct ipsecha_slot_state *st, uint32_t slot, uint32_t flags,
		       uint64_t value, uint64_t hard, uint64_t soft, uint64_t epoch)
{
	st->slot = slot;
	st->flags = flags & 0x1fu;
	st->group = ICA_SF_GROUP(flags);
	st->value = value;
	st->hard_limit = hard;
	st->soft_limit = soft;
	st->epoch = epoch;
}

/* ---- synchronous helpers ---- */

int ipsecha_slot_install(struct ipsecha *h, uint32_t slot, const struct ipsecha_sa *sa,
			 uint64_t *epoch)
{
	struct ica_cmd c;
	struct ica_cpl cpl;
	int err;

	if (!h)
		return -EINVAL;
	err = sa_cmd(h, slot, sa, &c);
	if (!err)
		err = exec_locked(h, &c, &cpl);
	if (!err && epoch)
		*epoch = cpl.v[0];
	return err;
}

int ipsecha_slot_remove(struct ipsecha *h, uint32_t slot, uint64_t *epoch)
{
	struct ica_cmd c;
	struct ica_cpl cpl;
	int err;

	if (!h)
		return -EINVAL;
	err = slot_cmd(h, ICA_OP_SLOT_REMOVE, slot, &c);
	if (!err)
		err = exec_locked(h, &c, &cpl);
	if (!err && epoch)
		*epoch = cpl.v[0];
	return err;
}

int ipsecha_slot_read(struct ipsecha *h, uint32_t slot, struct ipsecha_slot_state *st)
{
	return ipsecha_slot_read_bitmap(h, slot, st, NULL, 0, NULL);
}

int ipsecha_slot_read_bitmap(struct ipsecha *h, uint32_t slot, struct ipsecha_slot_state *st,
			     uint32_t *words, size_t max_words, size_t *nwords)
{
	struct ica_cmd c;
	struct ica_cpl cpl;
	int err;

	if (!h || !st || (words && !nwords))
		return -EINVAL;
	err = slot_cmd(h, ICA_OP_SLOT_READ, slot, &c);
	if (err)
		return err;
	if (words)
		c.flags = ICA_F_READ_BITMAP;
	pthread_mutex_lock(&h->lock);
	err = hl_exec1(h, &c, &cpl);
	/* The word count comes from the card: never more than the window's
	 * bitmap, which the readback window always holds (window <= 1024). */
	if (!err && words && cpl.v[4] > h->idc.window / 32)
		err = -EIO;
	if (!err) {
		slot_state(st, slot, cpl.w0, cpl.v[0], cpl.v[1], cpl.v[2], cpl.v[3]);
		if (words) {
			size_t n = cpl.v[4] < max_words ? (size_t)cpl.v[4] : max_words;

			/* The card copied the bitmap to our readback window;
			 * read it before anything else can use the window. */
			memcpy(words, (const void *)h->rb, n * sizeof(uint32_t));
			*nwords = n;
			if (cpl.v[4] > max_words)
				err = -ENOSPC;
		}
	}
	pthread_mutex_unlock(&h->lock);
	return err;
}

int ipsecha_group_read(struct ipsecha *h, uint32_t group, struct ipsecha_group_state *st)
{
	struct ica_cmd c;
	struct ica_cpl cpl;
	int err;

	if (!h || !st)
		return -EINVAL;
	err = group_cmd(h, ICA_OP_GROUP_READ, group, 0, 0, &c);
	if (!err)
		err = exec_locked(h, &c, &cpl);
	if (err)
		return err;
	st->group = group;
	st->flags = cpl.w0 & 0x7u;
	st->n_out = (uint32_t)(cpl.v[0] & 0xffffffffu);
	st->n_in = (uint32_t)(cpl.v[0] >> 32);
	st->tx_offset = cpl.v[1];
	st->rx_advance = cpl.v[2];
	st->tx_max = cpl.v[3];
	st->tx_limit = cpl.v[4];
	st->last_epoch = cpl.v[5];
	return 0;
}

static int group_op(struct ipsecha *h, uint8_t op, uint32_t group, uint64_t delta,
		    uint32_t flags, uint64_t *epoch)
{
	struct ica_cmd c;
	struct ica_cpl cpl;
	int err;

	if (!h)
		return -EINVAL;
	err = group_cmd(h, op, group, delta, flags, &c);
	if (!err)
		err = exec_locked(h, &c, &cpl);
	if (!err && epoch)
		*epoch = cpl.v[0];
	return err;
}

int ipsecha_group_tx_add(struct ipsecha *h, uint32_t group, uint64_t delta, uint32_t flags,
			 uint64_t *epoch)
{
	return group_op(h, ICA_OP_GROUP_TX_ADD, group, delta, flags, epoch);
}

int ipsecha_group_rx_advance(struct ipsecha *h, uint32_t group, uint64_t delta, uint64_t *epoch)
{
	return group_op(h, ICA_OP_GROUP_RX_ADV, group, delta, 0, epoch);
}

int ipsecha_group_hold(struct ipsecha *h, uint32_t group, uint64_t *epoch)
{
	return group_op(h, ICA_OP_GROUP_HOLD, group, 0, 0, epoch);
}

int ipsecha_group_release(struct ipsecha *h, uint32_t group, uint64_t *epoch)
{
	return group_op(h, ICA_OP_GROUP_RELEASE, group, 0, 0, epoch);
}

/* ---- readback: one command per window-full, copied out under the lock */

static void rb_copy(struct ipsecha *h, struct ipsecha_slot_state *out, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		struct ica_rb e;

		memcpy(&e, &h->rb[i], sizeof(e));
		slot_state(&out[i], e.slot, e.flags, e.value, e.limit, 0, e.epoch);
	}
}

int ipsecha_readback_group(struct ipsecha *h, uint32_t group, struct ipsecha_slot_state *out,
			   size_t max, size_t *n)
{
	struct ica_cmd c;
	struct ica_cpl cpl;
	uint64_t cursor = 0;
	size_t got = 0;
	int err = 0;

	if (!h || !n || (max && !out) || group >= h->idc.num_group)
		return -EINVAL;
	pthread_mutex_lock(&h->lock);
	while (cursor < h->idc.num_sa) {
		uint32_t room = (uint32_t)(max - got < h->idc.rb_entries ? max - got : h->idc.rb_entries);

		if (room == 0) {
			/* Full: is there more? Ask for one entry to know. */
			cmd_init(&c, ICA_OP_READBACK, group);
			c.flags = ICA_F_RB_GROUP;
			c.index2 = 1;
			c.a = cursor;
			err = hl_exec1(h, &c, &cpl);
			if (!err && cpl.w0)
				err = -ENOSPC;
			break;
		}
		cmd_init(&c, ICA_OP_READBACK, group);
		c.flags = ICA_F_RB_GROUP;
		c.index2 = room;
		c.a = cursor;
		err = hl_exec1(h, &c, &cpl);
		if (err)
			break;
		if (cpl.w0 > room) {
			err = -EIO;
			break;
		}
		rb_copy(h, out + got, cpl.w0);
		got += cpl.w0;
		if (cpl.v[0] <= cursor) {
			err = -EIO;     /* no progress: card misbehaves */
			break;
		}
		cursor = cpl.v[0];
	}
	pthread_mutex_unlock(&h->lock);
	*n = got;
	return err;
}

int ipsecha_readback_range(struct ipsecha *h, uint32_t first, uint32_t count, uint32_t flags,
			   struct ipsecha_slot_state *out, size_t max, size_t *n)
{
	struct ica_cmd c;
	struct ica_cpl cpl;
	uint32_t pos = first, end;
	size_t got = 0;
	int err = 0;

	if (!h || !n || (max && !out) || !count || first >= h->idc.num_sa ||
	    count > h->idc.num_sa - first || (flags & ~IPSECHA_RB_VALID_ONLY))
		return -EINVAL;
	end = first + count;
	pthread_mutex_lock(&h->lock);
	while (pos < end) {
		uint32_t chunk = end - pos < h->idc.rb_entries ? end - pos : h->idc.rb_entries;

		cmd_init(&c, ICA_OP_READBACK, pos);
		c.index2 = chunk;
		c.flags = (flags & IPSECHA_RB_VALID_ONLY) ? ICA_F_RB_VALID_ONLY : 0;
		err = hl_exec1(h, &c, &cpl);
		if (err)
			break;
		if (cpl.w0 > chunk) {
			err = -EIO;
			break;
		}
		if (cpl.w0 > max - got) {
			rb_copy(h, out + got, (uint32_t)(max - got));
			got = max;
			err = -ENOSPC;
			break;
		}
		rb_copy(h, out + got, cpl.w0);
		got += cpl.w0;
		pos += chunk;
	}
	pthread_mutex_unlock(&h->lock);
	*n = got;
	return err;
}

/* ---- events ---- */

int ipsecha_event_fd(struct ipsecha *h)
{
	if (!h)
		return -EINVAL;
	return h->dev->ops->irq_fd(h->dev, ICA_VEC_EVENT);
}

static uint32_t ev_succ(uint32_t s)
{
	return s + 1 ? s + 1 : 1;
}

int ipsecha_event_drain(struct ipsecha *h, struct ipsecha_event *ev, size_t max, size_t *n,
			uint64_t *lost)
{
	struct ica_cmd c;
	struct ica_cpl cpl;
	uint32_t prod, mask;
	uint64_t nlost = 0;
	size_t got = 0;
	int err, fd;

	if (!h || !n || (max && !ev))
		return -EINVAL;
	mask = h->idc.ev_entries - 1;
	fd = h->dev->ops->irq_fd(h->dev, ICA_VEC_EVENT);
	if (fd >= 0) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		uint64_t junk;

		/* Clear the wake-up before looking, so none is missed after
		 * (poll first: a backend's fd need not be non-blocking). */
		if (poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN) &&
		    read(fd, &junk, sizeof(junk)) < 0 && errno != EAGAIN)
			return -errno;
	}
	cmd_init(&c, ICA_OP_EVENT_DRAIN, 0);
	pthread_mutex_lock(&h->lock);
	err = hl_exec1(h, &c, &cpl);
	if (err)
		goto out;
	prod = __atomic_load_n(&h->ctrl->ev_prod, __ATOMIC_ACQUIRE);
	/* Fell behind by more than the ring holds: those are gone. */
	if ((int32_t)(prod - h->ev_next) >= (int32_t)h->idc.ev_entries) {
		uint32_t oldest = prod - h->idc.ev_entries + 1;

		nlost += oldest - h->ev_next;
		h->ev_next = oldest;
	}
	while (got < max && (int32_t)(prod - h->ev_next) >= 0) {
		const struct ica_ev *e = &h->ev_ring[h->ev_next & mask];
		uint32_t s1 = __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE), s2;
		struct ica_ev copy;

		memcpy(&copy, (const void *)e, sizeof(copy));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		s2 = __atomic_load_n(&e->seq, __ATOMIC_RELAXED);
		if (s1 != h->ev_next || s2 != s1) {
			/* Overwritten under us (the card lapped this reader). */
			nlost++;
			h->ev_next = ev_succ(h->ev_next);
			continue;
		}
		ev[got].seq = s1;
		ev[got].type = copy.type;
		ev[got].index = copy.index;
		ev[got].value = copy.value;
		ev[got].epoch = copy.epoch;
		got++;
		h->ev_next = ev_succ(h->ev_next);
	}
out:
	pthread_mutex_unlock(&h->lock);
	*n = got;
	if (lost)
		*lost = nlost;
	return err;
}

/* ---- data-path injector ---- */

int ipsecha_dp_tx(struct ipsecha *h, uint32_t slot, uint32_t count,
		  struct ipsecha_dp_result *res, uint32_t *n_ok)
{
	struct ica_cmd c;
	struct ica_cpl cpl;
	uint32_t done = 0, ok = 0, i;
	int err = 0;

	if (!h || !count || slot >= h->idc.num_sa)
		return -EINVAL;
	if (!(h->idc.caps & ICA_CAP_INJECTOR))
		return -EOPNOTSUPP;
	pthread_mutex_lock(&h->lock);
	while (done < count) {
		uint32_t k = count - done < h->idc.rb_entries ? count - done : h->idc.rb_entries;

		cmd_init(&c, ICA_OP_DP_TX, slot);
		c.index2 = k;
		err = hl_exec1(h, &c, &cpl);
		if (err)
			break;
		ok += (uint32_t)cpl.v[0];
		if (res) {
			for (i = 0; i < k; i++) {
				struct ica_rb e;

				memcpy(&e, &h->rb[i], sizeof(e));
				res[done + i].status = e.flags;
				res[done + i].seq = e.value;
				res[done + i].epoch = e.epoch;
			}
		}
		done += k;
	}
	pthread_mutex_unlock(&h->lock);
	if (n_ok)
		*n_ok = ok;
	return err;
}

int ipsecha_dp_rx(struct ipsecha *h, uint32_t slot, uint32_t seq, uint32_t flags,
		  struct ipsecha_dp_result *check, struct ipsecha_dp_result *commit)
{
	struct ica_cmd c;
	struct ica_cpl cpl;
	int err;

	if (!h || !check || slot >= h->idc.num_sa || (flags & ~IPSECHA_RX_COMMIT))
		return -EINVAL;
	if (!(h->idc.caps & ICA_CAP_INJECTOR))
		return -EOPNOTSUPP;
	cmd_init(&c, ICA_OP_DP_RX, slot);
	c.a = seq;
	c.flags = (flags & IPSECHA_RX_COMMIT) ? ICA_F_RX_COMMIT : 0;
	err = exec_locked(h, &c, &cpl);
	if (err)
		return err;
	check->status = cpl.w0 & 0xffu;
	check->seq = cpl.v[0];
	check->epoch = cpl.v[1];
	if (commit) {
		commit->status = (cpl.w0 >> 8) & 0xffu;
		commit->seq = cpl.v[0];
		commit->epoch = cpl.v[1];
	}
	return 0;
}

int ipsecha_selftest(struct ipsecha *h, uint64_t *failed, uint64_t *skipped)
{
	struct ica_cmd c;
	struct ica_cpl cpl;
	int err;

	if (!h)
		return -EINVAL;
	cmd_init(&c, ICA_OP_SELFTEST, 0);
	pthread_mutex_lock(&h->lock);
	err = hl_submit_locked(h, &c, &cpl, 1);
	pthread_mutex_unlock(&h->lock);
	if (err)
		return err;
	if (failed)
		*failed = cpl.v[0];
	if (skipped)
		*skipped = cpl.v[1];
	return ipsecha_status_errno(cpl.status);
}

/* ---- batches ---- */

struct ipsecha_batch {
	struct ipsecha *h;
	size_t n, cap;
	struct ica_cmd *cmd;
	struct ica_cpl *cpl;
	int submitted;
};

struct ipsecha_batch *ipsecha_batch_new(struct ipsecha *h)
{
	struct ipsecha_batch *b;

	if (!h) {
		errno = EINVAL;
		return NULL;
	}
	b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->h = h;
	return b;
}

void ipsecha_batch_free(struct ipsecha_batch *b)
{
	if (!b)
		return;
	free(b->cmd);
	free(b->cpl);
	free(b);
}

void ipsecha_batch_reset(struct ipsecha_batch *b)
{
	if (b) {
		b->n = 0;
		b->submitted = 0;
	}
}

size_t ipsecha_batch_count(const struct ipsecha_batch *b)
{
	return b ? b->n : 0;
}

static struct ica_cmd *batch_slot(struct ipsecha_batch *b)
{
	if (b->submitted) {
		b->n = 0;
		b->submitted = 0;
	}
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		struct ica_cmd *c = realloc(b->cmd, cap * sizeof(*c));
		struct ica_cpl *p;

		if (!c)
			return NULL;
		b->cmd = c;
		p = realloc(b->cpl, cap * sizeof(*p));
		if (!p)
			return NULL;
		b->cpl = p;
		b->cap = cap;
	}
	return &b->cmd[b->n];
}

#define BATCH_ADD(b, build)                          \
	do {                                         \
		struct ica_cmd tmp_, *slot_;         \
		int err_;                            \
		if (!(b))                            \
			return -EINVAL;              \
		err_ = (build);                      \
		if (err_)                            \
			return err_;                 \
		slot_ = batch_slot(b);               \
		if (!slot_)                          \
			return -ENOMEM;              \
		*slot_ = tmp_;                       \
		(b)->n++;                            \
		return 0;                            \
	} while (0)

int ipsecha_batch_install(struct ipsecha_batch *b, uint32_t slot, const struct ipsecha_sa *sa)
{
	BATCH_ADD(b, sa_cmd(b->h, slot, sa, &tmp_));
}

int ipsecha_batch_remove(struct ipsecha_batch *b, uint32_t slot)
{
	BATCH_ADD(b, slot_cmd(b->h, ICA_OP_SLOT_REMOVE, slot, &tmp_));
}

int ipsecha_batch_slot_read(struct ipsecha_batch *b, uint32_t slot)
{
	BATCH_ADD(b, slot_cmd(b->h, ICA_OP_SLOT_READ, slot, &tmp_));
}

int ipsecha_batch_tx_add(struct ipsecha_batch *b, uint32_t group, uint64_t delta, uint32_t flags)
{
	BATCH_ADD(b, group_cmd(b->h, ICA_OP_GROUP_TX_ADD, group, delta, flags, &tmp_));
}

int ipsecha_batch_rx_advance(struct ipsecha_batch *b, uint32_t group, uint64_t delta)
{
	BATCH_ADD(b, group_cmd(b->h, ICA_OP_GROUP_RX_ADV, group, delta, 0, &tmp_));
}

int ipsecha_batch_hold(struct ipsecha_batch *b, uint32_t group)
{
	BATCH_ADD(b, group_cmd(b->h, ICA_OP_GROUP_HOLD, group, 0, 0, &tmp_));
}

int ipsecha_batch_release(struct ipsecha_batch *b, uint32_t group)
{
	BATCH_ADD(b, group_cmd(b->h, ICA_OP_GROUP_RELEASE, group, 0, 0, &tmp_));
}

int ipsecha_batch_nop(struct ipsecha_batch *b)
{
	BATCH_ADD(b, (cmd_init(&tmp_, ICA_OP_NOP, 0), 0));
}

int ipsecha_batch_submit(struct ipsecha_batch *b)
{
	int err;

	if (!b || b->submitted)
		return -EINVAL;
	if (!b->n)
		return 0;
	pthread_mutex_lock(&b->h->lock);
	err = hl_submit_locked(b->h, b->cmd, b->cpl, b->n);
	pthread_mutex_unlock(&b->h->lock);
	if (!err)
		b->submitted = 1;
	return err;
}

int ipsecha_batch_result(const struct ipsecha_batch *b, size_t i, uint64_t *epoch,
			 struct ipsecha_slot_state *st)
{
	const struct ica_cpl *c;

	if (!b || !b->submitted || i >= b->n)
		return -EINVAL;
	c = &b->cpl[i];
	if (epoch)
		*epoch = c->op == ICA_OP_SLOT_READ ? c->v[3] : c->v[0];
	if (st && c->op == ICA_OP_SLOT_READ && c->status == ICA_ST_OK)
		slot_state(st, b->cmd[i].index, c->w0, c->v[0], c->v[1], c->v[2], c->v[3]);
	return ipsecha_status_errno(c->status);
}

/* ---- Child SA helpers (one group per IKE SA, one slot per direction) */

int ipsecha_child_install(struct ipsecha *h, uint32_t group, uint32_t slot_out, uint32_t slot_in,
			  int esn, uint64_t out_seq, uint64_t in_edge, uint64_t hard_limit,
			  uint64_t soft_limit)
{
	struct ipsecha_sa o = { group, esn ? IPSECHA_SA_ESN : 0, out_seq, hard_limit, soft_limit };
	struct ipsecha_sa i = { group, IPSECHA_SA_IN | (esn ? IPSECHA_SA_ESN : 0), in_edge, 0, 0 };
	struct ica_cmd c[2];
	struct ica_cpl cpl[2];
	int err, e0, e1;

	if (!h || slot_out == slot_in)
		return -EINVAL;
	err = sa_cmd(h, slot_out, &o, &c[0]);
	if (!err)
		err = sa_cmd(h, slot_in, &i, &c[1]);
	if (err)
		return err;
	pthread_mutex_lock(&h->lock);
	err = hl_submit_locked(h, c, cpl, 2);
	if (!err) {
		e0 = ipsecha_status_errno(cpl[0].status);
		e1 = ipsecha_status_errno(cpl[1].status);
		err = e0 ? e0 : e1;
		if (!e0 && e1) {
			/* Undo the half that went in. */
			cmd_init(&c[0], ICA_OP_SLOT_REMOVE, slot_out);
			(void)hl_exec1(h, &c[0], &cpl[0]);
		} else if (e0 && !e1) {
			cmd_init(&c[1], ICA_OP_SLOT_REMOVE, slot_in);
			(void)hl_exec1(h, &c[1], &cpl[1]);
		}
	}
	pthread_mutex_unlock(&h->lock);
	return err;
}

int ipsecha_child_remove(struct ipsecha *h, uint32_t slot_out, uint32_t slot_in)
{
	struct ica_cmd c[2];
	struct ica_cpl cpl[2];
	int err, e0, e1;

	if (!h || slot_out == slot_in)
		return -EINVAL;
	err = slot_cmd(h, ICA_OP_SLOT_REMOVE, slot_out, &c[0]);
	if (!err)
		err = slot_cmd(h, ICA_OP_SLOT_REMOVE, slot_in, &c[1]);
	if (err)
		return err;
	pthread_mutex_lock(&h->lock);
	err = hl_submit_locked(h, c, cpl, 2);
	pthread_mutex_unlock(&h->lock);
	if (err)
		return err;
	e0 = ipsecha_status_errno(cpl[0].status);
	e1 = ipsecha_status_errno(cpl[1].status);
	if (e0 == -ENOENT && e1 == -ENOENT)
		return -ENOENT;
	return e0 && e0 != -ENOENT ? e0 : (e1 && e1 != -ENOENT ? e1 : 0);
}
