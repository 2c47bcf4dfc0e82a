/* fw_rv32.c — the firmware's rv32 platform: volatile MMIO HAL and the main
 * loop. Memory map of the card's control CPU (docs/card-abi.md):
 *   0x4000_0000  engine CSR window (docs/csr.md)
 *   0x4001_0000  card control: +0 doorbell pending (read clears),
 *                +4 interrupt request (write peer << 16 | vector)
 *   0x8000_0000  card memory exposed as the host BAR (ICA_BAR_SIZE) */
#include "fw.h"

#define CSR_BASE   0x40000000u
#define CCTL_BASE  0x40010000u
#define BAR_BASE   0x80000000u

#ifndef FW_BUILD_ID
#define FW_BUILD_ID 0u
#endif

static struct fw the_fw;

static uint32_t mmio_rd32(void *ctx, uint32_t off)
{
	(void)ctx;
	return *(volatile uint32_t *)(CSR_BASE + off);
}

static void mmio_wr32(void *ctx, uint32_t off, uint32_t v)
{
	(void)ctx;
	*(volatile uint32_t *)(CSR_BASE + off) = v;
}

static void mmio_irq(void *ctx, uint32_t peer, uint32_t vec)
{
	(void)ctx;
	*(volatile uint32_t *)(CCTL_BASE + 4u) = ((peer & 0xffffu) << 16) | (vec & 0xffffu);
}

int main(void);

int main(void)
{
	const struct fw_platform p = {
		.rd32 = mmio_rd32, .wr32 = mmio_wr32, .irq = mmio_irq,
		.bar = (uint8_t *)BAR_BASE, .bar_size = ICA_BAR_SIZE,
		.doorbell_peer = 0, .fw_build_id = FW_BUILD_ID,
	};

	if (fw_init(&the_fw, &p) != ICA_ST_OK)
		for (;;)
			__asm__ volatile("wfi");
	for (;;) {
		if (!fw_poll(&the_fw) && !*(volatile uint32_t *)CCTL_BASE)
			__asm__ volatile("wfi");
	}
}
