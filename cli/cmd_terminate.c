/* cmd_terminate.c — `ipsecha terminate (CONN | --ike ID)`: delete IKE SAs
 * (with their Child SAs) of a connection, or one by id. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd_agent.h"

static int terminate_main(int argc, char **argv)
{
	const char *sock = NULL, *conn = NULL;
	uint32_t ike = 0;
	struct json_object *req, *r;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--socket") && i + 1 < argc) {
			sock = argv[++i];
		} else if (!strcmp(argv[i], "--ike") && i + 1 < argc) {
			if (cli_parse_u32(argv[++i], UINT32_MAX, &ike) || !ike)
				return cli_usage("terminate: --ike: an IKE SA id (see ipsecha sa list)");
		} else if (!strcmp(argv[i], "--help")) {
			printf("usage: ipsecha terminate (CONN | --ike ID) [--socket PATH]\n");
			return CLI_OK;
		} else if (argv[i][0] != '-' && !conn) {
			conn = argv[i];
		} else {
			return cli_usage("terminate: unexpected '%s'", argv[i]);
		}
	}
	if (!!conn == !!ike)
		return cli_usage("usage: ipsecha terminate (CONN | --ike ID) [--socket PATH]");
	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("terminate"));
	if (conn)
		json_object_object_add(req, "conn", json_object_new_string(conn));
	else
		json_object_object_add(req, "ike", json_object_new_int64(ike));
	if (agent_call(agent_socket(sock), req, 5000, &r))
		return CLI_FAIL;
	printf("terminating %lld IKE SA(s)\n", agent_jint(r, "count", 0));
	json_object_put(r);
	return CLI_OK;
}

CLI_COMMAND(terminate, "delete IKE SAs of a connection or by id", terminate_main)
