/* htab.c — see htab.h. */
#include "htab.h"

#include <errno.h>
#include <stdlib.h>

static size_t slot(const struct htab *h, uint64_t key)
{
	uint64_t x = key ^ h->seed;

	/* splitmix64 finalizer: every key bit affects every index bit. */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return (size_t)(x & (h->nb - 1));
}

int htab_init(struct htab *h, uint64_t seed)
{
	h->nb = 64;
	h->n = 0;
	h->seed = seed;
	h->b = calloc(h->nb, sizeof(*h->b));
	return h->b ? 0 : -ENOMEM;
}

void htab_free(struct htab *h)
{
	free(h->b);
	h->b = NULL;
	h->nb = h->n = 0;
}

static void grow(struct htab *h)
{
	struct htab nh = { .nb = h->nb * 2, .n = h->n, .seed = h->seed };

	nh.b = calloc(nh.nb, sizeof(*nh.b));
	if (!nh.b)
		return;   /* keep the old size: slower, still correct */
	for (size_t i = 0; i < h->nb; i++) {
		struct htab_node *n = h->b[i], *next;

		for (; n; n = next) {
			size_t s = slot(&nh, n->key);

			next = n->next;
			n->next = nh.b[s];
			nh.b[s] = n;
		}
	}
	free(h->b);
	*h = nh;
}

int htab_add(struct htab *h, struct htab_node *n, uint64_t key)
{
	size_t s;

	if (h->n >= h->nb)
		grow(h);
	s = slot(h, key);
	n->key = key;
	n->next = h->b[s];
	h->b[s] = n;
	h->n++;
	return 0;
}

void htab_del(struct htab *h, struct htab_node *n)
{
	struct htab_node **pp = &h->b[slot(h, n->key)];

	for (; *pp; pp = &(*pp)->next) {
		if (*pp == n) {
			*pp = n->next;
			n->next = NULL;
			h->n--;
			return;
		}
	}
}

struct htab_node *htab_find(const struct htab *h, uint64_t key)
{
	struct htab_node *n = h->b[slot(h, key)];

	while (n && n->key != key)
		n = n->next;
	return n;
}

struct htab_node *htab_next(const struct htab_node *n)
{
	uint64_t key = n->key;

	for (n = n->next; n && n->key != key; n = n->next)
		;
	return (struct htab_node *)n;
}
