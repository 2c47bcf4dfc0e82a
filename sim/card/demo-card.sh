#!/bin/sh
# demo-card.sh — bring-up demo: a simulated card driven through `ipsecha card`.
# Starts ipsecha-card-sim (prefix ipsecha-card-demo-<pid>), then shows
# injector traffic, a group add under traffic with its epoch, a hold and
# release, a readback and the events; stops the card on exit.
set -u
top=${IPSECHA_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
SIM=${CARD_SIM:-$top/build/bin/ipsecha-card-sim}
B=${IPSECHA_BIN:-$top/build/bin/ipsecha}
tag=ipsecha-card-demo-$$
sock=/tmp/$tag.sock
traffic=
cleanup() {
	[ -n "$traffic" ] && kill "$traffic" 2>/dev/null
	[ -n "${card:-}" ] && kill "$card" 2>/dev/null && wait "$card" 2>/dev/null
	rm -f "$sock" "/dev/shm/$tag" "/tmp/$tag.traffic"
}
trap cleanup EXIT INT TERM
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ ipsecha card %s\n' "$*"; "$B" card "$@"; }

"$SIM" --socket "$sock" --shm "/dev/shm/$tag" &
card=$!
i=0
until [ -S "$sock" ]; do sleep 0.05; i=$((i + 1)); [ $i -gt 200 ] && { echo "card did not start"; exit 1; }; done
export IPSECHA_DEV=sim:$sock

say "The card: identity block, ABI, engine parameters"
run info
run selftest

say "One IKE SA = group 7; its Child SA = two slots (outbound 1, inbound 2), ESN"
run sa install 1 --dir out --group 7 --esn
run sa install 2 --dir in --group 7 --esn
run sa install 3 --dir out --group 8 --seq 4294967000
run sa list

say "Injector traffic on slot 1 (data-path TX_NEXT, arbitrated with the packet port)"
run dp tx 1 5
( while :; do "$B" card --json dp tx 1 20 >>"/tmp/$tag.traffic" 2>/dev/null || break; done ) &
traffic=$!
sleep 0.3

say "Failover of the IKE SA while traffic runs: hold, jump the counters, release"
run group hold 7
run dp tx 1 3
run group add 7 1000000 --release
sleep 0.2
kill "$traffic"; wait "$traffic" 2>/dev/null; traffic=
ok=$(grep -c '"status":"ok"' "/tmp/$tag.traffic"); held=$(grep -c '"status":"held"' "/tmp/$tag.traffic")
dups=$(grep -A1 '"status":"ok"' "/tmp/$tag.traffic" | grep '"seq"' | sort | uniq -d | wc -l)
echo "(background traffic during the failover: $ok numbers issued, $held requests answered HELD, $dups numbers repeated)"
run dp tx 1 3

say "Receive side: check and commit, then advance the window by the peer's delta"
run dp rx 2 5 --commit
run dp rx 2 5
run group advance 7 1000
run sa read 2

say "A jump that would pass the 32-bit limit of slot 3 is refused whole"
run group add 8 1000 || true
run events

say "HA snapshot: bulk readback of the group's effective counters"
run readback --group 7
run --json readback --slots 1-3
run group read 7
