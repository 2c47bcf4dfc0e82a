/* test_xdp_fixtures.c — the steering program run by the kernel on crafted
 * frames (BPF_PROG_TEST_RUN), on a veth in a private network namespace.
 *
 *  1. fixture table: every case of docs/xdp.md, malformed frames included;
 *     each row checks the XDP action, the reason and verdict counters (and
 *     that nothing else moved), the per-group hold counter, that no
 *     metadata is written by default, and — run again as a live frame —
 *     that a redirected frame arrives intact on the AF_XDP socket of queue
 *     0 and that no other frame does; a redirected row runs once more with
 *     the policy's metadata on, which must then be in front of the frame,
 *     in the test run and on the socket;
 *  2. differential: random and mutated frames through the program and the
 *     independent reference model (refmodel.c) under several policies;
 *  3. races: SA and group updates through the loader library while a
 *     thread runs frames; every frame's fate must be one the maps allowed
 *     at some instant of its run; meanwhile lock-free SA lookups must
 *     always return a whole entry of the SPI asked;
 *  4. the grace period: hold, policy_set and sync must not return while a
 *     run that started before them is still inside a program;
 *  5. the library's checks on a live attachment, SA-table probing with
 *     colliding SPIs.
 *
 * Needs root. Prints "xdp-fixtures: N passed, N failed, N skipped". */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include "frames.h"
#include "ipsecha_xdp.h"
#include "refmodel.h"
#include "testenv.h"
#include "xdp_slow.skel.h"
#include "xsk_util.h"

static int passed, failed, skipped;
static struct testenv env;

#define CHECK(cond, ...)                                                         \
	do {                                                                     \
		if (!(cond)) {                                                   \
			printf("    FAIL %s:%d: ", __FILE__, __LINE__);            \
			printf(__VA_ARGS__);                                     \
			printf("\n");                                            \
			ok = 0;                                                  \
		}                                                                \
	} while (0)

static void result(const char *name, int ok)
{
	printf("%s %s\n", ok ? "ok  " : "FAIL", name);
	if (ok)
		passed++;
	else
		failed++;
}

/* ---- the SAs and groups the fixtures run against */

enum {
	SPI_A = 0x0a000001,     /* slot 11, group 1: active */
	SPI_H = 0x0a000002,     /* slot 12, group 2: held */
	SPI_MAX = 0x0a000003,   /* slot 4095, group 1023: the largest ids */
	SPI_V6 = 0x0a000006,    /* slot 60, group 6: active */
	SPI_BADGRP = 0x0a0000bb,/* raw entry naming group 2000 (array has 1024) */
	SPI_UNKNOWN = 0x0badbeef,
};

struct sa_def {
	uint32_t spi, slot, group;
};
static const struct sa_def sa_defs[] = {
	{ SPI_A, 11, 1 }, { SPI_H, 12, 2 }, { SPI_MAX, 4095, 1023 }, { SPI_V6, 60, 6 },
};
#define N_SA (sizeof(sa_defs) / sizeof(sa_defs[0]))

static int model_sa(void *ctx, uint32_t spi, uint32_t *slot, uint32_t *group)
{
	(void)ctx;
	for (size_t i = 0; i < N_SA; i++)
		if (sa_defs[i].spi == spi) {
			*slot = sa_defs[i].slot;
			*group = sa_defs[i].group;
			return 1;
		}
	if (spi == SPI_BADGRP) {
		*slot = 1;
		*group = 2000;
		return 1;
	}
	return 0;
}

static int model_group(void *ctx, uint32_t group, uint32_t *state)
{
	(void)ctx;
	if (group >= IPSECHA_XDP_DEF_GROUPS)
		return -1;
	*state = group == 2 ? IPSECHA_XDP_GROUP_HOLD : IPSECHA_XDP_GROUP_ACTIVE;
	return 0;
}

static int pinned(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s/%s", env.pin_root, env.if0, name);
	return bpf_obj_get(path);
}

/* The live config (for the SA table's geometry). */
static int live_config(struct ipsecha_xdp_config *cfg)
{
	int sel_fd = pinned("cfgsel"), cfg_fd = pinned("config"), err = -1;
	uint32_t zero = 0, sel;

	if (sel_fd >= 0 && cfg_fd >= 0 && !bpf_map_lookup_elem(sel_fd, &zero, &sel) &&
	    !bpf_map_lookup_elem(cfg_fd, &sel, cfg))
		err = 0;
	if (sel_fd >= 0)
		close(sel_fd);
	if (cfg_fd >= 0)
		close(cfg_fd);
	return err;
}

static uint32_t home_bucket(uint32_t spi)
{
	static struct ipsecha_xdp_config cfg;

	if (!cfg.sa_shift && live_config(&cfg))
		return 0;
	return ipsecha_xdp_sa_hash(htonl(spi), cfg.sa_shift);
}

/* Write an SA entry behind the library's back (it refuses a group beyond
 * the array): the first empty bucket of the SPI's probe window. */
static int raw_sa(uint32_t spi, uint16_t slot, uint16_t group)
{
	struct ipsecha_xdp_config cfg;
	struct ipsecha_xdp_sa v = { htonl(spi), slot, group };
	int fd = pinned("sa"), err = -ENOSPC;

	if (fd < 0 || live_config(&cfg))
		return -errno;
	for (uint32_t i = 0; i < IPSECHA_XDP_SA_PROBES; i++) {
		uint32_t idx = (ipsecha_xdp_sa_hash(v.spi, cfg.sa_shift) + i) & (cfg.sa_buckets - 1);
		uint64_t cur;

		if (bpf_map_lookup_elem(fd, &idx, &cur) == 0 && cur == 0) {
			err = bpf_map_update_elem(fd, &idx, &v, BPF_ANY) ? -errno : 0;
			break;
		}
	}
	close(fd);
	return err;
}

/* ---- running frames */

struct run {
	int action;
	struct ipsecha_xdp_meta meta;
	int has_meta;
};

/* One BPF_PROG_TEST_RUN on rx queue 0 of if0; `metalen` bytes of metadata
 * already in front of the frame. */
static int run_frame(const uint8_t *frame, size_t len, int metalen, struct run *r)
{
	uint8_t in[FRAME_MAX + 32], out[FRAME_MAX + 64];
	struct xdp_md ctx = {
		.data = (uint32_t)metalen, .data_end = (uint32_t)(len + (size_t)metalen),
		.ingress_ifindex = (uint32_t)env.ifindex0, .rx_queue_index = 0,
	};
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in,
		    .data_size_in = (uint32_t)(len + (size_t)metalen), .data_out = out,
		    .data_size_out = sizeof(out), .ctx_in = &ctx, .ctx_size_in = sizeof(ctx),
		    .repeat = 1);

	memset(in, 0x5a, (size_t)metalen);
	memcpy(in + metalen, frame, len);
	memset(r, 0, sizeof(*r));
	if (bpf_prog_test_run_opts(ipsecha_xdp_prog_fd(env.h), &o))
		return -errno;
	r->action = (int)o.retval;
	/* data_out starts at data_meta: the metadata, then the frame. */
	if (o.data_size_out >= len + IPSECHA_XDP_META_LEN &&
	    o.data_size_out - len == IPSECHA_XDP_META_LEN) {
		memcpy(&r->meta, out, sizeof(r->meta));
		r->has_meta = !memcmp(out + IPSECHA_XDP_META_LEN, frame, len);
	}
	return 0;
}

/* The same frame as a live frame: the kernel really performs the verdict
 * (BPF_F_TEST_XDP_LIVE_FRAMES), so a redirect lands on the AF_XDP socket. */
static int run_live(const uint8_t *frame, size_t len)
{
	struct xdp_md ctx = {
		.data = 0, .data_end = (uint32_t)len,
		.ingress_ifindex = (uint32_t)env.ifindex0, .rx_queue_index = 0,
	};
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = (uint32_t)len,
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = 1,
		    .flags = BPF_F_TEST_XDP_LIVE_FRAMES);

	if (bpf_prog_test_run_opts(ipsecha_xdp_prog_fd(env.h), &o))
		return -errno;
	return 0;
}

static int stats(struct ipsecha_xdp_stats *s)
{
	return ipsecha_xdp_stats(env.h, s);
}

static int verdict_of(int action)
{
	return action == XDP_PASS ? IPSECHA_XDP_V_PASS :
	       action == XDP_REDIRECT ? IPSECHA_XDP_V_REDIRECT : IPSECHA_XDP_V_DROP;
}

/* Exactly one verdict and one reason counter moved, by n. */
static int counters_moved(const struct ipsecha_xdp_stats *a, const struct ipsecha_xdp_stats *b,
			  int action, unsigned int reason, uint64_t n, char *why, size_t wn)
{
	for (unsigned int v = 0; v < IPSECHA_XDP_V_COUNT; v++) {
		uint64_t want = v == (unsigned int)verdict_of(action) ? n : 0;

		if (b->verdict[v] - a->verdict[v] != want) {
			snprintf(why, wn, "verdict %s moved by %llu, want %llu",
				 ipsecha_xdp_verdict_name(v),
				 (unsigned long long)(b->verdict[v] - a->verdict[v]),
				 (unsigned long long)want);
			return 0;
		}
	}
	for (unsigned int r = 0; r < IPSECHA_XDP_R_COUNT; r++) {
		uint64_t want = r == reason ? n : 0;

		if (b->reason[r] - a->reason[r] != want) {
			snprintf(why, wn, "reason %s moved by %llu, want %llu",
				 ipsecha_xdp_reason_name(r),
				 (unsigned long long)(b->reason[r] - a->reason[r]),
				 (unsigned long long)want);
			return 0;
		}
	}
	return 1;
}

/* ---- the fixture table */

enum payload {
	PL_NONE, PL_ESP, PL_IKE, PL_NATT_IKE, PL_KEEPALIVE, PL_BYTES,
};
enum policy_variant {
	POL_DEFAULT,            /* redirect, unknown drop, keepalive pass, no meta, 500/4500 */
	POL_KEEPALIVE_DROP, POL_UNKNOWN_PASS, POL_ESP_PASS, POL_PORTS, POL_META,
};

struct row {
	const char *name;
	struct frame_spec f;
	enum payload pl;
	uint32_t spi;            /* PL_ESP */
	size_t plen;             /* payload length (PL_ESP/IKE/NATT_IKE/BYTES) */
	uint8_t byte;            /* PL_BYTES: fill */
	enum policy_variant pol;
	int no_xsk;              /* no socket on queue 0 for this row */
	int metalen;             /* metadata already in front (test-run only) */
	int action;
	unsigned int reason;
	uint16_t esp_off;        /* expected metadata of a redirect */
	uint8_t encap;
};

#define V4 .l3 = 4
#define V6 .l3 = 6
#define UDP(d) .proto = IPPROTO_UDP, .dport = (d)
#define ESP .proto = IPPROTO_ESP
#define R(n) .name = (n)
#define PASS(r) .action = XDP_PASS, .reason = IPSECHA_XDP_R_##r
#define DROP(r) .action = XDP_DROP, .reason = IPSECHA_XDP_R_##r
#define REDIR(off, enc) .action = XDP_REDIRECT, .reason = IPSECHA_XDP_R_ESP_REDIRECT, \
			.esp_off = (off), .encap = (enc)
#define HBH(l) { .type = IPPROTO_HOPOPTS, .len8 = (l) }
#define DST(l) { .type = IPPROTO_DSTOPTS, .len8 = (l) }
#define RT(l, s) { .type = IPPROTO_ROUTING, .len8 = (l), .segleft = (s) }
#define FRAG(v) { .type = IPPROTO_FRAGMENT, .frag = (v) }

static const struct row rows[] = {
	/* ---- not IPsec */
	{ R("ARP frame: not IP"), .f = { .ethertype = 0x0806 }, .pl = PL_BYTES, .plen = 28,
	  PASS(NON_IP) },
	{ R("IPv4 ICMP"), .f = { V4, .proto = IPPROTO_ICMP }, .pl = PL_BYTES, .plen = 16,
	  PASS(NOT_IPSEC) },
	{ R("IPv4 TCP to port 500"), .f = { V4, .proto = IPPROTO_TCP, .dport = 500 },
	  .pl = PL_BYTES, .plen = 20, PASS(NOT_IPSEC) },
	{ R("IPv4 UDP to port 53"), .f = { V4, UDP(53) }, .pl = PL_BYTES, .plen = 30,
	  PASS(NOT_IPSEC) },
	{ R("IPv4 AH (protocol 51)"), .f = { V4, .proto = 51 }, .pl = PL_ESP, .spi = SPI_A,
	  .plen = 24, PASS(NOT_IPSEC) },
	{ R("IPv6 ICMPv6"), .f = { V6, .proto = IPPROTO_ICMPV6 }, .pl = PL_BYTES, .plen = 24,
	  PASS(NOT_IPSEC) },
	/* ---- IKE */
	{ R("IPv4 UDP 500: IKE"), .f = { V4, UDP(500) }, .pl = PL_IKE, .plen = 60, PASS(IKE) },
	{ R("IPv4 UDP 4500 with non-ESP marker: IKE"), .f = { V4, UDP(4500) },
	  .pl = PL_NATT_IKE, .plen = 64, PASS(IKE_NATT) },
	{ R("IPv6 UDP 500: IKE"), .f = { V6, UDP(500) }, .pl = PL_IKE, .plen = 60, PASS(IKE) },
	{ R("IPv6 UDP 4500 with non-ESP marker: IKE"), .f = { V6, UDP(4500) },
	  .pl = PL_NATT_IKE, .plen = 64, PASS(IKE_NATT) },
	{ R("UDP 4500 marker only (4 zero bytes): IKE"), .f = { V4, UDP(4500) },
	  .pl = PL_BYTES, .plen = 4, .byte = 0, PASS(IKE_NATT) },
	{ R("policy ports 1500/14500: UDP 1500 is IKE"), .f = { V4, UDP(1500) },
	  .pl = PL_IKE, .plen = 40, .pol = POL_PORTS, PASS(IKE) },
	{ R("policy ports 1500/14500: UDP 500 is not IPsec"), .f = { V4, UDP(500) },
	  .pl = PL_IKE, .plen = 40, .pol = POL_PORTS, PASS(NOT_IPSEC) },
	{ R("policy ports 1500/14500: ESP-in-UDP on 14500"), .f = { V4, UDP(14500) },
	  .pl = PL_ESP, .spi = SPI_A, .plen = 40, .pol = POL_PORTS, REDIR(42, 1) },
	/* ---- NAT keepalive */
	{ R("NAT-keepalive 0xFF: pass by default"), .f = { V4, UDP(4500) },
	  .pl = PL_KEEPALIVE, PASS(KEEPALIVE) },
	{ R("NAT-keepalive 0xFF: drop by policy"), .f = { V4, UDP(4500) },
	  .pl = PL_KEEPALIVE, .pol = POL_KEEPALIVE_DROP, DROP(KEEPALIVE) },
	{ R("NAT-keepalive padded to 60 bytes (length from IP/UDP)"),
	  .f = { V4, UDP(4500), .min_len = 60 }, .pl = PL_KEEPALIVE, PASS(KEEPALIVE) },
	{ R("IPv6 NAT-keepalive"), .f = { V6, UDP(4500) }, .pl = PL_KEEPALIVE,
	  PASS(KEEPALIVE) },
	{ R("UDP 4500 single byte not 0xFF"), .f = { V4, UDP(4500) }, .pl = PL_BYTES,
	  .plen = 1, .byte = 0xfe, DROP(MALFORMED_ESP) },
	/* ---- ESP, protocol 50 */
	{ R("IPv4 ESP known SPI, active: redirect"), .f = { V4, ESP }, .pl = PL_ESP,
	  .spi = SPI_A, .plen = 64, REDIR(34, 0) },
	{ R("IPv4 ESP, largest slot and group ids"), .f = { V4, ESP }, .pl = PL_ESP,
	  .spi = SPI_MAX, .plen = 64, REDIR(34, 0) },
	{ R("IPv4 ESP, group on HOLD: drop"), .f = { V4, ESP }, .pl = PL_ESP, .spi = SPI_H,
	  .plen = 64, DROP(ESP_HOLD) },
	{ R("IPv4 ESP unknown SPI: drop by default"), .f = { V4, ESP }, .pl = PL_ESP,
	  .spi = SPI_UNKNOWN, .plen = 64, DROP(ESP_UNKNOWN) },
	{ R("IPv4 ESP unknown SPI: pass by policy"), .f = { V4, ESP }, .pl = PL_ESP,
	  .spi = SPI_UNKNOWN, .plen = 64, .pol = POL_UNKNOWN_PASS, PASS(ESP_UNKNOWN) },
	{ R("IPv4 ESP SPI 0: unknown"), .f = { V4, ESP }, .pl = PL_ESP, .spi = 0, .plen = 32,
	  DROP(ESP_UNKNOWN) },
	{ R("IPv4 ESP known, policy esp=pass"), .f = { V4, ESP }, .pl = PL_ESP, .spi = SPI_A,
	  .plen = 64, .pol = POL_ESP_PASS, PASS(ESP_PASS) },
	{ R("IPv4 ESP known, held, policy esp=pass: still drop"), .f = { V4, ESP },
	  .pl = PL_ESP, .spi = SPI_H, .plen = 64, .pol = POL_ESP_PASS, DROP(ESP_HOLD) },
	{ R("IPv4 ESP known, no AF_XDP socket on the queue"), .f = { V4, ESP }, .pl = PL_ESP,
	  .spi = SPI_A, .plen = 64, .no_xsk = 1, DROP(ESP_NO_XSK) },
	{ R("IPv4 ESP, SA names a group beyond the array"), .f = { V4, ESP }, .pl = PL_ESP,
	  .spi = SPI_BADGRP, .plen = 64, DROP(ESP_BAD_GROUP) },
	{ R("IPv4 ESP SPI 255 (reserved): unknown"), .f = { V4, ESP }, .pl = PL_ESP,
	  .spi = 255, .plen = 32, DROP(ESP_UNKNOWN) },
	{ R("IPv4 ESP exactly 8 bytes (SPI + sequence)"), .f = { V4, ESP }, .pl = PL_ESP,
	  .spi = SPI_A, .plen = 8, REDIR(34, 0) },
	{ R("IPv4 ESP shorter than 8 bytes"), .f = { V4, ESP }, .pl = PL_ESP, .spi = SPI_A,
	  .plen = 7, DROP(MALFORMED_ESP) },
	{ R("IPv4 ESP, frame padded past IP length, ESP 6 bytes"),
	  .f = { V4, ESP, .min_len = 60 }, .pl = PL_ESP, .spi = SPI_A, .plen = 6,
	  DROP(MALFORMED_ESP) },
	{ R("frame with metadata already in front: replaced"), .f = { V4, ESP }, .pl = PL_ESP,
	  .spi = SPI_A, .plen = 40, .metalen = 8, REDIR(34, 0) },
	/* ---- ESP-in-UDP */
	{ R("IPv4 ESP-in-UDP known SPI: redirect"), .f = { V4, UDP(4500) }, .pl = PL_ESP,
	  .spi = SPI_A, .plen = 64, REDIR(42, 1) },
	{ R("IPv4 ESP-in-UDP, group on HOLD"), .f = { V4, UDP(4500) }, .pl = PL_ESP,
	  .spi = SPI_H, .plen = 64, DROP(ESP_HOLD) },
	{ R("IPv4 ESP-in-UDP unknown SPI"), .f = { V4, UDP(4500) }, .pl = PL_ESP,
	  .spi = SPI_UNKNOWN, .plen = 64, DROP(ESP_UNKNOWN) },
	{ R("ESP-in-UDP with 5 payload bytes"), .f = { V4, UDP(4500) }, .pl = PL_ESP,
	  .spi = SPI_A, .plen = 5, DROP(MALFORMED_ESP) },
	{ R("UDP 4500 with 2 payload bytes"), .f = { V4, UDP(4500) }, .pl = PL_BYTES,
	  .plen = 2, .byte = 0x11, DROP(MALFORMED_ESP) },
	{ R("UDP 4500 with no payload"), .f = { V4, UDP(4500) }, DROP(MALFORMED_ESP) },
	/* ---- edges of the IPv4 fast path (50-byte frame, UDP length 16) */
	{ R("fast path edge: ESP-in-UDP with exactly SPI + sequence (50-byte frame)"),
	  .f = { V4, UDP(4500) }, .pl = PL_ESP, .spi = SPI_A, .plen = 8, REDIR(42, 1) },
	{ R("fast path edge: ESP of 16 bytes (50-byte frame)"), .f = { V4, ESP },
	  .pl = PL_ESP, .spi = SPI_A, .plen = 16, REDIR(34, 0) },
	{ R("fast path edge: IKE with 8 payload bytes (UDP length 16)"), .f = { V4, UDP(500) },
	  .pl = PL_IKE, .plen = 8, PASS(IKE) },
	{ R("ESP-in-UDP: UDP length leaves 7 bytes inside a longer IP payload"),
	  .f = { V4, UDP(4500), .udp_len_delta = -9 }, .pl = PL_ESP, .spi = SPI_A,
	  .plen = 16, DROP(MALFORMED_ESP) },
	{ R("NAT-keepalive: UDP length 9 inside a longer IP payload"),
	  .f = { V4, UDP(4500), .udp_len_delta = -15 }, .pl = PL_BYTES, .plen = 16,
	  .byte = 0xff, PASS(KEEPALIVE) },
	{ R("IPv6 ESP-in-UDP known SPI: redirect"), .f = { V6, UDP(4500) }, .pl = PL_ESP,
	  .spi = SPI_V6, .plen = 64, REDIR(62, 1) },
	/* ---- IPv6 ESP */
	{ R("IPv6 ESP known SPI: redirect"), .f = { V6, ESP }, .pl = PL_ESP, .spi = SPI_V6,
	  .plen = 64, REDIR(54, 0) },
	{ R("IPv6 ESP, group on HOLD"), .f = { V6, ESP }, .pl = PL_ESP, .spi = SPI_H,
	  .plen = 64, DROP(ESP_HOLD) },
	{ R("IPv6 ESP unknown SPI"), .f = { V6, ESP }, .pl = PL_ESP, .spi = SPI_UNKNOWN,
	  .plen = 64, DROP(ESP_UNKNOWN) },
	{ R("IPv6 ESP shorter than 8 bytes"), .f = { V6, ESP }, .pl = PL_ESP, .spi = SPI_V6,
	  .plen = 6, DROP(MALFORMED_ESP) },
	/* ---- 802.1Q */
	{ R("802.1Q + IPv4 ESP: redirect"), .f = { V4, ESP, .vlans = 1 }, .pl = PL_ESP,
	  .spi = SPI_A, .plen = 64, REDIR(38, 0) },
	{ R("802.1Q + IPv4 UDP 500: IKE"), .f = { V4, UDP(500), .vlans = 1 }, .pl = PL_IKE,
	  .plen = 40, PASS(IKE) },
	{ R("802.1Q + IPv6 ESP-in-UDP: redirect"), .f = { V6, UDP(4500), .vlans = 1 },
	  .pl = PL_ESP, .spi = SPI_V6, .plen = 40, REDIR(66, 1) },
	{ R("802.1ad + 802.1Q + IPv4 ESP: redirect"),
	  .f = { V4, ESP, .vlans = 2, .vlan_tpid = { 0x88a8, 0x8100 } }, .pl = PL_ESP,
	  .spi = SPI_A, .plen = 64, REDIR(42, 0) },
	{ R("three VLAN tags: not parsed (not IP)"), .f = { V4, ESP, .vlans = 3 },
	  .pl = PL_ESP, .spi = SPI_A, .plen = 64, PASS(NON_IP) },
	{ R("802.1Q tag cut short"), .f = { V4, ESP, .vlans = 1, .truncate = 16 },
	  DROP(MALFORMED_L2) },
	/* ---- malformed L2/L3 */
	{ R("short Ethernet: 14 bytes ending at an 802.1Q TPID"),
	  .f = { V4, ESP, .vlans = 1, .truncate = 14 }, DROP(MALFORMED_L2) },
	{ R("short Ethernet: QinQ with the inner tag cut"),
	  .f = { V4, ESP, .vlans = 2, .truncate = 20 }, DROP(MALFORMED_L2) },
	{ R("Ethernet header only, ethertype IPv4"), .f = { V4, ESP, .truncate = 14 },
	  DROP(MALFORMED_IP) },
	{ R("IPv4 header cut at 10 bytes"), .f = { V4, ESP, .truncate = 24 },
	  .pl = PL_ESP, .spi = SPI_A, .plen = 16, DROP(MALFORMED_IP) },
	{ R("IPv4 IHL 4 (< 5)"), .f = { V4, ESP, .ihl = 4 }, .pl = PL_ESP, .spi = SPI_A,
	  .plen = 32, DROP(MALFORMED_IP) },
	{ R("IPv4 version 6 under ethertype IPv4"), .f = { V4, ESP, .ip_version = 6 },
	  .pl = PL_ESP, .spi = SPI_A, .plen = 32, DROP(MALFORMED_IP) },
	{ R("IPv4 total length beyond the frame"), .f = { V4, ESP, .len_delta = 1 },
	  .pl = PL_ESP, .spi = SPI_A, .plen = 32, DROP(MALFORMED_IP) },
	{ R("IPv4 total length below the header length"), .f = { V4, ESP, .len_delta = -40 },
	  .pl = PL_ESP, .spi = SPI_A, .plen = 32, DROP(MALFORMED_IP) },
	{ R("IPv4 options (IHL 6) + ESP: options skipped"), .f = { V4, ESP, .ip_opts = 4 },
	  .pl = PL_ESP, .spi = SPI_A, .plen = 32, REDIR(38, 0) },
	{ R("IPv4 options (IHL 15) + UDP 500: IKE"), .f = { V4, UDP(500), .ip_opts = 40 },
	  .pl = PL_IKE, .plen = 32, PASS(IKE) },
	{ R("IPv4 options, held group: drop"), .f = { V4, ESP, .ip_opts = 8 }, .pl = PL_ESP,
	  .spi = SPI_H, .plen = 32, DROP(ESP_HOLD) },
	{ R("IPv4 IHL 15 but frame ends inside the options"),
	  .f = { V4, ESP, .ip_opts = 40, .truncate = 50 }, .pl = PL_ESP, .spi = SPI_A,
	  .plen = 16, DROP(MALFORMED_IP) },
	{ R("IPv6 header cut at 30 bytes"), .f = { V6, ESP, .truncate = 44 }, .pl = PL_ESP,
	  .spi = SPI_V6, .plen = 16, DROP(MALFORMED_IP) },
	{ R("IPv6 payload length beyond the frame"), .f = { V6, ESP, .len_delta = 4 },
	  .pl = PL_ESP, .spi = SPI_V6, .plen = 16, DROP(MALFORMED_IP) },
	{ R("IPv6 version 4 under ethertype IPv6"), .f = { V6, ESP, .ip_version = 4 },
	  .pl = PL_ESP, .spi = SPI_V6, .plen = 16, DROP(MALFORMED_IP) },
	/* ---- malformed UDP */
	{ R("UDP header cut to 4 bytes"), .f = { V4, UDP(500), .udp_hdr_only = 4 },
	  DROP(MALFORMED_UDP) },
	{ R("UDP length 7 (< header)"), .f = { V4, UDP(500), .udp_len_delta = -1 - 40 },
	  .pl = PL_IKE, .plen = 40, DROP(MALFORMED_UDP) },
	{ R("UDP length beyond the IP payload"), .f = { V4, UDP(4500), .udp_len_delta = 1 },
	  .pl = PL_ESP, .spi = SPI_A, .plen = 40, DROP(MALFORMED_UDP) },
	{ R("IPv6 UDP length 0 (jumbogram form)"), .f = { V6, UDP(500), .udp_len_delta = -48 },
	  .pl = PL_IKE, .plen = 40, DROP(MALFORMED_UDP) },
	{ R("UDP length shorter than IP payload: trailing bytes ignored"),
	  .f = { V4, UDP(4500), .udp_len_delta = -8 }, .pl = PL_ESP, .spi = SPI_A,
	  .plen = 48, REDIR(42, 1) },
	/* ---- fragments */
	{ R("IPv4 non-first fragment of ESP: pass"), .f = { V4, ESP, .frag_off = 185 },
	  .pl = PL_ESP, .spi = SPI_A, .plen = 64, PASS(FRAGMENT) },
	{ R("IPv4 non-first fragment of UDP: pass"), .f = { V4, UDP(4500), .frag_off = 0x2000 | 185 },
	  .pl = PL_BYTES, .plen = 64, .byte = 0x33, PASS(FRAGMENT) },
	{ R("IPv4 first fragment of ESP: drop"), .f = { V4, ESP, .frag_off = 0x2000 },
	  .pl = PL_ESP, .spi = SPI_A, .plen = 64, DROP(ESP_FRAGMENT) },
	{ R("IPv4 first fragment of UDP 500: IKE"),
	  .f = { V4, UDP(500), .frag_off = 0x2000, .udp_len_delta = 800 }, .pl = PL_IKE,
	  .plen = 64, PASS(IKE) },
	{ R("IPv4 first fragment of ESP-in-UDP: drop"),
	  .f = { V4, UDP(4500), .frag_off = 0x2000, .udp_len_delta = 800 }, .pl = PL_ESP,
	  .spi = SPI_A, .plen = 64, DROP(ESP_FRAGMENT) },
	{ R("IPv4 first fragment of UDP 4500 with marker: IKE"),
	  .f = { V4, UDP(4500), .frag_off = 0x2000, .udp_len_delta = 800 },
	  .pl = PL_NATT_IKE, .plen = 64, PASS(IKE_NATT) },
	{ R("IPv4 DF set, offset 0: not a fragment"), .f = { V4, ESP, .frag_off = 0x4000 },
	  .pl = PL_ESP, .spi = SPI_A, .plen = 64, REDIR(34, 0) },
	/* ---- IPv6 extension headers */
	{ R("IPv6 hop-by-hop + ESP: redirect"), .f = { V6, ESP, .n_ext = 1, .ext = { HBH(0) } },
	  .pl = PL_ESP, .spi = SPI_V6, .plen = 32, REDIR(62, 0) },
	{ R("IPv6 hop-by-hop + dest opts (24 B) + UDP 500: IKE"),
	  .f = { V6, UDP(500), .n_ext = 2, .ext = { HBH(0), DST(2) } }, .pl = PL_IKE,
	  .plen = 40, PASS(IKE) },
	{ R("IPv6 routing header, segments left 0 + ESP: redirect"),
	  .f = { V6, ESP, .n_ext = 1, .ext = { RT(2, 0) } }, .pl = PL_ESP, .spi = SPI_V6,
	  .plen = 32, REDIR(78, 0) },
	{ R("IPv6 routing header, segments left 1 + ESP: not ours"),
	  .f = { V6, ESP, .n_ext = 1, .ext = { RT(2, 1) } }, .pl = PL_ESP, .spi = SPI_V6,
	  .plen = 32, PASS(IP6_ROUTED) },
	{ R("IPv6 fragment header, non-first: pass"),
	  .f = { V6, ESP, .n_ext = 1, .ext = { FRAG(0x0100) } }, .pl = PL_ESP,
	  .spi = SPI_V6, .plen = 32, PASS(FRAGMENT) },
	{ R("IPv6 fragment header, first, ESP: drop"),
	  .f = { V6, ESP, .n_ext = 1, .ext = { FRAG(0x0001) } }, .pl = PL_ESP,
	  .spi = SPI_V6, .plen = 32, DROP(ESP_FRAGMENT) },
	{ R("IPv6 atomic fragment (offset 0, M=0) + ESP: redirect"),
	  .f = { V6, ESP, .n_ext = 1, .ext = { FRAG(0x0000) } }, .pl = PL_ESP,
	  .spi = SPI_V6, .plen = 32, REDIR(62, 0) },
	{ R("IPv6 four extension headers + ESP: redirect"),
	  .f = { V6, ESP, .n_ext = 4, .ext = { HBH(0), DST(0), RT(0, 0), DST(1) } },
	  .pl = PL_ESP, .spi = SPI_V6, .plen = 32, REDIR(94, 0) },
	{ R("IPv6 five extension headers: beyond the walk"),
	  .f = { V6, ESP, .n_ext = 5, .ext = { HBH(0), DST(0), RT(0, 0), DST(0), DST(0) } },
	  .pl = PL_ESP, .spi = SPI_V6, .plen = 32, DROP(IP6_EXT_LIMIT) },
	{ R("IPv6 extension header longer than the payload"),
	  .f = { V6, ESP, .n_ext = 1, .ext = { HBH(9) }, .len_delta = -80 }, .pl = PL_ESP,
	  .spi = SPI_V6, .plen = 8, DROP(MALFORMED_IP) },
	{ R("IPv6 extension header cut by the payload length"),
	  .f = { V6, ESP, .n_ext = 1, .ext = { HBH(0) }, .len_delta = -12 }, .pl = PL_ESP,
	  .spi = SPI_V6, .plen = 8, DROP(MALFORMED_IP) },
};
#define N_ROWS (sizeof(rows) / sizeof(rows[0]))

static void policy_of(enum policy_variant v, struct ipsecha_xdp_policy *p)
{
	ipsecha_xdp_policy_default(p, true);
	switch (v) {
	case POL_KEEPALIVE_DROP: p->keepalive = IPSECHA_XDP_ACT_DROP; break;
	case POL_UNKNOWN_PASS: p->unknown_spi = IPSECHA_XDP_ACT_PASS; break;
	case POL_ESP_PASS: p->esp_action = IPSECHA_XDP_ESP_PASS; break;
	case POL_PORTS: p->ike_port = 1500; p->natt_port = 14500; break;
	case POL_META: p->meta = 1; break;
	default: break;
	}
}

/* Metadata on or off, the rest of the live policy kept. */
static int set_meta(int on)
{
	struct ipsecha_xdp_policy p;
	int err = ipsecha_xdp_policy_get(env.h, &p);

	if (err)
		return err;
	p.meta = (uint8_t)!!on;
	return ipsecha_xdp_policy_set(env.h, &p);
}

static size_t build_row(const struct row *w, uint8_t *frame)
{
	uint8_t pl[FRAME_MAX];
	struct frame_spec f = w->f;
	size_t n = w->plen;

	switch (w->pl) {
	case PL_NONE:
		n = 0;
		break;
	case PL_ESP:
		if (n >= 8) {
			frame_esp_bytes(pl, n, w->spi, 7);
		} else {
			uint8_t tmp[8];

			frame_esp_bytes(tmp, 8, w->spi, 7);
			memcpy(pl, tmp, n);
		}
		break;
	case PL_IKE:       /* IKE header: SPIi, SPIr = 0, next payload, version 2.0 */
		for (size_t i = 0; i < n; i++)
			pl[i] = (uint8_t)(0x40 + i);
		pl[16] = 33;
		pl[17] = 0x20;
		break;
	case PL_NATT_IKE:
		for (size_t i = 0; i < n; i++)
			pl[i] = (uint8_t)(0x40 + i);
		memset(pl, 0, 4);
		break;
	case PL_KEEPALIVE:
		pl[0] = 0xff;
		n = 1;
		break;
	case PL_BYTES:
		memset(pl, w->byte, n);
		break;
	}
	f.payload = pl;
	f.payload_len = n;
	return frame_build(&f, frame, FRAME_MAX);
}

static void run_row(const struct row *w)
{
	struct ipsecha_xdp_stats s0, s1, s2;
	struct ipsecha_xdp_policy pol;
	uint8_t frame[FRAME_MAX], got[FRAME_MAX];
	struct ipsecha_xdp_meta meta;
	struct ref_env renv = { .sa_lookup = model_sa, .group_state = model_group,
				.xsk_bound = !w->no_xsk };
	struct ref_result ref;
	uint64_t gd0 = 0, gd1 = 0;
	char why[128];
	struct run r;
	size_t len = build_row(w, frame), glen;
	int ok = 1, err, n;

	policy_of(w->pol, &pol);
	renv.pol = pol;
	if (w->pol != POL_DEFAULT)
		CHECK(ipsecha_xdp_policy_set(env.h, &pol) == 0, "policy_set");
	if (w->no_xsk)
		CHECK(ipsecha_xdp_xsk_clear(env.h, 0) == 0, "xsk_clear");
	CHECK(len > 0, "frame_build");

	/* The model must agree with the hand-written expectation (frames
	 * shorter than the Ethernet header exist only with metadata). */
	ref_classify(frame, len, &renv, &ref);
	CHECK(ref.action == w->action && ref.reason == w->reason,
	      "reference model says %d/%s", ref.action, ipsecha_xdp_reason_name(ref.reason));

	ipsecha_xdp_group_drops(env.h, 2, &gd0);
	CHECK(stats(&s0) == 0, "stats");
	err = run_frame(frame, len, w->metalen, &r);
	CHECK(err == 0, "test run: %s", strerror(-err));
	CHECK(stats(&s1) == 0, "stats");
	CHECK(r.action == w->action, "action %d, want %d", r.action, w->action);
	CHECK(counters_moved(&s0, &s1, w->action, w->reason, 1, why, sizeof(why)), "%s", why);
	ipsecha_xdp_group_drops(env.h, 2, &gd1);
	CHECK(gd1 - gd0 == (w->reason == IPSECHA_XDP_R_ESP_HOLD ? 1u : 0u),
	      "group 2 hold drops moved by %llu", (unsigned long long)(gd1 - gd0));
	/* Metadata is off by default: nothing written in front, redirect or
	 * not (pre-existing metadata is left as it was). */
	CHECK(!r.has_meta, "metadata written without the policy asking for it");

	/* Live: the kernel carries out the verdict. Only frames without
	 * pre-existing metadata (the live path takes none). */
	if (w->metalen == 0) {
		CHECK(run_live(frame, len) == 0, "live run: %s", strerror(errno));
		CHECK(stats(&s2) == 0, "stats");
		CHECK(counters_moved(&s1, &s2, w->action, w->reason, 1, why, sizeof(why)),
		      "live: %s", why);
		n = xskrx_recv(env.xsk, w->action == XDP_REDIRECT ? 1000 : 0, got, sizeof(got),
			       &glen, &meta);
		if (w->action == XDP_REDIRECT) {
			CHECK(n == 1, "redirected frame not on the AF_XDP socket");
			if (n == 1)
				CHECK(glen == len && !memcmp(got, frame, len),
				      "frame changed on the way (%zu bytes, sent %zu)", glen, len);
		} else {
			CHECK(n == 0, "a frame with verdict %d reached the socket", w->action);
		}
		/* Nothing else is queued. */
		CHECK(xskrx_recv(env.xsk, 0, got, sizeof(got), &glen, NULL) == 0,
		      "an extra frame on the socket");
	} else {
		/* The redirect target is still checked: the socket of queue 0. */
	}

	/* The same redirect with the policy's metadata on: the slot and
	 * group of the SA and where its ESP header is, in the test run and
	 * in front of the frame on the socket. */
	if (w->action == XDP_REDIRECT) {
		renv.pol.meta = 1;
		ref_classify(frame, len, &renv, &ref);
		CHECK(ref.has_meta, "reference model: no metadata with meta on");
		CHECK(set_meta(1) == 0, "policy meta on");
		CHECK(stats(&s1) == 0, "stats");
		err = run_frame(frame, len, w->metalen, &r);
		CHECK(err == 0 && r.action == XDP_REDIRECT, "meta on: action %d", r.action);
		CHECK(stats(&s2) == 0, "stats");
		CHECK(counters_moved(&s1, &s2, w->action, w->reason, 1, why, sizeof(why)),
		      "meta on: %s", why);
		CHECK(r.has_meta, "no metadata in front of the redirected frame");
		CHECK(r.meta.magic == IPSECHA_XDP_META_MAGIC, "meta magic %#x", r.meta.magic);
		CHECK(r.meta.slot == ref.meta.slot && r.meta.group == ref.meta.group,
		      "meta slot/group %u/%u, want %u/%u", r.meta.slot, r.meta.group,
		      ref.meta.slot, ref.meta.group);
		CHECK(r.meta.esp_off == w->esp_off && ref.meta.esp_off == w->esp_off,
		      "meta esp_off %u (model %u), want %u", r.meta.esp_off, ref.meta.esp_off,
		      w->esp_off);
		CHECK(r.meta.encap == w->encap && r.meta.ip_version == (w->f.l3 == 6 ? 6 : 4),
		      "meta encap %u ip %u", r.meta.encap, r.meta.ip_version);
		if (w->metalen == 0) {
			CHECK(run_live(frame, len) == 0, "live run: %s", strerror(errno));
			n = xskrx_recv(env.xsk, 1000, got, sizeof(got), &glen, &meta);
			CHECK(n == 1 && glen == len && !memcmp(got, frame, len),
			      "meta on: redirected frame not on the socket, or changed");
			CHECK(n == 1 && !memcmp(&meta, &r.meta, sizeof(meta)),
			      "socket metadata differs from the test run's");
		}
		CHECK(set_meta(0) == 0, "policy meta off");
	}

	if (w->no_xsk)
		CHECK(ipsecha_xdp_xsk_set(env.h, 0, xskrx_fd(env.xsk)) == 0, "xsk_set");
	if (w->pol != POL_DEFAULT) {
		policy_of(POL_DEFAULT, &pol);
		CHECK(ipsecha_xdp_policy_set(env.h, &pol) == 0, "policy restore");
	}
	result(w->name, ok);
}

static int install_sas(void)
{
	for (size_t i = 0; i < N_SA; i++)
		if (ipsecha_xdp_sa_add(env.h, sa_defs[i].spi, sa_defs[i].slot, sa_defs[i].group, 0))
			return -1;
	if (ipsecha_xdp_group_hold(env.h, 2))
		return -1;
	if (raw_sa(SPI_BADGRP, 1, 2000))
		return -1;
	return 0;
}

/* ---- differential test against the reference model */

static uint64_t rng_state;

static uint32_t rnd(void)
{
	/* xorshift64*: reproducible from the printed seed */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

static size_t random_frame(uint8_t *frame, const struct ipsecha_xdp_policy *pol)
{
	static const uint32_t spis[] = { SPI_A, SPI_H, SPI_MAX, SPI_V6, SPI_BADGRP, 255,
					 SPI_UNKNOWN, 0 };
	static const uint8_t ext_types[] = { IPPROTO_HOPOPTS, IPPROTO_ROUTING, IPPROTO_DSTOPTS,
					     IPPROTO_FRAGMENT, 51, 59 };
	uint8_t pl[600];
	struct frame_spec f;
	size_t n, len;
	uint32_t k;

	memset(&f, 0, sizeof(f));
	f.l3 = rnd() % 8 == 0 ? 0 : rnd() % 2 ? 4 : 6;
	f.vlans = rnd() % 6 == 0 ? (int)(rnd() % 4) : 0;
	for (int i = 0; i < 3; i++)
		f.vlan_tpid[i] = rnd() % 3 ? 0x8100 : 0x88a8;
	k = rnd() % 10;
	f.proto = k < 4 ? IPPROTO_UDP : k < 8 ? IPPROTO_ESP : k == 8 ? IPPROTO_TCP : 51;
	k = rnd() % 6;
	f.dport = k == 0 ? pol->ike_port : k < 4 ? pol->natt_port : k == 4 ? 500 : 4500;
	if (rnd() % 8 == 0)
		f.ip_opts = (int)(rnd() % 11) * 4;
	if (rnd() % 6 == 0)
		f.frag_off = (uint16_t)(rnd() % 3 == 0 ? 0x2000 : rnd() % 2 ? 0x4000 : rnd() & 0x3fff);
	if (rnd() % 5 == 0) {
		f.n_ext = (int)(rnd() % 6);
		for (int i = 0; i < f.n_ext; i++) {
			f.ext[i].type = ext_types[rnd() % (rnd() % 3 ? 4 : 6)];
			f.ext[i].len8 = (uint8_t)(rnd() % 4);
			f.ext[i].frag = (uint16_t)(rnd() % 3 ? rnd() % 2 : rnd() & 0xffff);
			f.ext[i].segleft = (uint8_t)(rnd() % 4 == 0);
		}
	}
	/* payload */
	k = rnd() % 8;
	n = rnd() % 4 == 0 ? rnd() % 12 : 8 + rnd() % 120;
	if (k < 4) {
		frame_esp_bytes(pl, n < 8 ? 8 : n, spis[rnd() % 8], rnd());
	} else if (k == 4) {
		memset(pl, 0, n);              /* marker */
	} else if (k == 5) {
		n = 1;
		pl[0] = rnd() % 4 ? 0xff : (uint8_t)rnd();
	} else {
		for (size_t i = 0; i < n; i++)
			pl[i] = (uint8_t)rnd();
	}
	f.payload = pl;
	f.payload_len = n;
	if (rnd() % 8 == 0)
		f.len_delta = (int)(rnd() % 21) - 10;
	if (rnd() % 8 == 0)
		f.udp_len_delta = (int)(rnd() % 21) - 10;
	if (rnd() % 8 == 0)
		f.ihl = (int)(rnd() % 16);
	if (rnd() % 16 == 0)
		f.ip_version = (int)(rnd() % 16);
	if (rnd() % 4 == 0)
		f.min_len = 60;
	len = frame_build(&f, frame, FRAME_MAX);
	if (rnd() % 6 == 0 && len > 14)
		len = 14 + rnd() % (len - 13);
	/* a few random byte flips past the MAC addresses */
	for (k = rnd() % 4 == 0 ? rnd() % 4 : 0; k > 0 && len > 12; k--)
		frame[12 + rnd() % (len - 12)] ^= (uint8_t)(1u << (rnd() % 8));
	return len < 14 ? 14 : len;
}

static void differential(unsigned int frames_per_policy)
{
	static const enum policy_variant pols[] = { POL_DEFAULT, POL_ESP_PASS, POL_UNKNOWN_PASS,
						    POL_KEEPALIVE_DROP, POL_PORTS, POL_META };
	uint64_t seed = 0x1b5ec4a5eedull;
	const char *s = getenv("IPSX_SEED");

	if (s)
		seed = strtoull(s, NULL, 0);
	rng_state = seed ? seed : 1;
	printf("differential: seed %#llx (IPSX_SEED), %u frames per policy\n",
	       (unsigned long long)seed, frames_per_policy);
	for (size_t p = 0; p < sizeof(pols) / sizeof(pols[0]); p++) {
		struct ipsecha_xdp_policy pol;
		struct ref_env renv = { .sa_lookup = model_sa, .group_state = model_group,
					.xsk_bound = 1 };
		unsigned int mismatches = 0;
		char name[96];
		int ok = 1;

		policy_of(pols[p], &pol);
		renv.pol = pol;
		CHECK(ipsecha_xdp_policy_set(env.h, &pol) == 0, "policy_set");
		for (unsigned int i = 0; i < frames_per_policy && mismatches < 5; i++) {
			uint8_t frame[FRAME_MAX];
			size_t len = random_frame(frame, &pol);
			struct ipsecha_xdp_stats a, b;
			struct ref_result ref;
			struct run r;
			char why[128];

			ref_classify(frame, len, &renv, &ref);
			if (stats(&a) || run_frame(frame, len, 0, &r) || stats(&b)) {
				CHECK(0, "test run failed: %s", strerror(errno));
				break;
			}
			if (r.action != ref.action ||
			    !counters_moved(&a, &b, ref.action, ref.reason, 1, why, sizeof(why)) ||
			    r.has_meta != ref.has_meta ||
			    (ref.has_meta && memcmp(&r.meta, &ref.meta, sizeof(ref.meta)))) {
				ok = 0;
				mismatches++;
				printf("    frame %u (%zu bytes): program %d, model %d/%s %s\n      ",
				       i, len, r.action, ref.action,
				       ipsecha_xdp_reason_name(ref.reason), why);
				for (size_t j = 0; j < len && j < 96; j++)
					printf("%02x", frame[j]);
				printf("\n");
			}
		}
		snprintf(name, sizeof(name), "differential vs reference model, policy %zu (%u frames)",
			 p, frames_per_policy);
		result(name, ok);
	}
	{
		struct ipsecha_xdp_policy pol;

		policy_of(POL_DEFAULT, &pol);
		ipsecha_xdp_policy_set(env.h, &pol);
	}
}

/* ---- races: library updates against a stream of test runs */

#define RACE_SPI 0x0a00d00du
enum { RACE_GROUP_A = 40, RACE_GROUP_B = 41 };

/* Each state of the race script and the fate a frame has in it. */
struct race_state {
	const char *what;
	int action;
	uint32_t slot;          /* for a redirect */
};
static const struct race_state race_states[] = {
	{ "SA -> slot 100 group A",        XDP_REDIRECT, 100 },
	{ "hold group A",                  XDP_DROP, 0 },
	{ "release group A",               XDP_REDIRECT, 100 },
	{ "replace SA -> slot 200 group A", XDP_REDIRECT, 200 },
	{ "replace SA -> slot 300 group B (held)", XDP_DROP, 0 },
	{ "release group B",               XDP_REDIRECT, 300 },
	{ "policy esp=pass",               XDP_PASS, 0 },
	{ "policy esp=redirect",           XDP_REDIRECT, 300 },
	{ "delete SA",                     XDP_DROP, 0 },
	{ "re-add SA -> slot 100 group A", XDP_REDIRECT, 100 },
	{ "hold group B (for next round)", XDP_REDIRECT, 100 },
};
#define N_RACE (sizeof(race_states) / sizeof(race_states[0]))

static _Atomic uint64_t race_version;   /* 2k: state k in force; 2k+1: k -> k+1 */
static atomic_int race_stop;
static atomic_uint race_errors;

static int race_apply(size_t k)
{
	struct ipsecha_xdp_policy pol;

	switch (k) {
	case 0: return 0;
	case 1: return ipsecha_xdp_group_hold(env.h, RACE_GROUP_A);
	case 2: return ipsecha_xdp_group_release(env.h, RACE_GROUP_A);
	case 3: return ipsecha_xdp_sa_add(env.h, RACE_SPI, 200, RACE_GROUP_A, IPSECHA_XDP_SA_REPLACE);
	case 4: return ipsecha_xdp_sa_add(env.h, RACE_SPI, 300, RACE_GROUP_B, IPSECHA_XDP_SA_REPLACE);
	case 5: return ipsecha_xdp_group_release(env.h, RACE_GROUP_B);
	case 6:
	case 7:         /* metadata stays on: it names the slot each frame got */
		ipsecha_xdp_policy_default(&pol, k == 7);
		pol.meta = 1;
		return ipsecha_xdp_policy_set(env.h, &pol);
	case 8: return ipsecha_xdp_sa_del(env.h, RACE_SPI);
	case 9: return ipsecha_xdp_sa_add(env.h, RACE_SPI, 100, RACE_GROUP_A, 0);
	case 10: return ipsecha_xdp_group_hold(env.h, RACE_GROUP_B);
	default: return -EINVAL;
	}
}

static void *race_flipper(void *arg)
{
	unsigned int rounds = *(unsigned int *)arg;
	uint64_t v = 0;

	for (unsigned int r = 0; r < rounds && !atomic_load(&race_stop); r++)
		for (size_t k = (r == 0); k < N_RACE; k++) {
			atomic_store(&race_version, ++v);          /* odd: in transition */
			if (race_apply(k)) {
				atomic_fetch_add(&race_errors, 1);
				atomic_store(&race_stop, 1);
			}
			atomic_store(&race_version, ++v);          /* even: state in force */
			usleep(200);
		}
	atomic_store(&race_stop, 1);
	return NULL;
}

/* Churn: other SPIs come and go all the time, so deleted hash elements are
 * handed to new keys while frames run (the reuse the SPI check guards). */
static void *race_churn(void *arg)
{
	(void)arg;
	for (uint32_t i = 0; !atomic_load(&race_stop); i++) {
		uint32_t spi = 0x0b000000u + (i % 64);

		if (ipsecha_xdp_sa_add(env.h, spi, 500 + (i % 64), RACE_GROUP_A, IPSECHA_XDP_SA_REPLACE))
			atomic_fetch_add(&race_errors, 1);
		if (i % 3 == 0)
			ipsecha_xdp_sa_del(env.h, 0x0b000000u + ((i * 7) % 64));
	}
	return NULL;
}

/* The consumer's side: lock-free lookups (ipsecha_xdp_sa_get, through the
 * mmap) while the flipper and the churn write. Every answer must be a whole
 * entry of the SPI asked for: churn SPI k is always slot 500 + k, group A;
 * the race SPI one of the script's three mappings. */
static _Atomic unsigned long lookups, lookup_bad;

static void *race_lookup(void *arg)
{
	(void)arg;
	for (uint32_t i = 0; !atomic_load(&race_stop); i++) {
		uint32_t k = i % 65, spi = k < 64 ? 0x0b000000u + k : RACE_SPI, slot, group;
		int err = ipsecha_xdp_sa_get(env.h, spi, &slot, &group), good;

		if (err == -ENOENT)
			continue;
		if (k < 64)
			good = !err && slot == 500 + k && group == RACE_GROUP_A;
		else
			good = !err && ((group == RACE_GROUP_A && (slot == 100 || slot == 200)) ||
					(group == RACE_GROUP_B && slot == 300));
		atomic_fetch_add(&lookups, 1);
		if (!good && atomic_fetch_add(&lookup_bad, 1) < 5)
			printf("    sa_get(%#x): err %d slot %u group %u\n", spi, err, slot, group);
	}
	return NULL;
}

static size_t state_at(uint64_t v)
{
	return (size_t)((v / 2) % N_RACE);
}

static void race_test(unsigned int rounds)
{
	struct ipsecha_xdp_stats s0, s1;
	uint8_t frame[FRAME_MAX], pl[64];
	struct frame_spec f = { V4, ESP, .payload = pl, .payload_len = sizeof(pl) };
	pthread_t flip, churn, look;
	unsigned long frames = 0, bad = 0, fates[3] = { 0, 0, 0 };
	size_t len;
	int ok = 1;

	frame_esp_bytes(pl, sizeof(pl), RACE_SPI, 1);
	len = frame_build(&f, frame, sizeof(frame));
	CHECK(ipsecha_xdp_sa_add(env.h, RACE_SPI, 100, RACE_GROUP_A, 0) == 0, "race SA");
	CHECK(set_meta(1) == 0, "policy meta on (each frame names its slot)");
	CHECK(ipsecha_xdp_group_hold(env.h, RACE_GROUP_B) == 0, "race hold B");
	CHECK(stats(&s0) == 0, "stats");
	atomic_store(&race_version, 0);
	atomic_store(&race_stop, 0);
	pthread_create(&flip, NULL, race_flipper, &rounds);
	pthread_create(&churn, NULL, race_churn, NULL);
	pthread_create(&look, NULL, race_lookup, NULL);
	while (!atomic_load(&race_stop)) {
		uint64_t v0 = atomic_load(&race_version), v1;
		struct run r;
		int allowed = 0;

		if (run_frame(frame, len, 0, &r)) {
			bad++;
			break;
		}
		v1 = atomic_load(&race_version);
		frames++;
		fates[r.action == XDP_REDIRECT ? 2 : r.action == XDP_PASS ? 1 : 0]++;
		/* States that were in force at some instant of [v0, v1]. */
		for (uint64_t v = v0 & ~1ull; v <= ((v1 + 1) & ~1ull); v += 2) {
			const struct race_state *st = &race_states[state_at(v)];

			if (st->action == r.action &&
			    (r.action != XDP_REDIRECT ||
			     (r.has_meta && r.meta.slot == st->slot &&
			      r.meta.group == (st->slot == 300 ? RACE_GROUP_B : RACE_GROUP_A))))
				allowed = 1;
		}
		if (!allowed && bad++ < 5)
			printf("    frame %lu: action %d slot %u not allowed in states %llu..%llu\n",
			       frames, r.action, r.meta.slot, (unsigned long long)v0 / 2,
			       (unsigned long long)(v1 + 1) / 2);
	}
	pthread_join(flip, NULL);
	pthread_join(churn, NULL);
	pthread_join(look, NULL);
	CHECK(stats(&s1) == 0, "stats");
	CHECK(atomic_load(&race_errors) == 0, "%u library calls failed", atomic_load(&race_errors));
	CHECK(bad == 0, "%lu of %lu frames had a fate no map state allowed", bad, frames);
	CHECK(fates[0] && fates[1] && fates[2], "not every fate seen (drop %lu pass %lu redirect %lu)",
	      fates[0], fates[1], fates[2]);
	/* Counters add up to the frames run. */
	CHECK(s1.verdict[IPSECHA_XDP_V_REDIRECT] - s0.verdict[IPSECHA_XDP_V_REDIRECT] == fates[2] &&
	      s1.verdict[IPSECHA_XDP_V_PASS] - s0.verdict[IPSECHA_XDP_V_PASS] == fates[1] &&
	      s1.verdict[IPSECHA_XDP_V_DROP] - s0.verdict[IPSECHA_XDP_V_DROP] == fates[0],
	      "verdict counters disagree with the fates seen");
	printf("race: %lu frames over %u rounds of %zu states: drop %lu, pass %lu, redirect %lu\n",
	       frames, rounds, N_RACE, fates[0], fates[1], fates[2]);
	{
		struct ipsecha_xdp_policy pol;

		ipsecha_xdp_policy_default(&pol, true);
		ipsecha_xdp_policy_set(env.h, &pol);
		ipsecha_xdp_sa_del(env.h, RACE_SPI);
		for (uint32_t i = 0; i < 64; i++)
			ipsecha_xdp_sa_del(env.h, 0x0b000000u + i);
	}
	result("racing SA/group/policy updates never mis-steer a frame", ok);
	ok = 1;
	CHECK(atomic_load(&lookups) > 1000, "only %lu lookups", atomic_load(&lookups));
	CHECK(atomic_load(&lookup_bad) == 0, "%lu of %lu lock-free lookups returned another SPI's "
	      "entry", atomic_load(&lookup_bad), atomic_load(&lookups));
	printf("race: %lu lock-free SA lookups during the updates\n", atomic_load(&lookups));
	result("lock-free SA lookups (ipsecha_xdp_sa_get) racing writers return whole entries of "
	       "the SPI asked", ok);
}

/* ---- the library against the kernel, on the attached interface */

static void library_checks(void)
{
	struct ipsecha_xdp_sa_entry list[16];
	struct ipsecha_xdp_info info;
	uint32_t slot, group, state;
	size_t total;
	int ok = 1;
	IPSECHA_XDP_OPTS(ipsecha_xdp_attach_opts, ao, .pin_root = env.pin_root);

	CHECK(ipsecha_xdp_attach(env.if0, &ao) == -EEXIST, "second attach not -EEXIST");
	CHECK(ipsecha_xdp_attach(env.if1, &ao) == 0, "attach to the peer");
	{
		IPSECHA_XDP_OPTS(ipsecha_xdp_open_opts, oo, .pin_root = env.pin_root);

		CHECK(ipsecha_xdp_detach(env.if1, &oo) == 0, "detach the peer");
		CHECK(ipsecha_xdp_detach(env.if1, &oo) == -ENOENT, "second detach not -ENOENT");
	}
	/* Another XDP program on the peer (ours, attached by iproute2 from
	 * the pin, so the library has no pins for it): attach must refuse. */
	CHECK(testenv_sh("ip link set dev %s xdpgeneric pinned %s/%s/prog", env.if1,
			 env.pin_root, env.if0) == 0, "ip link set xdpgeneric pinned");
	CHECK(ipsecha_xdp_attach(env.if1, &ao) == -EBUSY, "attach over a foreign program");
	CHECK(testenv_sh("ip link set dev %s xdpgeneric off", env.if1) == 0, "xdp off");
	CHECK(ipsecha_xdp_attach("ipsx-nosuch0", &ao) == -ENODEV, "missing interface");
	CHECK(ipsecha_xdp_sa_add(env.h, SPI_A, 1, 1, 0) == -EEXIST, "duplicate SA not -EEXIST");
	CHECK(ipsecha_xdp_sa_add(env.h, 255, 1, 1, 0) == -EINVAL, "SPI 255 accepted");
	CHECK(ipsecha_xdp_sa_add(env.h, 0x1000, 4096, 1, 0) == -ERANGE, "slot 4096 accepted");
	CHECK(ipsecha_xdp_sa_add(env.h, 0x1000, 1, 1024, 0) == -ERANGE, "group 1024 accepted");
	CHECK(ipsecha_xdp_sa_add(env.h, 0x1000, 1, 1, 0x80) == -EINVAL, "unknown flag accepted");
	CHECK(ipsecha_xdp_sa_del(env.h, 0x1000) == -ENOENT, "deleting a missing SA");
	CHECK(ipsecha_xdp_sa_get(env.h, SPI_MAX, &slot, &group) == 0 && slot == 4095 &&
	      group == 1023, "sa_get");
	CHECK(ipsecha_xdp_group_state(env.h, 2, &state) == 0 && state == IPSECHA_XDP_GROUP_HOLD,
	      "group 2 state");
	CHECK(ipsecha_xdp_group_hold(env.h, 1024) == -ERANGE, "hold group 1024");
	CHECK(ipsecha_xdp_xsk_set(env.h, 256, xskrx_fd(env.xsk)) == -ERANGE, "xsk queue 256");
	CHECK(ipsecha_xdp_sa_list(env.h, list, 16, &total) == 0 && total == N_SA + 1,
	      "sa_list total %zu", total);
	for (size_t i = 1; i < total && i < 16; i++)
		CHECK(list[i - 1].spi < list[i].spi, "sa_list not sorted");
	CHECK(ipsecha_xdp_info(env.h, &info) == 0, "info");
	CHECK(info.ifindex == env.ifindex0 && info.mode == IPSECHA_XDP_MODE_NATIVE &&
	      info.xsk && info.xsk_queue == 0 && info.num_groups == 1024 &&
	      info.num_slots == 4096 && info.sa_count == N_SA + 1 && info.groups_held == 1 &&
	      info.prog_id && info.link_id, "info fields");
	{
		struct ipsecha_xdp_policy bad;

		ipsecha_xdp_policy_default(&bad, true);
		bad.natt_port = bad.ike_port;
		CHECK(ipsecha_xdp_policy_set(env.h, &bad) == -EINVAL, "equal ports accepted");
		bad.natt_port = 4500;
		bad.esp_action = 7;
		CHECK(ipsecha_xdp_policy_set(env.h, &bad) == -EINVAL, "esp_action 7 accepted");
	}
	result("loader library on the attached interface (errors change nothing)", ok);
}

/* ---- the SA table's probing, with SPIs chosen to collide */

/* The fate of one ESP frame of `spi`: the redirect's slot, or -1. */
static int esp_slot(uint32_t spi)
{
	uint8_t frame[FRAME_MAX], pl[32];
	struct frame_spec f = { V4, ESP, .payload = pl, .payload_len = sizeof(pl) };
	struct run r;
	size_t len;

	frame_esp_bytes(pl, sizeof(pl), spi, 1);
	len = frame_build(&f, frame, sizeof(frame));
	if (run_frame(frame, len, 0, &r) || r.action != XDP_REDIRECT || !r.has_meta)
		return -1;
	return (int)r.meta.slot;
}

/* n SPIs (>= 0x0e000000) whose home bucket is `home`. */
static void colliding(uint32_t home, uint32_t *out, int n)
{
	uint32_t spi = 0x0e000000u;

	for (int k = 0; k < n; spi++)
		if (home_bucket(spi) == home)
			out[k++] = spi;
}

static void collisions(void)
{
	enum { W = IPSECHA_XDP_SA_PROBES };
	struct ipsecha_xdp_config cfg;
	uint32_t c[W + 1], wrap[W];
	int ok = 1;

	CHECK(live_config(&cfg) == 0, "config");
	CHECK(set_meta(1) == 0, "policy meta on (esp_slot reads the slot from it)");
	colliding(home_bucket(0x0e000000u), c, W + 1);
	for (int k = 0; k < W; k++)
		CHECK(ipsecha_xdp_sa_add(env.h, c[k], 200 + (uint32_t)k, 7, 0) == 0, "add %d", k);
	CHECK(ipsecha_xdp_sa_add(env.h, c[W], 300, 7, 0) == -ENOSPC,
	      "a ninth SPI of a full probe window not refused with -ENOSPC");
	for (int k = 0; k < W; k++)
		CHECK(esp_slot(c[k]) == 200 + k, "SPI %#x at probe %d: slot %d", c[k], k,
		      esp_slot(c[k]));
	CHECK(esp_slot(c[W]) == -1, "the refused SPI is steered");
	result("SA table: a full probe window of colliding SPIs, each found; one more refused",
	       ok);

	ok = 1;
	CHECK(ipsecha_xdp_sa_del(env.h, c[2]) == 0, "delete");
	CHECK(esp_slot(c[2]) == -1, "deleted SPI still steered");
	for (int k = 3; k < W; k++)
		CHECK(esp_slot(c[k]) == 200 + k, "SPI past the tombstone lost (probe %d)", k);
	CHECK(ipsecha_xdp_sa_add(env.h, c[W], 300, 7, 0) == 0, "tombstone not reused");
	CHECK(esp_slot(c[W]) == 300, "SPI in the reused bucket");
	CHECK(ipsecha_xdp_sa_add(env.h, c[5], 250, 7, IPSECHA_XDP_SA_REPLACE) == 0 &&
	      esp_slot(c[5]) == 250, "replace in place");
	for (int k = 0; k < W; k++)
		ipsecha_xdp_sa_del(env.h, k == 2 ? c[W] : c[k]);
	for (int k = 0; k <= W; k++)
		CHECK(esp_slot(c[k]) == -1, "SPI %d left behind", k);
	result("SA table: delete leaves a tombstone, later SPIs stay reachable, reuse, replace",
	       ok);

	/* A window that wraps from the last bucket to the first. */
	ok = 1;
	colliding(cfg.sa_buckets - 3, wrap, W);
	for (int k = 0; k < W; k++)
		CHECK(ipsecha_xdp_sa_add(env.h, wrap[k], 400 + (uint32_t)k, 7, 0) == 0, "add");
	for (int k = 0; k < W; k++)
		CHECK(esp_slot(wrap[k]) == 400 + k, "wrapped probe %d: slot %d", k, esp_slot(wrap[k]));
	for (int k = 0; k < W; k++)
		ipsecha_xdp_sa_del(env.h, wrap[k]);
	CHECK(set_meta(0) == 0, "policy meta off");
	result("SA table: a probe window wrapping past the last bucket", ok);
}

/* ---- the grace period behind hold, policy changes and sync */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct slow_run {
	int fd, err;
};

static void *slow_runner(void *arg)
{
	struct slow_run *s = arg;
	uint8_t frame[64] = { 0 };
	struct xdp_md ctx = { .data_end = sizeof(frame), .ingress_ifindex = (uint32_t)env.ifindex0 };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = sizeof(frame),
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = 1);

	s->err = bpf_prog_test_run_opts(s->fd, &o) ? -errno : 0;
	return NULL;
}

static int call_hold(void) { return ipsecha_xdp_group_hold(env.h, 9); }
static int call_sync(void) { return ipsecha_xdp_sync(env.h); }
static int call_policy(void)
{
	struct ipsecha_xdp_policy p;

	ipsecha_xdp_policy_default(&p, true);
	return ipsecha_xdp_policy_set(env.h, &p);
}

/* While an XDP program is inside a run (tests/xdp/xdp_slow.bpf.c stays
 * ~100 ms and notes when it entered and left, on CLOCK_MONOTONIC), each
 * call that promises "no frame that started before me is still in the
 * program when I return" must not return before that run has left. */
static void grace_period(void)
{
	static const struct { const char *name; int (*fn)(void); } calls[] = {
		{ "ipsecha_xdp_group_hold", call_hold },
		{ "ipsecha_xdp_policy_set", call_policy },
		{ "ipsecha_xdp_sync", call_sync },
	};
	struct xdp_slow_bpf *skel = xdp_slow_bpf__open_and_load();
	int ok = 1;

	CHECK(skel != NULL, "load xdp_slow: %s", strerror(errno));
	for (size_t i = 0; skel && i < sizeof(calls) / sizeof(calls[0]); i++) {
		volatile __u64 *entered = &skel->bss->entered, *left = &skel->bss->left;
		int tries = 0, err = 0;
		uint64_t g0, g1;

		/* On a loaded machine this thread may not run until the slow
		 * run has left: then the call proves nothing; try again. */
		do {
			struct slow_run s = { .fd = bpf_program__fd(skel->progs.xdp_slow) };
			uint64_t deadline = now_ns() + 2000000000ull;
			pthread_t t;

			*entered = *left = 0;
			pthread_create(&t, NULL, slow_runner, &s);
			while (!*entered && now_ns() < deadline)
				;
			g0 = now_ns();
			err = calls[i].fn();
			g1 = now_ns();
			pthread_join(t, NULL);
			CHECK(s.err == 0 && *entered && *left, "the slow run did not run: %s",
			      strerror(-s.err));
		} while (ok && !err && g0 >= *left && ++tries < 10);
		CHECK(err == 0, "%s: %s", calls[i].name, ipsecha_xdp_strerror(err));
		CHECK(g0 < *left, "%s: 10 times called only after the run had left: no test",
		      calls[i].name);
		CHECK(*left <= g1, "%s returned %.1f ms before a run that was inside had left",
		      calls[i].name, (double)(*left - g1) / 1e6);
		if (tries)
			printf("    %s: %d tries until called while a run was inside\n",
			       calls[i].name, tries + 1);
	}
	ipsecha_xdp_group_release(env.h, 9);
	xdp_slow_bpf__destroy(skel);
	result("hold, policy_set and sync return only after every XDP run that had started "
	       "has left the program (RCU grace period)", ok);
}

/* Frames shorter than an Ethernet header never reach an XDP program: the
 * kernel refuses them (test runs, bpf_xdp_adjust_head/tail all enforce
 * ETH_HLEN), so the program's own check is what the verifier needs. This
 * row pins that assumption down. */
static void short_frame(void)
{
	uint8_t in[32] = { 0 };
	struct xdp_md ctx = { .data = 4, .data_end = 14 };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = 14, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = 1);
	LIBBPF_OPTS(bpf_test_run_opts, o2, .data_in = in, .data_size_in = 10, .repeat = 1);
	int ok = 1, e1, e2;

	e1 = bpf_prog_test_run_opts(ipsecha_xdp_prog_fd(env.h), &o) ? errno : 0;
	e2 = bpf_prog_test_run_opts(ipsecha_xdp_prog_fd(env.h), &o2) ? errno : 0;
	CHECK(e1 == EINVAL && e2 == EINVAL, "the kernel ran a frame shorter than 14 bytes");
	result("frame shorter than an Ethernet header: refused before XDP", ok);
}

/* --write-corpus DIR: the table's frames as seeds for fuzz-xdp. */
static int write_corpus(const char *dir)
{
	for (size_t i = 0; i < N_ROWS; i++) {
		uint8_t frame[FRAME_MAX];
		size_t len = build_row(&rows[i], frame);
		char path[512];
		FILE *f;

		if (rows[i].metalen)
			continue;
		snprintf(path, sizeof(path), "%s/row-%03zu", dir, i);
		f = fopen(path, "wb");
		if (!f || fwrite(frame, 1, len, f) != len) {
			perror(path);
			return 1;
		}
		fclose(f);
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *why = testenv_unavailable();
	unsigned int nframes = 4000;
	const char *s = getenv("IPSX_DIFF_FRAMES");

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "--write-corpus"))
		return write_corpus(argv[2]);
	if (why) {
		printf("SKIP all: %s\n", why);
		printf("xdp-fixtures: 0 passed, 0 failed, %zu skipped\n", N_ROWS + 14);
		return 0;
	}
	/* Native mode: in generic mode a live frame the program passes is
	 * handed to the stack of if0, whose generic hook runs it again. */
	if (testenv_setup(&env, "fx", IPSECHA_XDP_MODE_NATIVE)) {
		printf("xdp-fixtures: 0 passed, 1 failed, 0 skipped\n");
		return 1;
	}
	if (install_sas()) {
		printf("cannot install the fixture SAs: %s\n", strerror(errno));
		printf("xdp-fixtures: 0 passed, 1 failed, 0 skipped\n");
		return 1;
	}
	printf("fixture table: %zu frames\n", N_ROWS);
	for (size_t i = 0; i < N_ROWS; i++)
		run_row(&rows[i]);
	library_checks();
	grace_period();
	short_frame();
	collisions();
	if (s)
		nframes = (unsigned int)strtoul(s, NULL, 0);
	differential(nframes);
	race_test(40);
	testenv_teardown(&env);
	printf("xdp-fixtures: %d passed, %d failed, %d skipped\n", passed, failed, skipped);
	return failed ? 1 : 0;
}
