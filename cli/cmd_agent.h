/* cmd_agent.h — what the agent's subcommands (status, sa, initiate,
 * terminate, reload) share: finding the agent's control socket and one
 * request/response round trip (agent/daemon/ctl.h). */
#ifndef IPSECHA_CMD_AGENT_H
#define IPSECHA_CMD_AGENT_H

#include <json-c/json.h>

/* The control socket: --socket PATH (removed from argv by the caller),
 * else $IPSECHA_AGENT_SOCKET (or $IPSECHA_SOCKET), else the agent's default. */
#define AGENT_DEFAULT_SOCKET "/run/ipsecha/agent.sock"
const char *agent_socket(const char *opt);

/* Send req (consumed), get the response. On any failure prints the error
 * ("ipsecha: ...") and returns CLI_FAIL; on an agent-side refusal prints
 * its "error" text and returns CLI_FAIL too. 0 with *resp on success. */
int agent_call(const char *sock, struct json_object *req, int timeout_ms,
	       struct json_object **resp);

/* Member accessors that tolerate absence. */
const char *agent_jstr(struct json_object *o, const char *k, const char *dflt);
long long agent_jint(struct json_object *o, const char *k, long long dflt);
int agent_jbool(struct json_object *o, const char *k);

#endif
