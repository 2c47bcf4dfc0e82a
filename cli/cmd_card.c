/* cmd_card.c — `ipsecha card`: bring-up access to a card through libipsecha.
 *
 *   ipsecha card [--dev URI] [--json] <command> [args]
 *
 * The device is --dev, else $IPSECHA_DEV, else the default simulated card
 * (sim:/tmp/ipsecha-card-default.sock). Human output is a table; --json
 * prints one JSON document. Exit 0 on success, 1 on failure (one line on
 * stderr naming the cause), 2 on a usage error. docs/cli.md. */
#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipsecha.h"
#ifdef IPSECHA_HAVE_VFIO
#include "hl_vfio.h"
#endif

#define CARD_DEFAULT_DEV "sim:/tmp/ipsecha-card-default.sock"

struct card_ctx {
	const char *dev;
	int json;
	struct ipsecha *h;
	struct ipsecha_info info;
};

static const char card_usage_text[] =
	"usage: ipsecha card [--dev URI] [--json] <command>\n"
	"commands:\n"
	"  info\n"
	"  sa install SLOT --dir out|in --group G [--esn] [--seq N] [--limit N] [--soft-limit N]\n"
	"  sa read SLOT\n"
	"  sa remove SLOT\n"
	"  sa list [--group G]\n"
	"  group read G\n"
	"  group add G DELTA [--release]\n"
	"  group advance G DELTA\n"
	"  group hold G\n"
	"  group release G\n"
	"  readback (--group G | --slots A-B)\n"
	"  events\n"
	"  dp tx SLOT [COUNT]\n"
	"  dp rx SLOT SEQ [--commit]\n"
	"  selftest\n"
	"device: --dev URI, else $IPSECHA_DEV, else " CARD_DEFAULT_DEV "\n";

static int card_open(struct card_ctx *c)
{
	int err;

#ifdef IPSECHA_HAVE_VFIO
	/* The vfio: backend prints its diagnosis on a line of its own unless
	 * told not to; the CLI puts it into its one line instead. */
	setenv("IPSECHA_VFIO_QUIET", "1", 0);
#endif
	err = ipsecha_open(c->dev, NULL, &c->h);
#ifdef IPSECHA_HAVE_VFIO
	if (err && !strncmp(c->dev, "vfio:", 5)) {
		const struct ipsecha_vfio_diag *d = ipsecha_vfio_backend_diag();

		if (d->cause != IPSECHA_VFIO_OK && d->msg[0])
			return cli_error("cannot open card %s: %s", c->dev, d->msg);
	}
#endif
	if (err == -ENOENT || err == -ECONNREFUSED)
		return cli_error("cannot open card %s: card not running (%s)", c->dev,
				 err == -ENOENT ? "no socket there" : "connection refused");
	if (err == -EPROTO) {
		unsigned ma, mi;

		ipsecha_abi_version(&ma, &mi);
		return cli_error("cannot open card %s: %s (this host speaks ABI %u.%u); refusing",
				 c->dev, ipsecha_strerror(err), ma, mi);
	}
	if (err)
		return cli_error("cannot open card %s: %s", c->dev, ipsecha_strerror(err));
	err = ipsecha_identify(c->h, &c->info);
	if (err)
		return cli_error("card %s: identify: %s", c->dev, ipsecha_strerror(err));
	return CLI_OK;
}

static int fail(struct card_ctx *c, const char *what, int err)
{
	(void)c;
	return cli_error("%s: %s", what, ipsecha_strerror(err));
}

static int parse_slot(struct card_ctx *c, const char *s, uint32_t *out)
{
	if (!s)
		return cli_usage("missing SLOT (try 'ipsecha card --help')");
	if (cli_parse_u32(s, UINT32_MAX, out))
		return cli_usage("bad slot '%s': not a number", s);
	if (c->h && *out >= c->info.num_sa)
		return cli_error("unknown slot %u: the card has slots 0..%u", *out, c->info.num_sa - 1);
	return CLI_OK;
}

static int parse_group(struct card_ctx *c, const char *s, uint32_t *out)
{
	if (!s)
		return cli_usage("missing GROUP (try 'ipsecha card --help')");
	if (cli_parse_u32(s, UINT32_MAX, out))
		return cli_usage("bad group '%s': not a number", s);
	if (c->h && *out >= c->info.num_group)
		return cli_error("unknown group %u: the card has groups 0..%u", *out,
				 c->info.num_group - 1);
	return CLI_OK;
}

static int parse_u64(const char *what, const char *s, uint64_t *out)
{
	if (!s)
		return cli_usage("missing %s", what);
	if (cli_parse_u64(s, out))
		return cli_usage("bad %s '%s': not a number in 0..2^64-1", what, s);
	return CLI_OK;
}

static const char *dp_name(uint32_t st)
{
	static const char *const n[] = { "ok", "held", "exhausted", "invalid", "replay", "too-old" };

	if (st == IPSECHA_DP_NONE)
		return "none";
	return st < 6 ? n[st] : "?";
}

static const char *ev_name(uint32_t t)
{
	switch (t) {
	case IPSECHA_EV_EXHAUSTED:  return "exhausted";
	case IPSECHA_EV_SOFT_LIMIT: return "soft-limit";
	case IPSECHA_EV_OVERFLOW:   return "overflow-refused";
	case IPSECHA_EV_LOST:       return "lost";
	default:                    return "?";
	}
}

static struct json_object *slot_json(const struct ipsecha_slot_state *s)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "slot", json_object_new_int64(s->slot));
	json_object_object_add(o, "valid", json_object_new_boolean(s->flags & IPSECHA_SLOT_VALID));
	if (s->flags & IPSECHA_SLOT_VALID) {
		json_object_object_add(o, "dir", json_object_new_string(
			(s->flags & IPSECHA_SLOT_IN) ? "in" : "out"));
		json_object_object_add(o, "group", json_object_new_int64(s->group));
		json_object_object_add(o, "esn", json_object_new_boolean(s->flags & IPSECHA_SLOT_ESN));
		json_object_object_add(o, (s->flags & IPSECHA_SLOT_IN) ? "right_edge" : "last_seq",
				       cli_json_u64(s->value));
		if (!(s->flags & IPSECHA_SLOT_IN))
			json_object_object_add(o, "hard_limit", cli_json_u64(s->hard_limit));
		json_object_object_add(o, "exhausted",
				       json_object_new_boolean(s->flags & IPSECHA_SLOT_EXHAUSTED));
		json_object_object_add(o, "soft_limit_hit",
				       json_object_new_boolean(s->flags & IPSECHA_SLOT_SOFT));
	}
	json_object_object_add(o, "epoch", cli_json_u64(s->epoch));
	return o;
}

static void slot_table_head(void)
{
	printf("%6s  %-3s  %5s  %-3s  %20s  %20s  %8s  %s\n", "SLOT", "DIR", "GROUP", "ESN",
	       "VALUE", "HARD-LIMIT", "EPOCH", "FLAGS");
}

static void slot_table_row(const struct ipsecha_slot_state *s)
{
	char lim[24];

	if (s->flags & IPSECHA_SLOT_IN)
		snprintf(lim, sizeof(lim), "-");
	else
		snprintf(lim, sizeof(lim), "%" PRIu64, s->hard_limit);
	printf("%6u  %-3s  %5u  %-3s  %20" PRIu64 "  %20s  %8" PRIu64 "  %s%s\n", s->slot,
	       (s->flags & IPSECHA_SLOT_IN) ? "in" : "out", s->group,
	       (s->flags & IPSECHA_SLOT_ESN) ? "yes" : "no", s->value, lim, s->epoch,
	       (s->flags & IPSECHA_SLOT_EXHAUSTED) ? "exhausted " : "",
	       (s->flags & IPSECHA_SLOT_SOFT) ? "soft-limit" : "");
}

static int print_slots(struct card_ctx *c, const char *key, const struct ipsecha_slot_state *s,
		       size_t n, struct json_object *extra)
{
	size_t i;

	if (c->json) {
		struct json_object *doc = extra ? extra : json_object_new_object();
		struct json_object *arr = json_object_new_array();

		for (i = 0; i < n; i++)
			json_object_array_add(arr, slot_json(&s[i]));
		json_object_object_add(doc, key, arr);
		json_object_object_add(doc, "count", json_object_new_int64((int64_t)n));
		cli_json_print(doc);
		return CLI_OK;
	}
	if (extra)
		json_object_put(extra);
	slot_table_head();
	for (i = 0; i < n; i++)
		slot_table_row(&s[i]);
	printf("%zu slot%s\n", n, n == 1 ? "" : "s");
	return CLI_OK;
}

/* ---- commands ---- */

static int do_info(struct card_ctx *c)
{
	const struct ipsecha_info *i = &c->info;
	static const char *const capn[] = { "esn", "inbound", "injector", "events", "selftest" };
	unsigned k;

	if (c->json) {
		struct json_object *o = json_object_new_object(), *caps = json_object_new_array();
		char v[32];

		snprintf(v, sizeof(v), "%u.%u", i->abi_major, i->abi_minor);
		json_object_object_add(o, "device", json_object_new_string(c->dev));
		json_object_object_add(o, "backend", json_object_new_string(i->backend));
		json_object_object_add(o, "abi_version", json_object_new_string(v));
		json_object_object_add(o, "abi_major", json_object_new_int64(i->abi_major));
		json_object_object_add(o, "abi_minor", json_object_new_int64(i->abi_minor));
		json_object_object_add(o, "num_sa", json_object_new_int64(i->num_sa));
		json_object_object_add(o, "num_group", json_object_new_int64(i->num_group));
		json_object_object_add(o, "window", json_object_new_int64(i->window));
		for (k = 0; k < 5; k++)
			if (i->caps & (1u << k))
				json_object_array_add(caps, json_object_new_string(capn[k]));
		json_object_object_add(o, "capabilities", caps);
		snprintf(v, sizeof(v), "0x%08x", i->fw_build_id);
		json_object_object_add(o, "fw_build_id", json_object_new_string(v));
		snprintf(v, sizeof(v), "0x%08x", i->rtl_build_id);
		json_object_object_add(o, "rtl_build_id", json_object_new_string(v));
		snprintf(v, sizeof(v), "%u.%u", i->rtl_version >> 16, i->rtl_version & 0xffff);
		json_object_object_add(o, "rtl_version", json_object_new_string(v));
		json_object_object_add(o, "queues", json_object_new_int64(i->num_queues));
		json_object_object_add(o, "ring_entries", json_object_new_int64(i->cmd_entries));
		json_object_object_add(o, "event_entries", json_object_new_int64(i->ev_entries));
		json_object_object_add(o, "readback_entries", json_object_new_int64(i->rb_entries));
		json_object_object_add(o, "epoch", cli_json_u64(i->epoch));
		json_object_object_add(o, "cycles", cli_json_u64(i->cycles));
		cli_json_print(o);
		return CLI_OK;
	}
	printf("device        %s (%s backend, queue %u, peer %u)\n", c->dev, i->backend, i->queue,
	       i->peer_id);
	printf("ABI           %u.%u\n", i->abi_major, i->abi_minor);
	printf("slots         %u\n", i->num_sa);
	printf("groups        %u\n", i->num_group);
	printf("window        %u bits\n", i->window);
	printf("capabilities ");
	for (k = 0; k < 5; k++)
		if (i->caps & (1u << k))
			printf(" %s", capn[k]);
	printf("\nfirmware      build 0x%08x\n", i->fw_build_id);
	printf("engine        version %u.%u, build 0x%08x\n", i->rtl_version >> 16,
	       i->rtl_version & 0xffff, i->rtl_build_id);
	printf("rings         %u queues x %u entries, %u events, %u readback entries\n",
	       i->num_queues, i->cmd_entries, i->ev_entries, i->rb_entries);
	printf("epoch         %" PRIu64 "\n", i->epoch);
	printf("cycles        %" PRIu64 "\n", i->cycles);
	return CLI_OK;
}

static int do_sa_install(struct card_ctx *c, int argc, char **argv)
{
	struct ipsecha_sa sa = { 0 };
	uint32_t slot;
	uint64_t epoch;
	int have_dir = 0, have_group = 0, i, err;

	if (argc < 1)
		return cli_usage("sa install: missing SLOT");
	if ((err = parse_slot(c, argv[0], &slot)))
		return err;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--esn")) {
			sa.flags |= IPSECHA_SA_ESN;
			continue;
		}
		if (strcmp(a, "--dir") && strcmp(a, "--group") && strcmp(a, "--seq") &&
		    strcmp(a, "--limit") && strcmp(a, "--soft-limit"))
			return cli_usage("sa install: unknown option '%s'", a);
		if (!v)
			return cli_usage("sa install: %s needs a value", a);
		i++;
		if (!strcmp(a, "--dir")) {
			if (!strcmp(v, "in"))
				sa.flags |= IPSECHA_SA_IN;
			else if (strcmp(v, "out"))
				return cli_usage("sa install: --dir must be 'out' or 'in', not '%s'", v);
			have_dir = 1;
		} else if (!strcmp(a, "--group")) {
			if ((err = parse_group(c, v, &sa.group)))
				return err;
			have_group = 1;
		} else if ((err = parse_u64(a, v, !strcmp(a, "--seq") ? &sa.seq :
					    !strcmp(a, "--limit") ? &sa.hard_limit : &sa.soft_limit))) {
			return err;
		}
	}
	if (!have_dir)
		return cli_usage("sa install: missing --dir out|in");
	if (!have_group)
		return cli_usage("sa install: missing --group G");
	if ((sa.flags & IPSECHA_SA_IN) && (sa.hard_limit || sa.soft_limit))
		return cli_usage("sa install: --limit/--soft-limit apply to outbound slots only");
	err = ipsecha_slot_install(c->h, slot, &sa, &epoch);
	if (err == -EEXIST)
		return cli_error("sa install %u: slot %u is already installed", slot, slot);
	if (err == -EXDEV)
		return cli_error("sa install %u: group %u is in %s mode; all slots of a group share it",
				 slot, sa.group, (sa.flags & IPSECHA_SA_ESN) ? "non-ESN" : "ESN");
	if (err == -EINVAL)
		return cli_error("sa install %u: sequence number or limits out of range "
				 "(seq < limit, soft <= limit, 32-bit without --esn)", slot);
	if (err)
		return fail(c, "sa install", err);
	if (c->json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "slot", json_object_new_int64(slot));
		json_object_object_add(o, "installed", json_object_new_boolean(1));
		json_object_object_add(o, "epoch", cli_json_u64(epoch));
		cli_json_print(o);
	} else {
		printf("slot %u installed: %s, group %u%s, seq %" PRIu64 " (epoch %" PRIu64 ")\n", slot,
		       (sa.flags & IPSECHA_SA_IN) ? "in" : "out", sa.group,
		       (sa.flags & IPSECHA_SA_ESN) ? ", ESN" : "", sa.seq, epoch);
	}
	return CLI_OK;
}

static int do_sa_read(struct card_ctx *c, int argc, char **argv)
{
	struct ipsecha_slot_state st;
	uint32_t slot, bmp[32];
	size_t nb = 0, k;
	int err;

	if (argc != 1)
		return cli_usage(argc ? "sa read: too many arguments" : "sa read: missing SLOT");
	if ((err = parse_slot(c, argv[0], &slot)))
		return err;
	err = ipsecha_slot_read_bitmap(c->h, slot, &st, bmp, 32, &nb);
	if (err)
		return fail(c, "sa read", err);
	if (!(st.flags & IPSECHA_SLOT_VALID))
		return cli_error("sa read %u: slot %u is not installed", slot, slot);
	if (c->json) {
		struct json_object *o = slot_json(&st);

		if (!(st.flags & IPSECHA_SLOT_IN)) {
			json_object_object_add(o, "soft_limit", cli_json_u64(st.soft_limit));
		} else {
			struct json_object *a = json_object_new_array();

			for (k = 0; k < nb; k++) {
				char w[16];

				snprintf(w, sizeof(w), "0x%08x", bmp[k]);
				json_object_array_add(a, json_object_new_string(w));
			}
			json_object_object_add(o, "bitmap", a);
		}
		cli_json_print(o);
		return CLI_OK;
	}
	slot_table_head();
	slot_table_row(&st);
	if (!(st.flags & IPSECHA_SLOT_IN)) {
		printf("soft limit %" PRIu64 "%s\n", st.soft_limit, st.soft_limit ? "" : " (none)");
	} else {
		printf("bitmap (word 0 bit 0 = right edge):");
		for (k = 0; k < nb; k++)
			printf(" %08x", bmp[k]);
		printf("\n");
	}
	return CLI_OK;
}

static int do_sa_remove(struct card_ctx *c, int argc, char **argv)
{
	uint32_t slot;
	uint64_t epoch;
	int err;

	if (argc != 1)
		return cli_usage(argc ? "sa remove: too many arguments" : "sa remove: missing SLOT");
	if ((err = parse_slot(c, argv[0], &slot)))
		return err;
	err = ipsecha_slot_remove(c->h, slot, &epoch);
	if (err == -ENOENT)
		return cli_error("sa remove %u: slot %u is not installed", slot, slot);
	if (err)
		return fail(c, "sa remove", err);
	if (c->json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "slot", json_object_new_int64(slot));
		json_object_object_add(o, "removed", json_object_new_boolean(1));
		json_object_object_add(o, "epoch", cli_json_u64(epoch));
		cli_json_print(o);
	} else {
		printf("slot %u removed (epoch %" PRIu64 ")\n", slot, epoch);
	}
	return CLI_OK;
}

static int do_sa_list(struct card_ctx *c, int argc, char **argv)
{
	struct ipsecha_slot_state *s;
	size_t n = 0;
	uint32_t g = 0;
	int err, by_group = 0, rc;

	if (argc == 2 && !strcmp(argv[0], "--group")) {
		if ((err = parse_group(c, argv[1], &g)))
			return err;
		by_group = 1;
	} else if (argc == 1 && !strcmp(argv[0], "--group")) {
		return cli_usage("sa list: --group needs a value");
	} else if (argc) {
		return cli_usage("sa list: unexpected '%s'", argv[0]);
	}
	s = calloc(c->info.num_sa, sizeof(*s));
	if (!s)
		return cli_error("out of memory");
	if (by_group)
		err = ipsecha_readback_group(c->h, g, s, c->info.num_sa, &n);
	else
		err = ipsecha_readback_range(c->h, 0, c->info.num_sa, IPSECHA_RB_VALID_ONLY, s,
					     c->info.num_sa, &n);
	rc = err ? fail(c, "sa list", err) : print_slots(c, "slots", s, n, NULL);
	free(s);
	return rc;
}

static int do_sa(struct card_ctx *c, int argc, char **argv)
{
	if (argc < 1)
		return cli_usage("sa: missing subcommand (install, read, remove, list)");
	if (!strcmp(argv[0], "install"))
		return do_sa_install(c, argc - 1, argv + 1);
	if (!strcmp(argv[0], "read"))
		return do_sa_read(c, argc - 1, argv + 1);
	if (!strcmp(argv[0], "remove"))
		return do_sa_remove(c, argc - 1, argv + 1);
	if (!strcmp(argv[0], "list"))
		return do_sa_list(c, argc - 1, argv + 1);
	return cli_usage("sa: unknown subcommand '%s' (install, read, remove, list)", argv[0]);
}

static int print_epoch(struct card_ctx *c, const char *what, uint32_t g, uint64_t epoch,
		       const char *extra_key, uint64_t extra)
{
	if (c->json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "group", json_object_new_int64(g));
		json_object_object_add(o, "op", json_object_new_string(what));
		if (extra_key)
			json_object_object_add(o, extra_key, cli_json_u64(extra));
		json_object_object_add(o, "epoch", cli_json_u64(epoch));
		cli_json_print(o);
	} else if (extra_key) {
		printf("group %u %s %s %" PRIu64 ": epoch %" PRIu64 "\n", g, what, extra_key, extra, epoch);
	} else {
		printf("group %u %s: epoch %" PRIu64 "\n", g, what, epoch);
	}
	return CLI_OK;
}

static int do_group(struct card_ctx *c, int argc, char **argv)
{
	const char *sub;
	uint32_t g;
	uint64_t delta = 0, epoch;
	int err, release = 0, want_delta;

	if (argc < 1)
		return cli_usage("group: missing subcommand (read, add, advance, hold, release)");
	sub = argv[0];
	if (strcmp(sub, "read") && strcmp(sub, "add") && strcmp(sub, "advance") &&
	    strcmp(sub, "hold") && strcmp(sub, "release"))
		return cli_usage("group: unknown subcommand '%s'", sub);
	want_delta = !strcmp(sub, "add") || !strcmp(sub, "advance");
	if (!strcmp(sub, "add") && argc == 4 && !strcmp(argv[3], "--release")) {
		release = 1;
		argc--;
	}
	if (argc < 2)
		return cli_usage("group %s: missing GROUP", sub);
	if (want_delta && argc < 3)
		return cli_usage("group %s: missing DELTA", sub);
	if (argc > (want_delta ? 3 : 2))
		return cli_usage("group %s: unexpected '%s'", sub, argv[want_delta ? 3 : 2]);
	if ((err = parse_group(c, argv[1], &g)))
		return err;
	if (want_delta && (err = parse_u64("DELTA", argv[2], &delta)))
		return err;

	if (!strcmp(sub, "read")) {
		struct ipsecha_group_state st;

		err = ipsecha_group_read(c->h, g, &st);
		if (err)
			return fail(c, "group read", err);
		if (c->json) {
			struct json_object *o = json_object_new_object();

			json_object_object_add(o, "group", json_object_new_int64(g));
			json_object_object_add(o, "held", json_object_new_boolean(st.flags & IPSECHA_GROUP_HELD));
			json_object_object_add(o, "esn", json_object_new_boolean(st.flags & IPSECHA_GROUP_ESN));
			json_object_object_add(o, "n_out", json_object_new_int64(st.n_out));
			json_object_object_add(o, "n_in", json_object_new_int64(st.n_in));
			json_object_object_add(o, "tx_offset", cli_json_u64(st.tx_offset));
			json_object_object_add(o, "rx_advance", cli_json_u64(st.rx_advance));
			json_object_object_add(o, "tx_max", cli_json_u64(st.tx_max));
			json_object_object_add(o, "tx_limit", cli_json_u64(st.tx_limit));
			json_object_object_add(o, "last_epoch", cli_json_u64(st.last_epoch));
			cli_json_print(o);
		} else {
			printf("group       %u%s\n", g, (st.flags & IPSECHA_GROUP_HELD) ? " (HELD)" : "");
			printf("mode        %s\n", !(st.flags & IPSECHA_GROUP_HAS_SLOTS) ? "- (no slots)" :
			       (st.flags & IPSECHA_GROUP_ESN) ? "ESN" : "32-bit");
			printf("slots       %u out, %u in\n", st.n_out, st.n_in);
			printf("tx offset   %" PRIu64 "\n", st.tx_offset);
			printf("rx advance  %" PRIu64 "\n", st.rx_advance);
			printf("tx max      %" PRIu64 "\n", st.tx_max);
			printf("tx limit    %" PRIu64 "\n", st.tx_limit);
			printf("last epoch  %" PRIu64 "\n", st.last_epoch);
		}
		return CLI_OK;
	}
	if (!strcmp(sub, "add")) {
		err = ipsecha_group_tx_add(c->h, g, delta, release ? IPSECHA_TX_RELEASE : 0, &epoch);
		if (err == -EOVERFLOW)
			return cli_error("group add %u %" PRIu64 ": refused, a slot of the group would "
					 "pass its limit (nothing changed)", g, delta);
		if (err)
			return fail(c, "group add", err);
		return print_epoch(c, release ? "add+release" : "add", g, epoch, "delta", delta);
	}
	if (!strcmp(sub, "advance")) {
		err = ipsecha_group_rx_advance(c->h, g, delta, &epoch);
		if (err == -EOVERFLOW)
			return cli_error("group advance %u %" PRIu64 ": refused, a slot's window would "
					 "pass the sequence space (nothing changed)", g, delta);
		if (err)
			return fail(c, "group advance", err);
		return print_epoch(c, "advance", g, epoch, "delta", delta);
	}
	if (!strcmp(sub, "hold")) {
		err = ipsecha_group_hold(c->h, g, &epoch);
		if (err)
			return fail(c, "group hold", err);
		return print_epoch(c, "hold", g, epoch, NULL, 0);
	}
	err = ipsecha_group_release(c->h, g, &epoch);
	if (err)
		return fail(c, "group release", err);
	return print_epoch(c, "release", g, epoch, NULL, 0);
}

static int do_readback(struct card_ctx *c, int argc, char **argv)
{
	struct ipsecha_slot_state *s;
	struct json_object *extra = NULL;
	uint32_t g = 0, a = 0, b = 0;
	size_t n = 0;
	int err, rc;

	if (argc != 2 || (strcmp(argv[0], "--group") && strcmp(argv[0], "--slots")))
		return cli_usage("readback: want --group G or --slots A-B");
	if (!strcmp(argv[0], "--group")) {
		if ((err = parse_group(c, argv[1], &g)))
			return err;
	} else {
		char *dash = strchr(argv[1], '-'), buf[64];

		if (!dash || strlen(argv[1]) >= sizeof(buf))
			return cli_usage("readback: --slots wants A-B, not '%s'", argv[1]);
		memcpy(buf, argv[1], (size_t)(dash - argv[1]));
		buf[dash - argv[1]] = 0;
		if ((err = parse_slot(c, buf, &a)) || (err = parse_slot(c, dash + 1, &b)))
			return err;
		if (b < a)
			return cli_usage("readback: empty range %u-%u", a, b);
	}
	s = calloc(c->info.num_sa, sizeof(*s));
	if (!s)
		return cli_error("out of memory");
	if (!strcmp(argv[0], "--group"))
		err = ipsecha_readback_group(c->h, g, s, c->info.num_sa, &n);
	else
		err = ipsecha_readback_range(c->h, a, b - a + 1, 0, s, c->info.num_sa, &n);
	if (err) {
		free(s);
		return fail(c, "readback", err);
	}
	if (c->json) {
		extra = json_object_new_object();
		if (!strcmp(argv[0], "--group"))
			json_object_object_add(extra, "group", json_object_new_int64(g));
		else {
			json_object_object_add(extra, "first", json_object_new_int64(a));
			json_object_object_add(extra, "last", json_object_new_int64(b));
		}
	}
	rc = print_slots(c, "slots", s, n, extra);
	free(s);
	return rc;
}

static int do_events(struct card_ctx *c, int argc, char **argv)
{
	struct ipsecha_event ev[256];
	size_t n = 0, i, total = 0;
	uint64_t lost = 0, l;
	struct json_object *arr = NULL;
	int err;

	(void)argv;
	if (argc)
		return cli_usage("events: takes no arguments");
	if (c->json)
		arr = json_object_new_array();
	else
		printf("%8s  %-16s  %6s  %20s  %8s\n", "SEQ", "TYPE", "INDEX", "VALUE", "EPOCH");
	do {
		err = ipsecha_event_drain(c->h, ev, 256, &n, &l);
		if (err) {
			json_object_put(arr);
			return fail(c, "events", err);
		}
		lost += l;
		for (i = 0; i < n; i++) {
			if (arr) {
				struct json_object *o = json_object_new_object();

				json_object_object_add(o, "seq", json_object_new_int64(ev[i].seq));
				json_object_object_add(o, "type", json_object_new_string(ev_name(ev[i].type)));
				json_object_object_add(o, ev[i].type == IPSECHA_EV_OVERFLOW ? "group" : "slot",
						       json_object_new_int64(ev[i].index));
				json_object_object_add(o, "value", cli_json_u64(ev[i].value));
				json_object_object_add(o, "epoch", cli_json_u64(ev[i].epoch));
				json_object_array_add(arr, o);
			} else {
				printf("%8u  %-16s  %6u  %20" PRIu64 "  %8" PRIu64 "\n", ev[i].seq,
				       ev_name(ev[i].type), ev[i].index, ev[i].value, ev[i].epoch);
			}
		}
		total += n;
	} while (n == 256);
	if (arr) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "events", arr);
		json_object_object_add(o, "count", json_object_new_int64((int64_t)total));
		json_object_object_add(o, "lost", cli_json_u64(lost));
		cli_json_print(o);
	} else {
		printf("%zu event%s", total, total == 1 ? "" : "s");
		if (lost)
			printf(", %" PRIu64 " lost (overwritten before read)", lost);
		printf("\n");
	}
	return CLI_OK;
}

static int do_dp(struct card_ctx *c, int argc, char **argv)
{
	uint32_t slot;
	int err;

	if (argc < 1)
		return cli_usage("dp: missing subcommand (tx, rx)");
	if (!strcmp(argv[0], "tx")) {
		struct ipsecha_dp_result *r;
		uint32_t count = 1, ok = 0, i;

		if (argc < 2)
			return cli_usage("dp tx: missing SLOT");
		if (argc > 3)
			return cli_usage("dp tx: unexpected '%s'", argv[3]);
		if ((err = parse_slot(c, argv[1], &slot)))
			return err;
		if (argc == 3 && (cli_parse_u32(argv[2], 1000000, &count) || !count))
			return cli_usage("dp tx: COUNT must be 1..1000000, not '%s'", argv[2]);
		r = calloc(count, sizeof(*r));
		if (!r)
			return cli_error("out of memory");
		err = ipsecha_dp_tx(c->h, slot, count, r, &ok);
		if (err) {
			free(r);
			if (err == -ENOENT)
				return cli_error("dp tx %u: slot %u is not installed", slot, slot);
			if (err == -EDOM)
				return cli_error("dp tx %u: slot %u is inbound (dp tx needs an outbound slot)",
						 slot, slot);
			return fail(c, "dp tx", err);
		}
		if (c->json) {
			struct json_object *o = json_object_new_object(), *a = json_object_new_array();

			json_object_object_add(o, "slot", json_object_new_int64(slot));
			json_object_object_add(o, "count", json_object_new_int64(count));
			json_object_object_add(o, "ok", json_object_new_int64(ok));
			for (i = 0; i < count; i++) {
				struct json_object *e = json_object_new_object();

				json_object_object_add(e, "status", json_object_new_string(dp_name(r[i].status)));
				json_object_object_add(e, "seq", cli_json_u64(r[i].seq));
				json_object_object_add(e, "epoch", cli_json_u64(r[i].epoch));
				json_object_array_add(a, e);
			}
			json_object_object_add(o, "results", a);
			cli_json_print(o);
		} else {
			uint32_t shown = count <= 16 ? count : 8;

			printf("%8s  %-10s  %20s  %8s\n", "#", "STATUS", "SEQ", "EPOCH");
			for (i = 0; i < count; i++) {
				char seq[24] = "-";

				if (i == shown && shown < count - 1) {
					printf("%8s\n", "...");
					i = count - 1;
				}
				/* A number exists only for an issued packet. */
				if (r[i].status == IPSECHA_DP_OK)
					snprintf(seq, sizeof(seq), "%" PRIu64, r[i].seq);
				printf("%8u  %-10s  %20s  %8" PRIu64 "\n", i, dp_name(r[i].status), seq,
				       r[i].epoch);
			}
			printf("slot %u: %u issued, %u got a sequence number\n", slot, count, ok);
		}
		free(r);
		return CLI_OK;
	}
	if (!strcmp(argv[0], "rx")) {
		struct ipsecha_dp_result chk, com;
		uint32_t seq;
		int commit = 0;

		if (argc == 4 && !strcmp(argv[3], "--commit")) {
			commit = 1;
			argc--;
		}
		if (argc < 3)
			return cli_usage(argc < 2 ? "dp rx: missing SLOT" : "dp rx: missing SEQ");
		if (argc > 3)
			return cli_usage("dp rx: unexpected '%s'", argv[3]);
		if ((err = parse_slot(c, argv[1], &slot)))
			return err;
		if (cli_parse_u32(argv[2], UINT32_MAX, &seq))
			return cli_usage("dp rx: SEQ is the 32-bit wire field, not '%s'", argv[2]);
		err = ipsecha_dp_rx(c->h, slot, seq, commit ? IPSECHA_RX_COMMIT : 0, &chk, &com);
		if (err == -ENOENT)
			return cli_error("dp rx %u: slot %u is not installed", slot, slot);
		if (err == -EDOM)
			return cli_error("dp rx %u: slot %u is outbound (dp rx needs an inbound slot)",
					 slot, slot);
		if (err)
			return fail(c, "dp rx", err);
		if (c->json) {
			struct json_object *o = json_object_new_object();

			json_object_object_add(o, "slot", json_object_new_int64(slot));
			json_object_object_add(o, "wire_seq", json_object_new_int64(seq));
			json_object_object_add(o, "seq", cli_json_u64(chk.seq));
			json_object_object_add(o, "check", json_object_new_string(dp_name(chk.status)));
			json_object_object_add(o, "commit", json_object_new_string(dp_name(com.status)));
			json_object_object_add(o, "epoch", cli_json_u64(com.epoch));
			cli_json_print(o);
		} else {
			printf("slot %u seq %u (64-bit %" PRIu64 "): check %s, commit %s (epoch %" PRIu64 ")\n",
			       slot, seq, chk.seq, dp_name(chk.status), dp_name(com.status), com.epoch);
		}
		return CLI_OK;
	}
	return cli_usage("dp: unknown subcommand '%s' (tx, rx)", argv[0]);
}

static int do_selftest(struct card_ctx *c, int argc)
{
	static const char *const names[] = { "identity", "mailbox", "epoch", "cycle counter",
					     "card memory", "event fifo", "slot+injector" };
	uint64_t failed = 0, skipped = 0;
	unsigned k;
	int err;

	if (argc)
		return cli_usage("selftest: takes no arguments");
	err = ipsecha_selftest(c->h, &failed, &skipped);
	if (err && err != -EREMOTEIO)
		return fail(c, "selftest", err);
	if (c->json) {
		struct json_object *o = json_object_new_object(), *a = json_object_new_array();

		for (k = 0; k < 7; k++) {
			struct json_object *e = json_object_new_object();

			json_object_object_add(e, "check", json_object_new_string(names[k]));
			json_object_object_add(e, "result", json_object_new_string(
				(failed >> k) & 1 ? "failed" : (skipped >> k) & 1 ? "skipped" : "passed"));
			json_object_array_add(a, e);
		}
		json_object_object_add(o, "checks", a);
		json_object_object_add(o, "passed", json_object_new_boolean(!err));
		cli_json_print(o);
	} else {
		for (k = 0; k < 7; k++)
			printf("%-14s %s\n", names[k],
			       (failed >> k) & 1 ? "FAILED" : (skipped >> k) & 1 ? "skipped" : "ok");
	}
	if (err)
		return cli_error("selftest: the card found a fault (checks 0x%" PRIx64 ")", failed);
	if (!c->json)
		printf("selftest passed\n");
	return CLI_OK;
}

static int card_main(int argc, char **argv)
{
	struct card_ctx c = { 0 };
	char **rest;
	int i, n = 0, rc;

	c.dev = getenv("IPSECHA_DEV");
	if (!c.dev || !*c.dev)
		c.dev = CARD_DEFAULT_DEV;
	rest = calloc((size_t)argc + 1, sizeof(*rest));
	if (!rest)
		return cli_error("out of memory");
	/* Global options may stand before or after the command. */
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			c.json = 1;
		} else if (!strcmp(argv[i], "--dev")) {
			if (i + 1 >= argc) {
				free(rest);
				return cli_usage("card: --dev needs a URI (sim:PATH, vfio:BDF)");
			}
			c.dev = argv[++i];
		} else if (!strncmp(argv[i], "--dev=", 6)) {
			c.dev = argv[i] + 6;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(card_usage_text, stdout);
			free(rest);
			return CLI_OK;
		} else {
			rest[n++] = argv[i];
		}
	}
	if (!n) {
		fputs(card_usage_text, stderr);
		free(rest);
		return CLI_USAGE;
	}
	if (strcmp(rest[0], "info") && strcmp(rest[0], "sa") && strcmp(rest[0], "group") &&
	    strcmp(rest[0], "readback") && strcmp(rest[0], "events") && strcmp(rest[0], "dp") &&
	    strcmp(rest[0], "selftest")) {
		rc = cli_usage("card: unknown command '%s' (try 'ipsecha card --help')", rest[0]);
		free(rest);
		return rc;
	}
	rc = card_open(&c);
	if (rc == CLI_OK) {
		if (!strcmp(rest[0], "info"))
			rc = n == 1 ? do_info(&c) : cli_usage("info: takes no arguments");
		else if (!strcmp(rest[0], "sa"))
			rc = do_sa(&c, n - 1, rest + 1);
		else if (!strcmp(rest[0], "group"))
			rc = do_group(&c, n - 1, rest + 1);
		else if (!strcmp(rest[0], "readback"))
			rc = do_readback(&c, n - 1, rest + 1);
		else if (!strcmp(rest[0], "events"))
			rc = do_events(&c, n - 1, rest + 1);
		else if (!strcmp(rest[0], "dp"))
			rc = do_dp(&c, n - 1, rest + 1);
		else
			rc = do_selftest(&c, n - 1);
	}
	ipsecha_close(c.h);
	free(rest);
	return rc;
}

CLI_COMMAND(card, "bring-up access to the card (slots, groups, readback, events, injector)",
	    card_main)
