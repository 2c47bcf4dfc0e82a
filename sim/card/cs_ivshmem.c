/* cs_ivshmem.c — ivshmem server: UNIX socket, shared memory fd, eventfds.
 *
 * Protocol (QEMU docs/specs/ivshmem-spec): each message is one
 * little-endian int64 with at most one fd. On connect the server sends:
 * the version (0); the client's id; -1 with the shm fd; for each other
 * peer, its id once per vector with an eventfd; the client's own id once
 * per vector with its eventfds. Later: an id with an fd (connect) or
 * without (disconnect). The connection is one-way. */
#include "cs_ivshmem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

int cs_ivshmem_send(int sock, int64_t v, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { &v, sizeof(v) };
	struct msghdr mh = { 0 };

	/* x86 and every ivshmem host we build for are little-endian. */
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (fd >= 0) {
		struct cmsghdr *cm;

		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof(u.buf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	if (sendmsg(sock, &mh, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)sizeof(v))
		return -errno;
	return 0;
}

int cs_srv_open(struct cs_server *s, const char *path, int shm_fd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	mode_t old_mask;
	int i, probe, rc;

	memset(s, 0, sizeof(*s));
	s->lsock = -1;
	s->shm_fd = shm_fd;
	s->next_id = 1;
	for (i = 0; i < (int)ICA_NUM_VECTORS; i++)
		s->card_efd[i] = -1;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	strcpy(s->path, path);
	/* A socket file nobody listens on is stale: replace it. */
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe >= 0) {
		if (connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			close(probe);
			return -EADDRINUSE;
		}
		close(probe);
	}
	unlink(path);
	s->lsock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->lsock < 0)
		return -errno;
	/* Whoever connects gets the BAR's fd, i.e. the whole card: the socket
	 * is for this user only (like the BAR file, 0600). */
	old_mask = umask(077);
	rc = bind(s->lsock, (struct sockaddr *)&sa, sizeof(sa));
	umask(old_mask);
	if (rc < 0 || listen(s->lsock, 16) < 0) {
		int err = -errno;

		close(s->lsock);
		s->lsock = -1;
		return err;
	}
	for (i = 0; i < (int)ICA_NUM_VECTORS; i++) {
		s->card_efd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (s->card_efd[i] < 0) {
			int err = -errno;

			cs_srv_close(s);   /* closes, unlinks the socket */
			return err;
		}
	}
	return 0;
}

static void peer_close(struct cs_server *s, struct cs_peer *p)
{
	int i;

	for (i = 0; i < (int)ICA_NUM_VECTORS; i++)
		if (p->efd[i] >= 0)
			close(p->efd[i]);
	if (p->sock >= 0)
		close(p->sock);
	p->used = 0;
	s->disconnects++;
}

void cs_srv_close(struct cs_server *s)
{
	int i;

	for (i = 0; i < CS_MAX_PEERS; i++)
		if (s->peers[i].used)
			peer_close(s, &s->peers[i]);
	for (i = 0; i < (int)ICA_NUM_VECTORS; i++)
		if (s->card_efd[i] >= 0)
			close(s->card_efd[i]);
	if (s->lsock >= 0) {
		close(s->lsock);
		unlink(s->path);
	}
	s->lsock = -1;
}

int cs_srv_pollfds(struct cs_server *s, struct pollfd *pfd, int max, int *peer_idx)
{
	int n = 0, i;

	pfd[n++] = (struct pollfd){ s->lsock, POLLIN, 0 };
	pfd[n++] = (struct pollfd){ s->card_efd[ICA_VEC_DOORBELL], POLLIN, 0 };
	for (i = 0; i < CS_MAX_PEERS && n < max; i++) {
		if (!s->peers[i].used)
			continue;
		peer_idx[n] = i;
		pfd[n++] = (struct pollfd){ s->peers[i].sock, POLLIN, 0 };
	}
	return n;
}

static int id_in_use(struct cs_server *s, uint16_t id)
{
	int i;

	for (i = 0; i < CS_MAX_PEERS; i++)
		if (s->peers[i].used && s->peers[i].id == id)
			return 1;
	return 0;
}

void cs_srv_accept(struct cs_server *s)
{
	struct cs_peer *p = NULL;
	int sock, i, err = 0;

	sock = accept4(s->lsock, NULL, NULL, SOCK_CLOEXEC);
	if (sock < 0)
		return;
	for (i = 0; i < CS_MAX_PEERS; i++)
		if (!s->peers[i].used) {
			p = &s->peers[i];
			break;
		}
	if (!p) {
		close(sock);    /* full: the client sees EOF before its id */
		return;
	}
	memset(p, 0, sizeof(*p));
	p->sock = sock;
	for (i = 0; i < (int)ICA_NUM_VECTORS; i++)
		p->efd[i] = -1;
	/* Ids 1..65535, never 0 (the card), not reused while connected;
	 * advancing also avoids reusing a recently departed peer's id. */
	do {
		p->id = s->next_id;
		s->next_id = s->next_id == 0xffffu ? 1 : s->next_id + 1;
	} while (id_in_use(s, p->id));
	p->used = 1;
	s->connects++;
	for (i = 0; i < (int)ICA_NUM_VECTORS && !err; i++) {
		p->efd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (p->efd[i] < 0)
			err = -errno;
	}
	if (!err)
		err = cs_ivshmem_send(sock, 0, -1);            /* protocol version */
	if (!err)
		err = cs_ivshmem_send(sock, p->id, -1);        /* its id */
	if (!err)
		err = cs_ivshmem_send(sock, -1, s->shm_fd);    /* shared memory */
	for (i = 0; i < (int)ICA_NUM_VECTORS && !err; i++)
		err = cs_ivshmem_send(sock, CS_CARD_PEER, s->card_efd[i]);  /* the card */
	for (i = 0; i < (int)ICA_NUM_VECTORS && !err; i++)
		err = cs_ivshmem_send(sock, p->id, p->efd[i]); /* its interrupts */
	if (err) {
		peer_close(s, p);
		return;
	}
}

void cs_srv_client(struct cs_server *s, int idx)
{
	struct cs_peer *p = &s->peers[idx];
	char buf[256];
	ssize_t r;

	/* Clients have nothing to say; anything they send is discarded. */
	r = recv(p->sock, buf, sizeof(buf), MSG_DONTWAIT);
	if (r > 0 || (r < 0 && (errno == EAGAIN || errno == EINTR)))
		return;
	{
		uint32_t id = p->id;

		peer_close(s, p);
		if (s->on_gone)
			s->on_gone(s->arg, id);
	}
}

int cs_srv_doorbell(struct cs_server *s)
{
	uint64_t v;

	return read(s->card_efd[ICA_VEC_DOORBELL], &v, sizeof(v)) == sizeof(v);
}

static void kick(int fd)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is saturated, the peer is awake anyway. */
	}
}

void cs_srv_irq(struct cs_server *s, uint32_t peer, uint32_t vec)
{
	int i;

	if (vec >= ICA_NUM_VECTORS)
		return;
	for (i = 0; i < CS_MAX_PEERS; i++) {
		if (!s->peers[i].used || (peer != 0xffffffffu && s->peers[i].id != peer))
			continue;
		kick(s->peers[i].efd[vec]);
		s->irqs++;
	}
}
