#!/bin/sh
# run-fuzz.sh BINDIR SECONDS — a bounded libFuzzer run of fuzz-xdp (the
# program against the reference model), seeded from tests/xdp/corpus
# (copied: the tree is not written to). One counted case.
set -u
bin=$1 secs=${2:-20}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/ipsx-fuzz-XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
mkdir -p "$work/corpus"
cp "$here"/corpus/* "$work/corpus/"
# A crashing input is kept in build/fuzz-artifacts/ (not the work tree) and
# shown in the log, so a failure in CI can be reproduced.
art=$(cd "$here/../.." && pwd)/build/fuzz-artifacts
mkdir -p "$art"
if "$bin/fuzz-xdp" -max_total_time="$secs" -max_len=1514 -print_final_stats=1 \
	-artifact_prefix="$art/xdp-" "$work/corpus" > "$work/log" 2>&1; then
	runs=$(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$work/log" | grep -o '[0-9]*$')
	cov=$(grep -o 'cov: [0-9]*' "$work/log" | tail -1)
	echo "ok   fuzz-xdp: program and reference model agree on $runs frames in ${secs}s ($cov)"
	grep -m1 "fuzzing the reference model only" "$work/log"
	echo "xdp-fuzz: 1 passed, 0 failed, 0 skipped"
else
	echo "FAIL fuzz-xdp"
	tail -40 "$work/log"
	for f in "$art"/xdp-*; do [ -f "$f" ] && { echo "input $f:"; od -An -tx1 "$f" | head -40; }; done
	echo "xdp-fuzz: 0 passed, 1 failed, 0 skipped"
	exit 1
fi
