#!/bin/sh
# test-cli.sh — `ipsecha card`: every command's human and JSON output, and
# bad input (unknown slot, missing argument, card not running, ABI mismatch).
# Run under tests/card/with-card.sh (IPSECHA_DEV points at a fresh card).
# Ends with "cli: N passed, N failed".
set -u
top=${IPSECHA_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
B=${IPSECHA_BIN:-$top/build/bin/ipsecha}
Q=${JSONQ:-$top/build/bin/jsonq}
SIM=${CARD_SIM:-$top/build/bin/ipsecha-card-sim}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ipsecha-card-test-$$.XXXXXX")
pass=0 fail=0
other_pid=
cleanup() {
	[ -n "$other_pid" ] && kill "$other_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# run NAME WANT_RC CMD... — records stdout/stderr in $tmp/out, $tmp/err
run() {
	name=$1 want=$2; shift 2
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		echo "    $name: exit $rc, expected $want: $*" >&2
		sed 's/^/    | /' "$tmp/err" "$tmp/out" >&2
		return 1
	fi
	return 0
}
has() { grep -q -- "$1" "$tmp/$2" || { echo "    expected '$1' in $2:" >&2; sed 's/^/    | /' "$tmp/$2" >&2; return 1; }; }
jq_is() { v=$("$Q" "$1" <"$tmp/out") || return 1; [ "$v" = "$2" ] || { echo "    $1 = '$v', expected '$2'" >&2; return 1; }; }
one_line_err() { [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q '^ipsecha: ' "$tmp/err" || { echo "    want one 'ipsecha:' line on stderr" >&2; return 1; }; }
t() {
	name=$1; shift
	if "$@"; then pass=$((pass + 1)); echo "ok   $name"; else fail=$((fail + 1)); echo "FAIL $name"; fi
}

c_info() { run info 0 "$B" card info && has "ABI" out && has "slots" out && has "window" out; }
c_info_json() {
	run info-json 0 "$B" card --json info && jq_is abi_version 2.0 && jq_is num_sa 4096 &&
	jq_is num_group 1024 && "$Q" window <"$tmp/out" >/dev/null && jq_is backend sim
}
c_dev_flag() { run dev 0 env -u IPSECHA_DEV "$B" card --dev "$IPSECHA_DEV" --json info && jq_is device "$IPSECHA_DEV"; }
c_install() { run install 0 "$B" card sa install 1 --dir out --group 2 --esn --seq 10 --limit 1000000 --soft-limit 900000 && has "slot 1 installed" out; }
c_install_json() { run install-json 0 "$B" card --json sa install 2 --dir in --group 2 --esn --seq 500 && jq_is installed true && jq_is slot 2; }
c_install_32() { run install-32 0 "$B" card sa install 3 --dir out --group 3 --seq 4294967200 && has "group 3" out; }
c_install_nodir() { run nodir 2 "$B" card sa install 4 --group 2 && has "missing --dir" err && one_line_err; }
c_install_nogroup() { run nogroup 2 "$B" card sa install 4 --dir out && has "missing --group" err; }
c_install_baddir() { run baddir 2 "$B" card sa install 4 --dir sideways --group 2 && has "out' or 'in" err; }
c_install_live() { run live 1 "$B" card sa install 1 --dir out --group 2 --esn && has "already installed" err && one_line_err; }
c_install_esn() { run esn 1 "$B" card sa install 4 --dir out --group 2 && has "ESN mode" err; }
c_install_range() { run range 1 "$B" card sa install 5000 --dir out --group 2 && has "unknown slot 5000" err; }
c_install_limits() { run limits 1 "$B" card sa install 4 --dir out --group 5 --seq 10 --limit 10 && has "out of range" err; }
c_install_inlimit() { run inlimit 2 "$B" card sa install 4 --dir in --group 5 --limit 10 && has "outbound slots only" err; }
c_install_noval() { run noval 2 "$B" card sa install 4 --dir out --group && has "needs a value" err; }
c_read() { run read 0 "$B" card sa read 1 && has "out" out && has "soft limit 900000" out; }
c_read_json() { run read-json 0 "$B" card --json sa read 2 && jq_is dir in && jq_is right_edge 500 && jq_is esn true && "$Q" 'bitmap[]' <"$tmp/out" >/dev/null; }
c_read_free() { run read-free 1 "$B" card sa read 7 && has "slot 7 is not installed" err && one_line_err; }
c_read_nan() { run read-nan 2 "$B" card sa read seven && has "not a number" err; }
c_read_missing() { run read-missing 2 "$B" card sa read && has "missing SLOT" err; }
c_list() { run list 0 "$B" card sa list && has "3 slots" out; }
c_list_json() { run list-json 0 "$B" card --json sa list --group 2 && jq_is count 2 && [ "$("$Q" 'slots[].slot' <"$tmp/out" | tr '\n' ' ')" = "1 2 " ]; }
c_list_badgroup() { run list-bad 1 "$B" card sa list --group 2000 && has "unknown group 2000" err; }
c_dp_tx() { run dp-tx 0 "$B" card dp tx 1 3 && has "3 issued, 3 got" out && has " 11 " out; }
c_dp_tx_json() { run dp-tx-json 0 "$B" card --json dp tx 1 2 && jq_is ok 2 && [ "$("$Q" 'results[].seq' <"$tmp/out" | tr '\n' ' ')" = "14 15 " ]; }
c_dp_tx_free() { run dp-tx-free 1 "$B" card dp tx 7 && has "not installed" err; }
c_dp_tx_in() { run dp-tx-in 1 "$B" card dp tx 2 && has "inbound" err; }
c_dp_tx_count() { run dp-tx-count 2 "$B" card dp tx 1 0 && has "COUNT" err; }
c_dp_rx() { run dp-rx 0 "$B" card dp rx 2 501 --commit && has "check ok, commit ok" out; }
c_dp_rx_json() { run dp-rx-json 0 "$B" card --json dp rx 2 501 && jq_is check replay && jq_is commit none && jq_is seq 501; }
c_dp_rx_missing() { run dp-rx-missing 2 "$B" card dp rx 2 && has "missing SEQ" err; }
c_group_read() { run group-read 0 "$B" card group read 2 && has "1 out, 1 in" out && has "ESN" out; }
c_group_read_json() { run group-read-json 0 "$B" card --json group read 2 && jq_is n_out 1 && jq_is esn true && jq_is held false; }
c_group_add() { run add 0 "$B" card group add 2 100 && has "epoch 1" out; }
c_group_add_json() { run add-json 0 "$B" card --json group add 2 5 && jq_is epoch 2 && jq_is delta 5; }
c_group_add_missing() { run add-missing 2 "$B" card group add 2 && has "missing DELTA" err; }
c_group_add_overflow() { run add-overflow 1 "$B" card group add 3 1000 && has "refused" err && one_line_err; }
c_group_hold() { run hold 0 "$B" card --json group hold 2 && jq_is op hold && jq_is epoch 3; }
c_dp_held() { run dp-held 0 "$B" card --json dp tx 1 && jq_is 'results[].status' held; }
c_group_release() { run release 0 "$B" card group release 2 && has "release: epoch 4" out; }
c_group_add_release() {
	run hold2 0 "$B" card group hold 2 &&
	run add-rel 0 "$B" card --json group add 2 10 --release && jq_is op add+release &&
	run after 0 "$B" card --json dp tx 1 && jq_is 'results[].status' ok && jq_is 'results[].seq' 131
}
c_group_advance() { run advance 0 "$B" card --json group advance 2 50 && jq_is op advance && run rd 0 "$B" card --json sa read 2 && jq_is right_edge 551; }
c_group_unknown() { run group-unknown 1 "$B" card group hold 1024 && has "unknown group 1024" err; }
c_group_badsub() { run group-badsub 2 "$B" card group frobnicate 2 && has "unknown subcommand" err; }
c_readback_group() { run rb-group 0 "$B" card readback --group 2 && has "2 slots" out; }
c_readback_json() { run rb-json 0 "$B" card --json readback --slots 1-3 && jq_is count 3 && jq_is first 1 && [ "$("$Q" 'slots[].last_seq' <"$tmp/out" | head -1)" = 131 ]; }
c_readback_bad() { run rb-bad 2 "$B" card readback --slots 5 && has "A-B" err; }
c_readback_none() { run rb-none 2 "$B" card readback && has "--group G or --slots" err; }
c_events() { run events 0 "$B" card events && has "overflow-refused" out; }
c_events_json() { run add-ovf 1 "$B" card group add 3 2000 && run events-json 0 "$B" card --json events && [ "$("$Q" 'events[].value' <"$tmp/out" | tail -1)" = 2000 ] && jq_is lost 0 && [ "$("$Q" count <"$tmp/out")" -ge 2 ]; }
c_selftest() { run selftest 0 "$B" card selftest && has "selftest passed" out; }
c_selftest_json() { run selftest-json 0 "$B" card --json selftest && jq_is passed true; }
c_remove() { run remove 0 "$B" card sa remove 3 && has "slot 3 removed" out && run gone 1 "$B" card sa read 3; }
c_remove_free() { run remove-free 1 "$B" card sa remove 3 && has "not installed" err; }
c_remove_json() { run remove-json 0 "$B" card --json sa remove 2 && jq_is removed true; }
c_unknown() { run unknown 2 "$B" card frobnicate && has "unknown command" err; }
c_noargs() { run noargs 2 "$B" card && has "usage" err; }
c_help() { run help 0 "$B" card --help && has "readback (--group G | --slots A-B)" out; }
c_not_running() {
	run notrunning 1 "$B" card --dev "sim:$tmp/none.sock" info && has "card not running" err && one_line_err
}
c_vfio_nodev() {
	# Only sysfs is read: no such domain exists, nothing is touched.
	run vfio-nodev 1 "$B" card --dev vfio:fffe:ff:1f.7 info && has "no such PCI device" err && one_line_err
}
c_vfio_badaddr() { run vfio-badaddr 1 "$B" card --dev vfio:garbage info && has "bad vfio: address" err && one_line_err; }
c_default_dev() {
	if [ -e /tmp/ipsecha-card-default.sock ]; then
		echo "    (a default card runs on this machine: checked the message only)"
		run default 0 env -u IPSECHA_DEV "$B" card --json info
		return
	fi
	run default 1 env -u IPSECHA_DEV "$B" card info && has "/tmp/ipsecha-card-default.sock" err
}
c_abi_mismatch() {
	"$SIM" --socket "$tmp/abi.sock" --shm /dev/shm/ipsecha-card-test-$$-abi --abi 9.0 -q &
	other_pid=$!
	i=0
	while [ ! -S "$tmp/abi.sock" ] && [ $i -lt 200 ]; do sleep 0.02; i=$((i + 1)); done
	run abi 1 "$B" card --dev "sim:$tmp/abi.sock" info && has "ABI" err && has "refusing" err && one_line_err
	r=$?
	kill "$other_pid"; wait "$other_pid" 2>/dev/null; other_pid=
	return $r
}

c_trace() {
	if ! "$SIM" --help | grep -q 'rtl'; then
		echo "    skipped: this card-sim was built without the rtl engine (no waveform)"
		return 0
	fi
	"$SIM" --socket "$tmp/tr.sock" --shm /dev/shm/ipsecha-card-test-$$-tr --trace "$tmp/card.vcd" -q &
	other_pid=$!
	i=0
	while [ ! -S "$tmp/tr.sock" ] && [ $i -lt 200 ]; do sleep 0.02; i=$((i + 1)); done
	run trace 0 "$B" card --dev "sim:$tmp/tr.sock" selftest
	r=$?
	kill "$other_pid"; wait "$other_pid"; w=$?; other_pid=
	[ $r -eq 0 ] && [ $w -eq 0 ] && grep -q 'timescale' "$tmp/card.vcd" && [ "$(wc -c <"$tmp/card.vcd")" -gt 10000 ]
}

for c in c_info c_info_json c_dev_flag c_install c_install_json c_install_32 c_install_nodir \
	c_install_nogroup c_install_baddir c_install_live c_install_esn c_install_range \
	c_install_limits c_install_inlimit c_install_noval c_read c_read_json c_read_free c_read_nan \
	c_read_missing c_list c_list_json c_list_badgroup c_dp_tx c_dp_tx_json c_dp_tx_free c_dp_tx_in \
	c_dp_tx_count c_dp_rx c_dp_rx_json c_dp_rx_missing c_group_read c_group_read_json c_group_add \
	c_group_add_json c_group_add_missing c_group_add_overflow c_group_hold c_dp_held \
	c_group_release c_group_add_release c_group_advance c_group_unknown c_group_badsub \
	c_readback_group c_readback_json c_readback_bad c_readback_none c_events c_events_json \
	c_selftest c_selftest_json c_remove c_remove_free c_remove_json c_unknown c_noargs c_help \
	c_not_running c_vfio_nodev c_vfio_badaddr c_default_dev c_abi_mismatch c_trace; do
	t "${c#c_}" "$c"
done
echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
