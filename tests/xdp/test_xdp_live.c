/* test_xdp_live.c — the steering program on a real veth with real packets.
 *
 * Run by tests/xdp/netns.sh inside the gateway namespace (nsenter --net,
 * so /sys/fs/bpf stays visible) after `ipsecha xdp attach` and the SAs
 * below were installed with the CLI. A sender thread moves into the peer
 * namespace (setns is per thread) and sends with ordinary kernel sockets:
 * UDP for IKE and ESP-in-UDP, raw IPPROTO_ESP sockets for ESP.
 *
 *   peer ns  ipsx-p0 192.0.2.2 / 2001:db8:5::2 ──veth── ipsx-g0 192.0.2.1 /
 *            2001:db8:5::1  gateway ns: XDP program, AF_XDP socket on queue 0,
 *            UDP sockets on 500 and 4500
 *
 * Scenarios (one result line each): IKE reaches the UDP sockets; known-SPI
 * ESP in all four forms arrives intact on the AF_XDP socket, once without
 * metadata (the default: the consumer maps the SPI to its slot through the
 * library's lock-free SA lookup) and once with the policy's metadata, which
 * must name the right slot and group; unknown SPI is dropped; HOLD under a steady stream drops exactly
 * that group's ESP and release restores it; library updates racing a
 * steady stream never mis-steer a packet. Every scenario also checks the
 * program's counters against the packets sent. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "frames.h"
#include "ipsecha_xdp.h"
#include "xsk_util.h"

#define GW4 "192.0.2.1"
#define GW6 "2001:db8:5::1"

/* Installed by netns.sh with `ipsecha xdp sa add` (keep in sync). */
enum {
	SPI_E4 = 0x0c000004, SPI_E6 = 0x0c000006,     /* slot 21/22, group 20 */
	SPI_U4 = 0x0c000014, SPI_U6 = 0x0c000016,     /* slot 23/24, group 21 */
	SPI_HA = 0x0c0000a0, SPI_HB = 0x0c0000b0,     /* slot 30/31, groups 30/31 */
	SPI_UNK = 0x0c0badff,
};

static const char *ifname = "ipsx-g0", *peer_ns = "/var/run/netns/ipsx-pe", *mode = "?";
static struct ipsecha_xdp *h;
static struct xskrx *xsk;
static int passed, failed;

#define CHECK(cond, ...)                                                       \
	do {                                                                   \
		if (!(cond)) {                                                 \
			printf("    FAIL %s:%d: ", __FILE__, __LINE__);          \
			printf(__VA_ARGS__);                                   \
			printf("\n");                                          \
			ok = 0;                                                \
		}                                                              \
	} while (0)

static void result(const char *name, int ok)
{
	printf("%s [%s] %s\n", ok ? "ok  " : "FAIL", mode, name);
	if (ok)
		passed++;
	else
		failed++;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu % (int)sysconf(_SC_NPROCESSORS_ONLN), &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/* The readers of a stream sleep in poll/recv between packets; on a loaded
 * machine an ordinary thread can wait >100 ms for a CPU, and then the
 * AF_XDP ring (4096 frames, ~100 ms at 40 kpps) overflows and packets the
 * program redirected are lost on the socket, not by the program. A
 * real-time priority (root in CI) lets them run when a packet is there.
 * Not the sender: it spins between packets. */
static void reader_priority(void)
{
	struct sched_param sp = { .sched_priority = 1 };

	pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
}

/* ---- sockets */

static int enter_peer(void)
{
	int fd = open(peer_ns, O_RDONLY | O_CLOEXEC), err;

	if (fd < 0)
		return -errno;
	err = setns(fd, CLONE_NEWNET) ? -errno : 0;
	close(fd);
	return err;
}

static void addr_of(int v6, uint16_t port, struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		inet_pton(AF_INET6, GW6, &a->sin6_addr);
		*len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		inet_pton(AF_INET, GW4, &a->sin_addr);
		*len = sizeof(*a);
	}
}

/* A UDP socket of the gateway bound to port (v4 or v6 only), 20 ms reads. */
static int gw_udp(int v6, uint16_t port)
{
	struct sockaddr_storage ss;
	struct timeval tv = { 0, 20000 };
	socklen_t len;
	int one = 1, rcvbuf = 32 << 20;
	int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	memset(&ss, 0, sizeof(ss));
	if (v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		len = sizeof(*a);
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	/* Streams pass up to 40k packets/s to the stack: room for a burst. */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	if (bind(fd, (struct sockaddr *)&ss, len)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* UDP receive-buffer drops in this namespace (/proc/net/snmp, Udp:
 * RcvbufErrors): a packet the program passed but the socket lost. */
static unsigned long long udp_rcvbuf_errors(void)
{
	char line[1024], names[1024] = "";
	unsigned long long v = 0;
	FILE *f = fopen("/proc/net/snmp", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "Udp:", 4))
			continue;
		if (!names[0]) {
			memcpy(names, line, sizeof(names));
			continue;
		}
		{
			char *sn, *sv, *n = strtok_r(names, " \n", &sn), *val = strtok_r(line, " \n", &sv);

			while (n && val) {
				if (!strcmp(n, "RcvbufErrors"))
					v = strtoull(val, NULL, 10);
				n = strtok_r(NULL, " \n", &sn);
				val = strtok_r(NULL, " \n", &sv);
			}
		}
		break;
	}
	fclose(f);
	return v;
}

/* ---- the sender: a job list executed in the peer namespace */

enum kind { K_IKE, K_NATT_IKE, K_KEEPALIVE, K_ESP, K_ESP_UDP };

struct job {
	enum kind kind;
	int v6;
	uint32_t spi;           /* ESP kinds */
	uint32_t seq;           /* ESP: sequence number = packet index */
	size_t len;             /* payload length */
	uint64_t t_send;        /* filled by the sender, before sendto() */
	int err;
};

struct sender {
	struct job *jobs;
	size_t n;
	uint64_t spacing_ns;    /* pacing between packets */
	atomic_size_t sent;
	atomic_int halt;        /* stop early (streams end when their script does) */
	int err;
};

static void payload_of(const struct job *j, uint8_t *p)
{
	switch (j->kind) {
	case K_IKE:
		for (size_t i = 0; i < j->len; i++)
			p[i] = (uint8_t)(0x40 + i + j->seq);
		break;
	case K_NATT_IKE:
		for (size_t i = 0; i < j->len; i++)
			p[i] = (uint8_t)(0x40 + i + j->seq);
		memset(p, 0, 4);
		break;
	case K_KEEPALIVE:
		p[0] = 0xff;
		break;
	case K_ESP:
	case K_ESP_UDP:
		frame_esp_bytes(p, j->len, j->spi, j->seq);
		break;
	}
}

static void *sender_main(void *arg)
{
	struct sender *s = arg;
	int udp[2], esp[2];
	uint64_t next;

	pin_cpu(0);
	if (enter_peer()) {
		s->err = errno;
		return NULL;
	}
	udp[0] = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	udp[1] = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	esp[0] = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ESP);
	esp[1] = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ESP);
	if (udp[0] < 0 || udp[1] < 0 || esp[0] < 0 || esp[1] < 0) {
		s->err = errno;
		return NULL;
	}
	next = now_ns();
	for (size_t i = 0; i < s->n && !atomic_load(&s->halt); i++) {
		struct job *j = &s->jobs[i];
		struct sockaddr_storage ss;
		uint8_t p[FRAME_MAX];
		socklen_t alen;
		int fd;

		payload_of(j, p);
		if (j->kind == K_ESP) {
			addr_of(j->v6, 0, &ss, &alen);
			fd = esp[j->v6];
		} else {
			addr_of(j->v6, j->kind == K_IKE ? 500 : 4500, &ss, &alen);
			fd = udp[j->v6];
		}
		while (now_ns() < next)
			;
		next += s->spacing_ns;
		j->t_send = now_ns();
		if (sendto(fd, p, j->len, 0, (struct sockaddr *)&ss, alen) != (ssize_t)j->len)
			j->err = errno;
		atomic_store(&s->sent, i + 1);
	}
	for (int k = 0; k < 2; k++) {
		close(udp[k]);
		close(esp[k]);
	}
	return NULL;
}

static int send_jobs(struct job *jobs, size_t n, uint64_t spacing_ns)
{
	struct sender s = { .jobs = jobs, .n = n, .spacing_ns = spacing_ns };
	pthread_t t;

	pthread_create(&t, NULL, sender_main, &s);
	pthread_join(t, NULL);
	for (size_t i = 0; i < n; i++)
		if (jobs[i].err)
			return -jobs[i].err;
	return s.err ? -s.err : 0;
}

/* ---- receiving ESP from the AF_XDP socket */

struct esp_rx {
	uint32_t spi, seq;
	struct ipsecha_xdp_meta meta;
	int intact;              /* payload pattern and SPI at esp_off check out */
	int v6, encap;
};

/* m: the metadata in front of the frame, or NULL when the policy writes
 * none; then the ESP header is found the way a consumer would: the sender's
 * kernel sockets add neither IPv4 options nor IPv6 extension headers. */
static int parse_rx(const uint8_t *f, size_t len, const struct ipsecha_xdp_meta *m,
		    struct esp_rx *r, size_t *esp_len)
{
	size_t off, n;
	unsigned int et;

	memset(r, 0, sizeof(*r));
	if (len < 14)
		return -1;
	et = (unsigned int)f[12] << 8 | f[13];
	r->v6 = et == 0x86dd;
	if (len < (r->v6 ? 14u + 40 : 14u + 20))
		return -1;
	if (m) {
		r->meta = *m;
		if (m->magic != IPSECHA_XDP_META_MAGIC)
			return -1;
		off = m->esp_off;
		r->encap = m->encap;
	} else {
		r->encap = (r->v6 ? f[20] : f[23]) == IPPROTO_UDP;
		off = (r->v6 ? 54u : 34u) + (r->encap ? 8u : 0u);
		r->meta.ip_version = r->v6 ? 6 : 4;
	}
	if (off + 8 > len)
		return -1;
	r->spi = (uint32_t)f[off] << 24 | (uint32_t)f[off + 1] << 16 | (uint32_t)f[off + 2] << 8 |
		 f[off + 3];
	r->seq = (uint32_t)f[off + 4] << 24 | (uint32_t)f[off + 5] << 16 |
		 (uint32_t)f[off + 6] << 8 | f[off + 7];
	/* ESP length from the IP header: the bytes after esp_off of the IP
	 * datagram. */
	if (r->v6)
		n = 14 + 40 + ((size_t)f[18] << 8 | f[19]);
	else
		n = 14 + ((size_t)f[16] << 8 | f[17]);
	if (n > len || n < off)
		return -1;
	*esp_len = n - off;
	{
		uint8_t want[FRAME_MAX];

		frame_esp_bytes(want, *esp_len, r->spi, r->seq);
		r->intact = *esp_len >= 8 && !memcmp(want, f + off, *esp_len) &&
			    r->meta.ip_version == (r->v6 ? 6 : 4) &&
			    (off == (r->v6 ? 54u : 34u) + (r->encap ? 8u : 0u));
	}
	return 0;
}

/* ---- scenario 1: IKE to the stack */

static int stats(struct ipsecha_xdp_stats *s)
{
	return ipsecha_xdp_stats(h, s);
}

#define DELTA(a, b, r) ((b).reason[IPSECHA_XDP_R_##r] - (a).reason[IPSECHA_XDP_R_##r])

static void scenario_ike(void)
{
	enum { N = 50, NKA = 20 };
	struct job jobs[4 * N + NKA];
	int fd500[2], fd4500[2], ok = 1;
	unsigned int got500[2] = { 0 }, got4500[2] = { 0 }, gotka = 0, bad = 0;
	struct ipsecha_xdp_stats s0, s1;
	size_t n = 0;

	for (int v6 = 0; v6 < 2; v6++) {
		fd500[v6] = gw_udp(v6, 500);
		fd4500[v6] = gw_udp(v6, 4500);
		CHECK(fd500[v6] >= 0 && fd4500[v6] >= 0, "gateway UDP sockets: %s", strerror(errno));
	}
	for (uint32_t i = 0; i < N; i++)
		for (int v6 = 0; v6 < 2; v6++) {
			jobs[n++] = (struct job){ .kind = K_IKE, .v6 = v6, .seq = i, .len = 72 + i };
			jobs[n++] = (struct job){ .kind = K_NATT_IKE, .v6 = v6, .seq = i,
						  .len = 76 + i };
		}
	for (uint32_t i = 0; i < NKA; i++)
		jobs[n++] = (struct job){ .kind = K_KEEPALIVE, .v6 = (int)(i & 1), .len = 1 };
	CHECK(stats(&s0) == 0, "stats");
	CHECK(send_jobs(jobs, n, 20000) == 0, "send: %s", strerror(errno));
	/* Every datagram, byte for byte, on the right socket. */
	for (int v6 = 0; v6 < 2; v6++) {
		for (;;) {
			uint8_t b[FRAME_MAX];
			ssize_t r = recv(fd500[v6], b, sizeof(b), 0);
			struct job want = { .kind = K_IKE, .seq = got500[v6], .len = 72 + got500[v6] };
			uint8_t w[FRAME_MAX];

			if (r < 0)
				break;
			payload_of(&want, w);
			if ((size_t)r != want.len || memcmp(b, w, want.len))
				bad++;
			got500[v6]++;
		}
		for (;;) {
			uint8_t b[FRAME_MAX];
			ssize_t r = recv(fd4500[v6], b, sizeof(b), 0);

			if (r < 0)
				break;
			if (r == 1 && b[0] == 0xff) {
				gotka++;
				continue;
			}
			{
				struct job want = { .kind = K_NATT_IKE, .seq = got4500[v6],
						    .len = 76 + got4500[v6] };
				uint8_t w[FRAME_MAX];

				payload_of(&want, w);
				if ((size_t)r != want.len || memcmp(b, w, want.len))
					bad++;
			}
			got4500[v6]++;
		}
		close(fd500[v6]);
		close(fd4500[v6]);
	}
	CHECK(stats(&s1) == 0, "stats");
	CHECK(got500[0] == N && got500[1] == N, "UDP 500 got %u (v4) %u (v6) of %u", got500[0],
	      got500[1], N);
	CHECK(got4500[0] == N && got4500[1] == N, "UDP 4500 got %u (v4) %u (v6) of %u",
	      got4500[0], got4500[1], N);
	CHECK(gotka == NKA, "keepalives at the socket: %u of %u", gotka, NKA);
	CHECK(bad == 0, "%u datagrams changed on the way", bad);
	CHECK(DELTA(s0, s1, IKE) == 2 * N && DELTA(s0, s1, IKE_NATT) == 2 * N &&
	      DELTA(s0, s1, KEEPALIVE) == NKA,
	      "counters ike %llu ike_natt %llu keepalive %llu, sent %u/%u/%u",
	      (unsigned long long)DELTA(s0, s1, IKE), (unsigned long long)DELTA(s0, s1, IKE_NATT),
	      (unsigned long long)DELTA(s0, s1, KEEPALIVE), 2 * N, 2 * N, NKA);
	result("IKE on 500 and 4500 (marker) and NAT-keepalives reach the gateway's UDP sockets, "
	       "IPv4 and IPv6", ok);
}

/* ---- scenario 2: ESP to the AF_XDP socket; unknown SPI dropped */

static void scenario_esp(int meta_on)
{
	enum { N = 100 };
	static const struct { enum kind k; int v6; uint32_t spi, slot, group; } forms[] = {
		{ K_ESP, 0, SPI_E4, 21, 20 }, { K_ESP, 1, SPI_E6, 22, 20 },
		{ K_ESP_UDP, 0, SPI_U4, 23, 21 }, { K_ESP_UDP, 1, SPI_U6, 24, 21 },
	};
	struct job jobs[4 * N + 2 * N];
	struct ipsecha_xdp_stats s0, s1;
	unsigned int got[4] = { 0 }, bad = 0, stray = 0, ntot = 0;
	uint64_t drop0 = 0, drop1 = 0;
	size_t n = 0;
	int ok = 1, fdu = gw_udp(0, 4500);

	for (uint32_t i = 0; i < N; i++)
		for (size_t f = 0; f < 4; f++)
			jobs[n++] = (struct job){ .kind = forms[f].k, .v6 = forms[f].v6,
						  .spi = forms[f].spi, .seq = i,
						  .len = 16 + (i % 64) * 4 };
	for (uint32_t i = 0; i < N; i++) {
		jobs[n++] = (struct job){ .kind = K_ESP, .v6 = 0, .spi = SPI_UNK, .seq = i, .len = 64 };
		jobs[n++] = (struct job){ .kind = K_ESP_UDP, .v6 = 0, .spi = SPI_UNK, .seq = i,
					  .len = 64 };
	}
	CHECK(stats(&s0) == 0, "stats");
	xskrx_stats(xsk, &drop0, NULL);
	CHECK(send_jobs(jobs, n, 20000) == 0, "send: %s", strerror(errno));
	for (;;) {
		uint8_t b[FRAME_MAX];
		struct ipsecha_xdp_meta m;
		struct esp_rx r;
		size_t len, elen;
		int k = xskrx_recv(xsk, 200, b, sizeof(b), &len, &m);

		if (k <= 0)
			break;
		ntot++;
		if (parse_rx(b, len, meta_on ? &m : NULL, &r, &elen)) {
			bad++;
			continue;
		}
		for (size_t f = 0; f < 4; f++)
			if (r.spi == forms[f].spi) {
				uint32_t slot = m.slot, group = m.group;

				/* Without metadata, the consumer's lookup. */
				if (!meta_on && ipsecha_xdp_sa_get(h, r.spi, &slot, &group))
					slot = group = UINT32_MAX;
				if (r.v6 != forms[f].v6 || r.encap != (forms[f].k == K_ESP_UDP) ||
				    slot != forms[f].slot || group != forms[f].group ||
				    !r.intact || r.seq != got[f] || elen != 16 + (r.seq % 64) * 4)
					bad++;
				got[f]++;
				goto next;
			}
		stray++;        /* unknown SPI on the socket */
next:;
	}
	{
		uint8_t b[64];

		while (fdu >= 0 && recv(fdu, b, sizeof(b), 0) >= 0)
			stray++;  /* unknown ESP-in-UDP passed to the stack */
		if (fdu >= 0)
			close(fdu);
	}
	xskrx_stats(xsk, &drop1, NULL);
	CHECK(stats(&s1) == 0, "stats");
	for (size_t f = 0; f < 4; f++)
		CHECK(got[f] == N, "form %zu (SPI %#x): %u of %u on the AF_XDP socket", f,
		      forms[f].spi, got[f], N);
	CHECK(bad == 0, "%u frames wrong (metadata, order, or payload changed)", bad);
	CHECK(stray == 0, "%u unknown-SPI packets were delivered somewhere", stray);
	CHECK(drop1 == drop0, "the AF_XDP socket dropped %llu frames",
	      (unsigned long long)(drop1 - drop0));
	CHECK(DELTA(s0, s1, ESP_REDIRECT) == 4 * N && DELTA(s0, s1, ESP_UNKNOWN) == 2 * N &&
	      ntot == 4 * N,
	      "counters esp_redirect %llu esp_unknown_spi %llu (sent %u/%u), socket got %u",
	      (unsigned long long)DELTA(s0, s1, ESP_REDIRECT),
	      (unsigned long long)DELTA(s0, s1, ESP_UNKNOWN), 4 * N, 2 * N, ntot);
	result(meta_on ? "known-SPI ESP (IPv4/IPv6, protocol 50 and UDP 4500) arrives intact on "
			 "the AF_XDP socket, its slot/group in the metadata (policy meta on)"
		       : "known-SPI ESP (IPv4/IPv6, protocol 50 and UDP 4500) arrives intact on "
			 "the AF_XDP socket; no metadata, the SA lookup gives its slot/group", ok);
	ok = 1;
	CHECK(stray == 0 && DELTA(s0, s1, ESP_UNKNOWN) == 2 * N, "unknown SPI");
	result(meta_on ? "unknown-SPI ESP is dropped and counted (policy meta on)"
		       : "unknown-SPI ESP is dropped and counted", ok);
}

/* ---- streams with state changes: every packet's fate checked */

enum fate { F_NONE, F_XSK, F_UDP };

struct pkt {
	uint32_t spi;
	uint64_t t_send, t_rx;
	enum fate fate;
	uint16_t slot, group;
	int intact, dup;
};

struct transition {
	uint64_t begin, end;    /* around the library call */
};

struct stream {
	struct pkt *p;
	size_t n;
	int udp_fd;
	atomic_int stop;
	unsigned int garbage;
};

static void *xsk_reader(void *arg)
{
	struct stream *s = arg;

	pin_cpu(1);
	reader_priority();
	while (!atomic_load(&s->stop)) {
		uint8_t b[FRAME_MAX];
		struct ipsecha_xdp_meta m;
		struct esp_rx r;
		size_t len, elen;
		int k = xskrx_recv(xsk, 5, b, sizeof(b), &len, &m);
		uint64_t t = now_ns();

		if (k <= 0)
			continue;
		if (parse_rx(b, len, &m, &r, &elen) || r.seq >= s->n || s->p[r.seq].spi != r.spi) {
			s->garbage++;
			continue;
		}
		if (s->p[r.seq].fate != F_NONE)
			s->p[r.seq].dup = 1;
		s->p[r.seq].fate = F_XSK;
		s->p[r.seq].t_rx = t;
		s->p[r.seq].slot = (uint16_t)m.slot;
		s->p[r.seq].group = (uint16_t)m.group;
		s->p[r.seq].intact = r.intact;
	}
	return NULL;
}

static void *udp_reader(void *arg)
{
	struct stream *s = arg;

	reader_priority();
	while (!atomic_load(&s->stop)) {
		uint8_t b[FRAME_MAX];
		ssize_t r = recv(s->udp_fd, b, sizeof(b), 0);
		uint64_t t = now_ns();
		uint32_t spi, seq;

		if (r < 8)
			continue;
		spi = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
		seq = (uint32_t)b[4] << 24 | (uint32_t)b[5] << 16 | (uint32_t)b[6] << 8 | b[7];
		if (seq >= s->n || s->p[seq].spi != spi) {
			s->garbage++;
			continue;
		}
		if (s->p[seq].fate != F_NONE)
			s->p[seq].dup = 1;
		s->p[seq].fate = F_UDP;
		s->p[seq].t_rx = t;
	}
	return NULL;
}

/* The fate packet `spi` has in `state`: F_XSK with slot/group, F_UDP
 * (passed to the stack), or F_NONE (dropped). */
typedef enum fate (*fate_fn)(size_t state, uint32_t spi, uint16_t *slot, uint16_t *group);
typedef int (*apply_fn)(size_t step);

struct script {
	const char *name;
	uint32_t spis[2];         /* packets alternate; spis[1] is the fence (never touched) */
	size_t packets;
	uint64_t spacing_ns;
	size_t steps;             /* transitions */
	uint64_t step_every_ns;   /* time between transitions */
	fate_fn fate;
	apply_fn apply;           /* step k moves state k -> k+1 */
};

struct stream_result {
	size_t total, checked_exact, fates[3], wrong, steps;
	struct ipsecha_xdp_stats s0, s1;
};

static int run_stream(const struct script *sc, struct stream_result *res, char *msg, size_t mn)
{
	struct stream st = { .n = sc->packets };
	struct transition *tr = calloc(sc->steps + 2, sizeof(*tr));
	struct job *jobs = calloc(sc->packets, sizeof(*jobs));
	struct sender snd = { .n = sc->packets, .spacing_ns = sc->spacing_ns };
	pthread_t ts, tx, tu;
	size_t step = 0, n_sent;
	uint64_t next_step;
	int err = 0;

	memset(res, 0, sizeof(*res));
	st.p = calloc(sc->packets, sizeof(*st.p));
	st.udp_fd = gw_udp(0, 4500);
	if (!tr || !jobs || !st.p || st.udp_fd < 0) {
		snprintf(msg, mn, "setup: %s", strerror(errno));
		err = -1;
		goto out;
	}
	for (size_t i = 0; i < sc->packets; i++) {
		st.p[i].spi = sc->spis[i & 1];
		jobs[i] = (struct job){ .kind = K_ESP_UDP, .v6 = 0, .spi = st.p[i].spi,
					.seq = (uint32_t)i, .len = 48 };
	}
	snd.jobs = jobs;
	stats(&res->s0);
	pthread_create(&tx, NULL, xsk_reader, &st);
	pthread_create(&tu, NULL, udp_reader, &st);
	pthread_create(&ts, NULL, sender_main, &snd);
	/* Transitions while the stream runs; step 0 (initial state) is in
	 * force from the start. The stream lasts as long as the script (plus
	 * one interval), whatever the machine's speed, up to sc->packets. */
	next_step = now_ns() + sc->step_every_ns;
	while (atomic_load(&snd.sent) < sc->packets && step < sc->steps) {
		if (now_ns() < next_step) {
			usleep(100);
			continue;
		}
		tr[step + 1].begin = now_ns();
		if (sc->apply(step)) {
			snprintf(msg, mn, "library call of step %zu failed", step);
			err = -1;
		}
		tr[step + 1].end = now_ns();
		step++;
		next_step = now_ns() + sc->step_every_ns;
	}
	while (atomic_load(&snd.sent) < sc->packets && now_ns() < next_step)
		usleep(100);
	atomic_store(&snd.halt, 1);
	pthread_join(ts, NULL);
	n_sent = atomic_load(&snd.sent);  /* packets really sent */
	usleep(200000);                 /* let the last packets land */
	atomic_store(&st.stop, 1);
	pthread_join(tx, NULL);
	pthread_join(tu, NULL);
	stats(&res->s1);
	if (snd.err) {
		snprintf(msg, mn, "sender: %s", strerror(snd.err));
		err = -1;
		goto out;
	}

	/* Packet i ran through the program at some instant of
	 * [t_send(i), t_rx(first received fence packet after i)]: packets are
	 * processed in order (one rx queue, the sender pinned to one CPU). */
	{
		uint64_t fence = UINT64_MAX;
		size_t nsteps = step;

		res->steps = step;
		for (size_t i = n_sent; i-- > 0;) {
			struct pkt *p = &st.p[i];
			int allowed = 0, n_allowed = 0;

			p->t_send = jobs[i].t_send;
			if (p->spi == sc->spis[1] && p->fate != F_NONE)
				fence = p->t_rx;
			res->total++;
			res->fates[p->fate]++;
			if (jobs[i].err || p->dup) {
				res->wrong++;
				continue;
			}
			/* State k possibly in force at t: transition k began at or
			 * before t, and transition k+1 had not ended before t. */
			for (size_t k = 0; k <= nsteps; k++) {
				uint64_t b = k ? tr[k].begin : 0;
				uint64_t e = k < nsteps ? tr[k + 1].end : UINT64_MAX;
				uint16_t slot = 0, group = 0;
				enum fate f;

				if (b > fence || e < p->t_send)
					continue;
				n_allowed++;
				f = sc->fate(k, p->spi, &slot, &group);
				if (f == p->fate && (f != F_XSK || (slot == p->slot && group == p->group &&
								   p->intact)))
					allowed = 1;
			}
			if (n_allowed == 1)
				res->checked_exact++;
			if (!allowed) {
				if (res->wrong < 5)
					printf("    packet %zu (SPI %#x) fate %d slot %u: not allowed in "
					       "any of its %d states\n", i, p->spi, p->fate, p->slot,
					       n_allowed);
				res->wrong++;
			}
		}
	}
	if (st.garbage) {
		snprintf(msg, mn, "%u frames that were not sent arrived", st.garbage);
		err = -1;
	}
out:
	if (st.udp_fd >= 0)
		close(st.udp_fd);
	free(st.p);
	free(jobs);
	free(tr);
	return err;
}

/* HOLD: A and B stream alternately; A's group is held, then released. */
static enum fate hold_fate(size_t state, uint32_t spi, uint16_t *slot, uint16_t *group)
{
	if (spi == SPI_HB) {
		*slot = 31;
		*group = 31;
		return F_XSK;
	}
	*slot = 30;
	*group = 30;
	return state == 1 ? F_NONE : F_XSK;
}

static int hold_apply(size_t step)
{
	return step == 0 ? ipsecha_xdp_group_hold(h, 30) : ipsecha_xdp_group_release(h, 30);
}

static void scenario_hold(void)
{
	const struct script sc = {
		.spis = { SPI_HA, SPI_HB }, .packets = 200000, .spacing_ns = 25000,
		.steps = 2, .step_every_ns = 200000000, .fate = hold_fate, .apply = hold_apply,
	};
	struct stream_result r;
	uint64_t gd0 = 0, gd1 = 0, xd0 = 0, xd1 = 0;
	char msg[160] = "";
	int ok = 1;

	ipsecha_xdp_group_drops(h, 30, &gd0);
	xskrx_stats(xsk, &xd0, NULL);
	CHECK(run_stream(&sc, &r, msg, sizeof(msg)) == 0, "%s", msg);
	ipsecha_xdp_group_drops(h, 30, &gd1);
	xskrx_stats(xsk, &xd1, NULL);
	CHECK(xd1 == xd0, "the AF_XDP socket dropped %llu frames", (unsigned long long)(xd1 - xd0));
	CHECK(r.steps == sc.steps, "%zu of %zu state changes made during the stream", r.steps,
	      sc.steps);
	CHECK(r.wrong == 0, "%zu of %zu packets had a fate their group's state did not allow",
	      r.wrong, r.total);
	/* Exactly that group's ESP was dropped: every drop is group 30's and
	 * counted as such. */
	CHECK(DELTA(r.s0, r.s1, ESP_HOLD) == r.fates[F_NONE] && gd1 - gd0 == r.fates[F_NONE] &&
	      DELTA(r.s0, r.s1, ESP_REDIRECT) == r.fates[F_XSK] &&
	      DELTA(r.s0, r.s1, ESP_UNKNOWN) == 0 && r.fates[F_UDP] == 0,
	      "counters: esp_hold %llu (group 30: %llu), esp_redirect %llu; packets dropped %zu, "
	      "on the socket %zu",
	      (unsigned long long)DELTA(r.s0, r.s1, ESP_HOLD), (unsigned long long)(gd1 - gd0),
	      (unsigned long long)DELTA(r.s0, r.s1, ESP_REDIRECT), r.fates[F_NONE],
	      r.fates[F_XSK]);
	/* The hold really bit: most of group 30's packets while held. */
	CHECK(r.fates[F_NONE] > 1000 && r.fates[F_XSK] > r.total / 2,
	      "dropped %zu, delivered %zu of %zu", r.fates[F_NONE], r.fates[F_XSK], r.total);
	printf("    %zu packets, %zu state changes: %zu delivered, %zu held; %zu with one possible "
	       "state\n", r.total, r.steps, r.fates[F_XSK], r.fates[F_NONE], r.checked_exact);
	result("HOLD under traffic drops exactly that group's ESP; release restores it", ok);
}

/* Races: an SA of group 40 changes under a stream; fences are group 41's. */
#define RACE_SPI 0x0c00d00du
#define FENCE_SPI 0x0c00f00du
static enum fate race_fate(size_t state, uint32_t spi, uint16_t *slot, uint16_t *group)
{
	static const struct { enum fate f; uint16_t slot, group; } st[] = {
		{ F_XSK, 100, 40 },     /* 0: SA -> 100/40 */
		{ F_NONE, 0, 0 },       /* 1: hold 40 */
		{ F_XSK, 100, 40 },     /* 2: release 40 */
		{ F_XSK, 200, 40 },     /* 3: replace -> 200/40 */
		{ F_NONE, 0, 0 },       /* 4: replace -> 300/42 (42 held) */
		{ F_XSK, 300, 42 },     /* 5: release 42 */
		{ F_UDP, 0, 0 },        /* 6: policy esp=pass */
		{ F_XSK, 300, 42 },     /* 7: policy esp=redirect */
		{ F_NONE, 0, 0 },       /* 8: delete SA */
		{ F_XSK, 100, 40 },     /* 9: re-add -> 100/40 */
		{ F_XSK, 100, 40 },     /* 10: hold 42 again */
	};
	size_t k = state % (sizeof(st) / sizeof(st[0]));

	if (spi == FENCE_SPI) {
		*slot = 101;
		*group = 41;
		return k == 6 ? F_UDP : F_XSK;
	}
	*slot = st[k].slot;
	*group = st[k].group;
	return st[k].f;
}

static int race_apply(size_t step)
{
	struct ipsecha_xdp_policy pol;

	switch ((step + 1) % 11) {
	case 0: return 0;
	case 1: return ipsecha_xdp_group_hold(h, 40);
	case 2: return ipsecha_xdp_group_release(h, 40);
	case 3: return ipsecha_xdp_sa_add(h, RACE_SPI, 200, 40, IPSECHA_XDP_SA_REPLACE);
	case 4: return ipsecha_xdp_sa_add(h, RACE_SPI, 300, 42, IPSECHA_XDP_SA_REPLACE);
	case 5: return ipsecha_xdp_group_release(h, 42);
	case 6:
	case 7:         /* metadata stays on: it names the slot each packet got */
		ipsecha_xdp_policy_default(&pol, (step + 1) % 11 == 7);
		pol.meta = 1;
		return ipsecha_xdp_policy_set(h, &pol);
	case 8: return ipsecha_xdp_sa_del(h, RACE_SPI);
	case 9: return ipsecha_xdp_sa_add(h, RACE_SPI, 100, 40, 0);
	default: return ipsecha_xdp_group_hold(h, 42);
	}
}

static void scenario_race(void)
{
	const struct script sc = {
		.spis = { RACE_SPI, FENCE_SPI }, .packets = 400000, .spacing_ns = 25000,
		.steps = 10 * 11, .step_every_ns = 8000000, .fate = race_fate, .apply = race_apply,
	};
	struct stream_result r;
	uint64_t xd0 = 0, xd1 = 0;
	unsigned long long ue0 = udp_rcvbuf_errors(), ue1;
	char msg[160] = "";
	int ok = 1;

	CHECK(ipsecha_xdp_sa_add(h, RACE_SPI, 100, 40, 0) == 0 &&
	      ipsecha_xdp_sa_add(h, FENCE_SPI, 101, 41, 0) == 0 &&
	      ipsecha_xdp_group_hold(h, 42) == 0, "race SAs");
	xskrx_stats(xsk, &xd0, NULL);
	CHECK(run_stream(&sc, &r, msg, sizeof(msg)) == 0, "%s", msg);
	xskrx_stats(xsk, &xd1, NULL);
	ue1 = udp_rcvbuf_errors();
	CHECK(xd1 == xd0, "the AF_XDP socket dropped %llu frames", (unsigned long long)(xd1 - xd0));
	CHECK(ue1 == ue0, "the UDP socket dropped %llu datagrams (receive buffer)", ue1 - ue0);
	CHECK(r.steps == sc.steps, "%zu of %zu state changes made during the stream", r.steps,
	      sc.steps);
	CHECK(r.wrong == 0, "%zu of %zu packets mis-steered", r.wrong, r.total);
	CHECK(DELTA(r.s0, r.s1, ESP_REDIRECT) == r.fates[F_XSK] &&
	      DELTA(r.s0, r.s1, ESP_PASS) == r.fates[F_UDP] &&
	      DELTA(r.s0, r.s1, ESP_HOLD) + DELTA(r.s0, r.s1, ESP_UNKNOWN) == r.fates[F_NONE],
	      "counters disagree with the packets' fates (redirect %llu/%zu pass %llu/%zu "
	      "drop %llu/%zu)",
	      (unsigned long long)DELTA(r.s0, r.s1, ESP_REDIRECT), r.fates[F_XSK],
	      (unsigned long long)DELTA(r.s0, r.s1, ESP_PASS), r.fates[F_UDP],
	      (unsigned long long)(DELTA(r.s0, r.s1, ESP_HOLD) + DELTA(r.s0, r.s1, ESP_UNKNOWN)),
	      r.fates[F_NONE]);
	CHECK(r.fates[F_NONE] && r.fates[F_UDP] && r.fates[F_XSK], "not every fate seen");
	printf("    %zu packets, %zu state changes: %zu on AF_XDP, %zu to the stack, %zu dropped; "
	       "%zu with one possible state\n", r.total, r.steps, r.fates[F_XSK], r.fates[F_UDP],
	       r.fates[F_NONE], r.checked_exact);
	{
		struct ipsecha_xdp_policy pol;

		ipsecha_xdp_policy_default(&pol, true);
		ipsecha_xdp_policy_set(h, &pol);
	}
	result("SA/group/policy updates racing a steady stream never mis-steer a packet", ok);
}

int main(int argc, char **argv)
{
	struct ipsecha_xdp_stats st;
	int err;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--ifname"))
			ifname = argv[i + 1];
		else if (!strcmp(argv[i], "--peer"))
			peer_ns = argv[i + 1];
		else if (!strcmp(argv[i], "--mode"))
			mode = argv[i + 1];
	}
	err = ipsecha_xdp_open(ifname, NULL, &h);
	if (err) {
		printf("FAIL [%s] open %s: %s\n", mode, ifname, ipsecha_xdp_strerror(err));
		return 1;
	}
	err = xskrx_open(&xsk, ifname, 0);
	if (!err)
		err = ipsecha_xdp_xsk_set(h, 0, xskrx_fd(xsk));
	if (err) {
		printf("FAIL [%s] AF_XDP socket on %s queue 0: %s\n", mode, ifname, strerror(-err));
		return 1;
	}
	scenario_ike();
	scenario_esp(0);
	/* The stream scenarios check the slot each packet was steered with:
	 * metadata on from here. */
	{
		struct ipsecha_xdp_policy pol;

		err = ipsecha_xdp_policy_get(h, &pol);
		pol.meta = 1;
		if (err || (err = ipsecha_xdp_policy_set(h, &pol))) {
			printf("FAIL [%s] policy meta on: %s\n", mode, ipsecha_xdp_strerror(err));
			return 1;
		}
	}
	scenario_esp(1);
	scenario_hold();
	scenario_race();
	ipsecha_xdp_xsk_clear(h, 0);
	if (ipsecha_xdp_stats(h, &st) == 0)
		printf("TOTAL esp_redirect=%llu esp_hold=%llu ike=%llu\n",
		       (unsigned long long)st.reason[IPSECHA_XDP_R_ESP_REDIRECT],
		       (unsigned long long)st.reason[IPSECHA_XDP_R_ESP_HOLD],
		       (unsigned long long)st.reason[IPSECHA_XDP_R_IKE]);
	xskrx_close(xsk);
	ipsecha_xdp_close(h);
	printf("xdp-live [%s]: %d passed, %d failed\n", mode, passed, failed);
	return failed ? 1 : 0;
}
