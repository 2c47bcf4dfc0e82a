/* fw_rv32.c — the firmware's rv32 platform: volatile MMIO HAL and the main
 * loop. Memory map of the card's control CPU (docs/card-abi.md "The card"):
 *   0x4000_0000  engine CSR window (docs/csr.md)
 *   0x4001_0000  card control:
 *                +0 doorbell pending: bit q set when a host wrote queue q's
 *                   doorbell register since the last read (read clears)
 *                +4 interrupt request: write peer << 16 | vector to send
 *                   MSI-X vector `vector` to the host (peer ignored: one
 *                   host per PCI function)
 *   0x8000_0000  card memory exposed as the host BAR (ICA_BAR_SIZE); the
 *                doorbell page (ICA_DB_OFF) is ordinary memory that the
 *                bus logic also watches for host writes
 * The machine external interrupt line (MEIP) is high while the doorbell
 * pending register is non-zero or the engine's evt_pending output is. */
#include "fw.h"

#define CSR_BASE        0x40000000u
#define CCTL_BASE       0x40010000u
#define CCTL_DB_PENDING 0x0u
#define CCTL_IRQ        0x4u
#define BAR_BASE        0x80000000u
#define MIP_MEIP        (1u << 11)

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
	*(volatile uint32_t *)(CCTL_BASE + CCTL_IRQ) = ((peer & 0xffffu) << 16) | (vec & 0xffffu);
}

int main(void);

int main(void)
{
	const struct fw_platform p = {
		.rd32 = mmio_rd32, .wr32 = mmio_wr32, .irq = mmio_irq,
		.bar = (uint8_t *)BAR_BASE, .bar_size = ICA_BAR_SIZE,
		.doorbell_peer = 0, .fw_build_id = FW_BUILD_ID,
	};
	uint32_t db;

	if (fw_init(&the_fw, &p) != ICA_ST_OK)
		for (;;)
			__asm__ volatile("wfi");
	/* Sleep in wfi until a doorbell or an engine event: with MEIE enabled
	 * and global interrupts off (mstatus.MIE = 0), wfi resumes on the
	 * pending line without a trap, so no handler is needed. */
	/* csrrs x0, mie (0x304), rs1: spelled as .insn because -march=rv32imc
	 * (the flags) leaves out the Zicsr mnemonics. */
	__asm__ volatile(".insn i 0x73, 2, x0, %0, 0x304" : : "r"(MIP_MEIP));
	for (;;) {
		/* Read-clear first: a doorbell written after this read keeps
		 * MEIP high, so the wfi below cannot sleep through it. */
		db = *(volatile uint32_t *)(CCTL_BASE + CCTL_DB_PENDING);
		if (db)
			fw_doorbell(&the_fw);
		if (fw_poll(&the_fw) || db)
			continue;
		__asm__ volatile("wfi");
	}
}
