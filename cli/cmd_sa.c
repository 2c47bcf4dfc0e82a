/* cmd_sa.c — `ipsecha sa list [--json] [--socket PATH]`: the agent's IKE
 * SAs and their Child SAs. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd_agent.h"

static void secs(const char *what, struct json_object *o, const char *k)
{
	struct json_object *v;

	if (json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_int))
		printf(", %s %llds", what, (long long)json_object_get_int64(v));
}

static void print_ts(struct json_object *arr)
{
	for (size_t i = 0; arr && i < json_object_array_length(arr); i++)
		printf("%s%s", i ? "," : "", json_object_get_string(json_object_array_get_idx(arr, i)));
}

static void print_sa(struct json_object *sa)
{
	struct json_object *kids, *caps, *ts;

	printf("[%lld] %s: %s, %s, %s -> %s%s\n", agent_jint(sa, "id", 0),
	       agent_jstr(sa, "conn", "?"), agent_jstr(sa, "state", "?"),
	       agent_jstr(sa, "role", "?"), agent_jstr(sa, "local", "?"),
	       agent_jstr(sa, "remote", "?"),
	       agent_jbool(sa, "natt") ? (agent_jbool(sa, "nat_local") ? ", NAT-T (we are behind a NAT)" :
					   agent_jbool(sa, "nat_remote") ? ", NAT-T (peer behind a NAT)" :
					   ", NAT-T") : "");
	printf("    %s, SPIs %s_i %s_r, %s <-> %s\n", agent_jstr(sa, "ike", "-"),
	       agent_jstr(sa, "spi_i", "?"), agent_jstr(sa, "spi_r", "?"),
	       agent_jstr(sa, "local_id", "?"), agent_jstr(sa, "remote_id", "?"));
	printf("    message IDs: next send %lld, next receive %lld", agent_jint(sa, "mid_send", 0),
	       agent_jint(sa, "mid_recv", 0));
	if (json_object_object_get_ex(sa, "caps", &caps) && json_object_array_length(caps)) {
		printf(", caps");
		for (size_t i = 0; i < json_object_array_length(caps); i++)
			printf(" %s", json_object_get_string(json_object_array_get_idx(caps, i)));
	}
	secs("age", sa, "age_s");
	secs("rekey in", sa, "rekey_in_s");
	secs("expires in", sa, "expire_in_s");
	printf("\n");
	/* RFC 6311 state (agent/ha), when there is any. */
	if (strcmp(agent_jstr(sa, "sync_summary", "sync: none"), "sync: none"))
		printf("    RFC 6311 %s\n", agent_jstr(sa, "sync_summary", ""));
	if (!json_object_object_get_ex(sa, "children", &kids))
		return;
	for (size_t i = 0; i < json_object_array_length(kids); i++) {
		struct json_object *c = json_object_array_get_idx(kids, i);

		printf("    child %lld: %s, %s, SPIs %s_i %s_o%s\n        ", agent_jint(c, "id", 0),
		       agent_jstr(c, "state", "?"), agent_jstr(c, "esp", "?"),
		       agent_jstr(c, "spi_in", "?"), agent_jstr(c, "spi_out", "?"),
		       agent_jbool(c, "encap") ? ", UDP-encapsulated" : "");
		json_object_object_get_ex(c, "ts_local", &ts);
		print_ts(ts);
		printf(" === ");
		json_object_object_get_ex(c, "ts_remote", &ts);
		print_ts(ts);
		if (agent_jbool(c, "installed")) {
			printf(", card group %lld slots in %lld out %lld", agent_jint(sa, "group", -1),
			       agent_jint(c, "slot_in", -1), agent_jint(c, "slot_out", -1));
			if (agent_jint(c, "tx_next", -1) >= 0)
				printf(" (next out %lld, in top %lld)", agent_jint(c, "tx_next", 0),
				       agent_jint(c, "rx_top", 0));
		}
		secs("age", c, "age_s");
		secs("rekey in", c, "rekey_in_s");
		printf("\n");
	}
}

static int sa_main(int argc, char **argv)
{
	const char *sock = NULL;
	bool json = false;
	struct json_object *req, *r, *sas;

	if (argc < 2 || strcmp(argv[1], "list")) {
		if (argc >= 2 && !strcmp(argv[1], "--help")) {
			printf("usage: ipsecha sa list [--json] [--socket PATH]\n");
			return CLI_OK;
		}
		return cli_usage("usage: ipsecha sa list [--json] [--socket PATH]");
	}
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!strcmp(argv[i], "--socket") && i + 1 < argc)
			sock = argv[++i];
		else
			return cli_usage("sa list: unexpected '%s'", argv[i]);
	}
	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("sa-list"));
	if (agent_call(agent_socket(sock), req, 5000, &r))
		return CLI_FAIL;
	if (!json_object_object_get_ex(r, "sas", &sas) || !json_object_is_type(sas, json_type_array)) {
		json_object_put(r);
		return cli_error("the agent's answer has no SA list");
	}
	if (json) {
		json_object_object_del(r, "ok");
		cli_json_print(r);
		return CLI_OK;
	}
	if (!json_object_array_length(sas))
		printf("no IKE SAs\n");
	for (size_t i = 0; i < json_object_array_length(sas); i++)
		print_sa(json_object_array_get_idx(sas, i));
	json_object_put(r);
	return CLI_OK;
}

CLI_COMMAND(sa, "IKE and Child SAs of the agent (sa list [--json])", sa_main)
