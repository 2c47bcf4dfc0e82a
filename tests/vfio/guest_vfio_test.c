/* guest_vfio_test.c — driver/vfio and the libipsecha vfio: backend against a
 * real kernel: runs as root inside the QEMU guest that tests/vfio/
 * run-guest.sh boots (Debian's kernel, intel-iommu, vfio-pci), statically
 * linked.
 *
 *   vfio-guest-test --dev BDF --plain BDF --small BDF [--mode legacy|cdev]
 *
 * --dev    ivshmem-doorbell attached to ipsecha-card-sim (the emulated card)
 * --plain  ivshmem-plain with 1 MiB of zeroes (no card behind it), and
 * --small  ivshmem-plain with 64 KiB, both behind one PCI bridge, so they
 *          share an IOMMU group (for the group-viability case)
 *
 * The program binds and unbinds drivers through sysfs itself, because the
 * states in between are what the error cases need. Output: one line per
 * case ("ok - name", "FAIL - name: why", "skip - name: why") and a last line
 * "vfio-guest: N passed, N failed, N skipped". */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hl_vfio.h"
#include "ipsecha.h"
#include "ipsecha_card_abi.h"
#include "ipsecha_vfio.h"
#include "vfio_card.h"

static int n_pass, n_fail, n_skip;
static const char *dev_bdf, *plain_bdf, *small_bdf;
static enum ipsecha_vfio_mode mode = IPSECHA_VFIO_MODE_LEGACY;
static char uri[96];

__attribute__((format(printf, 3, 4)))
static void result(const char *name, int ok, const char *fmt, ...)
{
	char why[400] = "";
	va_list ap;

	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(why, sizeof(why), fmt, ap);
		va_end(ap);
	}
	if (ok > 0) {
		n_pass++;
		printf("ok - %s%s%s\n", name, why[0] ? ": " : "", why);
	} else if (ok == 0) {
		n_fail++;
		printf("FAIL - %s: %s\n", name, why);
	} else {
		n_skip++;
		printf("skip - %s: %s\n", name, why);
	}
	fflush(stdout);
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* ---- sysfs binding ------------------------------------------------------- */

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) < 0)
		err = -errno;
	close(fd);
	return err;
}

static void driver_of(const char *bdf, char *out, size_t len)
{
	char path[128], t[256];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
	n = readlink(path, t, sizeof(t) - 1);
	if (n < 0) {
		snprintf(out, len, "none");
		return;
	}
	t[n] = 0;
	{
		const char *b = strrchr(t, '/') ? strrchr(t, '/') + 1 : t;
		size_t l = strlen(b) < len - 1 ? strlen(b) : len - 1;

		memcpy(out, b, l);
		out[l] = 0;
	}
}

static void unbind(const char *bdf)
{
	char path[128], drv[64];

	driver_of(bdf, drv, sizeof(drv));
	if (strcmp(drv, "none")) {
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver/unbind", bdf);
		write_file(path, bdf);
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", bdf);
	write_file(path, "\n");
}

/* Bind bdf to drv the way docs/vfio.md tells a bring-up engineer to. */
static int bind_to(const char *bdf, const char *drv)
{
	char path[128], now[64];

	driver_of(bdf, now, sizeof(now));
	if (!strcmp(now, drv))
		return 0;
	unbind(bdf);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", bdf);
	if (write_file(path, drv))
		return -EIO;
	write_file("/sys/bus/pci/drivers_probe", bdf);
	driver_of(bdf, now, sizeof(now));
	return strcmp(now, drv) ? -ENODEV : 0;
}

/* ---- helpers --------------------------------------------------------------- */

static int try_open(const char *bdf, enum ipsecha_vfio_mode m, unsigned irq, bool identity,
		    uint64_t min_bar, struct ipsecha_vfio **out, struct ipsecha_vfio_diag *d)
{
	IPSECHA_VFIO_OPTS(o, .mode = m, .irq_vectors = irq, .min_card_bar = min_bar,
			  .check_identity = identity ? ipsecha_vfio_check_card_identity : NULL);

	return ipsecha_vfio_open(bdf, &o, out, d);
}

/* Open must fail with `cause`, and the message must contain `needle`. */
static void expect_cause(const char *name, const char *bdf, enum ipsecha_vfio_mode m,
			 unsigned irq, bool identity, uint64_t min_bar,
			 enum ipsecha_vfio_cause cause, const char *needle)
{
	struct ipsecha_vfio *v = NULL;
	struct ipsecha_vfio_diag d;
	int r = try_open(bdf, m, irq, identity, min_bar, &v, &d);

	if (r == 0) {
		ipsecha_vfio_close(v);
		result(name, 0, "open succeeded, expected %s", ipsecha_vfio_cause_name(cause));
	} else if (d.cause != cause || (needle && !strstr(d.msg, needle))) {
		result(name, 0, "got %d %s \"%s\", expected %s with \"%s\"", r,
		       ipsecha_vfio_cause_name(d.cause), d.msg, ipsecha_vfio_cause_name(cause),
		       needle ? needle : "");
	} else {
		result(name, 1, "%s", d.msg);
	}
}

/* Sum of the interrupt counts of vfio MSI-X vector `vec` of bdf. */
static long msix_count(const char *bdf, int vec)
{
	char want[96], line[512];
	FILE *f = fopen("/proc/interrupts", "r");
	long total = -1;

	if (!f)
		return -1;
	snprintf(want, sizeof(want), "vfio-msix[%d](%s)", vec, bdf);
	while (fgets(line, sizeof(line), f)) {
		char *p, *end;

		if (!strstr(line, want))
			continue;
		total = 0;
		p = strchr(line, ':');
		for (p = p ? p + 1 : line;; p = end) {
			long v = strtol(p, &end, 10);

			if (end == p)
				break;
			total += v;
		}
	}
	fclose(f);
	return total;
}

static const struct ica_id *card_id(struct ipsecha_vfio *v)
{
	return (const struct ica_id *)(uintptr_t)ipsecha_vfio_card_bar(v, NULL);
}

/* ---- A. errors on the real kernel, with devices that have no card ------- */

static void errors_without_card(void)
{
	struct ipsecha_vfio *v;
	struct ipsecha_vfio_diag d;
	char who[64];
	int r;

	expect_cause("no such device", "0000:00:1e.7", mode, 0, false, 0,
		     IPSECHA_VFIO_E_NO_DEVICE, "no such PCI device");
	expect_cause("not a card (ICH9 SMBus)", "0000:00:1f.3", mode, 0, false, 0,
		     IPSECHA_VFIO_E_UNKNOWN_DEVICE, "8086:2930");

	unbind(plain_bdf);
	expect_cause("not bound to vfio-pci", plain_bdf, mode, 0, false, 0,
		     IPSECHA_VFIO_E_NOT_BOUND, "driver_override");

	if (bind_to(plain_bdf, "pci-stub"))
		result("bound to another driver", 0, "could not bind pci-stub");
	else
		expect_cause("bound to another driver", plain_bdf, mode, 0, false, 0,
			     IPSECHA_VFIO_E_OTHER_DRIVER, "pci-stub");

	/* A sibling in the IOMMU group on a DMA-owning host driver makes the
	 * group non-viable for the one we want. */
	if (bind_to(small_bdf, "uio_pci_generic") || bind_to(plain_bdf, "vfio-pci")) {
		result("IOMMU group not viable", 0, "binding uio_pci_generic / vfio-pci failed");
	} else {
		snprintf(who, sizeof(who), "%s is bound to uio_pci_generic", small_bdf);
		if (mode == IPSECHA_VFIO_MODE_CDEV)
			/* iommufd: the sibling keeps vfio-pci from binding at all */
			result("IOMMU group not viable", -1, "cdev: checked by the kernel at bind");
		else
			expect_cause("IOMMU group not viable", plain_bdf, mode, 0, false, 0,
				     IPSECHA_VFIO_E_GROUP_NOT_VIABLE, who);
	}
	unbind(small_bdf);
	if (bind_to(plain_bdf, "vfio-pci") || bind_to(small_bdf, "vfio-pci")) {
		result("ivshmem-plain bound to vfio-pci", 0, "bind failed");
		return;
	}
	expect_cause("identity block absent", plain_bdf, mode, 0, true, 0,
		     IPSECHA_VFIO_E_IDENTITY_ABSENT, "magic 0x00000000");
	expect_cause("no MSI-X (ivshmem-plain)", plain_bdf, mode, ICA_NUM_VECTORS, false, 0,
		     IPSECHA_VFIO_E_NO_MSIX, "offers 0 MSI-X vectors");
	expect_cause("card BAR too small", small_bdf, mode, 0, false, ICA_BAR_SIZE,
		     IPSECHA_VFIO_E_BAR_TOO_SMALL, "65536 bytes");

	/* The plain device opens without the card checks: write a pattern the
	 * host looks for in the backing file after the run. */
	r = try_open(plain_bdf, mode, 0, false, 0, &v, &d);
	if (r) {
		result("plain BAR write reaches host memory", 0, "%s", d.msg);
	} else {
		static const char pat[] = "ipsecha-vfio-guest-was-here";
		volatile char *bar = ipsecha_vfio_card_bar(v, NULL);

		for (size_t i = 0; i < sizeof(pat); i++)
			bar[0x100 + i] = pat[i];
		result("plain BAR write reaches host memory", 1, "host checks the pattern");
		ipsecha_vfio_close(v);
	}
}

/* ---- B. the emulated card through the VFIO library ------------------------ */

/* Open the card in a child process; returns the child's diag cause, or
 * 100+ for set-up failures / an unexpected success. */
static int child_open(bool drop_root)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		struct ipsecha_vfio *v;
		struct ipsecha_vfio_diag d;

		if (drop_root && (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
				  setresuid(65534, 65534, 65534)))
			_exit(100);
		if (try_open(dev_bdf, mode, ICA_NUM_VECTORS, true, 0, &v, &d) == 0)
			_exit(101);
		printf("   (child: %s)\n", d.msg);
		fflush(stdout);
		_exit(d.cause);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return 102;
	return WEXITSTATUS(status);
}

/* Ring our own vector `vec` through the Doorbell register and wait for the
 * MSI-X eventfd: the whole interrupt path (BAR0 write -> QEMU -> eventfd ->
 * MSI-X -> intel-iommu interrupt remapping -> vfio-pci -> our eventfd). */
static int self_ring(struct ipsecha_vfio *v, int self, unsigned vec, int timeout_ms)
{
	int64_t r;

	if (ipsecha_vfio_ivshmem_ring(v, (uint16_t)self, (uint16_t)vec))
		return -EIO;
	r = ipsecha_vfio_irq_wait(v, vec, timeout_ms);
	return r < 0 ? (int)r : 0;
}

static void card_through_vfio(void)
{
	struct ipsecha_vfio *v = NULL;
	struct ipsecha_vfio_diag d;
	const struct ipsecha_vfio_info *in;
	const struct ica_id *id;
	int self, r, c;

	if (bind_to(dev_bdf, "vfio-pci")) {
		result("bind the card to vfio-pci", 0, "driver_override + drivers_probe failed");
		return;
	}
	/* The kernel's own answer to the cdev interface, where it lacks it
	 * (6.1 has /sys/class/vfio-dev but neither /dev/iommu nor the cdev). */
	if (mode == IPSECHA_VFIO_MODE_LEGACY &&
	    (access("/dev/iommu", F_OK) || access("/dev/vfio/devices", F_OK)))
		expect_cause("cdev forced on a kernel without it", dev_bdf, IPSECHA_VFIO_MODE_CDEV,
			     ICA_NUM_VECTORS, true, 0, IPSECHA_VFIO_E_NO_CDEV, NULL);
	r = try_open(dev_bdf, mode, ICA_NUM_VECTORS, true, 0, &v, &d);
	if (r) {
		result("open the emulated card", 0, "%s", d.msg);
		return;
	}
	in = ipsecha_vfio_get_info(v);
	id = card_id(v);
	result("open the emulated card", in->mode == mode && in->vendor == 0x1af4 &&
	       in->device == 0x1110 && in->card_bar_size == ICA_BAR_SIZE &&
	       in->msix_vectors >= ICA_NUM_VECTORS && in->regs_bar_size >= 16,
	       "%s mode, %s, IOMMU group %d, BAR2 %llu bytes, %u MSI-X vectors, reset %s",
	       ipsecha_vfio_mode_name(in->mode), in->path, in->iommu_group,
	       (unsigned long long)in->card_bar_size, in->msix_vectors,
	       in->can_reset ? "yes" : "no");
	result("identity block through the BAR mapping",
	       id->magic == ICA_MAGIC && id->abi_major == ICA_ABI_MAJOR &&
	       id->state == ICA_STATE_READY, "magic %08x ABI %u.%u state %u doorbell peer %u",
	       id->magic, id->abi_major, id->abi_minor, id->state, id->doorbell_peer);
	{
		uint8_t cmd[2];

		ipsecha_vfio_config_read(v, 4, cmd, 2);
		result("bus mastering enabled", (cmd[0] & 0x6) == 0x6, "PCI command %02x%02x",
		       cmd[1], cmd[0]);
	}

	c = child_open(false);
	result("second process: device busy", c == IPSECHA_VFIO_E_BUSY, "child cause %s (%d)",
	       ipsecha_vfio_cause_name((enum ipsecha_vfio_cause)c), c);
	c = child_open(true);
	result("unprivileged process: permission denied", c == IPSECHA_VFIO_E_PERM,
	       "child cause %s (%d)", ipsecha_vfio_cause_name((enum ipsecha_vfio_cause)c), c);

	/* Interrupts: both vectors, each alone. */
	self = ipsecha_vfio_ivshmem_position(v);
	if (self < 0 || ipsecha_vfio_irq_enable(v, ICA_NUM_VECTORS)) {
		result("MSI-X vectors to eventfds", 0, "IVPosition %d / irq_enable failed", self);
	} else {
		for (unsigned vec = 0; vec < ICA_NUM_VECTORS; vec++) {
			char name[64];
			int other = ipsecha_vfio_irq_wait(v, vec ^ 1, 0) == -ETIMEDOUT;

			snprintf(name, sizeof(name), "MSI-X vector %u wakes its eventfd", vec);
			r = self_ring(v, self, vec, 2000);
			other = other && ipsecha_vfio_irq_wait(v, vec ^ 1, 50) == -ETIMEDOUT;
			result(name, !r && other, "%s%s", r ? strerror(-r) : "woke",
			       other ? "" : ", and the other vector fired too");
		}
		{
			const int n = 200;
			double t0 = now_us();
			int bad = 0;

			for (int i = 0; i < n; i++)
				bad += self_ring(v, self, 0, 2000) != 0;
			result("MSI-X self round trip", !bad, "%.1f us per doorbell->interrupt "
			       "round trip (%d rounds, TCG)", (now_us() - t0) / n, n);
		}
	}

	/* Guest -> card doorbell. The card's firmware idles between poll passes
	 * (ctrl.heartbeat counts them) and a doorbell starts one at once: ring
	 * every millisecond and its pass rate must rise well above idle. */
	{
		const volatile struct ica_ctrl *ctrl =
			(const volatile void *)((const char *)id + id->ctrl_off);
		uint32_t h0, h1, h2, d0, d1, rung = 0;
		double t0, idle_rate, ring_rate;

		d0 = ctrl->doorbells;
		h0 = ctrl->heartbeat;
		t0 = now_us();
		usleep(200000);
		h1 = ctrl->heartbeat;
		idle_rate = (h1 - h0) / ((now_us() - t0) / 1e6);
		t0 = now_us();
		while (now_us() - t0 < 200000) {
			ipsecha_vfio_ivshmem_ring(v, (uint16_t)id->doorbell_peer, ICA_VEC_DOORBELL);
			rung++;
			usleep(1000);
		}
		h2 = ctrl->heartbeat;
		ring_rate = (h2 - h1) / ((now_us() - t0) / 1e6);
		usleep(20000);
		d1 = ctrl->doorbells;
		/* The card counts wake-ups: several doorbells rung while it is
		 * busy make one, so expect some, not all. */
		result("doorbell wakes the card", ring_rate > 3 * idle_rate + 50 && d1 - d0 > 0 &&
		       d1 - d0 <= rung, "firmware poll passes %.0f/s idle, %.0f/s with %u doorbells "
		       "in 0.2 s; the card counted %u doorbell wake-ups", idle_rate, ring_rate, rung,
		       d1 - d0);
	}

	/* DMA mapping through the IOMMU. */
	{
		size_t len = 64 * 1024;
		void *buf = mmap(NULL, 2 * len, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		uint64_t a = 0, b = 0;
		int e1 = buf == MAP_FAILED ? -ENOMEM : ipsecha_vfio_dma_map(v, buf, len, &a);
		int e2 = e1 ? e1 : ipsecha_vfio_dma_map(v, (char *)buf + len, len, &b);
		int e3 = e2 ? e2 : ipsecha_vfio_dma_unmap(v, a, len);
		int e4 = e3 ? e3 : ipsecha_vfio_dma_unmap(v, a, len) == -ENOENT ? 0 : -EINVAL;

		result("DMA map/unmap through the IOMMU", !e4 && (a + len <= b || b + len <= a),
		       "iova %#llx and %#llx (%s)", (unsigned long long)a, (unsigned long long)b,
		       e4 ? strerror(-e4) : "ok");
		if (buf != MAP_FAILED)
			munmap(buf, 2 * len);
	}

	/* Reset: the card window survives (it is the card's memory), bus
	 * mastering is restored and interrupts still arrive. */
	if (!in->can_reset) {
		result("device reset", -1, "the device offers no reset method");
	} else {
		uint8_t cmd[2] = { 0, 0 };

		r = ipsecha_vfio_reset(v);
		ipsecha_vfio_config_read(v, 4, cmd, 2);
		result("device reset", !r && (cmd[0] & 0x6) == 0x6 && id->magic == ICA_MAGIC &&
		       (self < 0 || self_ring(v, self, 1, 2000) == 0),
		       "%s; command %02x; identity %s; interrupt after reset", r ? strerror(-r) : "ok",
		       cmd[0], id->magic == ICA_MAGIC ? "intact" : "lost");
	}
	/* A forked child that closes its inherited copy leaves ours working. */
	if (self >= 0) {
		pid_t pid = fork();
		int status = 0;

		if (pid == 0) {
			ipsecha_vfio_close(v);
			_exit(0);
		}
		waitpid(pid, &status, 0);
		result("a forked child's close leaves the device to its opener",
		       WIFEXITED(status) && self_ring(v, self, 0, 2000) == 0,
		       "interrupt still delivered after the child closed");
	}
	ipsecha_vfio_close(v);

	/* Close gives everything back: open/close again. */
	{
		int bad = 0;

		for (int i = 0; i < 3; i++) {
			if (try_open(dev_bdf, mode, ICA_NUM_VECTORS, true, 0, &v, &d)) {
				bad++;
				break;
			}
			ipsecha_vfio_close(v);
		}
		result("close releases the device (3 reopens)", !bad, "%s", bad ? d.msg : "ok");
	}
}

/* ---- C. libipsecha through the vfio: backend ------------------------------- */

static void libipsecha_through_vfio(void)
{
	struct ipsecha *h = NULL;
	struct ipsecha_info info;
	int r;

	setenv("IPSECHA_VFIO_QUIET", "1", 1);
	r = ipsecha_open(uri, NULL, &h);
	if (r) {
		result("ipsecha_open over vfio", 0, "%s: %s (%s)", uri, ipsecha_strerror(r),
		       ipsecha_vfio_backend_diag()->msg);
		return;
	}
	r = ipsecha_identify(h, &info);
	result("ipsecha_open + identify over vfio", !r && !strcmp(info.backend, "vfio") &&
	       info.abi_major == ICA_ABI_MAJOR, "%s: backend %s, queue %u, peer %u, epoch %llu",
	       uri, info.backend, info.queue, info.peer_id, (unsigned long long)info.epoch);

	/* Event interrupt: cross a soft limit, the event fd polls readable. */
	{
		struct ipsecha_sa sa = { .group = 7, .soft_limit = 5 };
		struct ipsecha_event ev[8];
		struct pollfd p = { .fd = ipsecha_event_fd(h), .events = POLLIN };
		long before = msix_count(dev_bdf, ICA_VEC_EVENT), after;
		size_t n = 0;
		uint32_t ok = 0;
		int got = 0, pr;

		ipsecha_event_drain(h, ev, 8, &n, NULL); /* start from now */
		ipsecha_slot_remove(h, 77, NULL);
		r = ipsecha_slot_install(h, 77, &sa, NULL);
		if (!r)
			r = ipsecha_dp_tx(h, 77, 6, NULL, &ok);
		pr = poll(&p, 1, 3000);
		if (!r && pr == 1)
			r = ipsecha_event_drain(h, ev, 8, &n, NULL);
		for (size_t i = 0; !r && pr == 1 && i < n; i++)
			got |= ev[i].type == IPSECHA_EV_SOFT_LIMIT && ev[i].index == 77;
		after = msix_count(dev_bdf, ICA_VEC_EVENT);
		result("event interrupt wakes the event fd (MSI-X 1)", !r && got && after > before,
		       "%s; poll %d; %ld interrupts; soft-limit event %s", r ? ipsecha_strerror(r) : "ok",
		       pr, after - before, got ? "drained" : "missing");
		ipsecha_slot_remove(h, 77, NULL);
	}

	/* Round-trip latency of one command through VFIO (informative). */
	{
		struct ipsecha_batch *b = ipsecha_batch_new(h);
		const int n = 300;
		double t0, best = 1e18, sum = 0;
		int bad = 0;

		for (int i = 0; b && i < n; i++) {
			ipsecha_batch_reset(b);
			ipsecha_batch_nop(b);
			usleep(500); /* let the card go idle: the full doorbell path */
			t0 = now_us();
			bad += ipsecha_batch_submit(b) != 0;
			t0 = now_us() - t0;
			sum += t0;
			best = t0 < best ? t0 : best;
		}
		result("command round trip over vfio", b && !bad, "latency vfio_rtt_us=%.1f min=%.1f "
		       "(%d NOPs, guest under TCG)", sum / n, best, n);
		printf("latency: vfio_rtt_us=%.1f vfio_rtt_min_us=%.1f\n", sum / n, best);
		ipsecha_batch_free(b);
	}

	/* Handles of one process share the device (VFIO gives a group to one
	 * process); each still gets its own command queue on the card. */
	{
		struct ipsecha *h2 = NULL;
		struct ipsecha_info i2;

		r = ipsecha_open(uri, NULL, &h2);
		if (!r)
			r = ipsecha_identify(h2, &i2);
		result("second handle in the same process", !r && i2.queue != info.queue &&
		       !ipsecha_identify(h, &info), "queues %u and %u", info.queue, r ? 0 : i2.queue);
		ipsecha_close(h2);
	}
	/* Another program is refused while we hold it: -EBUSY, saying why. */
	{
		pid_t pid = fork();
		int status = 0;

		if (pid == 0) {
			int fd = open("/tmp/busy.out", O_WRONLY | O_CREAT | O_TRUNC, 0600);

			dup2(fd, 1);
			dup2(fd, 2);
			unsetenv("IPSECHA_VFIO_QUIET");
			execlp("ipsecha-vfio-rtt", "ipsecha-vfio-rtt", uri, "10", (char *)NULL);
			_exit(127);
		}
		waitpid(pid, &status, 0);
		{
			char out[512] = "";
			int fd = open("/tmp/busy.out", O_RDONLY);
			ssize_t n = fd >= 0 ? read(fd, out, sizeof(out) - 1) : 0;

			if (fd >= 0)
				close(fd);
			out[n > 0 ? n : 0] = 0;
			out[strcspn(out, "\n")] = 0;
			result("another process is refused while we hold the card",
			       WIFEXITED(status) && WEXITSTATUS(status) != 0 && strstr(out, "already open"),
			       "%s", out);
		}
	}
	/* Completion interrupts, deterministically: a handle that does not
	 * spin sleeps on the completion vector for every command. */
	{
		IPSECHA_OPTS(ipsecha_open_opts, o, .spin_us = 1);
		struct ipsecha *h3 = NULL;
		long before = msix_count(dev_bdf, ICA_VEC_COMPLETION), after;
		int bad = 0;

		r = ipsecha_open(uri, &o, &h3);
		for (int i = 0; !r && i < 20; i++)
			bad += ipsecha_identify(h3, &info) != 0;
		after = msix_count(dev_bdf, ICA_VEC_COMPLETION);
		result("completion interrupts wake a sleeping handle (MSI-X 0)",
		       !r && !bad && after - before >= 10, "%ld interrupts for 20 commands", after - before);
		ipsecha_close(h3);
	}
	ipsecha_close(h);

	/* Errors surface through libipsecha with the documented errno. */
	r = ipsecha_open("vfio:0000:00:1f.3", NULL, &h);
	result("libipsecha: not a card -> -ENODEV", r == -ENODEV &&
	       ipsecha_vfio_backend_diag()->cause == IPSECHA_VFIO_E_UNKNOWN_DEVICE, "%s",
	       ipsecha_vfio_backend_diag()->msg);
	if (!r)
		ipsecha_close(h);
	{
		char u[64];

		snprintf(u, sizeof(u), "vfio:%s", plain_bdf);
		r = ipsecha_open(u, NULL, &h);
		result("libipsecha: no card behind the device -> -ENODEV", r == -ENODEV,
		       "%s", ipsecha_vfio_backend_diag()->msg);
		if (!r)
			ipsecha_close(h);
	}
	{
		IPSECHA_OPTS(ipsecha_open_opts, o, .host_abi_major = ICA_ABI_MAJOR + 1);

		r = ipsecha_open(uri, &o, &h);
		result("libipsecha: ABI major mismatch refused -> -EPROTO", r == -EPROTO, "%s",
		       ipsecha_strerror(r));
		if (!r)
			ipsecha_close(h);
	}
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "dev", required_argument, 0, 'd' }, { "plain", required_argument, 0, 'p' },
		{ "small", required_argument, 0, 's' }, { "mode", required_argument, 0, 'm' },
		{ 0, 0, 0, 0 },
	};
	int c;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((c = getopt_long(argc, argv, "d:p:s:m:", lo, NULL)) != -1) {
		switch (c) {
		case 'd': dev_bdf = optarg; break;
		case 'p': plain_bdf = optarg; break;
		case 's': small_bdf = optarg; break;
		case 'm':
			if (ipsecha_vfio_mode_parse(optarg, &mode) || mode == IPSECHA_VFIO_MODE_AUTO) {
				fprintf(stderr, "--mode legacy|cdev\n");
				return 2;
			}
			break;
		default:
			return 2;
		}
	}
	if (!dev_bdf || !plain_bdf || !small_bdf) {
		fprintf(stderr, "usage: vfio-guest-test --dev BDF --plain BDF --small BDF "
			"[--mode legacy|cdev]\n");
		return 2;
	}
	snprintf(uri, sizeof(uri), "vfio:%s?mode=%s", dev_bdf, ipsecha_vfio_mode_name(mode));
	printf("# driver/vfio on a real kernel: %s mode\n", ipsecha_vfio_mode_name(mode));
	errors_without_card();
	card_through_vfio();
	libipsecha_through_vfio();
	printf("vfio-guest: %d passed, %d failed, %d skipped\n", n_pass, n_fail, n_skip);
	return n_fail ? 1 : 0;
}
