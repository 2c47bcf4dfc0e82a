/* cursor.h — bounds-checked reading and writing of wire bytes.
 *
 * Every byte of IKE input goes through a struct cur: each read checks the
 * remaining length first and fails (returns -EBADMSG, consumes nothing) when
 * the input is short. Writers (struct wbuf) write into a caller-supplied
 * buffer; an overflow latches wb->err so a builder can write a whole message
 * and check once at the end. Both are header-only except for a few helpers. */
#ifndef IPSECHA_CURSOR_H
#define IPSECHA_CURSOR_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct cur {
	const uint8_t *p;
	size_t left;
};

static inline struct cur cur_make(const void *p, size_t len)
{
	return (struct cur){ .p = p, .left = len };
}

static inline int cur_u8(struct cur *c, uint8_t *v)
{
	if (c->left < 1)
		return -EBADMSG;
	*v = c->p[0];
	c->p++;
	c->left--;
	return 0;
}

static inline int cur_u16(struct cur *c, uint16_t *v)
{
	if (c->left < 2)
		return -EBADMSG;
	*v = (uint16_t)(c->p[0] << 8 | c->p[1]);
	c->p += 2;
	c->left -= 2;
	return 0;
}

static inline int cur_u32(struct cur *c, uint32_t *v)
{
	if (c->left < 4)
		return -EBADMSG;
	*v = (uint32_t)c->p[0] << 24 | (uint32_t)c->p[1] << 16 |
	     (uint32_t)c->p[2] << 8 | c->p[3];
	c->p += 4;
	c->left -= 4;
	return 0;
}

static inline int cur_u64(struct cur *c, uint64_t *v)
{
	uint32_t hi, lo;

	if (c->left < 8)
		return -EBADMSG;
	cur_u32(c, &hi);
	cur_u32(c, &lo);
	*v = (uint64_t)hi << 32 | lo;
	return 0;
}

/* Copy n bytes out. */
static inline int cur_bytes(struct cur *c, void *out, size_t n)
{
	if (c->left < n)
		return -EBADMSG;
	memcpy(out, c->p, n);
	c->p += n;
	c->left -= n;
	return 0;
}

/* Point *out at the next n bytes (no copy) and consume them. */
static inline int cur_ref(struct cur *c, const uint8_t **out, size_t n)
{
	if (c->left < n)
		return -EBADMSG;
	*out = c->p;
	c->p += n;
	c->left -= n;
	return 0;
}

/* Split off the next n bytes as a sub-cursor. */
static inline int cur_sub(struct cur *c, struct cur *sub, size_t n)
{
	const uint8_t *p;
	int err = cur_ref(c, &p, n);

	if (err)
		return err;
	*sub = cur_make(p, n);
	return 0;
}

static inline int cur_skip(struct cur *c, size_t n)
{
	const uint8_t *p;

	return cur_ref(c, &p, n);
}

struct wbuf {
	uint8_t *p;
	size_t cap;
	size_t len;
	int err;      /* -ENOSPC once anything did not fit */
};

static inline struct wbuf wbuf_make(void *p, size_t cap)
{
	return (struct wbuf){ .p = p, .cap = cap };
}

/* Reserve n bytes and return a pointer to them, or NULL (and latch err). */
static inline uint8_t *wbuf_reserve(struct wbuf *w, size_t n)
{
	uint8_t *r;

	if (w->err || w->cap - w->len < n) {
		w->err = -ENOSPC;
		return NULL;
	}
	r = w->p + w->len;
	w->len += n;
	return r;
}

static inline void wbuf_u8(struct wbuf *w, uint8_t v)
{
	uint8_t *r = wbuf_reserve(w, 1);

	if (r)
		r[0] = v;
}

static inline void wbuf_u16(struct wbuf *w, uint16_t v)
{
	uint8_t *r = wbuf_reserve(w, 2);

	if (r) {
		r[0] = (uint8_t)(v >> 8);
		r[1] = (uint8_t)v;
	}
}

static inline void wbuf_u32(struct wbuf *w, uint32_t v)
{
	uint8_t *r = wbuf_reserve(w, 4);

	if (r) {
		r[0] = (uint8_t)(v >> 24);
		r[1] = (uint8_t)(v >> 16);
		r[2] = (uint8_t)(v >> 8);
		r[3] = (uint8_t)v;
	}
}

static inline void wbuf_u64(struct wbuf *w, uint64_t v)
{
	wbuf_u32(w, (uint32_t)(v >> 32));
	wbuf_u32(w, (uint32_t)v);
}

static inline void wbuf_bytes(struct wbuf *w, const void *src, size_t n)
{
	uint8_t *r = wbuf_reserve(w, n);

	if (r && n)
		memcpy(r, src, n);
}

/* Patch a 16-/32-bit big-endian value at an earlier offset. */
static inline void wbuf_put16_at(struct wbuf *w, size_t off, uint16_t v)
{
	if (w->err || off + 2 > w->len)
		return;
	w->p[off] = (uint8_t)(v >> 8);
	w->p[off + 1] = (uint8_t)v;
}

static inline void wbuf_put32_at(struct wbuf *w, size_t off, uint32_t v)
{
	if (w->err || off + 4 > w->len)
		return;
	w->p[off] = (uint8_t)(v >> 24);
	w->p[off + 1] = (uint8_t)(v >> 16);
	w->p[off + 2] = (uint8_t)(v >> 8);
	w->p[off + 3] = (uint8_t)v;
}

static inline uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t get_be64(const uint8_t *p)
{
	return (uint64_t)get_be32(p) << 32 | get_be32(p + 4);
}

static inline void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void put_be64(uint8_t *p, uint64_t v)
{
	put_be32(p, (uint32_t)(v >> 32));
	put_be32(p + 4, (uint32_t)v);
}

#endif
