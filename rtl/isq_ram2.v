// isq_ram2.v — synchronous RAM with one write port and two read ports,
// read-first like isq_ram. On an FPGA the second port is a second copy.
`default_nettype none

module isq_ram2 #(
    parameter integer DW = 8,
    parameter integer D  = 16,
    parameter integer AW = 4
) (
    input  wire          clk,
    input  wire          we,
    input  wire [AW-1:0] wa,
    input  wire [DW-1:0] wd,
    input  wire [AW-1:0] ra,
    output reg  [DW-1:0] q,
    input  wire [AW-1:0] ra2,
    output reg  [DW-1:0] q2
);
    reg [DW-1:0] mem [0:D-1];

    always @(posedge clk) begin
        if (we)
            mem[wa] <= wd;
        q  <= mem[ra];
        q2 <= mem[ra2];
    end
endmodule

`default_nettype wire
