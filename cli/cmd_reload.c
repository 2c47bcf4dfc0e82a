/* cmd_reload.c — `ipsecha reload`: re-read the agent's configuration file
 * (a bad file is refused with its file:line message; the running
 * configuration stays). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd_agent.h"

static int reload_main(int argc, char **argv)
{
	const char *sock = NULL;
	struct json_object *req, *r;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--socket") && i + 1 < argc)
			sock = argv[++i];
		else if (!strcmp(argv[i], "--help")) {
			printf("usage: ipsecha reload [--socket PATH]\n");
			return CLI_OK;
		} else
			return cli_usage("reload: unexpected '%s'", argv[i]);
	}
	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("reload"));
	if (agent_call(agent_socket(sock), req, 5000, &r))
		return CLI_FAIL;
	printf("configuration reloaded\n");
	json_object_put(r);
	return CLI_OK;
}

CLI_COMMAND(reload, "reload the agent's configuration", reload_main)
