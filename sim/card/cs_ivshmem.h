/* cs_ivshmem.h — the simulated card's ivshmem server (QEMU's protocol,
 * docs/card-sim.md). The card itself is peer 0: its vector-0 eventfd is
 * its doorbell. Each client gets ICA_NUM_VECTORS eventfds to be interrupted
 * on (completion, event) and the card's eventfds to ring it. Clients are
 * not told about each other: they never interrupt each other. */
#ifndef CS_IVSHMEM_H
#define CS_IVSHMEM_H

#include <poll.h>
#include <stdint.h>

#include "ipsecha_card_abi.h"

#define CS_MAX_PEERS 32
#define CS_CARD_PEER 0u

struct cs_peer {
	int used;
	uint16_t id;
	int sock;
	int efd[ICA_NUM_VECTORS];
};

struct cs_server {
	int lsock;
	char path[108];
	int shm_fd;
	int card_efd[ICA_NUM_VECTORS];
	struct cs_peer peers[CS_MAX_PEERS];
	uint16_t next_id;
	void (*on_gone)(void *arg, uint32_t peer);
	void *arg;
	unsigned long connects, disconnects, irqs;
};

/* Listen on path (a stale socket file is replaced; a live card there is
 * -EADDRINUSE). shm_fd is handed to every client. */
/* One protocol message: V (little-endian int64) with FD attached when
 * FD >= 0; never blocks. 0 or -errno. */
int cs_ivshmem_send(int sock, int64_t v, int fd);

int cs_srv_open(struct cs_server *s, const char *path, int shm_fd);
void cs_srv_close(struct cs_server *s);
/* Fill pollfds: [0] listen socket, [1] doorbell, then clients. Returns count. */
int cs_srv_pollfds(struct cs_server *s, struct pollfd *pfd, int max, int *peer_idx);
void cs_srv_accept(struct cs_server *s);
/* A client socket is readable or hung up. */
void cs_srv_client(struct cs_server *s, int idx);
/* Returns 1 if the doorbell rang (and clears it). */
int cs_srv_doorbell(struct cs_server *s);
/* Interrupt `peer` (0xffffffff: all) on vector vec. */
void cs_srv_irq(struct cs_server *s, uint32_t peer, uint32_t vec);

#endif
