/* fw.h — the card firmware: command rings in card memory → validated engine
 * CSR operations → completions, events and interrupts.
 *
 * Freestanding C11, no allocation: all state is in `struct fw`, which the
 * platform provides (a static object on rv32; one object in the simulated
 * card). The platform supplies the CSR bus, the card memory (BAR) and a
 * way to interrupt host peers; everything else is here.
 *
 * Thread-safety: none; the firmware is the card's only control thread. */
#ifndef FW_H
#define FW_H

#include <stdint.h>

#include "ipsecha_card_abi.h"

/* Compile-time capacity; the engine's NUM_SA/NUM_GROUP must fit. */
#ifndef FW_MAX_SA
#define FW_MAX_SA     4096u
#endif
#ifndef FW_MAX_GROUP
#define FW_MAX_GROUP  1024u
#endif
#define FW_MAX_WINDOW 1024u

#define FW_PEER_ALL   0xffffffffu

struct fw_platform {
	/* CSR bus of the engine (same shape as sim's struct isq_bus). */
	uint32_t (*rd32)(void *ctx, uint32_t off);
	void (*wr32)(void *ctx, uint32_t off, uint32_t v);
	void *bus_ctx;
	/* Interrupt a host peer (FW_PEER_ALL: every peer) on a vector. */
	void (*irq)(void *ctx, uint32_t peer, uint32_t vector);
	void *irq_ctx;
	/* Card memory the hosts see (the BAR), ICA_BAR_SIZE bytes. */
	uint8_t *bar;
	uint32_t bar_size;
	uint32_t doorbell_peer;   /* published in the identity block */
	uint32_t fw_build_id;
	uint32_t spin_limit;      /* CSR polls before an engine op is a HW_ERROR; 0 = default */
	/* Testing only: the ABI version to publish (0 = this build's). */
	uint16_t abi_major, abi_minor;
};

/* Engine facts discovered at init. */
struct fw_engine {
	uint32_t id_base, mb_base, ev_base, di_base;
	uint32_t num_sa, num_group, window, features;
	uint32_t build_id, version, dp_latency, evt_depth;
};

struct fw_slot {
	uint16_t group;
	uint8_t  valid, dir_in;
	uint8_t  esn, rsvd[3];
};

struct fw_queue {
	uint32_t cmd_cons, cpl_prod;  /* authoritative copies of the card's indices */
	uint32_t last_tag;
};

struct fw {
	struct fw_platform p;
	struct fw_engine eng;
	uint32_t spin_limit;
	uint32_t ev_prod;
	uint32_t rr;                  /* round-robin start queue */
	struct fw_queue q[ICA_NUM_QUEUES];
	struct fw_slot slot[FW_MAX_SA];
	uint16_t grp_nslots[FW_MAX_GROUP];
	uint8_t  grp_esn[FW_MAX_GROUP];
};

/* Boot: discover the engine, initialise card memory, publish the identity
 * block (state READY last). Returns an ica_status; on failure the identity
 * block says FAILED with fail_code. */
int fw_init(struct fw *fw, const struct fw_platform *p);

/* One pass over the queues and the engine's event FIFO. Returns the number
 * of commands completed. Call after every doorbell and whenever the engine
 * has events pending; call again while it returns non-zero (a pass takes
 * at most 64 commands per queue). */
unsigned fw_poll(struct fw *fw);

/* A doorbell: a host wrote a doorbell register (the platform's doorbell
 * interrupt), or kicked the emulated card's ivshmem vector. Statistics
 * only (ctrl.doorbells): fw_poll does the work and looks at every queue. */
void fw_doorbell(struct fw *fw);

/* The ivshmem peer disconnected: free the queues it owned. */
void fw_peer_gone(struct fw *fw, uint32_t peer);

/* Clean shutdown: identity state STOPPED. */
void fw_shutdown(struct fw *fw);

/* Validate a command against the engine facts and the firmware's shadow
 * of slot/group membership, without touching the engine. Returns an
 * ica_status; *field names the refused field. Pure: exposed for tests. */
int fw_validate(const struct fw *fw, const struct ica_cmd *c, uint16_t *field);

/* Validate and execute one command; fills *cpl (tag/op too). `rb` is the
 * issuing queue's readback window (ICA_RB_ENTRIES entries). */
void fw_exec(struct fw *fw, const struct ica_cmd *c, struct ica_cpl *cpl, struct ica_rb *rb);

/* Freestanding helpers (no libc on rv32). */
void fw_memset(void *d, int c, uint32_t n);
void fw_memcpy(void *d, const void *s, uint32_t n);

#endif
