/* net.c — UDP sockets of the agent; see net.h. */
#include "net.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define MAX_DGRAM 65536
#define BATCH 64

struct sock {
	int fd;
	int family;
	uint16_t port;
	bool natt;
};

struct net {
	unsigned n;
	struct sock s[NET_MAX_FDS];
	struct net_stats st;
	uint8_t buf[MAX_DGRAM];
};

static int open_one(struct sock *s, int family, uint16_t port, bool natt)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int one = 1, fd;

	fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		sl = sizeof(*a);
		setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		sl = sizeof(*a);
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	s->fd = fd;
	s->family = family;
	s->port = port;
	s->natt = natt;
	return 0;
}

int net_open(uint16_t ike_port, uint16_t natt_port, struct net **out, char *err, size_t errlen)
{
	static const int fams[2] = { AF_INET, AF_INET6 };
	struct net *n = calloc(1, sizeof(*n));

	if (!n)
		return -ENOMEM;
	for (int f = 0; f < 2; f++) {
		for (int k = 0; k < 2; k++) {
			uint16_t port = k ? natt_port : ike_port;
			int rc = open_one(&n->s[n->n], fams[f], port, k);

			if (rc == -EAFNOSUPPORT && fams[f] == AF_INET6)
				break;   /* no IPv6 on this host */
			if (rc) {
				snprintf(err, errlen, "UDP port %u (%s): %s", port,
					 fams[f] == AF_INET ? "IPv4" : "IPv6", strerror(-rc));
				net_close(n);
				return rc;
			}
			n->n++;
		}
	}
	*out = n;
	return 0;
}

void net_close(struct net *n)
{
	if (!n)
		return;
	for (unsigned i = 0; i < n->n; i++)
		close(n->s[i].fd);
	free(n);
}

unsigned net_fds(const struct net *n, int *fds, unsigned max)
{
	unsigned k = 0;

	for (unsigned i = 0; i < n->n && k < max; i++)
		fds[k++] = n->s[i].fd;
	return k;
}

static struct sock *by_fd(struct net *n, int fd)
{
	for (unsigned i = 0; i < n->n; i++)
		if (n->s[i].fd == fd)
			return &n->s[i];
	return NULL;
}

static uint16_t port_of(const struct sockaddr_storage *a)
{
	return ntohs(a->ss_family == AF_INET6 ? ((const struct sockaddr_in6 *)a)->sin6_port :
					      ((const struct sockaddr_in *)a)->sin_port);
}

void net_read(struct net *n, int fd, net_rx_fn fn, void *arg)
{
	struct sock *s = by_fd(n, fd);

	if (!s)
		return;
	for (int i = 0; i < BATCH; i++) {
		struct sockaddr_storage remote, local;
		union {
			struct cmsghdr align;
			uint8_t buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		} ctl;
		struct iovec iov = { n->buf, sizeof(n->buf) };
		struct msghdr mh = {
			.msg_name = &remote, .msg_namelen = sizeof(remote),
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
		};
		ssize_t len = recvmsg(fd, &mh, 0);
		const uint8_t *p = n->buf;

		if (len < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				n->st.rx_errors++;
			return;
		}
		n->st.rx++;
		memset(&local, 0, sizeof(local));
		local.ss_family = (sa_family_t)s->family;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
				struct in_pktinfo pi;

				memcpy(&pi, CMSG_DATA(c), sizeof(pi));
				((struct sockaddr_in *)&local)->sin_addr = pi.ipi_addr;
			} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
				struct in6_pktinfo pi;

				memcpy(&pi, CMSG_DATA(c), sizeof(pi));
				((struct sockaddr_in6 *)&local)->sin6_addr = pi.ipi6_addr;
			}
		}
		if (s->family == AF_INET6)
			((struct sockaddr_in6 *)&local)->sin6_port = htons(s->port);
		else
			((struct sockaddr_in *)&local)->sin_port = htons(s->port);
		if (s->natt) {
			/* RFC 3948 §2.3: a single 0xff octet is a keepalive;
			 * §2.2: IKE follows four zero octets; else it is ESP. */
			if (len == 1 && p[0] == 0xff) {
				n->st.rx_keepalive++;
				fn(arg, &local, &remote, true, NULL, 0, true);
				continue;
			}
			if (len < 4 || p[0] || p[1] || p[2] || p[3]) {
				n->st.rx_esp_dropped++;
				continue;
			}
			p += 4;
			len -= 4;
		}
		if (len < 28) {
			n->st.rx_short++;
			continue;
		}
		(void)port_of;
		fn(arg, &local, &remote, s->natt, p, (size_t)len, false);
	}
}

static struct sock *for_send(struct net *n, const struct sockaddr_storage *src, bool natt)
{
	for (unsigned i = 0; i < n->n; i++)
		if (n->s[i].family == src->ss_family && n->s[i].natt == natt)
			return &n->s[i];
	return NULL;
}

static int send_iov(struct net *n, const struct sockaddr_storage *src,
		    const struct sockaddr_storage *dst, bool natt, struct iovec *iov, int iovcnt)
{
	struct sock *s = for_send(n, src, natt);
	union {
		struct cmsghdr align;
		uint8_t buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	} ctl;
	struct msghdr mh = {
		.msg_name = (void *)dst,
		.msg_namelen = dst->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
							     sizeof(struct sockaddr_in),
		.msg_iov = iov, .msg_iovlen = (size_t)iovcnt,
	};
	struct cmsghdr *c;

	if (!s || dst->ss_family != src->ss_family) {
		n->st.tx_errors++;
		return -EAFNOSUPPORT;
	}
	memset(&ctl, 0, sizeof(ctl));
	mh.msg_control = ctl.buf;
	c = (struct cmsghdr *)ctl.buf;
	/* The source address of the answer: the one the peer talks to. */
	if (s->family == AF_INET) {
		struct in_pktinfo pi = { .ipi_spec_dst = ((const struct sockaddr_in *)src)->sin_addr };

		mh.msg_controllen = CMSG_SPACE(sizeof(pi));
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		if (!pi.ipi_spec_dst.s_addr)
			mh.msg_controllen = 0;
	} else {
		struct in6_pktinfo pi = { .ipi6_addr = ((const struct sockaddr_in6 *)src)->sin6_addr };

		mh.msg_controllen = CMSG_SPACE(sizeof(pi));
		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		if (IN6_IS_ADDR_UNSPECIFIED(&pi.ipi6_addr))
			mh.msg_controllen = 0;
	}
	if (!mh.msg_controllen)
		mh.msg_control = NULL;
	if (sendmsg(s->fd, &mh, MSG_DONTWAIT) < 0) {
		n->st.tx_errors++;
		return -errno;
	}
	n->st.tx++;
	return 0;
}

int net_send(struct net *n, const struct sockaddr_storage *src, const struct sockaddr_storage *dst,
	     bool natt, const uint8_t *pkt, size_t len)
{
	static const uint8_t marker[4];
	struct iovec iov[2] = {
		{ (void *)marker, sizeof(marker) },
		{ (void *)pkt, len },
	};

	return natt ? send_iov(n, src, dst, true, iov, 2) : send_iov(n, src, dst, false, iov + 1, 1);
}

int net_send_keepalive(struct net *n, const struct sockaddr_storage *src,
		       const struct sockaddr_storage *dst)
{
	static const uint8_t ff = 0xff;
	struct iovec iov = { (void *)&ff, 1 };

	return send_iov(n, src, dst, true, &iov, 1);
}

int net_route(const struct sockaddr_storage *dst, struct sockaddr_storage *src)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	uint16_t port;
	int fd = socket(dst->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = 0;

	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)dst, dst->ss_family == AF_INET6 ?
		    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		rc = -errno;
	close(fd);
	if (rc)
		return rc;
	port = port_of(src);
	*src = ss;
	if (src->ss_family == AF_INET6)
		((struct sockaddr_in6 *)src)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)src)->sin_port = htons(port);
	return 0;
}

const struct net_stats *net_stats(const struct net *n)
{
	return &n->st;
}
