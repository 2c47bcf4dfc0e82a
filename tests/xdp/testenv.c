/* testenv.c — see testenv.h. */
#include "testenv.h"

#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xsk_util.h"

static struct testenv *live_env;

const char *testenv_unavailable(void)
{
	if (geteuid() != 0)
		return "needs root (network namespaces, BPF, AF_XDP)";
	if (access("/sys/fs/bpf", F_OK))
		return "the kernel has no /sys/fs/bpf (CONFIG_BPF_SYSCALL off)";
	return NULL;
}

int testenv_sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd) - 16, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(cmd) - 16)
		return -1;
	strcat(cmd, " >/dev/null 2>&1");
	rc = system(cmd);
	return rc == 0 ? 0 : -1;
}

/* Pins of earlier runs that died without cleaning up: ipsx-<tag>-<pid> of a
 * pid that no longer exists. */
static void sweep_stale(void)
{
	DIR *d = opendir(IPSECHA_XDP_BPFFS);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		const char *dot = strrchr(de->d_name, '-');
		char root[300];
		long pid;
		DIR *sub;

		if (strncmp(de->d_name, "ipsx-", 5) || !dot)
			continue;
		pid = strtol(dot + 1, NULL, 10);
		if (pid <= 0 || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		snprintf(root, sizeof(root), "%s/%s", IPSECHA_XDP_BPFFS, de->d_name);
		sub = opendir(root);
		if (sub) {
			struct dirent *se;

			while ((se = readdir(sub))) {
				IPSECHA_XDP_OPTS(ipsecha_xdp_open_opts, o, .pin_root = root);

				if (se->d_name[0] != '.')
					ipsecha_xdp_detach(se->d_name, &o);
			}
			closedir(sub);
		}
		rmdir(root);
	}
	closedir(d);
}

void testenv_teardown(struct testenv *e)
{
	if (!e)
		return;
	if (e->h) {
		ipsecha_xdp_xsk_clear(e->h, 0);
		ipsecha_xdp_close(e->h);
		e->h = NULL;
	}
	xskrx_close(e->xsk);
	e->xsk = NULL;
	if (e->attached) {
		IPSECHA_XDP_OPTS(ipsecha_xdp_open_opts, o, .pin_root = e->pin_root);

		ipsecha_xdp_detach(e->if0, &o);
		e->attached = false;
	}
	if (e->pin_root[0])
		rmdir(e->pin_root);
	if (live_env == e)
		live_env = NULL;
}

static void at_exit(void)
{
	testenv_teardown(live_env);
}

static void on_signal(int sig)
{
	testenv_teardown(live_env);
	signal(sig, SIG_DFL);
	raise(sig);
}

int testenv_setup(struct testenv *e, const char *tag, uint32_t mode)
{
	const char *why = testenv_unavailable();
	int err;

	memset(e, 0, sizeof(*e));
	if (why) {
		fprintf(stderr, "testenv: %s\n", why);
		return -EPERM;
	}
	if (unshare(CLONE_NEWNET)) {
		err = -errno;
		fprintf(stderr, "testenv: unshare(CLONE_NEWNET): %s\n", strerror(errno));
		return err;
	}
	snprintf(e->if0, sizeof(e->if0), "ipsx-%s0", tag);
	snprintf(e->if1, sizeof(e->if1), "ipsx-%s1", tag);
	/* A silent link: no IPv6 (no DAD, RS, MLD) and no addresses (no
	 * ARP), so every frame the program counts is one a test sent. */
	if (testenv_sh("sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
		       "net.ipv6.conf.default.disable_ipv6=1") ||
	    testenv_sh("ip link set lo up") ||
	    testenv_sh("ip link add %s type veth peer name %s", e->if0, e->if1) ||
	    testenv_sh("ip link set %s up && ip link set %s up", e->if0, e->if1)) {
		fprintf(stderr, "testenv: cannot create veth %s/%s (iproute2, CONFIG_VETH)\n",
			e->if0, e->if1);
		return -ENODEV;
	}
	e->ifindex0 = (int)if_nametoindex(e->if0);
	e->ifindex1 = (int)if_nametoindex(e->if1);

	err = ipsecha_xdp_bpffs_mount();
	if (err) {
		fprintf(stderr, "testenv: bpffs: %s\n", ipsecha_xdp_strerror(err));
		return err;
	}
	sweep_stale();
	snprintf(e->pin_root, sizeof(e->pin_root), "%s/ipsx-%s-%d", IPSECHA_XDP_BPFFS, tag,
		 (int)getpid());
	live_env = e;
	atexit(at_exit);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	{
		IPSECHA_XDP_OPTS(ipsecha_xdp_attach_opts, ao, .pin_root = e->pin_root,
				 .mode = mode, .xsk = true, .xsk_queue = 0);
		IPSECHA_XDP_OPTS(ipsecha_xdp_open_opts, oo, .pin_root = e->pin_root);

		err = ipsecha_xdp_attach(e->if0, &ao);
		if (err) {
			fprintf(stderr, "testenv: attach %s: %s\n", e->if0,
				ipsecha_xdp_strerror(err));
			return err;
		}
		e->attached = true;
		err = ipsecha_xdp_open(e->if0, &oo, &e->h);
		if (err) {
			fprintf(stderr, "testenv: open: %s\n", ipsecha_xdp_strerror(err));
			return err;
		}
	}
	err = xskrx_open(&e->xsk, e->if0, 0);
	if (err) {
		fprintf(stderr, "testenv: AF_XDP socket on %s: %s\n", e->if0, strerror(-err));
		return err;
	}
	err = ipsecha_xdp_xsk_set(e->h, 0, xskrx_fd(e->xsk));
	if (err) {
		fprintf(stderr, "testenv: xsk_set: %s\n", ipsecha_xdp_strerror(err));
		return err;
	}
	return 0;
}
