/* cmd_agent_util.c — helpers of the agent subcommands (no command here). */
#include "cmd_agent.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ctl.h"

const char *agent_socket(const char *opt)
{
	const char *env = getenv("IPSECHA_AGENT_SOCKET");

	if (opt)
		return opt;
	if (!env || !*env)
		env = getenv("IPSECHA_SOCKET");
	return env && *env ? env : AGENT_DEFAULT_SOCKET;
}

int agent_call(const char *sock, struct json_object *req, int timeout_ms,
	       struct json_object **resp)
{
	struct json_object *r = NULL, *ok;
	int err = ctl_call(sock, req, timeout_ms, &r);

	json_object_put(req);
	if (err == -ENOENT || err == -ECONNREFUSED)
		return cli_error("no agent at %s (is ipsecha-agent running? --socket PATH)", sock);
	if (err == -ETIMEDOUT)
		return cli_error("the agent did not answer within %d ms", timeout_ms);
	if (err)
		return cli_error("agent at %s: %s", sock, strerror(-err));
	if (!json_object_object_get_ex(r, "ok", &ok) || !json_object_get_boolean(ok)) {
		cli_error("%s", agent_jstr(r, "error", "the agent refused the request"));
		json_object_put(r);
		return CLI_FAIL;
	}
	*resp = r;
	return 0;
}

const char *agent_jstr(struct json_object *o, const char *k, const char *dflt)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_string))
		return dflt;
	return json_object_get_string(v);
}

long long agent_jint(struct json_object *o, const char *k, long long dflt)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_int))
		return dflt;
	return (long long)json_object_get_int64(v);
}

int agent_jbool(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) && json_object_get_boolean(v);
}
