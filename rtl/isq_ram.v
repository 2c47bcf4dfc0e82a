// isq_ram.v — synchronous RAM, one write port and one read port.
//
// Read-first: a read in the same cycle as a write to the same address
// returns the old word. The engine depends on that: it forwards in-flight
// writes itself (docs/rtl.md, "Forwarding"), so the RAM needs no bypass.
`default_nettype none

module isq_ram #(
    parameter integer DW = 8,    // word width
    parameter integer D  = 16,   // depth
    parameter integer AW = 4     // address width, >= clog2(D)
) (
    input  wire          clk,
    input  wire          we,
    input  wire [AW-1:0] wa,
    input  wire [DW-1:0] wd,
    input  wire [AW-1:0] ra,
    output reg  [DW-1:0] q
);
    reg [DW-1:0] mem [0:D-1];

    always @(posedge clk) begin
        if (we)
            mem[wa] <= wd;
        q <= mem[ra];
    end
endmodule

`default_nettype wire
