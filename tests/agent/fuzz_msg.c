/* fuzz_msg.c — libFuzzer target for the IKEv2 message parser: the outer
 * parse, the inner chain (the SK body is taken as plaintext), the rule
 * tables and the proposal/selector decoders, all from the production
 * sources. Any crash, leak or sanitizer report is a bug. */
#include <stddef.h>
#include <stdint.h>

#include "msg.h"
#include "rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ikm_msg m;
static struct ikm_proposal props[IKM_MAX_PROPS];
static struct ikm_ts ts[IKM_MAX_TS];

static void walk(void)
{
	for (unsigned i = 0; i < m.n; i++) {
		const struct ikm_payload *p = &m.pl[i];

		if (p->type == PT_SA)
			ikm_sa_proposals(&p->u.sa, props, IKM_MAX_PROPS);
		else if (p->type == PT_TSI || p->type == PT_TSR)
			ikm_ts_list(&p->u.ts, ts, IKM_MAX_TS);
	}
	ikm_find_error(&m);
	ikm_count(&m, PT_N);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (ikm_parse(&m, data, size))
		return 0;
	walk();
	if (ikr_check_outer(&m))
		return 0;
	if (m.sk_type == PT_SK && m.sk_body_len) {
		/* Treat the body after an 8-octet "IV" as the plaintext. */
		size_t off = m.sk_body_len > 8 ? 8 : 0;

		if (ikm_parse_inner(&m, m.sk_body + off, m.sk_body_len - off))
			return 0;
		walk();
	}
	ikr_check(&m);
	return 0;
}
