/* test_conf.c — configuration loading: a complete good file parsed into the
 * expected tree, and one table row per bad input that must fail with the
 * right FILE:LINE and no configuration. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agc.h"

static unsigned pass, failed;

static void check(bool ok, const char *fmt, const char *arg)
{
	if (ok) {
		pass++;
		return;
	}
	failed++;
	printf("FAIL: ");
	printf(fmt, arg);
	printf("\n");
}

static const char good[] =
	"# ipsecha-agent test configuration\n"
	"[global]\n"
	"card = sim:/run/ipsi-card.sock\n"
	"interfaces = veth0, veth1\n"
	"xdp_mode = generic\n"
	"control_socket = /run/ipsi-agent.sock\n"
	"keylog = /tmp/ipsi-keys.log\n"
	"log_level = debug\n"
	"retransmit_timeout = 500ms\n"
	"\n"
	"[conn gcm]\n"
	"local = 192.0.2.1\n"
	"remote = 192.0.2.2\n"
	"remote_port = 4500\n"
	"local_id = gw-a.example\n"
	"remote_id = email:peer@example.org\n"
	"psk = \"a secret; with # chars\"\n"
	"ike = aes256gcm16-prfsha256-x25519, aes128-sha256-ecp256\n"
	"esp = aes256gcm16, aes128-sha256-esn\n"
	"local_ts = 10.1.0.0/16, 10.2.0.1-10.2.0.9\n"
	"remote_ts = 10.9.0.0/24[udp/500]\n"
	"esn = both\n"
	"ike_lifetime = 4h\n"
	"ike_rekey = 3h\n"
	"child_lifetime = 1h\n"
	"child_rekey = 50m\n"
	"dpd_interval = 10s\n"
	"dpd_timeout = 60s\n"
	"auto = start\n"
	"mid_sync = yes\n"
	"replay_sync = yes\n"
	"replay_rate = 250000\n"
	"replay_interval = 200ms\n"
	"\n"
	"[conn v6]\n"
	"local = 2001:db8::1\n"
	"remote = %any\n"
	"remote_id = @peer.example\n"
	"psk = 0x00112233445566778899aabbccddeeff\n"
	"ike = aes128-sha256-modp2048\n"
	"esp = aes128gcm16-noesn\n"
	"local_ts = 2001:db8:1::/48\n"
	"remote_ts = 2001:db8:2::/48\n";

static void good_file(void)
{
	struct agc_config *cfg = NULL;
	struct agc_error err;
	int rc = agc_load_string(good, "good.conf", &cfg, &err);
	check(rc == 0 && cfg, "good file loads: %s", err.text);
	if (!cfg)
		return;
	const struct agc_global *g = &cfg->global;
	check(!strcmp(g->card_uri, "sim:/run/ipsi-card.sock") && g->n_ifaces == 2 &&
	      !strcmp(g->ifaces[1], "veth1") && g->xdp_mode == AGC_XDP_GENERIC &&
	      !strcmp(g->keylog, "/tmp/ipsi-keys.log") &&
	      g->log_level == AGC_LOG_DEBUG && g->retransmit_timeout_ms == 500 &&
	      g->ike_port == 500, "%s", "[global] values");
	check(cfg->n_conns == 2, "%s", "two connections");
	const struct agc_conn *c = agc_find_conn(cfg, "gcm");
	check(c && c->line == 11, "%s", "conn gcm found at line 11");
	if (!c)
		goto out;
	const struct sockaddr_in *l = (const void *)&c->local,
				 *r = (const void *)&c->remote;
	check(l->sin_family == AF_INET && ntohs(l->sin_port) == 500 &&
	      ntohs(r->sin_port) == 4500 && ntohl(r->sin_addr.s_addr) == 0xc0000202,
	      "%s", "addresses and ports");
	check(c->local_id.type == AGC_ID_FQDN && c->local_id.len == 12 &&
	      !memcmp(c->local_id.data, "gw-a.example", 12) &&
	      c->remote_id.type == AGC_ID_RFC822_ADDR, "%s", "identities");
	check(c->psk_len == 22 && !memcmp(c->psk, "a secret; with # chars", 22),
	      "%s", "quoted PSK with ';' and '#' kept whole");
	char buf[128];
	ikc_proposal_format(&c->ike[1], buf, sizeof(buf));
	check(c->n_ike == 2 && !strcmp(buf, "aes128-sha256-prfsha256-ecp256"),
	      "ike proposals: %s", buf);
	ikc_proposal_format(&c->esp[0], buf, sizeof(buf));
	check(c->n_esp == 2 && !strcmp(buf, "aes256gcm16-esn-noesn"),
	      "esn = both applied to a proposal without esn keyword: %s", buf);
	ikc_proposal_format(&c->esp[1], buf, sizeof(buf));
	check(!strcmp(buf, "aes128-sha256-esn"), "explicit esn kept: %s", buf);
	check(c->n_local_ts == 2 && c->n_remote_ts == 1 &&
	      c->remote_ts[0].ip_proto == 17 && c->remote_ts[0].start_port == 500 &&
	      c->remote_ts[0].end_port == 500 && c->local_ts[0].end[1] == 1 &&
	      c->local_ts[0].end[2] == 255 && c->local_ts[0].end[3] == 255,
	      "%s", "traffic selectors");
	check(c->ike_lifetime_s == 14400 && c->ike_rekey_s == 10800 &&
	      c->child_rekey_s == 3000 && c->dpd_interval_s == 10 &&
	      c->auto_start && c->ha.mid_sync && c->ha.replay_sync &&
	      c->ha.replay_rate == 250000 && c->ha.replay_interval_ms == 200,
	      "%s", "lifetimes, DPD, auto, RFC 6311 options");
	c = agc_find_conn(cfg, "v6");
	check(c && c->remote_any && c->local.ss_family == AF_INET6 &&
	      c->remote.ss_family == AF_INET6 && c->psk_len == 16 &&
	      c->local_id.type == AGC_ID_IPV6_ADDR &&
	      c->remote_id.type == AGC_ID_FQDN && c->remote_id.len == 12,
	      "%s", "conn v6: %any remote, hex PSK, default local ID");
	check(!agc_find_conn(cfg, "nope"), "%s", "unknown connection: NULL");
out:
	agc_free(cfg);
}

/* A minimal valid connection to append bad lines to. */
#define BASE "[conn c]\nlocal = 192.0.2.1\nremote = 192.0.2.2\n"
#define PSK "psk = secret\n"
#define IKE "ike = aes128-sha256-ecp256\n"
#define ESP "esp = aes128gcm16\n"
#define LTS "local_ts = 10.0.0.0/8\n"
#define RTS "remote_ts = 10.1.0.0/16\n"
/* Full connection: 8 lines; a line appended to it is line 9. */
#define CONN BASE PSK IKE ESP LTS RTS

static const struct {
	const char *text;
	unsigned line;
	const char *msg;
} bad[] = {
	{ "[global]\ncard = pci:0000:01:00.0\n", 2, "card:" },
	{ "[global]\nlog_level = chatty\n", 2, "log_level" },
	{ "[global]\nfoo = 1\n", 2, "unknown key 'foo'" },
	{ "[global]\ncontrol_socket = relative.sock\n", 2, "absolute" },
	{ "[global]\ninterfaces = a, a\n", 2, "duplicate interface" },
	{ "[global]\ninterfaces = averyveryverylongname\n", 2, "bad interface" },
	{ "[global]\nretransmit_timeout = 5ms\n", 2, "retransmit_timeout" },
	{ "[global]\nike_port = 0\n", 2, "ike_port" },
	{ "[global]\n[global]\nlog_level = info\n", 2, "[global] given twice" },
	{ "log_level = info\n", 1, "outside of a section" },
	{ "[globl]\nx = 1\n", 1, "unknown section" },
	{ "[global]\nthis line has no equals sign\n", 2, "syntax error" },
	{ "[conn c]\nremote = 192.0.2.2\n", 1, "has no 'psk'" },
	{ "[conn c]\n", 1, "has no 'remote'" },
	{ CONN "remote = 192.0.2.3\n", 9, "given twice" },
	{ BASE PSK ESP LTS RTS "ike = aes128-md5-modp1024\n", 8, "unknown algorithm 'md5'" },
	{ BASE PSK ESP LTS RTS "ike = aes256gcm16-x25519\n", 8, "explicit prf" },
	{ BASE PSK IKE LTS RTS "esp = aes128-prfsha256\n", 8, "not an ESP algorithm" },
	{ BASE PSK IKE ESP RTS "local_ts = 10.0.0.0/33\n", 8, "bad traffic selector" },
	{ BASE PSK IKE ESP RTS "local_ts = 10.0.0.9-10.0.0.1\n", 8, "bad traffic selector" },
	{ BASE PSK IKE ESP LTS "remote_ts = 10.0.0.0/8[any/80]\n", 8, "bad traffic selector" },
	{ CONN "local_id = email:@nouser\n", 9, "not an identity" },
	{ CONN "local_id = ipv4:2001:db8::1\n", 9, "not an identity" },
	{ BASE IKE ESP LTS RTS "psk = 0x123\n", 8, "psk:" },
	{ CONN "esn = maybe\n", 9, "esn:" },
	{ CONN "dpd_interval = 1500ms\n", 9, "whole seconds" },
	{ CONN "ike_lifetime = 1h\nike_rekey = 2h\n", 1, "must be shorter" },
	{ CONN "child_rekey = 2h\n", 1, "must be shorter" },
	{ CONN "dpd_interval = 60s\ndpd_timeout = 10s\n", 1, "dpd_timeout" },
	{ CONN "replay_sync = yes\n", 1, "needs mid_sync" },
	{ CONN "mid_sync = perhaps\n", 9, "expected yes or no" },
	{ CONN "replay_rate = 0\n", 9, "replay_rate" },
	{ CONN "auto = later\n", 9, "auto:" },
	{ CONN "bogus = 1\n", 9, "unknown key 'bogus' in [conn c]" },
	{ "[conn c]\nlocal = 2001:db8::1\nremote = 192.0.2.2\n" PSK IKE ESP LTS RTS,
	  1, "different families" },
	{ "[conn c]\nremote = %any\n" PSK IKE ESP LTS RTS, 1, "local_id is required" },
	{ BASE "remote = %any\n", 4, "given twice" },
	{ "[conn c]\nlocal = 192.0.2.1\nremote = %any\n" PSK IKE ESP LTS RTS,
	  1, "remote_id is required" },
	{ "[conn c]\nlocal = 192.0.2.1\nremote = %any\nremote_id = @x.example\n"
	  PSK IKE ESP LTS RTS "auto = start\n", 1, "needs a remote address" },
	{ CONN "[conn c]\n", 9, "defined twice" },
	{ "[conn bad/name]\nremote = 192.0.2.2\n", 1, "connection name" },
	{ CONN "[conn d]\nremote = 192.0.2.9\n", 9, "[conn d] has no 'psk'" },
	{ CONN "[conn e]\n", 9, "[conn e] has no 'remote'" },
	{ "[global]\nkeylog = "
	  "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
	  2, "longer than" },
};

static void bad_files(void)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct agc_config *cfg = (struct agc_config *)1;
		struct agc_error err;
		char want[64];
		int rc = agc_load_string(bad[i].text, "t.conf", &cfg, &err);
		snprintf(want, sizeof(want), "t.conf:%u: ", bad[i].line);
		bool ok = rc == -EINVAL && cfg == NULL && err.line == bad[i].line &&
			  !strncmp(err.text, want, strlen(want)) &&
			  strstr(err.text, bad[i].msg);
		if (!ok)
			printf("  row %zu: rc=%d line=%u text='%s' (want line %u, '%s')\n",
			       i, rc, err.line, err.text, bad[i].line, bad[i].msg);
		check(ok, "bad config row: %s", bad[i].msg);
	}
}

static void files(void)
{
	struct agc_config *cfg = NULL;
	struct agc_error err;
	check(agc_load_file("/nonexistent/ipsi.conf", &cfg, &err) == -ENOENT &&
	      !cfg && strstr(err.text, "/nonexistent/ipsi.conf"),
	      "%s", "missing file: -ENOENT with the path in the message");
	char path[] = "/tmp/ipsi-conf-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0 || write(fd, good, sizeof(good) - 1) != (ssize_t)sizeof(good) - 1) {
		check(false, "%s", "temp file");
		return;
	}
	close(fd);
	int rc = agc_load_file(path, &cfg, &err);
	check(rc == 0 && cfg && cfg->n_conns == 2 && !strcmp(cfg->source, path),
	      "load from a file: %s", err.text);
	agc_free(cfg);
	unlink(path);
	/* NUL byte inside. */
	const char nul[] = "[global]\nlog_level = info\0\n";
	FILE *f = fopen(path, "w");
	fwrite(nul, 1, sizeof(nul) - 1, f);
	fclose(f);
	check(agc_load_file(path, &cfg, &err) == -EINVAL && !cfg,
	      "%s", "NUL byte refused");
	unlink(path);
}

static void helpers(void)
{
	struct { const char *in; int rc; const char *out; } ts[] = {
		{ "10.0.0.0/24", 0, "10.0.0.0-10.0.0.255" },
		{ "10.0.0.7", 0, "10.0.0.7" },
		{ "0.0.0.0/0", 0, "0.0.0.0-255.255.255.255" },
		{ "2001:db8::/126[tcp/80-90]", 0, "2001:db8::-2001:db8::3[6/80-90]" },
		{ "10.0.0.0/24[icmp]", 0, "10.0.0.0-10.0.0.255[1]" },
		{ "10.0.0.0/24[", -EINVAL, NULL },
		{ "10.0.0.0/8-10.0.0.1", -EINVAL, NULL },
		{ "300.0.0.0/8", -EINVAL, NULL },
		{ "10.0.0.0/8[udp/90-80]", -EINVAL, NULL },
	};
	for (size_t i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
		struct agc_ts t;
		char buf[128] = "";
		int rc = agc_parse_ts(ts[i].in, &t);
		if (rc == 0)
			agc_format_ts(&t, buf, sizeof(buf));
		check(rc == ts[i].rc && (rc || !strcmp(buf, ts[i].out)),
		      "traffic selector %s", ts[i].in);
	}
	struct { const char *in; int type; const char *out; } ids[] = {
		{ "192.0.2.1", AGC_ID_IPV4_ADDR, "192.0.2.1" },
		{ "2001:db8::9", AGC_ID_IPV6_ADDR, "2001:db8::9" },
		{ "@gw.example", AGC_ID_FQDN, "fqdn:gw.example" },
		{ "gw.example", AGC_ID_FQDN, "fqdn:gw.example" },
		{ "a@b.example", AGC_ID_RFC822_ADDR, "email:a@b.example" },
		{ "fqdn:x@y", AGC_ID_FQDN, "fqdn:x@y" },
		{ "ipv4:10.0.0.1", AGC_ID_IPV4_ADDR, "10.0.0.1" },
		{ "email:a@b@c", 0, NULL },
		{ "has space", 0, NULL },
		{ "", 0, NULL },
	};
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		struct agc_id id;
		char buf[300] = "";
		int rc = agc_parse_id(ids[i].in, &id);
		if (rc == 0)
			agc_format_id(&id, buf, sizeof(buf));
		check(ids[i].type ? rc == 0 && id.type == ids[i].type &&
				    !strcmp(buf, ids[i].out)
				  : rc == -EINVAL,
		      "identity %s", ids[i].in);
	}
}

int main(void)
{
	good_file();
	bad_files();
	files();
	helpers();
	printf("ike-conf: %u passed, %u failed, 0 skipped\n", pass, failed);
	return failed ? 1 : 0;
}
