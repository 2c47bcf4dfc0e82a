/* ha_rules.h — the RFC 6311 decisions of both roles as pure functions: no
 * I/O, no clock, no randomness, no engine. The engine glue (ha.c) gathers
 * the inputs, calls these, and carries the verdict out; the rule tables in
 * tests/rfc6311/ call them directly.
 *
 * Rule names follow PROTOCOL.md §3.1: R1..R7 for the cluster member that
 * requests a sync, P-a..P-i for the peer that answers it. Every verdict
 * names the rule that decided it (har_rule_str() for logs). */
#ifndef IPSECHA_HA_RULES_H
#define IPSECHA_HA_RULES_H

#include <stdbool.h>
#include <stdint.h>

#include "ha_wire.h"

/* Capability bits: the same values as the engine's IKE_CAP_* (ike.h). */
#define HAR_CAP_MID 0x1u
#define HAR_CAP_RC  0x2u

enum har_rule {
	HAR_OK = 0,
	HAR_NOT_ESTABLISHED,    /* IKE SA not established (PROTOCOL.md pitfall 14) */
	HAR_NOT_NEGOTIATED,     /* §5: capability not asserted by both */
	HAR_NOT_SYNC,           /* shape check failed (see enum haw_why) */
	HAR_PA,                 /* P-a: M1 <= highest value seen from the cluster */
	HAR_RETRANSMIT,         /* identical retransmission, answered again */
	HAR_R4,                 /* R4: nonce differs from the outstanding one */
	HAR_R6,                 /* R6: no sync outstanding (answered already) */
	HAR_M2_LOW,             /* response M2 < M1 (defensive) */
	HAR_P2_LOW,             /* response P2 < P1 (defensive) */
	HAR_R7,                 /* R7: request held while the sync runs */
	HAR_RC_NOT_NEGOTIATED,  /* 16423 without IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED */
	HAR_RC_WIDTH,           /* §6.4: delta width does not match the ESN mode */
	HAR_RC_MIXED_ESN,       /* §6.4: Child SAs neither all ESN nor all non-ESN */
	HAR_RC_OVERFLOW,        /* RFC 4303 §3.3.3: counter would cycle */
	HAR_RC_NO_CHILD,        /* no Child SA to apply the delta to */
	HAR_MID_SPACE,          /* RFC 7296 §2.2: M1 would not fit 32 bits */
	HAR_RULE_MAX,
};

/* Short name ("P-a") and one-line meaning, for logs and docs. */
const char *har_rule_name(enum har_rule r);
const char *har_rule_str(enum har_rule r);

/* ---- peer side (the end that answers; RFC 6311 §5.1 P-a..P-i, §5.2) ---- */

/* ESN mode of the Child SAs of one IKE SA. */
struct har_children {
	unsigned n;               /* Child SAs (installed) */
	unsigned n_esn;           /* of which with ESN */
	bool tx_known;            /* tx_max/tx_limit below are valid */
	uint64_t tx_max;          /* most advanced outbound sequence number */
	uint64_t tx_limit;        /* smallest outbound hard limit */
};

struct har_peer {
	uint32_t caps;            /* HAR_CAP_* negotiated */
	bool established;
	uint32_t next_send;       /* our next request MID (outstanding below) */
	uint32_t next_recv;       /* the cluster's next request MID we expect */
	bool have_m1;             /* an earlier sync was accepted ... */
	uint32_t last_m1;         /* ... with this M1 (the highest accepted) */
	bool have_last;           /* the last accepted request and our answer */
	struct haw_mid last_req, last_resp;
	uint32_t recv_after;      /* next_recv right after that answer */
	bool own_pending;         /* our own sync request is outstanding */
	uint32_t own_m1;          /* (simultaneous failover, PROTOCOL.md §4.4) */
	struct har_children ch;
};

enum har_act {
	HAR_ACT_DROP,             /* silently */
	HAR_ACT_ANSWER,           /* adopt new_send/new_recv, send resp */
	HAR_ACT_RESEND,           /* identical retransmission: same resp, no change */
};

enum har_delta_act {
	HAR_DELTA_NONE,           /* no 16423 in the request */
	HAR_DELTA_APPLY,          /* add delta to every outbound counter */
	HAR_DELTA_REFUSE,         /* ignore the notify (delta_rule says why) */
};

struct har_peer_verdict {
	enum har_act act;
	enum har_rule rule;       /* DROP: why; otherwise HAR_OK/HAR_RETRANSMIT */
	enum haw_why shape;       /* rule == HAR_NOT_SYNC: which check */
	struct haw_mid resp;      /* (nonce, P2, M2) */
	uint32_t new_send, new_recv;
	bool abandon;             /* outstanding requests of ours below P2 are
	                           * abandoned and re-queued (P-g) */
	enum har_delta_act delta_act;
	enum har_rule delta_rule;
	uint64_t delta;
	bool rekey_children;      /* refused delta: rekey every Child SA */
};

/* Decide on a synchronization request already classified by
 * haw_parse_request() (shape is its result; req is valid when HAW_OK). */
void har_peer_decide(const struct har_peer *st, enum haw_why shape,
		     const struct haw_sync *req, struct har_peer_verdict *out);

/* The state after carrying out an ANSWER verdict (what the glue stores). */
void har_peer_commit(struct har_peer *st, const struct haw_sync *req,
		     const struct har_peer_verdict *v);

/* The replay delta alone (§5 case 2, or the 16423 of a case-3 request that
 * passed the Message ID rules): APPLY or REFUSE with the rule. */
enum har_delta_act har_peer_delta(uint32_t caps, const struct har_children *ch,
				  uint8_t rc_len, uint64_t delta, enum har_rule *rule);

/* ---- cluster side (the member that takes over; R1..R7, §5.2) ---- */

/* What the member taking over knows about one IKE SA (replicated state). */
struct har_clu_in {
	uint32_t caps;
	uint32_t next_send;       /* replicated next request MID of ours */
	uint32_t next_recv;       /* replicated next request MID of the peer */
	uint32_t window;          /* IKE sender window (requests in flight), >= 1 */
	bool have_last_m1;        /* R3: the highest M1 any member announced */
	uint32_t last_m1;
	uint64_t snap_epoch;      /* failover epoch the replicated state is from */
	uint64_t age_ms;          /* how old the counter snapshot is */
	struct har_children ch;
};

/* Sizing knobs (agc_ha in the configuration). */
struct har_clu_cfg {
	uint64_t rate;            /* packets/s per Child SA direction */
	uint32_t interval_ms;     /* counter replication interval */
	uint32_t mid_margin;      /* extra Message IDs on top of R1 */
	bool rekey_unsynced;      /* rekey Child SAs whose inbound window the
	                           * peer could not be asked to move */
};

/* RFC 6311 §5: the four cases. */
enum har_case {
	HAR_CASE_MID = 1,         /* Message ID sync only (MID 0) */
	HAR_CASE_RC = 2,          /* replay counters only (regular INFORMATIONAL) */
	HAR_CASE_BOTH = 3,        /* both in one MID-0 request */
	HAR_CASE_NONE = 4,        /* peer without support: jump and release */
};

/* Largest jump/delta we ever pick: keeps non-ESN counters far from 2^32
 * and ESN gaps below 2^32 - W (RFC 4303 Appendix A2.2). */
#define HAR_JUMP_MAX   (UINT64_C(1) << 31)
#define HAR_JUMP_MIN   (UINT64_C(1) << 14)   /* PROTOCOL.md §7: 2 * N_out */
#define HAR_DELTA_MIN  (UINT64_C(1) << 11)   /* PROTOCOL.md §7: 2 * N_in */
#define HAR_REKEY_JUMP (UINT64_C(1) << 30)   /* §5.2: "a rekey SHOULD follow" */
/* §4.3.4: M1 this close to 2^32 -> rekey the IKE SA right after the sync. */
#define HAR_MID_REKEY  (UINT32_MAX - (1u << 20))

struct har_plan {
	enum har_case kase;
	uint64_t jump;            /* own outbound jump (one GROUP_TX_ADD) */
	bool stale_unbounded;     /* the estimate exceeded HAR_JUMP_MAX */
	bool rekey_soon;          /* jump >= 2^30 (§5.2) */
	uint32_t m1, p1;          /* cases 1 and 3 */
	uint8_t rc_len;           /* 0: no IPSEC_REPLAY_COUNTER_SYNC */
	uint64_t delta;           /* asked of the peer; our inbound advance */
	enum har_rule rc_rule;    /* rc_len 0 although RC negotiated: why */
	bool rekey_children;      /* inbound windows left unsynchronised */
	bool rekey_ike;           /* M1 close to the end of the MID space */
};

/* Packets the old active may have sent (or accepted) on one SA direction
 * since the snapshot: rate x max(interval, age), saturating. */
uint64_t har_stale_packets(uint64_t rate, uint32_t interval_ms, uint64_t age_ms);
/* Smallest power of two >= v (v <= 2^63), 1 for 0. */
uint64_t har_roundup_pow2(uint64_t v);

/* Plan the takeover of one IKE SA in failover epoch `epoch` (> the
 * snapshot's). 0, or -EOVERFLOW (HAR_MID_SPACE: M1 would not fit; the IKE
 * SA cannot be synchronised) with *out still describing the jump. */
int har_clu_plan(const struct har_clu_in *in, const struct har_clu_cfg *cfg,
		 uint64_t epoch, struct har_plan *out);

/* An outstanding request of ours. */
struct har_pending {
	bool outstanding;         /* false once a valid response was adopted */
	uint8_t nonce[HAW_NONCE_LEN];
	uint32_t m1, p1;
};

/* Check a decoded response (resp = (nonce, P2, M2)) against the outstanding
 * request: HAR_OK, or why it is discarded (R4, R6, M2_LOW, P2_LOW). */
enum har_rule har_clu_check(const struct har_pending *p, const struct haw_mid *resp);

#endif
