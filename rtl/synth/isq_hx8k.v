// isq_hx8k.v — synthesis wrapper for the iCE40 flow (make synth).
//
// The engine's ports (~430 signals) exceed an iCE40 package, so the wrapper
// keeps the CSR bus on pins and drives the data-path port from an on-chip
// LFSR, folding every result bit into eight output pins. Nothing of the
// engine can be optimised away, and timing covers every real path: CSR in,
// data path in, results and events out.
`default_nettype none

module isq_hx8k #(   // defaults = HX8K_* of rtl/part.mk (make synth sets them)
    parameter integer NUM_SA    = 240,
    parameter integer NUM_GROUP = 16,
    parameter integer W         = 64,
    parameter integer EVT_DEPTH = 16,
    parameter integer INJ_DEPTH = 2
) (
    input  wire        clk,
    input  wire        rst,
    input  wire        csr_we,
    input  wire        csr_re,
    input  wire [11:0] csr_addr,
    input  wire [31:0] csr_wdata,
    output wire [31:0] csr_rdata,
    output reg  [7:0]  obs,
    output wire        evt_pending,
    output wire        mb_busy
);
    reg  [63:0] lfsr;
    wire        dp_ready, res_valid;
    wire [15:0] res_tag, res_slot;
    wire [1:0]  res_op;
    wire [2:0]  res_status;
    wire [63:0] res_seq, res_epoch, epoch;

    // x^64 + x^63 + x^61 + x^60 + 1
    always @(posedge clk) begin
        if (rst)
            lfsr <= 64'h1;
        else if (dp_ready)
            lfsr <= {lfsr[62:0], lfsr[63] ^ lfsr[62] ^ lfsr[60] ^ lfsr[59]};
    end

    isq_top #(.NUM_SA(NUM_SA), .NUM_GROUP(NUM_GROUP), .W(W), .EVT_DEPTH(EVT_DEPTH),
              .INJ_DEPTH(INJ_DEPTH)) u_top (
        .clk(clk), .rst(rst),
        .csr_we(csr_we), .csr_re(csr_re), .csr_addr(csr_addr), .csr_wdata(csr_wdata),
        .csr_rdata(csr_rdata),
        .dp_valid(1'b1), .dp_ready(dp_ready), .dp_op(lfsr[1:0]), .dp_slot(lfsr[17:2]),
        .dp_seq({lfsr[31:0], lfsr[63:32]}), .dp_tag(lfsr[47:32]),
        .res_valid(res_valid), .res_tag(res_tag), .res_op(res_op), .res_slot(res_slot),
        .res_status(res_status), .res_seq(res_seq), .res_epoch(res_epoch),
        .evt_pending(evt_pending), .mb_busy(mb_busy), .epoch(epoch));

    wire [255:0] fold = {res_seq, res_epoch, epoch, res_tag, res_slot, res_op, res_status,
                         res_valid, 26'd0};
    integer i;
    reg [7:0] f;
    always @(*) begin
        f = 8'd0;
        for (i = 0; i < 32; i = i + 1)
            f = f ^ fold[8*i +: 8];
    end
    always @(posedge clk)
        obs <= f;
endmodule

`default_nettype wire
