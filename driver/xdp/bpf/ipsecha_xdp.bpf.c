/* ipsecha_xdp.bpf.c — XDP steering on a gateway's public interface.
 *
 * IKE goes to the kernel stack (the agent's sockets); ESP of an SA this
 * member serves goes, by SPI, to the card's AF_XDP socket; ESP of a group
 * whose counters are being re-synchronised after a failover (HOLD) is
 * dropped; everything else has a fixed, documented verdict (docs/xdp.md).
 * One frame = one verdict and one reason, both counted per CPU.
 *
 * No CO-RE: the program reads only wire formats and the uapi xdp_md, so no
 * relocation against kernel-internal layouts is needed. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "ipsecha_xdp_abi.h"
#include "parse.h"

/* ---- maps (pinned by the loader under /sys/fs/bpf/ipsecha/<ifname>/) */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);               /* the loader writes entries */
	__uint(max_entries, IPSECHA_XDP_DEF_MAX_SAS * IPSECHA_XDP_SA_PER_SPI); /* loader sets */
	__type(key, __u32);                              /* bucket */
	__type(value, __u64);                            /* struct ipsecha_xdp_sa */
} ipsecha_sa SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, IPSECHA_XDP_DEF_GROUPS);    /* set by the loader */
	__type(key, __u32);
	__type(value, __u32);                            /* enum ipsecha_xdp_group_state */
} ipsecha_groups SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, IPSECHA_XDP_CONFIG_COPIES);
	__type(key, __u32);
	__type(value, struct ipsecha_xdp_config);
} ipsecha_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);                            /* live config copy: 0 or 1 */
} ipsecha_cfgsel SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ipsecha_xdp_counters);
} ipsecha_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, IPSECHA_XDP_DEF_GROUPS);    /* set by the loader */
	__type(key, __u32);
	__type(value, __u64);                            /* ESP dropped while held */
} ipsecha_gdrops SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, IPSECHA_XDP_XSK_QUEUES);
	__type(key, __u32);                              /* rx queue id */
	__type(value, __u32);                            /* AF_XDP socket fd */
} ipsecha_xsks SEC(".maps");

/* ---- classification */

/* Internal results past the real reasons: "ESP found, look up its SPI",
 * and "the fast path cannot decide, run the general parser". */
#define NEED_ESP IPSECHA_XDP_R_COUNT
#define NEED_SLOW (IPSECHA_XDP_R_COUNT + 1)

struct esp_ref {
	__u32 spi;          /* network order */
	__u32 esp_off;      /* offset of the SPI in the frame */
	__u8 encap;         /* ESP-in-UDP */
	__u8 ip_version;
};

/* Transport layer, after the IP header(s). `left` is the IP payload length
 * per the IP header; `first_frag` says the datagram continues in later
 * fragments (so its UDP length covers more than this packet). */
static __always_inline __u32 parse_l4(struct cursor *c, __u8 proto, __u32 left,
				      int first_frag, const struct ipsecha_xdp_config *cfg,
				      struct esp_ref *esp)
{
	if (proto == IPPROTO_UDP) {
		struct udphdr *udp;
		__u32 ulen, plen, avail, marker;
		__u16 dport;
		__u8 *b;

		if (left < sizeof(*udp))
			return IPSECHA_XDP_R_MALFORMED_UDP;
		udp = cur_pull(c, sizeof(*udp));
		if (!udp)
			return IPSECHA_XDP_R_MALFORMED_UDP;
		ulen = bpf_ntohs(udp->len);
		/* RFC 768: Length counts header and data, so at least 8; it
		 * cannot exceed the IP payload (except in a first fragment,
		 * where the rest follows). IPv6 jumbograms (length 0) are not
		 * supported on this path either. */
		if (ulen < sizeof(*udp) || (!first_frag && ulen > left))
			return IPSECHA_XDP_R_MALFORMED_UDP;
		dport = bpf_ntohs(udp->dest);
		if (dport == cfg->ike_port)
			return IPSECHA_XDP_R_IKE;
		if (dport != cfg->natt_port)
			return IPSECHA_XDP_R_NOT_IPSEC;

		plen = ulen - sizeof(*udp);              /* datagram payload */
		avail = first_frag ? left - sizeof(*udp) : plen; /* of it, here */

		/* RFC 3948 §2.3: "The sender MUST use a one-octet-long payload
		 * with the value 0xFF." */
		if (plen == 1) {
			b = cur_pull(c, 1);
			if (!b || avail < 1 || *b != 0xff)
				return IPSECHA_XDP_R_MALFORMED_ESP;
			return IPSECHA_XDP_R_KEEPALIVE;
		}
		/* Too short to hold a marker or an SPI. */
		if (plen < 4 || avail < 4)
			return IPSECHA_XDP_R_MALFORMED_ESP;
		b = cur_pull(c, 4);
		if (!b)
			return IPSECHA_XDP_R_MALFORMED_ESP;
		__builtin_memcpy(&marker, b, 4);
		/* RFC 3948 §2.2: "A Non-ESP Marker is 4 zero-valued bytes
		 * aligning with the SPI field of an ESP packet." (RFC 7296
		 * §2.23: IKE on port 4500 is prefixed by it.) */
		if (marker == 0)
			return IPSECHA_XDP_R_IKE_NATT;
		/* ESP-in-UDP (RFC 3948 §2.1), "The SPI field in the ESP header
		 * MUST NOT be a zero value" — true here, the marker was not. */
		if (first_frag)
			return IPSECHA_XDP_R_ESP_FRAGMENT;
		/* RFC 4303 §2: SPI and Sequence Number are mandatory. */
		if (plen < 8 || !cur_pull(c, 4))
			return IPSECHA_XDP_R_MALFORMED_ESP;
		esp->spi = marker;
		esp->esp_off = c->off - 8;
		esp->encap = 1;
		return NEED_ESP;
	}
	if (proto == IPPROTO_ESP) {
		__u8 *e;

		/* The first fragment of an ESP packet is dropped: the card
		 * takes whole packets only, and without this fragment the
		 * stack's reassembly of the rest times out. */
		if (first_frag)
			return IPSECHA_XDP_R_ESP_FRAGMENT;
		if (left < 8)
			return IPSECHA_XDP_R_MALFORMED_ESP;
		e = cur_pull(c, 8);
		if (!e)
			return IPSECHA_XDP_R_MALFORMED_ESP;
		__builtin_memcpy(&esp->spi, e, 4);
		esp->esp_off = c->off - 8;
		esp->encap = 0;
		return NEED_ESP;
	}
	return IPSECHA_XDP_R_NOT_IPSEC;
}

static __always_inline __u32 parse_ipv4(struct cursor *c, const struct ipsecha_xdp_config *cfg,
					struct esp_ref *esp)
{
	struct iphdr *iph = cur_pull(c, sizeof(*iph));
	__u32 hlen, tot;
	__u16 frag;

	if (!iph || iph->version != 4 || iph->ihl < 5)
		return IPSECHA_XDP_R_MALFORMED_IP;
	hlen = iph->ihl * 4;
	tot = bpf_ntohs(iph->tot_len);
	if (tot < hlen || (void *)iph + tot > c->end)
		return IPSECHA_XDP_R_MALFORMED_IP;
	/* Options (IHL > 5) are skipped: the transport header follows them
	 * and is classified exactly as without options. */
	if (hlen > sizeof(*iph) && !cur_pull(c, hlen - sizeof(*iph)))
		return IPSECHA_XDP_R_MALFORMED_IP;
	esp->ip_version = 4;
	frag = bpf_ntohs(iph->frag_off);
	/* RFC 791: a non-zero Fragment Offset means no transport header. */
	if (frag & 0x1fff)
		return IPSECHA_XDP_R_FRAGMENT;
	return parse_l4(c, iph->protocol, tot - hlen, !!(frag & 0x2000), cfg, esp);
}

static __always_inline __u32 parse_ipv6(struct cursor *c, const struct ipsecha_xdp_config *cfg,
					struct esp_ref *esp)
{
	struct ipv6hdr *ip6 = cur_pull(c, sizeof(*ip6));
	__u32 left;
	__u8 nh;
	int first_frag = 0;

	if (!ip6 || ip6->version != 6)
		return IPSECHA_XDP_R_MALFORMED_IP;
	left = bpf_ntohs(ip6->payload_len);
	if ((void *)(ip6 + 1) + left > c->end)
		return IPSECHA_XDP_R_MALFORMED_IP;
	esp->ip_version = 6;
	nh = ip6->nexthdr;

	/* RFC 8200 §4: walk the extension headers that may precede ESP or
	 * UDP; a bounded number of them (IPSECHA_XDP_MAX_EXTHDRS). */
#pragma unroll
	for (int i = 0; i < IPSECHA_XDP_MAX_EXTHDRS; i++) {
		__u8 *h;
		__u32 len;

		if (nh != IPPROTO_HOPOPTS && nh != IPPROTO_ROUTING &&
		    nh != IPPROTO_DSTOPTS && nh != IPPROTO_FRAGMENT)
			break;
		/* Every one of these is at least 8 bytes. */
		if (left < 8)
			return IPSECHA_XDP_R_MALFORMED_IP;
		h = cur_pull(c, 8);
		if (!h)
			return IPSECHA_XDP_R_MALFORMED_IP;
		if (nh == IPPROTO_FRAGMENT) {
			/* RFC 8200 §4.5: offset in the upper 13 bits of bytes
			 * 2-3, M flag in the lowest bit. Offset 0 with M clear
			 * is an atomic fragment (RFC 6946): a whole packet. */
			__u16 fo = ((__u16)h[2] << 8) | h[3];

			if (fo & 0xfff8)
				return IPSECHA_XDP_R_FRAGMENT;
			first_frag = fo & 1;
			len = 8;
		} else {
			/* Hdr Ext Len in 8-octet units, not counting the first. */
			len = ((__u32)h[1] + 1) * 8;
			/* RFC 8200 §4.4: Segments Left > 0 means this node is
			 * an intermediate hop; the packet is not ours yet. */
			if (nh == IPPROTO_ROUTING && h[3] != 0)
				return IPSECHA_XDP_R_IP6_ROUTED;
			if (len > left || !cur_pull(c, len - 8))
				return IPSECHA_XDP_R_MALFORMED_IP;
		}
		left -= len;
		nh = h[0];
	}
	if (nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING ||
	    nh == IPPROTO_DSTOPTS || nh == IPPROTO_FRAGMENT)
		return IPSECHA_XDP_R_IP6_EXT_LIMIT;
	return parse_l4(c, nh, left, first_frag, cfg, esp);
}

static __always_inline __u32 classify(struct cursor *c, const struct ipsecha_xdp_config *cfg,
				      struct esp_ref *esp)
{
	struct ethhdr *eth = cur_pull(c, sizeof(*eth));
	__be16 proto;

	if (!eth)
		return IPSECHA_XDP_R_MALFORMED_L2;
	proto = eth->h_proto;
#pragma unroll
	for (int i = 0; i < IPSECHA_XDP_MAX_VLANS; i++) {
		struct vlan_tag *tag;

		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
			break;
		tag = cur_pull(c, sizeof(*tag));
		if (!tag)
			return IPSECHA_XDP_R_MALFORMED_L2;
		proto = tag->inner_proto;
	}
	if (proto == bpf_htons(ETH_P_IP))
		return parse_ipv4(c, cfg, esp);
	if (proto == bpf_htons(ETH_P_IPV6))
		return parse_ipv6(c, cfg, esp);
	return IPSECHA_XDP_R_NON_IP;   /* includes a third VLAN tag */
}

/* Fast path for the common frame: untagged IPv4 without options, not a
 * fragment, with at least a UDP header and 8 bytes behind it (or 8 bytes of
 * ESP) — one bounds check instead of one per header, fixed offsets. It
 * returns a reason only where the general parser below would return the
 * same one (the differential test and the fuzzer hold both to the
 * reference model); everything else, odd or malformed, is NEED_SLOW.
 * Its loads are aligned for NET_IP_ALIGN, so strict-alignment verifiers
 * take them as well. */
#define FAST_LEN (ETH_HLEN + 20 + 8 + 8)
static __always_inline __u32 classify_fast(void *data, void *end,
					   const struct ipsecha_xdp_config *cfg,
					   struct esp_ref *esp)
{
	__u8 *p = data;
	__u32 tot, ulen;
	__u16 dport;

	if (p + FAST_LEN > (__u8 *)end)
		return NEED_SLOW;
	/* Version 4, IHL 5; total length covers 8 bytes past a UDP header
	 * and lies inside the frame; neither MF nor a fragment offset. */
	if (*(__be16 *)(p + 12) != bpf_htons(ETH_P_IP) || p[14] != 0x45)
		return NEED_SLOW;
	tot = bpf_ntohs(*(__be16 *)(p + 16));
	if (tot < 20 + 16 || (void *)(p + ETH_HLEN) + tot > end)
		return NEED_SLOW;
	if (*(__be16 *)(p + 20) & bpf_htons(0x3fff))
		return NEED_SLOW;
	esp->ip_version = 4;
	if (p[23] == IPPROTO_UDP) {
		/* A UDP length that leaves room for a marker or an SPI and
		 * sequence number, within the IP payload (RFC 768). */
		ulen = bpf_ntohs(*(__be16 *)(p + 38));
		if (ulen < 16 || ulen > tot - 20)
			return NEED_SLOW;
		dport = bpf_ntohs(*(__be16 *)(p + 36));
		if (dport == cfg->ike_port)
			return IPSECHA_XDP_R_IKE;
		if (dport != cfg->natt_port)
			return IPSECHA_XDP_R_NOT_IPSEC;
		/* RFC 3948 §2.2: zero non-ESP marker = IKE; else ESP-in-UDP. */
		esp->spi = *(__u32 *)(p + 42);
		if (esp->spi == 0)
			return IPSECHA_XDP_R_IKE_NATT;
		esp->esp_off = 42;
		esp->encap = 1;
		return NEED_ESP;
	}
	if (p[23] == IPPROTO_ESP) {
		esp->spi = *(__u32 *)(p + 34);
		esp->esp_off = 34;
		esp->encap = 0;
		return NEED_ESP;
	}
	return IPSECHA_XDP_R_NOT_IPSEC;
}

/* Prepend the metadata the card's consumer reads. Absolute, not relative:
 * the metadata ends up exactly IPSECHA_XDP_META_LEN bytes long whatever was
 * there before (a repeated test run reuses the same buffer). */
static __always_inline int write_meta(struct xdp_md *ctx, const struct esp_ref *esp,
				      __u32 slot, __u32 group)
{
	void *data = (void *)(long)ctx->data;
	void *meta = (void *)(long)ctx->data_meta;
	struct ipsecha_xdp_meta *m;
	int have;

	if (meta > data)          /* the driver supports no metadata */
		return -1;
	have = (int)(data - meta);
	if (bpf_xdp_adjust_meta(ctx, have - IPSECHA_XDP_META_LEN))
		return -1;
	m = (void *)(long)ctx->data_meta;
	if ((void *)(m + 1) > (void *)(long)ctx->data)
		return -1;
	m->magic = IPSECHA_XDP_META_MAGIC;
	m->slot = slot;
	m->group = group;
	m->esp_off = esp->esp_off;
	m->encap = esp->encap;
	m->ip_version = esp->ip_version;
	return 0;
}

_Static_assert(sizeof(struct ipsecha_xdp_meta) == IPSECHA_XDP_META_LEN, "meta size");
_Static_assert(sizeof(struct ipsecha_xdp_sa) == 8, "SA entry is one 64-bit load");

union sa_entry {
	__u64 raw;
	struct ipsecha_xdp_sa sa;
};

/* Probe the SA table from the SPI's home bucket: found, an empty bucket
 * (the SPI is not there), or the end of the probe window. Every bucket is
 * one 64-bit load of a whole entry. */
static __always_inline int sa_lookup(__u32 spi, const struct ipsecha_xdp_config *cfg,
				     union sa_entry *v)
{
	__u32 home = ipsecha_xdp_sa_hash(spi, cfg->sa_shift);

#pragma unroll
	for (int i = 0; i < IPSECHA_XDP_SA_PROBES; i++) {
		__u32 idx = (home + i) & (cfg->sa_buckets - 1);
		__u64 *e = bpf_map_lookup_elem(&ipsecha_sa, &idx);

		if (!e)
			return 0;
		v->raw = *(volatile __u64 *)e;
		if (v->sa.spi == spi)
			return 1;
		if (v->raw == 0)
			return 0;
	}
	return 0;
}

static __always_inline __u32 steer_esp(struct xdp_md *ctx, const struct ipsecha_xdp_config *cfg,
				       const struct esp_ref *esp, __u32 *action)
{
	union sa_entry v;
	__u32 *state, group;

	/* RFC 4303 §2.1: "the SPI is an arbitrary 32-bit value that is used
	 * by a receiver to identify the SA to which an incoming packet is
	 * bound." ... "The set of SPI values in the range 1 through 255 are
	 * reserved ... The SPI value of zero (0) is reserved": never an SA. */
	if (bpf_ntohl(esp->spi) < 256 || !sa_lookup(esp->spi, cfg, &v)) {
		*action = cfg->unknown_spi == IPSECHA_XDP_ACT_PASS ? XDP_PASS : XDP_DROP;
		return IPSECHA_XDP_R_ESP_UNKNOWN;
	}
	group = v.sa.group;
	state = bpf_map_lookup_elem(&ipsecha_groups, &group);
	if (!state) {
		*action = XDP_DROP;
		return IPSECHA_XDP_R_ESP_BAD_GROUP;
	}
	if (*(volatile __u32 *)state != IPSECHA_XDP_GROUP_ACTIVE) {
		__u64 *n = bpf_map_lookup_elem(&ipsecha_gdrops, &group);

		if (n)
			*n += 1;
		*action = XDP_DROP;
		return IPSECHA_XDP_R_ESP_HOLD;
	}
	if (cfg->esp_action != IPSECHA_XDP_ESP_REDIRECT) {
		*action = XDP_PASS;
		return IPSECHA_XDP_R_ESP_PASS;
	}
	/* The socket must be bound to the queue the frame arrived on. With
	 * no socket there, the fallback action (DROP) is returned. */
	*action = bpf_redirect_map(&ipsecha_xsks, ctx->rx_queue_index, XDP_DROP);
	if (*action != XDP_REDIRECT)
		return IPSECHA_XDP_R_ESP_NO_XSK;
	/* Metadata only on request: bpf_xdp_adjust_meta is a helper call,
	 * and a consumer that looks the SPI up itself does not need it. */
	if (cfg->meta && write_meta(ctx, esp, v.sa.slot, group)) {
		*action = XDP_DROP;
		return IPSECHA_XDP_R_ESP_NO_META;
	}
	return IPSECHA_XDP_R_ESP_REDIRECT;
}

/* Verdict of the reasons whose action is fixed or a simple policy. */
static __always_inline __u32 action_of(__u32 reason, const struct ipsecha_xdp_config *cfg)
{
	switch (reason) {
	case IPSECHA_XDP_R_NON_IP:
	case IPSECHA_XDP_R_NOT_IPSEC:
	case IPSECHA_XDP_R_IKE:
	case IPSECHA_XDP_R_IKE_NATT:
	case IPSECHA_XDP_R_FRAGMENT:
	case IPSECHA_XDP_R_IP6_ROUTED:
		return XDP_PASS;
	case IPSECHA_XDP_R_KEEPALIVE:
		/* RFC 3948 §2.3: "The receiver SHOULD ignore a received
		 * NAT-keepalive packet." Default PASS: the IKE daemon's
		 * encapsulation socket consumes it. */
		return cfg->keepalive == IPSECHA_XDP_ACT_DROP ? XDP_DROP : XDP_PASS;
	default:
		return XDP_DROP;
	}
}

SEC("xdp")
int ipsecha_steer(struct xdp_md *ctx)
{
	struct cursor c = {
		.pos = (void *)(long)ctx->data,
		.end = (void *)(long)ctx->data_end,
		.off = 0,
	};
	const struct ipsecha_xdp_config *cfg;
	struct ipsecha_xdp_counters *st;
	struct esp_ref esp = {};
	__u32 zero = 0, *sel, reason, action, idx;

	sel = bpf_map_lookup_elem(&ipsecha_cfgsel, &zero);
	if (!sel)
		return XDP_PASS;
	cfg = bpf_map_lookup_elem(&ipsecha_config, sel);
	if (!cfg)
		return XDP_PASS;

	reason = classify_fast(c.pos, c.end, cfg, &esp);
	if (reason == NEED_SLOW)
		reason = classify(&c, cfg, &esp);
	if (reason == NEED_ESP)
		reason = steer_esp(ctx, cfg, &esp, &action);
	else
		action = action_of(reason, cfg);

	/* One counter per (reason, action): a single increment per frame. */
	st = bpf_map_lookup_elem(&ipsecha_stats, &zero);
	idx = reason * IPSECHA_XDP_ACTIONS + action;
	if (st && idx < IPSECHA_XDP_R_COUNT * IPSECHA_XDP_ACTIONS)
		(&st->frames[0][0])[idx] += 1;
	return action;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
