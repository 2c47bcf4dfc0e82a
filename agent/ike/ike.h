/* ike.h — the IKEv2 engine (RFC 7296): IKE SAs, Child SAs and all
 * exchanges, as pure protocol logic.
 *
 * The engine owns no socket, clock, random source or dataplane: everything
 * it needs from the outside comes through struct ike_env, so two engines can
 * be wired to each other in memory (tests/agent/) and the daemon wires one
 * to UDP sockets and the card (agent/daemon/). One engine serves all
 * connections of one configuration. It is single-threaded: call it from one
 * thread (the daemon's event loop).
 *
 * Flow: the caller feeds received datagrams to ike_input() (non-ESP marker
 * already removed), calls ike_run_timers() when ike_next_timer() is due, and
 * drives operator actions through ike_initiate()/ike_terminate_*(). The
 * engine answers through env->send(), installs Child SAs through env->dp
 * and reports SA state changes through env->event.
 *
 * Extension hooks (struct ike_ext_ops) let RFC 6311 (issue 7) live beside
 * the core: they see IKE_AUTH payloads, authenticated requests outside the
 * receive window (Message ID 0), requests before they are first sent
 * (write-ahead), IKE SA rekeys; per IKE SA the core keeps capability bits,
 * "hold incoming requests" and "hold our requests" switches and an opaque
 * pointer for the extension. */
#ifndef IPSECHA_IKE_H
#define IPSECHA_IKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "agc.h"
#include "dp.h"
#include "ikc.h"
#include "ikl.h"
#include "msg.h"

struct ike_engine;
struct ike_sa;
struct ike_child;

enum ike_log_level { IKE_LOG_ERROR, IKE_LOG_WARN, IKE_LOG_INFO, IKE_LOG_DEBUG };

/* Things the engine tells its owner about. */
enum ike_event_type {
	IKE_EV_IKE_UP,          /* IKE SA established (IKE_AUTH or rekey) */
	IKE_EV_IKE_DOWN,        /* IKE SA gone (deleted, failed, expired) */
	IKE_EV_IKE_FAILED,      /* establishment failed (before IKE_EV_IKE_DOWN) */
	IKE_EV_CHILD_UP,
	IKE_EV_CHILD_DOWN,
};

struct ike_event {
	enum ike_event_type type;
	uint32_t ike_id;
	uint32_t child_id;      /* CHILD events */
	const char *conn;
	const char *reason;     /* DOWN/FAILED: short text */
	bool rekey;             /* UP caused by a rekey, DOWN of a rekeyed SA */
};

struct ike_env {
	void *ctx;              /* passed to every callback */
	/* Monotonic milliseconds. */
	uint64_t (*now)(void *ctx);
	/* Send one IKE message from src to dst (addresses with ports). natt:
	 * the NAT-T port pair is in use, the transport prepends the four-zero
	 * non-ESP marker (RFC 3948 §2.2). Errors are counted, not retried. */
	int (*send)(void *ctx, const struct sockaddr_storage *src,
		    const struct sockaddr_storage *dst, bool natt,
		    const uint8_t *pkt, size_t len);
	/* Optional. A NAT-keepalive (one octet 0xff, RFC 3948 §2.3, no
	 * marker) from src to dst on the NAT-T port pair. */
	int (*send_keepalive)(void *ctx, const struct sockaddr_storage *src,
			      const struct sockaddr_storage *dst);
	/* Optional. The source address the host would use towards dst (port
	 * left as is), for connections without a configured local address.
	 * 0 / -errno. */
	int (*route)(void *ctx, const struct sockaddr_storage *dst,
		     struct sockaddr_storage *src);
	/* Optional. One complete line without newline. */
	void (*log)(void *ctx, enum ike_log_level lvl, const char *line);
	/* Optional. */
	void (*event)(void *ctx, const struct ike_event *ev);
	const struct ikc_rng *rng;   /* NULL = OpenSSL */
	struct dp dp;                /* dp.ops NULL = no dataplane */
	struct ikl *keylog;          /* NULL = off */
	enum ike_log_level log_level;
	const struct ike_ext_ops *ext;   /* NULL = none */
	void *ext_ctx;
};

/* Engine knobs that are not configuration (tests shorten them). */
struct ike_params {
	uint32_t half_open_timeout_ms;   /* responder waits for IKE_AUTH (30 s) */
	uint32_t keepalive_ms;           /* NAT keepalive when behind NAT (20 s) */
	uint32_t tempfail_retry_ms;      /* wait after TEMPORARY_FAILURE (2 s) */
	uint32_t rekey_jitter_pct;       /* rekey times minus up to this % (10) */
	uint32_t delete_grace_ms;        /* rekeyed IKE SA kept for the peer's
	                                  * delete at most this long (10 s) */
	uint32_t window;                 /* our receive window: > 1 announces
	                                  * SET_WINDOW_SIZE (1) */
	uint32_t cookie_secret_life_ms;  /* COOKIE secret rotation (60 s) */
};

/* IKE SA capability bits (per IKE SA, replicable, inherited on rekey). */
enum {
	IKE_CAP_MID_SYNC    = 1u << 0,   /* RFC 6311 Message ID sync negotiated */
	IKE_CAP_REPLAY_SYNC = 1u << 1,   /* RFC 6311 replay counter sync */
};

/* Hooks for extensions (RFC 6311). Every hook is optional. */
struct ike_ext_ops {
	/* IKE_AUTH: add payloads (notifies) to our request (response=false,
	 * req=NULL) or our response (response=true, req=the peer's request). */
	void (*auth_build)(void *ctx, struct ike_sa *sa, struct ikm_builder *b,
			   bool response, const struct ikm_msg *req);
	/* IKE_AUTH: the peer's authenticated request or response. */
	void (*auth_process)(void *ctx, struct ike_sa *sa, const struct ikm_msg *m);
	/* An authenticated INFORMATIONAL request in the window (including a
	 * Message ID 0 one while the peer's next MID is still 0, PROTOCOL.md
	 * pitfall 13). Return true if the extension consumed it (it answered
	 * or dropped it itself: no response, the MID is not consumed);
	 * otherwise it may add payloads to our response in resp. */
	bool (*info_request)(void *ctx, struct ike_sa *sa, const struct ikm_msg *req,
			     struct ikm_builder *resp);
	/* An authenticated request (decrypted, rules checked) whose Message ID
	 * is outside the receive window, e.g. Message ID 0 (RFC 6311 §5.1).
	 * Return true if the extension consumed it. */
	bool (*oob_request)(void *ctx, struct ike_sa *sa, const struct ikm_msg *req);
	/* Before a request is sent the first time (retransmissions are the
	 * same bytes): nonzero aborts the exchange (write-ahead failed). */
	int (*pre_send)(void *ctx, struct ike_sa *sa, uint32_t mid,
			const uint8_t *pkt, size_t len);
	/* The IKE SA old was rekeyed to nu (capabilities are already copied). */
	void (*rekeyed)(void *ctx, struct ike_sa *old, struct ike_sa *nu);
	/* The IKE SA is about to be freed: drop per-SA extension state. */
	void (*sa_free)(void *ctx, struct ike_sa *sa);
};

/* ---- engine ---- */

void ike_params_default(struct ike_params *p);

/* cfg is copied (connections are reference-counted inside the engine); the
 * caller may free it afterwards. params NULL = defaults. */
int ike_engine_new(const struct ike_env *env, const struct ike_params *params,
		   const struct agc_config *cfg, struct ike_engine **out);
/* Frees every SA locally (dataplane entries removed, no messages). */
void ike_engine_free(struct ike_engine *e);
/* New configuration for new SAs; existing SAs keep the connection they were
 * made with. Connections with auto_start that have no IKE SA are started. */
int ike_engine_reload(struct ike_engine *e, const struct agc_config *cfg);
/* Start every auto_start connection. */
void ike_engine_start(struct ike_engine *e);
/* Send DELETE for every IKE SA (best effort, no waiting). */
void ike_engine_shutdown(struct ike_engine *e);

void ike_input(struct ike_engine *e, const struct sockaddr_storage *local,
	       const struct sockaddr_storage *remote, bool natt,
	       const uint8_t *pkt, size_t len);
/* A one-octet NAT-keepalive arrived (RFC 3948 §2.3): ignored, counted. */
void ike_input_keepalive(struct ike_engine *e);

uint64_t ike_next_timer(const struct ike_engine *e);   /* UINT64_MAX: none */
void ike_run_timers(struct ike_engine *e);

/* Operator actions. 0 / -ENOENT (no such connection or SA) / -errno. */
int ike_initiate(struct ike_engine *e, const char *conn, uint32_t *ike_id);
/* Initiation options. */
struct ike_initiate_opts {
	/* Non-zero: propose the first Child SA's selectors as UDP port
	 * ts_port only (load tests: peers refuse Child SAs with identical
	 * selectors, so each gets its own port). */
	uint16_t ts_port;
};
int ike_initiate_opts(struct ike_engine *e, const char *conn, const struct ike_initiate_opts *o,
		      uint32_t *ike_id);
int ike_terminate_ike(struct ike_engine *e, uint32_t ike_id);
/* Remove an IKE SA (and its children) locally, without telling the peer. */
int ike_drop_ike(struct ike_engine *e, uint32_t ike_id);
int ike_terminate_conn(struct ike_engine *e, const char *conn, unsigned *count);
int ike_rekey_ike(struct ike_engine *e, uint32_t ike_id);
int ike_rekey_child(struct ike_engine *e, uint32_t child_id);
int ike_create_child(struct ike_engine *e, uint32_t ike_id);
int ike_dpd(struct ike_engine *e, uint32_t ike_id);

/* ---- introspection (status, sa list, tests) ---- */

struct ike_stats {
	uint64_t rx_msgs, tx_msgs, rx_bytes, tx_bytes;
	uint64_t retransmits, resp_retransmits;
	uint64_t drop_malformed, drop_auth, drop_no_sa, drop_window, drop_rules,
		 drop_held, drop_other;
	uint64_t keepalives_rx;
	uint64_t ike_established, ike_failed, ike_rekeyed, ike_deleted;
	uint64_t child_established, child_rekeyed, child_deleted;
	uint64_t cookies_sent, invalid_ke_sent, half_open;   /* half_open: ever created */
	uint64_t init_errors;   /* unauthenticated error answers to our IKE_SA_INIT (§2.21.1) */
	uint64_t dp_errors, send_errors;
};
const struct ike_stats *ike_engine_stats(const struct ike_engine *e);
unsigned ike_engine_sa_count(const struct ike_engine *e);
/* Responder IKE SAs waiting for IKE_AUTH now. */
unsigned ike_engine_half_open(const struct ike_engine *e);

struct ike_child_info {
	uint32_t id;
	const char *state;
	uint32_t spi_in, spi_out;
	struct ikc_suite suite;
	bool esn, encap, initiator;
	unsigned n_ts_local, n_ts_remote;
	struct ikm_ts ts_local[IKM_MAX_TS], ts_remote[IKM_MAX_TS];
	uint32_t dp_group;
	struct dp_slots slots;
	bool installed;
	uint64_t age_ms, rekey_in_ms, expire_in_ms;   /* UINT64_MAX = never */
};

struct ike_sa_info {
	uint32_t id;
	const char *conn;
	const char *state;
	bool initiator;
	uint8_t spi_i[8], spi_r[8];
	struct sockaddr_storage local, remote;
	bool natt, nat_local, nat_remote;
	struct ikc_suite suite;
	struct agc_id local_id, remote_id;
	uint32_t mid_send, mid_recv;     /* next request we send / expect */
	uint32_t window_out, window_in;
	uint32_t caps;
	bool dp_group_valid;
	uint32_t dp_group;
	uint64_t age_ms, rekey_in_ms, expire_in_ms, idle_ms;
	unsigned n_children;
};

/* Call fn for every IKE SA (and its children) in id order. */
typedef void (*ike_sa_fn)(void *arg, const struct ike_sa_info *sa,
			  const struct ike_child_info *children, unsigned n_children);
void ike_foreach_sa(const struct ike_engine *e, ike_sa_fn fn, void *arg);
int ike_sa_info_by_id(const struct ike_engine *e, uint32_t id, struct ike_sa_info *out);

/* ---- for extensions (and tests) ---- */

struct ike_sa *ike_sa_by_id(struct ike_engine *e, uint32_t id);
uint32_t ike_sa_id(const struct ike_sa *sa);
bool ike_sa_established(const struct ike_sa *sa);
bool ike_sa_is_initiator(const struct ike_sa *sa);
uint32_t ike_sa_caps(const struct ike_sa *sa);
void ike_sa_set_caps(struct ike_sa *sa, uint32_t caps);
void *ike_sa_ext(const struct ike_sa *sa);
void ike_sa_set_ext(struct ike_sa *sa, void *p);
const struct agc_conn *ike_sa_conn(const struct ike_sa *sa);
struct ike_engine *ike_sa_engine(const struct ike_sa *sa);
/* Message IDs: next request we send, next request we expect. */
void ike_sa_mids(const struct ike_sa *sa, uint32_t *next_send, uint32_t *next_recv);
/* Set both (RFC 6311 adoption); cached responses and outstanding requests
 * below the new values are dropped (their tasks re-queued). */
void ike_sa_set_mids(struct ike_sa *sa, uint32_t next_send, uint32_t next_recv);
/* Drop incoming requests (R7) / do not start queued exchanges. */
void ike_sa_hold_requests(struct ike_sa *sa, bool hold);
void ike_sa_hold_sending(struct ike_sa *sa, bool hold);
/* The dataplane group of the IKE SA (false if none allocated yet). */
bool ike_sa_dp_group(const struct ike_sa *sa, uint32_t *group);

/* Out-of-band request: an encrypted request with an explicit Message ID
 * (not consuming one) whose inner payloads are `plain` (a bare chain built
 * with ikm_build_chain, first type first_np). Retransmitted identically
 * with the IKE back-off; cb gets the authenticated response (resp NULL on
 * timeout). One at a time per IKE SA: -EBUSY. */
typedef void (*ike_oob_cb)(void *arg, struct ike_sa *sa, const struct ikm_msg *resp);
int ike_sa_oob_request(struct ike_sa *sa, uint8_t exchange, uint32_t mid,
		       uint8_t first_np, const uint8_t *plain, size_t plain_len,
		       ike_oob_cb cb, void *arg);
void ike_sa_oob_cancel(struct ike_sa *sa);
/* Only from inside an ike_oob_cb given a response: "not this one". The
 * request stays outstanding and keeps being retransmitted byte for byte on
 * its back-off schedule (resp NULL on time-out as before); the response is
 * dropped. No effect anywhere else. */
void ike_sa_oob_keep(struct ike_sa *sa);
/* Answer a request outside the normal response cache (RFC 6311 P-e:
 * Message ID 0). 0 / -errno. */
int ike_sa_send_response(struct ike_sa *sa, const struct ikm_msg *req, uint32_t mid,
			 uint8_t first_np, const uint8_t *plain, size_t plain_len);
/* The Child SAs of one IKE SA (fills at most max, returns the total). */
unsigned ike_sa_children(const struct ike_sa *sa, struct ike_child_info *out, unsigned max);
/* The window the peer gave us for our requests (RFC 7296 §2.3), >= 1. */
uint32_t ike_sa_window(const struct ike_sa *sa);
/* Remove the IKE SA and its Child SAs locally, without any message. */
void ike_sa_drop(struct ike_sa *sa, const char *reason);

/* ---- IKE SA records (state snapshots, RFC 6311 issue 7) ----
 * Everything a standby member needs to continue an established IKE SA: the
 * SPIs, roles, addresses, algorithms, keys, Message IDs, capabilities and,
 * per Child SA, its SPIs, algorithms, selectors, keys and the dataplane
 * counters read back at export time. Plain data with secrets in it: keep it
 * away from logs and wipe it with ike_sa_rec_wipe(). Serialising it (with a
 * version and integrity protection) is the snapshot format's business. */
#define IKE_REC_MAX_CHILDREN 16

struct ike_child_rec {
	uint32_t spi_in, spi_out;
	struct ikc_suite suite;
	bool initiator;              /* we initiated the creating exchange */
	bool encap;
	uint8_t n_tsl, n_tsr;
	struct ikm_ts tsl[IKM_MAX_TS], tsr[IKM_MAX_TS];
	struct ikc_child_keys keys;
	uint64_t tx_seq;             /* last outbound sequence number used */
	uint64_t rx_top;             /* inbound right edge */
	bool counters_valid;         /* tx_seq/rx_top were read from the dataplane */
};

struct ike_sa_rec {
	char conn[AGC_NAME_MAX];
	uint32_t id;                 /* the exporting engine's id (informational) */
	bool initiator;              /* original initiator (I flag) */
	uint8_t spi_i[IKE_SPI_LEN], spi_r[IKE_SPI_LEN];
	struct sockaddr_storage local, remote;
	bool natt, nat_local, nat_remote;
	struct ikc_suite suite;
	struct ikc_ike_keys keys;
	struct agc_id peer_id;
	uint32_t mid_send, mid_recv;  /* next request we send / expect */
	uint32_t win_out;
	uint32_t caps;
	bool group_esn;
	unsigned n_children;
	struct ike_child_rec children[IKE_REC_MAX_CHILDREN];
};

/* Export an ESTABLISHED IKE SA. -EAGAIN (not established), -E2BIG (more
 * Child SAs than IKE_REC_MAX_CHILDREN). Counters come from the dataplane's
 * readback when it has one. */
int ike_sa_export(const struct ike_sa *sa, struct ike_sa_rec *out);
/* Create an ESTABLISHED IKE SA from a record: the connection must exist by
 * name, the SPIs must be free. The Child SAs go into the dataplane with the
 * recorded counters; with hold, the IKE SA's dataplane group is held
 * before any slot is installed (until the takeover releases it). Timers
 * (rekey, lifetime, DPD) start from now. -ENOENT (no such connection),
 * -EEXIST (SPI in use), -EINVAL, dataplane errors. */
int ike_sa_import(struct ike_engine *e, const struct ike_sa_rec *rec, bool hold,
		  uint32_t *ike_id);
void ike_sa_rec_wipe(struct ike_sa_rec *rec);

/* Log through the engine (prefix with the SA id). */
void ike_sa_log(const struct ike_sa *sa, enum ike_log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
