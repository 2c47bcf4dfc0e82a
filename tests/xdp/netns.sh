#!/bin/sh
# netns.sh BINDIR — the XDP steering program on a veth pair with real
# packets, in native and in generic mode, driven through the ipsecha CLI
# (attach, SAs, show, stats, detach) and test_xdp_live (the packets).
#
#   netns ipsx-pe                               netns ipsx-gw
#   ┌──────────────────────────┐                ┌──────────────────────────────┐
#   │ ipsx-p0 192.0.2.2/24     │◄──── veth ────►│ ipsx-g0 192.0.2.1/24         │
#   │         2001:db8:5::2/64 │                │         2001:db8:5::1/64     │
#   │ sender (kernel sockets)  │                │ XDP + AF_XDP q0 + UDP 500/4500│
#   └──────────────────────────┘                └──────────────────────────────┘
#
# The gateway side runs under `nsenter --net` (not `ip netns exec`, which
# remounts /sys and hides the pins in /sys/fs/bpf). Ends with
# "xdp-netns: N passed, N failed, N skipped".
set -u
BIN=${1:-build/bin}
GWNS=ipsx-gw
PENS=ipsx-pe
GW="nsenter --net=/var/run/netns/$GWNS"
PE="nsenter --net=/var/run/netns/$PENS"
PER_MODE=14
pass=0 fail=0 skip=0

ok() { echo "ok   $*"; pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }

skip_all() {
	echo "SKIP: $1"
	echo "xdp-netns: 0 passed, 0 failed, $((2 * PER_MODE)) skipped"
	exit 0
}
[ "$(id -u)" -eq 0 ] || skip_all "needs root (network namespaces, XDP, AF_XDP)"
for t in ip nsenter jq; do
	command -v $t >/dev/null 2>&1 || { echo "missing tool: $t"; echo "xdp-netns: 0 passed, 1 failed, 0 skipped"; exit 1; }
done
[ -x "$BIN/ipsecha" ] && [ -x "$BIN/test_xdp_live" ] || {
	echo "missing $BIN/ipsecha or $BIN/test_xdp_live"; echo "xdp-netns: 0 passed, 1 failed, 0 skipped"; exit 1; }

cleanup() {
	[ -e /var/run/netns/$GWNS ] && $GW "$BIN/ipsecha" xdp detach ipsx-g0 >/dev/null 2>&1
	ip netns del $GWNS 2>/dev/null
	ip netns del $PENS 2>/dev/null
	return 0
}
trap cleanup EXIT
trap 'exit 1' INT TERM

mac_of() { ip -n "$1" -br link show dev "$2" | awk '{ print $3 }'; }

setup() {
	cleanup
	ip netns add $GWNS && ip netns add $PENS &&
	ip link add ipsx-g0 type veth peer name ipsx-p0 &&
	ip link set ipsx-g0 netns $GWNS && ip link set ipsx-p0 netns $PENS &&
	ip -n $GWNS addr add 192.0.2.1/24 dev ipsx-g0 &&
	ip -n $PENS addr add 192.0.2.2/24 dev ipsx-p0 &&
	ip -n $GWNS addr add 2001:db8:5::1/64 dev ipsx-g0 nodad &&
	ip -n $PENS addr add 2001:db8:5::2/64 dev ipsx-p0 nodad &&
	ip -n $GWNS link set lo up && ip -n $PENS link set lo up &&
	ip -n $GWNS link set ipsx-g0 up && ip -n $PENS link set ipsx-p0 up || return 1
	gmac=$(mac_of $GWNS ipsx-g0) pmac=$(mac_of $PENS ipsx-p0)
	# Static neighbours: no ARP/ND delay for the first packets.
	ip -n $GWNS neigh replace 192.0.2.2 lladdr "$pmac" dev ipsx-g0 nud permanent &&
	ip -n $GWNS neigh replace 2001:db8:5::2 lladdr "$pmac" dev ipsx-g0 nud permanent &&
	ip -n $PENS neigh replace 192.0.2.1 lladdr "$gmac" dev ipsx-p0 nud permanent &&
	ip -n $PENS neigh replace 2001:db8:5::1 lladdr "$gmac" dev ipsx-p0 nud permanent
}

# SAs the live test expects (tests/xdp/test_xdp_live.c): SPI SLOT GROUP
SAS="0x0c000004 21 20
0x0c000006 22 20
0x0c000014 23 21
0x0c000016 24 21
0x0c0000a0 30 30
0x0c0000b0 31 31"

for mode in native generic; do
	echo "=== $mode mode"
	if ! setup; then
		bad "[$mode] netns/veth setup"
		fail=$((fail + PER_MODE - 1))
		continue
	fi

	out=$($GW "$BIN/ipsecha" xdp attach ipsx-g0 --mode $mode --xsk-queue 0 2>&1)
	if [ $? -eq 0 ]; then
		want=xdp; [ $mode = generic ] && want=xdpgeneric
		if ip -n $GWNS link show dev ipsx-g0 | grep -q " $want"; then
			ok "[$mode] ipsecha xdp attach --mode $mode ($want on the link)"
		else
			bad "[$mode] attached but the link shows no $want"
		fi
	else
		bad "[$mode] attach: $out"
		fail=$((fail + PER_MODE - 1))
		continue
	fi

	n=0
	echo "$SAS" | while read -r spi slot group; do
		$GW "$BIN/ipsecha" xdp sa add ipsx-g0 "$spi" "$slot" "$group" >/dev/null || exit 1
	done && n=$($GW "$BIN/ipsecha" xdp show ipsx-g0 --json | jq '.sas | length')
	if [ "$n" = 6 ]; then ok "[$mode] ipsecha xdp sa add: 6 SAs in show --json"
	else bad "[$mode] sa add / show: $n SAs"; fi

	# The packets. Its own result lines count as cases.
	log=$($GW "$BIN/test_xdp_live" --ifname ipsx-g0 --mode $mode --peer /var/run/netns/$PENS 2>&1)
	rc=$?
	echo "$log"
	p=$(echo "$log" | grep -c '^ok ')
	f=$(echo "$log" | grep -c '^FAIL')
	pass=$((pass + p)) fail=$((fail + f))
	[ $rc -ne 0 ] && [ "$f" -eq 0 ] && bad "[$mode] test_xdp_live exited $rc"
	[ $((p + f)) -lt 7 ] && bad "[$mode] test_xdp_live ran $((p + f)) of 7 scenarios"

	# The CLI's counters are the library's: compare with the live test's totals.
	tot=$(echo "$log" | sed -n 's/^TOTAL //p')
	js=$($GW "$BIN/ipsecha" xdp stats ipsx-g0 --json)
	got="esp_redirect=$(echo "$js" | jq .reasons.esp_redirect) esp_hold=$(echo "$js" | jq .reasons.esp_hold) ike=$(echo "$js" | jq .reasons.ike)"
	if [ -n "$tot" ] && [ "$tot" = "$got" ]; then
		ok "[$mode] ipsecha xdp stats --json matches the packets counted ($got)"
	else
		bad "[$mode] stats --json: '$got', live test: '$tot'"
	fi
	sum=$(echo "$js" | jq '[.verdicts[]] | add') rsum=$(echo "$js" | jq '[.reasons[]] | add')
	if [ "$sum" = "$rsum" ] && [ "$sum" -gt 0 ]; then
		ok "[$mode] every frame has one verdict and one reason ($sum)"
	else
		bad "[$mode] verdicts add up to $sum, reasons to $rsum"
	fi

	# HOLD through the CLI: the held group and its drop count show up.
	if $GW "$BIN/ipsecha" xdp group hold ipsx-g0 20 >/dev/null &&
	   $GW "$BIN/ipsecha" xdp show ipsx-g0 --json | jq -e '.held_groups | map(.group) | index(20) != null' >/dev/null &&
	   $GW "$BIN/ipsecha" xdp group release ipsx-g0 20 >/dev/null &&
	   $GW "$BIN/ipsecha" xdp show ipsx-g0 --json | jq -e '.held_groups | map(.group) | index(20) == null' >/dev/null; then
		ok "[$mode] ipsecha xdp group hold/release shows in show --json"
	else
		bad "[$mode] group hold/release via the CLI"
	fi

	if $GW "$BIN/ipsecha" xdp sa del ipsx-g0 0x0c000004 >/dev/null &&
	   [ "$($GW "$BIN/ipsecha" xdp show ipsx-g0 --json | jq '[.sas[] | select(.spi_hex == "0x0c000004")] | length')" = 0 ]; then
		ok "[$mode] ipsecha xdp sa del"
	else
		bad "[$mode] sa del"
	fi

	if $GW "$BIN/ipsecha" xdp detach ipsx-g0 >/dev/null &&
	   ! ip -n $GWNS link show dev ipsx-g0 | grep -q " xdp" &&
	   [ ! -e /sys/fs/bpf/ipsecha/ipsx-g0 ]; then
		ok "[$mode] ipsecha xdp detach: program off the link, pins removed"
	else
		bad "[$mode] detach"
	fi
done
echo "xdp-netns: $pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
