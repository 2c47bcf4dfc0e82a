#!/bin/sh
# test-noreuse.sh — the no-reuse property end to end, through the CLI and
# the library: injector traffic interleaved with group adds (with and
# without release), holds and readbacks; no sequence number may repeat on
# any slot and each slot's numbers must rise. Runs under with-card.sh.
# Ends with "noreuse: N passed, N failed" (one case per slot checked, plus
# the readback consistency case).
set -u
top=${IPSECHA_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
B=${IPSECHA_BIN:-$top/build/bin/ipsecha}
Q=${JSONQ:-$top/build/bin/jsonq}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ipsecha-card-test-$$.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
fail=0 pass=0
G=7
for s in 10 11 12; do
	"$B" card sa install $s --dir out --group $G --esn >/dev/null || exit 1
done
held=0
i=0
seed=${IPSECHA_SEED:-12345}
while [ $i -lt 120 ]; do
	seed=$(( (seed * 1103515245 + 12345) % 2147483648 ))
	op=$(( seed % 8 )); s=$(( 10 + (seed / 8) % 3 )); n=$(( 1 + (seed / 64) % 16 ))
	case $op in
	0|1|2|3)
		"$B" card --json dp tx $s $n >"$tmp/r" || exit 1
		"$Q" 'results[].status' <"$tmp/r" >"$tmp/st"
		"$Q" 'results[].seq' <"$tmp/r" >"$tmp/sq"
		paste "$tmp/st" "$tmp/sq" | while read -r st sq; do
			[ "$st" = ok ] && echo "$sq" >>"$tmp/seq.$s"
			[ "$st" = held ] && [ $held -eq 0 ] && echo "held while not held" >>"$tmp/errors"
		done ;;
	4)	if [ $held -eq 1 ] && [ $(( seed % 3 )) -eq 0 ]; then
			"$B" card group add $G $(( seed % 1000 )) --release >/dev/null || exit 1; held=0
		else
			"$B" card group add $G $(( seed % 1000 )) >/dev/null || exit 1
		fi ;;
	5)	if [ $held -eq 0 ]; then "$B" card group hold $G >/dev/null; held=1
		else "$B" card group release $G >/dev/null; held=0; fi ;;
	6|7)	"$B" card --json readback --group $G >"$tmp/rb" || exit 1
		"$Q" 'slots[].last_seq' <"$tmp/rb" >/dev/null || echo "readback broken" >>"$tmp/errors" ;;
	esac
	i=$((i + 1))
done
[ $held -eq 1 ] && "$B" card group release $G >/dev/null
for s in 10 11 12; do
	f=$tmp/seq.$s
	touch "$f"
	total=$(wc -l <"$f")
	uniq=$(sort -n "$f" | uniq | wc -l)
	sorted=$(sort -n -c "$f" 2>&1 && echo yes)
	if [ "$total" -gt 0 ] && [ "$total" -eq "$uniq" ] && [ "$sorted" = yes ]; then
		echo "ok   slot $s: $total numbers issued, none repeated, all rising"; pass=$((pass + 1))
	else
		echo "FAIL slot $s: $total issued, $uniq distinct, order: $sorted"; fail=$((fail + 1))
	fi
done
# The card's readback agrees with the last number each slot issued.
"$B" card --json readback --group $G >"$tmp/rb"
ok=1
for s in 10 11 12; do
	last=$(tail -1 "$tmp/seq.$s")
	got=$("$Q" 'slots[].last_seq' <"$tmp/rb" | sed -n "$((s - 9))p")
	[ -n "$last" ] && [ "$got" -ge "$last" ] || ok=0
done
if [ $ok -eq 1 ] && [ ! -s "$tmp/errors" ]; then
	echo "ok   readback agrees with the numbers issued"; pass=$((pass + 1))
else
	echo "FAIL readback or held state disagree"; cat "$tmp/errors" 2>/dev/null; fail=$((fail + 1))
fi
echo "noreuse: $pass passed, $fail failed"
[ $fail -eq 0 ]
