/* net.h — the agent's UDP sockets: IKE on the IKE port and on the NAT-T
 * port (RFC 3948: IKE there carries the four-octet non-ESP marker, a single
 * 0xff octet is a NAT-keepalive, anything else is ESP and not ours), IPv4
 * and IPv6, wildcard-bound with the packet's own destination address
 * recovered through IP_PKTINFO / IPV6_RECVPKTINFO so that answers leave
 * from the address the request reached. */
#ifndef IPSECHA_AGENT_NET_H
#define IPSECHA_AGENT_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define NET_MAX_FDS 4

struct net;

struct net_stats {
	uint64_t rx, tx, rx_keepalive, rx_esp_dropped, rx_short, rx_errors, tx_errors;
};

/* What arrived: IKE (marker removed) or a keepalive (pkt NULL). */
typedef void (*net_rx_fn)(void *arg, const struct sockaddr_storage *local,
			  const struct sockaddr_storage *remote, bool natt,
			  const uint8_t *pkt, size_t len, bool keepalive);

/* Bind the sockets. IPv6 is skipped when the host has none. On error err
 * gets a sentence (e.g. "UDP port 500 in use"). */
int net_open(uint16_t ike_port, uint16_t natt_port, struct net **out, char *err, size_t errlen);
void net_close(struct net *n);   /* NULL-safe */
/* The socket fds, for the event loop. Returns how many. */
unsigned net_fds(const struct net *n, int *fds, unsigned max);
/* Read what is pending on fd (at most a batch) and hand it to fn. */
void net_read(struct net *n, int fd, net_rx_fn fn, void *arg);
/* Send an IKE message from src (address and port select the socket and
 * source address) to dst; natt prepends the non-ESP marker. */
int net_send(struct net *n, const struct sockaddr_storage *src, const struct sockaddr_storage *dst,
	     bool natt, const uint8_t *pkt, size_t len);
int net_send_keepalive(struct net *n, const struct sockaddr_storage *src,
		       const struct sockaddr_storage *dst);
/* The source address the host routes to dst with (a connected UDP socket's
 * name). Port of *src is left as it was. */
int net_route(const struct sockaddr_storage *dst, struct sockaddr_storage *src);
const struct net_stats *net_stats(const struct net *n);

#endif
