/* cs_main.c — ipsecha-card-sim: the simulated card as a process of its own.
 *
 *   ipsecha-card-sim [--socket PATH] [--trace FILE] [--engine rtl|golden|fake]
 *                    [--shm PATH] [--quiet]
 *
 * The card's BAR is a shared-memory file; the firmware (host build) runs
 * its command rings against the engine's CSR bus; hosts attach through the
 * ivshmem server on the UNIX socket (libipsecha `sim:PATH`, or QEMU's
 * ivshmem-doorbell). Runs in the foreground until SIGTERM/SIGINT; clients
 * may come and go. See docs/card-sim.md. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "cs_engine.h"
#include "cs_ivshmem.h"
#include "fw.h"

#ifndef CS_FW_BUILD_ID
#define CS_FW_BUILD_ID 0u
#endif

#define DEFAULT_SOCKET "/tmp/ipsecha-card-default.sock"

static struct fw the_fw;     /* fixed firmware state, as on the card */
static struct cs_server srv;
static struct cs_engine eng;

static void on_gone(void *arg, uint32_t peer)
{
	(void)arg;
	fw_peer_gone(&the_fw, peer);
}

static void on_irq(void *arg, uint32_t peer, uint32_t vec)
{
	(void)arg;
	cs_srv_irq(&srv, peer, vec);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: ipsecha-card-sim [--socket PATH] [--trace FILE] [--engine KIND]\n"
		   "                        [--shm PATH] [--quiet]\n"
		   "  --socket PATH  ivshmem server socket (default %s)\n"
		   "  --trace FILE   waveform of the engine (rtl engine: VCD)\n"
		   "  --engine KIND  one of: %s (default: the first)\n"
		   "  --shm PATH     BAR backing file (default /dev/shm/ipsecha-card-<pid>)\n"
		   "  --abi M.m      publish ABI version M.m instead of this build's (testing)\n",
		DEFAULT_SOCKET, cs_engine_list());
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "socket", required_argument, 0, 's' }, { "trace", required_argument, 0, 't' },
		{ "engine", required_argument, 0, 'e' }, { "shm", required_argument, 0, 'm' },
		{ "abi", required_argument, 0, 'a' }, { "quiet", no_argument, 0, 'q' },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	const char *sock = DEFAULT_SOCKET, *trace = NULL, *kind = NULL;
	char shm_path[256] = "";
	unsigned abi_major = 0, abi_minor = 0;
	int quiet = 0, c, shm = -1, sfd = -1, rc = 1, err;
	struct fw_platform plat;
	sigset_t mask;
	uint8_t *bar = MAP_FAILED;

	while ((c = getopt_long(argc, argv, "s:t:e:m:a:qh", lo, NULL)) != -1) {
		switch (c) {
		case 's': sock = optarg; break;
		case 't': trace = optarg; break;
		case 'e': kind = optarg; break;
		case 'm': snprintf(shm_path, sizeof(shm_path), "%s", optarg); break;
		case 'a':
			if (sscanf(optarg, "%u.%u", &abi_major, &abi_minor) != 2 || !abi_major ||
			    abi_major > 0xffff || abi_minor > 0xffff) {
				fprintf(stderr, "ipsecha-card-sim: bad --abi '%s' (want M.m)\n", optarg);
				return 2;
			}
			break;
		case 'q': quiet = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (!shm_path[0])
		snprintf(shm_path, sizeof(shm_path), "/dev/shm/ipsecha-card-%d", (int)getpid());

	/* SIGTERM/SIGINT through a signalfd: the loop exits cleanly. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		perror("ipsecha-card-sim: signalfd");
		return 1;
	}

	err = cs_engine_open(kind, trace, &eng);
	if (err == -EOPNOTSUPP && trace) {
		fprintf(stderr, "ipsecha-card-sim: --trace needs the rtl engine (built: %s)\n",
			cs_engine_list());
		goto out_sfd;
	}
	if (err) {
		fprintf(stderr, "ipsecha-card-sim: engine '%s': %s (built: %s)\n",
			kind ? kind : "default", strerror(-err), cs_engine_list());
		goto out_sfd;
	}
	shm = open(shm_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (shm < 0 || ftruncate(shm, ICA_BAR_SIZE) < 0) {
		fprintf(stderr, "ipsecha-card-sim: %s: %s\n", shm_path, strerror(errno));
		goto out_eng;
	}
	bar = mmap(NULL, ICA_BAR_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, shm, 0);
	if (bar == MAP_FAILED) {
		perror("ipsecha-card-sim: mmap");
		goto out_shm;
	}
	err = cs_srv_open(&srv, sock, shm);
	if (err) {
		fprintf(stderr, "ipsecha-card-sim: %s: %s%s\n", sock, strerror(-err),
			err == -EADDRINUSE ? " (another card is running there)" : "");
		goto out_map;
	}
	srv.on_gone = on_gone;

	memset(&plat, 0, sizeof(plat));
	plat.rd32 = eng.rd32;
	plat.wr32 = eng.wr32;
	plat.bus_ctx = eng.ctx;
	plat.irq = on_irq;
	plat.bar = bar;
	plat.bar_size = ICA_BAR_SIZE;
	plat.doorbell_peer = CS_CARD_PEER;
	plat.fw_build_id = CS_FW_BUILD_ID;
	plat.abi_major = (uint16_t)abi_major;
	plat.abi_minor = (uint16_t)abi_minor;
	err = fw_init(&the_fw, &plat);
	if (err) {
		fprintf(stderr, "ipsecha-card-sim: firmware refused the engine (status %d)\n", err);
		goto out_srv;
	}
	if (!quiet) {
		printf("ipsecha-card-sim: ready on %s (engine %s, %u slots, %u groups, window %u, "
		       "BAR %s)\n", sock, eng.name, the_fw.eng.num_sa, the_fw.eng.num_group,
		       the_fw.eng.window, shm_path);
		fflush(stdout);
	}

	for (;;) {
		struct pollfd pfd[CS_MAX_PEERS + 3];
		int idx[CS_MAX_PEERS + 3], n, i, busy;

		n = cs_srv_pollfds(&srv, pfd, CS_MAX_PEERS + 2, idx);
		pfd[n] = (struct pollfd){ sfd, POLLIN, 0 };
		if (poll(pfd, (nfds_t)n + 1, 20) < 0 && errno != EINTR)
			break;
		if (pfd[n].revents)
			break;      /* SIGTERM or SIGINT */
		if (pfd[0].revents)
			cs_srv_accept(&srv);
		if (pfd[1].revents && cs_srv_doorbell(&srv))
			fw_doorbell(&the_fw);
		for (i = 2; i < n; i++)
			if (pfd[i].revents)
				cs_srv_client(&srv, idx[i]);
		/* Run the firmware until the rings are empty (bounded). */
		for (i = 0, busy = 1; busy && i < 1024; i++)
			busy = fw_poll(&the_fw) != 0;
		if (eng.idle)
			eng.idle(eng.ctx, 16);
	}
	rc = 0;
	fw_shutdown(&the_fw);
	if (!quiet) {
		printf("ipsecha-card-sim: stopped (%lu clients served)\n", srv.connects);
		fflush(stdout);
	}
out_srv:
	cs_srv_close(&srv);
out_map:
	munmap(bar, ICA_BAR_SIZE);
out_shm:
	close(shm);
	unlink(shm_path);
out_eng:
	eng.destroy(eng.ctx);
out_sfd:
	close(sfd);
	return rc;
}
