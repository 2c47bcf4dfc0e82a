/* fuzz_xdp.c — libFuzzer target for the steering program's parser.
 *
 * Each input is a frame. It goes through the reference model (refmodel.c,
 * instrumented: its coverage steers the fuzzer toward new header layouts)
 * and, through BPF_PROG_TEST_RUN, through the kernel-verified program on
 * a veth in a private namespace. The two must agree on the action, the
 * reason counter that moved and the metadata of a redirect (the policy's
 * metadata is on here, so it is checked on every redirect); a disagreement
 * aborts with the frame saved as the crash input. The model itself runs
 * under ASan/UBSan, so it must also never read outside the frame.
 *
 * Needs root for the kernel half; without it only the model is fuzzed
 * (said once on stderr). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include "ipsecha_xdp.h"
#include "refmodel.h"
#include "testenv.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct testenv env;
static int have_kernel;

static const struct { uint32_t spi, slot, group; } sas[] = {
	{ 0x0a000001, 11, 1 }, { 0x0a000002, 12, 2 }, { 0x0a000003, 4095, 1023 },
};

static int model_sa(void *ctx, uint32_t spi, uint32_t *slot, uint32_t *group)
{
	(void)ctx;
	for (size_t i = 0; i < sizeof(sas) / sizeof(sas[0]); i++)
		if (sas[i].spi == spi) {
			*slot = sas[i].slot;
			*group = sas[i].group;
			return 1;
		}
	return 0;
}

static int model_group(void *ctx, uint32_t group, uint32_t *state)
{
	(void)ctx;
	if (group >= IPSECHA_XDP_DEF_GROUPS)
		return -1;
	*state = group == 2 ? IPSECHA_XDP_GROUP_HOLD : IPSECHA_XDP_GROUP_ACTIVE;
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (testenv_unavailable()) {
		fprintf(stderr, "fuzz-xdp: %s: fuzzing the reference model only\n",
			testenv_unavailable());
		return 0;
	}
	if (testenv_setup(&env, "fz", IPSECHA_XDP_MODE_NATIVE))
		abort();
	for (size_t i = 0; i < sizeof(sas) / sizeof(sas[0]); i++)
		if (ipsecha_xdp_sa_add(env.h, sas[i].spi, sas[i].slot, sas[i].group, 0))
			abort();
	if (ipsecha_xdp_group_hold(env.h, 2))
		abort();
	{
		struct ipsecha_xdp_policy pol;

		ipsecha_xdp_policy_default(&pol, true);
		pol.meta = 1;
		if (ipsecha_xdp_policy_set(env.h, &pol))
			abort();
	}
	have_kernel = 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t frame[1514] = { 0 }, out[1514 + 64];
	struct ref_env renv = { .sa_lookup = model_sa, .group_state = model_group,
				.xsk_bound = 1 };
	struct ipsecha_xdp_stats a, b;
	struct ref_result ref;
	size_t len = size < 14 ? 14 : size > sizeof(frame) ? sizeof(frame) : size;

	memcpy(frame, data, size < len ? size : len);
	ipsecha_xdp_policy_default(&renv.pol, true);
	renv.pol.meta = 1;
	/* The model on exactly the input bytes (ASan checks its reads). */
	{
		uint8_t *exact = malloc(size ? size : 1);

		if (size)
			memcpy(exact, data, size);
		ref_classify(exact, size, &renv, &ref);
		free(exact);
	}
	if (!have_kernel)
		return 0;

	ref_classify(frame, len, &renv, &ref);
	{
		struct xdp_md ctx = { .data_end = (uint32_t)len,
				      .ingress_ifindex = (uint32_t)env.ifindex0 };
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = (uint32_t)len,
			    .data_out = out, .data_size_out = sizeof(out), .ctx_in = &ctx,
			    .ctx_size_in = sizeof(ctx), .repeat = 1);

		if (ipsecha_xdp_stats(env.h, &a) ||
		    bpf_prog_test_run_opts(ipsecha_xdp_prog_fd(env.h), &o) ||
		    ipsecha_xdp_stats(env.h, &b))
			abort();
		if ((int)o.retval != ref.action) {
			fprintf(stderr, "program action %u, model %d (%s)\n", o.retval, ref.action,
				ipsecha_xdp_reason_name(ref.reason));
			abort();
		}
		if (b.reason[ref.reason] - a.reason[ref.reason] != 1) {
			fprintf(stderr, "model reason %s did not move\n",
				ipsecha_xdp_reason_name(ref.reason));
			abort();
		}
		if (o.data_size_out != len + (ref.has_meta ? IPSECHA_XDP_META_LEN : 0) ||
		    (ref.has_meta && memcmp(out, &ref.meta, sizeof(ref.meta)))) {
			fprintf(stderr, "metadata differs from the model's\n");
			abort();
		}
	}
	return 0;
}
