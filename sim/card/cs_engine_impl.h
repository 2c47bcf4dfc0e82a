/* cs_engine_impl.h — constructors of the engines built into the card. */
#ifndef CS_ENGINE_IMPL_H
#define CS_ENGINE_IMPL_H

#include "cs_engine.h"

int cs_engine_rtl_open(const char *trace, struct cs_engine *out);
int cs_engine_golden_open(const char *trace, struct cs_engine *out);
int cs_engine_fake_open(const char *trace, struct cs_engine *out);

#endif
