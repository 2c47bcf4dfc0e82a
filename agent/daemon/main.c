/* main.c — ipsecha-agent: options, start-up, the event loop and the
 * control commands.
 *
 *   ipsecha-agent --config FILE [--log-level LEVEL] [--control PATH]
 *                 [--card URI | --no-card] [--deterministic SEED]
 *                 [--load-initiator CONN --count N --concurrency C
 *                  [--load-mode delete|drop] [--load-timeout S] [--json]]
 *
 * Runs in the foreground. Exit status: 0 after SIGTERM/SIGINT (IKE SAs are
 * deleted first, best effort), 1 when the configuration is invalid or a
 * resource cannot be set up (nothing is started then), 2 for a usage error.
 * SIGHUP or `ipsecha reload` reloads the configuration. */
#include "agent.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "ctl.h"
#include "dp_hw.h"
#include "ipsecha.h"
#include "ipsecha_xdp.h"
#include "net.h"
#include "ts.h"

#define AGENT_VERSION "1.0"

/* epoll tags: the low bits name the kind, the fd the rest. */
enum { TAG_NET = 1, TAG_CTL_LISTEN, TAG_CTL_CLIENT, TAG_SIGNAL };

struct agent_wait {
	struct agent_wait *next;
	uint64_t ctl_id;
	uint32_t ike_id;
	uint64_t deadline;
};

static struct agent A;
static int sig_fd = -1;

uint64_t agent_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static const char *const lvl_names[] = { "ERROR", "WARN", "INFO", "DEBUG" };

static void vlog(enum ike_log_level lvl, const char *fmt, va_list ap)
{
	struct timespec ts;
	struct tm tm;
	char tbuf[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(tbuf, sizeof(tbuf), "%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ld %-5s ", tbuf, ts.tv_nsec / 1000000, lvl_names[lvl]);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void agent_log(struct agent *a, enum ike_log_level lvl, const char *fmt, ...)
{
	va_list ap;

	if (lvl > a->log_level)
		return;
	va_start(ap, fmt);
	vlog(lvl, fmt, ap);
	va_end(ap);
}

/* ---- engine environment ---- */

static uint64_t env_now(void *ctx)
{
	(void)ctx;
	return agent_now();
}

static int env_send(void *ctx, const struct sockaddr_storage *src, const struct sockaddr_storage *dst,
		    bool natt, const uint8_t *pkt, size_t len)
{
	struct agent *a = ctx;

	return net_send(a->net, src, dst, natt, pkt, len);
}

static int env_keepalive(void *ctx, const struct sockaddr_storage *src,
			 const struct sockaddr_storage *dst)
{
	struct agent *a = ctx;

	return net_send_keepalive(a->net, src, dst);
}

static int env_route(void *ctx, const struct sockaddr_storage *dst, struct sockaddr_storage *src)
{
	(void)ctx;
	return net_route(dst, src);
}

static void env_log(void *ctx, enum ike_log_level lvl, const char *line)
{
	agent_log(ctx, lvl, "%s", line);
}

static void wait_answer(struct agent *a, struct agent_wait *w, bool up, const char *reason);

static void env_event(void *ctx, const struct ike_event *ev)
{
	struct agent *a = ctx;

	if (ev->type == IKE_EV_IKE_UP || ev->type == IKE_EV_IKE_FAILED) {
		for (struct agent_wait **pp = &a->waits; *pp;) {
			struct agent_wait *w = *pp;

			if (w->ike_id == ev->ike_id) {
				*pp = w->next;
				wait_answer(a, w, ev->type == IKE_EV_IKE_UP, ev->reason);
				free(w);
			} else {
				pp = &w->next;
			}
		}
	}
	if (a->load)
		loadgen_event(a, ev);
	if (a->ext && a->ext->event)
		a->ext->event(a->ext_ctx, a, ev);
}

/* ---- JSON views ---- */

static void addr_str(const struct sockaddr_storage *ss, char *buf, size_t len, bool port)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	uint16_t p = 0;

	if (ss->ss_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, ip, sizeof(ip));
		p = ntohs(((const struct sockaddr_in *)ss)->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, ip, sizeof(ip));
		p = ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	}
	if (port && ss->ss_family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", ip, p);
	else if (port)
		snprintf(buf, len, "%s:%u", ip, p);
	else
		snprintf(buf, len, "%s", ip);
}

static struct json_object *jstr(const char *s)
{
	return json_object_new_string(s);
}

static struct json_object *jhex(const uint8_t *p, size_t n)
{
	char buf[40];

	for (size_t i = 0; i < n && i < 16; i++)
		snprintf(buf + 2 * i, 3, "%02x", p[i]);
	return jstr(buf);
}

static struct json_object *jspi(uint32_t spi)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%08x", spi);
	return jstr(buf);
}

static struct json_object *jsecs(uint64_t ms)
{
	return ms == UINT64_MAX ? json_object_new_null() : json_object_new_int64((int64_t)(ms / 1000));
}

static struct json_object *ts_array(const struct ikm_ts *ts, unsigned n)
{
	struct json_object *arr = json_object_new_array();
	char buf[128];

	for (unsigned i = 0; i < n; i++) {
		ts_format(&ts[i], buf, sizeof(buf));
		json_object_array_add(arr, jstr(buf));
	}
	return arr;
}

struct list_ctx {
	struct agent *a;
	struct json_object *arr;
};

static void sa_to_json(void *arg, const struct ike_sa_info *sa, const struct ike_child_info *ch,
		       unsigned n)
{
	struct list_ctx *lc = arg;
	struct json_object *o = json_object_new_object(), *kids = json_object_new_array(), *caps;
	char buf[160];

	json_object_object_add(o, "id", json_object_new_int64(sa->id));
	json_object_object_add(o, "conn", jstr(sa->conn));
	json_object_object_add(o, "state", jstr(sa->state));
	json_object_object_add(o, "role", jstr(sa->initiator ? "initiator" : "responder"));
	json_object_object_add(o, "spi_i", jhex(sa->spi_i, 8));
	json_object_object_add(o, "spi_r", jhex(sa->spi_r, 8));
	addr_str(&sa->local, buf, sizeof(buf), true);
	json_object_object_add(o, "local", jstr(buf));
	addr_str(&sa->remote, buf, sizeof(buf), true);
	json_object_object_add(o, "remote", jstr(buf));
	agc_format_id(&sa->local_id, buf, sizeof(buf));
	json_object_object_add(o, "local_id", jstr(buf));
	agc_format_id(&sa->remote_id, buf, sizeof(buf));
	json_object_object_add(o, "remote_id", jstr(buf));
	json_object_object_add(o, "natt", json_object_new_boolean(sa->natt));
	json_object_object_add(o, "nat_local", json_object_new_boolean(sa->nat_local));
	json_object_object_add(o, "nat_remote", json_object_new_boolean(sa->nat_remote));
	buf[0] = 0;
	if (sa->suite.encr)
		ikc_suite_format(&sa->suite, IKC_PROTO_IKE, buf, sizeof(buf));
	json_object_object_add(o, "ike", jstr(buf));
	json_object_object_add(o, "encr", json_object_new_int(sa->suite.encr));
	json_object_object_add(o, "encr_keybits", json_object_new_int(sa->suite.encr_keybits));
	json_object_object_add(o, "integ", json_object_new_int(sa->suite.integ));
	json_object_object_add(o, "prf", json_object_new_int(sa->suite.prf));
	json_object_object_add(o, "dh", json_object_new_int(sa->suite.dh));
	json_object_object_add(o, "mid_send", json_object_new_int64(sa->mid_send));
	json_object_object_add(o, "mid_recv", json_object_new_int64(sa->mid_recv));
	json_object_object_add(o, "window", json_object_new_int64(sa->window_out));
	caps = json_object_new_array();
	if (sa->caps & IKE_CAP_MID_SYNC)
		json_object_array_add(caps, jstr("mid_sync"));
	if (sa->caps & IKE_CAP_REPLAY_SYNC)
		json_object_array_add(caps, jstr("replay_sync"));
	json_object_object_add(o, "caps", caps);
	json_object_object_add(o, "group", sa->dp_group_valid ? json_object_new_int64(sa->dp_group) :
				      json_object_new_null());
	json_object_object_add(o, "age_s", jsecs(sa->age_ms));
	json_object_object_add(o, "rekey_in_s", jsecs(sa->rekey_in_ms));
	json_object_object_add(o, "expire_in_s", jsecs(sa->expire_in_ms));
	for (unsigned i = 0; i < n; i++) {
		const struct ike_child_info *c = &ch[i];
		struct json_object *k = json_object_new_object();
		struct dp_counters cnt;

		json_object_object_add(k, "id", json_object_new_int64(c->id));
		json_object_object_add(k, "state", jstr(c->state));
		json_object_object_add(k, "spi_in", jspi(c->spi_in));
		json_object_object_add(k, "spi_out", jspi(c->spi_out));
		ikc_suite_format(&c->suite, IKC_PROTO_ESP, buf, sizeof(buf));
		json_object_object_add(k, "esp", jstr(buf));
		json_object_object_add(k, "encr", json_object_new_int(c->suite.encr));
		json_object_object_add(k, "encr_keybits", json_object_new_int(c->suite.encr_keybits));
		json_object_object_add(k, "integ", json_object_new_int(c->suite.integ));
		json_object_object_add(k, "dh", json_object_new_int(c->suite.dh));
		json_object_object_add(k, "esn", json_object_new_boolean(c->esn));
		json_object_object_add(k, "encap", json_object_new_boolean(c->encap));
		json_object_object_add(k, "mode", jstr("tunnel"));
		json_object_object_add(k, "ts_local", ts_array(c->ts_local, c->n_ts_local));
		json_object_object_add(k, "ts_remote", ts_array(c->ts_remote, c->n_ts_remote));
		json_object_object_add(k, "installed", json_object_new_boolean(c->installed));
		if (c->installed) {
			json_object_object_add(k, "slot_in", json_object_new_int64(c->slots.in));
			json_object_object_add(k, "slot_out", json_object_new_int64(c->slots.out));
			if (lc->a->dp.ops && !lc->a->dp.ops->sa_read(lc->a->dp.ctx, &c->slots, &cnt)) {
				json_object_object_add(k, "tx_next", json_object_new_uint64(cnt.tx_next));
				json_object_object_add(k, "rx_top", json_object_new_uint64(cnt.rx_top));
			}
		}
		json_object_object_add(k, "age_s", jsecs(c->age_ms));
		json_object_object_add(k, "rekey_in_s", jsecs(c->rekey_in_ms));
		json_object_object_add(k, "expire_in_s", jsecs(c->expire_in_ms));
		json_object_array_add(kids, k);
	}
	json_object_object_add(o, "children", kids);
	if (lc->a->ext && lc->a->ext->sa_json)
		lc->a->ext->sa_json(lc->a->ext_ctx, lc->a, sa->id, o);
	json_object_array_add(lc->arr, o);
}

static struct json_object *stats_json(const struct ike_stats *s, const struct net_stats *ns)
{
	struct json_object *o = json_object_new_object();

#define U(name, v) json_object_object_add(o, name, json_object_new_uint64(v))
	U("rx_msgs", s->rx_msgs); U("tx_msgs", s->tx_msgs);
	U("retransmits", s->retransmits); U("resp_retransmits", s->resp_retransmits);
	U("drop_malformed", s->drop_malformed); U("drop_auth", s->drop_auth);
	U("drop_no_sa", s->drop_no_sa); U("drop_window", s->drop_window);
	U("drop_rules", s->drop_rules); U("drop_held", s->drop_held); U("drop_other", s->drop_other);
	U("keepalives_rx", s->keepalives_rx);
	U("ike_established", s->ike_established); U("ike_failed", s->ike_failed);
	U("ike_rekeyed", s->ike_rekeyed); U("ike_deleted", s->ike_deleted);
	U("child_established", s->child_established); U("child_rekeyed", s->child_rekeyed);
	U("child_deleted", s->child_deleted);
	U("cookies_sent", s->cookies_sent); U("invalid_ke_sent", s->invalid_ke_sent);
	U("init_errors", s->init_errors);
	U("dp_errors", s->dp_errors); U("send_errors", s->send_errors);
	if (ns) {
		U("udp_rx", ns->rx); U("udp_tx", ns->tx); U("esp_on_natt_dropped", ns->rx_esp_dropped);
		U("udp_short", ns->rx_short);
	}
#undef U
	return o;
}

static struct json_object *status_json(struct agent *a)
{
	struct json_object *o = json_object_new_object(), *dp = json_object_new_object();
	struct json_object *ifs = json_object_new_array();

	json_object_object_add(o, "version", jstr(AGENT_VERSION));
	json_object_object_add(o, "pid", json_object_new_int(getpid()));
	json_object_object_add(o, "uptime_s", json_object_new_int64((int64_t)((agent_now() - a->started) / 1000)));
	json_object_object_add(o, "config", jstr(a->config_path));
	json_object_object_add(o, "connections", json_object_new_int64((int64_t)a->cfg->n_conns));
	json_object_object_add(o, "ike_sas", json_object_new_int64(ike_engine_sa_count(a->e)));
	json_object_object_add(o, "half_open", json_object_new_int64(ike_engine_half_open(a->e)));
	if (a->card) {
		struct ipsecha_info info;

		json_object_object_add(dp, "card", jstr(a->card_uri));
		json_object_object_add(dp, "embedded", json_object_new_boolean(a->card_pid != 0));
		if (!ipsecha_identify(a->card, &info)) {
			json_object_object_add(dp, "backend", jstr(info.backend));
			json_object_object_add(dp, "num_sa", json_object_new_int64(info.num_sa));
			json_object_object_add(dp, "num_group", json_object_new_int64(info.num_group));
			json_object_object_add(dp, "epoch", json_object_new_uint64(info.epoch));
		}
	} else {
		json_object_object_add(dp, "card", json_object_new_null());
	}
	for (unsigned i = 0; i < a->n_xdp; i++)
		json_object_array_add(ifs, jstr(a->xdp_ifaces[i]));
	json_object_object_add(dp, "xdp", ifs);
	json_object_object_add(o, "dataplane", dp);
	json_object_object_add(o, "stats", stats_json(ike_engine_stats(a->e), net_stats(a->net)));
	if (a->ext && a->ext->status)
		a->ext->status(a->ext_ctx, a, o);
	return o;
}

/* ---- control commands ---- */

static struct json_object *ok_obj(void)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "ok", json_object_new_boolean(1));
	return o;
}

static void wait_answer(struct agent *a, struct agent_wait *w, bool up, const char *reason)
{
	if (up) {
		struct json_object *o = ok_obj();

		json_object_object_add(o, "ike", json_object_new_int64(w->ike_id));
		ctl_reply(a->ctl, w->ctl_id, o);
	} else {
		ctl_reply_error(a->ctl, w->ctl_id, ECONNREFUSED, "IKE SA %u failed: %s", w->ike_id,
				reason ? reason : "unknown");
	}
}

static int reload(struct agent *a, char *err, size_t errlen)
{
	struct agc_config *cfg;
	struct agc_error e;
	int rc = agc_load_file(a->config_path, &cfg, &e);

	if (rc) {
		snprintf(err, errlen, "%s", e.text);
		agent_log(a, IKE_LOG_ERROR, "reload refused, keeping the running configuration: %s", e.text);
		return rc;
	}
	rc = ike_engine_reload(a->e, cfg);
	if (rc) {
		agc_free(cfg);
		snprintf(err, errlen, "%s", strerror(-rc));
		return rc;
	}
	agc_free(a->cfg);
	a->cfg = cfg;
	if (!a->log_level_forced)
		a->log_level = (enum ike_log_level)cfg->global.log_level;
	return 0;
}

static const char *str_member(struct json_object *req, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(req, k, &v) && json_object_is_type(v, json_type_string) ?
	       json_object_get_string(v) : NULL;
}

static bool int_member(struct json_object *req, const char *k, int64_t *out)
{
	struct json_object *v;

	if (!json_object_object_get_ex(req, k, &v) || !json_object_is_type(v, json_type_int))
		return false;
	*out = json_object_get_int64(v);
	return true;
}

static void on_control(void *arg, struct ctl *ctl, uint64_t id, struct json_object *req)
{
	struct agent *a = arg;
	const char *cmd = str_member(req, "cmd");
	int64_t v;
	int err;

	if (!cmd) {
		ctl_reply_error(ctl, id, EINVAL, "missing \"cmd\"");
		return;
	}
	agent_log(a, IKE_LOG_DEBUG, "control: %s", cmd);
	if (!strcmp(cmd, "status")) {
		struct json_object *o = status_json(a);

		json_object_object_add(o, "ok", json_object_new_boolean(1));
		ctl_reply(ctl, id, o);
	} else if (!strcmp(cmd, "sa-list")) {
		struct json_object *o = ok_obj();
		struct list_ctx lc = { a, json_object_new_array() };

		ike_foreach_sa(a->e, sa_to_json, &lc);
		json_object_object_add(o, "sas", lc.arr);
		ctl_reply(ctl, id, o);
	} else if (!strcmp(cmd, "initiate")) {
		const char *conn = str_member(req, "conn");
		int64_t wait_ms = 10000;
		uint32_t ike = 0;

		int_member(req, "wait_ms", &wait_ms);
		if (!conn) {
			ctl_reply_error(ctl, id, EINVAL, "missing \"conn\"");
			return;
		}
		err = ike_initiate(a->e, conn, &ike);
		if (err) {
			ctl_reply_error(ctl, id, -err, err == -ENOENT ? "no connection '%s'" :
					err == -EINVAL ? "connection '%s' has no remote address to initiate to" :
					"initiating '%s' failed", conn);
			return;
		}
		if (wait_ms <= 0) {
			struct json_object *o = ok_obj();

			json_object_object_add(o, "ike", json_object_new_int64(ike));
			ctl_reply(ctl, id, o);
			return;
		}
		struct agent_wait *w = calloc(1, sizeof(*w));

		if (!w) {
			ctl_reply_error(ctl, id, ENOMEM, "out of memory");
			return;
		}
		w->ctl_id = id;
		w->ike_id = ike;
		w->deadline = agent_now() + (uint64_t)wait_ms;
		w->next = a->waits;
		a->waits = w;
		/* It may already be up or gone (synchronous failure). */
		{
			struct ike_sa_info info;

			if (ike_sa_info_by_id(a->e, ike, &info)) {
				a->waits = w->next;
				wait_answer(a, w, false, "failed at once");
				free(w);
			}
		}
	} else if (!strcmp(cmd, "terminate")) {
		const char *conn = str_member(req, "conn");
		unsigned n = 0;
		struct json_object *o;

		if (int_member(req, "ike", &v)) {
			err = v > 0 && v <= UINT32_MAX ? ike_terminate_ike(a->e, (uint32_t)v) : -ENOENT;
			n = err ? 0 : 1;
			if (err) {
				ctl_reply_error(ctl, id, ENOENT, "no IKE SA %lld", (long long)v);
				return;
			}
		} else if (conn) {
			err = ike_terminate_conn(a->e, conn, &n);
			if (err) {
				ctl_reply_error(ctl, id, ENOENT, "no connection '%s'", conn);
				return;
			}
		} else {
			ctl_reply_error(ctl, id, EINVAL, "need \"conn\" or \"ike\"");
			return;
		}
		o = ok_obj();
		json_object_object_add(o, "count", json_object_new_int64(n));
		ctl_reply(ctl, id, o);
	} else if (!strcmp(cmd, "rekey") || !strcmp(cmd, "dpd")) {
		bool is_dpd = cmd[0] == 'd';

		if (!is_dpd && int_member(req, "child", &v))
			err = v > 0 && v <= UINT32_MAX ? ike_rekey_child(a->e, (uint32_t)v) : -ENOENT;
		else if (int_member(req, "ike", &v))
			err = v > 0 && v <= UINT32_MAX ? (is_dpd ? ike_dpd(a->e, (uint32_t)v) :
							  ike_rekey_ike(a->e, (uint32_t)v)) : -ENOENT;
		else
			err = -EINVAL;
		if (err == -EINVAL)
			ctl_reply_error(ctl, id, EINVAL, "need \"ike\"%s", is_dpd ? "" : " or \"child\"");
		else if (err == -ENOENT)
			ctl_reply_error(ctl, id, ENOENT, "no such SA");
		else if (err == -EAGAIN)
			ctl_reply_error(ctl, id, EAGAIN, "the IKE SA is not established");
		else if (err)
			ctl_reply_error(ctl, id, -err, "%s", strerror(-err));
		else
			ctl_reply(ctl, id, ok_obj());
	} else if (!strcmp(cmd, "reload")) {
		char msg[400];

		if (reload(a, msg, sizeof(msg)))
			ctl_reply_error(ctl, id, EINVAL, "%s", msg);
		else
			ctl_reply(ctl, id, ok_obj());
	} else if (a->ext && a->ext->control) {
		struct json_object *o = json_object_new_object();

		err = a->ext->control(a->ext_ctx, a, cmd, req, o);
		if (err == -ENOENT && !json_object_object_get_ex(o, "error", NULL)) {
			json_object_put(o);
			ctl_reply_error(ctl, id, EINVAL, "unknown command '%s'", cmd);
			return;
		}
		json_object_object_add(o, "ok", json_object_new_boolean(err == 0));
		if (err)
			json_object_object_add(o, "errno", json_object_new_int(-err));
		ctl_reply(ctl, id, o);
	} else {
		ctl_reply_error(ctl, id, EINVAL, "unknown command '%s'", cmd);
	}
}

/* ---- start-up ---- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ipsecha-agent --config FILE [options]\n"
		"  --config FILE          configuration (docs/agent-config.md)\n"
		"  --log-level LEVEL      error|warn|info|debug (overrides the file)\n"
		"  --control PATH         control socket (overrides the file)\n"
		"  --card URI             sim:SOCKET or vfio:BDF (overrides the file)\n"
		"  --no-card              IKE only: Child SAs go to no dataplane\n"
		"  --check-config         validate the configuration and exit\n"
		"  --load-initiator CONN  load mode: establish --count IKE SAs with\n"
		"                         --concurrency in flight, print IKE_SA/s, exit\n"
		"  --count N --concurrency C --load-mode delete|drop --load-timeout S --json\n"
		"  --load-ts-spread         each Child SA its own UDP port selector (peers refuse\n"
		"                         duplicate selectors)\n"
		"  --deterministic SEED   deterministic random numbers (tests only!)\n"
		"  --version, --help\n");
	if (A.ext && A.ext->usage)
		fputs(A.ext->usage, f);
}

static int parse_level(const char *s, enum ike_log_level *out)
{
	for (int i = 0; i < 4; i++) {
		if (!strcasecmp(s, lvl_names[i]) || (i == 1 && !strcasecmp(s, "warning"))) {
			*out = (enum ike_log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

static int ep_add(struct agent *a, int fd, int tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = (uint64_t)tag << 32 | (uint32_t)fd };

	return epoll_ctl(a->epfd, EPOLL_CTL_ADD, fd, &ev);
}

static void ctl_fd(void *arg, int fd, int add)
{
	struct agent *a = arg;

	if (add)
		ep_add(a, fd, TAG_CTL_CLIENT);
	else
		epoll_ctl(a->epfd, EPOLL_CTL_DEL, fd, NULL);
}

static int setup_dataplane(struct agent *a, bool no_card, const char *card_override)
{
	struct dp members[1 + AGC_MAX_IFACES];
	unsigned n = 0;
	struct ipsecha *h = NULL;
	int err;

	if (no_card) {
		if (a->cfg->global.n_ifaces)
			agent_log(a, IKE_LOG_WARN, "--no-card: XDP interfaces ignored (no card slots)");
		agent_log(a, IKE_LOG_INFO, "no dataplane (--no-card): Child SAs are negotiated only");
		return 0;
	}
	if (card_override)
		snprintf(a->card_uri, sizeof(a->card_uri), "%s", card_override);
	else
		snprintf(a->card_uri, sizeof(a->card_uri), "%s", a->cfg->global.card_uri);
	if (!a->card_uri[0]) {
		err = cardsim_start(a, a->card_uri, sizeof(a->card_uri));
		if (err) {
			fprintf(stderr, "ipsecha-agent: cannot start the embedded simulated card "
				"(ipsecha-card-sim): %s\n", strerror(-err));
			return err;
		}
		agent_log(a, IKE_LOG_INFO, "embedded simulated card started (pid %d, %s)",
			  (int)a->card_pid, a->card_uri);
	}
	err = ipsecha_open(a->card_uri, NULL, &h);
	if (err) {
		fprintf(stderr, "ipsecha-agent: card %s: %s\n", a->card_uri, ipsecha_strerror(err));
		return err;
	}
	err = dp_card_new(h, &members[n]);
	if (err) {
		ipsecha_close(h);
		fprintf(stderr, "ipsecha-agent: card %s: %s\n", a->card_uri, ipsecha_strerror(err));
		return err;
	}
	a->card = h;
	n++;
	for (size_t i = 0; i < a->cfg->global.n_ifaces; i++) {
		const char *ifn = a->cfg->global.ifaces[i];
		struct ipsecha_info info;
		struct ipsecha_xdp *x = NULL;

		ipsecha_identify(h, &info);
		IPSECHA_XDP_OPTS(ipsecha_xdp_attach_opts, ao,
				 .mode = a->cfg->global.xdp_mode == AGC_XDP_GENERIC ?
					 IPSECHA_XDP_MODE_GENERIC : IPSECHA_XDP_MODE_NATIVE,
				 .num_groups = info.num_group, .num_slots = info.num_sa,
				 .mount_bpffs = true);
		err = ipsecha_xdp_attach(ifn, &ao);
		if (err && err != -EEXIST) {
			fprintf(stderr, "ipsecha-agent: XDP on %s: %s\n", ifn, ipsecha_xdp_strerror(err));
			goto fail;
		}
		err = ipsecha_xdp_open(ifn, NULL, &x);
		if (!err)
			err = dp_xdp_new(x, &members[n]);
		if (err) {
			ipsecha_xdp_close(x);
			fprintf(stderr, "ipsecha-agent: XDP on %s: %s\n", ifn, ipsecha_xdp_strerror(err));
			goto fail;
		}
		snprintf(a->xdp_ifaces[a->n_xdp++], AGC_IFNAME_MAX, "%s", ifn);
		n++;
		agent_log(a, IKE_LOG_INFO, "XDP steering on %s", ifn);
	}
	err = dp_stack_new(members, n, &a->dp);
	if (err)
		goto fail;
	return 0;
fail:
	while (n--)
		members[n].ops->close(members[n].ctx);
	a->card = NULL;
	return err;
}

static void on_datagram(void *arg, const struct sockaddr_storage *local,
			const struct sockaddr_storage *remote, bool natt, const uint8_t *pkt,
			size_t len, bool keepalive)
{
	struct agent *a = arg;

	if (keepalive)
		ike_input_keepalive(a->e);
	else
		ike_input(a->e, local, remote, natt, pkt, len);
}

static void expire_waits(struct agent *a, uint64_t now)
{
	for (struct agent_wait **pp = &a->waits; *pp;) {
		struct agent_wait *w = *pp;

		if (w->deadline <= now) {
			*pp = w->next;
			ctl_reply_error(a->ctl, w->ctl_id, ETIMEDOUT,
					"IKE SA %u not established in time (still trying)", w->ike_id);
			free(w);
		} else {
			pp = &w->next;
		}
	}
}

static uint64_t next_deadline(struct agent *a)
{
	uint64_t t = ike_next_timer(a->e);

	for (struct agent_wait *w = a->waits; w; w = w->next)
		if (w->deadline < t)
			t = w->deadline;
	if (a->stopping && a->stop_at < t)
		t = a->stop_at;
	if (a->load && agent_now() + 100 < t)
		t = agent_now() + 100;   /* check the load timeout regularly */
	if (a->ext && a->ext->next_timer) {
		uint64_t x = a->ext->next_timer(a->ext_ctx);

		if (x < t)
			t = x;
	}
	return t;
}

static int run_loop(struct agent *a)
{
	struct epoll_event evs[32];

	for (;;) {
		uint64_t now = agent_now(), dl = next_deadline(a);
		int timeout = dl == UINT64_MAX ? -1 : dl <= now ? 0 : (int)(dl - now > 60000 ? 60000 : dl - now);
		int n = epoll_wait(a->epfd, evs, 32, timeout);

		if (n < 0 && errno != EINTR)
			return -errno;
		for (int i = 0; i < n; i++) {
			int tag = (int)(evs[i].data.u64 >> 32), fd = (int)(uint32_t)evs[i].data.u64;

			switch (tag) {
			case TAG_NET:
				net_read(a->net, fd, on_datagram, a);
				break;
			case TAG_CTL_LISTEN:
				ctl_accept(a->ctl);
				break;
			case TAG_CTL_CLIENT:
				ctl_client_io(a->ctl, fd);
				break;
			case TAG_SIGNAL: {
				struct signalfd_siginfo si;

				while (read(fd, &si, sizeof(si)) == sizeof(si)) {
					if (si.ssi_signo == SIGHUP) {
						char msg[400];

						agent_log(a, IKE_LOG_INFO, "SIGHUP: reloading %s", a->config_path);
						reload(a, msg, sizeof(msg));
					} else if (!a->stopping) {
						agent_log(a, IKE_LOG_INFO, "signal %u: deleting IKE SAs and exiting",
							  si.ssi_signo);
						a->stopping = true;
						a->stop_at = agent_now() + 1000;
						ike_engine_shutdown(a->e);
					} else {
						return 0;   /* second signal: now */
					}
				}
				break;
			}
			}
		}
		ike_run_timers(a->e);
		if (a->ext && a->ext->run_timers)
			a->ext->run_timers(a->ext_ctx, a);
		now = agent_now();
		expire_waits(a, now);
		if (a->load && loadgen_done(a))
			return 0;
		if (a->stopping && (now >= a->stop_at || !ike_engine_sa_count(a->e)))
			return 0;
	}
}

int main(int argc, char **argv)
{
	struct agent *a = &A;
	struct agc_error cerr;
	const char *card_override = NULL, *ctl_override = NULL, *level = NULL;
	bool no_card = false, check_only = false;
	struct loadgen_opts lo = { .count = 100, .concurrency = 10, .mode = LOAD_DELETE };
	bool load = false;
	uint64_t det_seed = 0;
	char err[256];
	sigset_t sigs;
	int rc, exit_code = 1;

	a->ext = agent_ext_get ? agent_ext_get() : NULL;
	a->log_level = IKE_LOG_INFO;
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		uint64_t num;

#define NEED() do { if (!v) { fprintf(stderr, "ipsecha-agent: %s needs a value\n", o); return 2; } i++; } while (0)
		if (!strcmp(o, "--config")) {
			NEED();
			a->config_path = v;
		} else if (!strcmp(o, "--log-level")) {
			NEED();
			level = v;
		} else if (!strcmp(o, "--control")) {
			NEED();
			ctl_override = v;
		} else if (!strcmp(o, "--card")) {
			NEED();
			card_override = v;
		} else if (!strcmp(o, "--no-card")) {
			no_card = true;
		} else if (!strcmp(o, "--check-config")) {
			check_only = true;
		} else if (!strcmp(o, "--foreground") || !strcmp(o, "-f")) {
			/* the default */
		} else if (!strcmp(o, "--load-initiator")) {
			NEED();
			lo.conn = v;
			load = true;
		} else if (!strcmp(o, "--count") || !strcmp(o, "--concurrency") ||
			   !strcmp(o, "--load-timeout") || !strcmp(o, "--deterministic")) {
			char *end;

			NEED();
			num = strtoull(v, &end, 0);
			if (*end || !*v || num > UINT32_MAX || (num == 0 && strcmp(o, "--deterministic"))) {
				fprintf(stderr, "ipsecha-agent: %s: '%s' is not a positive number\n", o, v);
				return 2;
			}
			if (!strcmp(o, "--count"))
				lo.count = (unsigned)num;
			else if (!strcmp(o, "--concurrency"))
				lo.concurrency = (unsigned)num;
			else if (!strcmp(o, "--load-timeout"))
				lo.timeout_s = (unsigned)num;
			else {
				a->deterministic = true;
				det_seed = num;
			}
		} else if (!strcmp(o, "--load-mode")) {
			NEED();
			if (!strcmp(v, "delete"))
				lo.mode = LOAD_DELETE;
			else if (!strcmp(v, "drop"))
				lo.mode = LOAD_DROP;
			else {
				fprintf(stderr, "ipsecha-agent: --load-mode: delete or drop\n");
				return 2;
			}
		} else if (!strcmp(o, "--json")) {
			lo.json = true;
		} else if (!strcmp(o, "--load-ts-spread")) {
			lo.ts_spread = true;
		} else if (!strcmp(o, "--version")) {
			printf("ipsecha-agent %s%s%s\n", AGENT_VERSION, a->ext ? " with " : "",
			       a->ext && a->ext->name ? a->ext->name : "");
			return 0;
		} else if (!strcmp(o, "--help") || !strcmp(o, "-h")) {
			usage(stdout);
			return 0;
		} else if (!strncmp(o, "--", 2) && a->ext && a->ext->option) {
			bool has = v && strncmp(v, "--", 2);
			int r = a->ext->option(o + 2, has ? v : NULL);

			if (r == -ENOENT) {
				fprintf(stderr, "ipsecha-agent: unknown option %s\n", o);
				usage(stderr);
				return 2;
			}
			if (r < 0) {
				fprintf(stderr, "ipsecha-agent: %s: %s\n", o, strerror(-r));
				return 2;
			}
			if (has && r == 1)
				i++;
		} else {
			fprintf(stderr, "ipsecha-agent: unknown option %s\n", o);
			usage(stderr);
			return 2;
		}
#undef NEED
	}
	if (!a->config_path) {
		usage(stderr);
		return 2;
	}
	if (level && parse_level(level, &a->log_level)) {
		fprintf(stderr, "ipsecha-agent: --log-level: error, warn, info or debug\n");
		return 2;
	}
	/* Bad configuration: a message with file:line, and nothing started. */
	rc = agc_load_file(a->config_path, &a->cfg, &cerr);
	if (rc) {
		fprintf(stderr, "ipsecha-agent: %s\n", cerr.text);
		return 1;
	}
	if (load && !agc_find_conn(a->cfg, lo.conn)) {
		fprintf(stderr, "ipsecha-agent: --load-initiator: no connection '%s' in %s\n", lo.conn,
			a->config_path);
		agc_free(a->cfg);
		return 1;
	}
	if (check_only) {
		printf("%s: %zu connection(s), configuration valid\n", a->config_path, a->cfg->n_conns);
		agc_free(a->cfg);
		return 0;
	}
	if (level)
		a->log_level_forced = true;
	else
		a->log_level = (enum ike_log_level)a->cfg->global.log_level;
	a->started = agent_now();
	setvbuf(stderr, NULL, _IOLBF, 0);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	sig_fd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC);
	a->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (sig_fd < 0 || a->epfd < 0) {
		perror("ipsecha-agent");
		goto out;
	}
	/* The sockets first: nothing else is worth starting without them. */
	rc = net_open(a->cfg->global.ike_port, a->cfg->global.natt_port, &a->net, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "ipsecha-agent: %s\n", err);
		goto out;
	}
	if (setup_dataplane(a, no_card, card_override))
		goto out;
	if (a->cfg->global.keylog[0]) {
		rc = ikl_open(a->cfg->global.keylog, &a->keylog);
		if (rc) {
			fprintf(stderr, "ipsecha-agent: key log %s: %s\n", a->cfg->global.keylog,
				strerror(-rc));
			goto out;
		}
		agent_log(a, IKE_LOG_WARN, "key log enabled: IKE and ESP keys are written to %s",
			  a->cfg->global.keylog);
	}
	{
		const struct ike_ext_ops *ext_ops = NULL;
		struct ike_env env = {
			.ctx = a, .now = env_now, .send = env_send, .send_keepalive = env_keepalive,
			.route = env_route, .log = env_log, .event = env_event, .dp = a->dp,
			.keylog = a->keylog, .log_level = IKE_LOG_DEBUG,
		};

		if (a->deterministic) {
			ikc_rng_det_init(&a->det_rng, det_seed);
			env.rng = &a->det_rng.rng;
			agent_log(a, IKE_LOG_WARN, "--deterministic: predictable keys, for tests only");
		}
		if (a->ext && a->ext->init && (rc = a->ext->init(a, &ext_ops, &a->ext_ctx))) {
			fprintf(stderr, "ipsecha-agent: %s: %s\n", a->ext->name ? a->ext->name : "extension",
				strerror(-rc));
			goto out;
		}
		env.ext = ext_ops;
		env.ext_ctx = a->ext_ctx;
		ike_params_default(&a->params);
		rc = ike_engine_new(&env, &a->params, a->cfg, &a->e);
		if (rc) {
			fprintf(stderr, "ipsecha-agent: engine: %s\n", strerror(-rc));
			goto out;
		}
	}
	if (!load) {
		snprintf(a->ctl_path, sizeof(a->ctl_path), "%s",
			 ctl_override ? ctl_override : a->cfg->global.control_socket);
		rc = ctl_open(a->ctl_path, on_control, a, &a->ctl);
		if (rc) {
			fprintf(stderr, "ipsecha-agent: control socket %s: %s\n", a->ctl_path,
				rc == -EADDRINUSE ? "another agent is running there" : strerror(-rc));
			goto out;
		}
		ctl_set_fd_cb(a->ctl, ctl_fd, a);
		ep_add(a, ctl_listen_fd(a->ctl), TAG_CTL_LISTEN);
	}
	{
		int fds[NET_MAX_FDS];
		unsigned n = net_fds(a->net, fds, NET_MAX_FDS);

		for (unsigned i = 0; i < n; i++)
			ep_add(a, fds[i], TAG_NET);
	}
	ep_add(a, sig_fd, TAG_SIGNAL);
	if (a->ext && a->ext->start && (rc = a->ext->start(a->ext_ctx, a))) {
		fprintf(stderr, "ipsecha-agent: %s: start: %s\n", a->ext->name ? a->ext->name : "extension",
			strerror(-rc));
		goto out;
	}
	agent_log(a, IKE_LOG_INFO, "ipsecha-agent %s up: %zu connection(s), IKE on UDP %u/%u, "
		  "control %s", AGENT_VERSION, a->cfg->n_conns, a->cfg->global.ike_port,
		  a->cfg->global.natt_port, load ? "(none, load mode)" : a->ctl_path);
	if (load) {
		rc = loadgen_start(a, &lo);
		if (rc) {
			fprintf(stderr, "ipsecha-agent: load mode: %s\n", strerror(-rc));
			goto out;
		}
	} else {
		ike_engine_start(a->e);
	}
	rc = run_loop(a);
	exit_code = rc ? 1 : 0;
	if (load)
		exit_code = loadgen_finish(a);
out:
	while (a->waits) {
		struct agent_wait *w = a->waits;

		a->waits = w->next;
		free(w);
	}
	if (a->ext && a->ext->stop && a->e)
		a->ext->stop(a->ext_ctx, a);
	ctl_close(a->ctl);
	ike_engine_free(a->e);
	if (a->dp.ops)
		a->dp.ops->close(a->dp.ctx);
	cardsim_stop(a);
	net_close(a->net);
	ikl_close(a->keylog);
	agc_free(a->cfg);
	if (sig_fd >= 0)
		close(sig_fd);
	if (a->epfd > 0)
		close(a->epfd);
	return exit_code;
}
