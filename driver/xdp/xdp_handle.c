/* xdp_handle.c — operations on an attached interface through its pinned
 * maps: SAs, groups, policies, counters, AF_XDP sockets. */
#include "xdp_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

struct ipsecha_xdp {
	char ifname[IF_NAMESIZE];
	int dir_fd;
	int sa_fd, groups_fd, config_fd, cfgsel_fd, stats_fd, gdrops_fd, xsks_fd;
	int prog_fd, link_fd;
	int ncpus;
	struct ipsecha_xdp_config limits;  /* fixed at attach */
	uint64_t *sa_tab;                  /* the SA table, mmap()ed */
	size_t sa_len;
	pthread_mutex_t lock;              /* with flock(dir_fd): one writer of SAs/policy */
};

struct map_spec {
	const char *name;
	size_t off;            /* of the fd in struct ipsecha_xdp */
	__u32 type, key, value;
};

#define FD_OFF(f) offsetof(struct ipsecha_xdp, f)
static const struct map_spec map_specs[] = {
	{ IPSX_PIN_SA, FD_OFF(sa_fd), BPF_MAP_TYPE_ARRAY, 4, sizeof(struct ipsecha_xdp_sa) },
	{ IPSX_PIN_GROUPS, FD_OFF(groups_fd), BPF_MAP_TYPE_ARRAY, 4, 4 },
	{ IPSX_PIN_CONFIG, FD_OFF(config_fd), BPF_MAP_TYPE_ARRAY, 4,
	  sizeof(struct ipsecha_xdp_config) },
	{ IPSX_PIN_CFGSEL, FD_OFF(cfgsel_fd), BPF_MAP_TYPE_ARRAY, 4, 4 },
	{ IPSX_PIN_STATS, FD_OFF(stats_fd), BPF_MAP_TYPE_PERCPU_ARRAY, 4,
	  sizeof(struct ipsecha_xdp_counters) },
	{ IPSX_PIN_GDROPS, FD_OFF(gdrops_fd), BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8 },
	{ IPSX_PIN_XSKS, FD_OFF(xsks_fd), BPF_MAP_TYPE_XSKMAP, 4, 4 },
};

static int *fd_at(struct ipsecha_xdp *h, size_t off)
{
	return (int *)((char *)h + off);
}

void ipsecha_xdp_close(struct ipsecha_xdp *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < sizeof(map_specs) / sizeof(map_specs[0]); i++)
		if (*fd_at(h, map_specs[i].off) >= 0)
			close(*fd_at(h, map_specs[i].off));
	if (h->prog_fd >= 0)
		close(h->prog_fd);
	if (h->link_fd >= 0)
		close(h->link_fd);
	if (h->dir_fd >= 0)
		close(h->dir_fd);
	if (h->sa_tab)
		munmap(h->sa_tab, h->sa_len);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

static int check_map(int fd, const struct map_spec *spec, __u32 *max_entries)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return ipsecha_xdp__errno();
	if (info.type != spec->type || info.key_size != spec->key ||
	    info.value_size != spec->value)
		return -EPROTO;
	*max_entries = info.max_entries;
	return 0;
}

static int read_live_config(struct ipsecha_xdp *h, struct ipsecha_xdp_config *cfg, __u32 *sel)
{
	__u32 zero = 0;

	if (bpf_map_lookup_elem(h->cfgsel_fd, &zero, sel))
		return ipsecha_xdp__errno();
	if (*sel >= IPSECHA_XDP_CONFIG_COPIES)
		return -EPROTO;
	if (bpf_map_lookup_elem(h->config_fd, sel, cfg))
		return ipsecha_xdp__errno();
	return 0;
}

int ipsecha_xdp_open(const char *ifname, const struct ipsecha_xdp_open_opts *opts,
		     struct ipsecha_xdp **out)
{
	const char *root = IPSX_OPT(opts, pin_root, NULL);
	__u32 max[sizeof(map_specs) / sizeof(map_specs[0])];
	struct ipsecha_xdp *h;
	char path[PATH_MAX];
	__u32 sel;
	int err;

	if (out)
		*out = NULL;
	if (!out || !ipsecha_xdp__opts_valid(opts, sizeof(*opts)) ||
	    !ipsecha_xdp_ifname_valid(ifname))
		return -EINVAL;
	if (!root)
		root = IPSECHA_XDP_PIN_ROOT;
	err = ipsecha_xdp__path(path, sizeof(path), root, ifname, NULL);
	if (err)
		return err;
	err = ipsecha_xdp_bpffs_check(root);
	if (err)
		return err;

	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	for (size_t i = 0; i < sizeof(map_specs) / sizeof(map_specs[0]); i++)
		*fd_at(h, map_specs[i].off) = -1;
	h->prog_fd = h->link_fd = -1;
	pthread_mutex_init(&h->lock, NULL);
	snprintf(h->ifname, sizeof(h->ifname), "%s", ifname);

	h->dir_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (h->dir_fd < 0) {
		err = ipsecha_xdp__errno();      /* -ENOENT: not attached */
		goto fail;
	}
	for (size_t i = 0; i < sizeof(map_specs) / sizeof(map_specs[0]); i++) {
		int fd;

		if (ipsecha_xdp__path(path, sizeof(path), root, ifname, map_specs[i].name)) {
			err = -ENAMETOOLONG;
			goto fail;
		}
		fd = bpf_obj_get(path);
		if (fd < 0) {
			err = ipsecha_xdp__errno();
			goto fail;
		}
		*fd_at(h, map_specs[i].off) = fd;
		err = check_map(fd, &map_specs[i], &max[i]);
		if (err)
			goto fail;
	}
	if (ipsecha_xdp__path(path, sizeof(path), root, ifname, IPSX_PIN_PROG) ||
	    (h->prog_fd = bpf_obj_get(path)) < 0) {
		err = ipsecha_xdp__errno();
		goto fail;
	}
	if (ipsecha_xdp__path(path, sizeof(path), root, ifname, IPSX_PIN_LINK) ||
	    (h->link_fd = bpf_obj_get(path)) < 0) {
		err = ipsecha_xdp__errno();
		goto fail;
	}
	err = read_live_config(h, &h->limits, &sel);
	if (err)
		goto fail;
	/* The limits in the config must match the maps they describe. */
	if (h->limits.abi_version != IPSECHA_XDP_ABI_VERSION ||
	    h->limits.num_groups != max[1] || h->limits.sa_buckets != max[0] ||
	    h->limits.sa_buckets < 64 || (h->limits.sa_buckets & (h->limits.sa_buckets - 1)) ||
	    (1ull << (32 - h->limits.sa_shift)) != h->limits.sa_buckets ||
	    h->limits.num_slots == 0 || h->limits.num_slots > IPSECHA_XDP_MAX_SLOTS ||
	    h->limits.num_groups > IPSECHA_XDP_MAX_GROUPS) {
		err = -EPROTO;
		goto fail;
	}
	h->sa_len = (size_t)h->limits.sa_buckets * sizeof(uint64_t);
	h->sa_tab = mmap(NULL, h->sa_len, PROT_READ | PROT_WRITE, MAP_SHARED, h->sa_fd, 0);
	if (h->sa_tab == MAP_FAILED) {
		h->sa_tab = NULL;
		err = ipsecha_xdp__errno();
		goto fail;
	}
	h->ncpus = libbpf_num_possible_cpus();
	if (h->ncpus <= 0) {
		err = h->ncpus ? h->ncpus : -EIO;
		goto fail;
	}
	*out = h;
	return 0;
fail:
	ipsecha_xdp_close(h);
	return err;
}

int ipsecha_xdp_prog_fd(const struct ipsecha_xdp *h)
{
	return h ? h->prog_fd : -EINVAL;
}

/* ---- SAs: the open-addressing table (ipsecha_xdp_abi.h, docs/xdp.md) */

/* One writer at a time, in this process (mutex) and across processes
 * (flock on the pin directory): the program only reads. */
static int writer_lock(struct ipsecha_xdp *h)
{
	pthread_mutex_lock(&h->lock);
	if (flock(h->dir_fd, LOCK_EX)) {
		int err = ipsecha_xdp__errno();

		pthread_mutex_unlock(&h->lock);
		return err;
	}
	return 0;
}

static void writer_unlock(struct ipsecha_xdp *h)
{
	flock(h->dir_fd, LOCK_UN);
	pthread_mutex_unlock(&h->lock);
}

union sa_entry {
	uint64_t raw;
	struct ipsecha_xdp_sa sa;
};

static union sa_entry sa_load(const struct ipsecha_xdp *h, size_t i)
{
	union sa_entry v;

	v.raw = __atomic_load_n(&h->sa_tab[i], __ATOMIC_ACQUIRE);
	return v;
}

/* A whole entry in one store: the program sees the old or the new one. */
static void sa_store(struct ipsecha_xdp *h, size_t i, uint32_t spi_wire, uint16_t slot,
		     uint16_t group)
{
	union sa_entry v;

	v.sa.spi = spi_wire;
	v.sa.slot = slot;
	v.sa.group = group;
	__atomic_store_n(&h->sa_tab[i], v.raw, __ATOMIC_RELEASE);
}

static int is_live(uint64_t raw, uint32_t spi)
{
	union sa_entry v = { .raw = raw };

	return v.sa.spi != 0 && (!spi || v.sa.spi == spi);
}

/* Probe like the program does. Returns 1, *at and the entry as loaded
 * (*val: one load, so a reader racing a writer gets a whole entry of this
 * SPI) if the SPI is there; else 0 and *free_at = the first reusable bucket
 * (tombstone or empty) of the window, or SIZE_MAX if the window is full. */
static int sa_find(const struct ipsecha_xdp *h, uint32_t spi_wire, size_t *at, size_t *free_at,
		   union sa_entry *val)
{
	uint32_t home = ipsecha_xdp_sa_hash(spi_wire, h->limits.sa_shift);

	*free_at = SIZE_MAX;
	for (uint32_t i = 0; i < IPSECHA_XDP_SA_PROBES; i++) {
		size_t idx = (home + i) & (h->limits.sa_buckets - 1);
		uint64_t raw = sa_load(h, idx).raw;

		if (is_live(raw, spi_wire)) {
			*at = idx;
			if (val)
				val->raw = raw;
			return 1;
		}
		if (!is_live(raw, 0) && *free_at == SIZE_MAX)
			*free_at = idx;
		if (raw == 0)
			break;            /* empty: the SPI is not further on */
	}
	return 0;
}

int ipsecha_xdp_sa_add(struct ipsecha_xdp *h, uint32_t spi, uint32_t slot, uint32_t group,
		       unsigned int flags)
{
	uint32_t key;
	size_t at, free_at;
	int err;

	if (!h || (flags & ~IPSECHA_XDP_SA_REPLACE))
		return -EINVAL;
	/* RFC 4303 §2.1: "The set of SPI values in the range 1 through 255 are
	 * reserved by the Internet Assigned Numbers Authority (IANA) for
	 * future use ... The SPI value of zero (0) is reserved for local,
	 * implementation-specific use and MUST NOT be sent on the wire." */
	if (spi < 256)
		return -EINVAL;
	if (slot >= h->limits.num_slots || group >= h->limits.num_groups)
		return -ERANGE;
	key = htonl(spi);
	err = writer_lock(h);
	if (err)
		return err;
	if (sa_find(h, key, &at, &free_at, NULL)) {
		if (flags & IPSECHA_XDP_SA_REPLACE)
			sa_store(h, at, key, (uint16_t)slot, (uint16_t)group);
		else
			err = -EEXIST;
	} else if (free_at == SIZE_MAX) {
		err = -ENOSPC;            /* the SPI's probe window is full */
	} else {
		sa_store(h, free_at, key, (uint16_t)slot, (uint16_t)group);
	}
	writer_unlock(h);
	return err;
}

int ipsecha_xdp_sa_del(struct ipsecha_xdp *h, uint32_t spi)
{
	size_t at, free_at;
	int err;

	if (!h || spi < 256)
		return -EINVAL;
	err = writer_lock(h);
	if (err)
		return err;
	/* A tombstone, not an empty bucket: SPIs stored past this one in
	 * their probe window must stay reachable. */
	if (sa_find(h, htonl(spi), &at, &free_at, NULL))
		sa_store(h, at, 0, IPSECHA_XDP_SA_TOMB, IPSECHA_XDP_SA_TOMB);
	else
		err = -ENOENT;
	writer_unlock(h);
	return err;
}

/* Lock-free: safe against a concurrent writer in this or another process
 * (the consumer's data path calls it per frame). */
int ipsecha_xdp_sa_get(struct ipsecha_xdp *h, uint32_t spi, uint32_t *slot, uint32_t *group)
{
	union sa_entry v;
	size_t at, free_at;

	if (!h || spi < 256)
		return -EINVAL;
	if (!sa_find(h, htonl(spi), &at, &free_at, &v))
		return -ENOENT;
	if (slot)
		*slot = v.sa.slot;
	if (group)
		*group = v.sa.group;
	return 0;
}

static int cmp_sa(const void *a, const void *b)
{
	const struct ipsecha_xdp_sa_entry *x = a, *y = b;

	return x->spi < y->spi ? -1 : x->spi > y->spi;
}

int ipsecha_xdp_sa_list(struct ipsecha_xdp *h, struct ipsecha_xdp_sa_entry *out, size_t cap,
			size_t *total)
{
	struct ipsecha_xdp_sa_entry *all = NULL;
	size_t n = 0, size = 0;

	if (!h || !total || (cap && !out))
		return -EINVAL;
	for (size_t i = 0; i < h->limits.sa_buckets; i++) {
		union sa_entry v = sa_load(h, i);

		if (!is_live(v.raw, 0))
			continue;
		if (n == size) {
			struct ipsecha_xdp_sa_entry *p;

			size = size ? 2 * size : 64;
			p = realloc(all, size * sizeof(*all));
			if (!p) {
				free(all);
				return -ENOMEM;
			}
			all = p;
		}
		all[n].spi = ntohl(v.sa.spi);
		all[n].slot = v.sa.slot;
		all[n].group = v.sa.group;
		n++;
	}
	if (n)
		qsort(all, n, sizeof(*all), cmp_sa);
	if (cap && n)
		memcpy(out, all, (n < cap ? n : cap) * sizeof(*all));
	*total = n;
	free(all);
	return 0;
}

/* ---- groups */

static int group_set(struct ipsecha_xdp *h, uint32_t group, __u32 state)
{
	if (!h)
		return -EINVAL;
	if (group >= h->limits.num_groups)
		return -ERANGE;
	if (bpf_map_update_elem(h->groups_fd, &group, &state, 0))
		return ipsecha_xdp__errno();
	return 0;
}

int ipsecha_xdp_group_hold(struct ipsecha_xdp *h, uint32_t group)
{
	int err = group_set(h, group, IPSECHA_XDP_GROUP_HOLD);

	return err ? err : ipsecha_xdp__grace_period();
}

int ipsecha_xdp_group_release(struct ipsecha_xdp *h, uint32_t group)
{
	return group_set(h, group, IPSECHA_XDP_GROUP_ACTIVE);
}

int ipsecha_xdp_group_state(struct ipsecha_xdp *h, uint32_t group, uint32_t *state)
{
	__u32 v;

	if (!h || !state)
		return -EINVAL;
	if (group >= h->limits.num_groups)
		return -ERANGE;
	if (bpf_map_lookup_elem(h->groups_fd, &group, &v))
		return ipsecha_xdp__errno();
	*state = v;
	return 0;
}

static int percpu_sum(int fd, __u32 key, size_t words, int ncpus, uint64_t *sum)
{
	uint64_t *vals = calloc((size_t)ncpus * words, sizeof(uint64_t));

	if (!vals)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, &key, vals)) {
		int err = ipsecha_xdp__errno();

		free(vals);
		return err;
	}
	memset(sum, 0, words * sizeof(uint64_t));
	for (int c = 0; c < ncpus; c++)
		for (size_t w = 0; w < words; w++)
			sum[w] += vals[(size_t)c * words + w];
	free(vals);
	return 0;
}

int ipsecha_xdp_group_drops(struct ipsecha_xdp *h, uint32_t group, uint64_t *drops)
{
	if (!h || !drops)
		return -EINVAL;
	if (group >= h->limits.num_groups)
		return -ERANGE;
	return percpu_sum(h->gdrops_fd, group, 1, h->ncpus, drops);
}

int ipsecha_xdp_sync(struct ipsecha_xdp *h)
{
	return h ? ipsecha_xdp__grace_period() : -EINVAL;
}

/* ---- policies */

int ipsecha_xdp_policy_get(struct ipsecha_xdp *h, struct ipsecha_xdp_policy *p)
{
	struct ipsecha_xdp_config cfg;
	__u32 sel;
	int err;

	if (!h || !p)
		return -EINVAL;
	err = read_live_config(h, &cfg, &sel);
	if (err)
		return err;
	memset(p, 0, sizeof(*p));
	p->esp_action = cfg.esp_action;
	p->unknown_spi = cfg.unknown_spi;
	p->keepalive = cfg.keepalive;
	p->meta = cfg.meta;
	p->ike_port = cfg.ike_port;
	p->natt_port = cfg.natt_port;
	return 0;
}

/* Write the idle copy, flip the selector, then wait a grace period so that
 * no frame still reads the copy the next change will overwrite. */
int ipsecha_xdp_policy_set(struct ipsecha_xdp *h, const struct ipsecha_xdp_policy *p)
{
	struct ipsecha_xdp_config cfg;
	__u32 sel, idle, zero = 0;
	int err;

	if (!h)
		return -EINVAL;
	err = ipsecha_xdp__policy_check(p);
	if (err)
		return err;
	err = writer_lock(h);
	if (err)
		return err;
	err = read_live_config(h, &cfg, &sel);
	if (err)
		goto out;
	cfg.esp_action = p->esp_action;
	cfg.unknown_spi = p->unknown_spi;
	cfg.keepalive = p->keepalive;
	cfg.meta = p->meta;
	cfg.ike_port = p->ike_port;
	cfg.natt_port = p->natt_port;
	idle = sel ^ 1;
	if (bpf_map_update_elem(h->config_fd, &idle, &cfg, 0) ||
	    bpf_map_update_elem(h->cfgsel_fd, &zero, &idle, 0)) {
		err = ipsecha_xdp__errno();
		goto out;
	}
	err = ipsecha_xdp__grace_period();
out:
	writer_unlock(h);
	return err;
}

/* ---- counters, info */

/* The program returns XDP_DROP, XDP_PASS or XDP_REDIRECT; the other two
 * slots stay zero (aborted would be a drop, a transmit a redirect). */
static unsigned int verdict_of_action(unsigned int action)
{
	switch (action) {
	case XDP_PASS: return IPSECHA_XDP_V_PASS;
	case XDP_TX:
	case XDP_REDIRECT: return IPSECHA_XDP_V_REDIRECT;
	default: return IPSECHA_XDP_V_DROP;
	}
}

int ipsecha_xdp_stats(struct ipsecha_xdp *h, struct ipsecha_xdp_stats *st)
{
	uint64_t sum[sizeof(struct ipsecha_xdp_counters) / sizeof(uint64_t)];
	int err;

	if (!h || !st)
		return -EINVAL;
	err = percpu_sum(h->stats_fd, 0, sizeof(sum) / sizeof(sum[0]), h->ncpus, sum);
	if (err)
		return err;
	memset(st, 0, sizeof(*st));
	for (unsigned int r = 0; r < IPSECHA_XDP_R_COUNT; r++)
		for (unsigned int a = 0; a < IPSECHA_XDP_ACTIONS; a++) {
			uint64_t n = sum[r * IPSECHA_XDP_ACTIONS + a];

			st->reason[r] += n;
			st->verdict[verdict_of_action(a)] += n;
		}
	return 0;
}

int ipsecha_xdp_info(struct ipsecha_xdp *h, struct ipsecha_xdp_info *info)
{
	struct bpf_link_info li;
	struct ipsecha_xdp_config cfg;
	__u32 len = sizeof(li), sel;
	int err;

	if (!h || !info)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	snprintf(info->ifname, sizeof(info->ifname), "%s", h->ifname);
	memset(&li, 0, sizeof(li));
	if (bpf_obj_get_info_by_fd(h->link_fd, &li, &len))
		return ipsecha_xdp__errno();
	err = read_live_config(h, &cfg, &sel);
	if (err)
		return err;
	info->ifindex = (int)li.xdp.ifindex;
	info->link_id = li.id;
	info->prog_id = li.prog_id;
	info->mode = cfg.mode;
	info->xsk = cfg.xsk_queue != ~0u;
	info->xsk_queue = info->xsk ? cfg.xsk_queue : 0;
	info->num_groups = cfg.num_groups;
	info->num_slots = cfg.num_slots;
	info->max_sas = cfg.max_sas;
	for (size_t i = 0; i < h->limits.sa_buckets; i++)
		if (is_live(sa_load(h, i).raw, 0))
			info->sa_count++;
	for (__u32 g = 0; g < cfg.num_groups; g++) {
		__u32 state;

		if (bpf_map_lookup_elem(h->groups_fd, &g, &state) == 0 &&
		    state != IPSECHA_XDP_GROUP_ACTIVE)
			info->groups_held++;
	}
	return 0;
}

/* ---- AF_XDP sockets */

int ipsecha_xdp_xsk_set(struct ipsecha_xdp *h, uint32_t queue, int xsk_fd)
{
	__u32 v = (__u32)xsk_fd;

	if (!h || xsk_fd < 0)
		return -EINVAL;
	if (queue >= IPSECHA_XDP_XSK_QUEUES)
		return -ERANGE;
	if (bpf_map_update_elem(h->xsks_fd, &queue, &v, 0))
		return ipsecha_xdp__errno();
	return 0;
}

int ipsecha_xdp_xsk_clear(struct ipsecha_xdp *h, uint32_t queue)
{
	if (!h)
		return -EINVAL;
	if (queue >= IPSECHA_XDP_XSK_QUEUES)
		return -ERANGE;
	if (bpf_map_delete_elem(h->xsks_fd, &queue))
		return ipsecha_xdp__errno();
	return 0;
}
