/* xdp_util.c — names, error texts and small checks of the loader library. */
#include "xdp_internal.h"

#include <errno.h>
#include <linux/membarrier.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>

const char *const ipsecha_xdp__pins[] = {
	IPSX_PIN_LINK, IPSX_PIN_PROG, IPSX_PIN_SA, IPSX_PIN_GROUPS, IPSX_PIN_CONFIG,
	IPSX_PIN_CFGSEL, IPSX_PIN_STATS, IPSX_PIN_GDROPS, IPSX_PIN_XSKS, NULL
};

static const char *const verdict_names[IPSECHA_XDP_V_COUNT] = {
	[IPSECHA_XDP_V_PASS] = "pass",
	[IPSECHA_XDP_V_DROP] = "drop",
	[IPSECHA_XDP_V_REDIRECT] = "redirect",
};

static const char *const reason_names[IPSECHA_XDP_R_COUNT] = {
	[IPSECHA_XDP_R_NON_IP] = "non_ip",
	[IPSECHA_XDP_R_NOT_IPSEC] = "not_ipsec",
	[IPSECHA_XDP_R_IKE] = "ike",
	[IPSECHA_XDP_R_IKE_NATT] = "ike_natt",
	[IPSECHA_XDP_R_KEEPALIVE] = "natt_keepalive",
	[IPSECHA_XDP_R_ESP_REDIRECT] = "esp_redirect",
	[IPSECHA_XDP_R_ESP_PASS] = "esp_pass",
	[IPSECHA_XDP_R_ESP_HOLD] = "esp_hold",
	[IPSECHA_XDP_R_ESP_UNKNOWN] = "esp_unknown_spi",
	[IPSECHA_XDP_R_ESP_NO_XSK] = "esp_no_xsk",
	[IPSECHA_XDP_R_ESP_NO_META] = "esp_no_meta",
	[IPSECHA_XDP_R_ESP_BAD_GROUP] = "esp_bad_group",
	[IPSECHA_XDP_R_ESP_FRAGMENT] = "esp_fragment",
	[IPSECHA_XDP_R_FRAGMENT] = "fragment",
	[IPSECHA_XDP_R_MALFORMED_L2] = "malformed_l2",
	[IPSECHA_XDP_R_MALFORMED_IP] = "malformed_ip",
	[IPSECHA_XDP_R_MALFORMED_UDP] = "malformed_udp",
	[IPSECHA_XDP_R_MALFORMED_ESP] = "malformed_esp",
	[IPSECHA_XDP_R_IP6_EXT_LIMIT] = "ip6_ext_limit",
	[IPSECHA_XDP_R_IP6_ROUTED] = "ip6_routed",
};

const char *ipsecha_xdp_verdict_name(unsigned int verdict)
{
	return verdict < IPSECHA_XDP_V_COUNT ? verdict_names[verdict] : NULL;
}

const char *ipsecha_xdp_reason_name(unsigned int reason)
{
	return reason < IPSECHA_XDP_R_COUNT ? reason_names[reason] : NULL;
}

const char *ipsecha_xdp_mode_name(unsigned int mode)
{
	switch (mode) {
	case IPSECHA_XDP_MODE_NATIVE: return "native";
	case IPSECHA_XDP_MODE_GENERIC: return "generic";
	default: return NULL;
	}
}

const char *ipsecha_xdp_strerror(int err)
{
	switch (err) {
	case 0: return "success";
	case -EINVAL: return "invalid argument";
	case -ERANGE: return "value beyond the limits set at attach";
	case -ENODEV: return "no such interface";
	case -ENOENT: return "not found (not attached, or no such SA)";
	case -EEXIST: return "already exists (ipsecha attached, or SA present)";
	case -EBUSY: return "another XDP program is attached to the interface";
	case -EMEDIUMTYPE: return "bpffs is not mounted at the pin root "
				  "(mount -t bpf bpf " IPSECHA_XDP_BPFFS ")";
	case -EPERM:
	case -EACCES: return "insufficient privilege (needs root: CAP_BPF, CAP_NET_ADMIN)";
	case -EOPNOTSUPP: return "not supported by the driver (try generic mode)";
	case -EPROTO: return "pins belong to another version of the program";
	case -ENOSPC: return "SA map full";
	case -ENAMETOOLONG: return "path too long";
	default: return strerror(-err);
	}
}

bool ipsecha_xdp__opts_valid(const void *opts, size_t known)
{
	const unsigned char *p = opts;
	size_t sz;

	if (!opts)
		return true;
	memcpy(&sz, opts, sizeof(sz));
	if (sz < sizeof(size_t))
		return false;
	for (size_t i = known; i < sz; i++)
		if (p[i])
			return false;
	return true;
}

bool ipsecha_xdp_ifname_valid(const char *ifname)
{
	size_t n;

	if (!ifname)
		return false;
	n = strnlen(ifname, 16);
	if (n == 0 || n > 15)
		return false;
	/* What the kernel's dev_valid_name() refuses, and '%' (a template). */
	for (size_t i = 0; i < n; i++)
		if (ifname[i] == '/' || ifname[i] == ':' || ifname[i] == '%' ||
		    ifname[i] <= ' ' || ifname[i] == 0x7f)
			return false;
	return strcmp(ifname, ".") && strcmp(ifname, "..");
}

/* bpffs refuses names containing '.' (EPERM: the dot is reserved for the
 * kernel's own entries, e.g. maps.debug), yet VLAN interfaces are commonly
 * named eth0.100. Interface names never contain ':' (the kernel rejects
 * it), so '.' -> ':' is a collision-free spelling of the directory. */
int ipsecha_xdp__path(char *buf, size_t n, const char *root, const char *ifname,
		      const char *name)
{
	char dir[16];
	size_t i;
	int len;

	for (i = 0; ifname[i] && i < sizeof(dir) - 1; i++)
		dir[i] = ifname[i] == '.' ? ':' : ifname[i];
	dir[i] = '\0';
	len = name ? snprintf(buf, n, "%s/%s/%s", root, dir, name)
		   : snprintf(buf, n, "%s/%s", root, dir);
	return len < 0 || (size_t)len >= n ? -ENAMETOOLONG : 0;
}

int ipsecha_xdp_pin_dir(char *buf, size_t n, const char *pin_root, const char *ifname)
{
	if (!buf || !n || !ipsecha_xdp_ifname_valid(ifname))
		return -EINVAL;
	return ipsecha_xdp__path(buf, n, pin_root ? pin_root : IPSECHA_XDP_PIN_ROOT, ifname,
				 NULL);
}

int ipsecha_xdp__errno(void)
{
	return errno > 0 ? -errno : -EIO;
}

int ipsecha_xdp__policy_check(const struct ipsecha_xdp_policy *p)
{
	if (!p)
		return -EINVAL;
	if (p->esp_action > IPSECHA_XDP_ESP_REDIRECT || p->unknown_spi > IPSECHA_XDP_ACT_PASS ||
	    p->keepalive > IPSECHA_XDP_ACT_PASS || p->meta > 1)
		return -EINVAL;
	if (!p->ike_port || !p->natt_port || p->ike_port == p->natt_port)
		return -EINVAL;
	return 0;
}

void ipsecha_xdp_policy_default(struct ipsecha_xdp_policy *p, bool esp_redirect)
{
	if (!p)
		return;
	memset(p, 0, sizeof(*p));
	p->esp_action = esp_redirect ? IPSECHA_XDP_ESP_REDIRECT : IPSECHA_XDP_ESP_PASS;
	p->unknown_spi = IPSECHA_XDP_ACT_DROP;
	p->keepalive = IPSECHA_XDP_ACT_PASS;
	p->ike_port = 500;      /* RFC 7296 §2.23 */
	p->natt_port = 4500;    /* RFC 3948 §2 */
}

/* XDP programs run inside RCU read-side sections (softirq, or the test
 * run's rcu_read_lock), so a synchronize_rcu() is the wait we need: when it
 * returns, every run that started before it has finished.
 *
 * The kernel offers one for exactly this purpose: an update of a map-in-map
 * from the bpf syscall returns only after "any running non-sleepable BPF
 * programs" have completed (kernel/bpf/syscall.c, maybe_wait_bpf_programs).
 * A throw-away outer array with one inner array does it. membarrier(2)'s
 * MEMBARRIER_CMD_GLOBAL is synchronize_rcu() as well, but refuses kernels
 * with nohz_full (EINVAL: common on data-plane hosts) and skips the wait
 * when one CPU is online; it is the fallback if the maps cannot be made. */
static int grace_period_map_in_map(void)
{
	LIBBPF_OPTS(bpf_map_create_opts, oo);
	int inner, outer, err = 0;
	__u32 zero = 0, val;

	inner = bpf_map_create(BPF_MAP_TYPE_ARRAY, "ipsx_gp_inner", 4, 4, 1, NULL);
	if (inner < 0)
		return ipsecha_xdp__errno();
	oo.inner_map_fd = (__u32)inner;
	outer = bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "ipsx_gp_outer", 4, 4, 1, &oo);
	if (outer < 0) {
		err = ipsecha_xdp__errno();
		close(inner);
		return err;
	}
	val = (__u32)inner;
	if (bpf_map_update_elem(outer, &zero, &val, BPF_ANY))
		err = ipsecha_xdp__errno();
	close(outer);
	close(inner);
	return err;
}

int ipsecha_xdp__grace_period(void)
{
	int err = grace_period_map_in_map();

	if (err && syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0) == 0)
		return 0;
	return err;
}
