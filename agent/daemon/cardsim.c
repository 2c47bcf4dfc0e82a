/* cardsim.c — the embedded default card: without `card =` in the
 * configuration the agent starts its own ipsecha-card-sim (docs/card-sim.md)
 * on a private socket and drives it through libipsecha like any card. The
 * card process dies with the agent (PR_SET_PDEATHSIG) and is stopped with
 * SIGTERM on exit. */
#include "agent.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int find_sim(char *out, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	const char *env = getenv("IPSECHA_CARD_SIM");

	if (env && *env) {
		snprintf(out, len, "%s", env);
		return access(out, X_OK) ? -ENOENT : 0;
	}
	if (n > 0) {
		char *slash;

		self[n] = 0;
		slash = strrchr(self, '/');
		if (slash && (size_t)(slash - self) + sizeof("/ipsecha-card-sim") <= len) {
			memcpy(out, self, (size_t)(slash - self));
			strcpy(out + (slash - self), "/ipsecha-card-sim");
			if (!access(out, X_OK))
				return 0;
		}
	}
	/* Else from $PATH. */
	for (const char *p = getenv("PATH"); p && *p;) {
		const char *colon = strchr(p, ':');
		size_t dl = colon ? (size_t)(colon - p) : strlen(p);

		if (dl && dl + sizeof("/ipsecha-card-sim") <= len) {
			memcpy(out, p, dl);
			strcpy(out + dl, "/ipsecha-card-sim");
			if (!access(out, X_OK))
				return 0;
		}
		p = colon ? colon + 1 : p + dl;
	}
	return -ENOENT;
}

static bool sock_ready(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok;

	if (fd < 0)
		return false;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	ok = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0;
	close(fd);
	return ok;
}

int cardsim_start(struct agent *a, char *uri, size_t len)
{
	char bin[PATH_MAX];
	pid_t pid;
	int st;

	if (find_sim(bin, sizeof(bin))) {
		fprintf(stderr, "ipsecha-agent: ipsecha-card-sim not found next to the agent nor in "
			"$PATH (set IPSECHA_CARD_SIM, give a card with --card/card =, or run "
			"IKE only with --no-card)\n");
		return -ENOENT;
	}
	snprintf(a->card_sock, sizeof(a->card_sock), "/tmp/ipsa-card-%d.sock", (int)getpid());
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		execlp(bin, bin, "--socket", a->card_sock, "--quiet", (char *)NULL);
		fprintf(stderr, "ipsecha-agent: cannot run %s: %s\n", bin, strerror(errno));
		_exit(127);
	}
	a->card_pid = pid;
	/* The card answers within a second; give it five. */
	for (int i = 0; i < 500; i++) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		if (sock_ready(a->card_sock)) {
			snprintf(uri, len, "sim:%s", a->card_sock);
			return 0;
		}
		if (waitpid(pid, &st, WNOHANG) == pid) {
			a->card_pid = 0;
			return -ENOEXEC;
		}
		nanosleep(&ts, NULL);
	}
	cardsim_stop(a);
	return -ETIMEDOUT;
}

void cardsim_stop(struct agent *a)
{
	int st;

	if (!a->card_pid)
		return;
	kill(a->card_pid, SIGTERM);
	for (int i = 0; i < 300; i++) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		if (waitpid(a->card_pid, &st, WNOHANG) == a->card_pid) {
			a->card_pid = 0;
			return;
		}
		nanosleep(&ts, NULL);
	}
	kill(a->card_pid, SIGKILL);
	waitpid(a->card_pid, &st, 0);
	a->card_pid = 0;
	unlink(a->card_sock);
}
