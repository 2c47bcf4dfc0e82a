#!/bin/bash
# xdp.sh BIN — the takeover holds and releases ESP in the XDP steering
# program too when the gateway has an interface configured: a restored IKE
# SA's group is held in XDP (its ESP dropped) until the takeover's jump
# releases card and XDP together. The gateway agents run under
# `nsenter --net` (not `ip netns exec`, which remounts /sys) so the pinned
# maps are visible to `ipsecha xdp show`. One PASS/FAIL line per case.
set -u
HSH_BIN=$(cd "${1:-build/bin}" && pwd)
. "$(dirname "$0")/lib.sh"
hsh_need_root "the XDP takeover cases cannot run" rfc6311-xdp
for t in nsenter; do
	command -v $t > /dev/null || { echo "SKIP $t not installed"; echo "rfc6311-xdp: 0 passed, 0 failed, 1 skipped"; exit 0; }
done
if ! mountpoint -q /sys/fs/bpf && ! mount -t bpf bpf /sys/fs/bpf 2>/dev/null; then
	echo "SKIP no bpffs (cannot mount /sys/fs/bpf)"
	echo "rfc6311-xdp: 0 passed, 0 failed, 1 skipped"
	exit 0
fi
trap 'hsh_cleanup; "$CLI" xdp detach "$VG" > /dev/null 2>&1' EXIT
trap 'exit 130' INT TERM
hsh_topology || { ko "topology"; echo "rfc6311-xdp: $pass passed, $fail failed, $skip skipped"; exit 1; }

SYNC=("mid_sync = yes" "replay_sync = yes")
agent_conf p $P_OUT $G_OUT p@ipsh.test g@ipsh.test $P_TS $G_TS "${SYNC[@]}"
for n in a b; do
	agent_conf $n $G_OUT $P_OUT g@ipsh.test p@ipsh.test $G_TS $P_TS "${SYNC[@]}"
	sed -i "s/^\[global\]/[global]\ninterfaces = $VG\nxdp_mode = generic/" "$RUN/$n.conf"
done
gw_start() { # NAME [args]
	local n=$1
	shift
	nsenter --net=/var/run/netns/"$NSG" "$AGENT" --config "$RUN/$n.conf" \
		--state-key "$RUN/state.key" "$@" >> "$RUN/$n.log" 2>&1 &
	hsh_pids+=($!)
	eval "pid_$n=$!"
	wait_for bash -c "IPSECHA_AGENT_SOCKET=$RUN/$n.sock $CLI status > /dev/null 2>&1"
}
xdp() { "$CLI" xdp show "$VG" --json; }
# esp SPI COUNT: ESP-in-UDP (RFC 3948: no marker, SPI first) from the peer,
# one datagram per write to bash's /dev/udp (`nc -u -w0` fed by a pipe may
# time out before its stdin is readable and then sends nothing: a lost probe)
esp() {
	local hex
	hex=$(printf '%08x' "$1")
	ip netns exec "$NSP" bash -c 'for _ in $(seq 1 "$1"); do
		printf "\\x${2:0:2}\\x${2:2:2}\\x${2:4:2}\\x${2:6:2}\\x00\\x00\\x00\\x07ipsh-esp-probe" \
			> /dev/udp/'"$G_OUT"'/4500 || exit 1
	done' esp "$2" "$hex"
}

agent_start p "$NSP" || { ko "peer start"; exit 1; }
gw_start a || { ko "gateway A with XDP"; tail -5 "$RUN/a.log"; echo "rfc6311-xdp: $pass passed, $fail failed, $skip skipped"; exit 1; }
acli p initiate gw > /dev/null
spi=$(acli a sa list --json | jq -r '.sas[0].children[0].spi_in')
spi_n=$((16#$spi))
check "XDP steers the Child SA's SPI $spi to its card slot and group" \
	test "$(xdp | jq -r ".sas[] | select(.spi == $spi_n) | .group_state")" = active
acli a state save "$RUN/a.snap" > /dev/null
agent_kill9 a
gw_start b --restore "$RUN/a.snap" || { ko "gateway B start"; exit 1; }
group=$(acli b sa list --json | jq -r '.sas[0].group')
check "restore: the group is held in XDP too" \
	test "$(xdp | jq -r ".sas[] | select(.spi == $spi_n) | .group_state")" = hold
d0=$(xdp | jq "[.held_groups[] | select(.group == $group) | .drops] | add // 0")
esp "$spi_n" 5
sleep 0.2
d1=$(xdp | jq "[.held_groups[] | select(.group == $group) | .drops] | add // 0")
check "held: ESP of that IKE SA is dropped in XDP ($((d1 - d0)) of 5)" test "$((d1 - d0))" = 5
e0=$(acli b status --json | jq '.stats.esp_on_natt_dropped // 0')
acli b takeover --all --wait 10 > /dev/null
check "takeover: card jump and XDP release in one operation (group active)" \
	test "$(xdp | jq -r ".sas[] | select(.spi == $spi_n) | .group_state")/$(xdp | jq '.held_groups | length')" = "active/0"
esp "$spi_n" 3
sleep 0.2
e1=$(acli b status --json | jq '.stats.esp_on_natt_dropped // 0')
check "released: ESP passes XDP again (reaches the stack: $((e1 - e0)) of 3)" test "$((e1 - e0))" = 3

echo "rfc6311-xdp: $pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
