/* htab.h — a chained hash table of intrusive nodes keyed by 64-bit values
 * (IKE SPIs, ESP SPIs). Keys may repeat (walk with htab_next). Buckets are
 * indexed by a keyed mix of the key, so peer-chosen keys cannot be aimed at
 * one bucket by someone who does not know the seed. Grows by doubling;
 * not thread-safe. */
#ifndef IPSECHA_HTAB_H
#define IPSECHA_HTAB_H

#include <stddef.h>
#include <stdint.h>

struct htab_node {
	struct htab_node *next;
	uint64_t key;
};

struct htab {
	struct htab_node **b;
	size_t nb, n;
	uint64_t seed;
};

int htab_init(struct htab *h, uint64_t seed);          /* 0 / -ENOMEM */
void htab_free(struct htab *h);                        /* buckets only */
int htab_add(struct htab *h, struct htab_node *n, uint64_t key);
void htab_del(struct htab *h, struct htab_node *n);    /* n must be in h */
struct htab_node *htab_find(const struct htab *h, uint64_t key);
struct htab_node *htab_next(const struct htab_node *n); /* same key */

#endif
