/* agc.c — configuration loading and validation on libinih.
 *
 * libinih splits the file into (section, name, value) triples; everything
 * else — which names exist, their syntax, defaults and cross-checks — is
 * here. The whole file is parsed into a private tree and only returned when
 * every check passed, so a bad file changes nothing. */
#include "agc.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>
#include <openssl/crypto.h>

/* ---- the reader: one physical line per call, so we know line numbers -- */

struct ctx;
static int begin_section(struct ctx *c, const char *section, unsigned line);

struct src {
	struct ctx *ctx;
	const char *p, *end;
	unsigned line;            /* line last handed to inih */
	unsigned too_long;        /* first line longer than inih's buffer */
};

static void section_line(struct src *s, const char *line);

static char *reader(char *str, int num, void *stream)
{
	struct src *s = stream;
	if (s->p >= s->end || num < 2)
		return NULL;
	const char *nl = memchr(s->p, '\n', (size_t)(s->end - s->p));
	const char *stop = nl ? nl + 1 : s->end;
	size_t len = (size_t)(stop - s->p);
	s->line++;
	if (len > (size_t)num - 1) {
		/* Hand inih a truncated line but remember: it is an error. */
		if (!s->too_long)
			s->too_long = s->line;
		len = (size_t)num - 2;
		memcpy(str, s->p, len);
		str[len++] = '\n';
	} else {
		memcpy(str, s->p, len);
	}
	str[len] = 0;
	s->p = stop;
	section_line(s, str);
	return str;
}

/* ---- parse context -------------------------------------------------------- */

enum { SEC_NONE, SEC_GLOBAL, SEC_CONN };

/* Which keys were seen in the current section (duplicates are errors). */
#define MAX_KEYS 64

struct ctx {
	const char *name;
	struct src src;
	struct agc_config *cfg;
	struct agc_error *err;
	bool failed;
	char section[AGC_NAME_MAX + 16];
	int sec;
	struct agc_conn *conn;    /* current [conn] */
	bool global_seen;
	const char *seen[MAX_KEYS];
	size_t n_seen;
	/* per-connection presence of required keys */
	bool has_remote, has_psk, has_ike, has_esp, has_lts, has_rts;
	bool has_esn_override;
	uint16_t lport, rport;
};

static void fail(struct ctx *c, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void fail(struct ctx *c, unsigned line, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (c->failed)
		return;  /* keep the first error */
	c->failed = true;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->err->line = line;
	if (line)
		snprintf(c->err->text, sizeof(c->err->text), "%s:%u: %s",
			 c->name, line, msg);
	else
		snprintf(c->err->text, sizeof(c->err->text), "%s: %s", c->name,
			 msg);
}

/* ---- value parsers (0 / -EINVAL) ----------------------------------------- */

static void free_seen(struct ctx *c);

static int parse_bool(const char *v, bool *out)
{
	static const char *yes[] = { "yes", "true", "on", "1" };
	static const char *no[] = { "no", "false", "off", "0" };
	for (size_t i = 0; i < 4; i++) {
		if (!strcasecmp(v, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(v, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_u64(const char *v, uint64_t max, uint64_t *out)
{
	char *end;
	if (!isdigit((unsigned char)*v))
		return -EINVAL;
	errno = 0;
	unsigned long long x = strtoull(v, &end, 10);
	if (errno || *end || x > max)
		return -EINVAL;
	*out = x;
	return 0;
}

static int parse_u32(const char *v, uint32_t max, uint32_t *out)
{
	uint64_t x;
	if (parse_u64(v, max, &x) < 0)
		return -EINVAL;
	*out = (uint32_t)x;
	return 0;
}

/* Durations: a number with an optional unit ms, s (default), m, h, d;
 * the result in `unit_ms` units (1000 for seconds, 1 for milliseconds). */
static int parse_duration(const char *v, uint32_t unit_ms, uint32_t *out)
{
	char *end;
	if (!isdigit((unsigned char)*v))
		return -EINVAL;
	errno = 0;
	unsigned long long x = strtoull(v, &end, 10);
	if (errno)
		return -EINVAL;
	unsigned long long mul;
	if (!*end || !strcmp(end, "s"))
		mul = 1000;
	else if (!strcmp(end, "ms"))
		mul = 1;
	else if (!strcmp(end, "m"))
		mul = 60000;
	else if (!strcmp(end, "h"))
		mul = 3600000;
	else if (!strcmp(end, "d"))
		mul = 86400000;
	else
		return -EINVAL;
	if (x > UINT64_MAX / 1000 / 86400000)
		return -EINVAL;
	unsigned long long ms = x * mul;
	if (ms % unit_ms)
		return -EINVAL;  /* e.g. 1500ms for a value in seconds */
	if (ms / unit_ms > UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)(ms / unit_ms);
	return 0;
}

/* Strip one pair of surrounding double quotes. */
static const char *unquote(const char *v, char *buf, size_t len)
{
	size_t n = strlen(v);
	if (n >= 2 && v[0] == '"' && v[n - 1] == '"' && n - 2 < len) {
		memcpy(buf, v + 1, n - 2);
		buf[n - 2] = 0;
		return buf;
	}
	return v;
}

static int copy_str(const char *v, char *dst, size_t len)
{
	char tmp[AGC_PATH_MAX + 2];
	v = unquote(v, tmp, sizeof(tmp));
	if (strlen(v) >= len)
		return -ENAMETOOLONG;
	strcpy(dst, v);
	return 0;
}

static int parse_addr(const char *v, uint16_t port,
		      struct sockaddr_storage *out)
{
	memset(out, 0, sizeof(*out));
	struct sockaddr_in *a4 = (struct sockaddr_in *)out;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)out;
	if (inet_pton(AF_INET, v, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		return 0;
	}
	if (inet_pton(AF_INET6, v, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		return 0;
	}
	return -EINVAL;
}

static void set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

static bool addr_is_any(const struct sockaddr_storage *ss)
{
	static const uint8_t zero[16];
	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)ss)->sin_addr.s_addr == 0;
	if (ss->ss_family == AF_INET6)
		return !memcmp(&((const struct sockaddr_in6 *)ss)->sin6_addr,
			       zero, 16);
	return true;
}

/* RFC 7296 §3.5. "fqdn:", "email:"/"rfc822:", "ipv4:", "ipv6:" prefixes,
 * or by shape: an address, "user@domain" (RFC822), "@fqdn" or a name with
 * a dot (FQDN). */
int agc_parse_id(const char *s, struct agc_id *out)
{
	memset(out, 0, sizeof(*out));
	if (!s || !*s)
		return -EINVAL;
	uint8_t type = 0;
	const char *v = s;
	struct { const char *pfx; uint8_t type; } pfx[] = {
		{ "fqdn:", AGC_ID_FQDN }, { "email:", AGC_ID_RFC822_ADDR },
		{ "rfc822:", AGC_ID_RFC822_ADDR }, { "ipv4:", AGC_ID_IPV4_ADDR },
		{ "ipv6:", AGC_ID_IPV6_ADDR },
	};
	for (size_t i = 0; i < sizeof(pfx) / sizeof(pfx[0]); i++)
		if (!strncasecmp(s, pfx[i].pfx, strlen(pfx[i].pfx))) {
			type = pfx[i].type;
			v = s + strlen(pfx[i].pfx);
			break;
		}
	uint8_t a[16];
	if ((!type || type == AGC_ID_IPV4_ADDR) && inet_pton(AF_INET, v, a) == 1) {
		out->type = AGC_ID_IPV4_ADDR;
		out->len = 4;
		memcpy(out->data, a, 4);
		return 0;
	}
	if ((!type || type == AGC_ID_IPV6_ADDR) && inet_pton(AF_INET6, v, a) == 1) {
		out->type = AGC_ID_IPV6_ADDR;
		out->len = 16;
		memcpy(out->data, a, 16);
		return 0;
	}
	if (type == AGC_ID_IPV4_ADDR || type == AGC_ID_IPV6_ADDR)
		return -EINVAL;
	if (!type) {
		if (v[0] == '@') {
			type = AGC_ID_FQDN;
			v++;
		} else if (strchr(v, '@')) {
			type = AGC_ID_RFC822_ADDR;
		} else {
			type = AGC_ID_FQDN;
		}
	}
	size_t n = strlen(v);
	if (!n || n > AGC_ID_MAX)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!isgraph((unsigned char)v[i]))
			return -EINVAL;
	if (type == AGC_ID_RFC822_ADDR) {
		const char *at = strchr(v, '@');
		if (!at || at == v || !at[1] || strchr(at + 1, '@'))
			return -EINVAL;
	}
	out->type = type;
	out->len = (uint8_t)n;
	memcpy(out->data, v, n);
	return 0;
}

int agc_format_id(const struct agc_id *id, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	switch (id->type) {
	case AGC_ID_IPV4_ADDR:
		inet_ntop(AF_INET, id->data, a, sizeof(a));
		return snprintf(buf, len, "%s", a);
	case AGC_ID_IPV6_ADDR:
		inet_ntop(AF_INET6, id->data, a, sizeof(a));
		return snprintf(buf, len, "%s", a);
	case AGC_ID_FQDN:
		return snprintf(buf, len, "fqdn:%.*s", id->len, id->data);
	case AGC_ID_RFC822_ADDR:
		return snprintf(buf, len, "email:%.*s", id->len, id->data);
	}
	return -EINVAL;
}

bool agc_id_equal(const struct agc_id *a, const struct agc_id *b)
{
	return a->type == b->type && a->len == b->len &&
	       !memcmp(a->data, b->data, a->len);
}

static void mask_prefix(uint8_t *start, uint8_t *end, size_t alen,
			unsigned plen)
{
	for (size_t i = 0; i < alen; i++) {
		unsigned bits = plen > i * 8 ? plen - (unsigned)i * 8 : 0;
		uint8_t m = bits >= 8 ? 0xff : (uint8_t)(0xff00 >> bits);
		start[i] &= m;
		end[i] = start[i] | (uint8_t)~m;
	}
}

static int parse_proto(const char *p, uint8_t *out)
{
	if (!strcasecmp(p, "any") || !*p) {
		*out = 0;
		return 0;
	}
	if (!strcasecmp(p, "tcp")) {
		*out = 6;
		return 0;
	}
	if (!strcasecmp(p, "udp")) {
		*out = 17;
		return 0;
	}
	if (!strcasecmp(p, "icmp")) {
		*out = 1;
		return 0;
	}
	if (!strcasecmp(p, "ipv6-icmp") || !strcasecmp(p, "icmp6")) {
		*out = 58;
		return 0;
	}
	uint32_t x;
	if (parse_u32(p, 255, &x) < 0)
		return -EINVAL;
	*out = (uint8_t)x;
	return 0;
}

/* "ADDR/LEN", "ADDR-ADDR", "ADDR", each optionally followed by
 * "[PROTO]", "[PROTO/PORT]" or "[PROTO/PORT-PORT]". */
int agc_parse_ts(const char *s, struct agc_ts *out)
{
	char buf[128], *sel = NULL;
	memset(out, 0, sizeof(*out));
	out->end_port = 65535;
	if (!s || strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	char *br = strchr(buf, '[');
	if (br) {
		size_t n = strlen(br);
		if (br[n - 1] != ']')
			return -EINVAL;
		br[n - 1] = 0;
		*br = 0;
		sel = br + 1;
	}
	int fam = strchr(buf, ':') ? AF_INET6 : AF_INET;
	size_t alen = fam == AF_INET ? 4 : 16;
	out->type = fam == AF_INET ? 7 : 8;
	char *slash = strchr(buf, '/'), *dash = strchr(buf, '-');
	if (slash && dash)
		return -EINVAL;
	if (slash) {
		*slash = 0;
		uint32_t plen;
		if (parse_u32(slash + 1, (uint32_t)alen * 8, &plen) < 0 ||
		    inet_pton(fam, buf, out->start) != 1)
			return -EINVAL;
		mask_prefix(out->start, out->end, alen, plen);
	} else if (dash) {
		*dash = 0;
		if (inet_pton(fam, buf, out->start) != 1 ||
		    inet_pton(fam, dash + 1, out->end) != 1 ||
		    memcmp(out->start, out->end, alen) > 0)
			return -EINVAL;
	} else {
		if (inet_pton(fam, buf, out->start) != 1)
			return -EINVAL;
		memcpy(out->end, out->start, alen);
	}
	if (sel) {
		char *ps = strchr(sel, '/');
		if (ps)
			*ps++ = 0;
		if (parse_proto(sel, &out->ip_proto) < 0)
			return -EINVAL;
		if (ps && *ps) {
			/* RFC 7296 §3.13.1: ports only mean something for
			 * protocols that have them. */
			if (out->ip_proto == 0)
				return -EINVAL;
			char *pd = strchr(ps, '-');
			uint32_t lo, hi;
			if (pd)
				*pd++ = 0;
			if (parse_u32(ps, 65535, &lo) < 0 ||
			    parse_u32(pd ? pd : ps, 65535, &hi) < 0 || lo > hi)
				return -EINVAL;
			out->start_port = (uint16_t)lo;
			out->end_port = (uint16_t)hi;
		}
	}
	return 0;
}

int agc_format_ts(const struct agc_ts *ts, char *buf, size_t len)
{
	int fam = ts->type == 7 ? AF_INET : AF_INET6;
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN], sel[40] = "";
	if (ts->type != 7 && ts->type != 8)
		return -EINVAL;
	inet_ntop(fam, ts->start, a, sizeof(a));
	inet_ntop(fam, ts->end, b, sizeof(b));
	if (ts->ip_proto || ts->start_port || ts->end_port != 65535) {
		if (ts->start_port == 0 && ts->end_port == 65535)
			snprintf(sel, sizeof(sel), "[%u]", ts->ip_proto);
		else if (ts->start_port == ts->end_port)
			snprintf(sel, sizeof(sel), "[%u/%u]", ts->ip_proto,
				 ts->start_port);
		else
			snprintf(sel, sizeof(sel), "[%u/%u-%u]", ts->ip_proto,
				 ts->start_port, ts->end_port);
	}
	if (!strcmp(a, b))
		return snprintf(buf, len, "%s%s", a, sel);
	return snprintf(buf, len, "%s-%s%s", a, b, sel);
}

/* PSK: "0x<hex>" or a string (quotes optional and stripped). */
static int parse_psk(const char *v, uint8_t *out, size_t *len)
{
	char tmp[AGC_PSK_MAX + 2];
	size_t n = strlen(v);
	if (n > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
		const char *h = v + 2;
		n -= 2;
		if (n % 2 || n / 2 > AGC_PSK_MAX)
			return -EINVAL;
		for (size_t i = 0; i < n / 2; i++) {
			unsigned x;
			if (!isxdigit((unsigned char)h[2 * i]) ||
			    !isxdigit((unsigned char)h[2 * i + 1]) ||
			    sscanf(h + 2 * i, "%2x", &x) != 1)
				return -EINVAL;
			out[i] = (uint8_t)x;
		}
		*len = n / 2;
		return 0;
	}
	v = unquote(v, tmp, sizeof(tmp));
	n = strlen(v);
	if (!n || n > AGC_PSK_MAX)
		return -EINVAL;
	memcpy(out, v, n);
	*len = n;
	OPENSSL_cleanse(tmp, sizeof(tmp));
	return 0;
}

/* Split a comma list, trimming blanks; calls fn per element. */
static int for_list(const char *v, int (*fn)(const char *elem, void *arg),
		    void *arg)
{
	char buf[256];
	const char *cur = v;
	for (;;) {
		const char *comma = strchr(cur, ',');
		size_t n = comma ? (size_t)(comma - cur) : strlen(cur);
		while (n && isspace((unsigned char)*cur))
			cur++, n--;
		while (n && isspace((unsigned char)cur[n - 1]))
			n--;
		if (!n || n >= sizeof(buf))
			return -EINVAL;
		memcpy(buf, cur, n);
		buf[n] = 0;
		int rc = fn(buf, arg);
		if (rc < 0)
			return rc;
		if (!comma)
			return 0;
		cur = comma + 1;
	}
}

struct ts_list {
	struct agc_ts *ts;
	size_t *n;
};

static int add_ts(const char *e, void *arg)
{
	struct ts_list *l = arg;
	if (*l->n >= AGC_MAX_TS)
		return -ENOSPC;
	if (agc_parse_ts(e, &l->ts[*l->n]) < 0)
		return -EINVAL;
	(*l->n)++;
	return 0;
}

static int add_iface(const char *e, void *arg)
{
	struct agc_global *g = arg;
	if (g->n_ifaces >= AGC_MAX_IFACES)
		return -ENOSPC;
	if (strlen(e) >= AGC_IFNAME_MAX || strchr(e, '/') || !strcmp(e, ".") ||
	    !strcmp(e, ".."))
		return -EINVAL;
	for (size_t i = 0; i < g->n_ifaces; i++)
		if (!strcmp(g->ifaces[i], e))
			return -EEXIST;
	strcpy(g->ifaces[g->n_ifaces++], e);
	return 0;
}

/* ---- sections ------------------------------------------------------------- */

static void defaults_global(struct agc_global *g)
{
	memset(g, 0, sizeof(*g));
	strcpy(g->control_socket, "/run/ipsecha/agent.sock");
	g->log_level = AGC_LOG_INFO;
	g->ike_port = 500;
	g->natt_port = 4500;
	g->cookie_threshold = 100;
	g->retransmit_timeout_ms = 2000;
	g->retransmit_tries = 5;
	g->retransmit_base = 1.8;
	g->xdp_mode = AGC_XDP_NATIVE;
}

static void defaults_conn(struct agc_conn *c)
{
	memset(c, 0, sizeof(*c));
	c->ike_lifetime_s = 4 * 3600;
	c->ike_rekey_s = 3 * 3600 + 1800;
	c->child_lifetime_s = 3600;
	c->child_rekey_s = 3000;
	c->dpd_interval_s = 30;
	c->dpd_timeout_s = 150;
	c->esn = AGC_ESN_NO;
	c->initial_contact = true;
	c->ha.replay_rate = 100000;
	c->ha.replay_interval_ms = 1000;
	c->ha.mid_margin = 16;
}

static int global_key(struct ctx *c, const char *k, const char *v,
		      unsigned line)
{
	struct agc_global *g = &c->cfg->global;
	uint32_t u;
	if (!strcmp(k, "card")) {
		char tmp[AGC_PATH_MAX];
		if (copy_str(v, tmp, sizeof(tmp)) < 0)
			goto toolong;
		if (*tmp && strncmp(tmp, "sim:", 4) && strncmp(tmp, "vfio:", 5)) {
			fail(c, line, "card: expected sim:SOCKET or vfio:BDF, "
			     "got '%s'", tmp);
			return 0;
		}
		strcpy(g->card_uri, tmp);
	} else if (!strcmp(k, "interfaces")) {
		int rc = for_list(v, add_iface, g);
		if (rc < 0)
			fail(c, line, "interfaces: %s in '%s'",
			     rc == -ENOSPC ? "too many interfaces (max 8)" :
			     rc == -EEXIST ? "duplicate interface" :
			     "bad interface name", v);
	} else if (!strcmp(k, "xdp_mode")) {
		if (!strcmp(v, "native"))
			g->xdp_mode = AGC_XDP_NATIVE;
		else if (!strcmp(v, "generic"))
			g->xdp_mode = AGC_XDP_GENERIC;
		else
			fail(c, line, "xdp_mode: expected native or generic");
	} else if (!strcmp(k, "control_socket")) {
		if (copy_str(v, g->control_socket, sizeof(g->control_socket)) < 0)
			goto toolong;
		if (g->control_socket[0] != '/')
			fail(c, line, "control_socket: must be an absolute path");
		else if (strlen(g->control_socket) >= 108)
			fail(c, line, "control_socket: longer than a UNIX "
			     "socket path may be (107)");
	} else if (!strcmp(k, "keylog")) {
		if (copy_str(v, g->keylog, sizeof(g->keylog)) < 0)
			goto toolong;
	} else if (!strcmp(k, "log_level")) {
		static const char *lv[] = { "error", "warn", "info", "debug" };
		size_t i;
		for (i = 0; i < 4 && strcmp(v, lv[i]); i++)
			;
		if (i == 4)
			fail(c, line, "log_level: expected error, warn, info or "
			     "debug");
		else
			g->log_level = (enum agc_log_level)i;
	} else if (!strcmp(k, "ike_port") || !strcmp(k, "natt_port")) {
		if (parse_u32(v, 65535, &u) < 0 || u == 0)
			fail(c, line, "%s: expected a port 1..65535", k);
		else if (k[0] == 'i')
			g->ike_port = (uint16_t)u;
		else
			g->natt_port = (uint16_t)u;
	} else if (!strcmp(k, "cookie_threshold")) {
		if (parse_u32(v, 1000000, &g->cookie_threshold) < 0)
			fail(c, line, "cookie_threshold: expected 0..1000000");
	} else if (!strcmp(k, "retransmit_timeout")) {
		if (parse_duration(v, 1, &g->retransmit_timeout_ms) < 0 ||
		    g->retransmit_timeout_ms < 10 ||
		    g->retransmit_timeout_ms > 600000)
			fail(c, line, "retransmit_timeout: expected a duration "
			     "10ms..600s");
	} else if (!strcmp(k, "retransmit_tries")) {
		if (parse_u32(v, 100, &g->retransmit_tries) < 0 ||
		    !g->retransmit_tries)
			fail(c, line, "retransmit_tries: expected 1..100");
	} else if (!strcmp(k, "retransmit_base")) {
		char *end;
		double d = strtod(v, &end);
		if (*end || !(d >= 1.0 && d <= 10.0))
			fail(c, line, "retransmit_base: expected 1.0..10.0");
		else
			g->retransmit_base = d;
	} else {
		fail(c, line, "unknown key '%s' in [global]", k);
	}
	return 0;
toolong:
	fail(c, line, "%s: value too long", k);
	return 0;
}

static int conn_key(struct ctx *c, const char *k, const char *v,
		    unsigned line)
{
	struct agc_conn *cn = c->conn;
	char err[160];
	uint32_t u;
	bool b;

	if (!strcmp(k, "local") || !strcmp(k, "remote")) {
		struct sockaddr_storage *ss = k[0] == 'l' ? &cn->local : &cn->remote;
		if (k[0] == 'r' && (!strcmp(v, "%any") || !strcmp(v, "any"))) {
			cn->remote_any = true;
			c->has_remote = true;
			return 0;
		}
		if (parse_addr(v, 0, ss) < 0) {
			fail(c, line, "%s: '%s' is not an IPv4/IPv6 address", k, v);
			return 0;
		}
		if (k[0] == 'r')
			c->has_remote = true;
	} else if (!strcmp(k, "local_port") || !strcmp(k, "remote_port")) {
		if (parse_u32(v, 65535, &u) < 0 || !u) {
			fail(c, line, "%s: expected a port 1..65535", k);
			return 0;
		}
		if (k[0] == 'l')
			c->lport = (uint16_t)u;
		else
			c->rport = (uint16_t)u;
	} else if (!strcmp(k, "local_id") || !strcmp(k, "remote_id")) {
		char tmp[AGC_ID_MAX + 3];
		if (agc_parse_id(unquote(v, tmp, sizeof(tmp)),
				 k[0] == 'l' ? &cn->local_id : &cn->remote_id) < 0)
			fail(c, line, "%s: '%s' is not an identity (fqdn:NAME, "
			     "email:USER@DOMAIN, an IPv4 or IPv6 address)", k, v);
	} else if (!strcmp(k, "psk")) {
		if (parse_psk(v, cn->psk, &cn->psk_len) < 0)
			fail(c, line, "psk: expected a string of 1..%d octets or "
			     "0x followed by an even number of hex digits",
			     AGC_PSK_MAX);
		else
			c->has_psk = true;
	} else if (!strcmp(k, "ike") || !strcmp(k, "esp")) {
		bool ike = k[0] == 'i';
		int rc = ikc_proposals_parse(v, ike ? IKC_PROTO_IKE : IKC_PROTO_ESP,
					     ike ? cn->ike : cn->esp,
					     AGC_MAX_PROPOSALS,
					     ike ? &cn->n_ike : &cn->n_esp,
					     err, sizeof(err));
		if (rc < 0)
			fail(c, line, "%s: %s", k, err);
		else if (ike)
			c->has_ike = true;
		else
			c->has_esp = true;
	} else if (!strcmp(k, "local_ts") || !strcmp(k, "remote_ts")) {
		bool l = k[0] == 'l';
		struct ts_list tl = { l ? cn->local_ts : cn->remote_ts,
				      l ? &cn->n_local_ts : &cn->n_remote_ts };
		*tl.n = 0;
		int rc = for_list(v, add_ts, &tl);
		if (rc < 0)
			fail(c, line, "%s: %s in '%s'", k,
			     rc == -ENOSPC ? "more than 8 selectors" :
			     "bad traffic selector (ADDR/LEN, ADDR-ADDR or ADDR, "
			     "optionally [PROTO/PORT])", v);
		else if (l)
			c->has_lts = true;
		else
			c->has_rts = true;
	} else if (!strcmp(k, "esn")) {
		if (!strcmp(v, "yes"))
			cn->esn = AGC_ESN_YES;
		else if (!strcmp(v, "no"))
			cn->esn = AGC_ESN_NO;
		else if (!strcmp(v, "both"))
			cn->esn = AGC_ESN_BOTH;
		else
			fail(c, line, "esn: expected yes, no or both");
		c->has_esn_override = true;
	} else if (!strcmp(k, "ike_lifetime") || !strcmp(k, "ike_rekey") ||
		   !strcmp(k, "child_lifetime") || !strcmp(k, "child_rekey") ||
		   !strcmp(k, "dpd_interval") || !strcmp(k, "dpd_timeout")) {
		uint32_t *dst = !strcmp(k, "ike_lifetime") ? &cn->ike_lifetime_s :
				!strcmp(k, "ike_rekey") ? &cn->ike_rekey_s :
				!strcmp(k, "child_lifetime") ? &cn->child_lifetime_s :
				!strcmp(k, "child_rekey") ? &cn->child_rekey_s :
				!strcmp(k, "dpd_interval") ? &cn->dpd_interval_s :
				&cn->dpd_timeout_s;
		if (parse_duration(v, 1000, dst) < 0)
			fail(c, line, "%s: expected a duration in whole seconds "
			     "(e.g. 30s, 10m, 4h)", k);
	} else if (!strcmp(k, "child_life_packets")) {
		if (parse_u64(v, UINT64_MAX, &cn->child_life_packets) < 0)
			fail(c, line, "child_life_packets: expected a number");
	} else if (!strcmp(k, "auto")) {
		if (!strcmp(v, "start"))
			cn->auto_start = true;
		else if (!strcmp(v, "none") || !strcmp(v, "add"))
			cn->auto_start = false;
		else
			fail(c, line, "auto: expected start or none");
	} else if (!strcmp(k, "encap") || !strcmp(k, "initial_contact") ||
		   !strcmp(k, "mid_sync") || !strcmp(k, "replay_sync")) {
		if (parse_bool(v, &b) < 0) {
			fail(c, line, "%s: expected yes or no", k);
			return 0;
		}
		if (!strcmp(k, "encap"))
			cn->encap = b;
		else if (!strcmp(k, "initial_contact"))
			cn->initial_contact = b;
		else if (!strcmp(k, "mid_sync"))
			cn->ha.mid_sync = b;
		else
			cn->ha.replay_sync = b;
	} else if (!strcmp(k, "replay_rate")) {
		if (parse_u64(v, UINT64_C(1) << 40, &cn->ha.replay_rate) < 0 ||
		    !cn->ha.replay_rate)
			fail(c, line, "replay_rate: expected packets per second "
			     "1..2^40");
	} else if (!strcmp(k, "replay_interval")) {
		if (parse_duration(v, 1, &cn->ha.replay_interval_ms) < 0 ||
		    !cn->ha.replay_interval_ms ||
		    cn->ha.replay_interval_ms > 3600000)
			fail(c, line, "replay_interval: expected a duration "
			     "1ms..1h");
	} else if (!strcmp(k, "mid_margin")) {
		if (parse_u32(v, 1u << 20, &cn->ha.mid_margin) < 0)
			fail(c, line, "mid_margin: expected 0..1048576");
	} else {
		fail(c, line, "unknown key '%s' in [conn %s]", k, cn->name);
	}
	return 0;
}

/* Cross-checks of one connection, at its header line. */
static void finish_conn(struct ctx *c)
{
	struct agc_conn *cn = c->conn;
	if (!cn || c->failed)
		return;
	unsigned line = cn->line;
	const char *miss = !c->has_remote ? "remote" : !c->has_psk ? "psk" :
			   !c->has_ike ? "ike" : !c->has_esp ? "esp" :
			   !c->has_lts ? "local_ts" : !c->has_rts ? "remote_ts" :
			   NULL;
	if (miss) {
		fail(c, line, "[conn %s] has no '%s'", cn->name, miss);
		return;
	}
	/* Ports default to the global IKE port; a family-less local takes the
	 * remote's family as "any address". */
	uint16_t lport = c->lport, rport = c->rport;
	if (!lport)
		lport = c->cfg->global.ike_port;
	if (!rport)
		rport = c->cfg->global.ike_port;
	if (cn->remote_any) {
		int fam = cn->local.ss_family ? cn->local.ss_family : AF_INET;
		memset(&cn->remote, 0, sizeof(cn->remote));
		cn->remote.ss_family = (sa_family_t)fam;
	}
	if (!cn->local.ss_family || (cn->local.ss_family != AF_INET &&
				     cn->local.ss_family != AF_INET6)) {
		int fam = cn->remote.ss_family;
		memset(&cn->local, 0, sizeof(cn->local));
		cn->local.ss_family = (sa_family_t)fam;
	}
	set_port(&cn->local, lport);
	set_port(&cn->remote, rport);
	if (cn->local.ss_family != cn->remote.ss_family) {
		fail(c, line, "[conn %s]: local and remote addresses are of "
		     "different families", cn->name);
		return;
	}
	if (cn->remote_any && cn->auto_start) {
		fail(c, line, "[conn %s]: auto = start needs a remote address",
		     cn->name);
		return;
	}
	/* Default identities: the addresses (RFC 7296 §3.5 ID_IPV4/6_ADDR). */
	struct { struct agc_id *id; struct sockaddr_storage *ss; bool any;
		 const char *what; } ids[] = {
		{ &cn->local_id, &cn->local, addr_is_any(&cn->local), "local" },
		{ &cn->remote_id, &cn->remote, cn->remote_any, "remote" },
	};
	for (size_t i = 0; i < 2; i++) {
		if (ids[i].id->type)
			continue;
		if (ids[i].any) {
			fail(c, line, "[conn %s]: %s_id is required when the "
			     "%s address is not given", cn->name, ids[i].what,
			     ids[i].what);
			return;
		}
		if (ids[i].ss->ss_family == AF_INET) {
			ids[i].id->type = AGC_ID_IPV4_ADDR;
			ids[i].id->len = 4;
			memcpy(ids[i].id->data,
			       &((struct sockaddr_in *)ids[i].ss)->sin_addr, 4);
		} else {
			ids[i].id->type = AGC_ID_IPV6_ADDR;
			ids[i].id->len = 16;
			memcpy(ids[i].id->data,
			       &((struct sockaddr_in6 *)ids[i].ss)->sin6_addr, 16);
		}
	}
	/* RFC 7296 §2.8: rekey before the hard lifetime. */
	if (cn->ike_rekey_s >= cn->ike_lifetime_s) {
		fail(c, line, "[conn %s]: ike_rekey (%us) must be shorter than "
		     "ike_lifetime (%us)", cn->name, cn->ike_rekey_s,
		     cn->ike_lifetime_s);
		return;
	}
	if (cn->child_rekey_s >= cn->child_lifetime_s) {
		fail(c, line, "[conn %s]: child_rekey (%us) must be shorter than "
		     "child_lifetime (%us)", cn->name, cn->child_rekey_s,
		     cn->child_lifetime_s);
		return;
	}
	if (cn->dpd_interval_s && cn->dpd_timeout_s &&
	    cn->dpd_timeout_s < cn->dpd_interval_s) {
		fail(c, line, "[conn %s]: dpd_timeout must not be shorter than "
		     "dpd_interval", cn->name);
		return;
	}
	/* ESN: proposals without an explicit esn/noesn keyword get the
	 * connection's setting (the parser inserted "noesn"). */
	if (c->has_esn_override)
		for (size_t i = 0; i < cn->n_esp; i++) {
			struct ikc_proposal *p = &cn->esp[i];
			size_t n_esn = 0;
			for (size_t j = 0; j < p->n_xf; j++)
				n_esn += p->xf[j].type == IKC_XF_ESN;
			if (n_esn != 1 ||
			    !ikc_proposal_has(p, IKC_XF_ESN, IKC_ESN_NO, 0))
				continue;  /* explicit keyword(s) win */
			size_t w = 0;
			for (size_t j = 0; j < p->n_xf; j++)
				if (p->xf[j].type != IKC_XF_ESN)
					p->xf[w++] = p->xf[j];
			p->n_xf = (uint8_t)w;
			if (cn->esn != AGC_ESN_NO && p->n_xf < IKC_MAX_XF)
				p->xf[p->n_xf++] = (struct ikc_transform){
					IKC_XF_ESN, IKC_ESN_YES, 0 };
			if (cn->esn != AGC_ESN_YES && p->n_xf < IKC_MAX_XF)
				p->xf[p->n_xf++] = (struct ikc_transform){
					IKC_XF_ESN, IKC_ESN_NO, 0 };
		}
	/* RFC 6311: replay-counter sync needs the Message ID sync exchange
	 * to carry it. */
	if (cn->ha.replay_sync && !cn->ha.mid_sync) {
		fail(c, line, "[conn %s]: replay_sync = yes needs mid_sync = yes "
		     "(RFC 6311 §4: the replay counter notify travels in the "
		     "sync exchange)", cn->name);
		return;
	}
}

static int begin_section(struct ctx *c, const char *section, unsigned line)
{
	if (c->sec == SEC_CONN)
		finish_conn(c);
	free_seen(c);
	c->has_remote = c->has_psk = c->has_ike = c->has_esp = false;
	c->has_lts = c->has_rts = c->has_esn_override = false;
	c->lport = c->rport = 0;
	snprintf(c->section, sizeof(c->section), "%s", section);
	if (!strcmp(section, "global")) {
		if (c->global_seen) {
			fail(c, line, "[global] given twice");
			return 0;
		}
		c->global_seen = true;
		c->sec = SEC_GLOBAL;
		c->conn = NULL;
		return 1;
	}
	if (!strncmp(section, "conn ", 5)) {
		const char *name = section + 5;
		size_t n = strlen(name);
		if (!n || n >= AGC_NAME_MAX) {
			fail(c, line, "connection name must be 1..%d characters",
			     AGC_NAME_MAX - 1);
			return 0;
		}
		for (size_t i = 0; i < n; i++)
			if (!isalnum((unsigned char)name[i]) && !strchr("-_.", name[i])) {
				fail(c, line, "connection name '%s': use letters, "
				     "digits, '-', '_' and '.'", name);
				return 0;
			}
		for (size_t i = 0; i < c->cfg->n_conns; i++)
			if (!strcmp(c->cfg->conns[i].name, name)) {
				fail(c, line, "connection '%s' defined twice "
				     "(first at line %u)", name,
				     c->cfg->conns[i].line);
				return 0;
			}
		struct agc_conn *nc = realloc(c->cfg->conns,
			(c->cfg->n_conns + 1) * sizeof(*nc));
		if (!nc) {
			fail(c, line, "out of memory");
			return 0;
		}
		c->cfg->conns = nc;
		c->conn = &nc[c->cfg->n_conns++];
		defaults_conn(c->conn);
		strcpy(c->conn->name, name);
		c->conn->line = line;
		c->sec = SEC_CONN;
		return 1;
	}
	fail(c, line, "unknown section [%s] (expected [global] or [conn NAME])",
	     section);
	return 0;
}

static int handler(void *user, const char *section, const char *name,
		   const char *value)
{
	struct ctx *c = user;
	unsigned line = c->src.line;

	if (c->failed)
		return 0;
	if (c->src.too_long == line) {
		fail(c, line, "line longer than %d characters", ini_max_line - 3);
		return 0;
	}
	if (!*section) {
		fail(c, line, "'%s' outside of a section", name);
		return 0;
	}
	if (strcmp(section, c->section) && !begin_section(c, section, line))
		return 0;
	for (size_t i = 0; i < c->n_seen; i++)
		if (!strcmp(c->seen[i], name)) {
			fail(c, line, "'%s' given twice in [%s]", name, section);
			return 0;
		}
	if (!value || !*value) {
		fail(c, line, "'%s' has no value", name);
		return 0;
	}
	if (c->sec == SEC_GLOBAL)
		global_key(c, name, value, line);
	else
		conn_key(c, name, value, line);
	/* remember the key (names point into a static table of known keys
	 * would be nicer; a copy is simpler and sections are short) */
	if (!c->failed && c->n_seen < MAX_KEYS) {
		c->seen[c->n_seen] = strdup(name);
		if (c->seen[c->n_seen])
			c->n_seen++;
	}
	return !c->failed;
}

/* A "[section]" line starts its section here, in file order, so that a
 * section without keys (which never reaches the handler) is still checked
 * and numbered. Same trimming rules as libinih. */
static void section_line(struct src *s, const char *line)
{
	struct ctx *c = s->ctx;
	char name[AGC_NAME_MAX + 16];

	while (isspace((unsigned char)*line))
		line++;
	if (*line != '[' || c->failed)
		return;
	const char *end = strchr(line, ']');
	if (!end)
		return;  /* libinih reports the syntax error */
	size_t n = (size_t)(end - line - 1);
	const char *p = line + 1;
	while (n && isspace((unsigned char)*p))
		p++, n--;
	while (n && isspace((unsigned char)p[n - 1]))
		n--;
	if (n >= sizeof(name)) {
		fail(c, s->line, "section name too long");
		return;
	}
	memcpy(name, p, n);
	name[n] = 0;
	begin_section(c, name, s->line);
}

static void free_seen(struct ctx *c)
{
	for (size_t i = 0; i < c->n_seen; i++)
		free((void *)c->seen[i]);
	c->n_seen = 0;
}

void agc_free(struct agc_config *cfg)
{
	if (!cfg)
		return;
	if (cfg->conns) {
		OPENSSL_cleanse(cfg->conns, cfg->n_conns * sizeof(*cfg->conns));
		free(cfg->conns);
	}
	OPENSSL_cleanse(cfg, sizeof(*cfg));
	free(cfg);
}

const struct agc_conn *agc_find_conn(const struct agc_config *cfg,
				     const char *name)
{
	for (size_t i = 0; cfg && name && i < cfg->n_conns; i++)
		if (!strcmp(cfg->conns[i].name, name))
			return &cfg->conns[i];
	return NULL;
}

static int parse(const char *text, size_t len, const char *name,
		 struct agc_config **out, struct agc_error *err)
{
	struct agc_error dummy;
	if (!err)
		err = &dummy;
	memset(err, 0, sizeof(*err));
	if (!out)
		return -EINVAL;
	*out = NULL;
	if (memchr(text, 0, len)) {
		snprintf(err->text, sizeof(err->text), "%s: contains a NUL byte",
			 name);
		return -EINVAL;
	}
	struct ctx c = { .name = name, .err = err };
	c.src.ctx = &c;
	c.src.p = text;
	c.src.end = text + len;
	c.cfg = calloc(1, sizeof(*c.cfg));
	if (!c.cfg)
		return -ENOMEM;
	snprintf(c.cfg->source, sizeof(c.cfg->source), "%s", name);
	defaults_global(&c.cfg->global);

	/* Process-wide libinih options (see agc.h): no multi-line values, no
	 * inline comments (a PSK may contain ';'), stop at the first error. */
	ini_allow_multiline = false;
	ini_allow_inline_comments = false;
	ini_stop_on_first_error = true;
	int r = ini_parse_stream(reader, &c.src, handler, &c);
	if (!c.failed && r > 0)
		fail(&c, (unsigned)r, "syntax error (expected [section] or "
		     "name = value)");
	else if (!c.failed && r < 0)
		fail(&c, 0, "cannot parse (libinih error %d)", r);
	if (!c.failed && c.sec == SEC_CONN)
		finish_conn(&c);
	free_seen(&c);
	if (c.failed) {
		agc_free(c.cfg);
		return -EINVAL;
	}
	*out = c.cfg;
	return 0;
}

int agc_load_string(const char *text, const char *name,
		    struct agc_config **out, struct agc_error *err)
{
	if (!text)
		return -EINVAL;
	return parse(text, strlen(text), name ? name : "(string)", out, err);
}

int agc_load_file(const char *path, struct agc_config **out,
		  struct agc_error *err)
{
	struct agc_error dummy;
	if (!err)
		err = &dummy;
	memset(err, 0, sizeof(*err));
	if (!path || !out)
		return -EINVAL;
	*out = NULL;
	FILE *f = fopen(path, "re");
	if (!f) {
		int e = errno;
		snprintf(err->text, sizeof(err->text), "%s: %s", path,
			 strerror(e));
		return -e;
	}
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int rc = 0;
	for (;;) {
		if (len + 4096 > cap) {
			if (cap > (1u << 20)) {
				snprintf(err->text, sizeof(err->text),
					 "%s: larger than 1 MiB", path);
				rc = -EFBIG;
				break;
			}
			char *nb = realloc(buf, cap = cap ? 2 * cap : 8192);
			if (!nb) {
				rc = -ENOMEM;
				break;
			}
			buf = nb;
		}
		size_t n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0) {
			if (ferror(f)) {
				rc = -EIO;
				snprintf(err->text, sizeof(err->text),
					 "%s: read error", path);
			}
			break;
		}
	}
	fclose(f);
	if (rc == 0)
		rc = parse(buf, len, path, out, err);
	if (buf) {
		OPENSSL_cleanse(buf, cap);  /* it held the PSKs */
		free(buf);
	}
	return rc;
}
