/* frames.c — see frames.h. */
#include "frames.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

const uint8_t frame_mac_gw[6] = { 0x02, 0x00, 0x5e, 0x00, 0x53, 0x01 };
const uint8_t frame_mac_peer[6] = { 0x02, 0x00, 0x5e, 0x00, 0x53, 0x02 };
const uint8_t frame_ip6_gw[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
const uint8_t frame_ip6_peer[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 };

uint32_t frame_csum_add(uint32_t sum, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (n & 1)
		sum += (uint32_t)b[n - 1] << 8;
	return sum;
}

uint16_t frame_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

void frame_esp_bytes(uint8_t *p, size_t n, uint32_t spi, uint32_t seq)
{
	if (n < 8)
		return;
	put32(p, spi);
	put32(p + 4, seq);
	for (size_t i = 8; i < n; i++)
		p[i] = (uint8_t)(i * 7 + (seq & 0xff));
}

/* The transport segment (UDP header + payload, or the raw payload). */
static size_t build_l4(const struct frame_spec *s, uint8_t *p, size_t cap)
{
	size_t n;

	if (s->proto == IPPROTO_UDP) {
		if (8 + s->payload_len > cap)
			return 0;
		put16(p, s->sport ? s->sport : 500);
		put16(p + 2, s->dport);
		put16(p + 4, (uint16_t)(8 + (int)s->payload_len + s->udp_len_delta));
		put16(p + 6, 0);
		if (s->payload_len)
			memcpy(p + 8, s->payload, s->payload_len);
		n = 8 + s->payload_len;
		if (s->udp_hdr_only > 0 && s->udp_hdr_only < 8)
			n = (size_t)s->udp_hdr_only;
		return n;
	}
	if (s->payload_len > cap)
		return 0;
	if (s->payload_len)
		memcpy(p, s->payload, s->payload_len);
	return s->payload_len;
}

static void udp_checksum(const struct frame_spec *s, const uint8_t *src, const uint8_t *dst,
			 size_t alen, uint8_t *udp, size_t seg)
{
	uint32_t sum = 0;
	uint16_t c;

	if (s->proto != IPPROTO_UDP || seg < 8 || s->udp_hdr_only)
		return;
	sum = frame_csum_add(sum, src, alen);
	sum = frame_csum_add(sum, dst, alen);
	sum += IPPROTO_UDP + (uint32_t)seg;
	sum = frame_csum_add(sum, udp, seg);
	c = (uint16_t)~frame_csum_fold(sum);
	put16(udp + 6, c ? c : 0xffff);
}

size_t frame_build(const struct frame_spec *s, uint8_t *buf, size_t cap)
{
	uint8_t *p = buf;
	size_t n, seg;
	uint16_t et;

	if (cap < 14 + 4 * 3 + 60 + 48)
		return 0;
	memset(buf, 0, cap);
	memcpy(p, s->dst_mac ? s->dst_mac : frame_mac_gw, 6);
	memcpy(p + 6, s->src_mac ? s->src_mac : frame_mac_peer, 6);
	p += 12;
	for (int i = 0; i < s->vlans && i < 3; i++) {
		put16(p, s->vlan_tpid[i] ? s->vlan_tpid[i] : 0x8100);
		put16(p + 2, (uint16_t)(100 + i));      /* TCI: VLAN id */
		p += 4;
	}
	et = s->ethertype ? s->ethertype : s->l3 == 4 ? 0x0800 : s->l3 == 6 ? 0x86dd : 0x88cc;
	put16(p, et);
	p += 2;

	if (s->l3 == 4) {
		uint8_t *ip = p;
		size_t hl = 20 + (size_t)s->ip_opts;
		uint32_t src = s->src4 ? s->src4 : FRAME_IP4_PEER;
		uint32_t dst = s->dst4 ? s->dst4 : FRAME_IP4_GW;
		uint8_t a[4], b[4];

		ip[0] = (uint8_t)((s->ip_version ? s->ip_version : 4) << 4 |
				  (s->ihl ? s->ihl : (int)(hl / 4)));
		ip[1] = 0;
		put16(ip + 4, 0x1234);
		put16(ip + 6, s->frag_off);
		ip[8] = 64;
		ip[9] = s->proto;
		put32(ip + 12, src);
		put32(ip + 16, dst);
		for (int i = 0; i < s->ip_opts; i++)
			ip[20 + i] = 1;                  /* NOP options */
		seg = build_l4(s, ip + hl, cap - (size_t)(ip + hl - buf));
		put16(ip + 2, (uint16_t)((int)(hl + seg) + s->len_delta));
		put16(ip + 10, (uint16_t)~frame_csum_fold(frame_csum_add(0, ip, hl)));
		put32(a, src);
		put32(b, dst);
		udp_checksum(s, a, b, 4, ip + hl, seg);
		n = (size_t)(ip + hl + seg - buf);
	} else if (s->l3 == 6) {
		uint8_t *ip = p, *q = p + 40, *l4;
		uint8_t nh = s->n_ext ? s->ext[0].type : s->proto;

		put32(ip, (uint32_t)(s->ip_version ? s->ip_version : 6) << 28);
		ip[6] = nh;
		ip[7] = 64;
		memcpy(ip + 8, s->src6 ? s->src6 : frame_ip6_peer, 16);
		memcpy(ip + 24, s->dst6 ? s->dst6 : frame_ip6_gw, 16);
		for (int i = 0; i < s->n_ext && i < 6; i++) {
			const struct frame_ext6 *e = &s->ext[i];
			size_t len = e->type == IPPROTO_FRAGMENT ? 8 : ((size_t)e->len8 + 1) * 8;

			q[0] = i + 1 < s->n_ext ? s->ext[i + 1].type : s->proto;
			if (e->type == IPPROTO_FRAGMENT) {
				put16(q + 2, e->frag);
				put32(q + 4, 0xabcd);
			} else {
				q[1] = e->len8;
				if (e->type == IPPROTO_ROUTING) {
					q[2] = 4;       /* SRH type, contents unused */
					q[3] = e->segleft;
				} else {
					q[2] = 1;       /* PadN over the rest */
					q[3] = (uint8_t)(len - 4);
				}
			}
			q += len;
		}
		l4 = q;
		seg = build_l4(s, l4, cap - (size_t)(l4 - buf));
		put16(ip + 4, (uint16_t)((int)(l4 - ip - 40 + (long)seg) + s->len_delta));
		udp_checksum(s, ip + 8, ip + 24, 16, l4, seg);
		n = (size_t)(l4 + seg - buf);
	} else {
		if (s->payload_len > cap - (size_t)(p - buf))
			return 0;
		if (s->payload_len)
			memcpy(p, s->payload, s->payload_len);
		n = (size_t)(p - buf) + s->payload_len;
	}
	if (s->min_len > 0 && n < (size_t)s->min_len)
		n = (size_t)s->min_len;             /* zero padding, as on the wire */
	if (s->truncate > 0 && (size_t)s->truncate < n)
		n = (size_t)s->truncate;
	return n;
}
