/* ipsecha_card_abi.h — the card ABI: what a host sees in the card's BAR.
 *
 * One header, included by the firmware (which implements it) and by
 * libipsecha (which drives it). Freestanding: only <stdint.h>.
 * docs/card-abi.md explains every field, command, error and timing.
 *
 * Byte order: little-endian. All ring indices are free-running 32-bit
 * counters (entry = index & (entries - 1)); every index has exactly one
 * writer (noted per field). 64-bit fields are naturally aligned; the card
 * writes them as two 32-bit halves, so a host reads a 64-bit field only
 * from an entry the card has published (index or sequence written last).
 *
 * Versioning: ICA_ABI_MAJOR changes on any incompatible change of layout
 * or semantics; a host refuses a card whose major differs. ICA_ABI_MINOR
 * grows with compatible additions (new commands, new capability bits);
 * a host built for minor m refuses a card with minor < m.
 */
#ifndef IPSECHA_CARD_ABI_H
#define IPSECHA_CARD_ABI_H

#include <stdint.h>

#define ICA_MAGIC        0x41485349u /* "ISHA" in memory order */
#define ICA_ABI_MAJOR    2u  /* 2.0: doorbell registers (1.0 had none; see docs) */
#define ICA_ABI_MINOR    0u

/* ---- the card as a PCI function. 0x1234 is the vendor ID FPGA prototypes
 * carry before one is assigned; a vendor shipping the card replaces the
 * vendor/device IDs (and sets its subsystem IDs). The BAR below holds this
 * whole window (ICA_BAR_SIZE); MSI-X vector v is host vector ICA_VEC_v. */
#define ICA_PCI_VENDOR_ID 0x1234u
#define ICA_PCI_DEVICE_ID 0x6311u  /* RFC 6311 */
#define ICA_PCI_BAR       0u

/* ---- BAR layout (offsets are also published in the identity block;
 * hosts use the published values, bounds-checked against the BAR size). */
#define ICA_BAR_SIZE         0x100000u /* 1 MiB: a power of two (PCI BAR) */
#define ICA_ID_OFF           0x00000u
#define ICA_CTRL_OFF         0x00100u
#define ICA_QTAB_OFF         0x00200u
#define ICA_EVRING_OFF       0x01000u
#define ICA_DB_OFF           0x0f000u /* doorbell page: its own 4 KiB */
#define ICA_DB_STRIDE        4u       /* bytes between two queues' doorbells */
#define ICA_QMEM_OFF         0x10000u

#define ICA_NUM_QUEUES       8u     /* queue pairs: one per open handle */
#define ICA_CMD_ENTRIES      256u   /* per queue, power of two */
#define ICA_CPL_ENTRIES      256u   /* per queue, == ICA_CMD_ENTRIES */
#define ICA_EV_ENTRIES       1024u  /* global event ring, power of two */
#define ICA_RB_ENTRIES       1024u  /* readback window entries per queue */
#define ICA_QMEM_STRIDE      0x10000u
/* Inside one queue's memory (ICA_QMEM_OFF + q * ICA_QMEM_STRIDE): */
#define ICA_QMEM_CMD_OFF     0x0000u /* ICA_CMD_ENTRIES * 64 */
#define ICA_QMEM_CPL_OFF     0x4000u /* ICA_CPL_ENTRIES * 64 */
#define ICA_QMEM_RB_OFF      0x8000u /* ICA_RB_ENTRIES * 32 */

/* Interrupt vectors of a host (MSI-X on a card; ivshmem vectors of a
 * host peer on the emulated card). */
#define ICA_VEC_COMPLETION   0u
#define ICA_VEC_EVENT        1u
#define ICA_NUM_VECTORS      2u
/* The emulated card's own ivshmem vector 0 is its wake-up (see doorbells). */
#define ICA_VEC_DOORBELL     0u

/* ---- doorbells at ICA_DB_OFF: one 32-bit register per queue, queue q at
 * ICA_DB_OFF + q * ICA_DB_STRIDE (both published in the identity block).
 * After publishing cmd_prod a host writes the new cmd_prod value to its
 * queue's doorbell; that write is what makes a card look at the queue (the
 * card's bus logic raises its CPU's doorbell interrupt on it). cmd_prod in
 * the queue table stays the one authority; the value written is what the
 * host announced (debugging). On the emulated card the BAR is plain shared
 * memory, which nobody sees being written: an ivshmem host then also
 * kicks the card's ivshmem vector ICA_VEC_DOORBELL. Reads return the last
 * value written and have no side effect. */

/* ---- identity block at ICA_ID_OFF (written once by the card at boot;
 * `state` last). 256 bytes. */
enum ica_state {
	ICA_STATE_OFF     = 0,  /* memory not initialised (or card gone) */
	ICA_STATE_BOOTING = 1,
	ICA_STATE_READY   = 2,
	ICA_STATE_FAILED  = 3,  /* firmware refused the engine (see fail_code) */
	ICA_STATE_STOPPED = 4,  /* clean shutdown */
};

enum ica_caps {
	ICA_CAP_ESN      = 1u << 0,
	ICA_CAP_INBOUND  = 1u << 1,
	ICA_CAP_INJECTOR = 1u << 2,
	ICA_CAP_EVENTS   = 1u << 3,
	ICA_CAP_SELFTEST = 1u << 4,
};

struct ica_id {
	uint32_t magic;          /* ICA_MAGIC */
	uint16_t abi_major;
	uint16_t abi_minor;
	uint32_t id_size;        /* sizeof(struct ica_id) */
	uint32_t bar_size;
	uint32_t num_sa;         /* engine slots */
	uint32_t num_group;
	uint32_t window;         /* inbound replay window, bits */
	uint32_t caps;           /* enum ica_caps */
	uint32_t fw_build_id;
	uint32_t rtl_build_id;
	uint32_t rtl_version;    /* engine ID block VERSION (major<<16|minor) */
	uint32_t doorbell_peer;  /* emulated card: its ivshmem peer id (0) */
	uint32_t num_queues;
	uint32_t cmd_entries;
	uint32_t cpl_entries;
	uint32_t ev_entries;
	uint32_t rb_entries;
	uint32_t ctrl_off;
	uint32_t qtab_off;
	uint32_t evring_off;
	uint32_t qmem_off;
	uint32_t qmem_stride;
	uint32_t qmem_cmd_off;
	uint32_t qmem_cpl_off;
	uint32_t qmem_rb_off;
	uint32_t dp_latency;     /* engine data-path latency, cycles */
	uint32_t evt_depth;      /* engine event FIFO depth */
	uint32_t fail_code;      /* ICA_STATE_FAILED: an ica_status */
	uint32_t db_off;         /* doorbell of queue q: db_off + q * db_stride */
	uint32_t db_stride;
	uint32_t rsvd[33];
	uint32_t state;          /* enum ica_state; written last */
};

/* ---- control block at ICA_CTRL_OFF. Card-written unless noted. 256 bytes. */
struct ica_ctrl {
	uint32_t heartbeat;      /* +1 per firmware poll pass */
	uint32_t ev_prod;        /* events published (seq of the newest) */
	uint32_t cmds_done;      /* commands completed, all queues */
	uint32_t doorbells;      /* doorbell wake-ups seen */
	uint32_t ev_lost_card;   /* engine FIFO overflows seen (sum of DROPPED) */
	uint32_t rsvd[59];
};

/* ---- queue table at ICA_QTAB_OFF: ICA_NUM_QUEUES entries of 64 bytes.
 *
 * Ownership: a host claims a free queue by a 64-bit compare-and-swap of
 * {owner_tag, owner_pid} from {0, x} to {tag, pid}. The peer in the tag is
 * the host's ivshmem peer id on the emulated card, 0 on a card (one host
 * per PCI function). The emulated card frees a queue (owner_tag = 0) when
 * that ivshmem peer disconnects; a host of the same peer may take over a
 * queue whose pid is dead. A new owner skips completions it did not ask
 * for (see docs/card-abi.md "Taking a queue"). */
#define ICA_TAG_VALID        0x80000000u
#define ICA_TAG_PEER(t)      ((t) & 0xffffu)
#define ICA_TAG_MAKE(peer, nonce) \
	(ICA_TAG_VALID | (((uint32_t)(nonce) & 0x7fffu) << 16) | ((uint32_t)(peer) & 0xffffu))

enum ica_qerr {
	ICA_QERR_BAD_PROD = 1u << 0, /* cmd_prod ran ahead of cmd_cons by > entries */
	ICA_QERR_BAD_CONS = 1u << 1, /* cpl_cons ahead of cpl_prod */
};

struct ica_queue {
	uint32_t owner_tag;      /* host (CAS), card clears on peer disconnect */
	uint32_t owner_pid;      /* host */
	uint32_t cmd_prod;       /* host: commands published */
	uint32_t cmd_cons;       /* card: commands consumed */
	uint32_t cpl_prod;       /* card: completions published */
	uint32_t cpl_cons;       /* host: completions consumed */
	uint32_t irq_enable;     /* host: bit 0 interrupt on completion */
	uint32_t qerr;           /* card: enum ica_qerr, sticky until a new owner */
	uint32_t cmds_done;      /* card: statistics */
	uint32_t claims;         /* card: times this queue was freed by the card */
	uint32_t rsvd[6];
};

/* ---- commands: 64 bytes. Reserved fields and unused arguments must be 0.
 * Field use per opcode is in docs/card-abi.md. */
enum ica_op {
	ICA_OP_NOP            = 0x00,
	ICA_OP_IDENTIFY       = 0x01,
	ICA_OP_SLOT_INSTALL   = 0x02,
	ICA_OP_SLOT_REMOVE    = 0x03,
	ICA_OP_SLOT_READ      = 0x04,
	ICA_OP_GROUP_READ     = 0x05,
	ICA_OP_GROUP_TX_ADD   = 0x06,
	ICA_OP_GROUP_RX_ADV   = 0x07,
	ICA_OP_GROUP_HOLD     = 0x08,
	ICA_OP_GROUP_RELEASE  = 0x09,
	ICA_OP_READBACK       = 0x0a,
	ICA_OP_EVENT_DRAIN    = 0x0b,
	ICA_OP_SELFTEST       = 0x0c,
	ICA_OP_DP_TX          = 0x0d,
	ICA_OP_DP_RX          = 0x0e,
	ICA_OP_MAX_
};

/* Command flags (cmd.flags), per opcode. */
#define ICA_F_INSTALL_IN      0x0001u /* SLOT_INSTALL: inbound slot */
#define ICA_F_INSTALL_ESN     0x0002u /* SLOT_INSTALL: 64-bit ESN slot */
#define ICA_F_READ_BITMAP     0x0001u /* SLOT_READ: copy the bitmap to the readback window */
#define ICA_F_TXADD_RELEASE   0x0001u /* GROUP_TX_ADD: leave HOLD at the same edge */
#define ICA_F_RB_GROUP        0x0001u /* READBACK: index is a group (else a slot range) */
#define ICA_F_RB_VALID_ONLY   0x0002u /* READBACK range: skip free slots */
#define ICA_F_RX_COMMIT       0x0001u /* DP_RX: commit when the check accepts */

struct ica_cmd {
	uint8_t  op;             /* enum ica_op */
	uint8_t  rsvd0;
	uint16_t flags;
	uint32_t tag;            /* echoed in the completion */
	uint32_t index;          /* slot or group */
	uint32_t index2;         /* install: group; readback/dp_tx: count */
	uint64_t a;              /* install: seq; group ops: delta; readback: cursor; dp_rx: seq */
	uint64_t b;              /* install: hard limit */
	uint64_t c;              /* install: soft limit */
	uint64_t rsvd[3];
};

/* ---- completion status codes. Values 1..9 deliberately equal the
 * engine's CSR result codes (docs/csr.md) so the firmware passes them on. */
enum ica_status {
	ICA_ST_OK           = 0,
	ICA_ST_BAD_OP       = 1,  /* unknown opcode */
	ICA_ST_BAD_SLOT     = 2,  /* slot >= num_sa, or a range past it */
	ICA_ST_BAD_GROUP    = 3,  /* group >= num_group */
	ICA_ST_SLOT_LIVE    = 4,  /* install over a live slot */
	ICA_ST_SLOT_FREE    = 5,  /* remove of / injector on a free slot */
	ICA_ST_ESN_MISMATCH = 6,  /* slot ESN flag differs from its group's mode */
	ICA_ST_RESERVED     = 7,  /* a reserved field or an unused argument is non-zero */
	ICA_ST_OVERFLOW     = 8,  /* group add/advance would pass a limit; nothing changed */
	ICA_ST_BAD_VALUE    = 9,  /* value out of range (seq/limits/count) */
	ICA_ST_BAD_FLAGS    = 10, /* unknown flag bit for this opcode */
	ICA_ST_HW_ERROR     = 11, /* engine did not answer, or answered inconsistently */
	ICA_ST_SELFTEST     = 12, /* self-test found a fault (completion says which) */
	ICA_ST_MAX_
};

/* Completion: 64 bytes. `cycles` = engine clock cycles the command took. */
struct ica_cpl {
	uint32_t tag;
	uint8_t  op;
	uint8_t  status;         /* enum ica_status */
	uint16_t detail;         /* status detail: which field was refused (ica_field) */
	uint32_t cycles;
	uint32_t w0;
	uint64_t v[6];
};

/* cpl.detail for validation refusals: the offending field. */
enum ica_field {
	ICA_FLD_NONE = 0, ICA_FLD_OP, ICA_FLD_FLAGS, ICA_FLD_INDEX, ICA_FLD_INDEX2,
	ICA_FLD_A, ICA_FLD_B, ICA_FLD_C, ICA_FLD_RSVD,
};

/* Slot flags as reported by SLOT_READ (w0) and readback entries. */
#define ICA_SF_VALID       0x0001u
#define ICA_SF_DIR_IN      0x0002u
#define ICA_SF_ESN         0x0004u
#define ICA_SF_EXHAUSTED   0x0008u
#define ICA_SF_SOFT        0x0010u
#define ICA_SF_GROUP(f)    ((f) >> 16)

/* Group flags as reported by GROUP_READ (w0). */
#define ICA_GF_HELD        0x0001u
#define ICA_GF_ESN         0x0002u
#define ICA_GF_HAS_SLOTS   0x0004u

/* ---- readback window entry: 32 bytes. READBACK: one per slot.
 * DP_TX: one per injected operation (flags = data-path status, value = seq). */
struct ica_rb {
	uint32_t slot;
	uint32_t flags;          /* ICA_SF_* | group << 16; DP_TX: ica_dp status */
	uint64_t value;          /* effective counter: out = last seq issued, in = right edge */
	uint64_t limit;          /* out: hard limit; in: 0 */
	uint64_t epoch;          /* epoch the value was read at */
};

/* Data-path result codes (engine, docs/csr.md). */
enum ica_dp {
	ICA_DP_OK = 0, ICA_DP_HELD = 1, ICA_DP_EXHAUSTED = 2, ICA_DP_INVALID = 3,
	ICA_DP_REPLAY = 4, ICA_DP_TOO_OLD = 5,
	ICA_DP_NONE = 0xff,      /* DP_RX: commit not attempted */
};

/* ---- global event ring at ICA_EVRING_OFF: ICA_EV_ENTRIES of 32 bytes.
 * The card overwrites the oldest entry; each reader keeps its own cursor.
 * An entry is valid for sequence s when `seq` reads s before and after
 * the copy (the card zeroes seq, writes the body, then writes seq). */
enum ica_ev_type {
	ICA_EV_EXHAUSTED  = 1,   /* slot; value = last sequence number issued */
	ICA_EV_SOFT_LIMIT = 2,   /* slot; value = sequence number that crossed it */
	ICA_EV_OVERFLOW   = 3,   /* group; value = refused delta */
	ICA_EV_LOST       = 0x80,/* engine FIFO overflowed; value = events lost */
};

struct ica_ev {
	uint32_t seq;            /* 1, 2, ...; 0 = being written */
	uint16_t type;
	uint16_t rsvd;
	uint32_t index;          /* slot or group */
	uint32_t rsvd2;
	uint64_t value;
	uint64_t epoch;
};

/* Layout checks: the ABI is the layout, so any change here is a bug.
 * (Hosts may include this header from C++: same checks, its spelling.) */
#ifdef __cplusplus
#define ICA_STATIC_ASSERT(c, m) static_assert(c, m)
#else
#define ICA_STATIC_ASSERT(c, m) _Static_assert(c, m)
#endif
ICA_STATIC_ASSERT(sizeof(struct ica_id) == 256, "ica_id");
ICA_STATIC_ASSERT(sizeof(struct ica_ctrl) == 256, "ica_ctrl");
ICA_STATIC_ASSERT(sizeof(struct ica_queue) == 64, "ica_queue");
ICA_STATIC_ASSERT(sizeof(struct ica_cmd) == 64, "ica_cmd");
ICA_STATIC_ASSERT(sizeof(struct ica_cpl) == 64, "ica_cpl");
ICA_STATIC_ASSERT(sizeof(struct ica_rb) == 32, "ica_rb");
ICA_STATIC_ASSERT(sizeof(struct ica_ev) == 32, "ica_ev");
ICA_STATIC_ASSERT(ICA_QTAB_OFF + ICA_NUM_QUEUES * 64 <= ICA_EVRING_OFF, "qtab");
ICA_STATIC_ASSERT(ICA_EVRING_OFF + ICA_EV_ENTRIES * 32 <= ICA_DB_OFF, "evring");
ICA_STATIC_ASSERT(ICA_DB_OFF % 4096 == 0 && ICA_NUM_QUEUES * ICA_DB_STRIDE <= 4096 &&
	       ICA_DB_OFF + 4096 <= ICA_QMEM_OFF, "doorbell page");
ICA_STATIC_ASSERT(ICA_QMEM_CPL_OFF >= ICA_CMD_ENTRIES * 64, "cmd ring");
ICA_STATIC_ASSERT(ICA_QMEM_RB_OFF >= ICA_QMEM_CPL_OFF + ICA_CPL_ENTRIES * 64, "cpl ring");
ICA_STATIC_ASSERT(ICA_QMEM_RB_OFF + ICA_RB_ENTRIES * 32 <= ICA_QMEM_STRIDE, "rb window");
ICA_STATIC_ASSERT(ICA_QMEM_OFF + ICA_NUM_QUEUES * ICA_QMEM_STRIDE <= ICA_BAR_SIZE, "bar");


/* The ring and window geometry this header defines, as the identity block
 * publishes it (firmware at boot; test doubles of a card). */
static inline void ica_id_set_geometry(struct ica_id *id)
{
	id->num_queues = ICA_NUM_QUEUES;
	id->cmd_entries = ICA_CMD_ENTRIES;
	id->cpl_entries = ICA_CPL_ENTRIES;
	id->ev_entries = ICA_EV_ENTRIES;
	id->rb_entries = ICA_RB_ENTRIES;
	id->ctrl_off = ICA_CTRL_OFF;
	id->qtab_off = ICA_QTAB_OFF;
	id->evring_off = ICA_EVRING_OFF;
	id->qmem_off = ICA_QMEM_OFF;
	id->qmem_stride = ICA_QMEM_STRIDE;
	id->qmem_cmd_off = ICA_QMEM_CMD_OFF;
	id->qmem_cpl_off = ICA_QMEM_CPL_OFF;
	id->qmem_rb_off = ICA_QMEM_RB_OFF;
	id->db_off = ICA_DB_OFF;
	id->db_stride = ICA_DB_STRIDE;
}

#endif
