/* testenv.h — a private network namespace with a veth pair and the steering
 * program attached, for the fixture tests and the benchmark.
 *
 * Everything carries the "ipsx" prefix: interfaces live in a namespace of
 * their own (unshare(CLONE_NEWNET), gone with the process); pins live under
 * /sys/fs/bpf/ipsx-<tag>-<pid> (bpffs refuses '.' in names), removed at exit, and those of dead earlier
 * runs are swept at start. */
#ifndef IPSX_TESTENV_H
#define IPSX_TESTENV_H

#include <stdbool.h>
#include <stdint.h>

#include "ipsecha_xdp.h"

struct xskrx;

struct testenv {
	char if0[16], if1[16];       /* program on if0; if1 is the peer */
	int ifindex0, ifindex1;
	char pin_root[64];
	struct ipsecha_xdp *h;
	struct xskrx *xsk;           /* bound to if0 queue 0, registered */
	bool attached;
};

/* Why the environment cannot exist here (not root, ...), or NULL. */
const char *testenv_unavailable(void);

/* Private netns + veth if0/if1 (up) + attach to if0 in `mode` with ESP
 * redirect + AF_XDP socket on if0 queue 0. 0 or -errno (message printed). */
int testenv_setup(struct testenv *e, const char *tag, uint32_t mode);
void testenv_teardown(struct testenv *e);

/* Run a shell command, quietly; 0 if it exited 0. */
int testenv_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
