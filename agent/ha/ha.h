/* ha.h — RFC 6311 in the agent: both roles as an extension of the IKE
 * engine (struct ike_ext_ops), and the takeover procedure per IKE SA.
 *
 * Wiring (the daemon, the tests):
 *
 *     struct ha *h;
 *     ha_new(&ha_env, &h);                  dataplane, RNG, clocks, R3 hook
 *     ike_env.ext = &ha_ext_ops; ike_env.ext_ctx = h;
 *     ike_engine_new(&ike_env, ..., &e);
 *     ha_attach(h, e);
 *     ... event loop: also ha_run_timers() when ha_next_timer() is due.
 *
 * What it does:
 *  - IKE_AUTH: offers IKEV2_MESSAGE_ID_SYNC_SUPPORTED / IPSEC_REPLAY_
 *    COUNTER_SYNC_SUPPORTED per connection (agc_ha), and as responder only
 *    what the initiator offered; the IKE SA's capability bits are the
 *    intersection (engine: ike_sa_caps, inherited on IKE SA rekey).
 *  - Peer role: answers synchronization requests (P-a..P-i, ha_rules.h),
 *    applies a requested replay delta to our outbound counters of all
 *    Child SAs of the IKE SA with one group TX add.
 *  - Cluster role: ha_takeover() runs hold -> jump -> sync -> release for
 *    one IKE SA (docs/rfc6311.md has the sequence).
 *
 * Single-threaded like the engine: call everything from the engine's
 * thread. */
#ifndef IPSECHA_HA_H
#define IPSECHA_HA_H

#include <stdbool.h>
#include <stdint.h>

#include "dp.h"
#include "ha_rules.h"
#include "ike.h"

struct ha;

/* R3 write-ahead and replication (RFC 6311 §5.1: "The member SHOULD
 * communicate the sent values to the other cluster members"). The cluster
 * issue provides the channel; ha_repl_mem.h is the in-memory one. */
enum ha_wal_kind {
	HA_WAL_SYNC_SENT,        /* a sync request is about to be sent */
	HA_WAL_SYNC_DONE,        /* its response was adopted */
	HA_WAL_MID,              /* a request with this Message ID is about
	                          * to be sent (per-request MID replication) */
};

struct ha_wal {
	enum ha_wal_kind kind;
	uint32_t ike_id;
	uint8_t spi_i[8], spi_r[8];
	uint64_t epoch;          /* failover epoch */
	uint32_t m1, p1;         /* SYNC_SENT: proposed; DONE: adopted M2, P2;
	                          * MID: m1 = the request's Message ID */
	uint8_t nonce[HAW_NONCE_LEN];
	const uint8_t *pkt;      /* SYNC_SENT: the exact request bytes */
	size_t len;
};

struct ha_repl_ops {
	/* Guarantees: called before the bytes leave; the record (and pkt) is
	 * only valid during the call. Nonzero = not replicated: the request
	 * is still sent unless ha_env.strict_wal is set (then the takeover of
	 * that IKE SA fails; see docs/rfc6311.md). */
	int (*write)(void *ctx, const struct ha_wal *rec);
};

struct ha_env {
	void *ctx;
	uint64_t (*now)(void *ctx);       /* monotonic ms, the engine's clock */
	uint64_t (*wall_ms)(void *ctx);   /* ms since 1970 (snapshot age);
	                                   * NULL = CLOCK_REALTIME */
	const struct ikc_rng *rng;        /* nonces; NULL = OpenSSL */
	struct dp dp;                     /* the engine's dataplane (card, XDP) */
	const struct ha_repl_ops *repl;   /* NULL = no replication */
	void *repl_ctx;
	bool strict_wal;                  /* R3 failure aborts the takeover */
	bool no_rekey_unsynced;           /* keep Child SAs whose inbound window
	                                   * could not be synchronised (default:
	                                   * rekey them, §8.2 policy) */
	uint32_t max_inflight;            /* ha_takeover_all: syncs out at
	                                   * once (0 = 64) */
};

extern const struct ike_ext_ops ha_ext_ops;

int ha_new(const struct ha_env *env, struct ha **out);
void ha_free(struct ha *h);
void ha_attach(struct ha *h, struct ike_engine *e);
/* The dataplane, when it is created after ha_new(). */
void ha_set_dp(struct ha *h, const struct dp *dp);
struct ike_engine *ha_engine(const struct ha *h);

/* ---- failover epochs and takeover (cluster role) ---- */

/* The cluster-wide failover epoch: a takeover runs at most once per IKE SA
 * per epoch (RFC 6311 §7: "MUST NOT initiate counter synchronization for
 * any particular IKE SA more than once per failover event"). */
uint64_t ha_epoch(const struct ha *h);
/* Enter a new failover event: epoch must be greater than the current. */
int ha_set_epoch(struct ha *h, uint64_t epoch);

/* Start the takeover of one IKE SA. 0: started (or finished at once, for
 * a peer without support); -ENOENT no such SA; -ENOTCONN not established;
 * -EALREADY done in this epoch; -EINPROGRESS running; -ENOEXEC no
 * dataplane group; other -errno from the dataplane or the engine. */
int ha_takeover(struct ha *h, uint32_t ike_id);
/* All established IKE SAs not yet taken over in this epoch, at most
 * max_inflight syncs at a time (the rest queued, their groups held).
 * *started: IKE SAs queued; *failed: those that could not even start. */
int ha_takeover_all(struct ha *h, unsigned *started, unsigned *failed);
/* Takeovers still running (queued, pending response, waiting for rekeys). */
unsigned ha_takeovers_running(const struct ha *h);
/* Time from the last ha_takeover_all() until no takeover ran any more;
 * false while it still runs. */
bool ha_takeover_all_ms(const struct ha *h, uint64_t *ms);

/* A sync stream (the benchmark's cluster-side driver): count valid Message
 * ID sync exchanges one after the other on one IKE SA (M1 = the peer's
 * expected + 1 each time, fresh nonce), no dataplane operation. 0, or
 * -ENOENT, -ENOTCONN (not established / no Message ID sync), -EBUSY, -EIO
 * (could not send). The streams' IKE SAs take turns (round robin) and at
 * most `window` requests are out at once (0: no limit, each stream sends
 * its next request as soon as the answer is in). A window below the number
 * of IKE SAs keeps a peer from seeing the next Message ID 0 request of an
 * IKE SA while it may still be finishing the last one (strongSwan drops
 * such a request as a retransmission: "ignoring request with ID 0, already
 * processing"). */
int ha_stream(struct ha *h, uint32_t ike_id, unsigned count);
void ha_stream_window(struct ha *h, unsigned window);
/* End every stream: no new request; those outstanding end with their
 * answer (or time-out). */
void ha_stream_stop(struct ha *h);
/* Streams running, responses adopted, streams failed, ms from the first
 * request to the last adopted response (since the first stream started). */
void ha_stream_stats(const struct ha *h, unsigned *running, uint64_t *answered,
		     uint64_t *failed, uint64_t *ms);

uint64_t ha_next_timer(const struct ha *h);  /* UINT64_MAX: none */
void ha_run_timers(struct ha *h);

/* ---- introspection ---- */

enum ha_sync_state {
	HA_SYNC_NONE,            /* never taken over */
	HA_SYNC_HELD,            /* restored: held until its takeover */
	HA_SYNC_PENDING,         /* request sent, waiting for the response */
	HA_SYNC_REKEYING,        /* synced; outbound held until the Child SAs
	                          * whose counters could not jump are rekeyed */
	HA_SYNC_DONE,
	HA_SYNC_FAILED,          /* IKE SA deleted */
};
const char *ha_sync_state_str(enum ha_sync_state s);
const char *ha_case_str(enum har_case c);

struct ha_sa_info {
	uint32_t caps;           /* negotiated (IKE_CAP_*) */
	uint32_t offered;        /* we offered */
	uint32_t peer_offered;   /* the peer offered */
	enum ha_sync_state state;
	uint64_t epoch;          /* failover epoch of the last takeover */
	enum har_case kase;
	uint32_t m1, p1, m2, p2; /* cluster role: proposed and adopted */
	uint8_t nonce[HAW_NONCE_LEN];
	uint64_t jump, delta;    /* own outbound jump; delta asked of the peer */
	uint64_t ms;             /* takeover duration (done) or age (running) */
	unsigned dropped;        /* responses dropped in this takeover */
	enum har_rule last_drop; /* last response dropped (cluster role) */
	/* Peer role. */
	uint64_t answered;       /* sync requests answered (incl. resends) */
	bool have_m1;
	uint32_t last_m1;        /* highest M1 accepted */
	uint64_t delta_applied;  /* sum of replay deltas applied */
	uint64_t card_epoch;     /* card epoch of the last group operation */
};
int ha_sa_info(const struct ha *h, uint32_t ike_id, struct ha_sa_info *out);

struct ha_stats {
	/* cluster role */
	uint64_t takeovers, takeovers_done, takeovers_failed;
	uint64_t sync_sent, sync_timeouts;
	uint64_t resp_valid, resp_dropped[HAR_RULE_MAX], resp_not_sync[16];
	uint64_t jumps, jump_overflow, rx_advances, releases;
	uint64_t rc_only_sent, no_support;
	uint64_t wal_written, wal_failed;
	uint64_t rekeys_children, rekeys_ike;
	/* peer role */
	uint64_t req_answered, req_resent;
	uint64_t req_dropped[HAR_RULE_MAX];  /* by rule */
	uint64_t req_not_sync[16];           /* by enum haw_why (shape) */
	uint64_t deltas_applied, deltas_refused[HAR_RULE_MAX];
	uint64_t dp_errors;
};
const struct ha_stats *ha_stats(const struct ha *h);

/* ---- snapshot/restore support (ha_snap.h) ---- */

/* Replicated inputs of one IKE SA for its takeover (from a snapshot record
 * or a replication message). */
struct ha_restored {
	uint64_t snap_epoch;     /* failover epoch the state is from */
	uint64_t snap_wall_ms;   /* when its counters were read */
	bool have_last_m1;
	uint32_t last_m1;        /* R3: highest M1 any member announced */
	uint32_t offered, peer_offered;   /* §5 notifies sent / received */
	bool held;               /* restore: the group is already held */
};
/* Mark an IKE SA as restored: its group is held until ha_takeover(); our
 * requests and the peer's wait too (stale Message IDs). The failover
 * epoch moves past the snapshot's. */
int ha_mark_restored(struct ha *h, uint32_t ike_id, const struct ha_restored *r);
/* What a snapshot of this IKE SA records about RFC 6311. */
int ha_export(const struct ha *h, uint32_t ike_id, struct ha_restored *out);

#endif
