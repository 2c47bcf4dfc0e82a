/* cmd_initiate.c — `ipsecha initiate CONN [--timeout S] [--no-wait]`: start
 * an IKE SA of a connection and wait until it is established (exit 0) or
 * failed (exit 1). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd_agent.h"

static int initiate_main(int argc, char **argv)
{
	const char *sock = NULL, *conn = NULL;
	uint32_t timeout = 15;
	bool wait = true;
	struct json_object *req, *r;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--socket") && i + 1 < argc) {
			sock = argv[++i];
		} else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) {
			if (cli_parse_u32(argv[++i], 3600, &timeout) || !timeout)
				return cli_usage("initiate: --timeout: 1..3600 seconds");
		} else if (!strcmp(argv[i], "--no-wait")) {
			wait = false;
		} else if (!strcmp(argv[i], "--help")) {
			printf("usage: ipsecha initiate CONN [--timeout S] [--no-wait] [--socket PATH]\n");
			return CLI_OK;
		} else if (argv[i][0] != '-' && !conn) {
			conn = argv[i];
		} else {
			return cli_usage("initiate: unexpected '%s'", argv[i]);
		}
	}
	if (!conn)
		return cli_usage("usage: ipsecha initiate CONN [--timeout S] [--no-wait] [--socket PATH]");
	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("initiate"));
	json_object_object_add(req, "conn", json_object_new_string(conn));
	json_object_object_add(req, "wait_ms", json_object_new_int64(wait ? (int64_t)timeout * 1000 : 0));
	if (agent_call(agent_socket(sock), req, (int)timeout * 1000 + 2000, &r))
		return CLI_FAIL;
	printf("IKE SA %lld of '%s' %s\n", agent_jint(r, "ike", 0), conn,
	       wait ? "established" : "initiating");
	json_object_put(r);
	return CLI_OK;
}

CLI_COMMAND(initiate, "establish an IKE SA of a connection", initiate_main)
