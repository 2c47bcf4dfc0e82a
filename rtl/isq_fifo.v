// isq_fifo.v — show-ahead FIFO on a synchronous RAM (event FIFO and the
// injector's result FIFO). The oldest entry is always present on `head`
// while `count` != 0; `pop` drops it. A push to a full FIFO is refused
// (the caller counts it). A push into the place being read is forwarded,
// so the RAM's same-address read result is never used (no_rw_check).
`default_nettype none

module isq_fifo #(
    parameter integer DW = 8,
    parameter integer D  = 16,   // depth, a power of two
    parameter integer AW = 4     // clog2(D)
) (
    input  wire          clk,
    input  wire          rst,
    input  wire          push,
    input  wire [DW-1:0] wd,
    input  wire          pop,
    output wire [DW-1:0] head,
    output reg  [AW:0]   count,
    output wire          full
);
    reg  [AW-1:0] wp, rp;
    (* no_rw_check *)
    reg  [DW-1:0] mem [0:D-1];
    reg  [DW-1:0] q;
    wire          do_push = push && !full;
    wire          do_pop  = pop && count != 0;
    wire [AW-1:0] rp_next = do_pop ? rp + 1'b1 : rp;

    assign full = count == D[AW:0];
    assign head = q;

    always @(posedge clk) begin
        if (do_push)
            mem[wp] <= wd;
        // The head register reads the next entry; a push into that very
        // place this cycle is forwarded (the RAM returns the old word).
        q <= (do_push && wp == rp_next) ? wd : mem[rp_next];
    end

    always @(posedge clk) begin
        if (rst) begin
            wp    <= {AW{1'b0}};
            rp    <= {AW{1'b0}};
            count <= {(AW+1){1'b0}};
        end else begin
            if (do_push)
                wp <= wp + 1'b1;
            rp    <= rp_next;
            count <= count + {{AW{1'b0}}, do_push} - {{AW{1'b0}}, do_pop};
        end
    end
endmodule

`default_nettype wire
