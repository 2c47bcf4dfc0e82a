// isq_ram2.v — synchronous RAM with one write port and two read ports; on
// an FPGA the second port is a second copy. Same-address read and write in
// one cycle: undefined, as in isq_ram (COLLIDE = 1 inverts it in simulation).
`default_nettype none

module isq_ram2 #(
    parameter integer DW = 8,
    parameter integer D  = 16,
    parameter integer AW = 4,
    parameter integer COLLIDE = 0
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
    (* no_rw_check *)
    reg [DW-1:0] mem [0:D-1];
    wire         sc1 = COLLIDE != 0 && we && wa == ra;
    wire         sc2 = COLLIDE != 0 && we && wa == ra2;

    always @(posedge clk) begin
        if (we)
            mem[wa] <= wd;
        q  <= sc1 ? ~mem[ra] : mem[ra];
        q2 <= sc2 ? ~mem[ra2] : mem[ra2];
    end
endmodule

`default_nettype wire
