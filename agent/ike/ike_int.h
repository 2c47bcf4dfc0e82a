/* ike_int.h — the engine's internal structures, shared by the ike_*.c files
 * (engine, sa, init, auth, child, info). Not for use outside agent/ike/. */
#ifndef IPSECHA_IKE_INT_H
#define IPSECHA_IKE_INT_H

#include "htab.h"
#include "ike.h"
#include "prop.h"
#include "rules.h"
#include "timer.h"
#include "ts.h"

#define IKE_MAX_WINDOW   4      /* largest window we keep state for */
#define IKE_NONCE_LEN    32     /* nonces we send (RFC 7296 §2.10: at
                                 * least half the prf key size) */
#define IKE_MSG_BUF      8192   /* largest message we build */
#define IKE_COOKIE_LEN   (4 + 32)   /* version id + SHA-256 */

/* A connection as the engine keeps it: shared by the SAs made with it. */
struct ike_conn {
	unsigned refs;
	bool current;            /* part of the live configuration */
	struct agc_conn c;
};

enum ike_state {
	IKE_S_INIT_I,            /* initiator: IKE_SA_INIT sent */
	IKE_S_INIT_R,            /* responder: IKE_SA_INIT answered (half-open) */
	IKE_S_AUTH_I,            /* initiator: IKE_AUTH sent */
	IKE_S_ESTABLISHED,
	IKE_S_REKEYED,           /* replaced by a new IKE SA, awaiting delete */
	IKE_S_DELETING,          /* our DELETE sent */
	IKE_S_DEAD,              /* freed at the end of the current event */
};

enum child_state {
	CH_INSTALLED,
	CH_REKEYING,             /* our rekey request outstanding */
	CH_REKEYED,              /* replaced; delete pending */
	CH_DELETING,             /* our DELETE outstanding */
};

/* Kinds of exchanges we initiate (tasks) and of outstanding requests. */
enum xk {
	XK_NONE,
	XK_INIT,
	XK_AUTH,
	XK_CHILD_NEW,
	XK_CHILD_REKEY,
	XK_IKE_REKEY,
	XK_CHILD_DELETE,
	XK_CHILD_UNWANTED,       /* delete, by our inbound SPI, a Child SA the
	                          * peer's answer created and we refused */
	XK_IKE_DELETE,
	XK_DPD,
	XK_OOB,
};

struct ike_child {
	struct ike_child *next;
	struct ike_sa *sa;
	uint32_t id;
	enum child_state state;
	struct htab_node by_spi;         /* engine->child_spis, key spi_in */
	uint32_t spi_in, spi_out;
	struct ikc_suite suite;
	bool initiator;                  /* we initiated the creating exchange */
	bool encap;
	unsigned n_tsl, n_tsr;           /* local / remote selectors */
	struct ikm_ts tsl[IKM_MAX_TS], tsr[IKM_MAX_TS];
	struct ikc_child_keys keys;
	bool installed;
	struct dp_slots slots;
	uint64_t created;
	struct tmr t_rekey, t_expire;
	/* Rekey bookkeeping (RFC 7296 §2.8.1). */
	uint32_t rekeyed_by;             /* spi_in of the replacement */
	uint32_t collision_spi;          /* peer-initiated replacement made while
	                                  * our own rekey of this child ran */
	uint8_t coll_ni[IKE_MAX_NONCE], coll_nr[IKE_MAX_NONCE];
	uint16_t coll_ni_len, coll_nr_len;
	uint64_t rekey_started;
	/* Dataplane starting counters (restored Child SAs). */
	uint64_t init_tx_seq, init_rx_top;
};

struct ike_task {
	struct ike_task *next;
	enum xk kind;
	uint32_t child_spi;              /* rekey/delete: our inbound SPI */
	uint64_t not_before;
};

/* Our outstanding request. */
struct ike_xchg {
	enum xk kind;
	uint32_t mid;
	uint8_t exchange;
	uint8_t *pkt;
	size_t len;
	unsigned tries;
	uint64_t first_sent;
	/* CREATE_CHILD_SA */
	uint32_t child_spi;              /* rekey/delete target (spi_in) */
	uint32_t new_spi;                /* our new inbound SPI */
	uint8_t new_ike_spi[IKE_SPI_LEN];
	uint8_t nonce[IKE_NONCE_LEN];
	uint16_t nonce_len;
	struct ikc_ke *ke;
	uint16_t ke_group;
	unsigned n_tsi, n_tsr;
	struct ikm_ts tsi[IKM_MAX_TS], tsr[IKM_MAX_TS];
	uint8_t esn_mask;
	/* out of band */
	ike_oob_cb oob_cb;
	void *oob_arg;
};

/* One cached response (RFC 7296 §2.1: retransmitted when the request is). */
struct ike_resp {
	bool valid;
	uint32_t mid;
	uint8_t req_hash[32];
	uint8_t *pkt;
	size_t len;
};

struct ike_sa {
	struct ike_engine *e;
	struct ike_sa *next, *prev;      /* engine list, id order */
	uint32_t id;
	struct ike_conn *conn;
	enum ike_state state;
	bool initiator;                  /* original initiator (I flag) */
	bool rekey_born;                 /* made by an IKE rekey */
	struct htab_node by_spi;         /* engine->sas, key: our SPI */
	struct htab_node by_peer_spi;    /* engine->init_idx (responder) */
	bool in_init_idx;
	uint8_t spi_i[IKE_SPI_LEN], spi_r[IKE_SPI_LEN];
	struct sockaddr_storage local, remote;
	bool natt;                       /* using the NAT-T port pair */
	bool nat_local, nat_remote;      /* NAT in front of us / of the peer */
	struct ikc_suite suite;
	struct ikc_ike_keys keys;
	struct ikc_sk *sk;
	/* IKE_SA_INIT material, kept until IKE_AUTH is done. */
	uint8_t *init_i, *init_r;        /* the two IKE_SA_INIT messages */
	size_t init_i_len, init_r_len;
	uint8_t ni[IKE_MAX_NONCE], nr[IKE_MAX_NONCE];
	uint16_t ni_len, nr_len;
	struct ikc_ke *ke;
	uint16_t ke_group;
	uint8_t cookie[64];
	uint16_t cookie_len;
	uint8_t init_req_hash[32];       /* responder: retransmission check */
	unsigned init_retries;           /* INVALID_KE / COOKIE round trips */
	const char *init_err;            /* why the last unauthenticated answer to our
	                                  * IKE_SA_INIT was unusable (§2.21.1), or NULL */
	unsigned init_err_first;         /* retransmissions done when the first came */
	unsigned init_err_last;          /* ... and when the latest came */
	struct agc_id peer_id;
	/* Message IDs (RFC 7296 §2.3). */
	uint32_t mid_send;               /* next request MID */
	uint32_t mid_recv;               /* lowest request MID not yet answered */
	uint32_t recv_done;              /* bit i: mid_recv + i answered (W > 1) */
	uint32_t win_out;                /* peer's window: our max outstanding */
	uint32_t win_in;                 /* our window */
	struct ike_xchg *out[IKE_MAX_WINDOW];
	struct ike_xchg *oob;
	struct ike_resp cache[IKE_MAX_WINDOW];
	struct ike_task *tasks, **tasks_tail;
	struct ike_child *children;
	unsigned n_children;
	/* RFC 6311 hooks. */
	uint32_t caps;
	bool hold_requests, hold_sending;
	void *ext;
	/* Dataplane group (one per IKE SA, moves with the Child SAs on rekey). */
	bool group_valid;
	uint32_t group;
	bool group_esn;
	/* IKE rekey (RFC 7296 §2.8.2). */
	struct ike_sa *rekeyed_to;       /* the surviving successor */
	uint32_t coll_sa_id;             /* peer-initiated successor created
	                                  * while our rekey ran */
	uint8_t coll_ni[IKE_MAX_NONCE], coll_nr[IKE_MAX_NONCE];
	uint16_t coll_ni_len, coll_nr_len;
	/* Times. */
	uint64_t created, established, last_rx, tempfail_since;
	struct tmr t_retx, t_oob, t_rekey, t_expire, t_dpd, t_keepalive, t_halfopen,
		   t_tasks, t_delete;
	bool dead_queued;
	uint32_t reauth_of;               /* make-before-break: old SA to delete */
	uint16_t ts_port;                /* ike_initiate_opts.ts_port */
	const char *down_reason;
};

struct ike_engine {
	struct ike_env env;
	struct ike_params p;
	struct agc_global g;
	struct ike_conn **conns;
	size_t n_conns;
	struct htab sas;                 /* our SPI -> SA */
	struct htab init_idx;            /* peer SPIi -> responder SA */
	struct htab child_spis;          /* our inbound ESP SPI -> child */
	struct ike_sa *head, *tail;
	unsigned n_sas;
	uint32_t next_sa_id, next_child_id;
	struct tmr_heap timers;
	struct ike_stats st;
	uint32_t half_open;
	uint8_t cookie_secret[32], cookie_prev[32];
	uint32_t cookie_ver;
	uint64_t cookie_rotated;
	struct ike_sa *dead;             /* freed at the end of the event */
	unsigned depth;                  /* re-entrancy of event processing */
	/* The datagram being processed (responses go back to its source). */
	const struct sockaddr_storage *cur_local, *cur_remote;
	bool cur_natt;
	uint8_t cur_hash[32];            /* SHA-256 of the current request */
};

/* ---- engine (ike_engine.c) ---- */
void ike_log(const struct ike_engine *e, enum ike_log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void ike_emit(struct ike_engine *e, enum ike_event_type t, const struct ike_sa *sa,
	      const struct ike_child *c, const char *reason, bool rekey);
uint64_t ike_now(const struct ike_engine *e);
int ike_random(const struct ike_engine *e, void *buf, size_t len);
uint32_t ike_jitter(const struct ike_engine *e, uint32_t ms);
/* Connections whose addresses match, in configuration order: the first
 * after `after` (NULL: the first one). */
struct ike_conn *ike_conn_for_init(struct ike_engine *e,
				   const struct sockaddr_storage *local,
				   const struct sockaddr_storage *remote,
				   const struct ike_conn *after);
struct ike_conn *ike_conn_for_auth(struct ike_engine *e, const struct ike_sa *sa,
				   const struct ikm_pl_id *idi, const struct ikm_pl_id *idr);
void ike_conn_put(struct ike_conn *c);
int ike_alloc_child_spi(struct ike_engine *e, uint32_t *spi);
void ike_begin_event(struct ike_engine *e);
void ike_end_event(struct ike_engine *e);
int ike_sha256(const struct ikc_buf *parts, size_t n, uint8_t out[32]);

/* ---- SA lifecycle, messages, tasks (ike_sa.c) ---- */
struct ike_sa *ike_sa_new(struct ike_engine *e, struct ike_conn *conn, bool initiator);
int ike_sa_set_our_spi(struct ike_sa *sa);   /* random, unique; indexes it */
void ike_sa_kill(struct ike_sa *sa, const char *reason);  /* local removal */
void ike_sa_free(struct ike_sa *sa);
const uint8_t *ike_sa_our_spi(const struct ike_sa *sa);
const uint8_t *ike_sa_peer_spi(const struct ike_sa *sa);
const char *ike_state_name(enum ike_state s);
const char *ike_child_state_name(enum child_state s);
int ike_sa_derive_keys(struct ike_sa *sa, const uint8_t *gir, size_t gir_len);
void ike_sa_established_now(struct ike_sa *sa, bool rekey);
void ike_sa_arm_lifetimes(struct ike_sa *sa);
void ike_sa_touch(struct ike_sa *sa);

/* Tasks and requests. */
int ike_task_add(struct ike_sa *sa, enum xk kind, uint32_t child_spi, uint64_t not_before);
bool ike_task_pending(const struct ike_sa *sa, enum xk kind, uint32_t child_spi);
void ike_tasks_run(struct ike_sa *sa);
struct ike_xchg *ike_xchg_new(enum xk kind);
void ike_xchg_free(struct ike_xchg *x);
bool ike_xchg_outstanding(const struct ike_sa *sa, enum xk kind);
struct ike_xchg *ike_xchg_find(const struct ike_sa *sa, enum xk kind, uint32_t child_spi);
/* Encrypt the inner chain as a request of `exchange`, send it and keep it
 * for retransmission. Takes ownership of x (freed on error). */
int ike_send_request(struct ike_sa *sa, struct ike_xchg *x, uint8_t exchange,
		     struct ikm_builder *inner);
/* IKE_SA_INIT request: unencrypted, x->pkt already built. */
int ike_send_init_request(struct ike_sa *sa, struct ike_xchg *x);
/* Encrypted response to req; cached unless nocache. */
int ike_send_response(struct ike_sa *sa, const struct ikm_msg *req,
		      struct ikm_builder *inner, bool nocache);
/* Unencrypted one-notify response (IKE_SA_INIT errors), stateless. */
void ike_send_plain_notify(struct ike_engine *e, const struct ikm_msg *req,
			   const struct sockaddr_storage *local,
			   const struct sockaddr_storage *remote, bool natt,
			   uint16_t type, const void *data, size_t len);
void ike_raw_send(struct ike_sa *sa, const uint8_t *pkt, size_t len);
void ike_xchg_done(struct ike_sa *sa, struct ike_xchg *x);  /* frees slot */

/* Dataplane. */
int ike_child_install(struct ike_sa *sa, struct ike_child *c);
void ike_child_remove(struct ike_child *c, const char *reason);  /* unlink+free */
struct ike_child *ike_child_by_in(const struct ike_sa *sa, uint32_t spi_in);
struct ike_child *ike_child_by_out(const struct ike_sa *sa, uint32_t spi_out);
void ike_child_timers_init(struct ike_child *c);
void ike_child_arm(struct ike_child *c);
/* An installed Child SA joins its IKE SA: indexed by inbound SPI, timers
 * armed, keys logged (when the key log is on). */
void ike_child_link(struct ike_sa *sa, struct ike_child *c);
/* A Child SA back in service after its replacement went away: rekey it
 * soon if its rekey time passed meanwhile. */
void ike_child_rekey_resume(struct ike_child *c);
void ike_children_move(struct ike_sa *from, struct ike_sa *to);
void ike_keylog_child(struct ike_sa *sa, const struct ike_child *c);

/* ---- exchanges ---- */
/* ike_init.c */
int ike_init_start(struct ike_sa *sa);
unsigned ike_init_tries(const struct ike_sa *sa); /* retransmissions of the outstanding IKE_SA_INIT */
void ike_init_on_request(struct ike_engine *e, struct ikm_msg *m,
			 const struct sockaddr_storage *local,
			 const struct sockaddr_storage *remote, bool natt,
			 const uint8_t *pkt, size_t len);
void ike_init_on_response(struct ike_sa *sa, struct ikm_msg *m,
			  const struct sockaddr_storage *local,
			  const struct sockaddr_storage *remote, bool natt);
int ike_natd_hash(const uint8_t spi_i[8], const uint8_t spi_r[8],
		  const struct sockaddr_storage *addr, uint8_t out[20]);
void ike_cookie_rotate(struct ike_engine *e);
/* ike_auth.c */
int ike_auth_start(struct ike_sa *sa);
void ike_auth_on_request(struct ike_sa *sa, struct ikm_msg *m);
void ike_auth_on_response(struct ike_sa *sa, struct ike_xchg *x, struct ikm_msg *m);
/* ike_child.c */
int ike_child_start(struct ike_sa *sa, enum xk kind, uint32_t child_spi);
void ike_ccsa_on_request(struct ike_sa *sa, struct ikm_msg *m);
void ike_ccsa_on_response(struct ike_sa *sa, struct ike_xchg *x, struct ikm_msg *m);
int ike_child_from_exchange(struct ike_sa *sa, struct ike_child *c,
			    const struct prop_result *pr, bool initiator,
			    const uint8_t *gir, size_t gir_len,
			    const uint8_t *ni, size_t ni_len,
			    const uint8_t *nr, size_t nr_len);
int ike_nonce_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);
/* ike_info.c */
int ike_info_start(struct ike_sa *sa, enum xk kind, uint32_t child_spi);
/* The peer's answer created a Child SA (its outbound SPI: our proposed
 * inbound spi_in) that we refused: queue its Delete (XK_CHILD_UNWANTED). */
void ike_child_unwanted(struct ike_sa *sa, uint32_t spi_in);
void ike_info_on_request(struct ike_sa *sa, struct ikm_msg *m);
void ike_info_on_response(struct ike_sa *sa, struct ike_xchg *x, struct ikm_msg *m);
/* The exchange failed for good (no answer / fatal error). */
void ike_xchg_failed(struct ike_sa *sa, struct ike_xchg *x, const char *why);

#define SA_LOG(sa, lvl, ...) ike_sa_log((sa), (lvl), __VA_ARGS__)

#endif
