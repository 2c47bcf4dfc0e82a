/* cmd_xdp.c — `ipsecha xdp`: attach the steering program to an interface and
 * manage its SAs, groups and policies (driver/xdp, docs/xdp.md).
 *
 * The pin root is /sys/fs/bpf/ipsecha, or $IPSECHA_XDP_PIN_ROOT. */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "ipsecha_xdp.h"

static const char usage_text[] =
	"usage: ipsecha xdp attach IFNAME [--mode native|generic] [--xsk-queue Q]\n"
	"                          [--groups N] [--slots N] [--max-sas N]\n"
	"       ipsecha xdp detach IFNAME\n"
	"       ipsecha xdp show IFNAME [--json]\n"
	"       ipsecha xdp stats IFNAME [--json]\n"
	"       ipsecha xdp sa add IFNAME SPI SLOT GROUP [--replace]\n"
	"       ipsecha xdp sa del IFNAME SPI\n"
	"       ipsecha xdp group hold|release IFNAME GROUP\n"
	"       ipsecha xdp policy IFNAME [--esp redirect|pass] [--unknown-spi drop|pass]\n"
	"                          [--keepalive pass|drop] [--meta on|off]\n"
	"                          [--ike-port P] [--natt-port P]\n"
	"\n"
	"Steers IKE to the kernel stack and ESP, by SPI, to the card's AF_XDP socket\n"
	"(--xsk-queue) or to the stack; ESP of a held group is dropped. Pins live in\n"
	"/sys/fs/bpf/ipsecha/IFNAME/ ($IPSECHA_XDP_PIN_ROOT overrides the root).\n";

static const char *pin_root(void)
{
	const char *r = getenv("IPSECHA_XDP_PIN_ROOT");

	return r && *r ? r : IPSECHA_XDP_PIN_ROOT;
}

/* Where the pins of ifname are (a VLAN's '.' is ':' there). */
static const char *pin_dir(const char *ifname)
{
	static char buf[PATH_MAX];

	if (ipsecha_xdp_pin_dir(buf, sizeof(buf), pin_root(), ifname))
		snprintf(buf, sizeof(buf), "%s/%s", pin_root(), ifname);
	return buf;
}

/* The message for an error common to every subcommand, or NULL. */
static int common_error(int err, const char *ifname)
{
	switch (err) {
	case -EPERM:
	case -EACCES:
		return cli_error("insufficient privilege: ipsecha xdp needs root "
				 "(CAP_BPF and CAP_NET_ADMIN, and access to %s)", pin_root());
	case -EMEDIUMTYPE:
		return cli_error("bpffs is not mounted at %s, so nothing is attached; mount it "
				 "with 'mount -t bpf bpf %s', then 'ipsecha xdp attach %s'",
				 IPSECHA_XDP_BPFFS, IPSECHA_XDP_BPFFS, ifname);
	case -ENOENT:
		return cli_error("ipsecha XDP is not attached to %s (no pins in %s)", ifname,
				 pin_dir(ifname));
	case -EPROTO:
		return cli_error("the pins in %s belong to another version of the program; "
				 "detach and attach again", pin_dir(ifname));
	default:
		return cli_error("%s: %s", ifname, ipsecha_xdp_strerror(err));
	}
}

static int open_if(const char *ifname, struct ipsecha_xdp **h)
{
	IPSECHA_XDP_OPTS(ipsecha_xdp_open_opts, o, .pin_root = pin_root());
	int err;

	if (!ipsecha_xdp_ifname_valid(ifname))
		return cli_usage("'%s' is not a valid interface name", ifname);
	err = ipsecha_xdp_open(ifname, &o, h);
	return err ? common_error(err, ifname) : CLI_OK;
}

/* ---- attach / detach */

static int cmd_attach(int argc, char **argv)
{
	IPSECHA_XDP_OPTS(ipsecha_xdp_attach_opts, o, .pin_root = pin_root(), .mount_bpffs = true);
	const char *ifname = NULL;
	uint32_t v;
	int err, was_mounted;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--mode") && val) {
			if (!strcmp(val, "native"))
				o.mode = IPSECHA_XDP_MODE_NATIVE;
			else if (!strcmp(val, "generic"))
				o.mode = IPSECHA_XDP_MODE_GENERIC;
			else
				return cli_usage("--mode is native or generic, not '%s'", val);
			i++;
		} else if (!strcmp(a, "--xsk-queue") && val) {
			if (cli_parse_u32(val, IPSECHA_XDP_XSK_QUEUES - 1, &o.xsk_queue))
				return cli_usage("--xsk-queue: a queue number 0..%u, not '%s'",
						 IPSECHA_XDP_XSK_QUEUES - 1, val);
			o.xsk = true;
			i++;
		} else if (!strcmp(a, "--groups") && val) {
			if (cli_parse_u32(val, IPSECHA_XDP_MAX_GROUPS, &v) || !v)
				return cli_usage("--groups: 1..%u", IPSECHA_XDP_MAX_GROUPS);
			o.num_groups = v;
			i++;
		} else if (!strcmp(a, "--slots") && val) {
			if (cli_parse_u32(val, IPSECHA_XDP_MAX_SLOTS, &v) || !v)
				return cli_usage("--slots: 1..%u", IPSECHA_XDP_MAX_SLOTS);
			o.num_slots = v;
			i++;
		} else if (!strcmp(a, "--max-sas") && val) {
			if (cli_parse_u32(val, IPSECHA_XDP_MAX_SAS, &v) || !v)
				return cli_usage("--max-sas: 1..%u", IPSECHA_XDP_MAX_SAS);
			o.max_sas = v;
			i++;
		} else if (a[0] == '-' || ifname) {
			return cli_usage("attach: unexpected '%s'\n%s", a, usage_text);
		} else {
			ifname = a;
		}
	}
	if (!ifname)
		return cli_usage("attach: IFNAME missing\n%s", usage_text);
	if (!ipsecha_xdp_ifname_valid(ifname))
		return cli_usage("'%s' is not a valid interface name", ifname);

	was_mounted = ipsecha_xdp_bpffs_check(pin_root()) == 0;
	err = ipsecha_xdp_attach(ifname, &o);
	if (!err) {
		if (!was_mounted)
			printf("mounted bpffs at %s\n", IPSECHA_XDP_BPFFS);
		printf("attached to %s (%s mode), ESP %s, pins in %s\n", ifname,
		       o.mode == IPSECHA_XDP_MODE_GENERIC ? "generic" : "native",
		       o.xsk ? "to AF_XDP sockets" : "to the kernel stack", pin_dir(ifname));
		return CLI_OK;
	}
	switch (err) {
	case -ENODEV:
		return cli_error("interface '%s' not found (in this network namespace)", ifname);
	case -EEXIST:
		return cli_error("ipsecha XDP is already attached to %s (pins in %s); "
				 "'ipsecha xdp detach %s' first", ifname, pin_dir(ifname),
				 ifname);
	case -EBUSY: {
		__u32 id = 0;

		bpf_xdp_query_id((int)if_nametoindex(ifname), 0, &id);
		return cli_error("another XDP program (id %u) is attached to %s; remove it first "
				 "(ip link set dev %s xdp off)", id, ifname, ifname);
	}
	case -EOPNOTSUPP:
		return cli_error("%s has no native XDP support; use --mode generic", ifname);
	case -ERANGE:
		return cli_error("queue %u does not exist on %s", o.xsk_queue, ifname);
	case -EMEDIUMTYPE:
		return cli_error("bpffs is not mounted at %s and could not be mounted here; "
				 "mount it with 'mount -t bpf bpf %s' (or set IPSECHA_XDP_PIN_ROOT "
				 "to a directory on a bpffs)", IPSECHA_XDP_BPFFS, IPSECHA_XDP_BPFFS);
	case -ENOENT:
		return cli_error("%s: %s", ifname, ipsecha_xdp_strerror(err));
	default:
		return common_error(err, ifname);
	}
}

static int cmd_detach(int argc, char **argv)
{
	IPSECHA_XDP_OPTS(ipsecha_xdp_open_opts, o, .pin_root = pin_root());
	int err;

	if (argc != 2)
		return cli_usage("detach IFNAME\n%s", usage_text);
	if (!ipsecha_xdp_ifname_valid(argv[1]))
		return cli_usage("'%s' is not a valid interface name", argv[1]);
	err = ipsecha_xdp_detach(argv[1], &o);
	if (err)
		return common_error(err, argv[1]);
	printf("detached from %s\n", argv[1]);
	return CLI_OK;
}

/* ---- show / stats */

static const char *act_name(unsigned int a)
{
	return a == IPSECHA_XDP_ACT_PASS ? "pass" : "drop";
}

static const char *esp_name(unsigned int a)
{
	return a == IPSECHA_XDP_ESP_REDIRECT ? "redirect" : "pass";
}

static int json_flag(int argc, char **argv, int *json)
{
	*json = 0;
	if (argc == 3 && !strcmp(argv[2], "--json"))
		*json = 1;
	else if (argc != 2)
		return -1;
	return 0;
}

static int cmd_show(int argc, char **argv)
{
	struct ipsecha_xdp_sa_entry *sas = NULL;
	struct ipsecha_xdp_policy pol;
	struct ipsecha_xdp_info info;
	struct ipsecha_xdp *h;
	size_t total = 0, n;
	int json, rc, err;

	if (json_flag(argc, argv, &json))
		return cli_usage("show IFNAME [--json]\n%s", usage_text);
	rc = open_if(argv[1], &h);
	if (rc)
		return rc;
	err = ipsecha_xdp_info(h, &info);
	if (!err)
		err = ipsecha_xdp_policy_get(h, &pol);
	if (!err)
		err = ipsecha_xdp_sa_list(h, NULL, 0, &total);
	if (!err && total) {
		sas = calloc(total, sizeof(*sas));
		err = sas ? ipsecha_xdp_sa_list(h, sas, total, &n) : -ENOMEM;
		if (!err && n < total)
			total = n;
	}
	if (err) {
		free(sas);
		ipsecha_xdp_close(h);
		return common_error(err, argv[1]);
	}

	if (json) {
		struct json_object *doc = json_object_new_object(), *p, *l, *a, *g;

		json_object_object_add(doc, "ifname", json_object_new_string(info.ifname));
		json_object_object_add(doc, "ifindex", json_object_new_int(info.ifindex));
		json_object_object_add(doc, "attached", json_object_new_boolean(info.ifindex > 0));
		json_object_object_add(doc, "mode",
				       json_object_new_string(ipsecha_xdp_mode_name(info.mode)
							      ? ipsecha_xdp_mode_name(info.mode)
							      : "unknown"));
		json_object_object_add(doc, "prog_id", json_object_new_int64(info.prog_id));
		json_object_object_add(doc, "link_id", json_object_new_int64(info.link_id));
		json_object_object_add(doc, "xsk_queue",
				       info.xsk ? json_object_new_int64(info.xsk_queue) : NULL);
		p = json_object_new_object();
		json_object_object_add(p, "esp", json_object_new_string(esp_name(pol.esp_action)));
		json_object_object_add(p, "unknown_spi",
				       json_object_new_string(act_name(pol.unknown_spi)));
		json_object_object_add(p, "keepalive", json_object_new_string(act_name(pol.keepalive)));
		json_object_object_add(p, "meta", json_object_new_boolean(pol.meta));
		json_object_object_add(p, "ike_port", json_object_new_int(pol.ike_port));
		json_object_object_add(p, "natt_port", json_object_new_int(pol.natt_port));
		json_object_object_add(doc, "policy", p);
		l = json_object_new_object();
		json_object_object_add(l, "slots", json_object_new_int64(info.num_slots));
		json_object_object_add(l, "groups", json_object_new_int64(info.num_groups));
		json_object_object_add(l, "max_sas", json_object_new_int64(info.max_sas));
		json_object_object_add(doc, "limits", l);
		a = json_object_new_array();
		for (size_t i = 0; i < total; i++) {
			struct json_object *e = json_object_new_object();
			uint32_t st = 0;
			char hex[16];

			ipsecha_xdp_group_state(h, sas[i].group, &st);
			snprintf(hex, sizeof(hex), "0x%08x", sas[i].spi);
			json_object_object_add(e, "spi", json_object_new_int64(sas[i].spi));
			json_object_object_add(e, "spi_hex", json_object_new_string(hex));
			json_object_object_add(e, "slot", json_object_new_int64(sas[i].slot));
			json_object_object_add(e, "group", json_object_new_int64(sas[i].group));
			json_object_object_add(e, "group_state", json_object_new_string(
				st == IPSECHA_XDP_GROUP_HOLD ? "hold" : "active"));
			json_object_array_add(a, e);
		}
		json_object_object_add(doc, "sas", a);
		g = json_object_new_array();
		for (uint32_t grp = 0; grp < info.num_groups; grp++) {
			uint32_t st;
			uint64_t drops = 0;
			struct json_object *e;

			if (ipsecha_xdp_group_state(h, grp, &st) || st != IPSECHA_XDP_GROUP_HOLD)
				continue;
			ipsecha_xdp_group_drops(h, grp, &drops);
			e = json_object_new_object();
			json_object_object_add(e, "group", json_object_new_int64(grp));
			json_object_object_add(e, "drops", cli_json_u64(drops));
			json_object_array_add(g, e);
		}
		json_object_object_add(doc, "held_groups", g);
		cli_json_print(doc);
	} else {
		printf("%s: %s, %s mode, ifindex %d, prog %u, link %u\n", info.ifname,
		       info.ifindex > 0 ? "attached" : "interface gone (link defunct)",
		       ipsecha_xdp_mode_name(info.mode) ? ipsecha_xdp_mode_name(info.mode) : "?",
		       info.ifindex, info.prog_id, info.link_id);
		printf("  pins     %s\n", pin_dir(info.ifname));
		printf("  policy   esp=%s", esp_name(pol.esp_action));
		if (info.xsk)
			printf(" (AF_XDP, card queue %u)", info.xsk_queue);
		printf(" unknown-spi=%s keepalive=%s meta=%s ike-port=%u natt-port=%u\n",
		       act_name(pol.unknown_spi), act_name(pol.keepalive), pol.meta ? "on" : "off",
		       pol.ike_port, pol.natt_port);
		printf("  limits   slots %u, groups %u, SAs %zu of %u\n", info.num_slots,
		       info.num_groups, total, info.max_sas);
		if (total)
			printf("  %-12s %6s %6s  %s\n", "SPI", "slot", "group", "state");
		for (size_t i = 0; i < total; i++) {
			uint32_t st = 0;

			ipsecha_xdp_group_state(h, sas[i].group, &st);
			printf("  0x%08x   %6u %6u  %s\n", sas[i].spi, sas[i].slot, sas[i].group,
			       st == IPSECHA_XDP_GROUP_HOLD ? "hold" : "active");
		}
		printf("  held groups:");
		if (!info.groups_held)
			printf(" none");
		for (uint32_t grp = 0; grp < info.num_groups; grp++) {
			uint32_t st;
			uint64_t drops = 0;

			if (ipsecha_xdp_group_state(h, grp, &st) || st != IPSECHA_XDP_GROUP_HOLD)
				continue;
			ipsecha_xdp_group_drops(h, grp, &drops);
			printf(" %u (%llu dropped)", grp, (unsigned long long)drops);
		}
		printf("\n");
	}
	free(sas);
	ipsecha_xdp_close(h);
	return CLI_OK;
}

static int cmd_stats(int argc, char **argv)
{
	struct ipsecha_xdp_stats st;
	struct ipsecha_xdp *h;
	int json, rc, err;

	if (json_flag(argc, argv, &json))
		return cli_usage("stats IFNAME [--json]\n%s", usage_text);
	rc = open_if(argv[1], &h);
	if (rc)
		return rc;
	err = ipsecha_xdp_stats(h, &st);
	ipsecha_xdp_close(h);
	if (err)
		return common_error(err, argv[1]);
	if (json) {
		struct json_object *doc = json_object_new_object();
		struct json_object *v = json_object_new_object(), *r = json_object_new_object();

		json_object_object_add(doc, "ifname", json_object_new_string(argv[1]));
		for (unsigned int i = 0; i < IPSECHA_XDP_V_COUNT; i++)
			json_object_object_add(v, ipsecha_xdp_verdict_name(i), cli_json_u64(st.verdict[i]));
		for (unsigned int i = 0; i < IPSECHA_XDP_R_COUNT; i++)
			json_object_object_add(r, ipsecha_xdp_reason_name(i), cli_json_u64(st.reason[i]));
		json_object_object_add(doc, "verdicts", v);
		json_object_object_add(doc, "reasons", r);
		cli_json_print(doc);
		return CLI_OK;
	}
	printf("%s verdicts:", argv[1]);
	for (unsigned int i = 0; i < IPSECHA_XDP_V_COUNT; i++)
		printf(" %s %llu", ipsecha_xdp_verdict_name(i), (unsigned long long)st.verdict[i]);
	printf("\nreasons:\n");
	for (unsigned int i = 0; i < IPSECHA_XDP_R_COUNT; i++)
		printf("  %-16s %llu\n", ipsecha_xdp_reason_name(i), (unsigned long long)st.reason[i]);
	return CLI_OK;
}

/* ---- sa / group / policy */

static int parse_spi(const char *s, uint32_t *spi)
{
	/* RFC 4303 §2.1: 0 is local-only and 1..255 are reserved. */
	if (cli_parse_u32(s, UINT32_MAX, spi) || *spi < 256)
		return cli_usage("SPI must be a number 256..0xffffffff (RFC 4303: 0-255 are "
				 "reserved), not '%s'", s);
	return CLI_OK;
}

static int cmd_sa(int argc, char **argv)
{
	struct ipsecha_xdp_info info;
	struct ipsecha_xdp *h;
	uint32_t spi, slot, group, oslot = 0, ogroup = 0;
	unsigned int flags = 0;
	int rc, err;

	if (argc >= 2 && !strcmp(argv[1], "add")) {
		if (argc == 7 && !strcmp(argv[6], "--replace"))
			flags = IPSECHA_XDP_SA_REPLACE;
		else if (argc != 6)
			return cli_usage("sa add IFNAME SPI SLOT GROUP [--replace]\n%s", usage_text);
		rc = parse_spi(argv[3], &spi);
		if (rc)
			return rc;
		if (cli_parse_u32(argv[4], UINT32_MAX, &slot))
			return cli_usage("SLOT: a number, not '%s'", argv[4]);
		if (cli_parse_u32(argv[5], UINT32_MAX, &group))
			return cli_usage("GROUP: a number, not '%s'", argv[5]);
		rc = open_if(argv[2], &h);
		if (rc)
			return rc;
		err = ipsecha_xdp_sa_add(h, spi, slot, group, flags);
		if (err == -ERANGE && !ipsecha_xdp_info(h, &info)) {
			ipsecha_xdp_close(h);
			return cli_error("slot %u / group %u beyond the limits of %s (slots < %u, "
					 "groups < %u)", slot, group, argv[2], info.num_slots,
					 info.num_groups);
		}
		if (err == -EEXIST)
			ipsecha_xdp_sa_get(h, spi, &oslot, &ogroup);
		ipsecha_xdp_close(h);
		if (err == -EEXIST)
			return cli_error("SPI 0x%08x is already mapped (slot %u, group %u); use "
					 "--replace", spi, oslot, ogroup);
		if (err == -ENOSPC)
			return cli_error("the SA map of %s is full", argv[2]);
		if (err)
			return common_error(err, argv[2]);
		printf("SPI 0x%08x -> slot %u, group %u\n", spi, slot, group);
		return CLI_OK;
	}
	if (argc >= 2 && !strcmp(argv[1], "del")) {
		if (argc != 4)
			return cli_usage("sa del IFNAME SPI\n%s", usage_text);
		rc = parse_spi(argv[3], &spi);
		if (rc)
			return rc;
		rc = open_if(argv[2], &h);
		if (rc)
			return rc;
		err = ipsecha_xdp_sa_del(h, spi);
		ipsecha_xdp_close(h);
		if (err == -ENOENT)
			return cli_error("no SA with SPI 0x%08x on %s", spi, argv[2]);
		if (err)
			return common_error(err, argv[2]);
		printf("SPI 0x%08x removed\n", spi);
		return CLI_OK;
	}
	return cli_usage("sa add|del ...\n%s", usage_text);
}

static int cmd_group(int argc, char **argv)
{
	struct ipsecha_xdp_info info;
	struct ipsecha_xdp *h;
	uint32_t group;
	int hold, rc, err;

	if (argc != 4 || (strcmp(argv[1], "hold") && strcmp(argv[1], "release")))
		return cli_usage("group hold|release IFNAME GROUP\n%s", usage_text);
	hold = !strcmp(argv[1], "hold");
	if (cli_parse_u32(argv[3], UINT32_MAX, &group))
		return cli_usage("GROUP: a number, not '%s'", argv[3]);
	rc = open_if(argv[2], &h);
	if (rc)
		return rc;
	err = hold ? ipsecha_xdp_group_hold(h, group) : ipsecha_xdp_group_release(h, group);
	if (err == -ERANGE && !ipsecha_xdp_info(h, &info)) {
		ipsecha_xdp_close(h);
		return cli_error("group %u beyond the limit of %s (groups < %u)", group, argv[2],
				 info.num_groups);
	}
	ipsecha_xdp_close(h);
	if (err)
		return common_error(err, argv[2]);
	printf("group %u %s\n", group, hold ? "held" : "released");
	return CLI_OK;
}

static int parse_action(const char *opt, const char *v, int esp, uint8_t *out)
{
	if (esp && !strcmp(v, "redirect"))
		*out = IPSECHA_XDP_ESP_REDIRECT;
	else if (esp && !strcmp(v, "pass"))
		*out = IPSECHA_XDP_ESP_PASS;
	else if (!esp && !strcmp(v, "pass"))
		*out = IPSECHA_XDP_ACT_PASS;
	else if (!esp && !strcmp(v, "drop"))
		*out = IPSECHA_XDP_ACT_DROP;
	else
		return cli_usage("%s: %s, not '%s'", opt, esp ? "redirect or pass" : "pass or drop", v);
	return CLI_OK;
}

static int cmd_policy(int argc, char **argv)
{
	struct ipsecha_xdp_policy pol;
	struct ipsecha_xdp *h;
	uint32_t port;
	int rc, err, changed = 0;

	if (argc < 2 || argv[1][0] == '-')
		return cli_usage("policy IFNAME [options]\n%s", usage_text);
	rc = open_if(argv[1], &h);
	if (rc)
		return rc;
	err = ipsecha_xdp_policy_get(h, &pol);
	if (err) {
		ipsecha_xdp_close(h);
		return common_error(err, argv[1]);
	}
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		rc = CLI_OK;
		if (!v)
			rc = cli_usage("policy: '%s' needs a value", a);
		else if (!strcmp(a, "--esp"))
			rc = parse_action(a, v, 1, &pol.esp_action);
		else if (!strcmp(a, "--unknown-spi"))
			rc = parse_action(a, v, 0, &pol.unknown_spi);
		else if (!strcmp(a, "--keepalive"))
			rc = parse_action(a, v, 0, &pol.keepalive);
		else if (!strcmp(a, "--meta")) {
			if (!strcmp(v, "on") || !strcmp(v, "off"))
				pol.meta = v[1] == 'n';
			else
				rc = cli_usage("--meta: on or off, not '%s'", v);
		}
		else if (!strcmp(a, "--ike-port") || !strcmp(a, "--natt-port")) {
			if (cli_parse_u32(v, 65535, &port) || !port)
				rc = cli_usage("%s: a port 1..65535, not '%s'", a, v);
			else if (a[2] == 'i')
				pol.ike_port = (uint16_t)port;
			else
				pol.natt_port = (uint16_t)port;
		} else
			rc = cli_usage("policy: unknown option '%s'\n%s", a, usage_text);
		if (rc) {
			ipsecha_xdp_close(h);
			return rc;
		}
		i++;
		changed = 1;
	}
	if (changed) {
		err = ipsecha_xdp_policy_set(h, &pol);
		if (err) {
			ipsecha_xdp_close(h);
			if (err == -EINVAL)
				return cli_usage("policy: the IKE and NAT-T ports must differ");
			return common_error(err, argv[1]);
		}
	}
	ipsecha_xdp_close(h);
	printf("%s: esp=%s unknown-spi=%s keepalive=%s meta=%s ike-port=%u natt-port=%u\n",
	       argv[1], esp_name(pol.esp_action), act_name(pol.unknown_spi),
	       act_name(pol.keepalive), pol.meta ? "on" : "off", pol.ike_port, pol.natt_port);
	return CLI_OK;
}

static int xdp_main(int argc, char **argv)
{
	static const struct { const char *name; int (*fn)(int, char **); } subs[] = {
		{ "attach", cmd_attach }, { "detach", cmd_detach }, { "show", cmd_show },
		{ "stats", cmd_stats }, { "sa", cmd_sa }, { "group", cmd_group },
		{ "policy", cmd_policy },
	};

	if (argc < 2)
		return cli_usage("xdp: subcommand missing\n%s", usage_text);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		fputs(usage_text, stdout);
		return CLI_OK;
	}
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (!strcmp(argv[1], subs[i].name))
			return subs[i].fn(argc - 1, argv + 1);
	return cli_usage("xdp: unknown subcommand '%s'\n%s", argv[1], usage_text);
}

CLI_COMMAND(xdp, "XDP steering of IKE and ESP: attach, SAs, groups, policies, counters",
	    xdp_main)
