/* frames.h — crafted Ethernet frames for the XDP tests and benchmark:
 * IPv4/IPv6, 802.1Q tags, IPv4 options, IPv6 extension headers, fragments,
 * and every length field overridable to build malformed frames. Addresses
 * are from the documentation ranges (RFC 5737, RFC 3849). */
#ifndef IPSX_FRAMES_H
#define IPSX_FRAMES_H

#include <stddef.h>
#include <stdint.h>

#define FRAME_MAX 2048

struct frame_ext6 {
	uint8_t type;        /* IPPROTO_HOPOPTS/ROUTING/DSTOPTS/FRAGMENT/other */
	uint8_t len8;        /* Hdr Ext Len (8-octet units beyond the first) */
	uint16_t frag;       /* fragment header: offset<<3 | M */
	uint8_t segleft;     /* routing header: segments left */
};

struct frame_spec {
	int l3;                  /* 4, 6; 0 = no IP (ethertype + payload) */
	uint16_t ethertype;      /* 0: from l3 */
	int vlans;               /* tags before the ethertype (0..3) */
	uint16_t vlan_tpid[3];   /* 0: 0x8100 */
	/* IPv4 */
	int ip_opts;             /* bytes of options (multiple of 4, <= 40) */
	int ihl;                 /* 0: computed; else forced (malformed) */
	int ip_version;          /* 0: from l3; else forced */
	uint16_t frag_off;       /* IPv4 flags|offset, host order */
	int len_delta;           /* added to tot_len / payload_len */
	/* IPv6 */
	int n_ext;
	struct frame_ext6 ext[6];
	/* transport */
	uint8_t proto;           /* IPPROTO_UDP, IPPROTO_ESP, ... */
	uint16_t sport, dport;
	int udp_len_delta;       /* added to the UDP length field */
	int udp_hdr_only;        /* UDP: emit only this many header bytes (1..7) */
	const uint8_t *payload;  /* transport payload (UDP data, or ESP bytes) */
	size_t payload_len;
	/* addresses: NULL/zero = defaults below */
	const uint8_t *src_mac, *dst_mac;
	uint32_t src4, dst4;     /* host order */
	const uint8_t *src6, *dst6;
	/* frame */
	int truncate;            /* > 0: cut the frame to this length */
	int min_len;             /* pad with zeros up to this length (e.g. 60) */
};

extern const uint8_t frame_mac_gw[6], frame_mac_peer[6];
extern const uint8_t frame_ip6_gw[16], frame_ip6_peer[16];
#define FRAME_IP4_GW   0xc0000201u   /* 192.0.2.1 */
#define FRAME_IP4_PEER 0xc6336402u   /* 198.51.100.2 */

/* Build the frame; returns its length (0 if it does not fit cap). */
size_t frame_build(const struct frame_spec *s, uint8_t *buf, size_t cap);

/* An ESP header (SPI, sequence) followed by n - 8 pattern bytes; n >= 8. */
void frame_esp_bytes(uint8_t *p, size_t n, uint32_t spi, uint32_t seq);

/* RFC 1071 checksum over a buffer, folded, not complemented. */
uint32_t frame_csum_add(uint32_t sum, const void *p, size_t n);
uint16_t frame_csum_fold(uint32_t sum);

#endif
