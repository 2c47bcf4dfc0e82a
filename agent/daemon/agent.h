/* agent.h — ipsecha-agent, the daemon around the IKE engine: configuration,
 * sockets, the dataplane (card + XDP), the control socket and the event
 * loop. Extensions linked into the daemon (RFC 6311 in agent/ha/) plug in
 * through struct agent_ext, found with the weak symbol agent_ext_get(). */
#ifndef IPSECHA_AGENT_H
#define IPSECHA_AGENT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "agc.h"
#include "ike.h"

struct net;
struct ctl;
struct ipsecha;
struct ipsecha_xdp;
struct loadgen;

struct agent {
	const char *config_path;
	struct agc_config *cfg;
	struct ike_engine *e;
	struct ike_params params;
	enum ike_log_level log_level;
	bool log_level_forced;
	struct dp dp;                    /* ops NULL: IKE only (--no-card) */
	struct ipsecha *card;            /* borrowed from dp, or NULL */
	char card_uri[AGC_PATH_MAX];
	pid_t card_pid;                  /* embedded simulated card, or 0 */
	char card_sock[108];
	unsigned n_xdp;
	char xdp_ifaces[AGC_MAX_IFACES][AGC_IFNAME_MAX];
	struct net *net;
	struct ctl *ctl;
	char ctl_path[AGC_PATH_MAX];
	struct ikl *keylog;
	int epfd;
	bool stopping;
	uint64_t stop_at;
	uint64_t started;
	struct ikc_rng_det det_rng;      /* --deterministic (tests only) */
	bool deterministic;
	/* Pending control requests waiting for an SA. */
	struct agent_wait *waits;
	struct loadgen *load;
	/* Extension. */
	const struct agent_ext *ext;
	void *ext_ctx;
};

/* Extension interface. Every member is optional. */
struct agent_ext {
	const char *name;
	/* An option the core does not know, "--NAME [VALUE]" (value NULL when
	 * the next argument is missing or another option): 1 if VALUE was
	 * taken, 0 if the option takes none, -ENOENT if unknown (usage error),
	 * another -errno for a bad value. Called before anything starts. */
	int (*option)(const char *name, const char *value);
	/* Usage lines for those options. */
	const char *usage;
	/* Before the engine exists: give the engine hooks. */
	int (*init)(struct agent *a, const struct ike_ext_ops **ops, void **ctx);
	/* Engine, dataplane, sockets and control are up (e.g. --restore). */
	int (*start)(void *ctx, struct agent *a);
	/* A control command the core does not know: fill resp (the core adds
	 * "ok"), return 0, or -ENOENT if the command is unknown, or another
	 * -errno with "error" set in resp. */
	int (*control)(void *ctx, struct agent *a, const char *cmd, struct json_object *req,
		       struct json_object *resp);
	/* Add members to the status object / to each IKE SA of sa-list. */
	void (*status)(void *ctx, struct agent *a, struct json_object *st);
	void (*sa_json)(void *ctx, struct agent *a, uint32_t ike_id, struct json_object *o);
	/* Before the engine goes away. */
	void (*stop)(void *ctx, struct agent *a);
	/* An engine event (after the core's own handling). */
	void (*event)(void *ctx, struct agent *a, const struct ike_event *ev);
	/* Timers of the extension: when the next is due (agent_now()
	 * milliseconds, UINT64_MAX: none), and running the due ones. */
	uint64_t (*next_timer)(void *ctx);
	void (*run_timers)(void *ctx, struct agent *a);
};

/* Provided by an extension linked into the daemon; weak: absent = none. */
const struct agent_ext *agent_ext_get(void) __attribute__((weak));

/* Monotonic milliseconds. */
uint64_t agent_now(void);
/* Log through the agent's logger. */
void agent_log(struct agent *a, enum ike_log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- the embedded simulated card (cardsim.c) ---- */
/* Start ipsecha-card-sim on a private socket; *uri gets "sim:PATH". */
int cardsim_start(struct agent *a, char *uri, size_t len);
void cardsim_stop(struct agent *a);

/* ---- load initiator (loadgen.c) ---- */
struct loadgen_opts {
	const char *conn;
	unsigned count;
	unsigned concurrency;
	unsigned timeout_s;
	enum { LOAD_DELETE, LOAD_DROP } mode;
	bool json;
	bool ts_spread;              /* each Child SA its own UDP port selector */
};
int loadgen_start(struct agent *a, const struct loadgen_opts *o);
/* Engine event hook; returns true when the run is complete. */
void loadgen_event(struct agent *a, const struct ike_event *ev);
bool loadgen_done(const struct agent *a);
/* Print the result; returns the process exit status. */
int loadgen_finish(struct agent *a);

#endif
