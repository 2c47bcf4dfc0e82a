#!/bin/sh
# run.sh BIN_DIR GUEST_DIR WORK_DIR JSON — make bench-vfio.
#
# Round-trip latency of one command (a NOP: doorbell -> card -> completion;
# the card idle before each, see bench/vfio/rtt.c) through libipsecha, in one run: the sim backend on this host, then the
# vfio backend inside the QEMU guest (vfio-pci, intel-iommu, TCG) against a
# fresh ipsecha-card-sim. Prints a table and writes JSON:
#   rtt_us.sim_host.{mean,p50,p99,min}, rtt_us.vfio_guest_tcg.{...},
#   ratio_p50_vfio_guest_vs_sim_host.
# The guest figure is informative: TCG emulates every guest instruction.
set -u
[ $# -eq 4 ] || { echo "usage: $0 BIN_DIR GUEST_DIR WORK_DIR JSON" >&2; exit 2; }
bin=$1 guest=$2 work=$3 json=$4
top=$(cd "$(dirname "$0")/../.." && pwd)
n=${IPSECHA_VFIO_BENCH_N:-2000}
pfx=ipsecha-vfio-$$-bench
sock=/tmp/$pfx.sock shm=/dev/shm/$pfx
sim=""
cleanup() {
	[ -n "$sim" ] && kill "$sim" 2>/dev/null && wait "$sim" 2>/dev/null
	rm -f "$sock" "$shm"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$work" "$(dirname "$json")"

"$bin/ipsecha-card-sim" --socket "$sock" --shm "$shm" --quiet &
sim=$!
i=0
while [ ! -S "$sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
host=$("$bin/ipsecha-vfio-rtt" "sim:$sock" "$n") || { echo "bench-vfio: host run failed" >&2; exit 1; }
kill "$sim"; wait "$sim" 2>/dev/null; sim=""

IPSECHA_VFIO_BENCH_N=$n gout=$("$top/tests/vfio/run-guest.sh" --bench "$bin" "$guest" "$work") ||
	{ echo "$gout" >&2; echo "bench-vfio: guest run failed" >&2; exit 1; }
vm=$(echo "$gout" | grep '^rtt:' | tail -n 1)
[ -n "$vm" ] || { echo "$gout" >&2; echo "bench-vfio: no guest figure" >&2; exit 1; }

field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
printf '%-34s %10s %10s %10s %10s\n' "round trip of one command (us)" mean p50 p99 min
for row in "sim backend, host|$host" "vfio backend, QEMU guest (TCG)|$vm"; do
	name=${row%%|*} r=${row#*|}
	printf '%-34s %10s %10s %10s %10s\n' "$name" "$(field "$r" mean_us)" "$(field "$r" p50_us)" \
		"$(field "$r" p99_us)" "$(field "$r" min_us)"
done
ratio=$(awk -v a="$(field "$vm" p50_us)" -v b="$(field "$host" p50_us)" 'BEGIN { printf "%.2f", a / b }')
echo "ratio p50 vfio-guest / sim-host: $ratio  (n=$n each, $(field "$host" gap_us) us idle before each; guest under TCG: informative)"
cat > "$json" <<JSON
{
  "rtt_us": {
    "sim_host": { "mean": $(field "$host" mean_us), "p50": $(field "$host" p50_us), "p99": $(field "$host" p99_us), "min": $(field "$host" min_us) },
    "vfio_guest_tcg": { "mean": $(field "$vm" mean_us), "p50": $(field "$vm" p50_us), "p99": $(field "$vm" p99_us), "min": $(field "$vm" min_us) }
  },
  "ratio_p50_vfio_guest_vs_sim_host": $ratio,
  "n": $n,
  "gap_us": $(field "$host" gap_us)
}
JSON
echo "bench-vfio: wrote $json"
