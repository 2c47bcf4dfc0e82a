/* test_conn.c — libipsecha's connection error paths, which the conformance
 * suite (one live card it must not disturb) cannot reach:
 *   - the card stops (SIGTERM) or dies (SIGKILL) under an open handle;
 *   - the card freezes (SIGSTOP): a command times out, later calls recover;
 *   - a server that is not a card: wrong protocol version, no identity
 *     block, bad magic, geometry outside the BAR, a card that FAILED;
 *   - doorbells at the ABI level (a raw client on the sim backend): in
 *     `--doorbell register` mode only the doorbell register wakes the card
 *     (an ivshmem kick alone does not), in ivshmem mode the kick does.
 *   test-hostlib-conn CARD_SIM_BINARY
 * Prints "hostlib-conn: N passed, N failed". */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cs_ivshmem.h"
#include "hl_internal.h"
#include "ipsecha.h"
#include "ipsecha_card_abi.h"

static const char *sim;
static char dir[64];
static unsigned n_pass, n_fail;
static int t_fail;

#define CHECK_ERR(call, want) do { int e_ = (call); if (e_ != (want)) { \
	fprintf(stderr, "    %s:%d: %s = %d (%s), expected %d (%s)\n", __func__, __LINE__, #call, \
		e_, ipsecha_strerror(e_), (want), ipsecha_strerror(want)); t_fail = 1; } } while (0)
#define CHECK(c) do { if (!(c)) { \
	fprintf(stderr, "    %s:%d: CHECK(%s) failed\n", __func__, __LINE__, #c); t_fail = 1; } } while (0)

static void report(const char *name)
{
	printf("%s %s\n", t_fail ? "FAIL" : "ok  ", name);
	if (t_fail)
		n_fail++;
	else
		n_pass++;
	t_fail = 0;
}

/* Start a card (doorbell mode `db`, NULL: the default); returns its pid,
 * fills uri. */
static pid_t card_start_db(const char *name, char *uri, size_t len, const char *db)
{
	char sock[256], shm[256];
	pid_t pid;
	int i;

	snprintf(sock, sizeof(sock), "%s/%s.sock", dir, name);
	snprintf(shm, sizeof(shm), "/dev/shm/ipsecha-card-test-%d-%s", (int)getpid(), name);
	snprintf(uri, len, "sim:%s", sock);
	pid = fork();
	if (pid == 0) {
		if (db)
			execl(sim, sim, "--socket", sock, "--shm", shm, "--quiet", "--doorbell", db,
			      (char *)NULL);
		else
			execl(sim, sim, "--socket", sock, "--shm", shm, "--quiet", (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 500 && access(sock, F_OK); i++)
		usleep(10000);
	usleep(20000);
	return pid;
}

static pid_t card_start(const char *name, char *uri, size_t len)
{
	return card_start_db(name, uri, len, NULL);
}

static void t_card_stops(void)
{
	char uri[300];
	pid_t pid = card_start("stop", uri, sizeof(uri));
	struct ipsecha *h = NULL;
	struct ipsecha_info info;
	int st;

	CHECK_ERR(ipsecha_open(uri, NULL, &h), 0);
	if (h) {
		CHECK_ERR(ipsecha_identify(h, &info), 0);
		kill(pid, SIGTERM);
		CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
		/* The card marked itself STOPPED before it went. */
		CHECK_ERR(ipsecha_identify(h, &info), -ESHUTDOWN);
		ipsecha_close(h);
	}
	CHECK_ERR(ipsecha_open(uri, NULL, &h), -ENOENT);   /* socket removed */
	report("card stopped under an open handle: -ESHUTDOWN, socket gone");
}

static void t_card_dies(void)
{
	char uri[300];
	pid_t pid = card_start("kill", uri, sizeof(uri));
	struct ipsecha *h = NULL;
	struct ipsecha_info info;
	IPSECHA_OPTS(ipsecha_open_opts, o, .timeout_ms = 2000);

	CHECK_ERR(ipsecha_open(uri, &o, &h), 0);
	if (h) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		CHECK_ERR(ipsecha_identify(h, &info), -ECONNRESET);
		ipsecha_close(h);
	}
	/* Its socket file is left behind, but nobody listens. */
	CHECK_ERR(ipsecha_open(uri, NULL, &h), -ECONNREFUSED);
	unlink(uri + 4);
	{
		char shm[256];

		snprintf(shm, sizeof(shm), "/dev/shm/ipsecha-card-test-%d-kill", (int)getpid());
		unlink(shm);   /* a killed card cannot remove its own BAR file */
	}
	report("card killed under an open handle: -ECONNRESET, then -ECONNREFUSED");
}

static void t_card_freezes(void)
{
	char uri[300];
	pid_t pid = card_start("stall", uri, sizeof(uri));
	struct ipsecha *h = NULL;
	struct ipsecha_info info;
	IPSECHA_OPTS(ipsecha_open_opts, o, .timeout_ms = 300);

	CHECK_ERR(ipsecha_open(uri, &o, &h), 0);
	if (h) {
		kill(pid, SIGSTOP);
		CHECK_ERR(ipsecha_identify(h, &info), -ETIMEDOUT);
		kill(pid, SIGCONT);
		/* The late completion is skipped; the next call is answered. */
		CHECK_ERR(ipsecha_identify(h, &info), 0);
		CHECK_ERR(ipsecha_identify(h, &info), 0);
		ipsecha_close(h);
	}
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	report("frozen card: -ETIMEDOUT, then recovers");
}

/* ---- a minimal ivshmem server serving a BAR we fill ourselves ---- */

/* Serve one client with `version` and a BAR prepared by fill(); the child
 * process exits after the client leaves. */
static pid_t fake_server(const char *name, char *uri, size_t len, int64_t version,
			 void (*fill)(struct ica_id *id))
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int ls, mfd;
	pid_t pid;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s.sock", dir, name);
	snprintf(uri, len, "sim:%s", sa.sun_path);
	unlink(sa.sun_path);
	ls = socket(AF_UNIX, SOCK_STREAM, 0);
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) || listen(ls, 1))
		return -1;
	mfd = memfd_create("ipsecha-card-test-bar", 0);
	if (mfd < 0 || ftruncate(mfd, ICA_BAR_SIZE))
		return -1;
	fill(mmap(NULL, ICA_BAR_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0));
	pid = fork();
	if (pid == 0) {
		int c = accept(ls, NULL, NULL), e[4], i;
		char b;

		for (i = 0; i < 4; i++) {
			int f[2];

			if (pipe(f))
				_exit(1);
			e[i] = f[1];
		}
		cs_ivshmem_send(c, version, -1);
		cs_ivshmem_send(c, 5, -1);
		cs_ivshmem_send(c, -1, mfd);
		cs_ivshmem_send(c, 0, e[0]);
		cs_ivshmem_send(c, 0, e[1]);
		cs_ivshmem_send(c, 5, e[2]);
		cs_ivshmem_send(c, 5, e[3]);
		while (read(c, &b, 1) > 0)
			;
		_exit(0);
	}
	close(ls);
	close(mfd);
	return pid;
}

static void fill_good(struct ica_id *id)
{
	id->magic = ICA_MAGIC;
	id->abi_major = ICA_ABI_MAJOR;
	id->abi_minor = ICA_ABI_MINOR;
	id->id_size = sizeof(*id);
	id->bar_size = ICA_BAR_SIZE;
	id->num_sa = 64;
	id->num_group = 8;
	id->window = 64;
	ica_id_set_geometry(id);
	id->state = ICA_STATE_READY;
}

static void fill_off(struct ica_id *id) { (void)id; }
static void fill_magic(struct ica_id *id) { fill_good(id); id->magic = 0x12345678; }
static void fill_geom(struct ica_id *id) { fill_good(id); id->qmem_stride = 0x100000; }
static void fill_ring(struct ica_id *id) { fill_good(id); id->cmd_entries = 100; }
static void fill_failed(struct ica_id *id) { fill_good(id); id->state = ICA_STATE_FAILED; }
static void fill_minor(struct ica_id *id) { fill_good(id); id->abi_major = ICA_ABI_MAJOR + 1; }
static void fill_db(struct ica_id *id) { fill_good(id); id->db_off = ICA_BAR_SIZE - 8; }
static void fill_dbstride(struct ica_id *id) { fill_good(id); id->db_stride = 2; }
static void fill_v1(struct ica_id *id) { fill_good(id); id->abi_major = 1; id->db_off = 0; id->db_stride = 0; }

static void t_not_a_card(void)
{
	static const struct {
		const char *name;
		int64_t version;
		void (*fill)(struct ica_id *);
		int want;
		const char *what;
	} c[] = {
		{ "ver", 1, fill_good, -EPROTO, "ivshmem protocol version 1 refused" },
		{ "off", 0, fill_off, -ENODEV, "memory without an identity block" },
		{ "magic", 0, fill_magic, -ENODEV, "wrong magic" },
		{ "geom", 0, fill_geom, -ENODEV, "queues outside the BAR" },
		{ "ring", 0, fill_ring, -ENODEV, "ring size not a power of two" },
		{ "failed", 0, fill_failed, -EIO, "card reports FAILED" },
		{ "abi", 0, fill_minor, -EPROTO, "other ABI major" },
		{ "v1", 0, fill_v1, -EPROTO, "ABI 1.0 card (no doorbell registers)" },
		{ "db", 0, fill_db, -ENODEV, "doorbells outside the BAR" },
		{ "dbstride", 0, fill_dbstride, -ENODEV, "doorbell stride below 4 bytes" },
		/* The control row: the identity every row above breaks is accepted. */
		{ "good", 0, fill_good, 0, "(control) well-formed identity opens; nobody answers: -ETIMEDOUT" },
	};
	IPSECHA_OPTS(ipsecha_open_opts, o, .timeout_ms = 200);
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct ipsecha *h = NULL;
		char uri[300], name[96];
		pid_t pid = fake_server(c[i].name, uri, sizeof(uri), c[i].version, c[i].fill);

		CHECK(pid > 0);
		CHECK_ERR(ipsecha_open(uri, &o, &h), c[i].want);
		if (c[i].want == 0) {
			struct ipsecha_info info;

			CHECK(h != NULL);
			if (h)
				CHECK_ERR(ipsecha_identify(h, &info), -ETIMEDOUT);
		} else {
			CHECK(h == NULL);
		}
		ipsecha_close(h);
		if (pid > 0)
			waitpid(pid, NULL, 0);
		unlink(uri + 4);
		snprintf(name, sizeof(name), "not a card: %s", c[i].what);
		report(name);
	}
}

/* Whoever connects gets the whole card (the BAR's fd): socket and BAR
 * file belong to the card's user alone. */
static void t_private(void)
{
	char uri[300], shm[256];
	pid_t pid = card_start("priv", uri, sizeof(uri));
	struct stat a, b;

	snprintf(shm, sizeof(shm), "/dev/shm/ipsecha-card-test-%d-priv", (int)getpid());
	CHECK(stat(uri + 4, &a) == 0 && S_ISSOCK(a.st_mode));
	CHECK((a.st_mode & 0777) == 0700 || (a.st_mode & 0777) == 0600);
	CHECK(stat(shm, &b) == 0 && (b.st_mode & 0777) == 0600);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	report("card socket and BAR file are private to the card's user");
}

/* ---- doorbells, at the ABI level ----------------------------------- */

static uint32_t ld(const volatile uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

/* Wait up to ms for the card to consume through `want`; 1 when it did. */
static int consumed(const struct ica_queue *q, uint32_t want, int ms)
{
	int i;

	for (i = 0; i < ms; i++) {
		if (ld(&q->cmd_cons) == want)
			return 1;
		usleep(1000);
	}
	return ld(&q->cmd_cons) == want;
}

/* A raw host on the sim backend: claim a queue, publish NOPs and wake the
 * card either with an ivshmem kick only or with the doorbell register
 * only. register mode: the kick must not run the command, the register
 * must. ivshmem mode: the kick runs it at once; a register write alone is
 * found by the card's periodic pass (the emulated card's slack). */
static void t_doorbell(const char *mode)
{
	char uri[300], name[128];
	pid_t pid = card_start_db(mode, uri, sizeof(uri), mode);
	int reg = !strcmp(mode, "register");
	struct hl_dev *dev = NULL;
	const struct ica_id *id;
	const struct ica_ctrl *ctrl;
	struct ica_queue *q = NULL;
	struct ica_cmd *ring;
	const struct ica_cpl *cpl;
	volatile uint32_t *db;
	uint32_t i, prod, dbs0;
	int k;

	CHECK_ERR(hl_backend_sim.open(uri + 4, 2000, &dev), 0);
	if (!dev)
		goto out;
	id = (const struct ica_id *)(const void *)dev->bar;
	for (k = 0; k < 2000 && ld(&id->state) != ICA_STATE_READY; k++)
		usleep(1000);
	CHECK(id->state == ICA_STATE_READY && id->abi_major == ICA_ABI_MAJOR);
	CHECK(id->db_off == ICA_DB_OFF && id->db_stride == ICA_DB_STRIDE);
	ctrl = (const struct ica_ctrl *)(const void *)(dev->bar + id->ctrl_off);
	for (i = 0; i < id->num_queues && !q; i++) {
		struct ica_queue *c = (struct ica_queue *)(void *)(dev->bar + id->qtab_off) + i;
		uint64_t *own = (uint64_t *)(void *)&c->owner_tag, cur = 0;
		uint64_t mine = ((uint64_t)getpid() << 32) | ICA_TAG_MAKE(dev->peer_id, 1);

		if (__atomic_compare_exchange_n(own, &cur, mine, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			q = c;
	}
	CHECK(q != NULL);
	if (!q)
		goto out;
	i = (uint32_t)(q - (struct ica_queue *)(void *)(dev->bar + id->qtab_off));
	ring = (struct ica_cmd *)(void *)(dev->bar + id->qmem_off + i * id->qmem_stride +
					  id->qmem_cmd_off);
	cpl = (const struct ica_cpl *)(const void *)(dev->bar + id->qmem_off + i * id->qmem_stride +
						     id->qmem_cpl_off);
	db = (volatile uint32_t *)(void *)(dev->bar + id->db_off + i * id->db_stride);
	prod = ld(&q->cmd_prod);
	dbs0 = ld(&ctrl->doorbells);

	/* 1. published, then only the ivshmem kick */
	memset(&ring[prod % id->cmd_entries], 0, sizeof(*ring));
	ring[prod % id->cmd_entries].op = ICA_OP_NOP;
	ring[prod % id->cmd_entries].tag = 41;
	__atomic_store_n(&q->cmd_prod, prod + 1, __ATOMIC_RELEASE);
	CHECK_ERR(hl_backend_sim.doorbell(dev, id->doorbell_peer, ICA_VEC_DOORBELL), 0);
	if (reg) {
		usleep(100000);
		CHECK(ld(&q->cmd_cons) == prod);          /* not seen */
		CHECK(ld(&ctrl->doorbells) == dbs0);
		/* 2. the register alone, no kick */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		*db = prod + 1;
		CHECK(consumed(q, prod + 1, 2000));
		CHECK(ld(&ctrl->doorbells) == dbs0 + 1);
	} else {
		CHECK(consumed(q, prod + 1, 2000));
		/* 2. the register alone: the emulated card's periodic pass */
		memset(&ring[(prod + 1) % id->cmd_entries], 0, sizeof(*ring));
		ring[(prod + 1) % id->cmd_entries].op = ICA_OP_NOP;
		ring[(prod + 1) % id->cmd_entries].tag = 42;
		__atomic_store_n(&q->cmd_prod, prod + 2, __ATOMIC_RELEASE);
		*db = prod + 2;
		CHECK(consumed(q, prod + 2, 2000));
		CHECK(cpl[(prod + 1) % id->cpl_entries].tag == 42);
	}
	CHECK(cpl[prod % id->cpl_entries].tag == 41 && cpl[prod % id->cpl_entries].status == ICA_ST_OK);
out:
	if (dev)
		hl_backend_sim.close(dev);    /* the card frees the queue */
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	snprintf(name, sizeof(name), "%s", reg ?
		 "doorbell register mode: an ivshmem kick alone is ignored, the register write runs the command" :
		 "doorbell ivshmem mode: the kick runs the command; a register write alone is found by the 20 ms pass");
	report(name);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: test-hostlib-conn IPSECHA-CARD-SIM\n");
		return 2;
	}
	sim = argv[1];
	snprintf(dir, sizeof(dir), "/tmp/ipsecha-card-test-%d", (int)getpid());
	if (mkdir(dir, 0700) && errno != EEXIST) {
		perror(dir);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	t_card_stops();
	t_card_dies();
	t_card_freezes();
	t_not_a_card();
	t_private();
	t_doorbell("register");
	t_doorbell("ivshmem");
	rmdir(dir);
	printf("hostlib-conn: %u passed, %u failed\n", n_pass, n_fail);
	return n_fail ? 1 : 0;
}
