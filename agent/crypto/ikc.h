/* ikc.h — the agent's IKEv2 crypto layer (OpenSSL 3 EVP), all modules.
 * Link $(IKC_LIB) with $(IKC_LDLIBS); include path $(IKC_CPPFLAGS). */
#ifndef IPSECHA_IKC_H
#define IPSECHA_IKC_H

#include "ikc_alg.h"
#include "ikc_rng.h"
#include "ikc_prf.h"
#include "ikc_ke.h"
#include "ikc_kdf.h"
#include "ikc_cipher.h"
#include "ikc_sk.h"
#include "ikc_auth.h"

#endif
