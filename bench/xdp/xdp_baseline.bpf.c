/* xdp_baseline.bpf.c — reference programs for bench/xdp: the trivial
 * XDP_PASS the steering program is compared with, a program that does
 * nothing but redirect to an AF_XDP socket (the floor of any redirecting
 * program), a counting XDP_DROP for the veth baseline, and XDP_TX, which
 * turns BPF_PROG_TEST_RUN with BPF_F_TEST_XDP_LIVE_FRAMES into a line-rate
 * frame generator. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} bench_count SEC(".maps");

SEC("xdp")
int bench_pass(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}

/* XDP_PASS after one real helper call (no metadata change): what a call
 * from a program into the kernel costs on this machine. */
SEC("xdp")
int bench_call(struct xdp_md *ctx)
{
	if (bpf_xdp_adjust_meta(ctx, 0))
		return XDP_DROP;
	return XDP_PASS;
}

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} bench_xsks SEC(".maps");

/* Only the redirect the steering program makes for ESP (same helper, same
 * kind of map, same fallback): what no steering program can go below. */
SEC("xdp")
int bench_redirect(struct xdp_md *ctx)
{
	return bpf_redirect_map(&bench_xsks, ctx->rx_queue_index, XDP_DROP);
}

SEC("xdp")
int bench_drop(struct xdp_md *ctx)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&bench_count, &zero);

	(void)ctx;
	if (n)
		*n += 1;
	return XDP_DROP;
}

SEC("xdp")
int bench_tx(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_TX;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
