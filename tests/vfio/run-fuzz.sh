#!/bin/sh
# run-fuzz.sh FUZZER CORPUS_DIR — the vfio-fuzz suite: replay the seed corpus
# (tests/vfio/fuzz-seeds), then fuzz for $IPSECHA_FUZZ_SECONDS (default 10).
# Crashes are kept in CORPUS_DIR/.. as crash-*.
set -u
fz=$1 corpus=$2
seeds=$(cd "$(dirname "$0")" && pwd)/fuzz-seeds
secs=${IPSECHA_FUZZ_SECONDS:-10}
mkdir -p "$corpus"
pass=0 fail=0
if "$fz" -runs=0 "$seeds" > "$corpus/../replay.log" 2>&1; then
	echo "ok - replay of $(ls "$seeds" | wc -l) seeds"
	pass=$((pass + 1))
else
	echo "FAIL - replay of the seeds"; tail -n 30 "$corpus/../replay.log"
	fail=$((fail + 1))
fi
if "$fz" -max_total_time="$secs" -timeout=5 -rss_limit_mb=1024 -print_final_stats=1 \
	-artifact_prefix="$corpus/../" "$corpus" "$seeds" > "$corpus/../fuzz.log" 2>&1; then
	echo "ok - ${secs}s of fuzzing: $(grep -E '^stat::number_of_executed_units' "$corpus/../fuzz.log" | awk '{print $2}') inputs, corpus $(ls "$corpus" | wc -l)"
	pass=$((pass + 1))
else
	echo "FAIL - fuzzing found a crash:"; tail -n 40 "$corpus/../fuzz.log"
	fail=$((fail + 1))
fi
echo "vfio-fuzz: $pass passed, $fail failed"
[ $fail -eq 0 ]
