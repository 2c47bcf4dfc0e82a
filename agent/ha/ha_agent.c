/* ha_agent.c — RFC 6311 inside ipsecha-agent (struct agent_ext,
 * agent/daemon/agent.h): the engine hooks, state snapshots (`state-save`,
 * --restore), the takeover command, status counters and per-SA sync state.
 *
 *   ipsecha-agent ... [--restore FILE] [--state-key FILE] [--takeover]
 *                     [--failover-epoch N] [--no-rekey-unsynced]
 *
 * Control commands (JSON over the control socket, see docs/rfc6311.md):
 *   {"cmd":"state-save","file":PATH}
 *   {"cmd":"takeover","ike":ID | "all":true [,"new_epoch":true]}
 *   {"cmd":"takeover-status"} */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <openssl/crypto.h>

#include "agent.h"
#include "ha.h"
#include "ha_snap.h"

#define DEFAULT_KEY "/var/lib/ipsecha/state.key"

static struct {
	const char *restore;
	const char *key;
	bool takeover;
	uint64_t epoch;
	bool no_rekey_unsynced;
} opt = { .key = DEFAULT_KEY };

/* One agent per process. The extension's context (agent_ext) is also the
 * engine hooks' context (ike_env.ext_ctx): the struct ha itself. */
struct hag {
	struct ha *h;
	struct agent *a;
};
static struct hag G;

static void jerr(struct json_object *resp, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void jerr(struct json_object *resp, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	json_object_object_add(resp, "error", json_object_new_string(buf));
}

static uint64_t env_now(void *ctx)
{
	(void)ctx;
	return agent_now();
}

static int option(const char *name, const char *value)
{
	if (!strcmp(name, "restore") || !strcmp(name, "state-key") ||
	    !strcmp(name, "failover-epoch")) {
		if (!value)
			return -EINVAL;
		if (!strcmp(name, "restore")) {
			opt.restore = value;
		} else if (!strcmp(name, "state-key")) {
			opt.key = value;
		} else {
			char *end;

			opt.epoch = strtoull(value, &end, 0);
			if (*end || !*value || !opt.epoch)
				return -EINVAL;
		}
		return 1;
	}
	if (!strcmp(name, "takeover")) {
		opt.takeover = true;
		return 0;
	}
	if (!strcmp(name, "no-rekey-unsynced")) {
		opt.no_rekey_unsynced = true;
		return 0;
	}
	return -ENOENT;
}

static int init(struct agent *a, const struct ike_ext_ops **ops, void **ctx)
{
	struct hag *g = &G;
	struct ha_env env = {
		.now = env_now, .dp = a->dp, .no_rekey_unsynced = opt.no_rekey_unsynced,
		.rng = a->deterministic ? &a->det_rng.rng : NULL,
	};
	int err;

	err = ha_new(&env, &g->h);
	if (err)
		return err;
	g->a = a;
	*ops = &ha_ext_ops;
	*ctx = g->h;
	return 0;
}

/* --restore: every IKE SA of the snapshot comes back held (group on the
 * card and in XDP, our requests and the peer's) until its takeover. */
static int restore(struct hag *g, struct agent *a)
{
	uint8_t key[HS_KEY_LEN];
	struct hs_file_info info;
	struct hs_ike *recs = NULL;
	size_t n = 0, ok = 0;
	uint64_t epoch = 0;
	int err = hs_key_load(opt.key, false, key);

	if (err) {
		fprintf(stderr, "ipsecha-agent: --state-key %s: %s\n", opt.key, hs_strerror(err));
		return err;
	}
	err = hs_file_read(opt.restore, key, &info, &recs, &n);
	OPENSSL_cleanse(key, sizeof(key));
	if (err) {
		fprintf(stderr, "ipsecha-agent: --restore %s: %s\n", opt.restore, hs_strerror(err));
		return err;
	}
	for (size_t i = 0; i < n; i++) {
		struct hs_ike *r = &recs[i];
		struct ha_restored hr = {
			.snap_epoch = r->snap_epoch, .snap_wall_ms = r->snap_wall_ms,
			.have_last_m1 = r->have_last_m1, .last_m1 = r->last_m1,
			.offered = r->offered, .peer_offered = r->peer_offered, .held = true,
		};
		uint32_t id = 0;

		err = ike_sa_import(a->e, &r->ike, true, &id);
		if (!err)
			err = ha_mark_restored(g->h, id, &hr);
		if (err) {
			agent_log(a, IKE_LOG_ERROR, "restore: IKE SA %016llx_i (conn %s) not "
				  "restored: %s", (unsigned long long)get_be64(r->ike.spi_i),
				  r->ike.conn, strerror(-err));
			continue;
		}
		if (r->snap_epoch > epoch)
			epoch = r->snap_epoch;
		ok++;
		agent_log(a, IKE_LOG_INFO, "restore: IKE SA [%u] %s (%016llx_i %016llx_r, "
			  "%u Child SA(s), next request %u, expecting %u) held until its takeover",
			  id, r->ike.conn, (unsigned long long)get_be64(r->ike.spi_i),
			  (unsigned long long)get_be64(r->ike.spi_r), r->ike.n_children,
			  r->ike.mid_send, r->ike.mid_recv);
	}
	hs_free_records(recs, n);
	/* A new failover event: past the snapshot's epoch (or as told). */
	if (opt.epoch > ha_epoch(g->h))
		ha_set_epoch(g->h, opt.epoch);
	else if (epoch + 1 > ha_epoch(g->h))
		ha_set_epoch(g->h, epoch + 1);
	agent_log(a, IKE_LOG_INFO, "restore: %zu of %zu IKE SA(s) from %s (saved in failover "
		  "epoch %llu); now in failover epoch %llu", ok, n, opt.restore,
		  (unsigned long long)info.epoch, (unsigned long long)ha_epoch(g->h));
	return ok == n ? 0 : (ok ? 0 : -EIO);
}

static int start(void *ctx, struct agent *a)
{
	struct hag *g = &G;

	(void)ctx;
	int err;

	ha_attach(g->h, a->e);
	ha_set_dp(g->h, &a->dp);
	if (opt.epoch && !opt.restore)
		ha_set_epoch(g->h, opt.epoch);
	if (!opt.restore)
		return 0;
	err = restore(g, a);
	if (err)
		return err;
	if (opt.takeover) {
		unsigned started = 0, failed = 0;

		ha_takeover_all(g->h, &started, &failed);
		agent_log(a, IKE_LOG_INFO, "takeover of %u IKE SA(s) started (%u failed)", started,
			  failed);
	}
	return 0;
}

/* ---- snapshots ---- */

struct collect {
	struct hag *g;
	struct hs_ike *recs;
	size_t n, cap, skipped;
	uint32_t *ids;
	const char *conn;        /* only IKE SAs of this connection (NULL: all) */
};

static void collect_id(void *arg, const struct ike_sa_info *sa, const struct ike_child_info *c,
		       unsigned n)
{
	struct collect *cl = arg;

	(void)c;
	(void)n;
	if (cl->conn && strcmp(cl->conn, sa->conn))
		return;
	if (cl->n == cl->cap) {
		size_t cap = cl->cap ? 2 * cl->cap : 64;
		uint32_t *t = realloc(cl->ids, cap * sizeof(*t));

		if (!t)
			return;
		cl->ids = t;
		cl->cap = cap;
	}
	cl->ids[cl->n++] = sa->id;
}

static int state_save(struct hag *g, struct agent *a, const char *file,
		      struct json_object *resp)
{
	struct collect cl = { .g = g };
	struct hs_ike *recs;
	size_t n = 0, skipped = 0;
	uint8_t key[HS_KEY_LEN];
	uint64_t wall = 0;
	int err = hs_key_load(opt.key, true, key);

	if (err) {
		jerr(resp, "state key %s: %s", opt.key, hs_strerror(err));
		return err;
	}
	ike_foreach_sa(a->e, collect_id, &cl);
	recs = calloc(cl.n ? cl.n : 1, sizeof(*recs));
	if (!recs) {
		free(cl.ids);
		OPENSSL_cleanse(key, sizeof(key));
		return -ENOMEM;
	}
	for (size_t i = 0; i < cl.n; i++) {
		struct ike_sa *sa = ike_sa_by_id(a->e, cl.ids[i]);
		struct ha_restored hr;
		struct hs_ike *r = &recs[n];

		if (!sa || ike_sa_export(sa, &r->ike) || ha_export(g->h, cl.ids[i], &hr)) {
			skipped++;   /* not established (half-open, rekeyed, deleting) */
			continue;
		}
		r->offered = hr.offered;
		r->peer_offered = hr.peer_offered;
		r->snap_epoch = hr.snap_epoch;
		r->snap_wall_ms = hr.snap_wall_ms;
		r->have_last_m1 = hr.have_last_m1;
		r->last_m1 = hr.last_m1;
		wall = hr.snap_wall_ms;
		n++;
	}
	if (!wall) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		wall = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	}
	err = hs_file_write(file, key, ha_epoch(g->h), wall, recs, n);
	OPENSSL_cleanse(key, sizeof(key));
	hs_free_records(recs, cl.n);
	free(cl.ids);
	if (err) {
		jerr(resp, "cannot write %s: %s", file, hs_strerror(err));
		return err;
	}
	agent_log(a, IKE_LOG_INFO, "state saved to %s: %zu IKE SA(s) (%zu skipped), failover "
		  "epoch %llu", file, n, skipped, (unsigned long long)ha_epoch(g->h));
	json_object_object_add(resp, "file", json_object_new_string(file));
	json_object_object_add(resp, "records", json_object_new_int64((int64_t)n));
	json_object_object_add(resp, "skipped", json_object_new_int64((int64_t)skipped));
	json_object_object_add(resp, "epoch", json_object_new_uint64(ha_epoch(g->h)));
	return 0;
}

/* ---- control ---- */

static bool jint(struct json_object *req, const char *k, int64_t *out)
{
	struct json_object *v;

	if (!json_object_object_get_ex(req, k, &v) || !json_object_is_type(v, json_type_int))
		return false;
	*out = json_object_get_int64(v);
	return true;
}

static bool jbool(struct json_object *req, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(req, k, &v) && json_object_get_boolean(v);
}

static const char *takeover_err(int err)
{
	switch (err) {
	case -ENOENT: return "no such IKE SA";
	case -ENOTCONN: return "the IKE SA is not established";
	case -EALREADY: return "already taken over in this failover epoch (use --new-epoch for "
			       "a new failover event)";
	case -EINPROGRESS: return "a takeover of this IKE SA is running";
	default: return strerror(-err);
	}
}

static int control(void *ctx, struct agent *a, const char *cmd, struct json_object *req,
		   struct json_object *resp)
{
	struct hag *g = &G;

	(void)ctx;
	int64_t v;
	int err;

	ha_run_timers(g->h);
	if (!strcmp(cmd, "state-save")) {
		struct json_object *f;

		if (!json_object_object_get_ex(req, "file", &f) ||
		    !json_object_is_type(f, json_type_string)) {
			json_object_object_add(resp, "error", json_object_new_string("need \"file\""));
			return -EINVAL;
		}
		return state_save(g, a, json_object_get_string(f), resp);
	}
	if (!strcmp(cmd, "takeover")) {
		unsigned started = 0, failed = 0;

		if (jint(req, "epoch", &v)) {
			if (v <= 0 || (uint64_t)v <= ha_epoch(g->h)) {
				jerr(resp, "epoch must be above the current %llu",
					(unsigned long long)ha_epoch(g->h));
				return -EINVAL;
			}
			ha_set_epoch(g->h, (uint64_t)v);
		} else if (jbool(req, "new_epoch")) {
			ha_set_epoch(g->h, ha_epoch(g->h) + 1);
		}
		if (jint(req, "ike", &v)) {
			err = v > 0 && v <= UINT32_MAX ? ha_takeover(g->h, (uint32_t)v) : -ENOENT;
			if (err) {
				jerr(resp, "takeover of IKE SA %lld: %s", (long long)v, takeover_err(err));
				return err;
			}
			started = 1;
		} else if (jbool(req, "all")) {
			ha_takeover_all(g->h, &started, &failed);
		} else {
			json_object_object_add(resp, "error", json_object_new_string(
				"need \"ike\" or \"all\""));
			return -EINVAL;
		}
		json_object_object_add(resp, "epoch", json_object_new_uint64(ha_epoch(g->h)));
		json_object_object_add(resp, "started", json_object_new_int64(started));
		json_object_object_add(resp, "failed", json_object_new_int64(failed));
		json_object_object_add(resp, "running", json_object_new_int64(
			ha_takeovers_running(g->h)));
		return 0;
	}
	if (!strcmp(cmd, "takeover-status")) {
		const struct ha_stats *s = ha_stats(g->h);
		uint64_t ms;

		json_object_object_add(resp, "epoch", json_object_new_uint64(ha_epoch(g->h)));
		json_object_object_add(resp, "running", json_object_new_int64(
			ha_takeovers_running(g->h)));
		json_object_object_add(resp, "done", json_object_new_uint64(s->takeovers_done));
		json_object_object_add(resp, "failed", json_object_new_uint64(s->takeovers_failed));
		if (ha_takeover_all_ms(g->h, &ms))
			json_object_object_add(resp, "all_ms", json_object_new_uint64(ms));
		return 0;
	}
	if (!strcmp(cmd, "sync-stream")) {
		/* The benchmark's cluster-side driver: count valid sync
		 * exchanges one after the other on one or every IKE SA. */
		unsigned n = 0, bad = 0;
		struct collect cl = { .g = g };

		if (jbool(req, "stop")) {
			ha_stream_stop(g->h);
			return 0;
		}

		if (!jint(req, "count", &v) || v <= 0 || v > 1000000) {
			jerr(resp, "need \"count\" (1..1000000)");
			return -EINVAL;
		}
		struct json_object *cv;

		if (json_object_object_get_ex(req, "conn", &cv) &&
		    json_object_is_type(cv, json_type_string)) {
			cl.conn = json_object_get_string(cv);
			ike_foreach_sa(a->e, collect_id, &cl);
		} else if (jbool(req, "all")) {
			ike_foreach_sa(a->e, collect_id, &cl);
		} else {
			int64_t id;

			if (!jint(req, "ike", &id) || id <= 0 || id > UINT32_MAX) {
				jerr(resp, "need \"ike\", \"conn\" or \"all\"");
				return -EINVAL;
			}
			cl.ids = malloc(sizeof(*cl.ids));
			if (cl.ids)
				cl.ids[cl.n++] = (uint32_t)id;
		}
		{
			int64_t w = 0;

			if (jint(req, "window", &w) && (w < 0 || w > 1000000)) {
				free(cl.ids);
				jerr(resp, "\"window\": 0..1000000");
				return -EINVAL;
			}
			ha_stream_window(g->h, (unsigned)w);
		}
		for (size_t i = 0; i < cl.n; i++) {
			if (ha_stream(g->h, cl.ids[i], (unsigned)v))
				bad++;
			else
				n++;
		}
		free(cl.ids);
		json_object_object_add(resp, "started", json_object_new_int64(n));
		json_object_object_add(resp, "refused", json_object_new_int64(bad));
		return n ? 0 : -ENOTCONN;
	}
	if (!strcmp(cmd, "sync-stream-status")) {
		unsigned running;
		uint64_t answered, failed, ms;

		ha_stream_stats(g->h, &running, &answered, &failed, &ms);
		json_object_object_add(resp, "running", json_object_new_int64(running));
		json_object_object_add(resp, "answered", json_object_new_uint64(answered));
		json_object_object_add(resp, "failed", json_object_new_uint64(failed));
		json_object_object_add(resp, "ms", json_object_new_uint64(ms));
		/* the agent's clock now: rates over an interval of samples */
		json_object_object_add(resp, "now_ms", json_object_new_uint64(agent_now()));
		return 0;
	}
	if (!strcmp(cmd, "child-create")) {
		/* One more Child SA (CREATE_CHILD_SA) on one or every IKE SA. */
		struct collect cl = { .g = g };
		unsigned n = 0;

		if (jbool(req, "all")) {
			ike_foreach_sa(a->e, collect_id, &cl);
		} else if (jint(req, "ike", &v) && v > 0 && v <= UINT32_MAX) {
			cl.ids = malloc(sizeof(*cl.ids));
			if (cl.ids)
				cl.ids[cl.n++] = (uint32_t)v;
		} else {
			jerr(resp, "need \"ike\" or \"all\"");
			return -EINVAL;
		}
		for (size_t i = 0; i < cl.n; i++)
			n += ike_create_child(a->e, cl.ids[i]) == 0;
		free(cl.ids);
		json_object_object_add(resp, "started", json_object_new_int64(n));
		return n ? 0 : -ENOENT;
	}
	return -ENOENT;
}

/* ---- status and sa list ---- */

static struct json_object *by_rule(const uint64_t *v)
{
	struct json_object *o = json_object_new_object();

	for (int r = 1; r < HAR_RULE_MAX; r++)
		if (v[r])
			json_object_object_add(o, har_rule_name((enum har_rule)r),
					       json_object_new_uint64(v[r]));
	return o;
}

static struct json_object *by_shape(const uint64_t *v)
{
	struct json_object *o = json_object_new_object();

	for (int w = 1; w < 16; w++)
		if (v[w])
			json_object_object_add(o, haw_why_str((enum haw_why)w),
					       json_object_new_uint64(v[w]));
	return o;
}

static void status(void *ctx, struct agent *a, struct json_object *st)
{
	struct hag *g = &G;

	(void)ctx;
	const struct ha_stats *s = ha_stats(g->h);
	struct json_object *o = json_object_new_object(), *c = json_object_new_object(),
			   *p = json_object_new_object();

	(void)a;
	ha_run_timers(g->h);
#define U(obj, name, v) json_object_object_add(obj, name, json_object_new_uint64(v))
	U(o, "epoch", ha_epoch(g->h));
	U(o, "takeovers_running", ha_takeovers_running(g->h));
	U(c, "takeovers", s->takeovers);
	U(c, "takeovers_done", s->takeovers_done);
	U(c, "takeovers_failed", s->takeovers_failed);
	U(c, "sync_sent", s->sync_sent);
	U(c, "sync_timeouts", s->sync_timeouts);
	U(c, "responses_valid", s->resp_valid);
	json_object_object_add(c, "responses_dropped", by_rule(s->resp_dropped));
	json_object_object_add(c, "responses_not_sync", by_shape(s->resp_not_sync));
	U(c, "jumps", s->jumps);
	U(c, "jump_overflow", s->jump_overflow);
	U(c, "rx_advances", s->rx_advances);
	U(c, "releases", s->releases);
	U(c, "replay_only_sent", s->rc_only_sent);
	U(c, "peers_without_support", s->no_support);
	U(c, "wal_written", s->wal_written);
	U(c, "wal_failed", s->wal_failed);
	U(c, "child_rekeys", s->rekeys_children);
	U(c, "ike_rekeys", s->rekeys_ike);
	U(p, "sync_answered", s->req_answered);
	U(p, "sync_resent", s->req_resent);
	json_object_object_add(p, "sync_dropped", by_rule(s->req_dropped));
	json_object_object_add(p, "not_sync", by_shape(s->req_not_sync));
	U(p, "deltas_applied", s->deltas_applied);
	json_object_object_add(p, "deltas_refused", by_rule(s->deltas_refused));
	U(o, "dp_errors", s->dp_errors);
#undef U
	json_object_object_add(o, "cluster", c);
	json_object_object_add(o, "peer", p);
	json_object_object_add(st, "rfc6311", o);
}

static struct json_object *caps_array(uint32_t caps)
{
	struct json_object *arr = json_object_new_array();

	if (caps & IKE_CAP_MID_SYNC)
		json_object_array_add(arr, json_object_new_string("mid_sync"));
	if (caps & IKE_CAP_REPLAY_SYNC)
		json_object_array_add(arr, json_object_new_string("replay_sync"));
	return arr;
}

static void sa_json(void *ctx, struct agent *a, uint32_t ike_id, struct json_object *o)
{
	struct hag *g = &G;

	(void)ctx;
	struct ha_sa_info i;
	struct json_object *s;
	char nonce[9], sum[256];

	(void)a;
	if (ha_sa_info(g->h, ike_id, &i))
		return;
	s = json_object_new_object();
	snprintf(nonce, sizeof(nonce), "%02x%02x%02x%02x", i.nonce[0], i.nonce[1], i.nonce[2],
		 i.nonce[3]);
	json_object_object_add(s, "state", json_object_new_string(ha_sync_state_str(i.state)));
	json_object_object_add(s, "offered", caps_array(i.offered));
	json_object_object_add(s, "peer_offered", caps_array(i.peer_offered));
	if (i.state != HA_SYNC_NONE) {
		json_object_object_add(s, "epoch", json_object_new_uint64(i.epoch));
		json_object_object_add(s, "case", json_object_new_int(i.kase));
		json_object_object_add(s, "m1", json_object_new_int64(i.m1));
		json_object_object_add(s, "p1", json_object_new_int64(i.p1));
		json_object_object_add(s, "m2", json_object_new_int64(i.m2));
		json_object_object_add(s, "p2", json_object_new_int64(i.p2));
		json_object_object_add(s, "nonce", json_object_new_string(nonce));
		json_object_object_add(s, "jump", json_object_new_uint64(i.jump));
		json_object_object_add(s, "delta", json_object_new_uint64(i.delta));
		json_object_object_add(s, "ms", json_object_new_uint64(i.ms));
		json_object_object_add(s, "responses_dropped", json_object_new_int64(i.dropped));
		if (i.last_drop)
			json_object_object_add(s, "last_drop",
					       json_object_new_string(har_rule_name(i.last_drop)));
	}
	json_object_object_add(s, "answered", json_object_new_uint64(i.answered));
	if (i.have_m1)
		json_object_object_add(s, "last_m1", json_object_new_int64(i.last_m1));
	json_object_object_add(s, "delta_applied", json_object_new_uint64(i.delta_applied));
	json_object_object_add(s, "card_epoch", json_object_new_uint64(i.card_epoch));
	json_object_object_add(o, "sync", s);
	/* One line for the human `sa list`. */
	if (i.state == HA_SYNC_DONE || i.state == HA_SYNC_PENDING || i.state == HA_SYNC_FAILED ||
	    i.state == HA_SYNC_REKEYING)
		snprintf(sum, sizeof(sum), "sync %s (epoch %llu, case %d): M1 %u P1 %u -> M2 %u P2 %u, "
			 "jump %llu, delta %llu, %llu ms", ha_sync_state_str(i.state),
			 (unsigned long long)i.epoch, i.kase, i.m1, i.p1, i.m2, i.p2,
			 (unsigned long long)i.jump, (unsigned long long)i.delta,
			 (unsigned long long)i.ms);
	else if (i.state == HA_SYNC_HELD)
		snprintf(sum, sizeof(sum), "sync held: restored, waiting for its takeover");
	else if (i.answered)
		snprintf(sum, sizeof(sum), "sync: answered %llu request(s) as peer, last M1 %u, "
			 "replay delta applied %llu", (unsigned long long)i.answered, i.last_m1,
			 (unsigned long long)i.delta_applied);
	else
		snprintf(sum, sizeof(sum), "sync: none");
	json_object_object_add(o, "sync_summary", json_object_new_string(sum));
}

static void event(void *ctx, struct agent *a, const struct ike_event *ev)
{
	struct hag *g = &G;

	(void)ctx;

	(void)a;
	(void)ev;
	ha_run_timers(g->h);
}

static uint64_t next_timer(void *ctx)
{
	(void)ctx;
	return ha_next_timer(G.h);
}

static void run_timers(void *ctx, struct agent *a)
{
	(void)ctx;
	(void)a;
	ha_run_timers(G.h);
}

static const struct agent_ext ext = {
	.name = "RFC 6311",
	.option = option,
	.usage = "  --restore FILE          start from a state snapshot; every IKE SA held until\n"
		 "                          its takeover (ipsecha takeover)\n"
		 "  --state-key FILE        cluster key of the snapshots (default " DEFAULT_KEY ")\n"
		 "  --takeover              run the takeover of every restored IKE SA at once\n"
		 "  --failover-epoch N      the failover epoch to start in\n"
		 "  --no-rekey-unsynced     keep Child SAs whose inbound window could not be synced\n",
	.init = init,
	.start = start,
	.control = control,
	.status = status,
	.sa_json = sa_json,
	.event = event,
	.next_timer = next_timer,
	.run_timers = run_timers,
};

const struct agent_ext *agent_ext_get(void)
{
	return &ext;
}
