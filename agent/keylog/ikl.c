/* ikl.c — the key log writer (Wireshark UAT record lines). */
#include "ikl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

struct ikl {
	int fd;
	pthread_mutex_t lock;
};

/* Appends to buf at *pos; tracks overflow through *pos > len. */
static void put(char *buf, size_t len, size_t *pos, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void put(char *buf, size_t len, size_t *pos, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(*pos < len ? buf + *pos : NULL,
			  *pos < len ? len - *pos : 0, fmt, ap);
	va_end(ap);
	*pos += n > 0 ? (size_t)n : 0;
}

static void put_hex(char *buf, size_t len, size_t *pos, const uint8_t *p,
		    size_t n)
{
	static const char hx[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		if (*pos + 2 < len) {
			buf[*pos] = hx[p[i] >> 4];
			buf[*pos + 1] = hx[p[i] & 15];
			buf[*pos + 2] = 0;
		}
		*pos += 2;
	}
}

/* tshark 4.0's ikev2_decryption_table: SPIs and keys as unquoted hex,
 * algorithm names quoted (TOOLCHAIN.md §3: quoted SPIs are refused). */
int ikl_format_ike(char *buf, size_t len,
		   const uint8_t spii[IKC_SPI_LEN], const uint8_t spir[IKC_SPI_LEN],
		   const struct ikc_suite *suite, const struct ikc_ike_keys *keys)
{
	if (!buf || !spii || !spir || !suite || !keys)
		return -EINVAL;
	const struct ikc_encr_alg *e = ikc_encr_find(suite->encr,
						     suite->encr_keybits);
	const struct ikc_integ_alg *i = ikc_integ_find(suite->integ);
	if (!e || (!e->aead && !i))
		return -ENOTSUP;
	size_t pos = 0;
	if (len)
		buf[0] = 0;
	put(buf, len, &pos, "ikev2_decryption_table:");
	put_hex(buf, len, &pos, spii, IKC_SPI_LEN);
	put(buf, len, &pos, ",");
	put_hex(buf, len, &pos, spir, IKC_SPI_LEN);
	put(buf, len, &pos, ",");
	put_hex(buf, len, &pos, keys->sk_ei, keys->encr_len);
	put(buf, len, &pos, ",");
	put_hex(buf, len, &pos, keys->sk_er, keys->encr_len);
	put(buf, len, &pos, ",\"%s\",", e->ws_ike);
	if (!e->aead) {
		put_hex(buf, len, &pos, keys->sk_ai, keys->integ_len);
		put(buf, len, &pos, ",");
		put_hex(buf, len, &pos, keys->sk_ar, keys->integ_len);
		put(buf, len, &pos, ",\"%s\"", i->ws_ike);
	} else {
		put(buf, len, &pos, ",,\"NONE [RFC4306]\"");
	}
	if (pos >= len)
		return -ENOSPC;
	return (int)pos;
}

static int addr_str(const struct sockaddr *sa, char *buf, size_t len,
		    const char **fam)
{
	if (sa->sa_family == AF_INET) {
		*fam = "IPv4";
		return inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
				 buf, (socklen_t)len) ? 0 : -EINVAL;
	}
	if (sa->sa_family == AF_INET6) {
		*fam = "IPv6";
		return inet_ntop(AF_INET6,
				 &((const struct sockaddr_in6 *)sa)->sin6_addr,
				 buf, (socklen_t)len) ? 0 : -EINVAL;
	}
	return -EINVAL;
}

/* tshark 4.0's esp_sa: every field quoted; hex keys with 0x. */
int ikl_format_esp(char *buf, size_t len, const struct ikl_esp *sa)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	const char *fam, *fam2;

	if (!buf || !sa || !sa->src || !sa->dst || !sa->encr_key)
		return -EINVAL;
	if (addr_str(sa->src, src, sizeof(src), &fam) < 0 ||
	    addr_str(sa->dst, dst, sizeof(dst), &fam2) < 0 || fam != fam2)
		return -EINVAL;
	const struct ikc_encr_alg *e = ikc_encr_find(sa->encr,
						     sa->encr_keybits);
	const struct ikc_integ_alg *i = ikc_integ_find(sa->integ);
	if (!e || (!e->aead && !i))
		return -ENOTSUP;
	if (sa->encr_key_len != e->key_len ||
	    (!e->aead && (!sa->integ_key || sa->integ_key_len != i->key_len)))
		return -EINVAL;
	size_t pos = 0;
	if (len)
		buf[0] = 0;
	put(buf, len, &pos, "esp_sa:\"%s\",\"%s\",\"%s\",\"0x%08x\",\"%s\",\"0x",
	    fam, src, dst, sa->spi, e->ws_esp);
	put_hex(buf, len, &pos, sa->encr_key, sa->encr_key_len);
	if (e->aead) {
		put(buf, len, &pos, "\",\"NULL\",\"\"");
	} else {
		put(buf, len, &pos, "\",\"%s\",\"0x", i->ws_esp);
		put_hex(buf, len, &pos, sa->integ_key, sa->integ_key_len);
		put(buf, len, &pos, "\"");
	}
	if (pos >= len)
		return -ENOSPC;
	return (int)pos;
}

int ikl_open(const char *path, struct ikl **out)
{
	if (!path || !*path || !out)
		return -EINVAL;
	*out = NULL;
	struct ikl *kl = calloc(1, sizeof(*kl));
	if (!kl)
		return -ENOMEM;
	kl->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (kl->fd < 0) {
		int e = errno;
		free(kl);
		return -e;
	}
	pthread_mutex_init(&kl->lock, NULL);
	*out = kl;
	return 0;
}

void ikl_close(struct ikl *kl)
{
	if (!kl)
		return;
	close(kl->fd);
	pthread_mutex_destroy(&kl->lock);
	free(kl);
}

/* "# <UTC time> <name>\n<record>\n" in one write(2). */
static int emit(struct ikl *kl, const char *name, char *rec, size_t cap,
		int n)
{
	char head[160];
	struct timespec ts;
	struct tm tm;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	int h = snprintf(head, sizeof(head), "# %04d-%02d-%02dT%02d:%02d:%02dZ %s\n",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			 tm.tm_hour, tm.tm_min, tm.tm_sec, name ? name : "");
	if (h < 0 || (size_t)h >= sizeof(head) || (size_t)n + h + 1 > cap)
		return -ENOSPC;
	memmove(rec + h, rec, (size_t)n);
	memcpy(rec, head, (size_t)h);
	rec[h + n] = '\n';
	size_t total = (size_t)h + (size_t)n + 1;
	pthread_mutex_lock(&kl->lock);
	ssize_t w = write(kl->fd, rec, total);
	if (w < 0)
		rc = -errno;
	else if ((size_t)w != total)
		rc = -EIO;
	pthread_mutex_unlock(&kl->lock);
	return rc;
}

int ikl_log_ike(struct ikl *kl, const char *name,
		const uint8_t spii[IKC_SPI_LEN], const uint8_t spir[IKC_SPI_LEN],
		const struct ikc_suite *suite, const struct ikc_ike_keys *keys)
{
	char rec[1024];
	if (!kl)
		return -EINVAL;
	int n = ikl_format_ike(rec, sizeof(rec) - 200, spii, spir, suite, keys);
	int rc = n < 0 ? n : emit(kl, name, rec, sizeof(rec), n);
	OPENSSL_cleanse(rec, sizeof(rec));
	return rc;
}

int ikl_log_esp(struct ikl *kl, const char *name, const struct ikl_esp *sa)
{
	char rec[1024];
	if (!kl)
		return -EINVAL;
	int n = ikl_format_esp(rec, sizeof(rec) - 200, sa);
	int rc = n < 0 ? n : emit(kl, name, rec, sizeof(rec), n);
	OPENSSL_cleanse(rec, sizeof(rec));
	return rc;
}
