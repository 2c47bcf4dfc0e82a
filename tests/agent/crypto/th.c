/* th.c — harness and main of test-ike-crypto. */
#include "th.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

unsigned th_pass, th_fail, th_skip;
static bool verbose;

void th_case(bool ok, const char *fmt, ...)
{
	va_list ap;
	if (ok)
		th_pass++;
	else
		th_fail++;
	if (ok && !verbose)
		return;
	va_start(ap, fmt);
	printf("%s: ", ok ? "ok" : "FAIL");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
}

void th_skipped(const char *fmt, ...)
{
	va_list ap;
	th_skip++;
	va_start(ap, fmt);
	printf("skip: ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
}

long th_unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;
	for (const char *p = hex; *p; p++) {
		if (isspace((unsigned char)*p))
			continue;
		if (!isxdigit((unsigned char)*p))
			return -1;
		int v = isdigit((unsigned char)*p) ? *p - '0'
						   : (tolower((unsigned char)*p) - 'a' + 10);
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n >= cap)
			return -1;
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	return hi < 0 ? (long)n : -1;
}

uint8_t *th_unhex_alloc(const char *hex, size_t *len)
{
	size_t cap = strlen(hex) / 2 + 1;
	uint8_t *b = malloc(cap);
	long n = b ? th_unhex(hex, b, cap) : -1;
	if (n < 0) {
		free(b);
		return NULL;
	}
	*len = (size_t)n;
	return b;
}

const char *th_vector(const char *name)
{
	static char path[1024];
	const char *dir = getenv("IKC_VECTORS");
	snprintf(path, sizeof(path), "%s/%s", dir ? dir : TH_VECTOR_DIR, name);
	return path;
}

int main(int argc, char **argv)
{
	const char *only = argc > 1 ? argv[1] : NULL;
	verbose = getenv("TH_VERBOSE") && !strcmp(getenv("TH_VERBOSE"), "1");
	struct { const char *name; void (*fn)(void); } groups[] = {
		{ "vectors", t_vectors },
		{ "wycheproof", t_wycheproof },
		{ "sk", t_sk },
		{ "kdf", t_kdf },
		{ "proposals", t_proposals },
		{ "keylog", t_keylog },
	};
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		if (only && strcmp(only, groups[i].name))
			continue;
		unsigned p = th_pass, f = th_fail, s = th_skip;
		groups[i].fn();
		printf("group %-10s %u passed, %u failed, %u skipped\n",
		       groups[i].name, th_pass - p, th_fail - f, th_skip - s);
	}
	printf("ike-crypto: %u passed, %u failed, %u skipped\n", th_pass,
	       th_fail, th_skip);
	return th_fail ? 1 : 0;
}
