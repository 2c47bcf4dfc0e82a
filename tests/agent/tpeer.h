/* tpeer.h — two IKE engines wired to each other in memory (the harness of
 * the protocol tests, after strongSwan's exchange_test_helper): a shared
 * simulated clock, a packet queue between the peers with programmable loss,
 * holding and a NAT in front of peer A, deterministic RNGs and in-memory
 * dataplanes. Nothing here touches a socket. */
#ifndef IPSECHA_TPEER_H
#define IPSECHA_TPEER_H

#include <stdbool.h>
#include <stdint.h>

#include "dp_mem.h"
#include "ike.h"

#define TP_MAX_TRACE 4096

struct tnet;

struct tpeer {
	struct tnet *net;
	int idx;                     /* 0 = A, 1 = B */
	const char *name;
	struct ike_engine *e;
	struct agc_config *cfg;
	struct ike_params params;
	struct dp dp;
	struct ikc_rng_det rng;
	struct sockaddr_storage addr;   /* our address (port 0) */
	const struct ike_ext_ops *ext;
	void *ext_ctx;
	unsigned ev_up, ev_down, ev_failed, ev_child_up, ev_child_down, ev_rekey_up;
	char last_reason[64];
};

/* One packet on the simulated wire. */
struct tpkt {
	struct tpkt *next;
	int from;                    /* sender index */
	struct sockaddr_storage src, dst;
	bool natt, keepalive;
	size_t len;
	uint8_t data[];
};

/* Decide whether to drop a packet (true = drop). n = packet number. */
typedef bool (*tnet_drop_fn)(struct tnet *net, const struct tpkt *p, unsigned n, void *arg);

struct tnet_trace {
	int from;
	uint8_t exchange;
	bool response;
	bool dropped;
	uint32_t mid;
	size_t len;
};

struct tnet {
	uint64_t now;
	struct tpeer p[2];
	struct tpkt *head, *tail;
	bool hold;                   /* queue, do not deliver */
	tnet_drop_fn drop;
	void *drop_arg;
	/* Packets the defer function picks wait in `deferred` until
	 * tnet_release() (reordering). */
	tnet_drop_fn defer;
	void *defer_arg;
	struct tpkt *deferred;
	unsigned n_pkts, n_dropped, keepalives;
	/* A NAT in front of A: A's source becomes nat_addr:nat_port(+1 for
	 * the NAT-T port). */
	bool nat;
	struct sockaddr_storage nat_addr;
	unsigned n_trace;
	struct tnet_trace trace[TP_MAX_TRACE];
	/* Keep a copy of the last packet delivered to each peer. */
	uint8_t last_to[2][8192];
	size_t last_to_len[2];
	struct sockaddr_storage last_src[2], last_dst[2];
	bool last_natt[2];
};

/* Configuration text for a peer: a [global] with fast retransmits and one
 * [conn c] between 192.0.2.1 (A) and 192.0.2.2 (B). extra is appended to the
 * connection section (each line "key = value\n"); global_extra to [global]. */
int tnet_init(struct tnet *net, const char *conf_a, const char *conf_b);
/* Same with explicit engine parameters (NULL = defaults). */
int tnet_init_params(struct tnet *net, const char *conf_a, const char *conf_b,
		     const struct ike_params *pa, const struct ike_params *pb);
void tnet_free(struct tnet *net);
/* Deliver queued packets until the queue is empty (or hold is set). */
void tnet_pump(struct tnet *net);
/* Queue the deferred packets again (in their order) and pump. */
void tnet_release(struct tnet *net);
/* Advance the clock by ms, firing timers in order and pumping. */
void tnet_run(struct tnet *net, uint64_t ms);
/* Replace peer i's engine by a fresh one with the same config ("reboot"). */
int tnet_restart(struct tnet *net, int i);

/* Build a standard configuration string into buf. */
const char *tconf(char *buf, size_t len, int self, const char *conn_extra,
		  const char *global_extra);

/* Introspection helpers. */
struct tsa {
	unsigned n;                  /* IKE SAs (not counting DEAD) */
	struct ike_sa_info sa[8];
	unsigned n_child[8];
	struct ike_child_info child[8][8];
};
void tpeer_sas(const struct tpeer *p, struct tsa *out);
/* The single established IKE SA's info (asserts there is exactly one). */
bool tpeer_one(const struct tpeer *p, struct ike_sa_info *sa, struct ike_child_info *children,
	       unsigned *n_children);

#endif
