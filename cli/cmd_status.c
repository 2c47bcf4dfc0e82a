/* cmd_status.c — `ipsecha status [--json] [--socket PATH]`: the agent's
 * state in one screen (or its status object as JSON). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd_agent.h"

static long long st(struct json_object *o, const char *k)
{
	return agent_jint(o, k, 0);
}

static int status_main(int argc, char **argv)
{
	const char *sock = NULL;
	bool json = false;
	struct json_object *req = json_object_new_object(), *r, *dp, *s, *x;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "--socket") && i + 1 < argc) {
			sock = argv[++i];
		} else if (!strcmp(argv[i], "--help")) {
			printf("usage: ipsecha status [--json] [--socket PATH]\n");
			json_object_put(req);
			return CLI_OK;
		} else {
			json_object_put(req);
			return cli_usage("status: unexpected '%s' (usage: ipsecha status [--json] [--socket PATH])",
					 argv[i]);
		}
	}
	json_object_object_add(req, "cmd", json_object_new_string("status"));
	if (agent_call(agent_socket(sock), req, 5000, &r))
		return CLI_FAIL;
	if (json) {
		json_object_object_del(r, "ok");
		cli_json_print(r);
		return CLI_OK;
	}
	printf("ipsecha-agent %s, pid %lld, up %lld s, config %s (%lld connection(s))\n",
	       agent_jstr(r, "version", "?"), agent_jint(r, "pid", 0), agent_jint(r, "uptime_s", 0),
	       agent_jstr(r, "config", "?"), agent_jint(r, "connections", 0));
	if (json_object_object_get_ex(r, "dataplane", &dp)) {
		const char *card = agent_jstr(dp, "card", NULL);

		if (card)
			printf("dataplane: card %s%s (%s, %lld slots, %lld groups, epoch %lld)",
			       card, agent_jbool(dp, "embedded") ? " (embedded simulated card)" : "",
			       agent_jstr(dp, "backend", "?"), agent_jint(dp, "num_sa", 0),
			       agent_jint(dp, "num_group", 0), agent_jint(dp, "epoch", 0));
		else
			printf("dataplane: none (IKE only)");
		if (json_object_object_get_ex(dp, "xdp", &x) && json_object_array_length(x)) {
			printf(", XDP on");
			for (size_t i = 0; i < json_object_array_length(x); i++)
				printf(" %s", json_object_get_string(json_object_array_get_idx(x, i)));
		}
		printf("\n");
	}
	printf("IKE SAs: %lld (%lld half-open)\n", agent_jint(r, "ike_sas", 0),
	       agent_jint(r, "half_open", 0));
	if (json_object_object_get_ex(r, "stats", &s)) {
		printf("IKE SAs established %lld, failed %lld, rekeyed %lld, deleted %lld\n",
		       st(s, "ike_established"), st(s, "ike_failed"), st(s, "ike_rekeyed"),
		       st(s, "ike_deleted"));
		printf("Child SAs established %lld, rekeyed %lld, deleted %lld\n",
		       st(s, "child_established"), st(s, "child_rekeyed"), st(s, "child_deleted"));
		printf("messages in %lld, out %lld, retransmitted %lld, answered again %lld\n",
		       st(s, "rx_msgs"), st(s, "tx_msgs"), st(s, "retransmits"), st(s, "resp_retransmits"));
		printf("dropped: malformed %lld, integrity %lld, unknown SA %lld, window %lld, "
		       "rules %lld, held %lld, other %lld\n", st(s, "drop_malformed"),
		       st(s, "drop_auth"), st(s, "drop_no_sa"), st(s, "drop_window"), st(s, "drop_rules"),
		       st(s, "drop_held"), st(s, "drop_other"));
		printf("cookies sent %lld, INVALID_KE sent %lld, keepalives in %lld, dataplane errors %lld\n",
		       st(s, "cookies_sent"), st(s, "invalid_ke_sent"), st(s, "keepalives_rx"),
		       st(s, "dp_errors"));
	}
	json_object_put(r);
	return CLI_OK;
}

CLI_COMMAND(status, "state of the IKE agent (ipsecha-agent)", status_main)
