/* fw_csr.h — the engine CSR interface as the firmware uses it (docs/csr.md).
 *
 * The firmware finds each register block by walking the self-describing
 * block list from offset 0 and matching TYPE, so only offsets *within* a
 * block are compiled in. tests/firmware/test_fw_regs.c cross-checks these
 * against the generated register header ($(GEN)/isq_regs.h) so they cannot
 * drift from rtl/'s single register table. */
#ifndef FW_CSR_H
#define FW_CSR_H

/* Block type words: four ASCII characters, big-endian packed. */
#define FW_BLK_TYPE(a, b, c, d) \
	(((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (uint32_t)(d))
#define FW_BLK_ID   FW_BLK_TYPE('I', 'S', 'I', 'D')
#define FW_BLK_MB   FW_BLK_TYPE('I', 'S', 'M', 'B')
#define FW_BLK_EV   FW_BLK_TYPE('I', 'S', 'E', 'V')
#define FW_BLK_DI   FW_BLK_TYPE('I', 'S', 'D', 'I')

/* Common block header. */
#define FW_BLK_R_TYPE     0x00u
#define FW_BLK_R_VERSION  0x04u
#define FW_BLK_R_NEXT     0x08u

/* ID block. */
#define FW_ID_NUM_SA      0x0Cu
#define FW_ID_NUM_GROUP   0x10u
#define FW_ID_WINDOW      0x14u
#define FW_ID_BUILD_ID    0x18u
#define FW_ID_FEATURES    0x1Cu
#define FW_ID_DP_LATENCY  0x20u
#define FW_ID_EVT_DEPTH   0x24u
#define FW_ID_CYCLE_LO    0x28u
#define FW_ID_CYCLE_HI    0x2Cu
#define FW_FEAT_ESN       (1u << 0)
#define FW_FEAT_INBOUND   (1u << 1)
#define FW_FEAT_INJECTOR  (1u << 2)
#define FW_FEAT_EVENTS    (1u << 3)

/* Mailbox block. */
#define FW_MB_CMD         0x0Cu
#define FW_MB_STATUS      0x10u
#define FW_MB_ARG(i)      (0x20u + 4u * (uint32_t)(i))
#define FW_MB_RES(i)      (0x40u + 4u * (uint32_t)(i))
#define FW_MB_BMP(i)      (0x80u + 4u * (uint32_t)(i))
#define FW_MB_ST_BUSY     0x1u
#define FW_MB_ST_RC(s)    (((s) >> 8) & 0xffu)
#define FW_MB_ST_DONE(s)  ((s) >> 16)

#define FW_MBOP_NOP            0x00u
#define FW_MBOP_SLOT_INSTALL   0x01u
#define FW_MBOP_SLOT_READ      0x02u
#define FW_MBOP_SLOT_CLEAR     0x03u
#define FW_MBOP_GROUP_READ     0x04u
#define FW_MBOP_GROUP_TX_ADD   0x05u
#define FW_MBOP_GROUP_RX_ADV   0x06u
#define FW_MBOP_GROUP_HOLD     0x07u
#define FW_MBOP_GROUP_RELEASE  0x08u
#define FW_MBOP_EPOCH_READ     0x09u

#define FW_MB_INST_DIR_IN  (1u << 16)
#define FW_MB_INST_ESN     (1u << 17)

/* Engine result codes (equal to enum ica_status 0..9 by design). */
#define FW_RC_OK           0u
#define FW_RC_BAD_VALUE    9u

/* Event block. */
#define FW_EV_COUNT       0x0Cu
#define FW_EV_HEAD0       0x10u
#define FW_EV_VAL_LO      0x14u
#define FW_EV_VAL_HI      0x18u
#define FW_EV_EPOCH_LO    0x1Cu
#define FW_EV_EPOCH_HI    0x20u
#define FW_EV_POP         0x24u
#define FW_EV_DROPPED     0x28u

/* Injector block. */
#define FW_DI_OP          0x0Cu
#define FW_DI_SLOT        0x10u
#define FW_DI_SEQ_LO      0x14u
#define FW_DI_SEQ_HI      0x18u
#define FW_DI_COUNT       0x1Cu
#define FW_DI_CTRL        0x20u
#define FW_DI_STATUS      0x24u
#define FW_DI_RES_COUNT   0x28u
#define FW_DI_RES_HEAD0   0x2Cu
#define FW_DI_RES_SEQ_LO  0x30u
#define FW_DI_RES_SEQ_HI  0x34u
#define FW_DI_RES_EP_LO   0x38u
#define FW_DI_RES_EP_HI   0x3Cu
#define FW_DI_RES_POP     0x40u
#define FW_DIOP_TX_NEXT   0u
#define FW_DIOP_RX_CHECK  1u
#define FW_DIOP_RX_COMMIT 2u

#endif
