/* test_xdp_unit.c — the loader library's pure parts, no kernel needed:
 * argument checking (nothing is touched before every argument passed),
 * options-struct compatibility, names, pin paths, policies, ABI layout.
 * Runs unprivileged and under ASan/UBSan. Table-driven; one line per case. */
#include <errno.h>
#include <linux/bpf.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "ipsecha_xdp.h"
#include "xdp_internal.h"

static int passed, failed;

static void expect(const char *name, int ok)
{
	printf("%s %s\n", ok ? "ok  " : "FAIL", name);
	if (ok)
		passed++;
	else
		failed++;
}

/* ABI: the layouts the BPF program and the loader share. */
_Static_assert(sizeof(struct ipsecha_xdp_sa) == 8, "SA value: one 64-bit load");
_Static_assert(offsetof(struct ipsecha_xdp_sa, spi) == 0, "SPI first");
_Static_assert(sizeof(struct ipsecha_xdp_meta) == IPSECHA_XDP_META_LEN, "meta length");
_Static_assert(IPSECHA_XDP_META_LEN % 4 == 0 && IPSECHA_XDP_META_LEN <= 32,
	       "XDP metadata: multiple of 4, at most 32 bytes");
_Static_assert(sizeof(struct ipsecha_xdp_config) == 40, "config layout");
_Static_assert(offsetof(struct ipsecha_xdp_config, meta) == 36, "config: meta after sa_shift");
_Static_assert(sizeof(struct ipsecha_xdp_counters) ==
	       8 * IPSECHA_XDP_R_COUNT * IPSECHA_XDP_ACTIONS, "counters are u64s");
_Static_assert(XDP_REDIRECT == IPSECHA_XDP_ACTIONS - 1, "an action slot for every XDP action");
_Static_assert(IPSECHA_XDP_MAX_GROUPS <= 65536 && IPSECHA_XDP_MAX_SLOTS <= 65536,
	       "ids fit the SA value's 16-bit fields");

static void names(void)
{
	int ok = 1;

	for (unsigned int i = 0; i < IPSECHA_XDP_V_COUNT; i++)
		ok &= ipsecha_xdp_verdict_name(i) != NULL;
	for (unsigned int i = 0; i < IPSECHA_XDP_R_COUNT; i++) {
		const char *n = ipsecha_xdp_reason_name(i);

		ok &= n != NULL && strlen(n) > 0;
		for (unsigned int j = 0; n && j < i; j++)
			ok &= strcmp(n, ipsecha_xdp_reason_name(j)) != 0;
	}
	expect("every verdict and reason has a distinct name", ok);
	expect("names out of range are NULL",
	       !ipsecha_xdp_verdict_name(IPSECHA_XDP_V_COUNT) &&
	       !ipsecha_xdp_reason_name(IPSECHA_XDP_R_COUNT) && !ipsecha_xdp_mode_name(0) &&
	       !strcmp(ipsecha_xdp_mode_name(IPSECHA_XDP_MODE_GENERIC), "generic"));
	{
		static const int errs[] = { -EINVAL, -ERANGE, -ENODEV, -ENOENT, -EEXIST, -EBUSY,
					    -EMEDIUMTYPE, -EPERM, -EACCES, -EOPNOTSUPP, -EPROTO,
					    -ENOSPC };

		ok = 1;
		for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
			ok &= strcmp(ipsecha_xdp_strerror(errs[i]), strerror(-errs[i])) != 0;
		expect("every documented error has its own explanation", ok);
	}
}

static void ifnames(void)
{
	static const struct { const char *name; int valid; } t[] = {
		{ "eth0", 1 }, { "ipsx-g0", 1 }, { "eth0.100", 1 }, { "a", 1 },
		{ "abcdefghijklmno", 1 },      /* 15 */
		{ "abcdefghijklmnop", 0 },     /* 16 */
		{ "", 0 }, { ".", 0 }, { "..", 0 }, { "a/b", 0 }, { "../x", 0 }, { "a:b", 0 },
		{ "a b", 0 }, { "eth%d", 0 }, { "tab\there", 0 },
	};
	int ok = !ipsecha_xdp_ifname_valid(NULL);

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (ipsecha_xdp_ifname_valid(t[i].name) != t[i].valid) {
			printf("    ifname '%s'\n", t[i].name);
			ok = 0;
		}
	expect("interface names: what the kernel allows, nothing that escapes the pin root", ok);
}

static void paths(void)
{
	char buf[64];
	int ok;

	ok = ipsecha_xdp__path(buf, sizeof(buf), "/sys/fs/bpf/ipsecha", "eth0.100", "sa") == 0 &&
	     !strcmp(buf, "/sys/fs/bpf/ipsecha/eth0:100/sa");
	expect("pin path: '.' spelled ':' (bpffs refuses dots)", ok);
	ok = ipsecha_xdp__path(buf, sizeof(buf), "/sys/fs/bpf/ipsecha", "ipsx-g0", NULL) == 0 &&
	     !strcmp(buf, "/sys/fs/bpf/ipsecha/ipsx-g0");
	expect("pin path of the directory", ok);
	ok = ipsecha_xdp__path(buf, 20, "/sys/fs/bpf/ipsecha", "ipsx-g0", "sa") == -ENAMETOOLONG;
	expect("pin path too long: -ENAMETOOLONG", ok);
	ok = ipsecha_xdp_pin_dir(buf, sizeof(buf), NULL, "eth0.100") == 0 &&
	     !strcmp(buf, IPSECHA_XDP_PIN_ROOT "/eth0:100") &&
	     ipsecha_xdp_pin_dir(buf, sizeof(buf), "/x", "a.b") == 0 && !strcmp(buf, "/x/a:b") &&
	     ipsecha_xdp_pin_dir(buf, sizeof(buf), NULL, "a/b") == -EINVAL &&
	     ipsecha_xdp_pin_dir(NULL, 8, NULL, "eth0") == -EINVAL &&
	     ipsecha_xdp_pin_dir(buf, 8, NULL, "eth0") == -ENAMETOOLONG;
	expect("public pin directory (what the CLI prints): default root, '.' as ':', errors", ok);
}

struct attach_opts_v2 {          /* a newer caller's bigger options struct */
	struct ipsecha_xdp_attach_opts v1;
	unsigned long future;
};

static void opts(void)
{
	struct attach_opts_v2 big;
	struct { size_t sz; const char *pin_root; } old = { sizeof(old), "relative" };

	memset(&big, 0, sizeof(big));
	big.v1.sz = sizeof(big);
	expect("options: bigger struct with a zero tail is valid",
	       ipsecha_xdp__opts_valid(&big, sizeof(big.v1)));
	big.future = 1;
	expect("options: bigger struct with a non-zero tail is refused",
	       !ipsecha_xdp__opts_valid(&big, sizeof(big.v1)) &&
	       ipsecha_xdp_attach("ipsx-u0", (void *)&big) == -EINVAL);
	/* An older, shorter struct: fields past its size read as defaults,
	 * the field it has is used (here: a relative pin root, refused). */
	expect("options: shorter (older) struct uses the fields it has",
	       ipsecha_xdp_attach("ipsx-u0", (void *)&old) == -EINVAL);
	{
		size_t tiny = 2;

		expect("options: sz smaller than the sz field is refused",
		       !ipsecha_xdp__opts_valid(&tiny, sizeof(tiny)));
	}
}

/* Every bad argument is refused before any system call: these run without
 * privilege and without the interface existing. */
static void attach_args(void)
{
	struct ipsecha_xdp_policy bad_pol;
	int ok = 1;

	ipsecha_xdp_policy_default(&bad_pol, true);
	bad_pol.keepalive = 9;
	{
		IPSECHA_XDP_OPTS(ipsecha_xdp_attach_opts, o, .mode = 3);
		ok &= ipsecha_xdp_attach("ipsx-u0", &o) == -EINVAL;
	}
	{
		IPSECHA_XDP_OPTS(ipsecha_xdp_attach_opts, o, .num_groups = IPSECHA_XDP_MAX_GROUPS + 1);
		ok &= ipsecha_xdp_attach("ipsx-u0", &o) == -EINVAL;
	}
	{
		IPSECHA_XDP_OPTS(ipsecha_xdp_attach_opts, o, .num_slots = IPSECHA_XDP_MAX_SLOTS + 1);
		ok &= ipsecha_xdp_attach("ipsx-u0", &o) == -EINVAL;
	}
	{
		IPSECHA_XDP_OPTS(ipsecha_xdp_attach_opts, o, .max_sas = IPSECHA_XDP_MAX_SAS + 1);
		ok &= ipsecha_xdp_attach("ipsx-u0", &o) == -EINVAL;
	}
	{
		IPSECHA_XDP_OPTS(ipsecha_xdp_attach_opts, o, .xsk = true,
				 .xsk_queue = IPSECHA_XDP_XSK_QUEUES);
		ok &= ipsecha_xdp_attach("ipsx-u0", &o) == -ERANGE;
	}
	{
		IPSECHA_XDP_OPTS(ipsecha_xdp_attach_opts, o, .policy = &bad_pol);
		ok &= ipsecha_xdp_attach("ipsx-u0", &o) == -EINVAL;
	}
	ok &= ipsecha_xdp_attach(NULL, NULL) == -EINVAL;
	ok &= ipsecha_xdp_attach("far-too-long-ifname", NULL) == -EINVAL;
	ok &= ipsecha_xdp_attach("..", NULL) == -EINVAL;
	/* Valid arguments, missing interface: -ENODEV, still before bpffs. */
	ok &= ipsecha_xdp_attach("ipsx-nosuch9", NULL) == -ENODEV;
	ok &= ipsecha_xdp_detach(NULL, NULL) == -EINVAL;
	expect("attach/detach refuse bad arguments before touching anything", ok);
}

static void null_handle(void)
{
	struct ipsecha_xdp_policy pol;
	struct ipsecha_xdp_stats st;
	struct ipsecha_xdp_info info;
	struct ipsecha_xdp *h;
	uint32_t u;
	uint64_t d;
	size_t n;
	int ok = 1;

	ipsecha_xdp_policy_default(&pol, true);
	ipsecha_xdp_close(NULL);
	ok &= ipsecha_xdp_open("ipsx-u0", NULL, NULL) == -EINVAL;
	h = NULL;
	ok &= ipsecha_xdp_open("a/b", NULL, &h) == -EINVAL && h == NULL;
	ok &= ipsecha_xdp_sa_add(NULL, 0x1000, 1, 1, 0) == -EINVAL;
	ok &= ipsecha_xdp_sa_del(NULL, 0x1000) == -EINVAL;
	ok &= ipsecha_xdp_sa_get(NULL, 0x1000, &u, &u) == -EINVAL;
	ok &= ipsecha_xdp_sa_list(NULL, NULL, 0, &n) == -EINVAL;
	ok &= ipsecha_xdp_group_hold(NULL, 1) == -EINVAL;
	ok &= ipsecha_xdp_group_release(NULL, 1) == -EINVAL;
	ok &= ipsecha_xdp_group_state(NULL, 1, &u) == -EINVAL;
	ok &= ipsecha_xdp_group_drops(NULL, 1, &d) == -EINVAL;
	ok &= ipsecha_xdp_policy_get(NULL, &pol) == -EINVAL;
	ok &= ipsecha_xdp_policy_set(NULL, &pol) == -EINVAL;
	ok &= ipsecha_xdp_stats(NULL, &st) == -EINVAL;
	ok &= ipsecha_xdp_info(NULL, &info) == -EINVAL;
	ok &= ipsecha_xdp_xsk_set(NULL, 0, 3) == -EINVAL;
	ok &= ipsecha_xdp_xsk_clear(NULL, 0) == -EINVAL;
	ok &= ipsecha_xdp_prog_fd(NULL) == -EINVAL;
	ok &= ipsecha_xdp_sync(NULL) == -EINVAL;
	expect("every handle call refuses a NULL handle; close(NULL) is a no-op", ok);
}

static void policies(void)
{
	static const struct { const char *name; struct ipsecha_xdp_policy p; int err; } t[] = {
		{ "default", { 1, 0, 1, 500, 4500, 0 }, 0 },
		{ "esp pass, unknown pass, keepalive drop", { 0, 1, 0, 500, 4500, 0 }, 0 },
		{ "custom ports", { 1, 0, 1, 1500, 14500, 0 }, 0 },
		{ "esp_action 2", { 2, 0, 1, 500, 4500, 0 }, -EINVAL },
		{ "unknown_spi 2", { 1, 2, 1, 500, 4500, 0 }, -EINVAL },
		{ "keepalive 2", { 1, 0, 2, 500, 4500, 0 }, -EINVAL },
		{ "ike port 0", { 1, 0, 1, 0, 4500, 0 }, -EINVAL },
		{ "nat-t port 0", { 1, 0, 1, 500, 0, 0 }, -EINVAL },
		{ "equal ports", { 1, 0, 1, 4500, 4500, 0 }, -EINVAL },
		{ "metadata on", { 1, 0, 1, 500, 4500, 1 }, 0 },
		{ "meta 2", { 1, 0, 1, 500, 4500, 2 }, -EINVAL },
	};
	struct ipsecha_xdp_policy d;
	int ok = ipsecha_xdp__policy_check(NULL) == -EINVAL;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (ipsecha_xdp__policy_check(&t[i].p) != t[i].err) {
			printf("    policy '%s'\n", t[i].name);
			ok = 0;
		}
	ipsecha_xdp_policy_default(&d, false);
	ok &= d.esp_action == IPSECHA_XDP_ESP_PASS && d.unknown_spi == IPSECHA_XDP_ACT_DROP &&
	      d.keepalive == IPSECHA_XDP_ACT_PASS && d.ike_port == 500 && d.natt_port == 4500 &&
	      d.meta == 0;
	ipsecha_xdp_policy_default(&d, true);
	ok &= d.esp_action == IPSECHA_XDP_ESP_REDIRECT;
	ipsecha_xdp_policy_default(NULL, true);
	expect("policy validation table and defaults (RFC 7296 port 500, RFC 3948 port 4500, "
	       "no metadata)", ok);
}

static void bpffs(void)
{
	expect("bpffs check: /tmp is not a bpffs", ipsecha_xdp_bpffs_check("/tmp") == -EMEDIUMTYPE);
	expect("bpffs check: a missing path is judged by its nearest parent",
	       ipsecha_xdp_bpffs_check("/nonexistent-ipsx/a/b") == -EMEDIUMTYPE);
	expect("bpffs check: NULL and empty refused",
	       ipsecha_xdp_bpffs_check(NULL) == -EINVAL && ipsecha_xdp_bpffs_check("") == -EINVAL);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	names();
	ifnames();
	paths();
	opts();
	attach_args();
	null_handle();
	policies();
	bpffs();
	printf("xdp-unit: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
