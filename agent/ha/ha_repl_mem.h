/* ha_repl_mem.h — an in-memory implementation of the R3 replication hook
 * (struct ha_repl_ops): it keeps a copy of every record, in order, and can
 * be told to refuse. The cluster issue replaces it with the real channel;
 * tests use it to check what was written ahead and when. */
#ifndef IPSECHA_HA_REPL_MEM_H
#define IPSECHA_HA_REPL_MEM_H

#include "ha.h"

struct hrm_rec {
	struct ha_wal w;         /* w.pkt points into pkt below */
	uint8_t *pkt;
};

struct hrm {
	struct hrm_rec *recs;
	size_t n, cap;
	int fail;                /* nonzero: write() returns this */
	uint64_t refused;
};

extern const struct ha_repl_ops hrm_ops;   /* ctx = struct hrm * */

void hrm_init(struct hrm *m);
void hrm_free(struct hrm *m);
/* The last record of a kind (NULL if none). */
const struct hrm_rec *hrm_last(const struct hrm *m, enum ha_wal_kind kind);
size_t hrm_count(const struct hrm *m, enum ha_wal_kind kind);

#endif
