/* fuzz_hostlib.c — libFuzzer target for libipsecha's parsing of what a card
 * puts in its BAR: the identity block (geometry a host must bound-check
 * before trusting), completions (tags, statuses, counts, cursors), the
 * readback window and the event ring. A broken or hostile card must get
 * an error, never an out-of-bounds access in the host.
 *
 * The card is a test backend (IPSECHA_TEST_BACKEND, scheme "fuzz"): a BAR
 * in ordinary memory, sized and filled from the input, and a "firmware"
 * that answers every doorbell with completions, window entries and events
 * taken from the input. The library is the production code, unchanged. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hl_internal.h"
#include "ipsecha.h"
#include "ipsecha_card_abi.h"

static const uint8_t *in_data;
static size_t in_len, in_off;

static uint8_t u8(void)
{
	return in_off < in_len ? in_data[in_off++] : 0;
}

static uint32_t u32(void)
{
	return (uint32_t)u8() | (uint32_t)u8() << 8 | (uint32_t)u8() << 16 | (uint32_t)u8() << 24;
}

static uint64_t u64(void)
{
	uint64_t lo = u32();

	return lo | (uint64_t)u32() << 32;
}

static void fill(void *p, size_t n)
{
	uint8_t *b = p;

	while (n--)
		*b++ = u8();
}

struct fz_dev {
	struct hl_dev base;
	struct ica_id id;       /* the layout this card published (its own copy:
				   what it writes may overlap the BAR's block) */
	uint32_t cons[256], cprod[256];
	int gone;
};

/* The identity block the firmware would publish. */
static void template_id(struct ica_id *id, uint32_t bar)
{
	memset(id, 0, sizeof(*id));
	id->magic = ICA_MAGIC;
	id->abi_major = ICA_ABI_MAJOR;
	id->abi_minor = ICA_ABI_MINOR;
	id->id_size = sizeof(*id);
	id->bar_size = bar;
	id->num_sa = 64;
	id->num_group = 8;
	id->window = 64;
	id->caps = 0x1f;
	ica_id_set_geometry(id);
	id->state = ICA_STATE_READY;
}

static int fz_open(const char *arg, int timeout_ms, struct hl_dev **out)
{
	struct fz_dev *d;
	struct ica_id id;
	size_t bar = ICA_BAR_SIZE;
	uint8_t sel = u8(), k, n;

	(void)arg;
	(void)timeout_ms;
	/* Sometimes a BAR smaller than the card's window, even than its
	 * identity block: exactly that much memory, so ASan sees overruns. */
	if (sel & 0x80)
		bar = (sizeof(struct ica_id) / 2 + u32() % ICA_BAR_SIZE) & ~(size_t)7;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->base.ops = &hl_backend_test;
	d->base.bar = malloc(bar ? bar : 8);   /* 16-aligned: the 64-bit CAS is fine */
	if (!d->base.bar) {
		free(d);
		return -ENOMEM;
	}
	memset(d->base.bar, 0, bar ? bar : 8);
	d->base.bar_size = bar;
	d->base.peer_id = u8();
	template_id(&id, ICA_BAR_SIZE);
	/* Overwrite some words of the identity block. */
	n = sel & 0x0f;
	for (k = 0; k < n; k++)
		((uint32_t *)(void *)&id)[u8() % (sizeof(id) / 4)] = u32();
	memcpy(d->base.bar, &id, bar < sizeof(id) ? bar : sizeof(id));
	d->id = id;
	*out = &d->base;
	return 0;
}

static void fz_close(struct hl_dev *dev)
{
	if (dev) {
		free(dev->bar);
		free(dev);
	}
}

/* The card: answer every published command of every owned queue. Offsets
 * come from the identity block it published, which the host validated
 * before it rang (the host works from its own copy of the same words). */
static int fz_doorbell(struct hl_dev *dev, uint32_t peer, uint32_t vec)
{
	struct fz_dev *d = (struct fz_dev *)dev;
	const struct ica_id *id = &d->id;
	struct ica_ctrl *ctrl = (struct ica_ctrl *)(void *)(dev->bar + id->ctrl_off);
	uint32_t q, nq = id->num_queues < 256 ? id->num_queues : 256;

	(void)peer;
	(void)vec;
	for (q = 0; q < nq; q++) {
		struct ica_queue *qt = (struct ica_queue *)(void *)(dev->bar + id->qtab_off) + q;
		uint8_t *qm = dev->bar + id->qmem_off + (size_t)q * id->qmem_stride;
		uint32_t prod = qt->cmd_prod;

		if (!(qt->owner_tag & ICA_TAG_VALID))
			continue;
		while (d->cons[q] != prod) {
			const struct ica_cmd *c = (const struct ica_cmd *)(const void *)
				(qm + id->qmem_cmd_off) + (d->cons[q] & (id->cmd_entries - 1));
			struct ica_cpl *p = (struct ica_cpl *)(void *)(qm + id->qmem_cpl_off) +
					    (d->cprod[q] & (id->cpl_entries - 1));
			uint8_t act = u8();

			if (act == 0xff)
				goto out;       /* the card stops answering */
			if (act == 0xfe) {
				d->gone = 1;    /* the card goes away */
				goto out;
			}
			p->tag = (act & 0x40) ? u32() : c->tag;
			p->op = c->op;
			p->status = (act & 0x20) ? u8() : 0;
			p->detail = 0;
			p->cycles = 0;
			p->w0 = u32();
			for (int i = 0; i < 6; i++)
				p->v[i] = (act & 0x01) ? u64() : u8();
			if (act & 0x10) {
				/* Readback window content (bounded by what the
				 * host validated: rb_entries entries fit). */
				uint32_t n = u8() % (id->rb_entries < 64 ? id->rb_entries : 64) + 1;

				fill(qm + id->qmem_rb_off, n * sizeof(struct ica_rb));
			}
			if (act & 0x08) {
				/* Events, possibly torn or out of sequence. */
				uint32_t n = u8() % 8, e;

				for (e = 0; e < n; e++) {
					uint32_t s = ctrl->ev_prod + 1 + (u8() & 1);
					struct ica_ev *ev = (struct ica_ev *)(void *)
						(dev->bar + id->evring_off) + (s & (id->ev_entries - 1));

					fill(ev, sizeof(*ev));
					if (u8() & 1)
						ev->seq = s;
					ctrl->ev_prod = s;
				}
				if (act & 0x02)
					ctrl->ev_prod = u32();
			}
			d->cons[q]++;
			d->cprod[q]++;
		}
out:
		qt->cpl_prod = d->cprod[q];
		qt->cmd_cons = d->cons[q];
	}
	return d->gone ? -ECONNRESET : 0;
}

static int fz_wait(struct hl_dev *dev, uint32_t vec, int timeout_ms)
{
	(void)vec;
	(void)timeout_ms;
	return ((struct fz_dev *)dev)->gone ? -ECONNRESET : 0;
}

static int fz_irq_fd(struct hl_dev *dev, uint32_t vec)
{
	(void)dev;
	(void)vec;
	return -EINVAL;
}

const struct hl_backend_ops hl_backend_test = {
	.scheme = "fuzz",
	.open = fz_open,
	.close = fz_close,
	.doorbell = fz_doorbell,
	.wait = fz_wait,
	.irq_fd = fz_irq_fd,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	IPSECHA_OPTS(ipsecha_open_opts, o, .timeout_ms = 1, .spin_us = 1);
	static struct ipsecha_slot_state rb[64];
	static struct ipsecha_dp_result dr[8];
	static struct ipsecha_event ev[64];
	static uint32_t words[1u << 18];   /* more than any window: the card bounds it */
	struct ipsecha_slot_state st;
	struct ipsecha_group_state gs;
	struct ipsecha_dp_result c1, c2;
	struct ipsecha_info info;
	struct ipsecha_batch *b;
	struct ipsecha_sa sa = { .group = 1 };
	struct ipsecha *h = NULL;
	uint64_t lost, ep, f, sk;
	uint32_t ok;
	size_t n, i;

	in_data = data;
	in_len = size;
	in_off = 0;
	if (ipsecha_open("fuzz:card", &o, &h))
		return 0;
	(void)ipsecha_identify(h, &info);
	(void)ipsecha_slot_read_bitmap(h, 1, &st, words, sizeof(words) / 4, &n);
	(void)ipsecha_readback_group(h, 1, rb, 64, &n);
	(void)ipsecha_readback_range(h, 0, info.num_sa < 100 ? info.num_sa : 100,
				     IPSECHA_RB_VALID_ONLY, rb, 64, &n);
	(void)ipsecha_dp_tx(h, 0, 8, dr, &ok);
	(void)ipsecha_dp_rx(h, 0, 7, IPSECHA_RX_COMMIT, &c1, &c2);
	(void)ipsecha_event_drain(h, ev, 64, &n, &lost);
	(void)ipsecha_event_drain(h, ev, 64, &n, &lost);
	(void)ipsecha_group_read(h, 1, &gs);
	(void)ipsecha_group_tx_add(h, 1, 5, IPSECHA_TX_RELEASE, &ep);
	(void)ipsecha_selftest(h, &f, &sk);
	(void)ipsecha_child_install(h, 1, 2, 3, 1, 0, 0, 0, 0);
	(void)ipsecha_child_remove(h, 2, 3);
	b = ipsecha_batch_new(h);
	if (b) {
		(void)ipsecha_batch_install(b, 4, &sa);
		(void)ipsecha_batch_slot_read(b, 4);
		(void)ipsecha_batch_tx_add(b, 1, 1, 0);
		(void)ipsecha_batch_nop(b);
		if (!ipsecha_batch_submit(b))
			for (i = 0; i < ipsecha_batch_count(b); i++)
				(void)ipsecha_batch_result(b, i, &ep, &st);
		ipsecha_batch_free(b);
	}
	/* A card that stopped answering would hold close for its 200 ms
	 * grace period; mark it stopped so each input stays fast. */
	((struct ica_id *)(void *)h->dev->bar)->state = ICA_STATE_STOPPED;
	ipsecha_close(h);
	return 0;
}
