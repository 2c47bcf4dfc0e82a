/* ts.c — traffic selector narrowing; see ts.h. */
#include "ts.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

static unsigned alen(const struct ikm_ts *t)
{
	return t->type == TS_IPV6_ADDR_RANGE ? 16 : 4;
}

static bool is_ip(const struct ikm_ts *t)
{
	return t->type == TS_IPV4_ADDR_RANGE || t->type == TS_IPV6_ADDR_RANGE;
}

void ts_from_conf(const struct agc_ts *c, struct ikm_ts *out)
{
	memset(out, 0, sizeof(*out));
	out->type = c->type;
	out->ip_proto = c->ip_proto;
	out->start_port = c->start_port;
	out->end_port = c->end_port;
	memcpy(out->start, c->start, sizeof(out->start));
	memcpy(out->end, c->end, sizeof(out->end));
}

bool ts_intersect(const struct ikm_ts *a, const struct ikm_ts *b, struct ikm_ts *o)
{
	unsigned n;

	if (!is_ip(a) || a->type != b->type)
		return false;
	n = alen(a);
	/* §3.13.1: IP Protocol ID 0 means any protocol. */
	if (a->ip_proto && b->ip_proto && a->ip_proto != b->ip_proto)
		return false;
	memset(o, 0, sizeof(*o));
	o->type = a->type;
	o->ip_proto = a->ip_proto ? a->ip_proto : b->ip_proto;
	o->start_port = a->start_port > b->start_port ? a->start_port : b->start_port;
	o->end_port = a->end_port < b->end_port ? a->end_port : b->end_port;
	if (o->start_port > o->end_port)
		return false;
	/* Addresses compare as big-endian octet strings. */
	memcpy(o->start, memcmp(a->start, b->start, n) > 0 ? a->start : b->start, n);
	memcpy(o->end, memcmp(a->end, b->end, n) < 0 ? a->end : b->end, n);
	return memcmp(o->start, o->end, n) <= 0;
}

bool ts_subset(const struct ikm_ts *a, const struct ikm_ts *b)
{
	unsigned n;

	if (!is_ip(a) || a->type != b->type)
		return false;
	n = alen(a);
	if (b->ip_proto && a->ip_proto != b->ip_proto)
		return false;
	return a->start_port >= b->start_port && a->end_port <= b->end_port &&
	       memcmp(a->start, b->start, n) >= 0 && memcmp(a->end, b->end, n) <= 0 &&
	       memcmp(a->start, a->end, n) <= 0;
}

static bool same(const struct ikm_ts *a, const struct ikm_ts *b)
{
	return a->type == b->type && a->ip_proto == b->ip_proto &&
	       a->start_port == b->start_port && a->end_port == b->end_port &&
	       !memcmp(a->start, b->start, 16) && !memcmp(a->end, b->end, 16);
}

unsigned ts_narrow(const struct ikm_ts *prop, unsigned n_prop,
		   const struct ikm_ts *conf, unsigned n_conf,
		   struct ikm_ts *out, unsigned max)
{
	unsigned n = 0;

	for (unsigned i = 0; i < n_prop; i++) {
		for (unsigned j = 0; j < n_conf && n < max; j++) {
			struct ikm_ts t;
			bool dup = false;

			if (!ts_intersect(&prop[i], &conf[j], &t))
				continue;
			for (unsigned k = 0; k < n && !dup; k++)
				dup = same(&out[k], &t);
			if (!dup)
				out[n++] = t;
		}
	}
	return n;
}

bool ts_all_within(const struct ikm_ts *ans, unsigned n_ans,
		   const struct ikm_ts *prop, unsigned n_prop)
{
	if (n_ans == 0)
		return false;
	for (unsigned i = 0; i < n_ans; i++) {
		bool ok = false;

		for (unsigned j = 0; j < n_prop && !ok; j++)
			ok = ts_subset(&ans[i], &prop[j]);
		if (!ok)
			return false;
	}
	return true;
}

int ts_format(const struct ikm_ts *t, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	int af = t->type == TS_IPV6_ADDR_RANGE ? AF_INET6 : AF_INET;

	if (!is_ip(t))
		return snprintf(buf, len, "type%u", t->type);
	inet_ntop(af, t->start, a, sizeof(a));
	inet_ntop(af, t->end, b, sizeof(b));
	if (t->ip_proto == 0 && t->start_port == 0 && t->end_port == 0xffff)
		return snprintf(buf, len, "%s-%s", a, b);
	return snprintf(buf, len, "%s-%s[%u/%u-%u]", a, b, t->ip_proto,
			t->start_port, t->end_port);
}
