/* rules.h — which payloads each exchange may carry, as data.
 *
 * One table per (exchange, request/response) lists every payload type the
 * message may contain with its minimum and maximum count (RFC 7296 §1.2–§1.5,
 * §1.3 CREATE_CHILD_SA, §1.4 INFORMATIONAL). A type not listed is not allowed;
 * a type listed with max 1 may not repeat. Exchanges after IKE_SA_INIT must
 * carry everything inside SK; IKE_SA_INIT must not carry SK. A response made
 * of Notify (and Vendor ID) payloads only is an error response and is always
 * acceptable in shape — the state machine reads its notify. */
#ifndef IPSECHA_IKE_RULES_H
#define IPSECHA_IKE_RULES_H

#include "msg.h"

#define IKR_MANY 255

struct ikr_rule {
	uint8_t type;
	uint8_t min, max;
};

struct ikr_table {
	uint8_t exchange;
	bool response;
	bool encrypted;              /* payloads live inside SK */
	const struct ikr_rule *rules;
	unsigned n;
};

/* The table for this message's exchange and direction (NULL: none). */
const struct ikr_table *ikr_table_for(uint8_t exchange, bool response);

/* Shape before decryption: SK present and alone for encrypted exchanges,
 * absent for IKE_SA_INIT. 0 or -EBADMSG (msg->err = IKM_E_RULES). */
int ikr_check_outer(struct ikm_msg *msg);

/* Full check of the decoded payloads (after ikm_parse_inner for encrypted
 * exchanges). 0 or -EBADMSG (msg->err = IKM_E_RULES, err_payload = the
 * offending type, err_what = why). */
int ikr_check(struct ikm_msg *msg);

#endif
