// isq_engine.v — the sequence-counter engine: slot and group tables, the
// data-path pipeline (one operation per cycle, forwarding, never stalls by
// itself) and the management unit behind the mailbox.
//
// Semantics: docs/rtl.md (and the C golden model, sim/golden/). Pipeline:
//
//   A   accept; slot row read                                snoop row write
//   S1  slot known; group row read (by direction)            snoop row and group writes
//   S2  group state observed; RX arithmetic for two cases;   snoop row, group max writes
//       soft-limit bound
//   S3  the loop stage: TX issue / RX window update, soft    writes row, group max
//       limit crossing; epoch sampled
//   S4  effective TX value or ESN number (one shared adder)
//   S5  events; result
//
// Storage is lazy so that group operations are O(1): an outbound slot keeps
// base = value - tx_offset[group] (65-bit signed) and hb = hard - base
// (mod 2^64, so EXHAUSTED is the equality hb == tx_offset); an inbound slot
// keeps Tb = T - rx_advance[group], snap = rx_advance at its last window
// write (window valid only while snap == rx_advance) and a ring bitmap
// indexed by sequence number mod W.
//
// Tables (three RAMs, each one read and one write port):
//   row   NUM_SA slot rows {valid, dir, esn, group, bitmap | soft limit,
//         exhausted flag, soft flag, base | Tb, hb | snap}, then one
//         management row per group {esn, n_out, n_in, headroom, last epoch};
//         headroom = tx_limit - tx_offset (65-bit signed). An outbound slot
//         keeps its soft limit in bits 63:0 of the bitmap field.
//   gval  per group and direction {dir, group}: tx_offset | rx_advance
//   gmax  per group and direction: {held, max base} | {0, rx_max}
// The data path reads the row at A and gmax/gval at S1, and writes the row
// and gmax at S3. The management unit uses the same read ports when the
// data path leaves them free: in the bubble a group operation puts into
// the pipeline (the row port in the bubble's cycle A, the group ports in
// its S1) and while a slot operation has drained the pipeline.
`default_nettype none

module isq_engine #(
    parameter integer NUM_SA    = 4096,
    parameter integer NUM_GROUP = 1024,
    parameter integer W         = 64,
    parameter integer TAG_W     = 17,
    parameter integer RAM_COLLIDE = 0   // simulation: scramble same-address reads (isq_ram)
) (
    input  wire              clk,
    input  wire              rst,
    // data-path requests (already arbitrated)
    input  wire              req_valid,
    output wire              req_ready,
    input  wire [1:0]        req_op,
    input  wire [15:0]       req_slot,
    input  wire [63:0]       req_seq,
    input  wire              req_bad,     // force INVALID (e.g. slot beyond 16 bits)
    input  wire [TAG_W-1:0]  req_tag,
    // data-path results, DP_LATENCY cycles after acceptance
    output reg               res_valid,
    output reg  [TAG_W-1:0]  res_tag,
    output reg  [1:0]        res_op,
    output reg  [15:0]       res_slot,
    output reg  [2:0]        res_status,
    output reg  [63:0]       res_seq,
    output reg  [63:0]       res_epoch,
    // events, at most one per cycle, in linearization order
    output wire              ev_valid,    // valid with the result it belongs to
    output wire [7:0]        ev_type,
    output wire [15:0]       ev_index,
    output wire [63:0]       ev_value,
    output wire [63:0]       ev_epoch,
    // mailbox
    input  wire              mb_start,    // CMD written (ignored while busy)
    input  wire [31:0]       mb_cmd,
    input  wire [255:0]      mb_args,     // ARG7..ARG0
    output wire              mb_busy,
    output reg  [7:0]        mb_rc,
    output reg  [15:0]       mb_done,
    output reg  [511:0]      mb_res,      // RES15..RES0
    output reg  [W-1:0]      mb_bmp,      // bit i = T - i
    // observation for benchmarks and tests
    output wire [63:0]       epoch_o
);
`include "isq_regs.vh"

    localparam integer SA_AW = NUM_SA > 1 ? $clog2(NUM_SA) : 1;
    localparam integer G_AW  = NUM_GROUP > 1 ? $clog2(NUM_GROUP) : 1;
    localparam integer RN    = NUM_SA + NUM_GROUP;      // slot rows + management rows
    localparam integer RA_AW = $clog2(RN);
    localparam integer GA_W  = G_AW + 1;                // {dir_in, group}
    localparam integer GN    = 1 << GA_W;
    localparam integer WB    = $clog2(W);
    localparam integer MW    = 3 + G_AW;                // valid, dir_in, esn, group
    localparam integer RWD   = MW + W + 131;            // row width
    localparam integer GXW   = 66;                      // gmax: held, max[65]
    // row fields
    localparam integer P_SFL = 129, P_EXH = 130, P_BM = 131, P_GRP = 131 + W;
    localparam integer P_ESN = P_GRP + G_AW, P_DIR = P_ESN + 1, P_VAL = P_DIR + 1;
    // management row fields: lep [63:0], hr [128:64], n_in [144:129],
    // n_out [160:145], esn [161]
    localparam integer GMW   = 162;
    localparam integer INIT_N = RN > GN ? RN : GN;
    localparam integer IAW   = $clog2(INIT_N + 1);
    localparam integer INIT_LASTI = INIT_N - 1;
    localparam [IAW-1:0] INIT_LAST = INIT_LASTI[IAW-1:0];
    localparam [16:0] NSA17 = NUM_SA[16:0];
    localparam [16:0] NG17  = NUM_GROUP[16:0];
    localparam [RA_AW-1:0] NSA_RA = NUM_SA[RA_AW-1:0];
    localparam integer WM1I = W - 1;
    localparam [31:0] WM1   = WM1I[31:0];
    localparam [$clog2(W)-1:0] R32 = 32;

    localparam [1:0] OP_TX = ISQ_DPOP_TX_NEXT, OP_CHK = ISQ_DPOP_RX_CHECK,
                     OP_CMT = ISQ_DPOP_RX_COMMIT;
    localparam [2:0] DP_OK = ISQ_DP_OK, DP_HELD = ISQ_DP_HELD, DP_EXH = ISQ_DP_EXHAUSTED,
                     DP_INV = ISQ_DP_INVALID, DP_REPLAY = ISQ_DP_REPLAY, DP_OLD = ISQ_DP_TOO_OLD;

    // The mailbox packs and unpacks these fields of the register table by
    // hand (fixed bit slices below); elaboration stops if the table moves
    // one, so the RTL cannot drift from the generated C view.
    generate
        if (ISQ_MB_CMD_OP_LSB != 0 || ISQ_MB_CMD_OP_MSB != 7 ||
            ISQ_MB_INST_GROUP_LSB != 0 || ISQ_MB_INST_GROUP_MSB != 15 ||
            ISQ_MB_INST_DIR_IN_LSB != 16 || ISQ_MB_INST_DIR_IN_MSB != 16 ||
            ISQ_MB_INST_ESN_LSB != 17 || ISQ_MB_INST_ESN_MSB != 17 ||
            ISQ_MB_TXADD_RELEASE_LSB != 0 || ISQ_MB_TXADD_RELEASE_MSB != 0 ||
            ISQ_MB_SFLAG_VALID_LSB != 0 || ISQ_MB_SFLAG_DIR_IN_LSB != 1 ||
            ISQ_MB_SFLAG_ESN_LSB != 2 || ISQ_MB_SFLAG_EXHAUSTED_LSB != 3 ||
            ISQ_MB_SFLAG_SOFT_LSB != 4 || ISQ_MB_SFLAG_SOFT_MSB != 4 ||
            ISQ_MB_SFLAG_GROUP_LSB != 16 || ISQ_MB_SFLAG_GROUP_MSB != 31 ||
            ISQ_MB_GFLAG_HELD_LSB != 0 || ISQ_MB_GFLAG_ESN_LSB != 1 ||
            ISQ_MB_GFLAG_HAS_SLOTS_LSB != 2 || ISQ_MB_GFLAG_HAS_SLOTS_MSB != 2 ||
            ISQ_MB_GCOUNT_N_OUT_LSB != 0 || ISQ_MB_GCOUNT_N_OUT_MSB != 15 ||
            ISQ_MB_GCOUNT_N_IN_LSB != 16 || ISQ_MB_GCOUNT_N_IN_MSB != 31 ||
            ISQ_MB_NARG != 8 || ISQ_MB_NRES != 16) begin : g_tbl_mismatch
            isq_regs_table_mismatch u_bad ();
        end
    endgenerate
    localparam [63:0] M32 = 64'h0000_0000_ffff_ffff;

    // ------------------------------------------------------------------
    // 3:2 carry-save step, so three-operand sums cost one carry chain.
    function [65:0] csa_s;
        input [65:0] x, y, z;
        csa_s = x ^ y ^ z;
    endfunction
    // The carry out of bit 65 leaves the 66-bit word by design (arithmetic
    // is mod 2^66 on values that fit), so bit 65 of the inputs is unused.
    /* verilator lint_off UNUSEDSIGNAL */
    function [65:0] csa_c;
        input [65:0] x, y, z;
        reg   [64:0] t;
        begin
            t = (x[64:0] & y[64:0]) | (x[64:0] & z[64:0]) | (y[64:0] & z[64:0]);
            csa_c = {t, 1'b0};
        end
    endfunction
    /* verilator lint_on UNUSEDSIGNAL */
    // x - y - z over 66 bits, signed, with one carry chain.
    function [65:0] sub3;
        input [65:0] x, y, z;
        reg [65:0] s, c;
        begin
            s = csa_s(x, ~y, ~z);
            c = csa_c(x, ~y, ~z);
            sub3 = s + c + 66'd2;
        end
    endfunction
    // x + y + z over 66 bits with one carry chain.
    function [65:0] add3;
        input [65:0] x, y, z;
        add3 = csa_s(x, y, z) + csa_c(x, y, z);
    endfunction
    // thermometer: bit p set iff p <= x
    function [W-1:0] therm;
        input [WB-1:0] x;
        integer p;
        begin
            for (p = 0; p < W; p = p + 1)
                therm[p] = p <= x;
        end
    endfunction
    // cyclic range mask of ring positions in (lo, hi] (all of them when
    // lo == hi): therm(hi) ^ therm(lo), complemented when the range wraps
    function [W-1:0] ring_range;
        input [WB-1:0] lo, hi;
        ring_range = therm(hi) ^ therm(lo) ^ {W{lo >= hi}};
    endfunction

    // Row addresses: zero-extended then cut to RA_AW bits; the cut bits are
    // zero for every slot and group in range (out-of-range slots never
    // reach a write), hence the waiver.
    /* verilator lint_off UNUSEDSIGNAL */
    function [RA_AW-1:0] sra;
        input [15:0] s;
        reg [RA_AW+15:0] x;
        begin
            x   = {{RA_AW{1'b0}}, s};
            sra = x[RA_AW-1:0];
        end
    endfunction
    // row address of a group's management row
    function [RA_AW-1:0] gmrow;
        input [G_AW-1:0] g;
        reg [RA_AW+G_AW-1:0] x;
        begin
            x     = {{RA_AW{1'b0}}, g};
            gmrow = NSA_RA + x[RA_AW-1:0];
        end
    endfunction
    /* verilator lint_on UNUSEDSIGNAL */

    // ------------------------------------------------------------------
    // Tables
    wire             r_we;
    wire [RA_AW-1:0] r_wa;
    wire [RWD-1:0]   r_wd;
    wire [RA_AW-1:0] r_ra;
    wire [RWD-1:0]   q_r;
    wire             gv_we;
    wire [GA_W-1:0]  gv_wa;
    wire [63:0]      gv_wd;
    wire             gx_we;
    wire [GA_W-1:0]  gx_wa;
    wire [GXW-1:0]   gx_wd;
    wire [GA_W-1:0]  g_ra;
    wire [63:0]      q_gv;
    wire [GXW-1:0]   q_gx;

    isq_ram #(.DW(RWD), .D(RN), .AW(RA_AW), .COLLIDE(RAM_COLLIDE)) u_row (
        .clk(clk), .we(r_we), .wa(r_wa), .wd(r_wd), .ra(r_ra), .q(q_r));
    isq_ram #(.DW(64), .D(GN), .AW(GA_W), .COLLIDE(RAM_COLLIDE)) u_gval (
        .clk(clk), .we(gv_we), .wa(gv_wa), .wd(gv_wd), .ra(g_ra), .q(q_gv));
    isq_ram #(.DW(GXW), .D(GN), .AW(GA_W), .COLLIDE(RAM_COLLIDE)) u_gmax (
        .clk(clk), .we(gx_we), .wa(gx_wa), .wd(gx_wd), .ra(g_ra), .q(q_gx));

    // ------------------------------------------------------------------
    // Management state (declared early: the pipeline consults it)
    localparam [4:0] ST_INIT = 5'd0,   ST_IDLE = 5'd1,   ST_DEC = 5'd2,
                     ST_G2 = 5'd3,     ST_G3 = 5'd4,     ST_G4 = 5'd5,
                     ST_GR1 = 5'd6,    ST_GR2 = 5'd7,    ST_GR3 = 5'd8,
                     ST_DRAIN = 5'd9,  ST_I_RD = 5'd10,  ST_I_R2 = 5'd11,
                     ST_I_R3 = 5'd12,  ST_I_CHK = 5'd13, ST_I_CALC = 5'd14,
                     ST_I_W1 = 5'd15,  ST_I_W2 = 5'd16,  ST_C_RD = 5'd17,
                     ST_C_CHK = 5'd18, ST_C_G = 5'd19,   ST_C_GQ = 5'd20,
                     ST_C_WR = 5'd21,  ST_C_W2 = 5'd22,  ST_R_RD = 5'd23,
                     ST_R_G = 5'd24,   ST_R_GW = 5'd25,  ST_R_CALC = 5'd26,
                     ST_R_ROT = 5'd27, ST_DONE = 5'd28, ST_GRW = 5'd29,
                     ST_R_W = 5'd30;
    reg  [4:0]  st;
    reg  [7:0]  mg_op;
    reg  [31:0] mg_cmd_hi;      // CMD bits 31:8 (reserved)
    reg  [31:0] arg0, arg1;
    reg  [63:0] arg_seq, arg_hard, arg_soft; // ARG2/3, ARG4/5, ARG6/7
    reg  [63:0] epoch;
    reg  [IAW-1:0] init_i;
    reg  [SA_AW-1:0] mg_slot;
    reg  [G_AW-1:0]  mg_g;

    wire is_group_op = mg_op == ISQ_OP_GROUP_TX_ADD || mg_op == ISQ_OP_GROUP_RX_ADVANCE ||
                       mg_op == ISQ_OP_GROUP_HOLD || mg_op == ISQ_OP_GROUP_RELEASE;
    wire is_slot_op  = mg_op == ISQ_OP_SLOT_INSTALL || mg_op == ISQ_OP_SLOT_READ ||
                       mg_op == ISQ_OP_SLOT_CLEAR;
    wire arg0_grp_ok = arg0 < NUM_GROUP;
    wire arg0_slot_ok = arg0 < NUM_SA;
    wire cmd_rsv     = mg_cmd_hi != 32'd0;
    wire txadd_rsv   = mg_op == ISQ_OP_GROUP_TX_ADD && arg1[31:1] != 31'd0;
    wire op_rx       = mg_op == ISQ_OP_GROUP_RX_ADVANCE;
    // A group operation steals exactly one data-path cycle: the bubble that
    // reaches S3 in the cycle of its linearization edge. GROUP_READ steals
    // two (its bubbles read the group's two direction rows).
    wire bubble_now  = st == ST_DEC && !cmd_rsv && (is_group_op || mg_op == ISQ_OP_GROUP_READ) &&
                       arg0_grp_ok && !txadd_rsv;
    // Slot operations drain the pipeline and own the tables.
    wire slot_own    = st == ST_DRAIN || st == ST_I_RD || st == ST_I_R2 || st == ST_I_R3 ||
                       st == ST_I_CHK || st == ST_I_CALC || st == ST_I_W1 || st == ST_I_W2 ||
                       st == ST_C_RD || st == ST_C_CHK || st == ST_C_G || st == ST_C_GQ ||
                       st == ST_C_WR || st == ST_C_W2 || st == ST_R_RD || st == ST_R_G ||
                       st == ST_R_GW || st == ST_R_CALC;
    wire slot_go     = st == ST_DEC && !cmd_rsv && is_slot_op && arg0_slot_ok &&
                       !(mg_op == ISQ_OP_SLOT_INSTALL &&
                         (arg1[31:18] != 14'd0 || {1'b0, arg1[15:0]} >= NG17));

    assign req_ready = !(st == ST_INIT || bubble_now || st == ST_GR1 || slot_own || slot_go);
    assign mb_busy   = st != ST_IDLE;
    assign epoch_o   = epoch;

    wire acc = req_valid && req_ready;
    // The tables' read ports change hands once the pipeline is empty, and
    // in the bubbles of group operations.
    wire slot_tab = slot_own && st != ST_DRAIN;
    reg  [RA_AW-1:0] mg_ra;       // management row read address
    reg  [GA_W-1:0]  mg_ga;       // management group read address
    wire mg_gport = slot_tab || st == ST_G2 || st == ST_GR1 || st == ST_GR2;
    assign r_ra = (slot_tab || bubble_now) ? mg_ra : sra(req_slot);

    // ------------------------------------------------------------------
    // Pipeline registers
    reg              s1_v, s1_bad;
    reg  [1:0]       s1_op;
    reg  [15:0]      s1_slot;
    reg  [63:0]      s1_seq;
    reg  [TAG_W-1:0] s1_tag;
    reg              s1_fv;          // row write seen in cycle A
    reg  [RWD-1:0]   s1_fa;

    reg              s2_v, s2_ok, s2_esn, s2_big;
    reg  [1:0]       s2_op;
    reg  [15:0]      s2_slot;
    reg  [63:0]      s2_seq;
    reg  [64:0]      s2_opnd;        // CHECK: Seql + W - 1; COMMIT: the 64-bit number
    reg  [TAG_W-1:0] s2_tag;
    reg  [GA_W-1:0]  s2_ga;
    reg  [RWD-1:0]   s2_a;
    reg              s2_gxf_v, s2_gvf_v;
    reg  [GXW-1:0]   s2_gxf;
    reg  [63:0]      s2_gvf;

    reg              s3_v, s3_ok, s3_esn, s3_big, s3_same;
    reg  [1:0]       s3_op;
    reg  [15:0]      s3_slot;
    reg  [63:0]      s3_seq;
    reg  [TAG_W-1:0] s3_tag;
    reg  [GA_W-1:0]  s3_ga;
    reg  [RWD-1:0]   s3_a;
    reg  [GXW-1:0]   s3_gx;
    reg  [63:0]      s3_val;         // tx_offset (TX) or rx_advance (RX)
    reg  [64:0]      s3_tbn;         // COMMIT: new Tb = seq - rx_advance (signed)
    reg  [65:0]      s3_sd;          // TX: soft - tx_offset - 1 (signed)
    reg              s3_sne;         // TX: a soft limit is set
    reg              s3_bmvo;        // window valid in case O
    reg  [2:0]       s3_clo, s3_clp; // {new, far, inwin} for case O and P
    reg              s3_oldo, s3_oldp; // non-ESN CHECK left of the window
    reg  [31:0]      s3_uo, s3_up;   // ESN CHECK: (Seql - Bl) mod 2^32
    reg  [64:0]      s3_bo;          // ESN CHECK: B = T - (W - 1), case O
    reg  [WB-1:0]    s3_tlo, s3_tlp; // ring position of T, case O and P
    reg  [WB-1:0]    s3_sl;          // ring position of the number

    reg              s4_v, s4_ok, s4_esn, s4_adv, s4_cmtv, s4_exh_ev, s4_soft_ev;
    reg  [1:0]       s4_op;
    reg  [15:0]      s4_slot;
    reg  [63:0]      s4_seq;
    reg  [TAG_W-1:0] s4_tag;
    reg  [2:0]       s4_st;
    reg  [64:0]      s4_x;           // TX: base; ESN CHECK: B
    reg  [63:0]      s4_y;           // TX: tx_offset; ESN CHECK: u
    reg  [63:0]      s4_epoch;
    reg              s4_mev;         // bubble carrying OVERFLOW_REFUSED (group in
                                     // s4_slot, delta in s4_seq)

    reg              s5_v, s5_exh_ev, s5_soft_ev;
    reg  [1:0]       s5_op;
    reg  [15:0]      s5_slot;
    reg  [63:0]      s5_seq;
    reg  [TAG_W-1:0] s5_tag;
    reg  [2:0]       s5_st;
    reg  [63:0]      s5_epoch;
    reg              s5_mev;

    // ------------------------------------------------------------------
    // A: accept
    wire a_bad = req_bad || {1'b0, req_slot} >= NSA17 ||
                 !(req_op == OP_TX || req_op == OP_CHK || req_op == OP_CMT);
    always @(posedge clk) begin
        if (rst)
            s1_v <= 1'b0;
        else
            s1_v <= acc;
        s1_op   <= req_op;
        s1_slot <= req_slot;
        s1_seq  <= req_seq;
        s1_tag  <= req_tag;
        s1_bad  <= a_bad;
        s1_fv   <= r_we && r_wa == sra(req_slot);
        s1_fa   <= r_wd;
    end

    // ------------------------------------------------------------------
    // S1: slot known
    wire [RWD-1:0]  a1      = s1_fv ? s1_fa : q_r;
    wire            m_valid = a1[P_VAL];
    wire            m_dirin = a1[P_DIR];
    wire            m_esn   = a1[P_ESN];
    wire [G_AW-1:0] m_grp   = a1[P_GRP +: G_AW];
    wire            s1_ok   = !s1_bad && m_valid && (m_dirin == (s1_op != OP_TX));
    wire [GA_W-1:0] s1_ga   = {s1_op != OP_TX, m_grp};
    assign g_ra = mg_gport ? mg_ga : s1_ga;

    always @(posedge clk) begin
        if (rst)
            s2_v <= 1'b0;
        else
            s2_v <= s1_v;
        s2_op   <= s1_op;
        s2_slot <= s1_slot;
        s2_seq  <= s1_seq;
        s2_tag  <= s1_tag;
        s2_ok   <= s1_ok;
        s2_esn  <= m_esn;
        s2_ga   <= s1_ga;
        // a non-ESN COMMIT beyond 2^32 - 1 is not a valid number
        s2_big  <= !m_esn && s1_op == OP_CMT && s1_seq[63:32] != 32'd0;
        s2_opnd <= s1_op == OP_CHK ? {33'd0, s1_seq[31:0]} + {33'd0, WM1} : {1'b0, s1_seq};
        s2_a    <= (r_we && r_wa == sra(s1_slot)) ? r_wd : a1;
        s2_gxf_v <= gx_we && gx_wa == s1_ga;
        s2_gxf   <= gx_wd;
        s2_gvf_v <= gv_we && gv_wa == s1_ga;
        s2_gvf   <= gv_wd;
    end

    // ------------------------------------------------------------------
    // S2: group state observed (a pending group commit is forwarded)
    wire             cm_v;           // group commit happens at the end of this cycle
    wire [GA_W-1:0]  cm_ga;
    reg  [63:0]      cm_val;
    wire [63:0]      gv2 = (cm_v && cm_ga == s2_ga) ? cm_val : s2_gvf_v ? s2_gvf : q_gv;
    wire [GXW-1:0]   gx2 = s2_gxf_v ? s2_gxf : q_gx;
    wire [63:0]      g_adv   = gv2;
    wire [64:0]      a2_base = s2_a[128:64];
    wire [63:0]      a2_hb   = s2_a[63:0];
    wire [63:0]      a2_soft = s2_a[P_BM +: 64];
    // case O: the slot as of two operations ago (s2_a); case P: the
    // operation now in S3 (same slot) moved T to its number.
    wire [65:0]      vdo = sub3({1'b0, s2_opnd}, {a2_base[64], a2_base}, {2'b0, g_adv});
    wire [65:0]      vdp = {1'b0, s2_opnd} - {2'b0, s3_seq};
    wire [64:0]      bo;
    // B = T - (W - 1) lies in -(W - 1) .. 2^64 - 1, so 65 bits signed hold it;
    // bit 65 of the 66-bit sum is a copy of the sign (the lint tool waives
    // UNUSED for names matching unused_*).
    wire             unused_bo65;
    assign {unused_bo65, bo} = add3({a2_base[64], a2_base}, {2'b0, g_adv}, 66'd0 - {34'd0, WM1});
    wire [WB-1:0]    tlo = a2_base[WB-1:0] + g_adv[WB-1:0];
    wire [WB-1:0]    tlp = s3_seq[WB-1:0];
    wire [WB-1:0]    sl  = s2_seq[WB-1:0];

    // classify d = number - T (COMMIT) or v = Seql - T + W - 1 (CHECK)
    function [3:0] classify;  // {new, far, inwin, old}
        input [65:0] x;
        input        chk, esn;
        reg          nz_hi, ones_hi, nz_lo;
        begin
            nz_hi   = |x[65:WB];
            ones_hi = &x[65:WB];
            nz_lo   = |x[WB-1:0];
            if (chk && esn)        // u = x mod 2^32: in window iff u <= W - 1
                classify = {|x[31:WB], 1'b0, ~|x[31:WB], 1'b0};
            else if (chk)          // v signed: < 0 old, <= W-1 window, else new
                classify = {!x[65] && nz_hi, 1'b0, !x[65] && !nz_hi, x[65]};
            else                   // d signed: > 0 new (far if >= W), >= -(W-1) window
                classify = {!x[65] && (nz_hi || nz_lo), !x[65] && nz_hi,
                            !(nz_hi || nz_lo) || (x[65] && ones_hi && nz_lo),
                            x[65] && !(ones_hi && nz_lo)};
        end
    endfunction
    wire [3:0] clo = classify(vdo, s2_op == OP_CHK, s2_esn);
    wire [3:0] clp = classify(vdp, s2_op == OP_CHK, s2_esn);

    always @(posedge clk) begin
        if (rst)
            s3_v <= 1'b0;
        else
            s3_v <= s2_v;
        s3_op   <= s2_op;
        s3_slot <= s2_slot;
        s3_seq  <= s2_seq;
        s3_tag  <= s2_tag;
        s3_ok   <= s2_ok;
        s3_esn  <= s2_esn;
        s3_big  <= s2_big;
        s3_ga   <= s2_ga;
        s3_same <= s2_v && s3_v && s3_slot == s2_slot;
        s3_a    <= (r_we && r_wa == sra(s2_slot)) ? r_wd : s2_a;
        s3_gx   <= (gx_we && gx_wa == s2_ga) ? gx_wd : gx2;
        s3_val  <= gv2;
        s3_tbn  <= {1'b0, s2_seq} - {1'b0, g_adv};
        s3_sd   <= sub3({2'b0, a2_soft}, {2'b0, gv2}, 66'd1);
        s3_sne  <= a2_soft != 64'd0;
        s3_bmvo <= a2_hb == g_adv;
        s3_clo  <= clo[3:1];
        s3_clp  <= clp[3:1];
        s3_oldo <= clo[0];
        s3_oldp <= clp[0];
        s3_uo   <= vdo[31:0];
        s3_up   <= vdp[31:0];
        s3_bo   <= bo;
        s3_tlo  <= tlo;
        s3_tlp  <= tlp;
        s3_sl   <= sl;
    end

    // ------------------------------------------------------------------
    // S3: the loop stage. Inputs are registers (s3_a already holds the
    // previous operation's result when it was the same slot).
    wire [MW-1:0] a3_misc = s3_a[RWD-1 -: MW];
    wire [W-1:0]  a3_bm   = s3_a[P_BM +: W];
    wire          a3_exh  = s3_a[P_EXH];
    wire          a3_sfl  = s3_a[P_SFL];
    wire [64:0]   a3_base = s3_a[128:64];
    wire [63:0]   a3_hb   = s3_a[63:0];
    wire          s3_held = s3_gx[65];
    wire [64:0]   g3_mb   = s3_gx[64:0];
    wire [63:0]   g3_rxm  = s3_gx[63:0];

    // TX: EXHAUSTED iff value == hard, i.e. hb == tx_offset
    wire          t_tx    = s3_v && s3_ok && s3_op == OP_TX;
    wire          t_exh   = a3_hb == s3_val;
    wire          t_issue = t_tx && !s3_held && !t_exh;
    wire [64:0]   t_base  = a3_base + {64'd0, t_issue};
    wire [63:0]   t_hb    = a3_hb - {63'd0, t_issue};
    wire          t_exhev = t_tx && !s3_held && t_exh && !a3_exh;
    wire [64:0]   t_mb    = ($signed(a3_base) >= $signed(g3_mb)) ? t_base : g3_mb;
    // soft limit: the issued number base + 1 + tx_offset reaches soft iff
    // base >= soft - tx_offset - 1; raised once (the soft flag)
    wire          t_soft  = t_issue && s3_sne && !a3_sfl &&
                            $signed({a3_base[64], a3_base}) >= $signed(s3_sd);

    // RX: pick case P when the previous operation (same slot) advanced T
    wire          r_p     = s3_same && s4_adv;
    wire [2:0]    r_cl    = r_p ? s3_clp : s3_clo;
    wire          r_new   = r_cl[2], r_far = r_cl[1], r_win = r_cl[0];
    wire          r_old   = r_p ? s3_oldp : s3_oldo;
    // ring masks decoded here from 6-bit positions (cheaper than carrying them)
    wire [W-1:0]  r_mask  = ring_range(r_p ? s3_tlp : s3_tlo, s3_sl);
    wire [W-1:0]  s3_oh   = {{(W-1){1'b0}}, 1'b1} << s3_sl;
    // case P: T is the number of the operation ahead, now in S4
    wire [64:0]   r_bp;
    wire          unused_bp65;   // as for bo: the sign fits bit 64
    assign {unused_bp65, r_bp} = {2'b0, s4_seq} - {34'd0, WM1};
    wire          r_bmv   = (s3_same && s4_cmtv) || s3_bmvo;
    wire [W-1:0]  r_bm    = r_bmv ? a3_bm : {W{1'b1}};
    wire          r_seen  = |(r_bm & s3_oh);
    wire          r_cmt   = s3_v && s3_ok && s3_op == OP_CMT && !s3_big;
    wire          r_adv   = r_cmt && r_new;
    wire [W-1:0]  r_bmo   = r_new ? ((r_far ? {W{1'b0}} : (r_bm & ~r_mask)) | s3_oh)
                          : r_win ? (r_bm | s3_oh) : r_bm;
    wire [64:0]   r_tb    = r_adv ? s3_tbn : a3_base;
    wire [63:0]   r_rxm   = (r_cmt && s3_seq > g3_rxm) ? s3_seq : g3_rxm;

    reg  [2:0]    s3_status;
    always @(*) begin
        s3_status = DP_INV;
        if (s3_ok && !s3_big) begin
            case (s3_op)
                OP_TX:  s3_status = s3_held ? DP_HELD : t_exh ? DP_EXH : DP_OK;
                OP_CHK: s3_status = (!s3_esn && r_old) ? DP_OLD : r_new ? DP_OK :
                                    r_seen ? DP_REPLAY : DP_OK;
                OP_CMT: s3_status = r_new ? DP_OK : !r_win ? DP_OLD :
                                    r_seen ? DP_REPLAY : DP_OK;
                default: s3_status = DP_INV;
            endcase
        end
    end

    wire           s3_rwe  = t_tx || r_cmt;
    wire [RWD-1:0] s3_rwd  = t_tx ? {a3_misc, a3_bm, a3_exh | t_exhev, a3_sfl | t_soft, t_base, t_hb}
                                  : {a3_misc, r_bmo, 2'b00, r_tb, s3_val};
    wire           s3_gxwe = t_tx || r_cmt;
    wire [GXW-1:0] s3_gxwd = t_tx ? {s3_held, t_mb} : {2'b00, r_rxm};

    // management writes (pipeline drained, or the group-commit bubble in S3)
    reg              mg_r_we;
    reg  [RA_AW-1:0] mg_r_wa;
    reg  [RWD-1:0]   mg_r_wd;
    reg              mg_gx_we;
    reg  [GA_W-1:0]  mg_gx_wa;
    reg  [GXW-1:0]   mg_gx_wd;
    reg              mg_gv_we;
    reg  [GA_W-1:0]  mg_gv_wa;
    reg  [63:0]      mg_gv_wd;
    assign r_we  = s3_rwe || mg_r_we;
    assign r_wa  = mg_r_we ? mg_r_wa : sra(s3_slot);
    assign r_wd  = mg_r_we ? mg_r_wd : s3_rwd;
    assign gx_we = s3_gxwe || mg_gx_we;
    assign gx_wa = mg_gx_we ? mg_gx_wa : s3_ga;
    assign gx_wd = mg_gx_we ? mg_gx_wd : s3_gxwd;
    assign gv_we = mg_gv_we;
    assign gv_wa = mg_gv_wa;
    assign gv_wd = mg_gv_wd;

    // bubble event (refused group operation), injected at S3: the bubble
    // carries the group and the delta (ARG0, ARG2/3 of the open operation)
    // in its slot and seq fields
    wire             cm_ev;

    always @(posedge clk) begin
        if (rst) begin
            s4_v   <= 1'b0;
            s4_mev <= 1'b0;
        end else begin
            s4_v   <= s3_v;
            s4_mev <= cm_ev;
        end
        s4_op      <= s3_op;
        s4_slot    <= cm_ev ? arg0[15:0] : s3_slot;
        s4_seq     <= cm_ev ? arg_seq : s3_seq;
        s4_tag     <= s3_tag;
        s4_ok      <= s3_ok && !s3_big;
        s4_esn     <= s3_esn;
        s4_st      <= s3_status;
        s4_adv     <= r_adv;
        s4_cmtv    <= r_cmt;
        s4_exh_ev  <= t_exhev;
        s4_soft_ev <= t_soft;
        // one adder at S4 serves TX (base + tx_offset) and ESN CHECK (B + u)
        s4_x       <= s3_op == OP_TX ? {1'b0, t_base[63:0]} : r_p ? r_bp : s3_bo;
        s4_y       <= s3_op == OP_TX ? s3_val : {32'd0, r_p ? s3_up : s3_uo};
        s4_epoch   <= epoch;
    end

    // ------------------------------------------------------------------
    // S4: values
    wire [65:0] s4_sum = {s4_x[64], s4_x} + {2'b0, s4_y};
    wire        e_out  = s4_sum[65] || s4_sum[64];            // < 0 or >= 2^64
    reg  [2:0]  s4_status;
    reg  [63:0] s4_value;
    always @(*) begin
        s4_status = s4_st;
        s4_value  = 64'd0;
        if (s4_ok) begin
            case (s4_op)
                OP_TX:  s4_value = s4_sum[63:0];
                OP_CHK: begin
                    if (s4_esn) begin
                        if (e_out) s4_status = DP_OLD;
                        else       s4_value  = s4_sum[63:0];
                    end else
                        s4_value = {32'd0, s4_seq[31:0]};
                end
                default: s4_value = s4_seq;
            endcase
        end
    end

    always @(posedge clk) begin
        if (rst) begin
            s5_v   <= 1'b0;
            s5_mev <= 1'b0;
        end else begin
            s5_v   <= s4_v;
            s5_mev <= s4_mev;
        end
        s5_op      <= s4_op;
        s5_slot    <= s4_slot;
        s5_seq     <= s4_mev ? s4_seq : s4_value;
        s5_tag     <= s4_tag;
        s5_st      <= s4_status;
        s5_epoch   <= s4_epoch;
        s5_exh_ev  <= s4_exh_ev;
        s5_soft_ev <= s4_soft_ev;
    end

    // ------------------------------------------------------------------
    // S5: events leave into the FIFO at the same edge as the result enters
    // the result register: an event is pending by the time its result is seen.
    assign ev_valid = s5_mev || (s5_v && (s5_exh_ev || s5_soft_ev));
    assign ev_type  = s5_mev ? ISQ_EVT_OVERFLOW_REFUSED :
                      s5_exh_ev ? ISQ_EVT_EXHAUSTED : ISQ_EVT_SOFT_LIMIT;
    assign ev_index = s5_slot;
    assign ev_value = s5_seq;
    assign ev_epoch = s5_epoch;

    always @(posedge clk) begin
        if (rst)
            res_valid <= 1'b0;
        else
            res_valid <= s5_v;
        res_tag    <= s5_tag;
        res_op     <= s5_op;
        res_slot   <= s5_slot;
        res_status <= s5_st;
        res_seq    <= s5_seq;
        res_epoch  <= s5_epoch;
    end

    // ------------------------------------------------------------------
    // Management unit: one mailbox operation at a time.
    //
    //   group op   DEC: stall one cycle (the bubble); read the management row
    //              G2:  bubble in S1: read the group's row; refusal bound
    //              G3:  decide, including the operation now in S3
    //              G4:  the linearization edge (end of cycle), bubble in S3
    //   GROUP_READ DEC, GR1: stall two cycles; GR1, GR2 read both directions
    //   slot op    DEC: stall; DRAIN until S1..S5 are empty; then the tables
    //              belong to the management unit until released
    reg  [GMW-1:0] mg_gm;        // management row of the group
    wire [63:0]    gm_lep  = mg_gm[63:0];
    wire [64:0]    gm_hr   = mg_gm[128:64];
    wire [15:0]    gm_nin  = mg_gm[144:129];
    wire [15:0]    gm_nout = mg_gm[160:145];
    wire           gm_esn  = mg_gm[161];
    wire           gm_empty = gm_nout == 16'd0 && gm_nin == 16'd0;
    reg            mg_fwd_v;     // gmax write seen in the read cycle
    reg  [GXW-1:0] mg_fwd;
    reg  [65:0]    mg_y;         // refusal bound (install: hard - tx_offset)
    reg            mg_refuse;
    reg  [64:0]    mg_mx;        // the group row's max (install: the new max base)
    reg            mg_held;
    reg  [63:0]    mg_val;       // tx_offset (TX row, slot read: the slot's direction)
    reg  [63:0]    mg_val2;      // rx_advance
    reg  [63:0]    mg_rxm;       // rx_max
    reg  [RWD-1:0] mg_a;         // slot row
    reg            mg_live;
    reg  [64:0]    mg_base;
    reg  [7:0]     mg_rc;
    reg  [W-1:0]   mg_rot;
    reg  [WB-1:0]  mg_r;

    wire [63:0]  delta   = arg_seq;      // ARG2/3
    wire         in_dir  = arg1[16];
    wire         in_esn  = arg1[17];
    wire [63:0]  in_max  = in_esn ? 64'hffff_ffff_ffff_ffff : M32;
    wire [63:0]  in_hard = arg_hard == 64'd0 ? in_max : arg_hard;
    wire [G_AW-1:0] arg_g = arg1[G_AW-1:0];

    // the group row as read (a write in the read cycle was captured)
    wire [GXW-1:0] gx_now = mg_fwd_v ? mg_fwd : q_gx;

    // The operation in S3 during G3 is the last one before the edge: its
    // update of the maxima lands with it, so the check adds it here.
    wire s3_same_g = s3_v && s3_ok && s3_ga == {op_rx, mg_g};
    wire tx_cont   = s3_same_g && s3_op == OP_TX &&
                     ($signed({a3_base[64], a3_base}) > $signed(mg_y) ||
                      (t_issue && {a3_base[64], a3_base} == mg_y));
    wire rx_cont   = s3_same_g && s3_op == OP_CMT && !s3_big &&
                     $signed({2'b0, s3_seq}) > $signed(mg_y);
    wire no_check  = delta == 64'd0 || mg_op == ISQ_OP_GROUP_HOLD ||
                     mg_op == ISQ_OP_GROUP_RELEASE;
    wire refuse_g3 = !no_check &&
                     ($signed({gx_now[64], gx_now[64:0]}) > $signed(mg_y) ||
                      (op_rx ? rx_cont : tx_cont));

    assign cm_v  = st == ST_G4 && !mg_refuse &&
                   (mg_op == ISQ_OP_GROUP_TX_ADD || mg_op == ISQ_OP_GROUP_RX_ADVANCE);
    assign cm_ga = {op_rx, mg_g};
    assign cm_ev = st == ST_G4 && mg_refuse;

    // SLOT_READ: the ring bitmap in window order. Bit i of the window is
    // sequence number T - i, held at ring position (T - i) mod W: load
    // q[j] = ring[(W - j) mod W], then rotate left by T mod W.
    function [W-1:0] ring_rev;
        input [W-1:0] r;
        integer j;
        begin
            for (j = 0; j < W; j = j + 1)
                ring_rev[j] = r[(W - j) % W];
        end
    endfunction

    // ---- results. RES is written through one 64-bit bus, a register pair
    // per cycle (even words take bits 31:0, odd words bits 63:32; a pair
    // starting at an odd word is put on the bus with its halves swapped),
    // so RES needs no multiplexer per bit. Words not written by an
    // operation are cleared in its first result cycle. GROUP_READ and
    // SLOT_READ write their pairs one per cycle (rs_k) from the snapshot,
    // through one adder.
    reg  [2:0]   rs_k;
    reg  [15:0]  res_wen;
    reg          res_clr;
    reg  [63:0]  res_bus;
    wire         rs_gr = st == ST_GRW;
    wire [63:0]  rs_a  = rs_gr ? (rs_k == 3'd3 ? mg_mx[63:0] : gm_hr[63:0])
                               : (rs_k == 3'd0 ? mg_a[127:64] : mg_a[63:0]);
    wire [63:0]  rs_b  = (rs_gr || rs_k == 3'd0) ? mg_val : mg_a[127:64];
    // GROUP_READ: tx_max = max base + tx_offset, tx_limit = headroom + tx_offset;
    // SLOT_READ: value (or T) = base + offset, hard = hb + base
    wire [63:0]  rs_sum = rs_a + rs_b;
    wire         sr_out = mg_a[P_VAL] && !mg_a[P_DIR];
    reg  [63:0]  rs_w;
    always @(*) begin
        case ({rs_gr, rs_k})
        4'b1001: rs_w = mg_val;                       // RES2/3 tx_offset
        4'b1010: rs_w = mg_val2;                      // RES4/5 rx_advance
        4'b1011, 4'b1100: rs_w = rs_sum;              // RES6/7 tx_max, RES8/9 tx_limit
        4'b1101: rs_w = gm_lep;                       // RES10/11
        4'b1110: rs_w = epoch;                        // RES12/13
        4'b1111: rs_w = mg_rxm;                       // RES14/15
        4'b0000: rs_w = mg_a[P_VAL] ? rs_sum : 64'd0; // RES1/2 value or T
        4'b0001: rs_w = sr_out ? rs_sum : 64'd0;      // RES3/4 hard
        4'b0010: rs_w = sr_out ? mg_a[P_BM +: 64] : 64'd0; // RES5/6 soft
        default: rs_w = epoch;                        // RES7/8
        endcase
    end
    wire         unused_mg = &{1'b0, mg_a[128], mg_mx[64], gm_hr[64]};  // reads use mod 2^64

    always @(*) begin
        res_wen = 16'd0;
        res_clr = 1'b0;
        res_bus = epoch;
        case (st)
        ST_DEC: if (!cmd_rsv) begin
            if (mg_op == ISQ_OP_NOP)
                res_clr = 1'b1;
            if (mg_op == ISQ_OP_EPOCH_READ) begin
                res_clr = 1'b1;
                res_wen = 16'h0003;
            end
        end
        ST_G4: if (!mg_refuse) begin
            res_clr = 1'b1;
            res_wen = 16'h0003;
            res_bus = epoch + 64'd1;
        end
        ST_I_W2, ST_C_W2: begin
            res_clr = 1'b1;
            res_wen = 16'h0003;
        end
        ST_GR3: begin
            res_clr = 1'b1;
            res_wen = 16'h0003;
            res_bus = {gm_nin, gm_nout, 29'd0, !gm_empty, gm_esn, mg_held};
        end
        ST_GRW: begin
            res_wen = 16'h0003 << {rs_k, 1'b0};
            res_bus = rs_w;
        end
        ST_R_CALC: begin
            res_clr = 1'b1;
            res_wen = 16'h0001;
            res_bus = {32'd0, mg_a[P_VAL] ? {{(16 - G_AW){1'b0}}, mg_a[P_GRP +: G_AW], 11'd0,
                       mg_a[P_SFL], mg_a[P_EXH], mg_a[P_ESN], mg_a[P_DIR], 1'b1} : 32'd0};
        end
        ST_R_W: begin
            res_wen = 16'h0006 << {rs_k, 1'b0};
            res_bus = {rs_w[31:0], rs_w[63:32]};
        end
        default: ;
        endcase
    end

    integer ri;
    always @(posedge clk) begin
        if (rst)
            mb_res <= 512'd0;
        else
            for (ri = 0; ri < 16; ri = ri + 1)
                if (res_wen[ri])
                    mb_res[32*ri +: 32] <= ri % 2 == 0 ? res_bus[31:0] : res_bus[63:32];
                else if (res_clr)
                    mb_res[32*ri +: 32] <= 32'd0;
    end

    // ---- read addresses of the management unit
    always @(*) begin
        mg_ra = {RA_AW{1'b0}};
        mg_ga = {GA_W{1'b0}};
        case (st)
        ST_DEC:    mg_ra = gmrow(mg_g);
        ST_G2:     mg_ga = {op_rx, mg_g};
        ST_GR1:    mg_ga = {1'b0, mg_g};
        ST_GR2:    mg_ga = {1'b1, mg_g};
        ST_I_RD:   begin mg_ra = sra({{(16 - SA_AW){1'b0}}, mg_slot}); mg_ga = {1'b0, mg_g}; end
        ST_I_R2:   begin mg_ra = gmrow(mg_g); mg_ga = {1'b1, mg_g}; end
        ST_C_RD, ST_R_RD: mg_ra = sra({{(16 - SA_AW){1'b0}}, mg_slot});
        ST_C_G:    mg_ra = gmrow(mg_g);
        ST_R_G:    mg_ga = {q_r[P_DIR], q_r[P_GRP +: G_AW]};
        default: ;
        endcase
    end

    // ---- management writes of the tables: combinational from the state,
    // data from registers
    always @(*) begin
        mg_r_we = 1'b0; mg_r_wa = gmrow(mg_g); mg_r_wd = {RWD{1'b0}};
        mg_gx_we = 1'b0; mg_gx_wa = {op_rx, mg_g}; mg_gx_wd = {GXW{1'b0}};
        mg_gv_we = 1'b0; mg_gv_wa = {op_rx, mg_g}; mg_gv_wd = cm_val;
        case (st)
        ST_INIT: begin
            // power-on: free every slot, reset every group (headroom 2^32 - 1)
            mg_r_we = {{(32-IAW){1'b0}}, init_i} < RN;
            mg_r_wa = init_i[RA_AW-1:0];
            if ({{(32-IAW){1'b0}}, init_i} >= NUM_SA)
                mg_r_wd[GMW-1:0] = {33'd0, 1'b0, M32, 64'd0};
            mg_gx_we = {{(32-IAW){1'b0}}, init_i} < GN;
            mg_gx_wa = init_i[GA_W-1:0];
            mg_gv_we = {{(32-IAW){1'b0}}, init_i} < GN;
            mg_gv_wa = init_i[GA_W-1:0];
            mg_gv_wd = 64'd0;
        end
        ST_G4: if (!mg_refuse) begin
            // the linearization edge of a group operation
            mg_r_we = 1'b1;
            mg_r_wd[GMW-1:0] = {mg_gm[161:129],
                                mg_op == ISQ_OP_GROUP_TX_ADD ? mg_y[64:0] : gm_hr, epoch + 64'd1};
            mg_gv_we = cm_v;
            mg_gx_we = 1'b1;
            case (mg_op)
            ISQ_OP_GROUP_TX_ADD:     mg_gx_wd = {mg_held & ~arg1[0], mg_mx};
            ISQ_OP_GROUP_RX_ADVANCE: mg_gx_wd = {2'b00, mg_mx[63:0] + delta};
            ISQ_OP_GROUP_HOLD:       mg_gx_wd = {1'b1, mg_mx};
            default:                 mg_gx_wd = {1'b0, mg_mx};
            endcase
        end
        ST_I_CALC: if (mg_rc == ISQ_RC_OK) begin
            mg_r_we = 1'b1;
            mg_r_wa = sra({{(16 - SA_AW){1'b0}}, mg_slot});
            mg_r_wd = in_dir ? {1'b1, 1'b1, in_esn, arg_g, {W{1'b1}}, 2'b00, mg_base,
                                gm_empty ? 64'd0 : mg_val2}
                             : {1'b1, 1'b0, in_esn, arg_g, {{(W-64){1'b0}}, arg_soft}, 2'b00,
                                mg_base, in_hard - mg_base[63:0]};
        end
        ST_I_W1: begin
            // a group without slots restarts from this slot
            mg_r_we = 1'b1;
            mg_r_wd[GMW-1:0] = {gm_empty ? in_esn : gm_esn,
                                gm_nout + {15'd0, !in_dir}, gm_nin + {15'd0, in_dir},
                                gm_empty ? (in_dir ? {1'b0, in_max} : {1'b0, in_hard}) :
                                (!in_dir && $signed(mg_y) < $signed({gm_hr[64], gm_hr})) ?
                                    mg_y[64:0] : gm_hr,
                                gm_lep};
            mg_gx_we = 1'b1;
            mg_gx_wa = {1'b0, mg_g};
            mg_gx_wd = {mg_held, mg_mx};
            mg_gv_we = 1'b1;
            mg_gv_wa = {1'b0, mg_g};
            mg_gv_wd = gm_empty ? 64'd0 : mg_val;
        end
        ST_I_W2: begin
            mg_gx_we = 1'b1;
            mg_gx_wa = {1'b1, mg_g};
            mg_gx_wd = {2'b00, mg_rxm};
            mg_gv_we = 1'b1;
            mg_gv_wa = {1'b1, mg_g};
            mg_gv_wd = gm_empty ? 64'd0 : mg_val2;
        end
        ST_C_WR: begin
            mg_r_we = 1'b1;
            mg_r_wa = sra({{(16 - SA_AW){1'b0}}, mg_slot});
        end
        ST_C_W2: begin
            mg_r_we = 1'b1;
            mg_r_wd[GMW-1:0] = {gm_esn,
                                gm_nout - {15'd0, !mg_a[P_DIR]}, gm_nin - {15'd0, mg_a[P_DIR]},
                                gm_hr, gm_lep};
        end
        default: ;
        endcase
    end

    always @(posedge clk) begin
        // keep the open operation's copy of the group max current
        mg_fwd_v <= gx_we && gx_wa == mg_ga;
        mg_fwd   <= gx_wd;
        if (rst) begin
            st      <= ST_INIT;
            init_i  <= {IAW{1'b0}};
            epoch   <= 64'd0;
            mb_rc   <= 8'd0;
            mb_done <= 16'd0;
            mb_bmp  <= {W{1'b0}};
            mg_slot <= {SA_AW{1'b0}};
            mg_g    <= {G_AW{1'b0}};
            mg_refuse <= 1'b0;
        end else begin
            case (st)
            ST_INIT: begin
                init_i <= init_i + 1'b1;
                if (init_i == INIT_LAST)
                    st <= ST_IDLE;
            end
            ST_IDLE: begin
                if (mb_start) begin
                    mg_op     <= mb_cmd[7:0];
                    mg_cmd_hi <= {8'd0, mb_cmd[31:8]};
                    arg0      <= mb_args[31:0];
                    arg1      <= mb_args[63:32];
                    arg_seq   <= mb_args[127:64];
                    arg_hard  <= mb_args[191:128];
                    arg_soft  <= mb_args[255:192];
                    mg_g      <= mb_args[G_AW-1:0];
                    st        <= ST_DEC;
                end
            end
            ST_DEC: begin
                mg_rc  <= ISQ_RC_OK;
                st     <= ST_DONE;
                if (cmd_rsv)
                    mg_rc <= ISQ_RC_RESERVED;
                else case (mg_op)
                ISQ_OP_NOP, ISQ_OP_EPOCH_READ: ;   // RES: see the result bus
                ISQ_OP_SLOT_INSTALL, ISQ_OP_SLOT_READ, ISQ_OP_SLOT_CLEAR: begin
                    mg_slot <= arg0[SA_AW-1:0];
                    mg_g    <= arg_g;
                    if (!arg0_slot_ok)
                        mg_rc <= ISQ_RC_BAD_SLOT;
                    else if (mg_op == ISQ_OP_SLOT_INSTALL && arg1[31:18] != 14'd0)
                        mg_rc <= ISQ_RC_RESERVED;
                    else if (mg_op == ISQ_OP_SLOT_INSTALL && {1'b0, arg1[15:0]} >= NG17)
                        mg_rc <= ISQ_RC_BAD_GROUP;
                    else
                        st <= ST_DRAIN;
                end
                ISQ_OP_GROUP_READ, ISQ_OP_GROUP_TX_ADD, ISQ_OP_GROUP_RX_ADVANCE,
                ISQ_OP_GROUP_HOLD, ISQ_OP_GROUP_RELEASE: begin
                    // the bubble enters; the management row is being read
                    if (!arg0_grp_ok)
                        mg_rc <= ISQ_RC_BAD_GROUP;
                    else if (txadd_rsv)
                        mg_rc <= ISQ_RC_RESERVED;
                    else
                        st <= mg_op == ISQ_OP_GROUP_READ ? ST_GR1 : ST_G2;
                end
                default: mg_rc <= ISQ_RC_BAD_OP;
                endcase
            end
            ST_G2: begin
                // the bubble is in S1: the group's row is being read
                mg_gm <= q_r[GMW-1:0];
                if (mg_op == ISQ_OP_GROUP_TX_ADD)
                    // refuse iff max base + delta > headroom (= tx_limit - tx_offset)
                    mg_y <= {q_r[128], q_r[128:64]} - {2'b0, delta};
                else
                    // refuse iff rx_max + delta > the sequence-space maximum
                    mg_y <= {2'b0, q_r[161] ? 64'hffff_ffff_ffff_ffff : M32} - {2'b0, delta};
                st <= ST_G3;
            end
            ST_G3: begin
                mg_refuse <= refuse_g3;
                cm_val    <= q_gv + delta;
                mg_mx     <= (gx_we && gx_wa == {op_rx, mg_g}) ? gx_wd[64:0] : gx_now[64:0];
                mg_held   <= (gx_we && gx_wa == {op_rx, mg_g}) ? gx_wd[65] : gx_now[65];
                st <= ST_G4;
            end
            ST_G4: begin
                // edge at the end of this cycle; the result is visible next cycle
                if (!mg_refuse)
                    epoch <= epoch + 64'd1;
                mb_rc   <= mg_refuse ? ISQ_RC_OVERFLOW : ISQ_RC_OK;
                mb_done <= mb_done + 16'd1;
                st <= ST_IDLE;
            end
            // ---- GROUP_READ: the state as of its first bubble
            ST_GR1: begin
                mg_gm <= q_r[GMW-1:0];
                st <= ST_GR2;
            end
            ST_GR2: begin
                // outbound row (writes until this cycle's land in it)
                mg_val  <= q_gv;
                mg_mx   <= (gx_we && gx_wa == {1'b0, mg_g}) ? gx_wd[64:0] : gx_now[64:0];
                mg_held <= (gx_we && gx_wa == {1'b0, mg_g}) ? gx_wd[65] : gx_now[65];
                st <= ST_GR3;
            end
            ST_GR3: begin
                // inbound row; no data-path write reaches the group from here
                mg_val2 <= q_gv;
                mg_rxm  <= gx_now[63:0];
                rs_k    <= 3'd1;
                st <= ST_GRW;
            end
            ST_GRW: begin
                rs_k <= rs_k + 3'd1;
                if (rs_k == 3'd7)
                    st <= ST_DONE;
            end
            ST_DRAIN: begin
                if (!s1_v && !s2_v && !s3_v && !s4_v && !s5_v)
                    st <= mg_op == ISQ_OP_SLOT_INSTALL ? ST_I_RD :
                          mg_op == ISQ_OP_SLOT_CLEAR ? ST_C_RD : ST_R_RD;
            end
            // ---- SLOT_INSTALL
            ST_I_RD: st <= ST_I_R2;   // slot row, outbound group row being read
            ST_I_R2: begin            // management row, inbound group row being read
                mg_live <= q_r[P_VAL];
                mg_val  <= q_gv;
                mg_mx   <= q_gx[64:0];
                mg_held <= q_gx[65];
                st <= ST_I_R3;
            end
            ST_I_R3: begin
                mg_gm   <= q_r[GMW-1:0];
                mg_val2 <= q_gv;
                mg_rxm  <= q_gx[63:0];
                st <= ST_I_CHK;
            end
            ST_I_CHK: begin
                // base = number - offset; a group without slots starts from zero
                mg_base <= {1'b0, arg_seq} -
                           (gm_empty ? 65'd0 : {1'b0, in_dir ? mg_val2 : mg_val});
                mg_y    <= {2'b0, in_hard} - {2'b0, mg_val};   // hard - tx_offset
                if (mg_live)
                    mg_rc <= ISQ_RC_SLOT_LIVE;
                else if (!gm_empty && gm_esn != in_esn)
                    mg_rc <= ISQ_RC_ESN_MISMATCH;
                else if (in_dir ? (arg_hard != 64'd0 || arg_soft != 64'd0 ||
                                   (!in_esn && arg_seq[63:32] != 32'd0))
                                : ((!in_esn && arg_hard[63:32] != 32'd0) ||
                                   arg_seq >= in_hard ||
                                   (arg_soft != 64'd0 && arg_soft > in_hard)))
                    mg_rc <= ISQ_RC_BAD_VALUE;
                st <= ST_I_CALC;
            end
            ST_I_CALC: begin          // writes: slot row
                if (gm_empty) begin
                    mg_mx   <= in_dir ? 65'd0 : mg_base;      // the new maxima
                    mg_rxm  <= in_dir ? arg_seq : 64'd0;
                end else begin
                    mg_mx   <= (!in_dir && $signed(mg_base) > $signed(mg_mx)) ? mg_base : mg_mx;
                    mg_rxm  <= (in_dir && arg_seq > mg_rxm) ? arg_seq : mg_rxm;
                end
                st <= mg_rc == ISQ_RC_OK ? ST_I_W1 : ST_DONE;
            end
            ST_I_W1: st <= ST_I_W2;   // writes: management row, outbound group row
            ST_I_W2: st <= ST_DONE;   // writes: inbound group row
            // ---- SLOT_CLEAR
            ST_C_RD: st <= ST_C_CHK;
            ST_C_CHK: begin
                mg_a <= q_r;
                mg_g <= q_r[P_GRP +: G_AW];
                if (!q_r[P_VAL]) begin
                    mg_rc <= ISQ_RC_SLOT_FREE;
                    st <= ST_DONE;
                end else
                    st <= ST_C_G;
            end
            ST_C_G: st <= ST_C_GQ;
            ST_C_GQ: begin
                mg_gm <= q_r[GMW-1:0];
                st <= ST_C_WR;
            end
            ST_C_WR: st <= ST_C_W2;   // writes: slot row (freed)
            ST_C_W2: st <= ST_DONE;   // writes: management row
            // ---- SLOT_READ
            ST_R_RD: st <= ST_R_G;
            ST_R_G: begin
                mg_a <= q_r;
                st <= ST_R_GW;
            end
            ST_R_GW: begin
                mg_val <= q_gv;
                st <= ST_R_CALC;
            end
            ST_R_CALC: begin
                // snapshot taken: the data path runs again from the next cycle
                mg_rot <= {W{1'b0}};
                mg_r   <= {WB{1'b0}};
                if (mg_a[P_VAL] && mg_a[P_DIR]) begin
                    mg_rot <= ring_rev(mg_a[63:0] == mg_val ? mg_a[P_BM +: W] : {W{1'b1}});
                    mg_r   <= mg_a[64+WB-1:64] + mg_val[WB-1:0];     // T mod W
                end
                rs_k <= 3'd0;
                st <= ST_R_W;
            end
            ST_R_W: begin             // RES1..8, a pair per cycle
                rs_k <= rs_k + 3'd1;
                if (rs_k == 3'd3)
                    st <= ST_R_ROT;
            end
            ST_R_ROT: begin
                if (mg_r >= R32) begin
                    mg_rot <= {mg_rot[W-33:0], mg_rot[W-1:W-32]};
                    mg_r   <= mg_r - R32;
                end else if (mg_r != {WB{1'b0}}) begin
                    mg_rot <= {mg_rot[W-2:0], mg_rot[W-1]};
                    mg_r   <= mg_r - 1'b1;
                end else
                    st <= ST_DONE;
            end
            ST_DONE: begin
                mb_rc   <= mg_rc;
                mb_done <= mb_done + 16'd1;
                if (mg_rc == ISQ_RC_OK && mg_op == ISQ_OP_SLOT_READ)
                    mb_bmp <= mg_rot;
                st <= ST_IDLE;
            end
            default: st <= ST_IDLE;
            endcase
        end
    end

endmodule

`default_nettype wire
