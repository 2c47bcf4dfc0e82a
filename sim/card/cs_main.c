/* cs_main.c — ipsecha-card-sim: the simulated card as a process of its own.
 *
 *   ipsecha-card-sim [--socket PATH] [--trace FILE] [--engine rtl|golden|fake]
 *                    [--shm PATH] [--doorbell ivshmem|register] [--quiet]
 *
 * The card's BAR is a shared-memory file; the firmware (host build) runs
 * its command rings against the engine's CSR bus; hosts attach through the
 * ivshmem server on the UNIX socket (libipsecha `sim:PATH`, or QEMU's
 * ivshmem-doorbell). Runs in the foreground until SIGTERM/SIGINT; clients
 * may come and go. See docs/card-sim.md. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
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

/* How the card learns of new commands (docs/card-sim.md "Doorbells"):
 *  ivshmem   its ivshmem vector 0 (what libipsecha's sim backend and
 *            QEMU's Doorbell register kick), plus a firmware pass every
 *            20 ms: the emulated card, forgiving;
 *  register  like the card: only a write to a doorbell register in the
 *            BAR (card ABI) wakes the firmware. Shared memory shows no
 *            write, so the card compares the doorbell page with what it
 *            last saw every REG_SCAN_US, as the card's bus logic would see
 *            the write; ivshmem kicks are read and ignored, and there is
 *            no periodic pass. A host that forgets the register hangs. */
enum db_mode { DB_IVSHMEM, DB_REGISTER };
#define REG_SCAN_US 200

static uint32_t db_seen[ICA_NUM_QUEUES];

/* 1 if any queue's doorbell register changed since the last scan. */
static int db_scan(const uint8_t *bar)
{
	int changed = 0;
	uint32_t q, v;

	for (q = 0; q < ICA_NUM_QUEUES; q++) {
		v = __atomic_load_n((const uint32_t *)(const void *)
				    (bar + ICA_DB_OFF + q * ICA_DB_STRIDE), __ATOMIC_ACQUIRE);
		if (v != db_seen[q]) {
			db_seen[q] = v;
			changed = 1;
		}
	}
	return changed;
}

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
		   "                        [--shm PATH] [--doorbell MODE] [--quiet]\n"
		   "  --socket PATH    ivshmem server socket (default %s)\n"
		   "  --trace FILE     waveform of the engine (rtl engine: VCD)\n"
		   "  --engine KIND    one of: %s (default: the first)\n"
		   "  --shm PATH       BAR backing file (default /dev/shm/ipsecha-card-<pid>)\n"
		   "  --doorbell MODE  ivshmem (default: ivshmem kicks and a 20 ms poll wake\n"
		   "                   the firmware) or register (only doorbell registers do,\n"
		   "                   as on the card)\n"
		   "  --abi M.m        publish ABI version M.m instead of this build's (testing)\n",
		DEFAULT_SOCKET, cs_engine_list());
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "socket", required_argument, 0, 's' }, { "trace", required_argument, 0, 't' },
		{ "engine", required_argument, 0, 'e' }, { "shm", required_argument, 0, 'm' },
		{ "abi", required_argument, 0, 'a' }, { "quiet", no_argument, 0, 'q' },
		{ "doorbell", required_argument, 0, 'd' },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	const char *sock = DEFAULT_SOCKET, *trace = NULL, *kind = NULL;
	char shm_path[256] = "";
	unsigned abi_major = 0, abi_minor = 0;
	enum db_mode dbm = DB_IVSHMEM;
	unsigned long kicks_ignored = 0;
	int quiet = 0, c, shm = -1, sfd = -1, rc = 1, err;
	struct fw_platform plat;
	sigset_t mask;
	uint8_t *bar = MAP_FAILED;

	while ((c = getopt_long(argc, argv, "s:t:e:m:a:d:qh", lo, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (!strcmp(optarg, "ivshmem")) {
				dbm = DB_IVSHMEM;
			} else if (!strcmp(optarg, "register")) {
				dbm = DB_REGISTER;
			} else {
				fprintf(stderr, "ipsecha-card-sim: bad --doorbell '%s' "
					"(ivshmem or register)\n", optarg);
				return 2;
			}
			break;
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
	(void)db_scan(bar);   /* what boot left there (zeroes) */
	if (!quiet) {
		printf("ipsecha-card-sim: ready on %s (engine %s, %u slots, %u groups, window %u, "
		       "BAR %s, doorbell %s)\n", sock, eng.name, the_fw.eng.num_sa,
		       the_fw.eng.num_group, the_fw.eng.window, shm_path,
		       dbm == DB_REGISTER ? "register" : "ivshmem");
		fflush(stdout);
	}

	for (;;) {
		struct pollfd pfd[CS_MAX_PEERS + 3];
		int idx[CS_MAX_PEERS + 3], n, i, busy, run;
		struct timespec tmo = { 0, dbm == DB_REGISTER ? REG_SCAN_US * 1000L : 20000000L };

		n = cs_srv_pollfds(&srv, pfd, CS_MAX_PEERS + 2, idx);
		pfd[n] = (struct pollfd){ sfd, POLLIN, 0 };
		if (ppoll(pfd, (nfds_t)n + 1, &tmo, NULL) < 0 && errno != EINTR)
			break;
		if (pfd[n].revents)
			break;      /* SIGTERM or SIGINT */
		if (pfd[0].revents)
			cs_srv_accept(&srv);
		/* ivshmem mode: every wake-up, the 20 ms timeout included, runs
		 * the firmware; register mode: only a doorbell register write. */
		run = dbm == DB_IVSHMEM;
		if (pfd[1].revents && cs_srv_doorbell(&srv)) {
			if (dbm == DB_IVSHMEM)
				fw_doorbell(&the_fw);
			else
				kicks_ignored++;
		}
		if (dbm == DB_REGISTER && db_scan(bar)) {
			fw_doorbell(&the_fw);
			run = 1;
		}
		for (i = 2; i < n; i++)
			if (pfd[i].revents)
				cs_srv_client(&srv, idx[i]);
		/* Run the firmware until the rings are empty (bounded). */
		for (i = 0, busy = run; busy && i < 1024; i++)
			busy = fw_poll(&the_fw) != 0;
		if (eng.idle)
			eng.idle(eng.ctx, 16);
	}
	rc = 0;
	fw_shutdown(&the_fw);
	if (!quiet) {
		printf("ipsecha-card-sim: stopped (%lu clients served", srv.connects);
		if (dbm == DB_REGISTER)
			printf(", %lu ivshmem kicks ignored", kicks_ignored);
		printf(")\n");
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
