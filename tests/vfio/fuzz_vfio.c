/* fuzz_vfio.c — libFuzzer target for what driver/vfio parses from outside:
 *   byte 0 % 3 == 0: an address / URI (user input): canonical form, mode,
 *                    and a full open against the in-memory kernel;
 *   byte 0 % 3 == 1: a card identity block (device memory);
 *   byte 0 % 3 == 2: the kernel's VFIO_IOMMU_GET_INFO reply with its
 *                    capability chain (walked for IOVA ranges at DMA map).
 * Built with clang -fsanitize=fuzzer,address,undefined (make test-vfio-fuzz). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "driver/vfio/ipsecha_vfio.h"
#include "driver/vfio/vfio_card.h"
#include "fake_kernel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_addr(const uint8_t *d, size_t n)
{
	static struct fake_kernel fk;
	char s[160], out[64];
	enum ipsecha_vfio_mode m;
	struct ipsecha_vfio *dev = NULL;
	struct ipsecha_vfio_diag diag;

	if (n >= sizeof(s))
		n = sizeof(s) - 1;
	memcpy(s, d, n);
	s[n] = 0;
	(void)ipsecha_vfio_canonical_addr(s, out, sizeof(out));
	(void)ipsecha_vfio_mode_parse(s, &m);
	fk_init_ivshmem(&fk, 1 << 16, (n & 1) != 0);
	fk_finalize(&fk);
	{
		IPSECHA_VFIO_OPTS(o, .sys = &fk.sys, .mode = (enum ipsecha_vfio_mode)(n % 3));

		if (ipsecha_vfio_open(s, &o, &dev, &diag) == 0)
			ipsecha_vfio_close(dev);
	}
	if (!fk_clean(&fk))
		abort();
	fk_destroy(&fk);
}

static void fuzz_identity(const uint8_t *d, size_t n)
{
	static uint32_t bar[1024];
	char msg[200];

	memset(bar, 0, sizeof(bar));
	memcpy(bar, d, n < sizeof(bar) ? n : sizeof(bar));
	/* the mapped length varies with the input too */
	(void)ipsecha_vfio_check_card_identity(bar, n < sizeof(bar) ? n : sizeof(bar), NULL,
					       msg, sizeof(msg));
}

static void fuzz_iommu_info(const uint8_t *d, size_t n)
{
	static struct fake_kernel fk;
	static void *page;
	struct ipsecha_vfio *dev = NULL;
	uint64_t iova;

	if (!page)
		page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	fk_init_ivshmem(&fk, 1 << 16, false);
	fk_finalize(&fk);
	{
		IPSECHA_VFIO_OPTS(o, .sys = &fk.sys, .mode = IPSECHA_VFIO_MODE_LEGACY);

		if (ipsecha_vfio_open("0000:00:03.0", &o, &dev, NULL))
			abort();
	}
	fk.iommu_info_blob = d;
	fk.iommu_info_len = n;
	if (ipsecha_vfio_dma_map(dev, page, 4096, &iova) == 0 && (iova & 4095))
		abort();
	ipsecha_vfio_close(dev);
	if (!fk_clean(&fk))
		abort();
	fk_destroy(&fk);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0: fuzz_addr(data + 1, size - 1); break;
	case 1: fuzz_identity(data + 1, size - 1); break;
	default: fuzz_iommu_info(data + 1, size - 1); break;
	}
	return 0;
}
