#!/bin/sh
# run-guest.sh — the VFIO backend tested through a real kernel.
#
#   run-guest.sh [--bench] BIN_DIR GUEST_DIR WORK_DIR
#
# Starts ipsecha-card-sim (BIN_DIR), boots Debian's kernel under QEMU (TCG,
# q35, intel-iommu, intel_iommu=on) with an initramfs holding busybox, the
# vfio modules and the static guest programs (GUEST_DIR), and with:
#
#   root port 03.0 -- ivshmem-doorbell  -> the card (ipsecha-card-sim's BAR
#                                          and doorbell/interrupt eventfds)
#   root port 05.0 -- PCI bridge -+- ivshmem-plain 1 MiB (no card)
#                                 +- ivshmem-plain 64 KiB  (same IOMMU group)
#   root port 07.0 -- ivshmem-doorbell  -> a second card, started with
#                                          --doorbell register: only the
#                                          doorbell registers wake it, as on
#                                          the real board
#
# The guest binds vfio-pci itself and runs its suites (tests/vfio/
# guest-init.sh); their counts become this run's counts, plus host-side
# checks. Last line: "vfio: N passed, N failed, N skipped"; on any failure
# the whole guest log is shown. Exit status 0 only when nothing failed.
#
# Everything it creates is named ipsecha-vfio-<pid>-* and removed on exit.
set -u
bench=0
if [ "${1:-}" = --bench ]; then
	bench=1
	shift
fi
[ $# -eq 3 ] || { echo "usage: $0 [--bench] BIN_DIR GUEST_DIR WORK_DIR" >&2; exit 2; }
bin=$1 guest=$2 work=$3
here=$(cd "$(dirname "$0")" && pwd)
start=$(date +%s.%N)
pfx=ipsecha-vfio-$$
sock=/tmp/$pfx.sock
shm_card=/dev/shm/$pfx-card
sock_reg=/tmp/$pfx-reg.sock
shm_reg=/dev/shm/$pfx-reg
shm_plain=/dev/shm/$pfx-plain
shm_small=/dev/shm/$pfx-small
sim_pid="" reg_pid="" qemu_pid=""
mkdir -p "$work"
console=$work/console.log results=$work/results.log simlog=$work/card-sim.log
reglog=$work/card-sim-register.log
rm -f "$console" "$results" "$simlog" "$reglog"

cleanup() {
	[ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null
	[ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
	[ -n "$reg_pid" ] && kill "$reg_pid" 2>/dev/null && wait "$reg_pid" 2>/dev/null
	rm -f "$sock" "$shm_card" "$sock_reg" "$shm_reg" "$shm_plain" "$shm_small"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() { # a failure before the guest could report anything
	echo "vfio: setup: $*"
	[ -s "$console" ] && { echo "--- guest console ---"; cat "$console"; }
	echo "vfio: 0 passed, 1 failed, 0 skipped"
	exit 1
}

command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing (apt-get install qemu-system-x86)"
set -- $("$here/find-kernel.sh") || die "no guest kernel"
kernel=$1 kver=$2
for b in vfio-guest-test ipsecha-vfio-rtt ipsecha-conformance; do
	[ -x "$guest/$b" ] || die "$guest/$b not built"
done
cli=""
[ -x "$guest/ipsecha" ] && cli="$guest/ipsecha"   # absent: the guest's cli suite fails
"$here/mkinitramfs.sh" "$work/initramfs.gz" "$kver" "$here/guest-init.sh" \
	"$guest/vfio-guest-test" "$guest/ipsecha-vfio-rtt" "$guest/ipsecha-conformance" $cli ||
	die "building the initramfs failed"

# The cards, before the guest: QEMU connects at start-up.
"$bin/ipsecha-card-sim" --socket "$sock" --shm "$shm_card" --quiet > "$simlog" 2>&1 &
sim_pid=$!
"$bin/ipsecha-card-sim" --socket "$sock_reg" --shm "$shm_reg" --doorbell register --quiet \
	> "$reglog" 2>&1 &
reg_pid=$!
i=0
while { [ ! -S "$sock" ] || [ ! -S "$sock_reg" ]; } && [ $i -lt 100 ]; do
	kill -0 $sim_pid 2>/dev/null || die "ipsecha-card-sim exited: $(cat "$simlog")"
	kill -0 $reg_pid 2>/dev/null || die "ipsecha-card-sim --doorbell register exited: $(cat "$reglog")"
	sleep 0.05
	i=$((i + 1))
done
[ -S "$sock" ] && [ -S "$sock_reg" ] || die "ipsecha-card-sim did not create $sock and $sock_reg"
truncate -s 1M "$shm_plain" && truncate -s 64K "$shm_small" || die "cannot create $shm_plain"

# PCI addresses that follow from the topology below.
dev=0000:01:00.0 plain=0000:03:01.0 small=0000:03:02.0 dbreg=0000:04:00.0
append="console=ttyS0 intel_iommu=on panic=-1 rdinit=/init loglevel=3 quiet"
append="$append ipsecha.dev=$dev ipsecha.plain=$plain ipsecha.small=$small ipsecha.dbreg=$dbreg"
[ $bench = 1 ] && append="$append ipsecha.bench=1 ipsecha.bench_n=${IPSECHA_VFIO_BENCH_N:-2000}"
timeout -k 5 ${IPSECHA_VFIO_TIMEOUT:-85} qemu-system-x86_64 \
	-machine q35 -accel tcg -m 512 -smp 1 -no-reboot \
	-display none -vga none -nic none -monitor none \
	-serial "file:$console" -serial "file:$results" \
	-kernel "$kernel" -initrd "$work/initramfs.gz" -append "$append" \
	-device intel-iommu \
	-device pcie-root-port,id=rp0,chassis=1,addr=03.0 \
	-chardev socket,path="$sock",id=card \
	-device ivshmem-doorbell,chardev=card,vectors=2,bus=rp0 \
	-device pcie-root-port,id=rp1,chassis=2,addr=05.0 \
	-device pci-bridge,id=br,bus=rp1,chassis_nr=3,shpc=off \
	-object memory-backend-file,id=plain,size=1M,mem-path="$shm_plain",share=on \
	-device ivshmem-plain,memdev=plain,bus=br,addr=01.0 \
	-object memory-backend-file,id=small,size=64K,mem-path="$shm_small",share=on \
	-device ivshmem-plain,memdev=small,bus=br,addr=02.0 \
	-device pcie-root-port,id=rp2,chassis=4,addr=07.0 \
	-chardev socket,path="$sock_reg",id=cardreg \
	-device ivshmem-doorbell,chardev=cardreg,vectors=2,bus=rp2 \
	> "$work/qemu.log" 2>&1 &
qemu_pid=$!
wait $qemu_pid
qrc=$?
qemu_pid=""
tr -d '\r' < "$results" > "$results.txt" 2>/dev/null
elapsed=$(echo "$start $(date +%s.%N)" | awk '{ printf "%.1f", $2 - $1 }')

if [ $bench = 1 ]; then
	grep -q '^=== guest-done' "$results.txt" || die "the guest did not finish (qemu exit $qrc)"
	sed -n '/^=== guest-suite bench/,/^=== guest-suite-end/p' "$results.txt" | grep -v '^==='
	exit 0
fi

# What the guest's suites said, in full.
grep -v '^=== guest-' "$results.txt"
echo "--- summary ---"

# Count: per suite, its last "N passed, N failed[, N skipped]" line; a suite
# that exits non-zero without a counted failure, or never ends, fails once.
awk -v qrc="$qrc" '
	/^=== guest-suite / { name = $3; p = f = s = 0; counted = 0; next }
	/^=== guest-suite-end / {
		rc = $4; sub(/^rc=/, "", rc)
		if (!counted && rc == 0) p = 1
		if (rc != 0 && f == 0) f = 1
		printf "  guest suite %-16s %4d passed %4d failed %4d skipped%s\n", name, p, f, s, (f ? "   <-- FAILED" : "")
		P += p; F += f; S += s; name = ""; next }
	/^([A-Za-z0-9_.-]+: )?[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?[[:space:]]*$/ {
		line = $0; sub(/^[A-Za-z0-9_.-]+: /, "", line); n = split(line, x, /[ ,]+/)
		p = x[1]; f = x[3]; s = (n >= 5) ? x[5] : 0; counted = 1; next }
	/^\[  PASSED  \] [0-9]+ test/ { p += $4; counted = 1 }
	/^\[  FAILED  \] [0-9]+ test/ { f += $4; counted = 1 }
	/^\[  SKIPPED \] [0-9]+ test/ { s += $4; counted = 1 }
	/^=== guest-done/ { done = 1 }
	END {
		if (name != "") { printf "  guest suite %s did not finish   <-- FAILED\n", name; F++ }
		if (!done) { print "  the guest did not reach the end of its script   <-- FAILED"; F++ }
		print P + 0, F + 0, S + 0 > "/dev/stderr"
	}' "$results.txt" 2> "$work/counts" | tee "$work/summary"
set -- $(cat "$work/counts")
passed=$1 failed=$2 skipped=$3

# Host-side checks of what the guest did.
host_check() {
	if [ "$2" = 0 ]; then
		echo "ok - host: $1"
		passed=$((passed + 1))
	else
		echo "FAIL - host: $1"
		failed=$((failed + 1))
	fi
}
head -c 4096 "$shm_plain" | grep -q 'ipsecha-vfio-guest-was-here'
host_check "guest write through the vfio BAR mapping is in the host's memory file" $?
kill -0 "$sim_pid" 2>/dev/null
host_check "ipsecha-card-sim survived the guest" $?
kill -0 "$reg_pid" 2>/dev/null
host_check "ipsecha-card-sim --doorbell register survived the guest" $?
[ $qrc = 0 ]
host_check "QEMU exited cleanly (status $qrc, timeout ${IPSECHA_VFIO_TIMEOUT:-85}s)" $?

grep '^latency:' "$results.txt" | sed 's/^/  /'
if [ $failed -ne 0 ]; then
	echo "--- failures ---"
	grep -E '^(FAIL|not ok)' "$results.txt"
	echo "--- guest console ($console) ---"
	tr -d '\r' < "$console"
	echo "--- card-sim log ---"
	cat "$simlog"
	echo "--- card-sim --doorbell register log ---"
	cat "$reglog"
	echo "--- qemu ---"
	cat "$work/qemu.log"
fi
echo "guest kernel $kver, $(qemu-system-x86_64 --version | head -n 1), ${elapsed}s"
echo "vfio: $passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
