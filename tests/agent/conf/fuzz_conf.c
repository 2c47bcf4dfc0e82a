/* fuzz_conf.c — libFuzzer target for the configuration parser and the
 * proposal / traffic-selector / identity parsers it uses. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	struct agc_config *cfg = NULL;
	struct agc_error err;
	if (agc_load_string(text, "fuzz", &cfg, &err) == 0) {
		/* Whatever loads must be consistent. */
		for (size_t i = 0; i < cfg->n_conns; i++)
			if (!cfg->conns[i].n_ike || !cfg->conns[i].n_esp ||
			    !cfg->conns[i].psk_len)
				__builtin_trap();
		agc_free(cfg);
	} else if (cfg || !err.text[0]) {
		__builtin_trap();
	}
	/* The small parsers on the raw text, too. */
	struct ikc_proposal p;
	struct agc_ts ts;
	struct agc_id id;
	ikc_proposal_parse(text, IKC_PROTO_IKE, &p, NULL, 0);
	ikc_proposal_parse(text, IKC_PROTO_ESP, &p, NULL, 0);
	agc_parse_ts(text, &ts);
	agc_parse_id(text, &id);
	free(text);
	return 0;
}
