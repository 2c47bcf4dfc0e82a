/* loadgen.c — load-initiator mode (ipsecha-agent --load-initiator CONN):
 * keep `concurrency` IKE SA establishments (IKE_SA_INIT + IKE_AUTH with one
 * Child SA) in flight against a responder until `count` finished, then
 * report completions per second. Each established SA is deleted again
 * (INFORMATIONAL DELETE, or dropped locally with --load-mode drop) so the
 * responder's state stays bounded. Used by bench-ike to compare responders
 * driven by the same initiator. */
#include "agent.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct loadgen {
	struct loadgen_opts o;
	unsigned started, completed, failed, in_flight;
	uint64_t t0, t_end;
	uint32_t *ids;   /* in-flight SA ids */
};

static void start_more(struct agent *a)
{
	struct loadgen *l = a->load;

	while (l->in_flight < l->o.concurrency && l->started < l->o.count) {
		uint32_t id = 0;
		struct ike_initiate_opts io = {
			.ts_port = l->o.ts_spread ? (uint16_t)(20000 + l->started % 40000) : 0,
		};
		int err = ike_initiate_opts(a->e, l->o.conn, &io, &id);

		l->started++;
		if (err) {
			agent_log(a, IKE_LOG_WARN, "load: initiation failed: %s", strerror(-err));
			l->failed++;
			continue;
		}
		for (unsigned i = 0; i < l->o.concurrency; i++) {
			if (!l->ids[i]) {
				l->ids[i] = id;
				break;
			}
		}
		l->in_flight++;
	}
}

int loadgen_start(struct agent *a, const struct loadgen_opts *o)
{
	struct loadgen *l = calloc(1, sizeof(*l));

	if (!l || !o->count || !o->concurrency) {
		free(l);
		return -EINVAL;
	}
	l->o = *o;
	l->ids = calloc(o->concurrency, sizeof(*l->ids));
	if (!l->ids) {
		free(l);
		return -ENOMEM;
	}
	a->load = l;
	l->t0 = agent_now();
	start_more(a);
	return 0;
}

static bool ours(struct loadgen *l, uint32_t id)
{
	for (unsigned i = 0; i < l->o.concurrency; i++) {
		if (l->ids[i] == id) {
			l->ids[i] = 0;
			return true;
		}
	}
	return false;
}

void loadgen_event(struct agent *a, const struct ike_event *ev)
{
	struct loadgen *l = a->load;

	if (!l || ev->rekey)
		return;
	if (ev->type == IKE_EV_IKE_UP && ours(l, ev->ike_id)) {
		struct ike_sa_info info;

		/* An establishment counts with its Child SA only (a responder
		 * may accept the IKE SA and refuse the Child SA, §2.21.2). */
		if (ike_sa_info_by_id(a->e, ev->ike_id, &info) || info.n_children < 1) {
			agent_log(a, IKE_LOG_WARN, "load: IKE SA %u up without its Child SA",
				  ev->ike_id);
			l->failed++;
		} else {
			l->completed++;
		}
		l->in_flight--;
		if (l->o.mode == LOAD_DELETE)
			ike_terminate_ike(a->e, ev->ike_id);
		else
			ike_drop_ike(a->e, ev->ike_id);
	} else if (ev->type == IKE_EV_IKE_FAILED && ours(l, ev->ike_id)) {
		l->failed++;
		l->in_flight--;
	} else {
		return;
	}
	if (l->completed + l->failed == l->o.count && !l->t_end)
		l->t_end = agent_now();
	start_more(a);
}

bool loadgen_done(const struct agent *a)
{
	const struct loadgen *l = a->load;

	return l && (l->t_end || (l->o.timeout_s && agent_now() - l->t0 > l->o.timeout_s * 1000ull));
}

int loadgen_finish(struct agent *a)
{
	struct loadgen *l = a->load;
	uint64_t end = l->t_end ? l->t_end : agent_now();
	double secs = (double)(end - l->t0) / 1000.0;
	double rate = secs > 0 ? l->completed / secs : 0;
	int rc = l->completed == l->o.count ? 0 : 1;

	if (l->o.json)
		printf("{\"conn\":\"%s\",\"count\":%u,\"completed\":%u,\"failed\":%u,"
		       "\"concurrency\":%u,\"seconds\":%.3f,\"sa_per_s\":%.1f}\n", l->o.conn,
		       l->o.count, l->completed, l->failed, l->o.concurrency, secs, rate);
	else
		printf("load: %u/%u IKE SAs established (%u failed) in %.3f s with concurrency %u: "
		       "%.1f IKE_SA/s\n", l->completed, l->o.count, l->failed, secs,
		       l->o.concurrency, rate);
	fflush(stdout);
	free(l->ids);
	free(l);
	a->load = NULL;
	return rc;
}
