/* cmd_state.c — `ipsecha state`: state snapshots of the agent (RFC 6311
 * takeover; docs/snapshot.md).
 *
 *   ipsecha state save FILE [--socket PATH] [--json]
 *       the running agent writes its IKE/Child SA state (keys, Message IDs,
 *       capabilities, card counters) to FILE, sealed with the cluster key
 *   ipsecha state show FILE [--key KEYFILE] [--json]
 *       verify and summarise a snapshot (no key material is printed) */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <openssl/crypto.h>

#include "cli.h"
#include "cmd_agent.h"
#include "ha_snap.h"

#define USAGE "usage: ipsecha state save FILE [--socket PATH] [--json]\n" \
	      "       ipsecha state show FILE [--key KEYFILE] [--json]"
#define DEFAULT_KEY "/var/lib/ipsecha/state.key"

/* The agent may run elsewhere in the file system tree (another cwd). */
static int absolute(const char *file, char *out, size_t len)
{
	char dir[PATH_MAX];

	if (file[0] == '/') {
		snprintf(out, len, "%s", file);
		return 0;
	}
	if (!getcwd(dir, sizeof(dir)))
		return -errno;
	if ((size_t)snprintf(out, len, "%s/%s", dir, file) >= len)
		return -ENAMETOOLONG;
	return 0;
}

static int save(int argc, char **argv)
{
	const char *sock = NULL, *file = NULL;
	bool json = false;
	char path[PATH_MAX];
	struct json_object *req, *r;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!strcmp(argv[i], "--socket") && i + 1 < argc)
			sock = argv[++i];
		else if (argv[i][0] != '-' && !file)
			file = argv[i];
		else
			return cli_usage("state save: unexpected '%s'\n%s", argv[i], USAGE);
	}
	if (!file)
		return cli_usage("state save: which FILE?\n%s", USAGE);
	if (absolute(file, path, sizeof(path)))
		return cli_error("state save: %s: path too long", file);
	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("state-save"));
	json_object_object_add(req, "file", json_object_new_string(path));
	if (agent_call(agent_socket(sock), req, 10000, &r))
		return CLI_FAIL;
	if (json) {
		json_object_object_del(r, "ok");
		cli_json_print(r);
		return CLI_OK;
	}
	printf("saved %lld IKE SA(s) to %s (failover epoch %lld%s)\n", agent_jint(r, "records", 0),
	       agent_jstr(r, "file", path), agent_jint(r, "epoch", 0),
	       agent_jint(r, "skipped", 0) ? ", some not established were skipped" : "");
	json_object_put(r);
	return CLI_OK;
}

static void addr(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (ss->ss_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, ip, sizeof(ip));
		port = ntohs(((const struct sockaddr_in *)ss)->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, ip, sizeof(ip));
		port = ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	}
	snprintf(buf, len, ss->ss_family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip, port);
}

static struct json_object *caps_json(uint32_t c)
{
	struct json_object *a = json_object_new_array();

	if (c & 1)
		json_object_array_add(a, json_object_new_string("mid_sync"));
	if (c & 2)
		json_object_array_add(a, json_object_new_string("replay_sync"));
	return a;
}

static const char *caps_str(uint32_t c)
{
	static const char *const s[] = { "none", "mid_sync", "replay_sync", "mid_sync replay_sync" };

	return s[c & 3];
}

static int show(int argc, char **argv)
{
	const char *file = NULL, *keyfile = NULL;
	bool json = false;
	uint8_t key[HS_KEY_LEN];
	struct hs_file_info info;
	struct hs_ike *recs = NULL;
	size_t n = 0;
	int err;
	struct json_object *doc, *arr;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!strcmp(argv[i], "--key") && i + 1 < argc)
			keyfile = argv[++i];
		else if (argv[i][0] != '-' && !file)
			file = argv[i];
		else
			return cli_usage("state show: unexpected '%s'\n%s", argv[i], USAGE);
	}
	if (!file)
		return cli_usage("state show: which FILE?\n%s", USAGE);
	if (!keyfile)
		keyfile = getenv("IPSECHA_STATE_KEY") ? getenv("IPSECHA_STATE_KEY") : DEFAULT_KEY;
	err = hs_key_load(keyfile, false, key);
	if (err)
		return cli_error("state show: key %s: %s", keyfile, hs_strerror(err));
	err = hs_file_read(file, key, &info, &recs, &n);
	OPENSSL_cleanse(key, sizeof(key));
	if (err)
		return cli_error("state show: %s: %s", file, hs_strerror(err));
	doc = json_object_new_object();
	arr = json_object_new_array();
	json_object_object_add(doc, "file", json_object_new_string(file));
	json_object_object_add(doc, "version", json_object_new_int((int)info.version));
	json_object_object_add(doc, "created_ms", json_object_new_int64((int64_t)info.created_ms));
	json_object_object_add(doc, "epoch", cli_json_u64(info.epoch));
	if (!json)
		printf("%s: snapshot v%u, %u IKE SA(s), failover epoch %llu, integrity OK\n", file,
		       info.version, info.n_records, (unsigned long long)info.epoch);
	for (size_t i = 0; i < n; i++) {
		const struct hs_ike *h = &recs[i];
		const struct ike_sa_rec *r = &h->ike;
		struct json_object *o = json_object_new_object(), *kids = json_object_new_array();
		char l[64], rm[64], spi[40];

		addr(&r->local, l, sizeof(l));
		addr(&r->remote, rm, sizeof(rm));
		snprintf(spi, sizeof(spi), "%016llx_i %016llx_r",
			 (unsigned long long)get_be64(r->spi_i), (unsigned long long)get_be64(r->spi_r));
		json_object_object_add(o, "conn", json_object_new_string(r->conn));
		json_object_object_add(o, "spis", json_object_new_string(spi));
		json_object_object_add(o, "role", json_object_new_string(r->initiator ? "initiator" :
										   "responder"));
		json_object_object_add(o, "local", json_object_new_string(l));
		json_object_object_add(o, "remote", json_object_new_string(rm));
		json_object_object_add(o, "mid_send", json_object_new_int64(r->mid_send));
		json_object_object_add(o, "mid_recv", json_object_new_int64(r->mid_recv));
		json_object_object_add(o, "caps", caps_json(r->caps));
		json_object_object_add(o, "snap_epoch", cli_json_u64(h->snap_epoch));
		if (h->have_last_m1)
			json_object_object_add(o, "last_m1", json_object_new_int64(h->last_m1));
		if (!json)
			printf("  %s %s (%s) %s -> %s: next request %u, expecting %u, caps %s\n",
			       r->conn, spi, r->initiator ? "initiator" : "responder", l, rm, r->mid_send,
			       r->mid_recv, caps_str(r->caps));
		for (unsigned k = 0; k < r->n_children; k++) {
			const struct ike_child_rec *c = &r->children[k];
			struct json_object *co = json_object_new_object();
			char si[12], so[12];

			snprintf(si, sizeof(si), "%08x", c->spi_in);
			snprintf(so, sizeof(so), "%08x", c->spi_out);
			json_object_object_add(co, "spi_in", json_object_new_string(si));
			json_object_object_add(co, "spi_out", json_object_new_string(so));
			json_object_object_add(co, "esn", json_object_new_boolean(c->suite.esn == 1));
			if (c->counters_valid) {
				json_object_object_add(co, "tx_seq", cli_json_u64(c->tx_seq));
				json_object_object_add(co, "rx_top", cli_json_u64(c->rx_top));
			}
			json_object_array_add(kids, co);
			if (!json)
				printf("    child %s_i %s_o%s: last out %llu, in top %llu\n", si, so,
				       c->suite.esn == 1 ? " ESN" : "", (unsigned long long)c->tx_seq,
				       (unsigned long long)c->rx_top);
		}
		json_object_object_add(o, "children", kids);
		json_object_array_add(arr, o);
	}
	json_object_object_add(doc, "sas", arr);
	hs_free_records(recs, n);
	if (json)
		cli_json_print(doc);
	else
		json_object_put(doc);
	return CLI_OK;
}

static int state_main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help")) {
		printf("%s\n", USAGE);
		return argc < 2 ? CLI_USAGE : CLI_OK;
	}
	if (!strcmp(argv[1], "save"))
		return save(argc - 2, argv + 2);
	if (!strcmp(argv[1], "show"))
		return show(argc - 2, argv + 2);
	return cli_usage("state: unknown command '%s'\n%s", argv[1], USAGE);
}

CLI_COMMAND(state, "state snapshots of the agent (save, show)", state_main)
