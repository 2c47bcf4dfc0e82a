/* xsk_util.c — see xsk_util.h. */
#include "xsk_util.h"

#include <errno.h>
#include <linux/if_xdp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <xdp/xsk.h>

#define XSK_FRAMES     4096u
#define XSK_FRAME_SIZE XSK_UMEM__DEFAULT_FRAME_SIZE

struct xskrx {
	void *area;
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	struct xsk_ring_prod fq;
	struct xsk_ring_cons cq;
	struct xsk_ring_cons rx;
};

static int fill(struct xskrx *x, uint32_t n, const uint64_t *addrs)
{
	uint32_t idx;

	if (xsk_ring_prod__reserve(&x->fq, n, &idx) != n)
		return -ENOSPC;
	for (uint32_t i = 0; i < n; i++)
		*xsk_ring_prod__fill_addr(&x->fq, idx + i) =
			addrs ? addrs[i] : (uint64_t)i * XSK_FRAME_SIZE;
	xsk_ring_prod__submit(&x->fq, n);
	return 0;
}

int xskrx_open(struct xskrx **out, const char *ifname, uint32_t queue)
{
	struct xsk_umem_config ucfg = {
		.fill_size = XSK_FRAMES, .comp_size = 64, .frame_size = XSK_FRAME_SIZE,
		.frame_headroom = 0, .flags = 0,
	};
	struct xsk_socket_config scfg = {
		.rx_size = XSK_FRAMES, .tx_size = 0,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.xdp_flags = 0, .bind_flags = XDP_COPY,
	};
	struct xskrx *x = calloc(1, sizeof(*x));
	size_t size = (size_t)XSK_FRAMES * XSK_FRAME_SIZE;
	int err;

	*out = NULL;
	if (!x)
		return -ENOMEM;
	x->area = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (x->area == MAP_FAILED) {
		err = -errno;
		free(x);
		return err;
	}
	err = xsk_umem__create(&x->umem, x->area, size, &x->fq, &x->cq, &ucfg);
	if (err)
		goto fail;
	err = xsk_socket__create(&x->xsk, ifname, queue, x->umem, &x->rx, NULL, &scfg);
	if (err)
		goto fail;
	err = fill(x, XSK_FRAMES, NULL);
	if (err)
		goto fail;
	*out = x;
	return 0;
fail:
	xskrx_close(x);
	return err < 0 ? err : -err;
}

void xskrx_close(struct xskrx *x)
{
	if (!x)
		return;
	if (x->xsk)
		xsk_socket__delete(x->xsk);
	if (x->umem)
		xsk_umem__delete(x->umem);
	if (x->area && x->area != MAP_FAILED)
		munmap(x->area, (size_t)XSK_FRAMES * XSK_FRAME_SIZE);
	free(x);
}

int xskrx_fd(const struct xskrx *x)
{
	return xsk_socket__fd(x->xsk);
}

int xskrx_recv(struct xskrx *x, int timeout_ms, uint8_t *buf, size_t cap, size_t *len,
	       struct ipsecha_xdp_meta *meta)
{
	const struct xdp_desc *d;
	uint32_t idx;
	uint64_t addr;
	uint8_t *data;
	int has_meta;

	if (!xsk_ring_cons__peek(&x->rx, 1, &idx)) {
		struct pollfd p = { .fd = xsk_socket__fd(x->xsk), .events = POLLIN };
		int r = poll(&p, 1, timeout_ms);

		if (r < 0)
			return -errno;
		if (!xsk_ring_cons__peek(&x->rx, 1, &idx))
			return 0;
	}
	d = xsk_ring_cons__rx_desc(&x->rx, idx);
	addr = d->addr;
	data = xsk_umem__get_data(x->area, addr);
	*len = d->len < cap ? d->len : cap;
	memcpy(buf, data, *len);
	/* The metadata sits right before the frame, inside the chunk's
	 * headroom (the kernel leaves XDP_PACKET_HEADROOM there). Wipe it
	 * after reading so a reused chunk never shows stale metadata. */
	has_meta = (addr & (XSK_FRAME_SIZE - 1)) >= IPSECHA_XDP_META_LEN;
	if (meta) {
		if (has_meta)
			memcpy(meta, data - IPSECHA_XDP_META_LEN, IPSECHA_XDP_META_LEN);
		else
			memset(meta, 0, sizeof(*meta));
	}
	if (has_meta)
		memset(data - IPSECHA_XDP_META_LEN, 0, IPSECHA_XDP_META_LEN);
	/* Give the chunk back to the kernel (aligned mode: chunk base). */
	addr &= ~(uint64_t)(XSK_FRAME_SIZE - 1);
	xsk_ring_cons__release(&x->rx, 1);
	fill(x, 1, &addr);
	return 1;
}

int xskrx_stats(struct xskrx *x, uint64_t *rx_dropped, uint64_t *rx_ring_full)
{
	struct xdp_statistics st;
	socklen_t len = sizeof(st);

	if (getsockopt(xsk_socket__fd(x->xsk), SOL_XDP, XDP_STATISTICS, &st, &len))
		return -errno;
	if (rx_dropped)
		*rx_dropped = st.rx_dropped;
	if (rx_ring_full)
		*rx_ring_full = st.rx_ring_full;
	return 0;
}
