/* ipsecha_xdp_abi.h — the contract between the XDP steering program and its
 * loader: map value layouts and the verdict/reason/policy enumerations.
 *
 * Included by the BPF program (clang -target bpf) and by host C code, so it
 * uses only <linux/types.h>. Every layout here is also what `bpftool map
 * dump pinned /sys/fs/bpf/ipsecha/<ifname>/<map>` shows. Changing a layout
 * is an ABI change: bump IPSECHA_XDP_ABI_VERSION (the loader refuses pins
 * whose config map carries another version). */
#ifndef IPSECHA_XDP_ABI_H
#define IPSECHA_XDP_ABI_H

#include <linux/types.h>

#define IPSECHA_XDP_ABI_VERSION 2

/* Map sizes fixed at build time. The SA map's size and the group count are
 * set by the loader before load (attach options). */
#define IPSECHA_XDP_XSK_QUEUES    256u   /* XSKMAP entries: rx queue ids 0..255 */
#define IPSECHA_XDP_DEF_GROUPS    1024u  /* the card's default NUM_GROUP */
#define IPSECHA_XDP_DEF_SLOTS     4096u  /* the card's default NUM_SA */
#define IPSECHA_XDP_DEF_MAX_SAS   8192u  /* SAs the SA table is sized for */
#define IPSECHA_XDP_MAX_GROUPS    65536u /* group ids fit the SA value's 16 bits */
#define IPSECHA_XDP_MAX_SLOTS     65536u /* slot ids likewise */
#define IPSECHA_XDP_MAX_SAS       1048576u
#define IPSECHA_XDP_SA_PER_SPI    4u     /* buckets per SA: load factor <= 1/4 */
#define IPSECHA_XDP_SA_PROBES     8      /* buckets an SPI may occupy (linear probing) */
#define IPSECHA_XDP_MAX_VLANS     2      /* 802.1Q / 802.1ad tags parsed */
#define IPSECHA_XDP_MAX_EXTHDRS   4      /* IPv6 extension headers walked */

/* What the program did with a frame: the XDP action, counted per CPU. */
enum ipsecha_xdp_verdict {
	IPSECHA_XDP_V_PASS = 0,       /* XDP_PASS: to the kernel stack */
	IPSECHA_XDP_V_DROP,           /* XDP_DROP */
	IPSECHA_XDP_V_REDIRECT,       /* XDP_REDIRECT into the XSKMAP */
	IPSECHA_XDP_V_COUNT
};

/* Why: exactly one reason per frame. The verdict each reason leads to is
 * fixed, except where a policy (struct ipsecha_xdp_config) chooses. */
enum ipsecha_xdp_reason {
	IPSECHA_XDP_R_NON_IP = 0,     /* PASS: not IPv4/IPv6 (ARP, LLDP, >2 VLAN tags) */
	IPSECHA_XDP_R_NOT_IPSEC,      /* PASS: IP but neither IKE nor ESP */
	IPSECHA_XDP_R_IKE,            /* PASS: UDP to the IKE port (500) */
	IPSECHA_XDP_R_IKE_NATT,       /* PASS: UDP to the NAT-T port (4500), non-ESP marker */
	IPSECHA_XDP_R_KEEPALIVE,      /* policy: UDP 4500, the single byte 0xFF */
	IPSECHA_XDP_R_ESP_REDIRECT,   /* REDIRECT: known SPI, group ACTIVE, XSK bound */
	IPSECHA_XDP_R_ESP_PASS,       /* PASS: known SPI, group ACTIVE, ESP policy pass */
	IPSECHA_XDP_R_ESP_HOLD,       /* DROP: known SPI, group on HOLD */
	IPSECHA_XDP_R_ESP_UNKNOWN,    /* policy: SPI not in the SA map */
	IPSECHA_XDP_R_ESP_NO_XSK,     /* DROP: ESP policy redirect, no XSK on this queue */
	IPSECHA_XDP_R_ESP_NO_META,    /* DROP: ESP policy redirect, no room for metadata */
	IPSECHA_XDP_R_ESP_BAD_GROUP,  /* DROP: the SA names a group outside the array */
	IPSECHA_XDP_R_ESP_FRAGMENT,   /* DROP: first fragment of ESP or ESP-in-UDP */
	IPSECHA_XDP_R_FRAGMENT,       /* PASS: non-first IP fragment (no L4 header) */
	IPSECHA_XDP_R_MALFORMED_L2,   /* DROP: short Ethernet header or VLAN tag */
	IPSECHA_XDP_R_MALFORMED_IP,   /* DROP: truncated/inconsistent IPv4/IPv6 header */
	IPSECHA_XDP_R_MALFORMED_UDP,  /* DROP: UDP header truncated or length invalid */
	IPSECHA_XDP_R_MALFORMED_ESP,  /* DROP: ESP shorter than SPI + sequence number */
	IPSECHA_XDP_R_IP6_EXT_LIMIT,  /* DROP: more IPv6 extension headers than walked */
	IPSECHA_XDP_R_IP6_ROUTED,     /* PASS: IPv6 routing header, segments left > 0 */
	IPSECHA_XDP_R_COUNT
};

/* Group state: the whole value of the group array (one __u32 per group).
 * An entry never written reads as 0 = ACTIVE. The two states differ in one
 * byte only, so a reader racing a writer sees one or the other, never a
 * third value. */
enum ipsecha_xdp_group_state {
	IPSECHA_XDP_GROUP_ACTIVE = 0,
	IPSECHA_XDP_GROUP_HOLD = 1,
};

/* Policies. */
enum ipsecha_xdp_esp_action {        /* ESP of an ACTIVE group */
	IPSECHA_XDP_ESP_PASS = 0,    /* to the kernel stack */
	IPSECHA_XDP_ESP_REDIRECT = 1 /* to the AF_XDP socket of the rx queue */
};
enum ipsecha_xdp_action {            /* unknown SPI, NAT-keepalive */
	IPSECHA_XDP_ACT_DROP = 0,
	IPSECHA_XDP_ACT_PASS = 1
};

enum ipsecha_xdp_mode {
	IPSECHA_XDP_MODE_NATIVE = 1, /* driver mode (XDP_FLAGS_DRV_MODE) */
	IPSECHA_XDP_MODE_GENERIC = 2 /* skb mode (XDP_FLAGS_SKB_MODE) */
};

/* The config array holds two copies; the one-entry selector map names the
 * live one. The loader writes the idle copy, flips the selector and waits
 * for an RCU grace period before the old copy may be written again, so a
 * frame always sees one whole policy, never a mix of old and new fields. */
#define IPSECHA_XDP_CONFIG_COPIES 2
struct ipsecha_xdp_config {
	__u32 abi_version;       /* IPSECHA_XDP_ABI_VERSION */
	__u8  esp_action;        /* enum ipsecha_xdp_esp_action */
	__u8  unknown_spi;       /* enum ipsecha_xdp_action (default DROP) */
	__u8  keepalive;         /* enum ipsecha_xdp_action (default PASS) */
	__u8  mode;              /* attach mode, informational (enum ipsecha_xdp_mode) */
	__u16 ike_port;          /* host order, default 500 */
	__u16 natt_port;         /* host order, default 4500 */
	__u32 xsk_queue;         /* the card's queue, informational; ~0u = none */
	__u32 num_groups;        /* entries of the group array */
	__u32 num_slots;         /* card slots; SA values must be below */
	__u32 max_sas;           /* SAs the table is sized for */
	__u32 sa_buckets;        /* entries of the SA table, a power of two */
	__u32 sa_shift;          /* 32 - log2(sa_buckets), for the hash */
	__u8  meta;              /* 1: write struct ipsecha_xdp_meta before a redirect */
	__u8  reserved[3];       /* zero */
};

/* SA table: SPI -> {slot, group}, an open-addressing hash table in an
 * mmap-able array of 8-byte entries (docs/xdp.md "SA table"). The home
 * bucket of an SPI is ipsecha_xdp_sa_hash(spi, sa_shift); the entry is in
 * one of the IPSECHA_XDP_SA_PROBES buckets from there on (wrapping). An
 * entry is written by the loader with one atomic 64-bit store and read by
 * the program with one 64-bit load, so a frame sees a whole entry, old or
 * new, never a mix. The lookup is inlined array access: no helper call.
 *   all zero:                     empty (never used: ends a probe sequence)
 *   spi 0, slot and group 0xffff: deleted (a tombstone: probing continues)
 * SPI 0 is reserved (RFC 4303 §2.1), so neither can be a live entry, and
 * the program looks up no SPI below 256. */
#define IPSECHA_XDP_SA_TOMB 0xffffu
struct ipsecha_xdp_sa {
	__u32 spi;               /* network order, as on the wire */
	__u16 slot;              /* the card's slot (one direction of a Child SA) */
	__u16 group;             /* the card's group (one IKE SA) */
};

/* Fibonacci hashing of the SPI as it sits in memory (network order). */
static inline __u32 ipsecha_xdp_sa_hash(__u32 spi_wire, __u32 shift)
{
	return (__u32)(spi_wire * 0x9e3779b1u) >> shift;
}

/* Value of the per-CPU stats array (one entry): frames by reason and by
 * the XDP action returned (XDP_DROP, XDP_PASS, XDP_REDIRECT; the program
 * returns no other). One increment per frame, at an index the program
 * has in registers anyway; the library sums the verdict and reason
 * counters from it (ipsecha_xdp_stats). */
#define IPSECHA_XDP_ACTIONS 5            /* XDP_ABORTED .. XDP_REDIRECT */
struct ipsecha_xdp_counters {
	__u64 frames[IPSECHA_XDP_R_COUNT][IPSECHA_XDP_ACTIONS];
};

/* Metadata the program writes in front of a redirected frame (XDP
 * data_meta) when the policy asks for it (meta = 1; off by default, it
 * costs a helper call per frame): the slot and group the program decided
 * on and where the ESP header is, so a consumer needs neither a parser nor
 * an SA lookup. An AF_XDP consumer finds it in the IPSECHA_XDP_META_LEN
 * bytes before the frame's address. Without it, whatever the driver left
 * there is not ours. All fields host order. */
#define IPSECHA_XDP_META_MAGIC 0x49505358u  /* "IPSX" */
struct ipsecha_xdp_meta {
	__u32 magic;             /* IPSECHA_XDP_META_MAGIC */
	__u32 slot;
	__u32 group;
	__u16 esp_off;           /* offset of the ESP header (SPI) in the frame */
	__u8  encap;             /* 1 = ESP-in-UDP (RFC 3948), 0 = IP protocol 50 */
	__u8  ip_version;        /* 4 or 6 */
};
#define IPSECHA_XDP_META_LEN 16

#endif
