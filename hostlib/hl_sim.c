/* hl_sim.c — the `sim:SOCKET` backend: attach to ipsecha-card-sim as an
 * ivshmem client, exactly as QEMU's ivshmem-doorbell device does.
 *
 * ivshmem server protocol (QEMU docs/specs/ivshmem-spec): every message is
 * one little-endian int64, optionally with one fd (SCM_RIGHTS). On connect:
 * protocol version (0); our peer id; -1 with the shared-memory fd; for each
 * other peer, its id once per vector with an eventfd to interrupt it; then
 * our own id once per vector with the eventfds we get interrupted on.
 * Later: a peer id with an fd (peer connected) or without (peer gone). */
#include "hl_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_PEERS 64

struct sim_peer {
	int64_t id;
	int fd[ICA_NUM_VECTORS];
	unsigned nfd;
};

struct sim_dev {
	struct hl_dev base;
	int sock;
	int own[ICA_NUM_VECTORS];
	unsigned nown;
	struct sim_peer peers[MAX_PEERS];
	unsigned npeers;
	int gone;
};

/* Receive one message; *fd = -1 when none came. 0, or -errno. */
static int recv_msg(int sock, int64_t *val, int *fd, int timeout_ms)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { val, sizeof(*val) };
	struct msghdr mh = { 0 };
	struct cmsghdr *cm;
	struct pollfd pfd = { sock, POLLIN, 0 };
	ssize_t r;
	int pr;

	*fd = -1;
	pr = poll(&pfd, 1, timeout_ms);
	if (pr < 0)
		return -errno;
	if (pr == 0)
		return -ETIMEDOUT;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = u.buf;
	mh.msg_controllen = sizeof(u.buf);
	r = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	if (r < 0)
		return -errno;
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(int)))
			memcpy(fd, CMSG_DATA(cm), sizeof(int));
	if (r == 0)
		return -ECONNRESET;
	if (r != sizeof(*val) || (mh.msg_flags & MSG_CTRUNC)) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		return -EPROTO;
	}
	return 0;
}

static struct sim_peer *peer_get(struct sim_dev *d, int64_t id, int create)
{
	unsigned i;

	for (i = 0; i < d->npeers; i++)
		if (d->peers[i].id == id)
			return &d->peers[i];
	if (!create || d->npeers == MAX_PEERS)
		return NULL;
	d->peers[d->npeers].id = id;
	d->peers[d->npeers].nfd = 0;
	return &d->peers[d->npeers++];
}

static void peer_drop(struct sim_dev *d, int64_t id)
{
	struct sim_peer *p = peer_get(d, id, 0);
	unsigned i;

	if (!p)
		return;
	for (i = 0; i < p->nfd; i++)
		close(p->fd[i]);
	*p = d->peers[--d->npeers];
}

/* Handle one peer message after setup (or during it). */
static void on_peer_msg(struct sim_dev *d, int64_t id, int fd)
{
	struct sim_peer *p;

	if (fd < 0) {
		peer_drop(d, id);
		return;
	}
	if (id == (int64_t)d->base.peer_id) {
		if (d->nown < ICA_NUM_VECTORS) {
			d->own[d->nown++] = fd;
			fcntl(fd, F_SETFL, O_NONBLOCK);
			return;
		}
		close(fd);
		return;
	}
	p = peer_get(d, id, 1);
	if (p && p->nfd < ICA_NUM_VECTORS)
		p->fd[p->nfd++] = fd;
	else
		close(fd);
}

/* Non-blocking: consume any later notifications (peer joins/leaves, EOF). */
static void pump(struct sim_dev *d)
{
	int64_t v;
	int fd, err;

	while (!d->gone) {
		err = recv_msg(d->sock, &v, &fd, 0);
		if (err == -ETIMEDOUT)
			return;
		if (err) {
			d->gone = 1;
			return;
		}
		on_peer_msg(d, v, fd);
	}
}

static void sim_close(struct hl_dev *dev)
{
	struct sim_dev *d = (struct sim_dev *)dev;
	unsigned i;

	if (!d)
		return;
	if (d->base.bar)
		munmap(d->base.bar, d->base.bar_size);
	while (d->npeers)
		peer_drop(d, d->peers[0].id);
	for (i = 0; i < d->nown; i++)
		close(d->own[i]);
	if (d->sock >= 0)
		close(d->sock);
	free(d);
}

static int sim_open(const char *path, int timeout_ms, struct hl_dev **out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct sim_dev *d;
	struct stat stb;
	int64_t v;
	int fd = -1, shm = -1, err;
	void *map;

	if (!*path || strlen(path) >= sizeof(sa.sun_path))
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->base.ops = &hl_backend_sim;
	d->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (d->sock < 0) {
		err = -errno;
		goto fail;
	}
	strcpy(sa.sun_path, path);
	if (connect(d->sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = -errno;
		goto fail;
	}
	/* 1. version */
	err = recv_msg(d->sock, &v, &fd, timeout_ms);
	if (err)
		goto fail;
	if (fd >= 0 || v != 0) {
		err = -EPROTO;
		goto fail;
	}
	/* 2. our id */
	err = recv_msg(d->sock, &v, &fd, timeout_ms);
	if (err)
		goto fail;
	if (fd >= 0 || v < 0 || v > 0xffff) {
		err = -EPROTO;
		goto fail;
	}
	d->base.peer_id = (uint32_t)v;
	/* 3. -1 with the shared memory */
	err = recv_msg(d->sock, &v, &shm, timeout_ms);
	if (err)
		goto fail;
	if (v != -1 || shm < 0) {
		err = -EPROTO;
		goto fail;
	}
	/* 4./5. peers' vectors, then ours (last in the initial burst). */
	while (d->nown < ICA_NUM_VECTORS) {
		err = recv_msg(d->sock, &v, &fd, timeout_ms);
		if (err)
			goto fail;
		on_peer_msg(d, v, fd);
	}
	if (fstat(shm, &stb) < 0) {
		err = -errno;
		goto fail;
	}
	map = mmap(NULL, (size_t)stb.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, shm, 0);
	if (map == MAP_FAILED) {
		err = -errno;
		goto fail;
	}
	close(shm);
	shm = -1;
	d->base.bar = map;
	d->base.bar_size = (size_t)stb.st_size;
	*out = &d->base;
	return 0;
fail:
	if (shm >= 0)
		close(shm);
	sim_close(&d->base);
	return err;
}

static int sim_doorbell(struct hl_dev *dev, uint32_t peer, uint32_t vec)
{
	struct sim_dev *d = (struct sim_dev *)dev;
	struct sim_peer *p;
	uint64_t one = 1;

	p = peer_get(d, peer, 0);
	if (!p || vec >= p->nfd) {
		pump(d);
		p = peer_get(d, peer, 0);
		if (!p || vec >= p->nfd)
			return d->gone ? -ECONNRESET : -ENOTCONN;
	}
	if (write(p->fd[vec], &one, sizeof(one)) != sizeof(one) && errno != EAGAIN)
		return -errno;
	return 0;
}

static int sim_wait(struct hl_dev *dev, uint32_t vec, int timeout_ms)
{
	struct sim_dev *d = (struct sim_dev *)dev;
	struct pollfd pfd[2];
	uint64_t junk;
	int r;

	if (vec >= d->nown)
		return -EINVAL;
	pfd[0] = (struct pollfd){ d->own[vec], POLLIN, 0 };
	pfd[1] = (struct pollfd){ d->sock, POLLIN, 0 };
	r = poll(pfd, 2, timeout_ms);
	if (r < 0)
		return errno == EINTR ? 0 : -errno;
	if (pfd[1].revents) {
		pump(d);
		if (d->gone)
			return -ECONNRESET;
	}
	if (pfd[0].revents & POLLIN) {
		if (read(d->own[vec], &junk, sizeof(junk)) < 0 && errno != EAGAIN)
			return -errno;
		return 1;
	}
	return 0;
}

static int sim_irq_fd(struct hl_dev *dev, uint32_t vec)
{
	struct sim_dev *d = (struct sim_dev *)dev;

	return vec < d->nown ? d->own[vec] : -EINVAL;
}

const struct hl_backend_ops hl_backend_sim = {
	.scheme = "sim",
	.open = sim_open,
	.close = sim_close,
	.doorbell = sim_doorbell,
	.wait = sim_wait,
	.irq_fd = sim_irq_fd,
};
