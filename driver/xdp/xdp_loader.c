/* xdp_loader.c — attach/detach of the steering program, pins, bpffs. */
#include "xdp_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ipsecha_xdp.skel.h"

int ipsecha_xdp_bpffs_check(const char *path)
{
	char buf[PATH_MAX];
	struct statfs st;
	size_t n;

	if (!path || !*path || (n = strlen(path)) >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, path, n + 1);
	/* The pin root may not exist yet: look at its nearest parent. */
	for (;;) {
		char *slash;

		if (statfs(buf, &st) == 0)
			return st.f_type == BPF_FS_MAGIC ? 0 : -EMEDIUMTYPE;
		if (errno != ENOENT)
			return ipsecha_xdp__errno();
		slash = strrchr(buf, '/');
		if (!slash || slash == buf)
			return -EMEDIUMTYPE;
		*slash = '\0';
	}
}

int ipsecha_xdp_bpffs_mount(void)
{
	if (ipsecha_xdp_bpffs_check(IPSECHA_XDP_BPFFS) == 0)
		return 0;
	if (mount("bpf", IPSECHA_XDP_BPFFS, "bpf", 0, "mode=0700"))
		return ipsecha_xdp__errno();
	return 0;
}

/* mkdir -p for the pin root (0700: pins are for root only). */
static int mkdir_p(const char *path)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);

	if (n >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;

			*p = '\0';
			if (mkdir(buf, 0700) && errno != EEXIST)
				return ipsecha_xdp__errno();
			*p = c;
			if (!c)
				return 0;
		}
	}
}

/* Remove whatever pins exist in dir, then dir itself. */
static int remove_pins(const char *root, const char *ifname)
{
	char path[PATH_MAX];
	int err = 0;

	for (const char *const *name = ipsecha_xdp__pins; *name; name++) {
		if (ipsecha_xdp__path(path, sizeof(path), root, ifname, *name))
			return -ENAMETOOLONG;
		if (unlink(path) && errno != ENOENT && !err)
			err = ipsecha_xdp__errno();
	}
	if (ipsecha_xdp__path(path, sizeof(path), root, ifname, NULL))
		return -ENAMETOOLONG;
	if (rmdir(path) && errno != ENOENT && !err)
		err = ipsecha_xdp__errno();
	return err;
}

/* Interface the pinned link is attached to: >0 ifindex, 0 if the link is
 * defunct (its interface disappeared), <0 error (-ENOENT: no link pin). */
static int link_ifindex(const char *root, const char *ifname, int *link_fd)
{
	struct bpf_link_info info;
	__u32 len = sizeof(info);
	char path[PATH_MAX];
	int fd, err;

	*link_fd = -1;
	err = ipsecha_xdp__path(path, sizeof(path), root, ifname, IPSX_PIN_LINK);
	if (err)
		return err;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return ipsecha_xdp__errno();
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		err = ipsecha_xdp__errno();
		close(fd);
		return err;
	}
	if (info.type != BPF_LINK_TYPE_XDP) {
		close(fd);
		return -EPROTO;
	}
	*link_fd = fd;
	return (int)info.xdp.ifindex;
}

/* Number of rx queues (rx + combined channels), or 0 if the driver does not
 * say. veth answers with its real rx queue count. */
static unsigned int rx_queues(const char *ifname)
{
	struct ethtool_channels ch = { .cmd = ETHTOOL_GCHANNELS };
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	unsigned int n = 0;

	if (fd < 0)
		return 0;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (void *)&ch;
	if (ioctl(fd, SIOCETHTOOL, &ifr) == 0)
		n = ch.rx_count + ch.combined_count;
	close(fd);
	return n;
}

static int pin_maps(struct ipsecha_xdp_bpf *skel, const char *root, const char *ifname)
{
	struct { struct bpf_map *map; const char *name; } pins[] = {
		{ skel->maps.ipsecha_sa, IPSX_PIN_SA },
		{ skel->maps.ipsecha_groups, IPSX_PIN_GROUPS },
		{ skel->maps.ipsecha_config, IPSX_PIN_CONFIG },
		{ skel->maps.ipsecha_cfgsel, IPSX_PIN_CFGSEL },
		{ skel->maps.ipsecha_stats, IPSX_PIN_STATS },
		{ skel->maps.ipsecha_gdrops, IPSX_PIN_GDROPS },
		{ skel->maps.ipsecha_xsks, IPSX_PIN_XSKS },
	};
	char path[PATH_MAX];

	for (size_t i = 0; i < sizeof(pins) / sizeof(pins[0]); i++) {
		if (ipsecha_xdp__path(path, sizeof(path), root, ifname, pins[i].name))
			return -ENAMETOOLONG;
		if (bpf_map__pin(pins[i].map, path))
			return ipsecha_xdp__errno();
	}
	return 0;
}

int ipsecha_xdp_attach(const char *ifname, const struct ipsecha_xdp_attach_opts *opts)
{
	const struct ipsecha_xdp_policy *given = IPSX_OPT(opts, policy, NULL);
	const char *root = IPSX_OPT(opts, pin_root, NULL);
	uint32_t mode = IPSX_OPT(opts, mode, 0);
	bool xsk = IPSX_OPT(opts, xsk, false);
	uint32_t queue = IPSX_OPT(opts, xsk_queue, 0);
	uint32_t groups = IPSX_OPT(opts, num_groups, 0);
	uint32_t slots = IPSX_OPT(opts, num_slots, 0);
	uint32_t sas = IPSX_OPT(opts, max_sas, 0);
	uint32_t buckets, log2b;
	struct ipsecha_xdp_bpf *skel = NULL;
	struct ipsecha_xdp_config cfg;
	struct ipsecha_xdp_policy pol;
	char path[PATH_MAX];
	int ifindex, link_fd = -1, err;
	bool made_dir = false;
	__u32 zero = 0;

	/* ---- arguments: nothing is touched until all are checked */
	if (!ipsecha_xdp__opts_valid(opts, sizeof(*opts)) || !ipsecha_xdp_ifname_valid(ifname))
		return -EINVAL;
	if (!root)
		root = IPSECHA_XDP_PIN_ROOT;
	if (root[0] != '/')
		return -EINVAL;
	if (mode == 0)
		mode = IPSECHA_XDP_MODE_NATIVE;
	if (mode != IPSECHA_XDP_MODE_NATIVE && mode != IPSECHA_XDP_MODE_GENERIC)
		return -EINVAL;
	groups = groups ? groups : IPSECHA_XDP_DEF_GROUPS;
	slots = slots ? slots : IPSECHA_XDP_DEF_SLOTS;
	sas = sas ? sas : IPSECHA_XDP_DEF_MAX_SAS;
	if (groups > IPSECHA_XDP_MAX_GROUPS || slots > IPSECHA_XDP_MAX_SLOTS ||
	    sas > IPSECHA_XDP_MAX_SAS)
		return -EINVAL;
	if (xsk && queue >= IPSECHA_XDP_XSK_QUEUES)
		return -ERANGE;
	/* The SA table: a power of two, IPSECHA_XDP_SA_PER_SPI buckets per SA. */
	for (log2b = 6; (1u << log2b) < sas * IPSECHA_XDP_SA_PER_SPI; log2b++)
		;
	buckets = 1u << log2b;
	if (given) {
		err = ipsecha_xdp__policy_check(given);
		if (err)
			return err;
		pol = *given;
	} else {
		ipsecha_xdp_policy_default(&pol, xsk);
	}
	err = ipsecha_xdp__path(path, sizeof(path), root, ifname, IPSX_PIN_LINK);
	if (err)
		return err;

	ifindex = (int)if_nametoindex(ifname);
	if (ifindex <= 0)
		return -ENODEV;
	if (xsk) {
		unsigned int nq = rx_queues(ifname);

		if (nq && queue >= nq)
			return -ERANGE;
	}

	/* ---- bpffs and earlier attachments */
	err = ipsecha_xdp_bpffs_check(root);
	if (err == -EMEDIUMTYPE && IPSX_OPT(opts, mount_bpffs, false) &&
	    !strncmp(root, IPSECHA_XDP_BPFFS "/", strlen(IPSECHA_XDP_BPFFS) + 1)) {
		err = ipsecha_xdp_bpffs_mount();
		if (!err)
			err = ipsecha_xdp_bpffs_check(root);
	}
	if (err)
		return err;

	err = link_ifindex(root, ifname, &link_fd);
	if (link_fd >= 0)
		close(link_fd);
	link_fd = -1;
	if (err > 0)
		return -EEXIST;                 /* a live attachment owns these pins */
	if (err == -EPERM || err == -EACCES)
		return err;
	/* Defunct link or partial pins: left by an interface that went away
	 * or a crash; clear them. */
	err = remove_pins(root, ifname);
	if (err)
		return err;

	{
		LIBBPF_OPTS(bpf_xdp_query_opts, q);

		if (bpf_xdp_query(ifindex, 0, &q))
			return ipsecha_xdp__errno();
		if (q.attach_mode != XDP_ATTACHED_NONE)
			return -EBUSY;
	}

	/* ---- create: the directory is the lock between two attachers */
	err = mkdir_p(root);
	if (err)
		return err;
	err = ipsecha_xdp__path(path, sizeof(path), root, ifname, NULL);
	if (err)
		return err;
	if (mkdir(path, 0700))
		return errno == EEXIST ? -EEXIST : ipsecha_xdp__errno();
	made_dir = true;

	skel = ipsecha_xdp_bpf__open();
	if (!skel) {
		err = ipsecha_xdp__errno();
		goto fail;
	}
	if (bpf_map__set_max_entries(skel->maps.ipsecha_sa, buckets) ||
	    bpf_map__set_max_entries(skel->maps.ipsecha_groups, groups) ||
	    bpf_map__set_max_entries(skel->maps.ipsecha_gdrops, groups)) {
		err = ipsecha_xdp__errno();
		goto fail;
	}
	if (ipsecha_xdp_bpf__load(skel)) {
		err = ipsecha_xdp__errno();
		goto fail;
	}

	memset(&cfg, 0, sizeof(cfg));
	cfg.abi_version = IPSECHA_XDP_ABI_VERSION;
	cfg.esp_action = pol.esp_action;
	cfg.unknown_spi = pol.unknown_spi;
	cfg.keepalive = pol.keepalive;
	cfg.meta = pol.meta;
	cfg.ike_port = pol.ike_port;
	cfg.natt_port = pol.natt_port;
	cfg.mode = (__u8)mode;
	cfg.xsk_queue = xsk ? queue : ~0u;
	cfg.num_groups = groups;
	cfg.num_slots = slots;
	cfg.max_sas = sas;
	cfg.sa_buckets = buckets;
	cfg.sa_shift = 32 - log2b;
	for (__u32 i = 0; i < IPSECHA_XDP_CONFIG_COPIES; i++)
		if (bpf_map_update_elem(bpf_map__fd(skel->maps.ipsecha_config), &i, &cfg, 0)) {
			err = ipsecha_xdp__errno();
			goto fail;
		}
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.ipsecha_cfgsel), &zero, &zero, 0)) {
		err = ipsecha_xdp__errno();
		goto fail;
	}
	err = pin_maps(skel, root, ifname);
	if (err)
		goto fail;
	if (ipsecha_xdp__path(path, sizeof(path), root, ifname, IPSX_PIN_PROG) ||
	    bpf_obj_pin(bpf_program__fd(skel->progs.ipsecha_steer), path)) {
		err = ipsecha_xdp__errno();
		goto fail;
	}

	{
		LIBBPF_OPTS(bpf_link_create_opts, lo,
			    .flags = mode == IPSECHA_XDP_MODE_NATIVE ? XDP_FLAGS_DRV_MODE
								     : XDP_FLAGS_SKB_MODE);

		link_fd = bpf_link_create(bpf_program__fd(skel->progs.ipsecha_steer), ifindex,
					  BPF_XDP, &lo);
	}
	if (link_fd < 0) {
		err = ipsecha_xdp__errno();
		if (err == -EEXIST)
			err = -EBUSY;            /* raced with another program */
		goto fail;
	}
	if (ipsecha_xdp__path(path, sizeof(path), root, ifname, IPSX_PIN_LINK) ||
	    bpf_obj_pin(link_fd, path)) {
		err = ipsecha_xdp__errno();
		goto fail;
	}
	close(link_fd);
	ipsecha_xdp_bpf__destroy(skel);   /* maps and program live on in the pins */
	return 0;

fail:
	if (link_fd >= 0) {
		bpf_link_detach(link_fd);
		close(link_fd);
	}
	ipsecha_xdp_bpf__destroy(skel);
	if (made_dir)
		remove_pins(root, ifname);
	return err;
}

int ipsecha_xdp_detach(const char *ifname, const struct ipsecha_xdp_open_opts *opts)
{
	const char *root = IPSX_OPT(opts, pin_root, NULL);
	char path[PATH_MAX];
	struct stat st;
	int link_fd, err;

	if (!ipsecha_xdp__opts_valid(opts, sizeof(*opts)) || !ipsecha_xdp_ifname_valid(ifname))
		return -EINVAL;
	if (!root)
		root = IPSECHA_XDP_PIN_ROOT;
	err = ipsecha_xdp__path(path, sizeof(path), root, ifname, NULL);
	if (err)
		return err;
	err = ipsecha_xdp_bpffs_check(root);
	if (err)
		return err;
	if (stat(path, &st))
		return ipsecha_xdp__errno();    /* -ENOENT: not attached */

	err = link_ifindex(root, ifname, &link_fd);
	if (err == -EPERM || err == -EACCES)
		return err;
	if (link_fd >= 0) {
		/* Detach even if another process still holds the link open. */
		if (err > 0 && bpf_link_detach(link_fd)) {
			err = ipsecha_xdp__errno();
			close(link_fd);
			return err;
		}
		close(link_fd);
	}
	return remove_pins(root, ifname);
}
