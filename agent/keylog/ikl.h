/* ikl.h — the opt-in key log: IKE SA and ESP SA keys in the record formats
 * of Wireshark's `ikev2_decryption_table` and `esp_sa` UAT tables, so that
 * tshark decrypts captures of our exchanges (docs/interop.md).
 *
 * One file, one record per line, each line "TABLE:RECORD" where TABLE is
 * `ikev2_decryption_table` or `esp_sa`, so that every line is exactly the
 * value of a tshark option `-o uat:LINE` (agent/keylog/ipsecha-keylog
 * prints those options and can also write Wireshark profile UAT files).
 * Lines starting with '#' are comments (a timestamp and SA name).
 *
 *   ikev2_decryption_table:SPIi,SPIr,SK_ei,SK_er,"ENCR",SK_ai,SK_ar,"INTEG"
 *       hex unquoted, 16 hex digits per SPI; AEAD: integ "NONE [RFC4306]"
 *       with empty SK_a fields; SK_e* include the GCM salt.
 *   esp_sa:"IPv4","SRC","DST","0xSPI","ENCR","0xKEY","AUTH","0xKEY"
 *       one record per direction; SPI = the receiver's inbound SPI; GCM key
 *       with salt; AEAD: auth "NULL" and an empty key.
 *
 * The file is opened O_APPEND|O_CLOEXEC with mode 0600 (never world
 * readable) and every record is written with a single write(2). Secrets
 * pass through a stack buffer that is wiped after each record.
 * Thread-safety: a handle may be shared; records never interleave. */
#ifndef IPSECHA_IKL_H
#define IPSECHA_IKL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ikc_alg.h"
#include "ikc_kdf.h"

struct ikl;  /* opaque: fd + path */

/* Open (create 0600 / append) the key log. 0, -errno. */
int ikl_open(const char *path, struct ikl **out);
void ikl_close(struct ikl *kl);  /* NULL-safe */

/* The IKE SA record. suite: the IKE SA's algorithms (encr/keybits, integ).
 * spii/spir as on the wire. name: comment (connection name), may be NULL. */
int ikl_log_ike(struct ikl *kl, const char *name,
		const uint8_t spii[IKC_SPI_LEN], const uint8_t spir[IKC_SPI_LEN],
		const struct ikc_suite *suite, const struct ikc_ike_keys *keys);

/* One ESP SA direction: packets from src to dst with the receiver's SPI
 * (host byte order), keys of that direction. src/dst: AF_INET/AF_INET6
 * sockaddrs (ports ignored). */
struct ikl_esp {
	const struct sockaddr *src, *dst;
	uint32_t spi;
	uint16_t encr, encr_keybits, integ;
	const uint8_t *encr_key;  size_t encr_key_len;   /* salt included */
	const uint8_t *integ_key; size_t integ_key_len;  /* 0 with AEAD */
};
int ikl_log_esp(struct ikl *kl, const char *name, const struct ikl_esp *sa);

/* Formatters (no I/O) used by the above and the tests: write the record
 * line ("TABLE:RECORD", no newline) into buf. Return the length, -ENOSPC,
 * -ENOTSUP (algorithm without a Wireshark name), -EINVAL. */
int ikl_format_ike(char *buf, size_t len,
		   const uint8_t spii[IKC_SPI_LEN], const uint8_t spir[IKC_SPI_LEN],
		   const struct ikc_suite *suite, const struct ikc_ike_keys *keys);
int ikl_format_esp(char *buf, size_t len, const struct ikl_esp *sa);

#endif
