/* ctl.c — control socket server and client; see ctl.h. */
#include "ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_LINE   (64 * 1024)
#define MAX_CLIENT 64

struct client {
	int fd;
	uint64_t next_id;        /* id of the request being served, 0 = none */
	size_t len;
	char buf[MAX_LINE];
};

struct ctl {
	int lfd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	ctl_fn fn;
	void *arg;
	ctl_fd_fn fd_fn;
	void *fd_arg;
	uint64_t ids;
	struct client *cl[MAX_CLIENT];
};

static int mkdir_p(const char *path)
{
	char tmp[256];

	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return 0;
}

int ctl_open(const char *path, ctl_fn fn, void *arg, struct ctl **out)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct ctl *c;
	int err;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	strcpy(c->path, path);
	strcpy(sun.sun_path, path);
	c->fn = fn;
	c->arg = arg;
	err = mkdir_p(path);
	if (err)
		goto fail;
	c->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->lfd < 0) {
		err = -errno;
		goto fail;
	}
	/* A live agent already there is an error; a stale file is replaced. */
	{
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (probe >= 0 && connect(probe, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
			close(probe);
			close(c->lfd);
			err = -EADDRINUSE;
			goto fail;
		}
		if (probe >= 0)
			close(probe);
	}
	unlink(path);
	if (bind(c->lfd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || listen(c->lfd, 16) < 0) {
		err = -errno;
		close(c->lfd);
		goto fail;
	}
	chmod(path, 0660);
	*out = c;
	return 0;
fail:
	free(c);
	return err;
}

static void drop_client(struct ctl *c, int i)
{
	if (c->fd_fn)
		c->fd_fn(c->fd_arg, c->cl[i]->fd, 0);
	close(c->cl[i]->fd);
	free(c->cl[i]);
	c->cl[i] = NULL;
}

void ctl_close(struct ctl *c)
{
	if (!c)
		return;
	for (int i = 0; i < MAX_CLIENT; i++)
		if (c->cl[i])
			drop_client(c, i);
	close(c->lfd);
	unlink(c->path);
	free(c);
}

int ctl_listen_fd(const struct ctl *c)
{
	return c->lfd;
}

void ctl_set_fd_cb(struct ctl *c, ctl_fd_fn fn, void *arg)
{
	c->fd_fn = fn;
	c->fd_arg = arg;
}

void ctl_accept(struct ctl *c)
{
	for (;;) {
		int fd = accept4(c->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), i;

		if (fd < 0)
			return;
		for (i = 0; i < MAX_CLIENT && c->cl[i]; i++)
			;
		if (i == MAX_CLIENT || !(c->cl[i] = calloc(1, sizeof(struct client)))) {
			close(fd);
			continue;
		}
		c->cl[i]->fd = fd;
		if (c->fd_fn)
			c->fd_fn(c->fd_arg, fd, 1);
	}
}

static int by_fd(struct ctl *c, int fd)
{
	for (int i = 0; i < MAX_CLIENT; i++)
		if (c->cl[i] && c->cl[i]->fd == fd)
			return i;
	return -1;
}

static void serve_lines(struct ctl *c, int i)
{
	for (;;) {
		struct client *cl = c->cl[i];
		char *nl;
		struct json_object *req;
		uint64_t id;

		/* One request at a time per client: the next waits for the
		 * answer of the current one. */
		if (!cl || cl->next_id)
			return;
		nl = memchr(cl->buf, '\n', cl->len);
		if (!nl)
			return;
		*nl = 0;
		req = json_tokener_parse(cl->buf);
		cl->len -= (size_t)(nl + 1 - cl->buf);
		memmove(cl->buf, nl + 1, cl->len);
		id = ++c->ids;
		cl->next_id = id;
		if (!req || !json_object_is_type(req, json_type_object)) {
			json_object_put(req);
			ctl_reply_error(c, id, EINVAL, "request is not a JSON object");
			continue;
		}
		c->fn(c->arg, c, id, req);
		json_object_put(req);
	}
}

void ctl_client_io(struct ctl *c, int fd)
{
	int i = by_fd(c, fd);
	struct client *cl;
	ssize_t n;

	if (i < 0)
		return;
	cl = c->cl[i];
	if (cl->len == sizeof(cl->buf)) {
		drop_client(c, i);   /* a line longer than we accept */
		return;
	}
	n = read(fd, cl->buf + cl->len, sizeof(cl->buf) - cl->len);
	if (n <= 0) {
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		drop_client(c, i);
		return;
	}
	cl->len += (size_t)n;
	serve_lines(c, i);
}

int ctl_reply(struct ctl *c, uint64_t id, struct json_object *resp)
{
	const char *s;
	size_t len, off = 0;

	for (int i = 0; i < MAX_CLIENT; i++) {
		struct client *cl = c->cl[i];

		if (!cl || cl->next_id != id)
			continue;
		s = json_object_to_json_string_ext(resp, JSON_C_TO_STRING_PLAIN |
						   JSON_C_TO_STRING_NOSLASHESCAPE);
		len = strlen(s);
		/* Responses are small; a client that does not read gets
		 * dropped rather than blocking the agent. */
		while (off < len + 1) {
			ssize_t w = off < len ? write(cl->fd, s + off, len - off) : write(cl->fd, "\n", 1);

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0 && errno == EAGAIN) {
				struct pollfd p = { .fd = cl->fd, .events = POLLOUT };

				if (poll(&p, 1, 1000) == 1)
					continue;
			}
			if (w <= 0) {
				json_object_put(resp);
				drop_client(c, i);
				return -EPIPE;
			}
			off += (size_t)w;
		}
		json_object_put(resp);
		cl->next_id = 0;
		serve_lines(c, i);
		return 0;
	}
	json_object_put(resp);
	return -ENOENT;
}

int ctl_reply_error(struct ctl *c, uint64_t id, int err, const char *fmt, ...)
{
	struct json_object *o = json_object_new_object();
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_object_add(o, "ok", json_object_new_boolean(0));
	json_object_object_add(o, "error", json_object_new_string(msg));
	json_object_object_add(o, "errno", json_object_new_int(err));
	return ctl_reply(c, id, o);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int ctl_call(const char *path, struct json_object *req, int timeout_ms,
	     struct json_object **resp)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	const char *s = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	char *buf = NULL;
	size_t len = 0, cap = 0, sl = strlen(s);
	int64_t end = now_ms() + timeout_ms;
	int fd, err = 0;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    write(fd, s, sl) != (ssize_t)sl || write(fd, "\n", 1) != 1) {
		err = -errno;
		goto out;
	}
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t left = end - now_ms();
		ssize_t n;

		if (left <= 0) {
			err = -ETIMEDOUT;
			goto out;
		}
		if (poll(&p, 1, (int)left) <= 0)
			continue;
		if (len + 4096 > cap) {
			char *nb = realloc(buf, cap ? cap * 2 : 8192);

			if (!nb) {
				err = -ENOMEM;
				goto out;
			}
			buf = nb;
			cap = cap ? cap * 2 : 8192;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n <= 0) {
			err = n < 0 ? -errno : -EPROTO;
			goto out;
		}
		len += (size_t)n;
		buf[len] = 0;
		if (memchr(buf, '\n', len))
			break;
		if (len > 16 * 1024 * 1024) {
			err = -EPROTO;
			goto out;
		}
	}
	*resp = json_tokener_parse(buf);
	if (!*resp)
		err = -EPROTO;
out:
	free(buf);
	close(fd);
	return err;
}
