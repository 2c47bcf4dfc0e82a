/* cmd_takeover.c — `ipsecha takeover`: run the RFC 6311 takeover procedure
 * (hold, jump, sync, release) for one IKE SA or all of them.
 *
 *   ipsecha takeover (--ike ID | --all) [--new-epoch | --epoch N]
 *                    [--wait [SECONDS]] [--json] [--socket PATH]
 *
 * --new-epoch declares a new failover event first (a takeover runs once per
 * IKE SA per failover epoch). --wait returns once no takeover is running
 * (default 30 s), and fails if one failed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cmd_agent.h"

#define USAGE "usage: ipsecha takeover (--ike ID | --all) [--new-epoch | --epoch N]\n" \
	      "                        [--wait [SECONDS]] [--json] [--socket PATH]"

static int takeover_main(int argc, char **argv)
{
	const char *sock = NULL;
	bool json = false, all = false, new_epoch = false, wait = false;
	uint32_t ike = 0, wait_s = 30;
	uint64_t epoch = 0;
	struct json_object *req, *r, *st = NULL;
	long long failed0 = 0;

	for (int i = 1; i < argc; i++) {
		const char *o = argv[i];

		if (!strcmp(o, "--json")) {
			json = true;
		} else if (!strcmp(o, "--all")) {
			all = true;
		} else if (!strcmp(o, "--new-epoch")) {
			new_epoch = true;
		} else if (!strcmp(o, "--socket") && i + 1 < argc) {
			sock = argv[++i];
		} else if (!strcmp(o, "--ike") && i + 1 < argc) {
			if (cli_parse_u32(argv[++i], UINT32_MAX, &ike) || !ike)
				return cli_usage("takeover: --ike: not an IKE SA id: '%s'", argv[i]);
		} else if (!strcmp(o, "--epoch") && i + 1 < argc) {
			if (cli_parse_u64(argv[++i], &epoch) || !epoch || epoch > INT64_MAX)
				return cli_usage("takeover: --epoch: not a positive number: '%s'", argv[i]);
		} else if (!strcmp(o, "--wait")) {
			wait = true;
			if (i + 1 < argc && argv[i + 1][0] != '-' &&
			    cli_parse_u32(argv[i + 1], 3600, &wait_s) == 0)
				i++;
		} else if (!strcmp(o, "--help")) {
			printf("%s\n", USAGE);
			return CLI_OK;
		} else {
			return cli_usage("takeover: unexpected '%s'\n%s", o, USAGE);
		}
	}
	if (all == (ike != 0))
		return cli_usage("takeover: give --ike ID or --all\n%s", USAGE);
	if (new_epoch && epoch)
		return cli_usage("takeover: --new-epoch or --epoch, not both");
	if (wait) {
		/* Failures counted before this takeover do not count against it. */
		struct json_object *q = json_object_new_object();

		json_object_object_add(q, "cmd", json_object_new_string("takeover-status"));
		if (agent_call(agent_socket(sock), q, 5000, &st))
			return CLI_FAIL;
		failed0 = agent_jint(st, "failed", 0);
		json_object_put(st);
		st = NULL;
	}
	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("takeover"));
	if (all)
		json_object_object_add(req, "all", json_object_new_boolean(1));
	else
		json_object_object_add(req, "ike", json_object_new_int64(ike));
	if (new_epoch)
		json_object_object_add(req, "new_epoch", json_object_new_boolean(1));
	if (epoch)
		json_object_object_add(req, "epoch", json_object_new_int64((int64_t)epoch));
	if (agent_call(agent_socket(sock), req, 10000, &r))
		return CLI_FAIL;
	if (wait) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };
		int rounds = (int)wait_s * 50;

		for (int k = 0; k <= rounds; k++) {
			struct json_object *q = json_object_new_object();

			json_object_put(st);
			st = NULL;
			json_object_object_add(q, "cmd", json_object_new_string("takeover-status"));
			if (agent_call(agent_socket(sock), q, 5000, &st)) {
				json_object_put(r);
				return CLI_FAIL;
			}
			if (agent_jint(st, "running", 1) == 0)
				break;
			if (k == rounds) {
				json_object_put(r);
				json_object_put(st);
				return cli_error("takeover: still running after %u s", wait_s);
			}
			nanosleep(&ts, NULL);
		}
	}
	if (json) {
		json_object_object_del(r, "ok");
		if (st) {
			json_object_object_add(r, "done", json_object_new_int64(agent_jint(st, "done", 0)));
			json_object_object_add(r, "failed_total",
					       json_object_new_int64(agent_jint(st, "failed", 0)));
			json_object_object_add(r, "running", json_object_new_int64(0));
		}
		cli_json_print(json_object_get(r));
	} else {
		printf("takeover in failover epoch %lld: %lld IKE SA(s) started", agent_jint(r, "epoch", 0),
		       agent_jint(r, "started", 0));
		if (agent_jint(r, "failed", 0))
			printf(", %lld could not start", agent_jint(r, "failed", 0));
		if (st)
			printf("; all finished, %lld failed", agent_jint(st, "failed", 0) - failed0);
		printf("\n");
	}
	{
		int rc = (st && agent_jint(st, "failed", 0) > failed0) || agent_jint(r, "failed", 0) ?
			 CLI_FAIL : CLI_OK;

		json_object_put(r);
		json_object_put(st);
		if (rc)
			fprintf(stderr, "ipsecha: takeover: some IKE SAs failed (see the agent's log)\n");
		return rc;
	}
}

CLI_COMMAND(takeover, "RFC 6311 takeover of IKE SAs (hold, jump, sync, release)", takeover_main)
