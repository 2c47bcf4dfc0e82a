/* refmodel.c — see refmodel.h. Deliberately not structured like the BPF
 * program: absolute offsets into the frame and one function per decision
 * table of docs/xdp.md. */
#include "refmodel.h"

#include <linux/bpf.h>
#include <string.h>

static unsigned int be16(const uint8_t *p)
{
	return (unsigned int)p[0] << 8 | p[1];
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)be16(p) << 16 | be16(p + 2);
}

static void fixed(struct ref_result *r, unsigned int reason, int action)
{
	r->reason = reason;
	r->action = action;
}

static void esp(const uint8_t *f, size_t at, int encap, int ipv, const struct ref_env *env,
		struct ref_result *r)
{
	uint32_t spi = be32(f + at), slot, group, state;

	/* RFC 4303 §2.1: 0 and 1..255 are reserved, never an SA. */
	if (spi < 256 || !env->sa_lookup(env->ctx, spi, &slot, &group)) {
		fixed(r, IPSECHA_XDP_R_ESP_UNKNOWN,
		      env->pol.unknown_spi == IPSECHA_XDP_ACT_PASS ? XDP_PASS : XDP_DROP);
		return;
	}
	if (env->group_state(env->ctx, group, &state)) {
		fixed(r, IPSECHA_XDP_R_ESP_BAD_GROUP, XDP_DROP);
		return;
	}
	if (state != IPSECHA_XDP_GROUP_ACTIVE) {
		fixed(r, IPSECHA_XDP_R_ESP_HOLD, XDP_DROP);
		return;
	}
	if (env->pol.esp_action == IPSECHA_XDP_ESP_PASS) {
		fixed(r, IPSECHA_XDP_R_ESP_PASS, XDP_PASS);
		return;
	}
	if (!env->xsk_bound) {
		fixed(r, IPSECHA_XDP_R_ESP_NO_XSK, XDP_DROP);
		return;
	}
	fixed(r, IPSECHA_XDP_R_ESP_REDIRECT, XDP_REDIRECT);
	r->has_meta = env->pol.meta;
	r->meta.magic = IPSECHA_XDP_META_MAGIC;
	r->meta.slot = slot;
	r->meta.group = group;
	r->meta.esp_off = (uint16_t)at;
	r->meta.encap = (uint8_t)encap;
	r->meta.ip_version = (uint8_t)ipv;
}

/* Transport at offset p; `left` bytes of IP payload from there. */
static void transport(const uint8_t *f, size_t p, size_t left, uint8_t proto, int first,
		      int ipv, const struct ref_env *env, struct ref_result *r)
{
	size_t ulen, plen, avail;
	unsigned int dport;

	if (proto == 50) {
		if (first)
			fixed(r, IPSECHA_XDP_R_ESP_FRAGMENT, XDP_DROP);
		else if (left < 8)
			fixed(r, IPSECHA_XDP_R_MALFORMED_ESP, XDP_DROP);
		else
			esp(f, p, 0, ipv, env, r);
		return;
	}
	if (proto != 17) {
		fixed(r, IPSECHA_XDP_R_NOT_IPSEC, XDP_PASS);
		return;
	}
	if (left < 8) {
		fixed(r, IPSECHA_XDP_R_MALFORMED_UDP, XDP_DROP);
		return;
	}
	ulen = be16(f + p + 4);
	if (ulen < 8 || (!first && ulen > left)) {
		fixed(r, IPSECHA_XDP_R_MALFORMED_UDP, XDP_DROP);
		return;
	}
	dport = be16(f + p + 2);
	if (dport == env->pol.ike_port) {
		fixed(r, IPSECHA_XDP_R_IKE, XDP_PASS);
		return;
	}
	if (dport != env->pol.natt_port) {
		fixed(r, IPSECHA_XDP_R_NOT_IPSEC, XDP_PASS);
		return;
	}
	plen = ulen - 8;
	avail = first ? left - 8 : plen;
	if (plen == 1) {
		if (avail >= 1 && f[p + 8] == 0xff)
			fixed(r, IPSECHA_XDP_R_KEEPALIVE,
			      env->pol.keepalive == IPSECHA_XDP_ACT_DROP ? XDP_DROP : XDP_PASS);
		else
			fixed(r, IPSECHA_XDP_R_MALFORMED_ESP, XDP_DROP);
		return;
	}
	if (plen < 4 || avail < 4) {
		fixed(r, IPSECHA_XDP_R_MALFORMED_ESP, XDP_DROP);
		return;
	}
	if (be32(f + p + 8) == 0) {
		fixed(r, IPSECHA_XDP_R_IKE_NATT, XDP_PASS);
		return;
	}
	if (first) {
		fixed(r, IPSECHA_XDP_R_ESP_FRAGMENT, XDP_DROP);
		return;
	}
	if (plen < 8) {
		fixed(r, IPSECHA_XDP_R_MALFORMED_ESP, XDP_DROP);
		return;
	}
	esp(f, p + 8, 1, ipv, env, r);
}

static int is_ext(uint8_t nh)
{
	return nh == 0 || nh == 43 || nh == 44 || nh == 60;
}

void ref_classify(const uint8_t *f, size_t len, const struct ref_env *env, struct ref_result *r)
{
	size_t off = 14;
	unsigned int et;

	memset(r, 0, sizeof(*r));
	if (len < 14) {
		fixed(r, IPSECHA_XDP_R_MALFORMED_L2, XDP_DROP);
		return;
	}
	et = be16(f + 12);
	for (int tags = 0; tags < 2 && (et == 0x8100 || et == 0x88a8); tags++) {
		if (off + 4 > len) {
			fixed(r, IPSECHA_XDP_R_MALFORMED_L2, XDP_DROP);
			return;
		}
		et = be16(f + off + 2);
		off += 4;
	}
	if (et == 0x0800) {
		size_t hl, tot;
		unsigned int fo;

		if (off + 20 > len || f[off] >> 4 != 4 || (f[off] & 15) < 5) {
			fixed(r, IPSECHA_XDP_R_MALFORMED_IP, XDP_DROP);
			return;
		}
		hl = (size_t)(f[off] & 15) * 4;
		tot = be16(f + off + 2);
		if (tot < hl || off + tot > len) {
			fixed(r, IPSECHA_XDP_R_MALFORMED_IP, XDP_DROP);
			return;
		}
		fo = be16(f + off + 6);
		if (fo & 0x1fff) {
			fixed(r, IPSECHA_XDP_R_FRAGMENT, XDP_PASS);
			return;
		}
		transport(f, off + hl, tot - hl, f[off + 9], !!(fo & 0x2000), 4, env, r);
		return;
	}
	if (et == 0x86dd) {
		size_t p, left;
		int first = 0, n;
		uint8_t nh;

		if (off + 40 > len || f[off] >> 4 != 6) {
			fixed(r, IPSECHA_XDP_R_MALFORMED_IP, XDP_DROP);
			return;
		}
		left = be16(f + off + 4);
		if (off + 40 + left > len) {
			fixed(r, IPSECHA_XDP_R_MALFORMED_IP, XDP_DROP);
			return;
		}
		nh = f[off + 6];
		p = off + 40;
		for (n = 0; n < IPSECHA_XDP_MAX_EXTHDRS && is_ext(nh); n++) {
			size_t hlen = 8;

			if (left < 8) {
				fixed(r, IPSECHA_XDP_R_MALFORMED_IP, XDP_DROP);
				return;
			}
			if (nh == 44) {
				if (be16(f + p + 2) & 0xfff8) {
					fixed(r, IPSECHA_XDP_R_FRAGMENT, XDP_PASS);
					return;
				}
				first = be16(f + p + 2) & 1;
			} else {
				hlen = ((size_t)f[p + 1] + 1) * 8;
				if (nh == 43 && f[p + 3]) {
					fixed(r, IPSECHA_XDP_R_IP6_ROUTED, XDP_PASS);
					return;
				}
				if (hlen > left) {
					fixed(r, IPSECHA_XDP_R_MALFORMED_IP, XDP_DROP);
					return;
				}
			}
			nh = f[p];
			p += hlen;
			left -= hlen;
		}
		if (is_ext(nh)) {
			fixed(r, IPSECHA_XDP_R_IP6_EXT_LIMIT, XDP_DROP);
			return;
		}
		transport(f, p, left, nh, first, 6, env, r);
		return;
	}
	fixed(r, IPSECHA_XDP_R_NON_IP, XDP_PASS);
}
