/* cmd_rekey.c — `ipsecha rekey (--ike ID | --child ID)` and `ipsecha dpd
 * --ike ID`: start a rekey (RFC 7296 §1.3.2/§1.3.3) or a liveness check
 * (§2.4) now instead of waiting for the timers; the exchange runs in the
 * background (watch it with `ipsecha sa list`). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd_agent.h"

static int run(int argc, char **argv, bool dpd)
{
	const char *sock = NULL, *usage = dpd ? "usage: ipsecha dpd --ike ID [--socket PATH]" :
		"usage: ipsecha rekey (--ike ID | --child ID) [--socket PATH]";
	uint32_t ike = 0, child = 0;
	struct json_object *req, *r;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--socket") && i + 1 < argc) {
			sock = argv[++i];
		} else if (!strcmp(argv[i], "--ike") && i + 1 < argc) {
			if (cli_parse_u32(argv[++i], UINT32_MAX, &ike) || !ike)
				return cli_usage("%s: --ike: an IKE SA id (see ipsecha sa list)", argv[0]);
		} else if (!dpd && !strcmp(argv[i], "--child") && i + 1 < argc) {
			if (cli_parse_u32(argv[++i], UINT32_MAX, &child) || !child)
				return cli_usage("rekey: --child: a Child SA id (see ipsecha sa list)");
		} else if (!strcmp(argv[i], "--help")) {
			printf("%s\n", usage);
			return CLI_OK;
		} else {
			return cli_usage("%s: unexpected '%s' (%s)", argv[0], argv[i], usage);
		}
	}
	if (!!ike == !!child && !(dpd && ike))
		return cli_usage("%s", usage);
	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string(dpd ? "dpd" : "rekey"));
	json_object_object_add(req, ike ? "ike" : "child", json_object_new_int64(ike ? ike : child));
	if (agent_call(agent_socket(sock), req, 5000, &r))
		return CLI_FAIL;
	printf("%s of %s %u started\n", dpd ? "liveness check" : "rekey", ike ? "IKE SA" : "Child SA",
	       ike ? ike : child);
	json_object_put(r);
	return CLI_OK;
}

static int rekey_main(int argc, char **argv)
{
	return run(argc, argv, false);
}

static int dpd_main(int argc, char **argv)
{
	return run(argc, argv, true);
}

CLI_COMMAND(rekey, "rekey an IKE SA or a Child SA now", rekey_main)
CLI_COMMAND(dpd, "send a liveness check (DPD) on an IKE SA now", dpd_main)
