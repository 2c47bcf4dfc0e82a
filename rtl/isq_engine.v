// isq_engine.v — the sequence-counter engine: slot and group tables, the
// data-path pipeline (one operation per cycle, forwarding, never stalls by
// itself) and the management unit behind the mailbox.
//
// Semantics: docs/rtl.md (and the C golden model, sim/golden/). Pipeline:
//
//   A   accept; slot tables read (misc, state)           snoop state write
//   S1  slot known; group tables read                      snoop state, gmax, gdp writes
//   S2  group state observed; RX arithmetic for two cases   snoop state, gmax writes
//   S3  the loop stage: TX issue / RX window update;        writes state, gmax
//       epoch sampled
//   S4  effective TX value; ESN result range; soft table read
//   S5  soft-limit crossing (writes soft flag); events; result
//
// Storage is lazy so that group operations are O(1): an outbound slot keeps
// base = value - tx_offset[group] (65-bit signed) and hb = hard - base
// (mod 2^64, so EXHAUSTED is the equality hb == tx_offset); an inbound slot
// keeps Tb = T - rx_advance[group], snap = rx_advance at its last window
// write (window valid only while snap == rx_advance) and a ring bitmap
// indexed by sequence number mod W. Per group: tx_offset, rx_advance, held
// (gdp), and the monotone maxima mb (max base) and rxm (max T) (gmax).
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
    localparam integer WB    = $clog2(W);
    localparam integer MW    = 3 + G_AW;          // misc: valid, dir_in, esn, group
    localparam integer AWD   = W + 130;           // state: bm, exh, base[65], hb[64]
    localparam integer SFW   = 65;                // soft limit, soft-event flag
    localparam integer GDW   = 129;               // held, tx_offset, rx_advance
    localparam integer GXW   = 129;               // mb[65], rxm[64]
    localparam integer GMW   = 290;               // management copy of a group
    localparam integer INIT_N = NUM_SA > NUM_GROUP ? NUM_SA : NUM_GROUP;
    localparam integer IAW   = $clog2(INIT_N + 1);
    localparam integer INIT_LASTI = INIT_N - 1;
    localparam [IAW-1:0] INIT_LAST = INIT_LASTI[IAW-1:0];
    localparam [16:0] NSA17 = NUM_SA[16:0];
    localparam [16:0] NG17  = NUM_GROUP[16:0];
    localparam integer WM1I = W - 1;
    localparam [31:0] WM1   = WM1I[31:0];
    localparam [$clog2(W)-1:0] R32 = 32;

    localparam [1:0] OP_TX = 2'd0, OP_CHK = 2'd1, OP_CMT = 2'd2;
    localparam [2:0] DP_OK = 3'd0, DP_HELD = 3'd1, DP_EXH = 3'd2, DP_INV = 3'd3,
                     DP_REPLAY = 3'd4, DP_OLD = 3'd5;
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

    // ------------------------------------------------------------------
    // Tables
    // slot misc: written only by management (with the data path drained)
    reg              misc_we;
    reg  [SA_AW-1:0] misc_wa;
    reg  [MW-1:0]    misc_wd;
    wire [SA_AW-1:0] slot_ra;
    wire [MW-1:0]    q_misc;
    // slot state: written at S3 (or by management)
    wire             a_we;
    wire [SA_AW-1:0] a_wa;
    wire [AWD-1:0]   a_wd;
    wire [AWD-1:0]   q_a;
    // soft limit + flag: read at S4, flag written at S5
    wire             sf_we;
    wire [SA_AW-1:0] sf_wa;
    wire [SFW-1:0]   sf_wd;
    wire [SA_AW-1:0] sf_ra;
    wire [SFW-1:0]   q_sf;
    // group: data-path copy of tx_offset/rx_advance/held
    reg              gd_we;
    reg  [G_AW-1:0]  gd_wa;
    reg  [GDW-1:0]   gd_wd;
    wire [G_AW-1:0]  g_ra;
    wire [GDW-1:0]   q_gd;
    // group maxima: read at S1 (and by management), written at S3
    wire             gx_we;
    wire [G_AW-1:0]  gx_wa;
    wire [GXW-1:0]   gx_wd;
    wire [GXW-1:0]   q_gx, q_gx2;
    reg  [G_AW-1:0]  mg_gra;
    // group management copy (limits, counts, epochs)
    reg              gm_we;
    reg  [G_AW-1:0]  gm_wa;
    reg  [GMW-1:0]   gm_wd;
    wire [GMW-1:0]   q_gm;

    isq_ram #(.DW(MW), .D(NUM_SA), .AW(SA_AW), .COLLIDE(RAM_COLLIDE)) u_misc (
        .clk(clk), .we(misc_we), .wa(misc_wa), .wd(misc_wd), .ra(slot_ra), .q(q_misc));
    isq_ram #(.DW(AWD), .D(NUM_SA), .AW(SA_AW), .COLLIDE(RAM_COLLIDE)) u_state (
        .clk(clk), .we(a_we), .wa(a_wa), .wd(a_wd), .ra(slot_ra), .q(q_a));
    isq_ram #(.DW(SFW), .D(NUM_SA), .AW(SA_AW), .COLLIDE(RAM_COLLIDE)) u_soft (
        .clk(clk), .we(sf_we), .wa(sf_wa), .wd(sf_wd), .ra(sf_ra), .q(q_sf));
    isq_ram #(.DW(GDW), .D(NUM_GROUP), .AW(G_AW), .COLLIDE(RAM_COLLIDE)) u_gdp (
        .clk(clk), .we(gd_we), .wa(gd_wa), .wd(gd_wd), .ra(g_ra), .q(q_gd));
    isq_ram2 #(.DW(GXW), .D(NUM_GROUP), .AW(G_AW), .COLLIDE(RAM_COLLIDE)) u_gmax (
        .clk(clk), .we(gx_we), .wa(gx_wa), .wd(gx_wd), .ra(g_ra), .q(q_gx),
        .ra2(mg_gra), .q2(q_gx2));
    isq_ram #(.DW(GMW), .D(NUM_GROUP), .AW(G_AW), .COLLIDE(RAM_COLLIDE)) u_gmg (
        .clk(clk), .we(gm_we), .wa(gm_wa), .wd(gm_wd), .ra(mg_gra), .q(q_gm));

    // ------------------------------------------------------------------
    // Management state (declared early: the pipeline consults it)
    localparam [4:0] ST_INIT = 5'd0,  ST_IDLE = 5'd1,  ST_DEC = 5'd2,
                     ST_G2 = 5'd3,    ST_G3 = 5'd4,    ST_G4 = 5'd5,
                     ST_GR2 = 5'd6,   ST_DRAIN = 5'd7, ST_I_RD = 5'd8,
                     ST_I_CHK = 5'd9, ST_I_CALC = 5'd10, ST_I_WR = 5'd11,
                     ST_C_RD = 5'd12, ST_C_CHK = 5'd13, ST_C_G = 5'd14,
                     ST_C_GQ = 5'd15, ST_C_WR = 5'd16, ST_R_RD = 5'd17,
                     ST_R_G = 5'd18,  ST_R_GW = 5'd19, ST_R_CALC = 5'd20,
                     ST_R_ROT = 5'd21, ST_DONE = 5'd22;
    reg  [4:0]  st;
    reg  [7:0]  mg_op;
    reg  [31:0] mg_cmd_hi;      // CMD bits 31:8 (reserved)
    reg  [31:0] arg0, arg1;
    reg  [63:0] arg_seq, arg_hard, arg_soft; // ARG2/3, ARG4/5, ARG6/7
    reg  [63:0] epoch;
    reg  [IAW-1:0] init_i;

    wire is_group_op = mg_op == ISQ_OP_GROUP_TX_ADD || mg_op == ISQ_OP_GROUP_RX_ADVANCE ||
                       mg_op == ISQ_OP_GROUP_HOLD || mg_op == ISQ_OP_GROUP_RELEASE;
    wire is_slot_op  = mg_op == ISQ_OP_SLOT_INSTALL || mg_op == ISQ_OP_SLOT_READ ||
                       mg_op == ISQ_OP_SLOT_CLEAR;
    wire arg0_grp_ok = arg0 < NUM_GROUP;
    wire arg0_slot_ok = arg0 < NUM_SA;
    wire cmd_rsv     = mg_cmd_hi != 32'd0;
    wire txadd_rsv   = mg_op == ISQ_OP_GROUP_TX_ADD && arg1[31:1] != 31'd0;
    // A group operation steals exactly one data-path cycle: the bubble that
    // reaches S3 in the cycle of its linearization edge.
    wire bubble_now  = st == ST_DEC && !cmd_rsv && is_group_op && arg0_grp_ok && !txadd_rsv;
    // Slot operations drain the pipeline and own the slot tables.
    wire slot_own    = st == ST_DRAIN || st == ST_I_RD || st == ST_I_CHK || st == ST_I_CALC ||
                       st == ST_I_WR || st == ST_C_RD || st == ST_C_CHK || st == ST_C_G ||
                       st == ST_C_GQ || st == ST_C_WR || st == ST_R_RD || st == ST_R_G ||
                       st == ST_R_GW || st == ST_R_CALC;
    wire slot_go     = st == ST_DEC && !cmd_rsv && is_slot_op && arg0_slot_ok &&
                       !(mg_op == ISQ_OP_SLOT_INSTALL &&
                         (arg1[31:18] != 14'd0 || {1'b0, arg1[15:0]} >= NG17));

    assign req_ready = !(st == ST_INIT || bubble_now || slot_own || slot_go);
    assign mb_busy   = st != ST_IDLE;
    assign epoch_o   = epoch;

    wire acc = req_valid && req_ready;
    wire [SA_AW-1:0] req_si = req_slot[SA_AW-1:0];
    reg  [SA_AW-1:0] mg_slot;
    // The slot tables' read ports change hands once the pipeline is empty.
    wire slot_tab = slot_own && st != ST_DRAIN;
    assign slot_ra = slot_tab ? mg_slot : req_si;

    // ------------------------------------------------------------------
    // Pipeline registers
    reg              s1_v, s1_bad;
    reg  [1:0]       s1_op;
    reg  [15:0]      s1_slot;
    reg  [63:0]      s1_seq;
    reg  [TAG_W-1:0] s1_tag;
    reg              s1_fv;          // state write seen in cycle A
    reg  [AWD-1:0]   s1_fa;

    reg              s2_v, s2_ok, s2_esn, s2_big;
    reg  [1:0]       s2_op;
    reg  [15:0]      s2_slot;
    reg  [63:0]      s2_seq;
    reg  [64:0]      s2_opnd;        // CHECK: Seql + W - 1; COMMIT: the 64-bit number
    reg  [TAG_W-1:0] s2_tag;
    reg  [G_AW-1:0]  s2_g;
    reg  [AWD-1:0]   s2_a;
    reg              s2_gxf_v, s2_gdf_v;
    reg  [GXW-1:0]   s2_gxf;
    reg  [GDW-1:0]   s2_gdf;

    reg              s3_v, s3_ok, s3_esn, s3_big, s3_same;
    reg  [1:0]       s3_op;
    reg  [15:0]      s3_slot;
    reg  [63:0]      s3_seq;
    reg  [TAG_W-1:0] s3_tag;
    reg  [G_AW-1:0]  s3_g;
    reg  [AWD-1:0]   s3_a;
    reg  [GXW-1:0]   s3_gx;
    reg              s3_held;
    reg  [63:0]      s3_off, s3_adv;
    reg  [64:0]      s3_tbn;         // COMMIT: new Tb = seq - rx_advance (signed)
    reg              s3_bmvo;        // window valid in case O
    reg  [2:0]       s3_clo, s3_clp; // {new, far, inwin} for case O and P
    reg              s3_oldo, s3_oldp; // non-ESN CHECK left of the window
    reg  [31:0]      s3_uo, s3_up;   // ESN CHECK: (Seql - Bl) mod 2^32
    reg  [64:0]      s3_bo, s3_bp;   // ESN CHECK: B = T - (W - 1)
    reg  [W-1:0]     s3_mo, s3_mp;   // ring positions (T, seq]
    reg  [W-1:0]     s3_oh;          // one-hot ring position of the number

    reg              s4_v, s4_ok, s4_esn, s4_adv, s4_cmtv, s4_exh_ev;
    reg  [1:0]       s4_op;
    reg  [15:0]      s4_slot;
    reg  [63:0]      s4_seq;
    reg  [TAG_W-1:0] s4_tag;
    reg  [2:0]       s4_st;
    reg  [63:0]      s4_base;
    reg  [63:0]      s4_off;
    reg  [64:0]      s4_b;
    reg  [31:0]      s4_u;
    reg  [63:0]      s4_epoch;
    reg              s4_issued;
    reg              s4_mev;         // bubble carrying OVERFLOW_REFUSED
    reg  [15:0]      s4_mev_g;
    reg  [63:0]      s4_mev_d;

    reg              s5_v, s5_issued, s5_exh_ev, s5_sff_v, s5_sff;
    reg  [1:0]       s5_op;
    reg  [15:0]      s5_slot;
    reg  [63:0]      s5_seq;
    reg  [TAG_W-1:0] s5_tag;
    reg  [2:0]       s5_st;
    reg  [63:0]      s5_epoch;
    reg              s5_mev;
    reg  [15:0]      s5_mev_g;
    reg  [63:0]      s5_mev_d;

    // ------------------------------------------------------------------
    // A: accept
    wire a_bad = req_bad || {1'b0, req_slot} >= NSA17 || req_op == 2'd3;
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
        s1_fv   <= a_we && a_wa == req_si;
        s1_fa   <= a_wd;
    end

    // ------------------------------------------------------------------
    // S1: slot known
    wire            m_valid = q_misc[MW-1];
    wire            m_dirin = q_misc[MW-2];
    wire            m_esn   = q_misc[MW-3];
    wire [G_AW-1:0] m_grp   = q_misc[G_AW-1:0];
    wire [AWD-1:0]  a1      = s1_fv ? s1_fa : q_a;
    wire            s1_ok   = !s1_bad && m_valid && (m_dirin == (s1_op != OP_TX));
    assign g_ra = m_grp;

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
        s2_g    <= m_grp;
        // a non-ESN COMMIT beyond 2^32 - 1 is not a valid number
        s2_big  <= !m_esn && s1_op == OP_CMT && s1_seq[63:32] != 32'd0;
        s2_opnd <= s1_op == OP_CHK ? {33'd0, s1_seq[31:0]} + {33'd0, WM1} : {1'b0, s1_seq};
        s2_a    <= (a_we && a_wa == s1_slot[SA_AW-1:0]) ? a_wd : a1;
        s2_gxf_v <= gx_we && gx_wa == m_grp;
        s2_gxf   <= gx_wd;
        s2_gdf_v <= gd_we && gd_wa == m_grp;
        s2_gdf   <= gd_wd;
    end

    // ------------------------------------------------------------------
    // S2: group state observed (a pending group commit is forwarded)
    wire             cm_v;           // group commit happens at the end of this cycle
    wire [G_AW-1:0]  cm_g;
    reg  [GDW-1:0]   cm_gd;
    wire [GDW-1:0]   gd2 = (cm_v && cm_g == s2_g) ? cm_gd : s2_gdf_v ? s2_gdf : q_gd;
    wire [GXW-1:0]   gx2 = s2_gxf_v ? s2_gxf : q_gx;
    wire             g_held = gd2[128];
    wire [63:0]      g_off  = gd2[127:64];
    wire [63:0]      g_adv  = gd2[63:0];
    wire [64:0]      a2_base = s2_a[128:64];
    wire [63:0]      a2_hb   = s2_a[63:0];
    // case O: the slot as of two operations ago (s2_a); case P: the
    // operation now in S3 (same slot) moved T to its number.
    wire [65:0]      vdo = sub3({1'b0, s2_opnd}, {a2_base[64], a2_base}, {2'b0, g_adv});
    wire [65:0]      vdp = {1'b0, s2_opnd} - {2'b0, s3_seq};
    wire [64:0]      bo;
    wire [64:0]      bp;
    wire             unused_bo65, unused_bp65;
    assign {unused_bo65, bo} = add3({a2_base[64], a2_base}, {2'b0, g_adv}, 66'd0 - {34'd0, WM1});
    assign {unused_bp65, bp} = {2'b0, s3_seq} - {34'd0, WM1};
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

    // S3 results feed back here (same-slot forwarding)
    wire             s3_awe;
    wire [AWD-1:0]   s3_awd;
    wire             s3_gxwe;
    wire [GXW-1:0]   s3_gxwd;

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
        s3_g    <= s2_g;
        s3_same <= s2_v && s3_v && s3_slot == s2_slot;
        s3_a    <= (a_we && a_wa == s2_slot[SA_AW-1:0]) ? a_wd : s2_a;
        s3_gx   <= (gx_we && gx_wa == s2_g) ? gx_wd : gx2;
        s3_held <= g_held;
        s3_off  <= g_off;
        s3_adv  <= g_adv;
        s3_tbn  <= {1'b0, s2_seq} - {1'b0, g_adv};
        s3_bmvo <= a2_hb == g_adv;
        s3_clo  <= clo[3:1];
        s3_clp  <= clp[3:1];
        s3_oldo <= clo[0];
        s3_oldp <= clp[0];
        s3_uo   <= vdo[31:0];
        s3_up   <= vdp[31:0];
        s3_bo   <= bo;
        s3_bp   <= bp;
        s3_mo   <= ring_range(tlo, sl);
        s3_mp   <= ring_range(tlp, sl);
        s3_oh   <= {{(W-1){1'b0}}, 1'b1} << sl;
    end

    // ------------------------------------------------------------------
    // S3: the loop stage. Inputs are registers (s3_a already holds the
    // previous operation's result when it was the same slot).
    wire [W-1:0]  a3_bm   = s3_a[AWD-1:130];
    wire          a3_exh  = s3_a[129];
    wire [64:0]   a3_base = s3_a[128:64];
    wire [63:0]   a3_hb   = s3_a[63:0];
    wire [64:0]   g3_mb   = s3_gx[128:64];
    wire [63:0]   g3_rxm  = s3_gx[63:0];

    // TX: EXHAUSTED iff value == hard, i.e. hb == tx_offset
    wire          t_tx    = s3_v && s3_ok && s3_op == OP_TX;
    wire          t_exh   = a3_hb == s3_off;
    wire          t_issue = t_tx && !s3_held && !t_exh;
    wire [64:0]   t_base  = a3_base + {64'd0, t_issue};
    wire [63:0]   t_hb    = a3_hb - {63'd0, t_issue};
    wire          t_exhev = t_tx && !s3_held && t_exh && !a3_exh;
    wire [64:0]   t_mb    = ($signed(a3_base) >= $signed(g3_mb)) ? t_base : g3_mb;

    // RX: pick case P when the previous operation (same slot) advanced T
    wire          r_p     = s3_same && s4_adv;
    wire [2:0]    r_cl    = r_p ? s3_clp : s3_clo;
    wire          r_new   = r_cl[2], r_far = r_cl[1], r_win = r_cl[0];
    wire          r_old   = r_p ? s3_oldp : s3_oldo;
    wire [W-1:0]  r_mask  = r_p ? s3_mp : s3_mo;
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

    assign s3_awe  = t_tx || r_cmt;
    assign s3_awd  = t_tx ? {a3_bm, a3_exh | t_exhev, t_base, t_hb}
                          : {r_bmo, 1'b0, r_tb, s3_adv};
    assign s3_gxwe = t_tx || r_cmt;
    assign s3_gxwd = t_tx ? {t_mb, g3_rxm} : {g3_mb, r_rxm};

    // management writes of the slot state / maxima (pipeline drained, or
    // the group-commit bubble in S3): see the management unit below
    reg              mg_a_we;
    reg  [AWD-1:0]   mg_a_wd;
    reg              mg_gx_we;
    reg  [G_AW-1:0]  mg_gx_wa;
    reg  [GXW-1:0]   mg_gx_wd;
    assign a_we  = s3_awe || mg_a_we;
    assign a_wa  = mg_a_we ? mg_slot : s3_slot[SA_AW-1:0];
    assign a_wd  = mg_a_we ? mg_a_wd : s3_awd;
    assign gx_we = s3_gxwe || mg_gx_we;
    assign gx_wa = mg_gx_we ? mg_gx_wa : s3_g;
    assign gx_wd = mg_gx_we ? mg_gx_wd : s3_gxwd;

    // bubble event (refused group operation), injected at S3
    wire             cm_ev;
    reg  [15:0]      cm_ev_g;
    reg  [63:0]      cm_ev_d;

    always @(posedge clk) begin
        if (rst) begin
            s4_v   <= 1'b0;
            s4_mev <= 1'b0;
        end else begin
            s4_v   <= s3_v;
            s4_mev <= cm_ev;
        end
        s4_op     <= s3_op;
        s4_slot   <= s3_slot;
        s4_seq    <= s3_seq;
        s4_tag    <= s3_tag;
        s4_ok     <= s3_ok && !s3_big;
        s4_esn    <= s3_esn;
        s4_st     <= s3_status;
        s4_adv    <= r_adv;
        s4_cmtv   <= r_cmt;
        s4_exh_ev <= t_exhev;
        s4_issued <= t_issue;
        s4_base   <= t_base[63:0];
        s4_off    <= s3_off;
        s4_b      <= r_p ? s3_bp : s3_bo;
        s4_u      <= r_p ? s3_up : s3_uo;
        s4_epoch  <= epoch;
        s4_mev_g  <= cm_ev_g;
        s4_mev_d  <= cm_ev_d;
    end

    // ------------------------------------------------------------------
    // S4: values
    wire [63:0] t_eff  = s4_base + s4_off;
    wire [65:0] e_seq  = {s4_b[64], s4_b} + {34'd0, s4_u};   // ESN CHECK: B + u
    wire        e_out  = e_seq[65] || e_seq[64];              // < 0 or >= 2^64
    reg  [2:0]  s4_status;
    reg  [63:0] s4_value;
    always @(*) begin
        s4_status = s4_st;
        s4_value  = 64'd0;
        if (s4_ok) begin
            case (s4_op)
                OP_TX:  s4_value = t_eff;
                OP_CHK: begin
                    if (s4_esn) begin
                        if (e_out) s4_status = DP_OLD;
                        else       s4_value  = e_seq[63:0];
                    end else
                        s4_value = {32'd0, s4_seq[31:0]};
                end
                default: s4_value = s4_seq;
            endcase
        end
    end
    assign sf_ra = slot_tab ? mg_slot : s4_slot[SA_AW-1:0];

    always @(posedge clk) begin
        if (rst) begin
            s5_v   <= 1'b0;
            s5_mev <= 1'b0;
        end else begin
            s5_v   <= s4_v;
            s5_mev <= s4_mev;
        end
        s5_op     <= s4_op;
        s5_slot   <= s4_slot;
        s5_seq    <= s4_value;
        s5_tag    <= s4_tag;
        s5_st     <= s4_status;
        s5_epoch  <= s4_epoch;
        s5_issued <= s4_issued;
        s5_exh_ev <= s4_exh_ev;
        s5_sff_v  <= sf_we && sf_wa == s4_slot[SA_AW-1:0];
        s5_sff    <= sf_wd[0];
        s5_mev_g  <= s4_mev_g;
        s5_mev_d  <= s4_mev_d;
    end

    // ------------------------------------------------------------------
    // S5: soft limit (raised once: the flag is forwarded like the state)
    wire [63:0] sf_soft = q_sf[64:1];
    wire        sf_flag = s5_sff_v ? s5_sff : q_sf[0];
    wire        soft_ev = s5_v && s5_issued && sf_soft != 64'd0 && s5_seq >= sf_soft && !sf_flag;
    reg              mg_sf_we;
    reg  [SFW-1:0]   mg_sf_wd;
    assign sf_we = soft_ev || mg_sf_we;
    assign sf_wa = mg_sf_we ? mg_slot : s5_slot[SA_AW-1:0];
    assign sf_wd = mg_sf_we ? mg_sf_wd : {sf_soft, 1'b1};

    // Events leave S5 into the FIFO at the same edge as the result enters
    // the result register: an event is pending by the time its result is seen.
    assign ev_valid = s5_mev || (s5_v && (s5_exh_ev || soft_ev));
    assign ev_type  = s5_mev ? ISQ_EVT_OVERFLOW_REFUSED :
                      s5_exh_ev ? ISQ_EVT_EXHAUSTED : ISQ_EVT_SOFT_LIMIT;
    assign ev_index = s5_mev ? s5_mev_g : s5_slot;
    assign ev_value = s5_mev ? s5_mev_d : s5_seq;
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
    //   group op   DEC: read group, stall input one cycle (the bubble)
    //              G2:  refusal bound from the management copy
    //              G3:  decide, including the operation now in S3
    //              G4:  the linearization edge (end of cycle), bubble in S3
    //   slot op    DEC: stall; DRAIN until S1..S5 are empty; then the slot
    //              tables belong to the management unit until released
    wire [63:0]  gm_lep  = q_gm[95:32];
    wire [63:0]  gm_lim  = q_gm[159:96];
    wire [63:0]  gm_adv  = q_gm[223:160];
    wire [63:0]  gm_off  = q_gm[287:224];
    wire         gm_held = q_gm[288];
    wire         gm_esn  = q_gm[289];
    wire [15:0]  gm_nout = q_gm[31:16];
    wire [15:0]  gm_nin  = q_gm[15:0];

    reg  [GMW-1:0] mg_gm;        // latched management copy of the group
    reg  [64:0]    mg_mb;        // group maxima, kept current by snooping
    reg  [63:0]    mg_rxm;
    reg            mg_fwd_v;     // gmax write seen in the read cycle
    reg  [GXW-1:0] mg_fwd;
    reg  [65:0]    mg_y;         // refusal bound
    reg  [63:0]    mg_new;       // new tx_offset / rx_advance
    reg            mg_refuse;
    reg  [G_AW-1:0] mg_g;
    reg  [MW-1:0]  mg_misc;
    reg  [AWD-1:0] mg_a;
    reg  [SFW-1:0] mg_sf;
    reg  [64:0]    mg_base;
    reg  [63:0]    mg_hard;
    reg  [7:0]     mg_rc;
    reg            mg_empty;
    reg  [W-1:0]   mg_rot;
    reg  [WB-1:0]  mg_r;
    reg  [511:0]   mg_res;
    reg  [63:0]    mg_lim;

    wire [63:0]  delta   = arg_seq;      // ARG2/3
    wire         unused_mg = &{1'b0, mg_a[128]};  // value sign: reads use mod 2^64
    wire         in_dir  = arg1[16];
    wire         in_esn  = arg1[17];
    wire [63:0]  in_max  = in_esn ? 64'hffff_ffff_ffff_ffff : M32;
    wire [63:0]  in_hard = arg_hard == 64'd0 ? in_max : arg_hard;
    wire [G_AW-1:0] arg_g = arg1[G_AW-1:0];

    // group maxima as of the previous edge (read port 2 plus the write it missed)
    wire [GXW-1:0] gx_now = mg_fwd_v ? mg_fwd : q_gx2;

    // The operation in S3 during G3 is the last one before the edge: its
    // update of the maxima lands with it, so the check adds it here.
    wire s3_same_g = s3_v && s3_ok && s3_g == mg_g;
    wire tx_cont   = s3_same_g && s3_op == OP_TX &&
                     ($signed({a3_base[64], a3_base}) > $signed(mg_y) ||
                      (t_issue && {a3_base[64], a3_base} == mg_y));
    wire rx_cont   = s3_same_g && s3_op == OP_CMT && !s3_big &&
                     $signed({2'b0, s3_seq}) > $signed(mg_y);
    wire no_check  = delta == 64'd0 || mg_op == ISQ_OP_GROUP_HOLD ||
                     mg_op == ISQ_OP_GROUP_RELEASE;
    wire refuse_g3 = !no_check &&
                     (mg_op == ISQ_OP_GROUP_TX_ADD ?
                          ($signed({mg_mb[64], mg_mb}) > $signed(mg_y) || tx_cont) :
                          ($signed({2'b0, mg_rxm}) > $signed(mg_y) || rx_cont));

    assign cm_v  = st == ST_G4 && !mg_refuse;
    assign cm_g  = mg_g;
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

    // ---- management writes of the tables: combinational from the state,
    // data from registers
    always @(*) begin
        misc_we = 1'b0; misc_wa = mg_slot; misc_wd = {MW{1'b0}};
        mg_a_we = 1'b0; mg_a_wd = {AWD{1'b0}};
        mg_sf_we = 1'b0; mg_sf_wd = {SFW{1'b0}};
        gd_we = 1'b0; gd_wa = mg_g; gd_wd = cm_gd;
        gm_we = 1'b0; gm_wa = mg_g; gm_wd = {GMW{1'b0}};
        mg_gx_we = 1'b0; mg_gx_wa = mg_g; mg_gx_wd = {GXW{1'b0}};
        case (st)
        ST_INIT: begin
            // power-on: free every slot, reset every group
            misc_we = {{(32-IAW){1'b0}}, init_i} < NUM_SA;
            misc_wa = init_i[SA_AW-1:0];
            gd_we = {{(32-IAW){1'b0}}, init_i} < NUM_GROUP;
            gd_wa = init_i[G_AW-1:0];
            gd_wd = {GDW{1'b0}};
            gm_we = {{(32-IAW){1'b0}}, init_i} < NUM_GROUP;
            gm_wa = init_i[G_AW-1:0];
            gm_wd = {2'b00, 128'd0, M32, 96'd0};
            mg_gx_we = {{(32-IAW){1'b0}}, init_i} < NUM_GROUP;
            mg_gx_wa = init_i[G_AW-1:0];
        end
        ST_G4: begin
            // the linearization edge of a group operation
            gd_we = !mg_refuse;
            gm_we = !mg_refuse;
            gm_wd = {mg_gm[289], cm_gd, mg_gm[159:96], epoch + 64'd1, mg_gm[31:0]};
            mg_gx_we = !mg_refuse && mg_op == ISQ_OP_GROUP_RX_ADVANCE;
            mg_gx_wd = {mg_mb, mg_rxm + delta};
        end
        ST_I_CALC: if (mg_rc == ISQ_RC_OK) begin
            misc_we = 1'b1;
            misc_wd = {1'b1, in_dir, in_esn, arg_g};
            mg_a_we = 1'b1;
            mg_a_wd = in_dir ? {{W{1'b1}}, 1'b0, mg_base, mg_empty ? 64'd0 : mg_gm[223:160]}
                             : {{W{1'b0}}, 1'b0, mg_base, mg_hard - mg_base[63:0]};
            mg_sf_we = 1'b1;
            mg_sf_wd = {in_dir ? 64'd0 : arg_soft, 1'b0};
            // a group without slots restarts from this slot
            mg_gx_we = 1'b1;
            if (mg_empty)
                mg_gx_wd = {in_dir ? 65'd0 : mg_base, in_dir ? arg_seq : 64'd0};
            else
                mg_gx_wd = {(!in_dir && $signed(mg_base) > $signed(mg_mb)) ? mg_base : mg_mb,
                            (in_dir && arg_seq > mg_rxm) ? arg_seq : mg_rxm};
        end
        ST_I_WR: begin
            gm_we = 1'b1;
            gm_wd = {mg_empty ? in_esn : mg_gm[289], mg_gm[288],
                     mg_empty ? 128'd0 : mg_gm[287:160],
                     (!in_dir && mg_hard < mg_lim) ? mg_hard : mg_lim,
                     mg_gm[95:32],
                     mg_gm[31:16] + {15'd0, !in_dir}, mg_gm[15:0] + {15'd0, in_dir}};
            gd_we = 1'b1;
            gd_wd = {mg_gm[288], mg_empty ? 128'd0 : mg_gm[287:160]};
        end
        ST_C_WR: begin
            misc_we = 1'b1;
            gm_we = 1'b1;
            gm_wd = {mg_gm[GMW-1:32],
                     mg_gm[31:16] - {15'd0, !mg_misc[MW-2]},
                     mg_gm[15:0] - {15'd0, mg_misc[MW-2]}};
        end
        default: ;
        endcase
    end

    always @(posedge clk) begin
        // keep the open operation's copy of the group maxima current
        mg_fwd_v <= gx_we && gx_wa == mg_gra;
        mg_fwd   <= gx_wd;
        if (gx_we && gx_wa == mg_g) begin
            mg_mb  <= gx_wd[128:64];
            mg_rxm <= gx_wd[63:0];
        end
        if (rst) begin
            st      <= ST_INIT;
            init_i  <= {IAW{1'b0}};
            epoch   <= 64'd0;
            mb_rc   <= 8'd0;
            mb_done <= 16'd0;
            mb_res  <= 512'd0;
            mb_bmp  <= {W{1'b0}};
            mg_slot <= {SA_AW{1'b0}};
            mg_g    <= {G_AW{1'b0}};
            mg_gra  <= {G_AW{1'b0}};
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
                    mg_gra    <= mb_args[G_AW-1:0];
                    mg_g      <= mb_args[G_AW-1:0];
                    st        <= ST_DEC;
                end
            end
            ST_DEC: begin
                mg_res <= 512'd0;
                mg_rc  <= ISQ_RC_OK;
                st     <= ST_DONE;
                if (cmd_rsv)
                    mg_rc <= ISQ_RC_RESERVED;
                else case (mg_op)
                ISQ_OP_NOP: ;
                ISQ_OP_EPOCH_READ: mg_res[63:0] <= epoch;
                ISQ_OP_SLOT_INSTALL, ISQ_OP_SLOT_READ, ISQ_OP_SLOT_CLEAR: begin
                    mg_slot <= arg0[SA_AW-1:0];
                    mg_gra  <= arg_g;
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
                    // group tables are being read; group ops: the bubble enters
                    if (!arg0_grp_ok)
                        mg_rc <= ISQ_RC_BAD_GROUP;
                    else if (txadd_rsv)
                        mg_rc <= ISQ_RC_RESERVED;
                    else
                        st <= mg_op == ISQ_OP_GROUP_READ ? ST_GR2 : ST_G2;
                end
                default: mg_rc <= ISQ_RC_BAD_OP;
                endcase
            end
            ST_G2: begin
                mg_gm  <= q_gm;
                mg_mb  <= (gx_we && gx_wa == mg_g) ? gx_wd[128:64] : gx_now[128:64];
                mg_rxm <= (gx_we && gx_wa == mg_g) ? gx_wd[63:0] : gx_now[63:0];
                if (mg_op == ISQ_OP_GROUP_TX_ADD) begin
                    // refuse iff max base + tx_offset + delta > tx_limit
                    mg_y   <= sub3({2'b0, gm_lim}, {2'b0, gm_off}, {2'b0, delta});
                    mg_new <= gm_off + delta;
                end else begin
                    // refuse iff rx_max + delta > the sequence-space maximum
                    mg_y   <= {2'b0, gm_esn ? 64'hffff_ffff_ffff_ffff : M32} - {2'b0, delta};
                    mg_new <= gm_adv + delta;
                end
                st <= ST_G3;
            end
            ST_G3: begin
                mg_refuse <= refuse_g3;
                case (mg_op)
                ISQ_OP_GROUP_TX_ADD:     cm_gd <= {mg_gm[288] & ~arg1[0], mg_new, mg_gm[223:160]};
                ISQ_OP_GROUP_RX_ADVANCE: cm_gd <= {mg_gm[288], mg_gm[287:224], mg_new};
                ISQ_OP_GROUP_HOLD:       cm_gd <= {1'b1, mg_gm[287:160]};
                default:                 cm_gd <= {1'b0, mg_gm[287:160]};
                endcase
                cm_ev_g <= arg0[15:0];
                cm_ev_d <= delta;
                st <= ST_G4;
            end
            ST_G4: begin
                // edge at the end of this cycle; the result is visible next cycle
                if (!mg_refuse)
                    epoch <= epoch + 64'd1;
                mb_rc   <= mg_refuse ? ISQ_RC_OVERFLOW : ISQ_RC_OK;
                mb_done <= mb_done + 16'd1;
                if (!mg_refuse)
                    mb_res <= {448'd0, epoch + 64'd1};
                st <= ST_IDLE;
            end
            ST_GR2: begin
                // GROUP_READ: maxima as of the read edge; the rest is management-only
                mg_res[31:0]    <= {29'd0, gm_nout != 16'd0 || gm_nin != 16'd0, gm_esn, gm_held};
                mg_res[63:32]   <= {gm_nin, gm_nout};
                mg_res[127:64]  <= gm_off;
                mg_res[191:128] <= gm_adv;
                mg_res[255:192] <= gx_now[127:64] + gm_off;
                mg_res[319:256] <= gm_lim;
                mg_res[383:320] <= gm_lep;
                mg_res[447:384] <= epoch;
                mg_res[511:448] <= gx_now[63:0];
                st <= ST_DONE;
            end
            ST_DRAIN: begin
                if (!s1_v && !s2_v && !s3_v && !s4_v && !s5_v)
                    st <= mg_op == ISQ_OP_SLOT_INSTALL ? ST_I_RD :
                          mg_op == ISQ_OP_SLOT_CLEAR ? ST_C_RD : ST_R_RD;
            end
            // ---- SLOT_INSTALL
            ST_I_RD: st <= ST_I_CHK;   // misc[slot], group tables being read
            ST_I_CHK: begin
                mg_gm    <= q_gm;
                mg_mb    <= q_gx2[128:64];
                mg_rxm   <= q_gx2[63:0];
                mg_empty <= gm_nout == 16'd0 && gm_nin == 16'd0;
                mg_lim   <= (gm_nout == 16'd0 && gm_nin == 16'd0) ? in_max : gm_lim;
                mg_hard  <= in_hard;
                // base = number - offset; a group without slots starts from zero
                mg_base  <= {1'b0, arg_seq} -
                            ((gm_nout == 16'd0 && gm_nin == 16'd0) ? 65'd0 :
                             {1'b0, in_dir ? gm_adv : gm_off});
                if (q_misc[MW-1])
                    mg_rc <= ISQ_RC_SLOT_LIVE;
                else if (!(gm_nout == 16'd0 && gm_nin == 16'd0) && gm_esn != in_esn)
                    mg_rc <= ISQ_RC_ESN_MISMATCH;
                else if (in_dir ? (arg_hard != 64'd0 || arg_soft != 64'd0 ||
                                   (!in_esn && arg_seq[63:32] != 32'd0))
                                : ((!in_esn && arg_hard[63:32] != 32'd0) ||
                                   arg_seq >= in_hard ||
                                   (arg_soft != 64'd0 && arg_soft > in_hard)))
                    mg_rc <= ISQ_RC_BAD_VALUE;
                st <= ST_I_CALC;
            end
            ST_I_CALC: st <= mg_rc == ISQ_RC_OK ? ST_I_WR : ST_DONE; // writes: slot, gmax
            ST_I_WR: begin                                              // writes: gm, gdp
                mg_res[63:0] <= epoch;
                st <= ST_DONE;
            end
            // ---- SLOT_CLEAR
            ST_C_RD: st <= ST_C_CHK;
            ST_C_CHK: begin
                mg_misc <= q_misc;
                mg_gra  <= q_misc[G_AW-1:0];
                mg_g    <= q_misc[G_AW-1:0];
                if (!q_misc[MW-1]) begin
                    mg_rc <= ISQ_RC_SLOT_FREE;
                    st <= ST_DONE;
                end else
                    st <= ST_C_G;
            end
            ST_C_G: st <= ST_C_GQ;
            ST_C_GQ: begin
                mg_gm <= q_gm;
                st <= ST_C_WR;
            end
            ST_C_WR: begin                                              // writes: misc, gm
                mg_res[63:0] <= epoch;
                st <= ST_DONE;
            end
            // ---- SLOT_READ
            ST_R_RD: st <= ST_R_G;
            ST_R_G: begin
                mg_misc <= q_misc;
                mg_a    <= q_a;
                mg_sf   <= q_sf;
                mg_gra  <= q_misc[G_AW-1:0];
                st <= ST_R_GW;
            end
            ST_R_GW: st <= ST_R_CALC;
            ST_R_CALC: begin
                // snapshot taken: the data path runs again from the next cycle
                mg_res <= {224'd0, epoch, 224'd0};   // RES7/8: epoch
                mg_rot <= {W{1'b0}};
                mg_r   <= {WB{1'b0}};
                if (mg_misc[MW-1]) begin
                    mg_res[31:0] <= {{(16 - G_AW){1'b0}}, mg_misc[G_AW-1:0], 11'd0,
                                     mg_sf[0], mg_a[129], mg_misc[MW-3], mg_misc[MW-2], 1'b1};
                    if (mg_misc[MW-2]) begin
                        mg_res[95:32] <= mg_a[127:64] + gm_adv;           // T
                        mg_rot <= ring_rev(mg_a[63:0] == gm_adv ? mg_a[AWD-1:130] : {W{1'b1}});
                        mg_r   <= mg_a[64+WB-1:64] + gm_adv[WB-1:0];     // T mod W
                    end else begin
                        mg_res[95:32]   <= mg_a[127:64] + gm_off;         // value
                        mg_res[159:96]  <= mg_a[63:0] + mg_a[127:64];     // hard = hb + base
                        mg_res[223:160] <= mg_sf[64:1];
                    end
                end
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
                if (mg_rc == ISQ_RC_OK) begin
                    mb_res <= mg_res;
                    if (mg_op == ISQ_OP_SLOT_READ)
                        mb_bmp <= mg_rot;
                end
                st <= ST_IDLE;
            end
            default: st <= ST_IDLE;
            endcase
        end
    end

endmodule

`default_nettype wire
