/* ipsecha.h — libipsecha: drive an ipsecha sequence-counter card.
 *
 * A card holds the ESP sequence state of every SA direction in hardware:
 * a *slot* is one direction of one Child SA, a *group* is one IKE SA (all
 * its slots, both directions). Group operations (TX add, RX advance, hold,
 * release) are atomic on the card and return a 64-bit *epoch*: every
 * data-path result after that epoch reflects the operation, none before.
 *
 * Typical use by an IKE daemon (one group per IKE SA, one slot per
 * direction of each Child SA):
 *
 *     struct ipsecha *h;
 *     int err = ipsecha_open("sim:/run/ipsecha-card.sock", NULL, &h);
 *     struct ipsecha_sa out = { .group = g, .flags = IPSECHA_SA_ESN };
 *     struct ipsecha_sa in  = { .group = g, .flags = IPSECHA_SA_ESN | IPSECHA_SA_IN };
 *     err = ipsecha_slot_install(h, slot_out, &out, NULL);
 *     err = ipsecha_slot_install(h, slot_in, &in, NULL);
 *     ...failover: hold, jump, sync, release:
 *     err = ipsecha_group_hold(h, g, &epoch);
 *     err = ipsecha_group_tx_add(h, g, delta, IPSECHA_TX_RELEASE, &epoch);
 *     ipsecha_close(h);
 *
 * Errors: every int-returning function returns 0 or a negative errno value;
 * ipsecha_strerror() describes it in this library's terms. Arguments that
 * are wrong on their face (slot or group out of range, NULL pointers,
 * unknown flags) are refused with -EINVAL before anything reaches the card.
 * Errors reported by the card:
 *   -EEXIST     slot already installed          -ENOENT   slot not installed
 *   -EXDEV      slot ESN mode differs from its group's (RFC 6311 §6.4)
 *   -EOVERFLOW  group add/advance would pass a slot's limit; nothing changed
 *   -EDOM       value out of range (sequence number, limits, count)
 *   -ERANGE     slot or group index refused by the card (raw commands)
 *   -EOPNOTSUPP command or feature the card does not have
 *   -EIO        the card's engine failed or answered inconsistently
 *   -EREMOTEIO  the card's self-test found a fault
 * Errors of the connection:
 *   -EPROTO     the card speaks an incompatible ABI version (refused)
 *   -ENODEV     the device is not an ipsecha card (bad magic or geometry)
 *   -EPROTONOSUPPORT  unknown URI scheme
 *   -ENOENT / -ECONNREFUSED  no card at that address (open only)
 *   -EBUSY      every command queue of the card is in use
 *   -ETIMEDOUT  the card did not answer in time
 *   -ECONNRESET the card went away;   -ESHUTDOWN the card shut down
 *
 * Thread-safety: a handle may be used from several threads at once; calls
 * on one handle are serialised. Different handles (also in different
 * processes) work on the same card independently, each with its own
 * command queue. ipsecha_close() must not race with other calls on the
 * same handle. A handle does not survive fork(): a child opens its own.
 *
 * Ownership: the library owns the handle and batch objects (freed by
 * ipsecha_close / ipsecha_batch_free); every output structure is the
 * caller's. The library keeps no pointer to caller memory after a call.
 */
#ifndef IPSECHA_H
#define IPSECHA_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define IPSECHA_API __attribute__((visibility("default")))

struct ipsecha;
struct ipsecha_batch;
struct ica_cmd;
struct ica_cpl;

/* Extensible options (libbpf style): sz first; unknown trailing bytes
 * must be zero. Declare with IPSECHA_OPTS(ipsecha_open_opts, o, .f = v). */
#define IPSECHA_OPTS(TYPE, NAME, ...) \
	struct TYPE NAME = { .sz = sizeof(struct TYPE), __VA_ARGS__ }

#define IPSECHA_OPEN_EVENTS_NEW 0x1u  /* event cursor starts at the newest event
					 (default: the oldest the card still holds) */

struct ipsecha_open_opts {
	size_t   sz;
	uint32_t flags;          /* IPSECHA_OPEN_* */
	int      timeout_ms;     /* per command and for open; 0 = 5000 */
	uint32_t spin_us;        /* busy-poll before sleeping on the interrupt; 0 = 20 */
	/* Testing the refusal path: act as a host of this ABI (0 = ours). */
	uint16_t host_abi_major;
	uint16_t host_abi_minor;
};

/* Open a card. URIs: "sim:PATH" (the simulated card's UNIX socket); other
 * schemes as backends register them ("vfio:BDF"). */
IPSECHA_API int ipsecha_open(const char *uri, const struct ipsecha_open_opts *opts,
			     struct ipsecha **out);
/* NULL-safe. Gives the handle's command queue back to the card. */
IPSECHA_API void ipsecha_close(struct ipsecha *h);

/* This library's version string and the card ABI it speaks. */
IPSECHA_API const char *ipsecha_version(void);
IPSECHA_API void ipsecha_abi_version(unsigned *major, unsigned *minor);

/* A static, NUL-terminated description of a negative errno from this
 * library (also for unknown values). Thread-safe. */
IPSECHA_API const char *ipsecha_strerror(int err);

/* ---- identity */
#define IPSECHA_CAP_ESN      0x01u
#define IPSECHA_CAP_INBOUND  0x02u
#define IPSECHA_CAP_INJECTOR 0x04u
#define IPSECHA_CAP_EVENTS   0x08u
#define IPSECHA_CAP_SELFTEST 0x10u

struct ipsecha_info {
	unsigned abi_major, abi_minor;
	uint32_t num_sa, num_group, window, caps;
	uint32_t fw_build_id, rtl_build_id, rtl_version;
	uint32_t num_queues, cmd_entries, ev_entries, rb_entries;
	uint32_t queue;          /* the queue this handle owns */
	uint32_t peer_id;        /* this handle's ivshmem peer id */
	uint64_t epoch;          /* current epoch (group operations so far) */
	uint64_t cycles;         /* engine clock cycles since reset */
	uint32_t cmd_cycles;     /* engine cycles the IDENTIFY command took */
	char     backend[16];    /* "sim", "vfio", ... */
};

/* Identity block plus a live IDENTIFY round trip. */
IPSECHA_API int ipsecha_identify(struct ipsecha *h, struct ipsecha_info *info);

/* ---- slots */
#define IPSECHA_SA_IN   0x1u     /* inbound slot (else outbound) */
#define IPSECHA_SA_ESN  0x2u     /* 64-bit extended sequence numbers */

struct ipsecha_sa {
	uint32_t group;
	uint32_t flags;          /* IPSECHA_SA_* */
	uint64_t seq;            /* out: last number used (0: first packet gets 1);
				    in: right edge of the window (0 for a new SA) */
	uint64_t hard_limit;     /* out only: 0 = 2^32-1 (2^64-1 with ESN) */
	uint64_t soft_limit;     /* out only: event when crossed; 0 = none */
};

#define IPSECHA_SLOT_VALID     0x01u
#define IPSECHA_SLOT_IN        0x02u
#define IPSECHA_SLOT_ESN       0x04u
#define IPSECHA_SLOT_EXHAUSTED 0x08u
#define IPSECHA_SLOT_SOFT      0x10u

struct ipsecha_slot_state {
	uint32_t slot;
	uint32_t flags;          /* IPSECHA_SLOT_* */
	uint32_t group;
	uint64_t value;          /* out: last number issued; in: right edge (effective) */
	uint64_t hard_limit;     /* out only */
	uint64_t soft_limit;     /* out only (0 in readbacks) */
	uint64_t epoch;          /* epoch the read observed */
};

/* *epoch (optional) receives the card's current epoch. */
IPSECHA_API int ipsecha_slot_install(struct ipsecha *h, uint32_t slot,
				     const struct ipsecha_sa *sa, uint64_t *epoch);
IPSECHA_API int ipsecha_slot_remove(struct ipsecha *h, uint32_t slot, uint64_t *epoch);
/* Torn-free read of the effective values. A free slot reads with VALID clear. */
IPSECHA_API int ipsecha_slot_read(struct ipsecha *h, uint32_t slot,
				  struct ipsecha_slot_state *st);
/* Same, plus the inbound replay bitmap (window/32 words; word 0 bit 0 is the
 * right edge, bit i is edge - i). *nwords receives the count written. */
IPSECHA_API int ipsecha_slot_read_bitmap(struct ipsecha *h, uint32_t slot,
					 struct ipsecha_slot_state *st,
					 uint32_t *words, size_t max_words, size_t *nwords);

/* One Child SA = one outbound and one inbound slot in the IKE SA's group,
 * same ESN mode. Installs both with one doorbell; if either is refused,
 * the other is removed again, so the call is all-or-nothing for the
 * caller (returns the first error). out_seq: last outbound number used;
 * in_edge: inbound right edge (0, 0 for a new Child SA). hard/soft limits
 * apply to the outbound slot (0 = none). */
IPSECHA_API int ipsecha_child_install(struct ipsecha *h, uint32_t group, uint32_t slot_out,
				      uint32_t slot_in, int esn, uint64_t out_seq,
				      uint64_t in_edge, uint64_t hard_limit, uint64_t soft_limit);
/* Remove both slots of a Child SA (one doorbell); -ENOENT if neither was
 * installed, 0 if at least one was removed. */
IPSECHA_API int ipsecha_child_remove(struct ipsecha *h, uint32_t slot_out, uint32_t slot_in);

/* ---- groups */
#define IPSECHA_GROUP_HELD      0x1u
#define IPSECHA_GROUP_ESN       0x2u
#define IPSECHA_GROUP_HAS_SLOTS 0x4u

struct ipsecha_group_state {
	uint32_t group;
	uint32_t flags;          /* IPSECHA_GROUP_* */
	uint32_t n_out, n_in;
	uint64_t tx_offset;      /* sum of TX adds */
	uint64_t rx_advance;     /* sum of RX advances */
	uint64_t tx_max;         /* most advanced outbound slot (effective) */
	uint64_t tx_limit;       /* smallest hard limit of its outbound slots */
	uint64_t last_epoch;     /* epoch of the group's last operation */
};

#define IPSECHA_TX_RELEASE 0x1u  /* leave HOLD at the same edge as the add */

IPSECHA_API int ipsecha_group_read(struct ipsecha *h, uint32_t group,
				   struct ipsecha_group_state *st);
/* Add delta to every outbound slot of the group, atomically; refused with
 * -EOVERFLOW (nothing changed) if any slot would pass its limit. */
IPSECHA_API int ipsecha_group_tx_add(struct ipsecha *h, uint32_t group, uint64_t delta,
				     uint32_t flags, uint64_t *epoch);
/* Every inbound slot of the group rejects everything at or below its
 * right edge (as of the command) + delta. */
IPSECHA_API int ipsecha_group_rx_advance(struct ipsecha *h, uint32_t group, uint64_t delta,
					 uint64_t *epoch);
IPSECHA_API int ipsecha_group_hold(struct ipsecha *h, uint32_t group, uint64_t *epoch);
IPSECHA_API int ipsecha_group_release(struct ipsecha *h, uint32_t group, uint64_t *epoch);

/* ---- bulk readback of effective counters (HA snapshots). Each entry is a
 * torn-free read with its own epoch. *n receives the entries written; if
 * more exist than max, -ENOSPC is returned with the first max written. */
IPSECHA_API int ipsecha_readback_group(struct ipsecha *h, uint32_t group,
				       struct ipsecha_slot_state *out, size_t max, size_t *n);
#define IPSECHA_RB_VALID_ONLY 0x1u
IPSECHA_API int ipsecha_readback_range(struct ipsecha *h, uint32_t first, uint32_t count,
				       uint32_t flags, struct ipsecha_slot_state *out,
				       size_t max, size_t *n);

/* ---- events (exhausted, soft limit, refused overflow, lost) */
#define IPSECHA_EV_EXHAUSTED  1u
#define IPSECHA_EV_SOFT_LIMIT 2u
#define IPSECHA_EV_OVERFLOW   3u
#define IPSECHA_EV_LOST       0x80u

struct ipsecha_event {
	uint32_t seq;            /* card-wide event sequence number */
	uint32_t type;           /* IPSECHA_EV_* */
	uint32_t index;          /* slot (exhausted, soft) or group (overflow) */
	uint64_t value;
	uint64_t epoch;
};

/* A file descriptor that polls readable when events may be pending. Owned
 * by the handle: do not close it. */
IPSECHA_API int ipsecha_event_fd(struct ipsecha *h);
/* Pull pending events from the engine into the card's event ring and copy
 * the ones this handle has not seen. *lost (optional) receives the number
 * of events overwritten before this handle read them. */
IPSECHA_API int ipsecha_event_drain(struct ipsecha *h, struct ipsecha_event *ev, size_t max,
				    size_t *n, uint64_t *lost);

/* ---- data-path test injector (bring-up) */
#define IPSECHA_DP_OK        0u
#define IPSECHA_DP_HELD      1u
#define IPSECHA_DP_EXHAUSTED 2u
#define IPSECHA_DP_INVALID   3u
#define IPSECHA_DP_REPLAY    4u
#define IPSECHA_DP_TOO_OLD   5u
#define IPSECHA_DP_NONE      0xffu

struct ipsecha_dp_result {
	uint32_t status;         /* IPSECHA_DP_* */
	uint64_t seq;            /* TX: issued number; RX: inferred 64-bit number */
	uint64_t epoch;          /* epoch the operation observed */
};

/* Issue count TX_NEXT on an outbound slot through the engine's data path.
 * res (optional) receives count results. *n_ok (optional): how many got a
 * number. */
IPSECHA_API int ipsecha_dp_tx(struct ipsecha *h, uint32_t slot, uint32_t count,
			      struct ipsecha_dp_result *res, uint32_t *n_ok);
#define IPSECHA_RX_COMMIT 0x1u
/* RX_CHECK of a wire sequence number (low 32 bits) on an inbound slot, and
 * with IPSECHA_RX_COMMIT an RX_COMMIT when accepted (as after a verified
 * ICV). commit->status is IPSECHA_DP_NONE when no commit was made. */
IPSECHA_API int ipsecha_dp_rx(struct ipsecha *h, uint32_t slot, uint32_t seq, uint32_t flags,
			      struct ipsecha_dp_result *check, struct ipsecha_dp_result *commit);

/* ---- self-test. *failed / *skipped (optional) receive bitmaps of checks. */
IPSECHA_API int ipsecha_selftest(struct ipsecha *h, uint64_t *failed, uint64_t *skipped);

/* ---- batched submission: many commands, one doorbell per ring-full.
 * Arguments are validated when added (-EINVAL, nothing added). Commands
 * run in order; each has its own result. A batch belongs to one handle. */
IPSECHA_API struct ipsecha_batch *ipsecha_batch_new(struct ipsecha *h);
IPSECHA_API void ipsecha_batch_free(struct ipsecha_batch *b);
IPSECHA_API void ipsecha_batch_reset(struct ipsecha_batch *b);
IPSECHA_API size_t ipsecha_batch_count(const struct ipsecha_batch *b);
IPSECHA_API int ipsecha_batch_install(struct ipsecha_batch *b, uint32_t slot,
				      const struct ipsecha_sa *sa);
IPSECHA_API int ipsecha_batch_remove(struct ipsecha_batch *b, uint32_t slot);
IPSECHA_API int ipsecha_batch_slot_read(struct ipsecha_batch *b, uint32_t slot);
IPSECHA_API int ipsecha_batch_tx_add(struct ipsecha_batch *b, uint32_t group, uint64_t delta,
				     uint32_t flags);
IPSECHA_API int ipsecha_batch_rx_advance(struct ipsecha_batch *b, uint32_t group, uint64_t delta);
IPSECHA_API int ipsecha_batch_hold(struct ipsecha_batch *b, uint32_t group);
IPSECHA_API int ipsecha_batch_release(struct ipsecha_batch *b, uint32_t group);
IPSECHA_API int ipsecha_batch_nop(struct ipsecha_batch *b);
/* Submit and wait for every completion. Returns 0 when the card answered
 * every command (check each result), or a connection error. */
IPSECHA_API int ipsecha_batch_submit(struct ipsecha_batch *b);
/* Result of command i of the last submit: its error (0 or -errno), epoch
 * (group ops, install, remove) and, for slot reads, the state. */
IPSECHA_API int ipsecha_batch_result(const struct ipsecha_batch *b, size_t i, uint64_t *epoch,
				     struct ipsecha_slot_state *st);

/* ---- per-handle counters (what this handle did; for tests and tuning) */
struct ipsecha_stats {
	uint64_t commands;       /* commands submitted to the card */
	uint64_t doorbells;      /* doorbells rung */
	uint64_t irq_waits;      /* sleeps on the completion interrupt */
	uint64_t irq_wakeups;    /* of which woken by the interrupt */
};
IPSECHA_API int ipsecha_stats(struct ipsecha *h, struct ipsecha_stats *st);

/* ---- raw commands (bring-up, conformance): no host-side validation; the
 * card's own validation answers. Returns 0 when the card completed the
 * command (whatever its status, in cpl->status) or a connection error. */
IPSECHA_API int ipsecha_cmd_raw(struct ipsecha *h, const struct ica_cmd *cmd,
				struct ica_cpl *cpl);
/* Map a card completion status (enum ica_status) to this library's errno. */
IPSECHA_API int ipsecha_status_errno(unsigned status);

#ifdef __cplusplus
}
#endif

#endif
