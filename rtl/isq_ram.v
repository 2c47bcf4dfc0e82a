// isq_ram.v — synchronous RAM, one write port and one read port.
//
// The engine never uses the word read in the same cycle as a write to the
// same address: it forwards in-flight writes itself (docs/rtl.md,
// "Forwarding"). So that word is left undefined (no_rw_check: synthesis
// adds no bypass logic around the block RAM), and with COLLIDE = 1 the
// simulation model returns the inverted old word there, so that a test
// run would catch any use of it.
`default_nettype none

module isq_ram #(
    parameter integer DW = 8,    // word width
    parameter integer D  = 16,   // depth
    parameter integer AW = 4,    // address width, >= clog2(D)
    parameter integer COLLIDE = 0
) (
    input  wire          clk,
    input  wire          we,
    input  wire [AW-1:0] wa,
    input  wire [DW-1:0] wd,
    input  wire [AW-1:0] ra,
    output reg  [DW-1:0] q
);
    (* no_rw_check *)
    reg [DW-1:0] mem [0:D-1];
    wire         scramble = COLLIDE != 0 && we && wa == ra;

    always @(posedge clk) begin
        if (we)
            mem[wa] <= wd;
        q <= scramble ? ~mem[ra] : mem[ra];
    end
endmodule

`default_nettype wire
