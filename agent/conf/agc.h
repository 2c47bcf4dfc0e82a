/* agc.h — ipsecha-agent configuration: an INI file read with libinih,
 * validated completely before anything starts (docs/agent-config.md).
 *
 *   [global]              card, interfaces, control socket, key log, logging
 *   [conn NAME]           one per connection (peer), any number
 *
 * agc_load_file() either returns a fully validated configuration or fails
 * with a "FILE:LINE: message" error and no configuration: the agent must
 * then start nothing. The returned tree is immutable and owned by the
 * caller; agc_free() wipes the PSKs. Addresses are stored as sockaddr
 * (port filled in), identities in their IKEv2 ID payload form (RFC 7296
 * §3.5), proposals in SA-payload form (ikc_alg.h), traffic selectors in TS
 * form (RFC 7296 §3.13.1).
 *
 * Thread-safety: loading sets libinih's process-wide options; do not load
 * two files concurrently. A loaded tree is read-only and may be shared. */
#ifndef IPSECHA_AGC_H
#define IPSECHA_AGC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ikc_alg.h"

#define AGC_NAME_MAX     64
#define AGC_PATH_MAX     256
#define AGC_ID_MAX       255
#define AGC_PSK_MAX      256
#define AGC_MAX_PROPOSALS 8
#define AGC_MAX_TS       8
#define AGC_MAX_IFACES   8
#define AGC_IFNAME_MAX   16   /* IFNAMSIZ */

enum agc_log_level { AGC_LOG_ERROR, AGC_LOG_WARN, AGC_LOG_INFO, AGC_LOG_DEBUG };

/* XDP attach mode for [global] interfaces. */
enum agc_xdp_mode { AGC_XDP_NATIVE, AGC_XDP_GENERIC };

struct agc_global {
	char card_uri[AGC_PATH_MAX];       /* "" = embedded simulated card;
	                                    * else "sim:SOCKET" / "vfio:BDF" */
	size_t n_ifaces;
	char ifaces[AGC_MAX_IFACES][AGC_IFNAME_MAX]; /* XDP interfaces */
	enum agc_xdp_mode xdp_mode;
	char control_socket[AGC_PATH_MAX]; /* default /run/ipsecha/agent.sock */
	char keylog[AGC_PATH_MAX];         /* "" = key log off (the default) */
	enum agc_log_level log_level;      /* default info */
	uint16_t ike_port;                 /* default 500 */
	uint16_t natt_port;                /* default 4500 */
	uint32_t cookie_threshold;         /* half-open SAs before COOKIE; 0 off */
	uint32_t retransmit_timeout_ms;    /* first retransmission, default 2000 */
	uint32_t retransmit_tries;         /* default 5 */
	double retransmit_base;            /* back-off factor, default 1.8 */
};

/* RFC 7296 §3.5 ID Type values. */
enum agc_id_type {
	AGC_ID_IPV4_ADDR   = 1,
	AGC_ID_FQDN        = 2,
	AGC_ID_RFC822_ADDR = 3,
	AGC_ID_IPV6_ADDR   = 5,
};

struct agc_id {
	uint8_t type;                      /* enum agc_id_type; 0 = unset */
	uint8_t len;
	uint8_t data[AGC_ID_MAX];          /* as carried in the ID payload */
};

/* One traffic selector (RFC 7296 §3.13.1). */
struct agc_ts {
	uint8_t type;                      /* 7 = TS_IPV4_ADDR_RANGE,
	                                    * 8 = TS_IPV6_ADDR_RANGE */
	uint8_t ip_proto;                  /* 0 = any */
	uint16_t start_port, end_port;     /* 0..65535 = any */
	uint8_t start[16], end[16];        /* 4 or 16 octets used */
};

enum agc_esn { AGC_ESN_NO, AGC_ESN_YES, AGC_ESN_BOTH };

/* RFC 6311 options (issue 7). Parsed and stored here. */
struct agc_ha {
	bool mid_sync;                     /* offer IKEV2_MESSAGE_ID_SYNC_SUPPORTED */
	bool replay_sync;                  /* offer IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED */
	uint64_t replay_rate;              /* expected max packets/s per Child SA
	                                    * direction (delta sizing) */
	uint32_t replay_interval_ms;       /* counter replication interval */
	uint32_t mid_margin;               /* extra Message IDs added to M1 */
};

struct agc_conn {
	char name[AGC_NAME_MAX];
	unsigned line;                     /* where [conn NAME] starts */
	struct sockaddr_storage local;     /* address (any = unspecified) + port */
	struct sockaddr_storage remote;    /* address (any = accept from anyone,
	                                    * responder only) + port */
	bool remote_any;
	struct agc_id local_id, remote_id; /* default: the addresses as IDs */
	uint8_t psk[AGC_PSK_MAX];
	size_t psk_len;
	size_t n_ike;                      /* >= 1 */
	struct ikc_proposal ike[AGC_MAX_PROPOSALS];
	size_t n_esp;                      /* >= 1 */
	struct ikc_proposal esp[AGC_MAX_PROPOSALS];
	size_t n_local_ts, n_remote_ts;    /* >= 1 each */
	struct agc_ts local_ts[AGC_MAX_TS];
	struct agc_ts remote_ts[AGC_MAX_TS];
	enum agc_esn esn;                  /* applied to ESP proposals that
	                                    * name no esn/noesn keyword */
	uint32_t ike_lifetime_s;           /* hard: IKE SA deleted */
	uint32_t ike_rekey_s;              /* soft: IKE rekey; < lifetime */
	uint32_t child_lifetime_s;
	uint32_t child_rekey_s;
	uint64_t child_life_packets;       /* 0 = unlimited */
	uint32_t dpd_interval_s;           /* 0 = off */
	uint32_t dpd_timeout_s;            /* give up after this long */
	bool auto_start;                   /* initiate at start-up */
	bool encap;                        /* force UDP encapsulation (4500) */
	bool initial_contact;              /* send INITIAL_CONTACT, default yes */
	struct agc_ha ha;
};

struct agc_config {
	char source[AGC_PATH_MAX];         /* file name as given */
	struct agc_global global;
	size_t n_conns;
	struct agc_conn *conns;            /* n_conns entries */
};

/* The error of a failed load: "FILE:LINE: message" in text; line 0 when the
 * error is not tied to a line (file missing, connection incomplete at EOF). */
struct agc_error {
	unsigned line;
	char text[320];
};

/* Load and validate. 0 and *out set, or -errno (-ENOENT, -EACCES: file;
 * -EINVAL: content) with err filled and *out NULL. */
int agc_load_file(const char *path, struct agc_config **out,
		  struct agc_error *err);

/* Same from a string; name is used in messages. */
int agc_load_string(const char *text, const char *name,
		    struct agc_config **out, struct agc_error *err);

/* Wipes PSKs and frees; NULL-safe. */
void agc_free(struct agc_config *cfg);

/* Connection by name, or NULL. */
const struct agc_conn *agc_find_conn(const struct agc_config *cfg,
				     const char *name);

/* Parse/format helpers, also used by the CLI and the tests. */
int agc_parse_id(const char *s, struct agc_id *out);     /* 0 / -EINVAL */
int agc_format_id(const struct agc_id *id, char *buf, size_t len);
int agc_parse_ts(const char *s, struct agc_ts *out);     /* "10.0.0.0/24",
	"10.0.0.1-10.0.0.9", "2001:db8::/64[udp/500]" */
int agc_format_ts(const struct agc_ts *ts, char *buf, size_t len);

/* Does a connection's identity match an ID payload body? */
bool agc_id_equal(const struct agc_id *a, const struct agc_id *b);

#endif
