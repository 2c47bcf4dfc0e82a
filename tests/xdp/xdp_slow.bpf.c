/* xdp_slow.bpf.c — a program that stays inside one run for ~100 ms and
 * notes when it entered and left, for the test that the library's grace
 * period (ipsecha_xdp_group_hold, _sync, _policy_set) really waits for
 * frames already inside an XDP program (test_xdp_fixtures.c). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

__u64 entered, left;            /* bpf_ktime_get_ns() = CLOCK_MONOTONIC */
const volatile __u64 stay_ns = 100000000;

static long spin(__u64 index, void *deadline)
{
	(void)index;
	return bpf_ktime_get_ns() >= *(__u64 *)deadline;
}

SEC("xdp")
int xdp_slow(struct xdp_md *ctx)
{
	__u64 deadline;

	(void)ctx;
	entered = bpf_ktime_get_ns();
	deadline = entered + stay_ns;
	bpf_loop(1 << 23, spin, &deadline, 0);
	left = bpf_ktime_get_ns();
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
