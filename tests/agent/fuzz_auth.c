/* fuzz_auth.c — libFuzzer target for what an authenticated peer can send:
 * the fuzz input is the plaintext of an SK payload (first byte: the first
 * inner payload's type) that is sealed with the real keys of an IKE SA
 * between two in-memory engines (tests/agent/tpeer.c) and delivered as a
 * message that passes the ICV and the Message ID window. So the handlers
 * behind decryption are reached — IKE_AUTH, CREATE_CHILD_SA (new Child SA,
 * Child rekey, IKE rekey), INFORMATIONAL (DELETE, notifies) — in both
 * directions, which a fuzzer of unauthenticated datagrams never gets to.
 * Built from the production sources with the real crypto (clang, ASan,
 * UBSan). Any crash, leak or sanitizer report is a bug.
 *
 * Input: byte 0 selects the case (bits 0-1) and its variant (bits 2-4);
 * bytes 1.. are the SK plaintext, byte 1 the first payload type.
 *   case 0: a request to the established responder B (exchange: IKE_AUTH,
 *           CREATE_CHILD_SA or INFORMATIONAL by variant), at B's next
 *           expected Message ID;
 *   case 1: the response to a request of the established initiator A (DPD,
 *           Child rekey, IKE rekey, new Child SA by variant), whose real
 *           answer was lost;
 *   case 2: the IKE_AUTH request to B after IKE_SA_INIT (A's was lost);
 *   case 3: the IKE_AUTH response to A (B's was lost).
 * Afterwards time runs on (retransmissions, deletes, rekeys) so that the
 * state the message left behind is used.
 *
 * With -DFUZZ_AUTH_SEEDS this file is instead a program writing seed
 * inputs (built with the production builders) into the directory given. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike_int.h"
#include "tpeer.h"

static char ca[4096], cb[4096];

/* Which of A's (0) or B's (1) outgoing exchange types to drop. */
struct dropper {
	int from;
	uint8_t exchange;
	bool all;
};

static bool drop_fn(struct tnet *net, const struct tpkt *p, unsigned n, void *arg)
{
	const struct dropper *d = arg;
	struct ikm_hdr h;

	(void)net; (void)n;
	if (p->from != d->from || ikm_peek_hdr(p->data, p->len, &h))
		return false;
	return d->all || h.exchange == d->exchange;
}

/* Seal plain (first payload np) as a message of `from`'s IKE SA and give it
 * to the other peer. */
static void deliver(struct tnet *net, int from, struct ike_sa *sa, uint8_t exchange, bool resp,
		    uint32_t mid, uint8_t np, const uint8_t *plain, size_t len)
{
	static uint8_t buf[IKE_MSG_BUF];
	struct ikm_hdr h = { .exchange = exchange, .mid = mid };
	struct ikm_builder b;
	struct tpeer *to = &net->p[!from];
	struct ike_sa *tsa;
	size_t body;
	int n;

	if (!sa || !sa->sk || !to->e->head)
		return;
	tsa = to->e->head;
	memcpy(h.spi_i, sa->spi_i, 8);
	memcpy(h.spi_r, sa->spi_r, 8);
	h.flags = (sa->initiator ? IKE_FLAG_I : 0) | (resp ? IKE_FLAG_R : 0);
	body = ikc_sk_body_len(sa->sk, len);
	ikm_build_begin(&b, buf, sizeof(buf), &h);
	ikm_build_sk(&b, np, body);
	n = ikm_build_end(&b);
	if (n < 0 || ikc_sk_seal(sa->sk, buf, sizeof(buf), (size_t)n - body, plain, len))
		return;
	ike_input(to->e, &tsa->local, &tsa->remote, tsa->natt, buf, (size_t)n);
}

/* The fuzzer cannot forge a PSK AUTH: where the plaintext holds an ID and a
 * shared-key AUTH of the PRF's size, put in the value the receiving SA
 * expects (RFC 7296 §2.15), so that what follows authentication — the
 * Child SA of IKE_AUTH, the selectors, the notifies — is reached too. */
static void fix_auth(const struct ike_sa *v, bool peer_is_initiator, uint8_t np, uint8_t *plain,
		     size_t len)
{
	static struct ikm_msg m;
	const struct ikm_payload *id, *auth;
	uint8_t out[IKC_MAX_PRF_LEN];
	size_t out_len = 0;
	const struct agc_conn *c;

	if (!v || !v->init_i || !v->init_r)
		return;
	memset(&m, 0, offsetof(struct ikm_msg, pl));
	m.sk_type = PT_SK;
	m.sk_np = np;
	if (ikm_parse_inner(&m, plain, len))
		return;
	id = ikm_find(&m, peer_is_initiator ? PT_IDI : PT_IDR);
	auth = ikm_find(&m, PT_AUTH);
	if (!id || !auth || auth->u.auth.method != AUTH_SHARED_KEY)
		return;
	c = &v->conn->c;
	{
		struct ikc_auth_input in = {
			.real_msg = peer_is_initiator ? v->init_i : v->init_r,
			.real_msg_len = peer_is_initiator ? v->init_i_len : v->init_r_len,
			.nonce = peer_is_initiator ? v->nr : v->ni,
			.nonce_len = peer_is_initiator ? v->nr_len : v->ni_len,
			.sk_p = peer_is_initiator ? v->keys.sk_pi : v->keys.sk_pr,
			.sk_p_len = v->keys.prf_len,
			.id_body = id->u.id.body, .id_body_len = id->u.id.body_len,
		};

		if (ikc_auth_psk(v->suite.prf, c->psk, c->psk_len, &in, out, &out_len) ||
		    out_len != auth->u.auth.len)
			return;
	}
	memcpy((uint8_t *)auth->u.auth.data, out, out_len);
}

static struct tnet *setup(struct dropper *d)
{
	struct tnet *net = calloc(1, sizeof(*net));

	if (!net || tnet_init(net, tconf(ca, sizeof(ca), 0, NULL, NULL),
			      tconf(cb, sizeof(cb), 1, NULL, NULL))) {
		if (net)
			tnet_free(net);
		free(net);
		return NULL;
	}
	if (d) {
		net->drop = drop_fn;
		net->drop_arg = d;
	}
	if (ike_initiate(net->p[0].e, "c", NULL)) {
		tnet_free(net);
		free(net);
		return NULL;
	}
	tnet_run(net, 10);
	return net;
}

static void run_case(uint8_t sel, uint8_t np, const uint8_t *in, size_t len)
{
	static uint8_t plain[4096];
	static const uint8_t req_x[] = { IKE_AUTH, CREATE_CHILD_SA, INFORMATIONAL };
	struct dropper d = { 0 };
	struct tnet *net = NULL;
	struct ike_sa *a, *b;
	unsigned var = (sel >> 2) & 7;

	if (len > sizeof(plain))
		return;
	memcpy(plain, in, len);
	switch (sel & 3) {
	case 0:
		net = setup(NULL);
		if (!net)
			return;
		b = net->p[1].e->head;
		if (b)
			deliver(net, 0, net->p[0].e->head, req_x[var % 3], false, b->mid_recv, np,
				plain, len);
		break;
	case 1:
		net = setup(&d);
		if (!net)
			return;
		a = net->p[0].e->head;
		if (!a)
			break;
		/* From now on A's requests are lost; B's answer is the input. */
		d.from = 0;
		d.all = true;
		switch (var % 4) {
		case 0: ike_dpd(net->p[0].e, a->id); break;
		case 1: ike_rekey_child(net->p[0].e, a->children ? a->children->id : 0); break;
		case 2: ike_rekey_ike(net->p[0].e, a->id); break;
		default: ike_create_child(net->p[0].e, a->id); break;
		}
		tnet_pump(net);
		net->drop = NULL;
		if (a->out[0])
			deliver(net, 1, net->p[1].e->head, a->out[0]->exchange, true, a->out[0]->mid,
				np, plain, len);
		break;
	case 2:
		d.from = 0;
		d.exchange = IKE_AUTH;
		net = setup(&d);
		if (!net)
			return;
		net->drop = NULL;
		fix_auth(net->p[1].e->head, true, np, plain, len);
		deliver(net, 0, net->p[0].e->head, IKE_AUTH, false, 1, np, plain, len);
		break;
	default:
		d.from = 1;
		d.exchange = IKE_AUTH;
		net = setup(&d);
		if (!net)
			return;
		net->drop = NULL;
		fix_auth(net->p[0].e->head, false, np, plain, len);
		deliver(net, 1, net->p[1].e->head, IKE_AUTH, true, 1, np, plain, len);
		break;
	}
	tnet_pump(net);
	tnet_run(net, 60000);
	tnet_free(net);
	free(net);
}

#ifndef FUZZ_AUTH_SEEDS

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2 || size > 4096)
		return 0;
	run_case(data[0], data[1], data + 2, size - 2);
	return 0;
}

#else

#include <openssl/evp.h>

static void put(const char *dir, const char *name, uint8_t sel, uint8_t np,
		const struct ikm_builder *b)
{
	char path[512];
	FILE *f;
	int n = ikm_build_end((struct ikm_builder *)b);

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || n < 0) {
		perror(path);
		exit(1);
	}
	fputc(sel, f);
	fputc(np, f);
	fwrite(b->w.p, 1, (size_t)n, f);
	fclose(f);
}

static void esp_prop(struct ikm_proposal *p, bool esn)
{
	memset(p, 0, sizeof(*p));
	p->num = 1;
	p->proto = PROTO_ESP;
	p->spi_size = 4;
	memcpy(p->spi, "\x11\x22\x33\x44", 4);
	p->n_xf = 2;
	p->xf[0] = (struct ikm_xf){ .type = TT_ENCR, .id = 20, .keybits = 128 };
	p->xf[1] = (struct ikm_xf){ .type = TT_ESN, .id = esn };
}

static void ts_pair(struct ikm_builder *b, bool swap)
{
	struct ikm_ts t[2] = { { .type = TS_IPV4_ADDR_RANGE, .end_port = 65535 },
			       { .type = TS_IPV4_ADDR_RANGE, .end_port = 65535 } };

	memcpy(t[0].start, "\x0a\x01\x00\x00", 4);
	memcpy(t[0].end, "\x0a\x01\x00\xff", 4);
	memcpy(t[1].start, "\x0a\x02\x00\x00", 4);
	memcpy(t[1].end, "\x0a\x02\x00\xff", 4);
	ikm_build_ts(b, PT_TSI, &t[swap], 1);
	ikm_build_ts(b, PT_TSR, &t[!swap], 1);
}

int main(int argc, char **argv)
{
	static uint8_t buf[4096], nonce[32], ke[32], auth[32];
	struct ikm_builder b;
	struct ikm_proposal p;
	const char *dir = argc > 1 ? argv[1] : ".";

	memset(nonce, 0x4e, sizeof(nonce));
	memset(ke, 0x09, sizeof(ke));
	memset(auth, 0xa5, sizeof(auth));
	/* case 0, INFORMATIONAL (variant 2): empty, DELETE ESP, DELETE IKE,
	 * notifies */
	ikm_build_chain(&b, buf, sizeof(buf));
	put(dir, "info-empty", 0 | 2 << 2, PT_NONE, &b);
	ikm_build_chain(&b, buf, sizeof(buf));
	ikm_build_delete(&b, PROTO_ESP, 4, "\x11\x22\x33\x44", 1);
	put(dir, "info-delete-esp", 0 | 2 << 2, PT_D, &b);
	ikm_build_chain(&b, buf, sizeof(buf));
	ikm_build_delete(&b, PROTO_IKE, 0, NULL, 0);
	put(dir, "info-delete-ike", 0 | 2 << 2, PT_D, &b);
	ikm_build_chain(&b, buf, sizeof(buf));
	ikm_build_notify(&b, 0, NULL, 0, N_INITIAL_CONTACT, NULL, 0);
	ikm_build_notify(&b, PROTO_ESP, "\x11\x22\x33\x44", 4, N_INVALID_SPI, NULL, 0);
	ikm_build_notify(&b, 0, NULL, 0, 40000, "xyz", 3);
	put(dir, "info-notifies", 0 | 2 << 2, PT_N, &b);
	/* case 0, CREATE_CHILD_SA (variant 1): new Child SA, Child rekey, IKE
	 * rekey */
	ikm_build_chain(&b, buf, sizeof(buf));
	esp_prop(&p, false);
	ikm_build_sa(&b, &p, 1);
	ikm_build_nonce(&b, nonce, sizeof(nonce));
	ts_pair(&b, false);
	put(dir, "ccsa-child", 0 | 1 << 2, PT_SA, &b);
	ikm_build_chain(&b, buf, sizeof(buf));
	ikm_build_notify(&b, PROTO_ESP, "\x11\x22\x33\x44", 4, N_REKEY_SA, NULL, 0);
	ikm_build_sa(&b, &p, 1);
	ikm_build_nonce(&b, nonce, sizeof(nonce));
	ts_pair(&b, false);
	put(dir, "ccsa-rekey-child", 0 | 1 << 2, PT_N, &b);
	ikm_build_chain(&b, buf, sizeof(buf));
	memset(&p, 0, sizeof(p));
	p.num = 1;
	p.proto = PROTO_IKE;
	p.spi_size = 8;
	memcpy(p.spi, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	p.n_xf = 3;
	p.xf[0] = (struct ikm_xf){ .type = TT_ENCR, .id = 20, .keybits = 128 };
	p.xf[1] = (struct ikm_xf){ .type = TT_PRF, .id = 5 };
	p.xf[2] = (struct ikm_xf){ .type = TT_KE, .id = 31 };
	ikm_build_sa(&b, &p, 1);
	ikm_build_nonce(&b, nonce, sizeof(nonce));
	ikm_build_ke(&b, 31, ke, sizeof(ke));
	put(dir, "ccsa-rekey-ike", 0 | 1 << 2, PT_SA, &b);
	/* case 1: responses to A's DPD (empty), Child rekey, IKE rekey */
	ikm_build_chain(&b, buf, sizeof(buf));
	put(dir, "resp-dpd", 1 | 0 << 2, PT_NONE, &b);
	ikm_build_chain(&b, buf, sizeof(buf));
	esp_prop(&p, false);
	ikm_build_sa(&b, &p, 1);
	ikm_build_nonce(&b, nonce, sizeof(nonce));
	ts_pair(&b, false);
	put(dir, "resp-rekey-child", 1 | 1 << 2, PT_SA, &b);
	ikm_build_chain(&b, buf, sizeof(buf));
	ikm_build_notify(&b, 0, NULL, 0, N_TEMPORARY_FAILURE, NULL, 0);
	put(dir, "resp-tempfail", 1 | 2 << 2, PT_N, &b);
	ikm_build_chain(&b, buf, sizeof(buf));
	ikm_build_notify(&b, 0, NULL, 0, N_INVALID_KE_PAYLOAD, "\x00\x13", 2);
	put(dir, "resp-invalid-ke", 1 | 2 << 2, PT_N, &b);
	/* case 2: IKE_AUTH request; case 3: IKE_AUTH response */
	ikm_build_chain(&b, buf, sizeof(buf));
	ikm_build_id(&b, PT_IDI, ID_IPV4_ADDR, "\xc0\x00\x02\x01", 4);
	ikm_build_notify(&b, 0, NULL, 0, N_INITIAL_CONTACT, NULL, 0);
	ikm_build_auth(&b, AUTH_SHARED_KEY, auth, sizeof(auth));
	esp_prop(&p, true);
	ikm_build_sa(&b, &p, 1);
	ts_pair(&b, false);
	put(dir, "auth-request", 2, PT_IDI, &b);
	ikm_build_chain(&b, buf, sizeof(buf));
	ikm_build_id(&b, PT_IDR, ID_IPV4_ADDR, "\xc0\x00\x02\x02", 4);
	ikm_build_auth(&b, AUTH_SHARED_KEY, auth, sizeof(auth));
	esp_prop(&p, false);
	ikm_build_sa(&b, &p, 1);
	ts_pair(&b, false);
	put(dir, "auth-response", 3, PT_IDR, &b);
	ikm_build_chain(&b, buf, sizeof(buf));
	ikm_build_notify(&b, 0, NULL, 0, N_AUTHENTICATION_FAILED, NULL, 0);
	put(dir, "auth-response-failed", 3, PT_N, &b);
	return 0;
}

#endif
