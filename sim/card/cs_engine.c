/* cs_engine.c — pick an engine by name. */
#include "cs_engine_impl.h"

#include <errno.h>
#include <string.h>

struct kind {
	const char *name;
	int (*open)(const char *trace, struct cs_engine *out);
};

static const struct kind kinds[] = {
#ifdef CS_HAVE_RTL
	{ "rtl", cs_engine_rtl_open },
#endif
#ifdef CS_HAVE_GOLDEN
	{ "golden", cs_engine_golden_open },
#endif
	{ "fake", cs_engine_fake_open },
};

const char *cs_engine_list(void)
{
	return ""
#ifdef CS_HAVE_RTL
		"rtl "
#endif
#ifdef CS_HAVE_GOLDEN
		"golden "
#endif
		"fake";
}

int cs_engine_open(const char *kind, const char *trace, struct cs_engine *out)
{
	size_t i;

	if (!kind)
		return kinds[0].open(trace, out);
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(kinds[i].name, kind))
			return kinds[i].open(trace, out);
	return -ENOENT;
}
