/* parse.h — bounds-checked cursor over an XDP frame (BPF side).
 *
 * Every read of packet bytes goes through cur_pull(): it checks the request
 * against data_end (what the verifier needs for memory safety) and returns
 * NULL past it. Logical bounds that come from length fields (IP total
 * length, UDP length) are separate scalar checks in the callers: Ethernet
 * padding means data_end is often beyond the IP datagram's end. */
#ifndef IPSECHA_XDP_PARSE_H
#define IPSECHA_XDP_PARSE_H

#include <linux/types.h>
#include <bpf/bpf_helpers.h>

struct cursor {
	void *pos;      /* next unread byte */
	void *end;      /* data_end */
	__u32 off;      /* pos - data, kept as a scalar (no pointer subtraction) */
};

/* Consume n bytes; NULL (cursor unchanged) if fewer remain in the frame.
 * n must be bounded (a constant, or a value the verifier can bound). */
static __always_inline void *cur_pull(struct cursor *c, __u32 n)
{
	void *p = c->pos;

	if (p + n > c->end)
		return NULL;
	c->pos = p + n;
	c->off += n;
	return p;
}

/* 802.1Q / 802.1ad tag after the MAC addresses. */
struct vlan_tag {
	__be16 tci;
	__be16 inner_proto;
};

#endif
