/* tpeer.c — two in-memory IKE peers; see tpeer.h. */
#include "tpeer.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const addrs[2] = { "192.0.2.1", "192.0.2.2" };
static const char *const nets[2] = { "10.1.0.0/24", "10.2.0.0/24" };

static bool has_key(const char *extra, const char *key)
{
	size_t kl = strlen(key);

	for (const char *p = extra; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		while (*p == ' ')
			p++;
		if (!strncmp(p, key, kl) && (p[kl] == ' ' || p[kl] == '='))
			return true;
	}
	return false;
}

const char *tconf(char *buf, size_t len, int self, const char *conn_extra,
		  const char *global_extra)
{
	static const struct { const char *k, *v[2]; } defs[] = {
		{ "local", { "192.0.2.1", "192.0.2.2" } },
		{ "remote", { "192.0.2.2", "192.0.2.1" } },
		{ "psk", { "tpeer-secret-0123456789", "tpeer-secret-0123456789" } },
		{ "ike", { "aes128gcm16-prfsha256-x25519", "aes128gcm16-prfsha256-x25519" } },
		{ "esp", { "aes128gcm16", "aes128gcm16" } },
		{ "local_ts", { "10.1.0.0/24", "10.2.0.0/24" } },
		{ "remote_ts", { "10.2.0.0/24", "10.1.0.0/24" } },
	};
	size_t off = 0;

	static const struct { const char *k, *v; } gdefs[] = {
		{ "retransmit_timeout", "1s" }, { "retransmit_tries", "3" },
		{ "retransmit_base", "2.0" }, { "log_level", "debug" },
	};

	off += (size_t)snprintf(buf + off, len - off, "[global]\n");
	for (size_t i = 0; i < sizeof(gdefs) / sizeof(gdefs[0]); i++)
		if (!has_key(global_extra, gdefs[i].k))
			off += (size_t)snprintf(buf + off, len - off, "%s = %s\n", gdefs[i].k, gdefs[i].v);
	off += (size_t)snprintf(buf + off, len - off, "%s\n[conn c]\n",
				global_extra ? global_extra : "");
	for (size_t i = 0; i < sizeof(defs) / sizeof(defs[0]) && off < len; i++)
		if (!has_key(conn_extra, defs[i].k))
			off += (size_t)snprintf(buf + off, len - off, "%s = %s\n", defs[i].k,
						defs[i].v[self]);
	if (off < len)
		snprintf(buf + off, len - off, "%s\n", conn_extra ? conn_extra : "");
	(void)addrs;
	(void)nets;
	return buf;
}

/* ---- env callbacks ---- */

static uint64_t cb_now(void *ctx)
{
	struct tpeer *p = ctx;

	return p->net->now;
}

static void enqueue(struct tnet *net, int from, const struct sockaddr_storage *src,
		    const struct sockaddr_storage *dst, bool natt, bool ka,
		    const uint8_t *pkt, size_t len)
{
	struct tpkt *t = malloc(sizeof(*t) + len);

	if (!t)
		abort();
	t->next = NULL;
	t->from = from;
	t->src = *src;
	t->dst = *dst;
	t->natt = natt;
	t->keepalive = ka;
	t->len = len;
	memcpy(t->data, pkt, len);
	if (net->tail)
		net->tail->next = t;
	else
		net->head = t;
	net->tail = t;
}

static int cb_send(void *ctx, const struct sockaddr_storage *src,
		   const struct sockaddr_storage *dst, bool natt, const uint8_t *pkt, size_t len)
{
	struct tpeer *p = ctx;

	enqueue(p->net, p->idx, src, dst, natt, false, pkt, len);
	return 0;
}

static int cb_keepalive(void *ctx, const struct sockaddr_storage *src,
			const struct sockaddr_storage *dst)
{
	struct tpeer *p = ctx;
	uint8_t ff = 0xff;

	enqueue(p->net, p->idx, src, dst, true, true, &ff, 1);
	return 0;
}

static void cb_log(void *ctx, enum ike_log_level lvl, const char *line)
{
	struct tpeer *p = ctx;
	static int verbose = -1;

	if (verbose < 0)
		verbose = getenv("TPEER_VERBOSE") != NULL;
	if (verbose)
		fprintf(stderr, "%8llu %s %d %s\n", (unsigned long long)p->net->now, p->name, lvl, line);
}

static void cb_event(void *ctx, const struct ike_event *ev)
{
	struct tpeer *p = ctx;

	switch (ev->type) {
	case IKE_EV_IKE_UP:
		p->ev_up++;
		if (ev->rekey)
			p->ev_rekey_up++;
		break;
	case IKE_EV_IKE_DOWN:
		p->ev_down++;
		snprintf(p->last_reason, sizeof(p->last_reason), "%s", ev->reason ? ev->reason : "");
		break;
	case IKE_EV_IKE_FAILED:
		p->ev_failed++;
		break;
	case IKE_EV_CHILD_UP:
		p->ev_child_up++;
		break;
	case IKE_EV_CHILD_DOWN:
		p->ev_child_down++;
		break;
	}
}

static int make_engine(struct tpeer *p)
{
	struct ike_env env = {
		.ctx = p, .now = cb_now, .send = cb_send, .send_keepalive = cb_keepalive,
		.log = cb_log, .event = cb_event, .rng = &p->rng.rng, .dp = p->dp,
		.log_level = IKE_LOG_DEBUG, .ext = p->ext, .ext_ctx = p->ext_ctx,
	};

	return ike_engine_new(&env, &p->params, p->cfg, &p->e);
}

static int init_peer(struct tnet *net, int i, const char *conf, const struct ike_params *pp)
{
	struct tpeer *p = &net->p[i];
	struct agc_error err;
	struct sockaddr_in *sin = (struct sockaddr_in *)&p->addr;
	int rc;

	p->net = net;
	p->idx = i;
	p->name = i ? "B" : "A";
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, addrs[i], &sin->sin_addr);
	ikc_rng_det_init(&p->rng, 0x1000u + (unsigned)i);
	if (pp)
		p->params = *pp;
	else
		ike_params_default(&p->params);
	rc = agc_load_string(conf, p->name, &p->cfg, &err);
	if (rc) {
		fprintf(stderr, "tpeer: config of %s: %s\n", p->name, err.text);
		return rc;
	}
	rc = dp_mem_new(64, 256, &p->dp);
	if (rc)
		return rc;
	return make_engine(p);
}

int tnet_init_params(struct tnet *net, const char *conf_a, const char *conf_b,
		     const struct ike_params *pa, const struct ike_params *pb)
{
	struct sockaddr_in *nat = (struct sockaddr_in *)&net->nat_addr;
	const struct ike_ext_ops *ext[2] = { net->p[0].ext, net->p[1].ext };
	void *ext_ctx[2] = { net->p[0].ext_ctx, net->p[1].ext_ctx };
	int rc;

	/* Everything starts from zero except the extension hooks. */
	memset(net, 0, sizeof(*net));
	for (int i = 0; i < 2; i++) {
		net->p[i].ext = ext[i];
		net->p[i].ext_ctx = ext_ctx[i];
	}
	net->now = 1000000;
	nat->sin_family = AF_INET;
	inet_pton(AF_INET, "198.51.100.7", &nat->sin_addr);
	nat->sin_port = htons(40000);
	rc = init_peer(net, 0, conf_a, pa);
	if (!rc)
		rc = init_peer(net, 1, conf_b, pb);
	return rc;
}

int tnet_init(struct tnet *net, const char *conf_a, const char *conf_b)
{
	return tnet_init_params(net, conf_a, conf_b, NULL, NULL);
}

int tnet_restart(struct tnet *net, int i)
{
	struct tpeer *p = &net->p[i];

	ike_engine_free(p->e);
	p->e = NULL;
	p->dp.ops->close(p->dp.ctx);
	if (dp_mem_new(64, 256, &p->dp))
		return -1;
	ikc_rng_det_init(&p->rng, 0x2000u + (unsigned)i + (unsigned)net->now);
	return make_engine(p);
}

void tnet_free(struct tnet *net)
{
	for (int i = 0; i < 2; i++) {
		struct tpeer *p = &net->p[i];

		ike_engine_free(p->e);
		if (p->dp.ops)
			p->dp.ops->close(p->dp.ctx);
		agc_free(p->cfg);
	}
	while (net->head) {
		struct tpkt *t = net->head;

		net->head = t->next;
		free(t);
	}
	while (net->deferred) {
		struct tpkt *t = net->deferred;

		net->deferred = t->next;
		free(t);
	}
}

static uint16_t port_of(const struct sockaddr_storage *a)
{
	return ntohs(((const struct sockaddr_in *)a)->sin_port);
}

static void set_port(struct sockaddr_storage *a, uint16_t port)
{
	((struct sockaddr_in *)a)->sin_port = htons(port);
}

/* TPEER_CORPUS=DIR: keep every datagram as a fuzzing seed. */
static void dump(const struct tpkt *t)
{
	static const char *dir;
	static unsigned n;
	char path[512];
	FILE *f;

	if (!dir && !(dir = getenv("TPEER_CORPUS")))
		dir = "";
	if (!*dir || t->keepalive)
		return;
	snprintf(path, sizeof(path), "%s/pkt-%05u", dir, n++);
	f = fopen(path, "wb");
	if (f) {
		fwrite(t->data, 1, t->len, f);
		fclose(f);
	}
}

static void record(struct tnet *net, const struct tpkt *t, bool dropped)
{
	dump(t);
	struct tnet_trace *tr;
	struct ikm_hdr h;

	if (t->keepalive || net->n_trace == TP_MAX_TRACE || ikm_peek_hdr(t->data, t->len, &h))
		return;
	tr = &net->trace[net->n_trace++];
	tr->from = t->from;
	tr->exchange = h.exchange;
	tr->response = h.flags & IKE_FLAG_R;
	tr->mid = h.mid;
	tr->len = t->len;
	tr->dropped = dropped;
}

void tnet_pump(struct tnet *net)
{
	while (net->head && !net->hold) {
		struct tpkt *t = net->head;
		int to = !t->from;
		struct tpeer *dst = &net->p[to];
		struct sockaddr_storage src = t->src, dsta = t->dst;
		unsigned n = net->n_pkts++;
		bool drop;

		net->head = t->next;
		if (!net->head)
			net->tail = NULL;
		if (net->defer && net->defer(net, t, n, net->defer_arg)) {
			struct tpkt **pp = &net->deferred;

			while (*pp)
				pp = &(*pp)->next;
			t->next = NULL;
			*pp = t;
			continue;
		}
		drop = net->drop && net->drop(net, t, n, net->drop_arg);
		record(net, t, drop);
		if (drop) {
			net->n_dropped++;
			free(t);
			continue;
		}
		/* The NAT in front of A: rewrite A's source, and B's replies
		 * to the public address back to A. */
		if (net->nat && t->from == 0) {
			uint16_t pp = port_of(&src) == 500 ? 40000 : 40001;

			src = net->nat_addr;
			set_port(&src, pp);
		} else if (net->nat && t->from == 1) {
			dsta = net->p[0].addr;
			set_port(&dsta, port_of(&t->dst) == 40000 ? 500 : 4500);
		}
		if (t->keepalive) {
			net->keepalives++;
			ike_input_keepalive(dst->e);
		} else {
			if (t->len <= sizeof(net->last_to[to])) {
				memcpy(net->last_to[to], t->data, t->len);
				net->last_to_len[to] = t->len;
				net->last_src[to] = src;
				net->last_dst[to] = dsta;
				net->last_natt[to] = t->natt;
			}
			ike_input(dst->e, &dsta, &src, t->natt, t->data, t->len);
		}
		free(t);
	}
}

void tnet_release(struct tnet *net)
{
	while (net->deferred) {
		struct tpkt *t = net->deferred;

		net->deferred = t->next;
		t->next = NULL;
		if (net->tail)
			net->tail->next = t;
		else
			net->head = t;
		net->tail = t;
	}
	tnet_pump(net);
}

void tnet_run(struct tnet *net, uint64_t ms)
{
	uint64_t end = net->now + ms;

	tnet_pump(net);
	for (;;) {
		uint64_t a = ike_next_timer(net->p[0].e), b = ike_next_timer(net->p[1].e);
		uint64_t next = a < b ? a : b;

		if (next > end)
			break;
		if (next > net->now)
			net->now = next;
		ike_run_timers(net->p[0].e);
		ike_run_timers(net->p[1].e);
		tnet_pump(net);
	}
	net->now = end;
	tnet_pump(net);
}

struct sas_ctx {
	struct tsa *out;
};

static void collect(void *arg, const struct ike_sa_info *sa, const struct ike_child_info *ch,
		    unsigned n)
{
	struct tsa *o = ((struct sas_ctx *)arg)->out;

	if (o->n >= 8)
		return;
	o->sa[o->n] = *sa;
	o->n_child[o->n] = n > 8 ? 8 : n;
	for (unsigned i = 0; i < n && i < 8; i++)
		o->child[o->n][i] = ch[i];
	o->n++;
}

void tpeer_sas(const struct tpeer *p, struct tsa *out)
{
	struct sas_ctx c = { out };

	memset(out, 0, sizeof(*out));
	ike_foreach_sa(p->e, collect, &c);
}

bool tpeer_one(const struct tpeer *p, struct ike_sa_info *sa, struct ike_child_info *children,
	       unsigned *n_children)
{
	static struct tsa t;

	tpeer_sas(p, &t);
	if (t.n != 1)
		return false;
	if (sa)
		*sa = t.sa[0];
	if (children)
		memcpy(children, t.child[0], sizeof(t.child[0]));
	if (n_children)
		*n_children = t.n_child[0];
	return true;
}
