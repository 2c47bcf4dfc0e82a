/* ipsecha_xdp.h — loader library of the ipsecha XDP steering program.
 *
 * One program per public interface: IKE (UDP 500, and 4500 with the non-ESP
 * marker) to the kernel stack, ESP by SPI to the card's AF_XDP socket,
 * ESP of a held group dropped. docs/xdp.md describes verdicts, reasons,
 * maps and policies.
 *
 * Lifetime: ipsecha_xdp_attach() loads the program, pins its maps and a
 * bpf_link under <pin_root>/<ifname>/ (default /sys/fs/bpf/ipsecha/<ifname>/)
 * and returns; the attachment outlives the process (the pinned link holds
 * it) until ipsecha_xdp_detach(). Any process (the agent, the CLI) then
 * works on it through a handle from ipsecha_xdp_open(), which holds only
 * map fds: opening is cheap, closing changes nothing.
 *
 * Errors: 0 on success or a negative errno:
 *   -EINVAL       bad argument (NULL, name too long, value out of its range,
 *                 SPI 0..255, unknown flag, non-zero unknown option bytes)
 *   -ERANGE       slot/group/queue beyond the limits set at attach
 *   -ENODEV       no such interface (in the caller's network namespace)
 *   -ENOENT       not attached (no pins for that interface); SA not found
 *   -EEXIST       ipsecha already attached to that interface; SA exists
 *   -EBUSY        another XDP program is attached to that interface
 *   -EMEDIUMTYPE  the pin root is not on a bpffs (bpffs not mounted)
 *   -EPERM/-EACCES insufficient privilege (root: CAP_BPF, CAP_NET_ADMIN)
 *   -EOPNOTSUPP   the driver has no native XDP (use generic mode)
 *   -EPROTO       the pins belong to another ABI version
 *   -ENOSPC       the SA map is full
 * ipsecha_xdp_strerror() turns them into a sentence.
 *
 * Thread safety: a handle may be used from several threads at once (not
 * while it is being closed). Reads are syscalls on map fds or loads from
 * the mmap()ed SA table; SA and policy writes are serialised by a mutex in
 * the process and by flock() on the pin directory across processes, so the
 * agent and the CLI can both write.
 *
 * Interface names are resolved in the caller's network namespace; pin
 * paths are global, so one name must not be attached in two namespaces. */
#ifndef IPSECHA_XDP_H
#define IPSECHA_XDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ipsecha_xdp_abi.h"

#ifdef __cplusplus
extern "C" {
#endif

#define IPSECHA_XDP_BPFFS     "/sys/fs/bpf"
#define IPSECHA_XDP_PIN_ROOT  "/sys/fs/bpf/ipsecha"

/* Opaque handle on one attached interface. */
struct ipsecha_xdp;

/* Run-time policies (docs/xdp.md "Policies"). */
struct ipsecha_xdp_policy {
	uint8_t esp_action;    /* enum ipsecha_xdp_esp_action */
	uint8_t unknown_spi;   /* enum ipsecha_xdp_action */
	uint8_t keepalive;     /* enum ipsecha_xdp_action */
	uint16_t ike_port;     /* non-zero, != natt_port */
	uint16_t natt_port;
	uint8_t meta;          /* 1: struct ipsecha_xdp_meta before each redirected
				* frame (one more helper call per frame); 0: the
				* consumer looks the SPI up itself (default). Last,
				* so positional initialisers of the older fields
				* still compile to the same policy. */
};

/* Options structs (libbpf style): zero-initialise, set .sz to the size the
 * caller was compiled with (IPSECHA_XDP_OPTS does both). A larger .sz from a
 * newer caller is accepted when the unknown tail is all zero. NULL = all
 * defaults. */
#define IPSECHA_XDP_OPTS(type, name, ...) \
	struct type name = { .sz = sizeof(struct type), __VA_ARGS__ }

struct ipsecha_xdp_open_opts {
	size_t sz;
	const char *pin_root;   /* NULL: IPSECHA_XDP_PIN_ROOT */
};

struct ipsecha_xdp_attach_opts {
	size_t sz;
	const char *pin_root;   /* NULL: IPSECHA_XDP_PIN_ROOT */
	uint32_t mode;          /* enum ipsecha_xdp_mode; 0 = native */
	bool xsk;               /* ESP to the card's AF_XDP socket (else to the stack) */
	uint32_t xsk_queue;     /* with .xsk: the rx queue the card's socket serves */
	uint32_t num_groups;    /* 0: IPSECHA_XDP_DEF_GROUPS (the card's NUM_GROUP) */
	uint32_t num_slots;     /* 0: IPSECHA_XDP_DEF_SLOTS (the card's NUM_SA) */
	uint32_t max_sas;       /* 0: IPSECHA_XDP_DEF_MAX_SAS */
	bool mount_bpffs;       /* mount bpffs at IPSECHA_XDP_BPFFS if it is not */
	/* NULL: esp_action from .xsk, unknown SPI drop, keepalive pass, 500/4500 */
	const struct ipsecha_xdp_policy *policy;
};

/* Load, pin and attach. -EEXIST if ipsecha is attached there already,
 * -EBUSY if another XDP program is. Stale pins of an interface that has
 * since disappeared are removed first. */
int ipsecha_xdp_attach(const char *ifname, const struct ipsecha_xdp_attach_opts *opts);

/* Detach and remove the pins. Works also when the interface is gone. */
int ipsecha_xdp_detach(const char *ifname, const struct ipsecha_xdp_open_opts *opts);

/* Open the pinned maps of an attached interface. */
int ipsecha_xdp_open(const char *ifname, const struct ipsecha_xdp_open_opts *opts,
		     struct ipsecha_xdp **out);
void ipsecha_xdp_close(struct ipsecha_xdp *h);   /* NULL-safe */

/* SAs: SPI (host order, as in IKE payloads) -> card slot and group.
 * ipsecha_xdp_sa_get() reads the mmap()ed table without a lock or a
 * syscall (one 64-bit load per bucket), so an AF_XDP consumer can map a
 * redirected frame's SPI to its slot at data-path speed.
 * RFC 4303 §2.1: SPIs 0..255 are reserved and never valid here. Without
 * IPSECHA_XDP_SA_REPLACE an existing SPI is -EEXIST; with it, the entry is
 * swapped atomically (a frame sees the old or the new mapping). -ENOSPC:
 * the SPI's probe window in the SA table is full (rare below max_sas):
 * choose another inbound SPI. */
#define IPSECHA_XDP_SA_REPLACE 0x1u
int ipsecha_xdp_sa_add(struct ipsecha_xdp *h, uint32_t spi, uint32_t slot, uint32_t group,
		       unsigned int flags);
int ipsecha_xdp_sa_del(struct ipsecha_xdp *h, uint32_t spi);
int ipsecha_xdp_sa_get(struct ipsecha_xdp *h, uint32_t spi, uint32_t *slot, uint32_t *group);

struct ipsecha_xdp_sa_entry {
	uint32_t spi, slot, group;
};
/* Fill up to cap entries (sorted by SPI); *total = number of SAs. */
int ipsecha_xdp_sa_list(struct ipsecha_xdp *h, struct ipsecha_xdp_sa_entry *out, size_t cap,
			size_t *total);

/* Groups. hold returns once no frame that could have seen the group ACTIVE
 * is still inside the program (an RCU grace period: the kernel's wait for
 * running BPF programs after a map-in-map update; ~10-20 ms): from then on
 * no ESP of the group is redirected or passed. Frames redirected before
 * are in the AF_XDP socket's ring. release takes effect for frames that
 * start after it. */
int ipsecha_xdp_group_hold(struct ipsecha_xdp *h, uint32_t group);
int ipsecha_xdp_group_release(struct ipsecha_xdp *h, uint32_t group);
int ipsecha_xdp_group_state(struct ipsecha_xdp *h, uint32_t group, uint32_t *state);
/* ESP frames of the group dropped while it was held (all CPUs). */
int ipsecha_xdp_group_drops(struct ipsecha_xdp *h, uint32_t group, uint64_t *drops);

/* Wait until every frame that started before this call has left the
 * program (after a map update: no frame sees the old value any more). */
int ipsecha_xdp_sync(struct ipsecha_xdp *h);

/* Policies: a frame sees the old or the new policy as a whole. */
int ipsecha_xdp_policy_get(struct ipsecha_xdp *h, struct ipsecha_xdp_policy *p);
int ipsecha_xdp_policy_set(struct ipsecha_xdp *h, const struct ipsecha_xdp_policy *p);
/* The default policy: ESP to the card's socket if esp_redirect, else to the
 * stack; unknown SPI dropped; keepalives passed; no metadata; ports 500 and
 * 4500. */
void ipsecha_xdp_policy_default(struct ipsecha_xdp_policy *p, bool esp_redirect);

/* Counters, summed over CPUs. */
struct ipsecha_xdp_stats {
	uint64_t verdict[IPSECHA_XDP_V_COUNT];
	uint64_t reason[IPSECHA_XDP_R_COUNT];
};
int ipsecha_xdp_stats(struct ipsecha_xdp *h, struct ipsecha_xdp_stats *st);

struct ipsecha_xdp_info {
	char ifname[16];
	int ifindex;            /* 0 if the interface has disappeared */
	uint32_t mode;          /* enum ipsecha_xdp_mode */
	uint32_t prog_id;
	uint32_t link_id;
	bool xsk;
	uint32_t xsk_queue;
	uint32_t num_groups, num_slots, max_sas;
	uint32_t sa_count;
	uint32_t groups_held;
};
int ipsecha_xdp_info(struct ipsecha_xdp *h, struct ipsecha_xdp_info *info);

/* The card's AF_XDP socket for one rx queue (the socket must be bound to
 * that queue of this interface; the kernel delivers nothing otherwise). */
int ipsecha_xdp_xsk_set(struct ipsecha_xdp *h, uint32_t queue, int xsk_fd);
int ipsecha_xdp_xsk_clear(struct ipsecha_xdp *h, uint32_t queue);

/* The program's fd (owned by the handle), for BPF_PROG_TEST_RUN. */
int ipsecha_xdp_prog_fd(const struct ipsecha_xdp *h);

/* bpffs: 0 if path (or its nearest existing parent) is on a bpffs,
 * -EMEDIUMTYPE if not; ipsecha_xdp_bpffs_mount() mounts IPSECHA_XDP_BPFFS. */
int ipsecha_xdp_bpffs_check(const char *path);
int ipsecha_xdp_bpffs_mount(void);

/* The pin directory of ifname under pin_root (NULL: IPSECHA_XDP_PIN_ROOT)
 * into buf: <pin_root>/<ifname with '.' spelled ':'> (bpffs refuses dots).
 * -EINVAL for a bad name, -ENAMETOOLONG if it does not fit. */
int ipsecha_xdp_pin_dir(char *buf, size_t n, const char *pin_root, const char *ifname);

/* A name the kernel could give an interface: 1..15 bytes, no '/', ':',
 * '%' or white space, not "." or ".." (it also names the pin directory). */
bool ipsecha_xdp_ifname_valid(const char *ifname);

/* Names ("pass", "esp_hold", ...); NULL when out of range. */
const char *ipsecha_xdp_verdict_name(unsigned int verdict);
const char *ipsecha_xdp_reason_name(unsigned int reason);
const char *ipsecha_xdp_mode_name(unsigned int mode);
const char *ipsecha_xdp_strerror(int err);

#ifdef __cplusplus
}
#endif
#endif
