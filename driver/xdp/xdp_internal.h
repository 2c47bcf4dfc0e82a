/* xdp_internal.h — shared by the loader library's modules; not installed. */
#ifndef IPSECHA_XDP_INTERNAL_H
#define IPSECHA_XDP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "ipsecha_xdp.h"

/* Names of the pins under <pin_root>/<ifname>/. */
#define IPSX_PIN_SA      "sa"
#define IPSX_PIN_GROUPS  "groups"
#define IPSX_PIN_CONFIG  "config"
#define IPSX_PIN_CFGSEL  "cfgsel"
#define IPSX_PIN_STATS   "stats"
#define IPSX_PIN_GDROPS  "gdrops"
#define IPSX_PIN_XSKS    "xsks"
#define IPSX_PIN_PROG    "prog"
#define IPSX_PIN_LINK    "link"

extern const char *const ipsecha_xdp__pins[];   /* NULL-terminated */

/* Options structs: true if the bytes past what this library knows are
 * zero (a newer caller set nothing we would ignore). */
bool ipsecha_xdp__opts_valid(const void *opts, size_t known);
#define IPSX_OPT(opts, field, def)                                              \
	((opts) && (opts)->sz >= offsetof(__typeof__(*(opts)), field) +         \
			sizeof((opts)->field) ? (opts)->field : (def))

/* <root>/<ifname>[/<name>] into buf; -ENAMETOOLONG if it does not fit. */
int ipsecha_xdp__path(char *buf, size_t n, const char *root, const char *ifname,
		      const char *name);

/* -errno of the last failed libc/libbpf call, never 0. */
int ipsecha_xdp__errno(void);

/* Validate a policy (ranges, ports). */
int ipsecha_xdp__policy_check(const struct ipsecha_xdp_policy *p);

/* Wait for an RCU grace period (map-in-map update; membarrier fallback). */
int ipsecha_xdp__grace_period(void);

#endif
