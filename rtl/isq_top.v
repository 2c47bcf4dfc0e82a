// isq_top.v — the sequence-counter engine with its CSR side: identity,
// mailbox, event FIFO and data-path injector blocks (docs/csr.md), and the
// arbiter that shares the engine's data-path port between the packet port
// and the injector.
//
// CSR bus: one access per cycle; csr_re in cycle t gives csr_rdata in
// cycle t + 1; csr_we takes effect at the end of its cycle.
`default_nettype none

module isq_top #(
    parameter integer NUM_SA    = 4096,   // 1..32768
    parameter integer NUM_GROUP = 1024,   // 1..65536
    parameter integer W         = 64,     // 64..1024, a power of two
    parameter integer EVT_DEPTH = 64,     // a power of two
    parameter integer INJ_DEPTH = 16,     // a power of two
    parameter [31:0]  BUILD_ID  = 32'h0,
    parameter integer RAM_COLLIDE = 0     // simulation only: see isq_ram.v
) (
    input  wire        clk,
    input  wire        rst,
    // CSR bus
    input  wire        csr_we,
    input  wire        csr_re,
    input  wire [11:0] csr_addr,
    input  wire [31:0] csr_wdata,
    output reg  [31:0] csr_rdata,
    // packet data path
    input  wire        dp_valid,
    output wire        dp_ready,
    input  wire [1:0]  dp_op,
    input  wire [15:0] dp_slot,
    input  wire [63:0] dp_seq,
    input  wire [15:0] dp_tag,
    output wire        res_valid,
    output wire [15:0] res_tag,
    output wire [1:0]  res_op,
    output wire [15:0] res_slot,
    output wire [2:0]  res_status,
    output wire [63:0] res_seq,
    output wire [63:0] res_epoch,
    // status
    output wire        evt_pending,   // event FIFO not empty
    output wire        mb_busy,
    output wire [63:0] epoch
);
`include "isq_regs.vh"

    localparam integer EAW = $clog2(EVT_DEPTH);
    localparam integer IAW = $clog2(INJ_DEPTH);
    // event FIFO entry: type (2 bits), index (slot or group), value, epoch
    localparam integer XN  = NUM_SA > NUM_GROUP ? NUM_SA : NUM_GROUP;
    localparam integer XW  = XN > 1 ? $clog2(XN) : 1;
    localparam integer EVW = 2 + XW + 128;

    // ------------------------------------------------------------------
    // parameter checks (elaboration fails on a bad configuration)
    generate
        if (NUM_SA < 1 || NUM_SA > 32768 || NUM_GROUP < 1 || NUM_GROUP > 65536 ||
            W < ISQ_W_MIN || W > ISQ_W_MAX || (W & (W - 1)) != 0 ||
            (EVT_DEPTH & (EVT_DEPTH - 1)) != 0 || EVT_DEPTH < 2 ||
            (INJ_DEPTH & (INJ_DEPTH - 1)) != 0 || INJ_DEPTH < 2) begin : g_bad_params
            isq_bad_parameters u_bad ();
        end
        // The CSR read mux packs these fields of the register table by hand;
        // elaboration stops if the table moves one (the C view would drift).
        if (ISQ_MB_STATUS_BUSY_LSB != 0 || ISQ_MB_STATUS_BUSY_MSB != 0 ||
            ISQ_MB_STATUS_RC_LSB != 8 || ISQ_MB_STATUS_RC_MSB != 15 ||
            ISQ_MB_STATUS_DONE_LSB != 16 || ISQ_MB_STATUS_DONE_MSB != 31 ||
            ISQ_EV_HEAD0_TYPE_LSB != 0 || ISQ_EV_HEAD0_TYPE_MSB != 7 ||
            ISQ_EV_HEAD0_INDEX_LSB != 16 || ISQ_EV_HEAD0_INDEX_MSB != 31 ||
            ISQ_DI_STATUS_BUSY_LSB != 0 || ISQ_DI_STATUS_BUSY_MSB != 0 ||
            ISQ_DI_STATUS_REMAINING_LSB != 16 || ISQ_DI_STATUS_REMAINING_MSB != 31 ||
            ISQ_DI_RES_HEAD0_STATUS_LSB != 0 || ISQ_DI_RES_HEAD0_STATUS_MSB != 7 ||
            ISQ_DI_RES_HEAD0_SLOT_LSB != 16 || ISQ_DI_RES_HEAD0_SLOT_MSB != 31 ||
            ISQ_MB_ARG != 8'h20 || ISQ_MB_RES != 8'h40 || ISQ_MB_BMP != 8'h80 ||
            ISQ_MB_NBMP * 32 < ISQ_W_MAX || ISQ_CSR_SPAN != 32'h400 ||
            // the event FIFO keeps 2 bits of the type
            ISQ_EVT_EXHAUSTED > 3 || ISQ_EVT_SOFT_LIMIT > 3 ||
            ISQ_EVT_OVERFLOW_REFUSED > 3) begin : g_tbl_mismatch
            isq_regs_table_mismatch u_bad ();
        end
    endgenerate

    // ------------------------------------------------------------------
    // Engine and arbiter
    wire        eng_ready;
    wire        eng_res_valid;
    wire [16:0] eng_res_tag;
    wire [1:0]  eng_res_op;
    wire [15:0] eng_res_slot;
    wire [2:0]  eng_res_status;
    wire [63:0] eng_res_seq, eng_res_epoch;
    wire        ev_valid;
    // The FIFO keeps the bits events use: types are 1..3, indexes < 2^XW.
    /* verilator lint_off UNUSEDSIGNAL */
    wire [7:0]  ev_type;
    wire [15:0] ev_index;
    /* verilator lint_on UNUSEDSIGNAL */
    wire [63:0] ev_value, ev_epoch;
    wire [7:0]  mb_rc;
    wire [15:0] mb_done;
    wire [511:0] mb_res;
    wire [W-1:0] mb_bmp;
    reg  [31:0] mb_arg [0:7];
    wire        mb_start = csr_we && csr_addr == {ISQ_MB_BASE[11:8], ISQ_MB_CMD} && !mb_busy;

    // injector state
    reg  [1:0]  di_op;
    reg  [31:0] di_slot, di_seq_lo, di_seq_hi, di_count;
    reg  [1:0]  inj_op;
    reg  [31:0] inj_slot;
    reg  [63:0] inj_seq;
    reg  [31:0] inj_rem;
    reg  [IAW:0] inj_fly;          // issued, result not yet in the FIFO
    wire [IAW:0] ires_count;
    wire        inj_valid = inj_rem != 32'd0 &&
                            {{(31-IAW){1'b0}}, ires_count} + {{(31-IAW){1'b0}}, inj_fly} < INJ_DEPTH;

    // round-robin between the packet port and the injector
    reg         pref_inj;
    wire        sel_inj = inj_valid && (!dp_valid || pref_inj);
    wire        inj_acc = sel_inj && eng_ready;
    assign dp_ready = eng_ready && !sel_inj;
    wire        dp_acc  = dp_valid && dp_ready;

    isq_engine #(.NUM_SA(NUM_SA), .NUM_GROUP(NUM_GROUP), .W(W), .TAG_W(17),
                 .RAM_COLLIDE(RAM_COLLIDE)) u_eng (
        .clk(clk), .rst(rst),
        .req_valid(dp_valid || inj_valid), .req_ready(eng_ready),
        .req_op(sel_inj ? inj_op : dp_op),
        .req_slot(sel_inj ? inj_slot[15:0] : dp_slot),
        .req_seq(sel_inj ? inj_seq : dp_seq),
        .req_bad(sel_inj && inj_slot[31:16] != 16'd0),
        .req_tag(sel_inj ? 17'h10000 : {1'b0, dp_tag}),
        .res_valid(eng_res_valid), .res_tag(eng_res_tag), .res_op(eng_res_op),
        .res_slot(eng_res_slot), .res_status(eng_res_status), .res_seq(eng_res_seq),
        .res_epoch(eng_res_epoch),
        .ev_valid(ev_valid), .ev_type(ev_type), .ev_index(ev_index), .ev_value(ev_value),
        .ev_epoch(ev_epoch),
        .mb_start(mb_start), .mb_cmd(csr_wdata),
        .mb_args({mb_arg[7], mb_arg[6], mb_arg[5], mb_arg[4], mb_arg[3], mb_arg[2], mb_arg[1], mb_arg[0]}),
        .mb_busy(mb_busy), .mb_rc(mb_rc), .mb_done(mb_done), .mb_res(mb_res), .mb_bmp(mb_bmp),
        .epoch_o(epoch));

    assign res_valid  = eng_res_valid && !eng_res_tag[16];
    assign res_tag    = eng_res_tag[15:0];
    assign res_op     = eng_res_op;
    assign res_slot   = eng_res_slot;
    assign res_status = eng_res_status;
    assign res_seq    = eng_res_seq;
    assign res_epoch  = eng_res_epoch;

    // ------------------------------------------------------------------
    // CSR decode
    wire [3:0]  blk  = csr_addr[11:8];
    wire [7:0]  roff = csr_addr[7:0];
    wire        wr_ev = csr_we && blk == ISQ_EV_BASE[11:8];
    wire        wr_di = csr_we && blk == ISQ_DI_BASE[11:8];
    wire        wr_mb = csr_we && blk == ISQ_MB_BASE[11:8];

    // event FIFO
    wire [EVW-1:0] ev_head;
    wire [EAW:0] ev_count;
    wire         ev_full;
    wire         ev_pop = wr_ev && roff == ISQ_EV_POP && csr_wdata[0];
    reg  [31:0]  ev_dropped;
    isq_fifo #(.DW(EVW), .D(EVT_DEPTH), .AW(EAW)) u_evq (
        .clk(clk), .rst(rst), .push(ev_valid),
        .wd({ev_type[1:0], ev_index[XW-1:0], ev_value, ev_epoch}),
        .pop(ev_pop), .head(ev_head), .count(ev_count), .full(ev_full));
    assign evt_pending = ev_count != 0;

    // injector result FIFO
    wire [146:0] ires_head;
    wire         ires_full;
    wire         ires_push = eng_res_valid && eng_res_tag[16];
    wire         ires_pop  = wr_di && roff == ISQ_DI_RES_POP && csr_wdata[0];
    isq_fifo #(.DW(147), .D(INJ_DEPTH), .AW(IAW)) u_irq (
        .clk(clk), .rst(rst), .push(ires_push),
        .wd({eng_res_status, eng_res_slot, eng_res_seq, eng_res_epoch}),
        .pop(ires_pop), .head(ires_head), .count(ires_count), .full(ires_full));

    reg  [63:0] cycle;
    reg  [31:0] cycle_hi;
    integer i;

    always @(posedge clk) begin
        if (rst) begin
            for (i = 0; i < 8; i = i + 1)
                mb_arg[i] <= 32'd0;
            di_op      <= 2'd0;
            di_slot    <= 32'd0;
            di_seq_lo  <= 32'd0;
            di_seq_hi  <= 32'd0;
            di_count   <= 32'd0;
            inj_rem    <= 32'd0;
            inj_fly    <= {(IAW+1){1'b0}};
            pref_inj   <= 1'b0;
            ev_dropped <= 32'd0;
            cycle      <= 64'd0;
            cycle_hi   <= 32'd0;
        end else begin
            cycle <= cycle + 64'd1;
            if (wr_mb && roff >= ISQ_MB_ARG && roff < ISQ_MB_ARG + 8'd32)
                mb_arg[roff[4:2]] <= csr_wdata;
            // event FIFO overflow is counted, saturating
            // (a clear in the cycle of a drop keeps that drop counted)
            if (wr_ev && roff == ISQ_EV_DROPPED && csr_wdata[0])
                ev_dropped <= {31'd0, ev_valid && ev_full};
            else if (ev_valid && ev_full && ev_dropped != 32'hffff_ffff)
                ev_dropped <= ev_dropped + 32'd1;
            // injector registers and run
            if (wr_di) begin
                case (roff)
                ISQ_DI_OP:     di_op     <= csr_wdata[1:0];
                ISQ_DI_SLOT:   di_slot   <= csr_wdata;
                ISQ_DI_SEQ_LO: di_seq_lo <= csr_wdata;
                ISQ_DI_SEQ_HI: di_seq_hi <= csr_wdata;
                ISQ_DI_COUNT:  di_count  <= csr_wdata;
                default: ;
                endcase
            end
            if (wr_di && roff == ISQ_DI_CTRL && csr_wdata[0] && inj_rem == 32'd0 &&
                di_count != 32'd0) begin
                inj_op   <= di_op;
                inj_slot <= di_slot;
                inj_seq  <= {di_seq_hi, di_seq_lo};
                inj_rem  <= di_count;
            end else if (inj_acc)
                inj_rem <= inj_rem - 32'd1;
            inj_fly <= inj_fly + {{IAW{1'b0}}, inj_acc} - {{IAW{1'b0}}, ires_push};
            if (dp_valid && inj_valid)
                pref_inj <= inj_acc ? 1'b0 : dp_acc ? 1'b1 : pref_inj;
            if (csr_re && blk == ISQ_ID_BASE[11:8] && roff == ISQ_ID_CYCLE_LO)
                cycle_hi <= cycle[63:32];
        end
    end

    // ------------------------------------------------------------------
    // CSR read
    wire [1055:0] bmp_pad = {{(1056 - W){1'b0}}, mb_bmp};
    /* verilator lint_off UNUSEDSIGNAL */
    wire [XW+15:0] ev_idx_x = {16'd0, ev_head[128 +: XW]};   // index zero-extended to 16 bits
    /* verilator lint_on UNUSEDSIGNAL */
    wire [15:0]    ev_idx16 = ev_idx_x[15:0];
    reg [31:0] rd;
    always @(*) begin
        rd = 32'd0;
        if (roff == ISQ_BLK_TYPE || roff == ISQ_BLK_VERSION || roff == ISQ_BLK_NEXT) begin
            case (blk)
            ISQ_ID_BASE[11:8]: rd = roff == ISQ_BLK_TYPE ? ISQ_TYPE_ID :
                                    roff == ISQ_BLK_VERSION ? ISQ_VERSION_ID : {20'd0, ISQ_NEXT_ID};
            ISQ_MB_BASE[11:8]: rd = roff == ISQ_BLK_TYPE ? ISQ_TYPE_MB :
                                    roff == ISQ_BLK_VERSION ? ISQ_VERSION_MB : {20'd0, ISQ_NEXT_MB};
            ISQ_EV_BASE[11:8]: rd = roff == ISQ_BLK_TYPE ? ISQ_TYPE_EV :
                                    roff == ISQ_BLK_VERSION ? ISQ_VERSION_EV : {20'd0, ISQ_NEXT_EV};
            ISQ_DI_BASE[11:8]: rd = roff == ISQ_BLK_TYPE ? ISQ_TYPE_DI :
                                    roff == ISQ_BLK_VERSION ? ISQ_VERSION_DI : {20'd0, ISQ_NEXT_DI};
            default: rd = 32'd0;
            endcase
        end else begin
            case (blk)
            ISQ_ID_BASE[11:8]: begin
                case (roff)
                ISQ_ID_NUM_SA:     rd = NUM_SA;
                ISQ_ID_NUM_GROUP:  rd = NUM_GROUP;
                ISQ_ID_WINDOW:     rd = W;
                ISQ_ID_BUILD_ID:   rd = BUILD_ID;
                ISQ_ID_FEATURES:   rd = (32'd1 << ISQ_ID_FEATURES_ESN_LSB) |
                                        (32'd1 << ISQ_ID_FEATURES_INBOUND_LSB) |
                                        (32'd1 << ISQ_ID_FEATURES_INJECTOR_LSB) |
                                        (32'd1 << ISQ_ID_FEATURES_EVENTS_LSB);
                ISQ_ID_DP_LATENCY: rd = ISQ_DP_LATENCY;
                ISQ_ID_EVT_DEPTH:  rd = EVT_DEPTH;
                ISQ_ID_CYCLE_LO:   rd = cycle[31:0];
                ISQ_ID_CYCLE_HI:   rd = cycle_hi;
                default:           rd = 32'd0;
                endcase
            end
            ISQ_MB_BASE[11:8]: begin
                if (roff == ISQ_MB_STATUS)
                    rd = {mb_done, mb_rc, 7'd0, mb_busy};
                else if (roff >= ISQ_MB_ARG && roff < ISQ_MB_ARG + 8'd32)
                    rd = mb_arg[roff[4:2]];
                else if (roff >= ISQ_MB_RES && roff < ISQ_MB_RES + 8'd64)
                    rd = mb_res[{roff[5:2], 5'd0} +: 32];
                else if (roff >= ISQ_MB_BMP && {24'd0, roff - ISQ_MB_BMP} < W / 8)
                    rd = bmp_pad[{1'b0, roff[6:2], 5'd0} +: 32];
                else
                    rd = 32'd0;
            end
            ISQ_EV_BASE[11:8]: begin
                case (roff)
                ISQ_EV_COUNT:         rd = {{(31 - EAW){1'b0}}, ev_count};
                ISQ_EV_HEAD0:         rd = ev_count != 0 ? {ev_idx16, 14'd0, ev_head[EVW-1 -: 2]} : 32'd0;
                ISQ_EV_HEAD_VAL_LO:   rd = ev_count != 0 ? ev_head[95:64] : 32'd0;
                ISQ_EV_HEAD_VAL_HI:   rd = ev_count != 0 ? ev_head[127:96] : 32'd0;
                ISQ_EV_HEAD_EPOCH_LO: rd = ev_count != 0 ? ev_head[31:0] : 32'd0;
                ISQ_EV_HEAD_EPOCH_HI: rd = ev_count != 0 ? ev_head[63:32] : 32'd0;
                ISQ_EV_DROPPED:       rd = ev_dropped;
                default:              rd = 32'd0;
                endcase
            end
            ISQ_DI_BASE[11:8]: begin
                case (roff)
                ISQ_DI_OP:           rd = {30'd0, di_op};
                ISQ_DI_SLOT:         rd = di_slot;
                ISQ_DI_SEQ_LO:       rd = di_seq_lo;
                ISQ_DI_SEQ_HI:       rd = di_seq_hi;
                ISQ_DI_COUNT:        rd = di_count;
                ISQ_DI_STATUS:       rd = {inj_rem > 32'hffff ? 16'hffff : inj_rem[15:0], 15'd0,
                                           inj_rem != 32'd0};
                ISQ_DI_RES_COUNT:    rd = {{(31 - IAW){1'b0}}, ires_count};
                ISQ_DI_RES_HEAD0:    rd = ires_count != 0 ? {ires_head[143:128], 13'd0, ires_head[146:144]} : 32'd0;
                ISQ_DI_RES_SEQ_LO:   rd = ires_count != 0 ? ires_head[95:64] : 32'd0;
                ISQ_DI_RES_SEQ_HI:   rd = ires_count != 0 ? ires_head[127:96] : 32'd0;
                ISQ_DI_RES_EPOCH_LO: rd = ires_count != 0 ? ires_head[31:0] : 32'd0;
                ISQ_DI_RES_EPOCH_HI: rd = ires_count != 0 ? ires_head[63:32] : 32'd0;
                default:             rd = 32'd0;
                endcase
            end
            default: rd = 32'd0;
            endcase
        end
        if (csr_addr[1:0] != 2'd0 || {20'd0, csr_addr} >= ISQ_CSR_SPAN)
            rd = 32'd0;
    end

    always @(posedge clk)
        if (csr_re)
            csr_rdata <= rd;

    // ires_full: the injector never issues more than the result FIFO can
    // take (inj_fly), so a push to a full FIFO cannot happen.
    wire unused_ok = &{1'b0, ires_full};
endmodule

`default_nettype wire
