/* ha_snap.h — state snapshots: what a standby member needs to take over an
 * IKE SA, as versioned records, and the snapshot file that carries them.
 *
 * The RECORD (one IKE SA with its Child SAs) is the unit of replication:
 * the cluster channel sends hs_rec_encode() output as is; a snapshot file
 * is a header plus a sequence of records, sealed with AES-256-GCM under a
 * cluster key (integrity for everything, confidentiality for the keys).
 * docs/snapshot.md describes both byte by byte.
 *
 * A record holds the keys themselves (SK_d, SK_a*, SK_e*, SK_p*, the Child
 * SA KEYMAT) rather than the inputs to derive them: the Diffie-Hellman
 * secret is gone once an IKE SA is established, and rekeys chain keys. It
 * also holds the Message IDs, the RFC 6311 capabilities and replication
 * state, and the card's counters (readback) of every Child SA. Structures
 * with keys are wiped by hs_ike_wipe(). */
#ifndef IPSECHA_HA_SNAP_H
#define IPSECHA_HA_SNAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "agc.h"
#include "ikc.h"
#include "ike.h"

#define HS_MAGIC        "IPSHSNAP"
#define HS_VERSION      1          /* file format */
#define HS_REC_VERSION  1          /* record format */
#define HS_HDR_LEN      48
#define HS_TAG_LEN      16
#define HS_KEY_LEN      32
#define HS_MAX_REC      8192       /* bytes of one encoded record, at most */
#define HS_MAX_RECORDS  (1u << 20)

/* One record: the engine's IKE SA record (ike.h: SPIs, roles, addresses,
 * algorithms, keys, Message IDs, Child SAs with their counters) and what
 * RFC 6311 keeps about it. */
struct hs_ike {
	struct ike_sa_rec ike;
	uint32_t offered, peer_offered;   /* RFC 6311 §5 notifies sent/received */
	uint64_t snap_epoch;         /* failover epoch of this state */
	uint64_t snap_wall_ms;       /* when the counters were read */
	bool have_last_m1;           /* R3: highest M1 any member announced */
	uint32_t last_m1;
};

void hs_ike_wipe(struct hs_ike *r);

/* One record: encode into buf (cap bytes); returns the length or -ENOSPC /
 * -EINVAL. Decode: 0 or -EBADMSG (malformed: lengths, missing required or
 * repeated fields, values out of range) / -EPROTONOSUPPORT (record
 * version); unknown fields are skipped (a newer writer may add some). */
int hs_rec_encode(const struct hs_ike *r, uint8_t *buf, size_t cap);
int hs_rec_decode(const uint8_t *buf, size_t len, struct hs_ike *out);

/* The snapshot file. */
struct hs_file_info {
	unsigned version;
	uint32_t n_records;
	uint64_t created_ms;         /* wall clock at save */
	uint64_t epoch;              /* failover epoch at save */
};

/* Write atomically (temporary file + rename), mode 0600. 0 / -errno. */
int hs_file_write(const char *path, const uint8_t key[HS_KEY_LEN], uint64_t epoch,
		  uint64_t created_ms, const struct hs_ike *recs, size_t n);

/* Read and verify. 0 with *recs (n_recs entries, free with hs_free_records)
 * or: -ENOENT/-EACCES (file), -EBADMSG (not a snapshot, truncated,
 * malformed record), -EPROTONOSUPPORT (version), -EKEYREJECTED (integrity
 * check failed: wrong key or modified file). Nothing is returned on error. */
int hs_file_read(const char *path, const uint8_t key[HS_KEY_LEN], struct hs_file_info *info,
		 struct hs_ike **recs, size_t *n_recs);
/* Same from memory. */
int hs_file_parse(const uint8_t *buf, size_t len, const uint8_t key[HS_KEY_LEN],
		  struct hs_file_info *info, struct hs_ike **recs, size_t *n_recs);
void hs_free_records(struct hs_ike *recs, size_t n);

/* The cluster key: a file with 64 hex digits (or 32 raw bytes). create:
 * make a new random key (0600) if the file does not exist. 0 / -errno
 * (-EBADMSG: not a key; -EPERM: group or others may access the file). */
int hs_key_load(const char *path, bool create, uint8_t key[HS_KEY_LEN]);

const char *hs_strerror(int err);

#endif
