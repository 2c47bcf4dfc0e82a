#!/bin/sh
# cli.sh BINDIR — `ipsecha xdp` error paths: each bad request gets its exit
# status and a message that says what is wrong (and how to fix it), and
# changes nothing. Runs in its own namespace ipsx-cli (veth ipsx-c0/ipsx-c1).
# Ends with "xdp-cli: N passed, N failed, N skipped".
set -u
BIN=${1:-build/bin}
NS=ipsx-cli
IN="nsenter --net=/var/run/netns/$NS"
X="$IN $BIN/ipsecha xdp"
TOTAL=27
pass=0 fail=0

[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (network namespaces, XDP)"; echo "xdp-cli: 0 passed, 0 failed, $TOTAL skipped"; exit 0; }

cleanup() {
	[ -e /var/run/netns/$NS ] && $X detach ipsx-c0 >/dev/null 2>&1
	ip netns del $NS 2>/dev/null
	return 0
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# expect NAME STATUS PATTERN CMD...: exit status and a message matching PATTERN
expect() {
	name=$1 want=$2 pat=$3
	shift 3
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc -eq "$want" ] && echo "$out" | grep -Eq -- "$pat"; then
		echo "ok   $name"
		pass=$((pass + 1))
	else
		echo "FAIL $name: exit $rc (want $want), output: $out"
		fail=$((fail + 1))
	fi
}

cleanup
ip netns add $NS &&
ip link add ipsx-c0 type veth peer name ipsx-c1 &&
ip link set ipsx-c0 netns $NS && ip link set ipsx-c1 netns $NS &&
ip -n $NS link set ipsx-c0 up && ip -n $NS link set ipsx-c1 up &&
ip -n $NS link add ipsx-cbr type bridge &&
ip -n $NS link add ipsx.c8 type veth peer name ipsx.c9 && ip -n $NS link set ipsx.c8 up || { echo "setup failed"; echo "xdp-cli: 0 passed, 1 failed, 0 skipped"; exit 1; }

expect "no subcommand: usage" 2 "usage: ipsecha xdp" $BIN/ipsecha xdp
expect "unknown subcommand: usage" 2 "unknown subcommand" $BIN/ipsecha xdp frobnicate
expect "invalid interface name" 2 "not a valid interface name" $X attach 'a/b'
expect "bad --mode" 2 "native or generic" $X attach ipsx-c0 --mode turbo
expect "interface missing" 1 "interface 'ipsx-nosuch' not found" $X attach ipsx-nosuch
expect "queue that does not exist" 1 "queue 5 does not exist on ipsx-c0" $X attach ipsx-c0 --xsk-queue 5
expect "no native XDP in the driver" 1 "no native XDP support; use --mode generic" $X attach ipsx-cbr --mode native
expect "not attached: show" 1 "not attached to ipsx-c0" $X show ipsx-c0
expect "not attached: detach" 1 "not attached to ipsx-c0" $X detach ipsx-c0
expect "attach" 0 "attached to ipsx-c0" $X attach ipsx-c0 --mode native --xsk-queue 0
expect "already attached" 1 "already attached to ipsx-c0.*detach ipsx-c0' first" $X attach ipsx-c0
# Another program on ipsx-c1 (ours, via iproute2 from the pin; nsenter, not
# `ip -n`, which remounts /sys and hides the pin): not ipsecha's.
$IN ip link set dev ipsx-c1 xdpgeneric pinned /sys/fs/bpf/ipsecha/ipsx-c0/prog
expect "another XDP program attached" 1 "another XDP program \(id [0-9]+\) is attached to ipsx-c1" $X attach ipsx-c1
$IN ip link set dev ipsx-c1 xdpgeneric off
expect "SPI in the reserved range" 2 "RFC 4303" $X sa add ipsx-c0 255 1 1
expect "SPI not a number" 2 "SPI must be a number" $X sa add ipsx-c0 0x12zz 1 1
expect "sa add" 0 "SPI 0x00001000 -> slot 7, group 3" $X sa add ipsx-c0 0x1000 7 3
expect "duplicate SPI" 1 "already mapped \(slot 7, group 3\); use --replace" $X sa add ipsx-c0 0x1000 8 3
expect "slot beyond the limit" 1 "slots < 4096" $X sa add ipsx-c0 0x1001 4096 3
expect "group beyond the limit" 1 "groups < 1024" $X group hold ipsx-c0 1024
expect "missing SA" 1 "no SA with SPI 0x00002000" $X sa del ipsx-c0 0x2000
expect "equal IKE and NAT-T ports" 2 "must differ" $X policy ipsx-c0 --natt-port 500
expect "bad --meta value" 2 "--meta: on or off, not 'yes'" $X policy ipsx-c0 --meta yes
# Nothing above changed the state: one SA, default policy, nothing held.
expect "bad requests changed nothing" 0 '"meta":false.*"sas":\[\{"spi":4096,"spi_hex":"0x00001000","slot":7,"group":3,"group_state":"active"\}\].*"held_groups":\[\]' \
	sh -c "$X show ipsx-c0 --json | tr -d ' \n'"
expect "policy --meta on, shown by show --json" 0 '"keepalive":"pass","meta":true' \
	sh -c "$X policy ipsx-c0 --meta on >/dev/null && $X show ipsx-c0 --json | tr -d ' \n' && $X policy ipsx-c0 --meta off >/dev/null"
expect "insufficient privilege" 1 "insufficient privilege.*needs root" \
	$IN setpriv --reuid=65534 --regid=65534 --clear-groups $BIN/ipsecha xdp show ipsx-c0
# bpffs not mounted: a private mount namespace with an empty tmpfs over it.
expect "bpffs not mounted" 1 "bpffs is not mounted at /sys/fs/bpf.*mount -t bpf bpf /sys/fs/bpf" \
	unshare -m sh -c "mount -t tmpfs ipsx-tmp /sys/fs/bpf && $X show ipsx-c0"
expect "a VLAN-style name: the pins and the message say ':' for '.'" 0 "pins in /sys/fs/bpf/ipsecha/ipsx:c8$" \
	sh -c "$X attach ipsx.c8 --mode generic && [ -e /sys/fs/bpf/ipsecha/ipsx:c8/link ] && $X detach ipsx.c8 >/dev/null"
expect "attach mounts bpffs when missing" 0 "mounted bpffs at /sys/fs/bpf" \
	unshare -m sh -c "mount -t tmpfs ipsx-tmp /sys/fs/bpf && $X attach ipsx-c1 --mode generic && $X detach ipsx-c1"

echo "xdp-cli: $pass passed, $fail failed, 0 skipped"
[ $fail -eq 0 ]
