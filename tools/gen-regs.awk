#!/usr/bin/awk -f
# gen-regs.awk — generate the C, Verilog and Markdown views of the engine's
# register table (rtl/isq_regs.tbl). No Python: plain POSIX awk.
#
#   awk -v mode=c  -f tools/gen-regs.awk rtl/isq_regs.tbl > isq_regs.h
#   awk -v mode=v  -f tools/gen-regs.awk rtl/isq_regs.tbl > isq_regs.vh
#   awk -v mode=md -f tools/gen-regs.awk rtl/isq_regs.tbl > isq_regs.md
#
# The table is checked while reading: unknown kinds, duplicate names,
# misaligned or overlapping offsets, fields outside 31..0, codes that
# collide within a set or do not fit their port width (data-path op 2 bits,
# status 3 bits, others 8) all stop the build. The RTL checks at elaboration
# that the fields it packs by hand sit where this table puts them.

function die(msg) { printf "%s:%d: %s\n", FILENAME, FNR, msg > "/dev/stderr"; err = 1; exit 1 }
function num(s,   v, i, c, d) {
	if (s ~ /^0[xX][0-9a-fA-F]+$/) {
		v = 0; s = tolower(substr(s, 3))
		for (i = 1; i <= length(s); i++) { c = substr(s, i, 1); d = index("0123456789abcdef", c) - 1; v = v * 16 + d }
		return v
	}
	if (s ~ /^[0-9]+$/) return s + 0
	die("not a number: " s)
}
function desc(from,   i, s) { s = ""; for (i = from; i <= NF; i++) s = s (s == "" ? "" : " ") $i; return s }
function hex(v, w,   s, d) {   # v >= 0, w digits
	s = ""
	while (v > 0 || length(s) < w) { d = v % 16; s = substr("0123456789abcdef", d + 1, 1) s; v = (v - d) / 16 }
	return s
}
function ascii(c) { return index(" !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~", c) + 31 }
function typeword(t,   i, v) { if (length(t) != 4) die("block type must be 4 characters: " t); v = 0; for (i = 1; i <= 4; i++) v = v * 256 + ascii(substr(t, i, 1)); return v }
function uniq(name) { if (name in seen) die("duplicate name " name); seen[name] = 1 }

BEGIN { nb = 0; nr = 0; nf = 0; nc = 0; nk = 0 }
/^[ \t]*(#|$)/ { next }
{
	kind = $1
	if (kind == "block") {
		if (NF < 6) die("block: BLK TYPE BASE MAJOR MINOR desc")
		b = $2; uniq("blk:" b)
		nb++; bname[nb] = b; btype[nb] = $3; bbase[nb] = num($4); bmaj[nb] = num($5); bmin[nb] = num($6); bdesc[nb] = desc(7)
		if (bbase[nb] % 256) die("block base must be 256-aligned")
		if (nb > 1 && bbase[nb] <= bbase[nb - 1]) die("block bases must increase")
		bidx[b] = nb
	} else if (kind == "reg" || kind == "array") {
		b = $2
		if (b != "BLK" && !(b in bidx)) die("register of unknown block " b)
		nr++; rblk[nr] = b; rname[nr] = $3; roff[nr] = num($4)
		if (kind == "array") { rcnt[nr] = num($5); racc[nr] = $6; rdesc[nr] = desc(7) }
		else { rcnt[nr] = 0; racc[nr] = $5; rdesc[nr] = desc(6) }
		if (racc[nr] !~ /^(ro|rw|wo|rc)$/) die("access must be ro/rw/wo/rc")
		if (roff[nr] % 4) die("register offset not 4-byte aligned")
		uniq("reg:" b "_" $3)
		n = rcnt[nr] ? rcnt[nr] : 1
		for (i = 0; i < n; i++) {
			o = roff[nr] + 4 * i
			if (o >= 256) die("register beyond its block")
			if ((b, o) in used) die("offset " o " of " b " used twice")
			used[b, o] = 1
			if (b != "BLK" && ("BLK", o) in used) die("offset overlaps the block header")
		}
	} else if (kind == "field") {
		if (NF < 6) die("field: BLK REG NAME MSB LSB desc")
		nf++; fblk[nf] = $2; freg[nf] = $3; fname[nf] = $4; fmsb[nf] = num($5); flsb[nf] = num($6); fdesc[nf] = desc(7)
		if (fmsb[nf] > 31 || flsb[nf] > fmsb[nf]) die("bad field bits")
		uniq("fld:" $2 "_" $3 "_" $4)
		for (i = flsb[nf]; i <= fmsb[nf]; i++) { if (($2, $3, i) in fbits) die("field bits overlap"); fbits[$2, $3, i] = 1 }
	} else if (kind == "code") {
		if (NF < 4) die("code: SET NAME VALUE desc")
		nc++; cset[nc] = $2; cname[nc] = $3; cval[nc] = num($4); cdesc[nc] = desc(5)
		uniq("code:" $2 "_" $3)
		if (($2, cval[nc]) in cvals) die("code value used twice in set " $2)
		if (cval[nc] >= 2 ^ width($2)) die("code " $3 " does not fit the " width($2) "-bit port it travels on")
		cvals[$2, cval[nc]] = 1
	} else if (kind == "const") {
		nk++; kname[nk] = $2; kval[nk] = num($3); kdesc[nk] = desc(4); uniq("const:" $2)
	} else die("unknown line kind " kind)
}
function next_base(i) { return i < nb ? bbase[i + 1] : 0 }
function cmacro(name, val, d) { printf "#define %-34s %s%s\n", name, val, (d != "" ? "  /* " d " */" : "") }
function width(set) { return set == "DPOP" ? 2 : (set == "DP" ? 3 : 8) }

END {
	if (err) exit 1
	if (mode == "c") emit_c(); else if (mode == "v") emit_v(); else if (mode == "md") emit_md()
	else { print "gen-regs.awk: mode must be c, v or md" > "/dev/stderr"; exit 1 }
}

function emit_c(   i, b, lst, set) {
	print "/* isq_regs.h — GENERATED from rtl/isq_regs.tbl by tools/gen-regs.awk; do not edit."
	print " *"
	print " * C view of the sequence-counter engine's CSR map (docs/csr.md). Register"
	print " * offsets ISQ_<BLOCK>_<REG> are relative to their block; ISQ_<BLOCK>_BASE is"
	print " * where this RTL places the block (software may also walk NEXT from 0)."
	print " * Fields: _SHIFT, _WIDTH and in-place _MASK. Codes: ISQ_OP_*, ISQ_RC_*,"
	print " * ISQ_EVT_*, ISQ_DPOP_*, ISQ_DP_*, and X-macro lists ISQ_<SET>_LIST(X). */"
	print "#ifndef ISQ_REGS_H"
	print "#define ISQ_REGS_H"
	print ""
	print "#include <stdint.h>"
	print ""
	print "#define ISQ_FIELD_GET(v, F)  (((uint32_t)(v) & F##_MASK) >> F##_SHIFT)"
	print "#define ISQ_FIELD_PUT(x, F)  (((uint32_t)(x) << F##_SHIFT) & F##_MASK)"
	print ""
	for (i = 1; i <= nb; i++) {
		b = bname[i]
		printf "/* block %s \"%s\": %s */\n", b, btype[i], bdesc[i]
		cmacro("ISQ_" b "_BASE", "0x" hex(bbase[i], 3) "u", "")
		cmacro("ISQ_TYPE_" b, "0x" hex(typeword(btype[i]), 8) "u", "\"" btype[i] "\"")
		cmacro("ISQ_VERSION_" b, "0x" hex(bmaj[i] * 65536 + bmin[i], 8) "u", "v" bmaj[i] "." bmin[i])
		cmacro("ISQ_NEXT_" b, "0x" hex(next_base(i), 3) "u", "")
	}
	print ""
	for (i = 1; i <= nr; i++) {
		if (rcnt[i]) {
			cmacro("ISQ_" rblk[i] "_" rname[i] "_BASE", "0x" hex(roff[i], 2) "u", rdesc[i])
			cmacro("ISQ_" rblk[i] "_" rname[i] "_COUNT", rcnt[i] "u", "")
			cmacro("ISQ_" rblk[i] "_" rname[i] "(i)", "(0x" hex(roff[i], 2) "u + 4u * (uint32_t)(i))", "")
		} else
			cmacro("ISQ_" rblk[i] "_" rname[i], "0x" hex(roff[i], 2) "u", racc[i] ": " rdesc[i])
	}
	print ""
	for (i = 1; i <= nf; i++) {
		p = "ISQ_" fblk[i] "_" freg[i] "_" fname[i]
		cmacro(p "_SHIFT", flsb[i] "u", fdesc[i])
		cmacro(p "_WIDTH", (fmsb[i] - flsb[i] + 1) "u", "")
		m = 0; for (k = flsb[i]; k <= fmsb[i]; k++) m += 2 ^ k
		cmacro(p "_MASK", "0x" hex(m, 8) "u", "")
	}
	print ""
	for (i = 1; i <= nc; i++) {
		cmacro("ISQ_" cset[i] "_" cname[i], cval[i] "u", cdesc[i])
		lst[cset[i]] = lst[cset[i]] " X(" cname[i] ", " cval[i] ")"
		if (!(cset[i] in setord)) { setord[cset[i]] = ++nsets; sets[nsets] = cset[i] }
	}
	for (i = 1; i <= nsets; i++) cmacro("ISQ_" sets[i] "_LIST(X)", lst[sets[i]], "")
	print ""
	for (i = 1; i <= nk; i++) cmacro("ISQ_" kname[i], (kval[i] > 65535 ? "0x" hex(kval[i], 8) : kval[i]) "u", kdesc[i])
	print ""
	print "#endif"
}

function vparam(type, name, val) { printf "localparam %s %s = %s;\n", type, name, val }
function emit_v(   i, b, w, m) {
	print "// isq_regs.vh — GENERATED from rtl/isq_regs.tbl by tools/gen-regs.awk; do not edit."
	print "// Verilog view of the engine's CSR map; `include it inside a module."
	print "// Each module uses a subset of this table, so unused-parameter warnings are"
	print "// waived for the generated block only."
	print "/* verilator lint_off UNUSEDPARAM */"
	for (i = 1; i <= nb; i++) {
		b = bname[i]
		vparam("[11:0]", "ISQ_" b "_BASE", "12'h" hex(bbase[i], 3))
		vparam("[31:0]", "ISQ_TYPE_" b, "32'h" hex(typeword(btype[i]), 8))
		vparam("[31:0]", "ISQ_VERSION_" b, "32'h" hex(bmaj[i] * 65536 + bmin[i], 8))
		vparam("[11:0]", "ISQ_NEXT_" b, "12'h" hex(next_base(i), 3))
	}
	for (i = 1; i <= nr; i++) {
		vparam("[7:0]", "ISQ_" rblk[i] "_" rname[i], "8'h" hex(roff[i], 2))
		if (rcnt[i]) vparam("integer", "ISQ_" rblk[i] "_" rname[i] "_COUNT", rcnt[i])
	}
	for (i = 1; i <= nf; i++) {
		p = "ISQ_" fblk[i] "_" freg[i] "_" fname[i]
		vparam("integer", p "_LSB", flsb[i])
		vparam("integer", p "_MSB", fmsb[i])
	}
	for (i = 1; i <= nc; i++) { w = width(cset[i]); vparam("[" (w - 1) ":0]", "ISQ_" cset[i] "_" cname[i], w "'d" cval[i]) }
	for (i = 1; i <= nk; i++) {
		if (kval[i] > 2147483647) vparam("[31:0]", "ISQ_" kname[i], "32'h" hex(kval[i], 8))
		else vparam("integer", "ISQ_" kname[i], kval[i])
	}
	print "/* verilator lint_on UNUSEDPARAM */"
}

function emit_md(   i, b, j) {
	print "# Engine CSR map (generated from `rtl/isq_regs.tbl`)"
	print ""
	print "Offsets are relative to the block; the block base is where this RTL places it."
	for (i = 1; i <= nb; i++) {
		b = bname[i]
		printf "\n## %s — \"%s\" at 0x%s, version %d.%d, next 0x%s\n\n%s\n\n", b, btype[i], hex(bbase[i], 3), bmaj[i], bmin[i], hex(next_base(i), 3), bdesc[i]
		print "| offset | name | access | description |"
		print "|---|---|---|---|"
		for (j = 1; j <= nr; j++) if (rblk[j] == "BLK") printf "| 0x%s | %s | %s | %s |\n", hex(roff[j], 2), rname[j], racc[j], rdesc[j]
		for (j = 1; j <= nr; j++) if (rblk[j] == b) {
			if (rcnt[j]) printf "| 0x%s..0x%s | %s0..%s%d | %s | %s |\n", hex(roff[j], 2), hex(roff[j] + 4 * rcnt[j] - 4, 2), rname[j], rname[j], rcnt[j] - 1, racc[j], rdesc[j]
			else printf "| 0x%s | %s | %s | %s |\n", hex(roff[j], 2), rname[j], racc[j], rdesc[j]
		}
		hdr = 0
		for (j = 1; j <= nf; j++) if (fblk[j] == b) {
			if (!hdr) { print "\n| field | bits | description |"; print "|---|---|---|"; hdr = 1 }
			printf "| %s.%s | %d:%d | %s |\n", freg[j], fname[j], fmsb[j], flsb[j], fdesc[j]
		}
	}
	print "\n## Codes\n"
	print "| set | name | value | description |"
	print "|---|---|---|---|"
	for (i = 1; i <= nc; i++) printf "| %s | %s | %d | %s |\n", cset[i], cname[i], cval[i], cdesc[i]
}
