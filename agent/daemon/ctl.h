/* ctl.h — the agent's control socket: a UNIX stream socket speaking one
 * JSON object per line each way. A request names a command ({"cmd":
 * "status"}); every request gets exactly one response object with "ok"
 * (true, or false plus "error" text and "errno"). Responses may be deferred
 * (an initiation answers when the IKE SA is up or failed): handlers get a
 * client id and answer through ctl_reply() later; a client that went away
 * meanwhile is simply not answered. */
#ifndef IPSECHA_AGENT_CTL_H
#define IPSECHA_AGENT_CTL_H

#include <stdint.h>

#include <json-c/json.h>

struct ctl;

/* Handle one request. Reply now or later with ctl_reply(ctl, id, resp). */
typedef void (*ctl_fn)(void *arg, struct ctl *ctl, uint64_t id, struct json_object *req);

/* Listen at path (parent directory created 0755, stale socket replaced;
 * socket mode 0660). */
int ctl_open(const char *path, ctl_fn fn, void *arg, struct ctl **out);
void ctl_close(struct ctl *c);   /* removes the socket file; NULL-safe */
int ctl_listen_fd(const struct ctl *c);
/* Event loop glue: accept on the listening fd; client fds come and go
 * through the callbacks given to ctl_set_fd_cb. */
typedef void (*ctl_fd_fn)(void *arg, int fd, int add);
void ctl_set_fd_cb(struct ctl *c, ctl_fd_fn fn, void *arg);
void ctl_accept(struct ctl *c);
/* fd readable (or hung up). */
void ctl_client_io(struct ctl *c, int fd);
/* Answer request `id` (takes ownership of resp). -ENOENT if gone. */
int ctl_reply(struct ctl *c, uint64_t id, struct json_object *resp);
/* Convenience: {"ok":false,"error":msg,"errno":err}. */
int ctl_reply_error(struct ctl *c, uint64_t id, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Client side (the CLI): one request, one response, within timeout_ms.
 * 0 and *resp, or -errno (-ENOENT/-ECONNREFUSED: no agent there,
 * -ETIMEDOUT, -EPROTO: unreadable answer). */
int ctl_call(const char *path, struct json_object *req, int timeout_ms,
	     struct json_object **resp);

#endif
