/* hl_internal.h — libipsecha internals: the handle and the backend
 * interface. A backend gives the core a mapped BAR, a doorbell and
 * interrupt vectors; the core does everything else, so `sim:` and
 * `vfio:` behave identically above this line. */
#ifndef HL_INTERNAL_H
#define HL_INTERNAL_H

#include <pthread.h>
#include <stdint.h>

#include "ipsecha.h"
#include "ipsecha_card_abi.h"

struct hl_dev;

/* Backend operations. Guarantees expected of every backend:
 *  - open: on success *dev is set, bar/bar_size describe a mapping of the
 *    whole BAR, peer_id is this host's peer id as the card sees it in
 *    queue tags (ivshmem IVPosition; 0 on a card), and both interrupt
 *    vectors are wired.
 *  - doorbell: called right after the core wrote a queue's doorbell
 *    register in the BAR. A transport that cannot see that write (the
 *    emulated card's BAR is shared memory) signals the card here: ivshmem
 *    vector `vec` of card peer `peer`. On a card the register write is the
 *    doorbell and this does nothing. Never blocks.
 *  - wait: sleeps until interrupt vector `vec` fires (clearing it) or
 *    timeout_ms passes: 1 = fired, 0 = timeout, -ECONNRESET card gone.
 *  - irq_fd: a pollable fd for the vector, owned by the backend.
 *  - close: unmaps and closes everything; NULL-safe. */
struct hl_backend_ops {
	const char *scheme;
	int (*open)(const char *arg, int timeout_ms, struct hl_dev **dev);
	void (*close)(struct hl_dev *dev);
	int (*doorbell)(struct hl_dev *dev, uint32_t peer, uint32_t vec);
	int (*wait)(struct hl_dev *dev, uint32_t vec, int timeout_ms);
	int (*irq_fd)(struct hl_dev *dev, uint32_t vec);
};

/* Common head of every backend's device object. */
struct hl_dev {
	const struct hl_backend_ops *ops;
	uint8_t *bar;
	size_t bar_size;
	uint32_t peer_id;
};

extern const struct hl_backend_ops hl_backend_sim;
#ifdef IPSECHA_TEST_BACKEND
/* Builds for tests only (tests/hostlib/fuzz_hostlib.c: a card in memory
 * whose every answer comes from the fuzzer). */
extern const struct hl_backend_ops hl_backend_test;
#endif
#ifdef IPSECHA_HAVE_VFIO
/* Provided by driver/vfio/ (see docs/hostlib.md "Adding a backend"). */
extern const struct hl_backend_ops hl_backend_vfio;
#endif

struct ipsecha {
	pthread_mutex_t lock;
	struct hl_dev *dev;
	const struct ica_id *id;          /* in the BAR */
	struct ica_id idc;                /* validated copy */
	struct ica_queue *q;
	struct ica_cmd *cmd_ring;
	struct ica_cpl *cpl_ring;
	struct ica_rb *rb;
	volatile uint32_t *db;            /* this queue's doorbell register */
	const struct ica_ev *ev_ring;
	const struct ica_ctrl *ctrl;
	uint32_t qidx, tag, prod, ccons, next_tag, stale;
	uint32_t ev_next;                 /* next event seq this handle reads */
	int timeout_ms;
	uint32_t spin_us;
	struct ipsecha_stats stats;
};

/* Submit n commands (tags are assigned here) and wait for all completions
 * in cpl[]. Caller holds h->lock. Returns 0 or a connection error. */
int hl_submit_locked(struct ipsecha *h, struct ica_cmd *cmd, struct ica_cpl *cpl, size_t n);
/* One command under the lock; returns the card status as -errno. */
int hl_exec1(struct ipsecha *h, struct ica_cmd *cmd, struct ica_cpl *cpl);

#endif
