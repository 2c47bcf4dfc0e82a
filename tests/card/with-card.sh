#!/bin/sh
# with-card.sh [--engine KIND] [--abi M.m] [--doorbell MODE] CMD [ARGS...]
#
# Start a private ipsecha-card-sim, run CMD with IPSECHA_DEV=sim:SOCKET (and
# CARD_SOCK, CARD_PID) in the environment, then stop the card with SIGTERM
# and require a clean exit. The card's socket and BAR file carry the
# prefix ipsecha-card-test-<pid>; they are removed on every path.
# Exit status: CMD's, or 1 if the card failed to start or stop cleanly.
set -u
top=${IPSECHA_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
sim=${CARD_SIM:-$top/build/bin/ipsecha-card-sim}
eargs=""
while [ $# -gt 0 ]; do
	case $1 in
	--engine) eargs="$eargs --engine $2"; shift 2 ;;
	--abi) eargs="$eargs --abi $2"; shift 2 ;;
	--doorbell) eargs="$eargs --doorbell $2"; shift 2 ;;
	*) break ;;
	esac
done
tag=ipsecha-card-test-$$
CARD_SOCK=${TMPDIR:-/tmp}/$tag.sock
shm=/dev/shm/$tag
log=${TMPDIR:-/tmp}/$tag.log
cleanup() {
	[ -n "${CARD_PID:-}" ] && kill "$CARD_PID" 2>/dev/null
	rm -f "$CARD_SOCK" "$shm" "$log"
}
trap cleanup EXIT INT TERM
# shellcheck disable=SC2086
"$sim" --socket "$CARD_SOCK" --shm "$shm" $eargs >"$log" 2>&1 &
CARD_PID=$!
i=0
until [ -S "$CARD_SOCK" ] && grep -q ready "$log" 2>/dev/null; do
	i=$((i + 1))
	if [ $i -gt 300 ] || ! kill -0 "$CARD_PID" 2>/dev/null; then
		echo "with-card: ipsecha-card-sim did not start:" >&2
		cat "$log" >&2
		exit 1
	fi
	sleep 0.02
done
head -1 "$log"
export IPSECHA_DEV="sim:$CARD_SOCK" CARD_SOCK CARD_PID
"$@"
rc=$?
kill -TERM "$CARD_PID"
wait "$CARD_PID"
crc=$?
CARD_PID=
if [ $crc -ne 0 ]; then
	echo "with-card: ipsecha-card-sim exited with status $crc after SIGTERM" >&2
	cat "$log" >&2
	[ $rc -eq 0 ] && rc=1
fi
if [ -e "$CARD_SOCK" ] || [ -e "$shm" ]; then
	echo "with-card: the card left $CARD_SOCK or $shm behind" >&2
	[ $rc -eq 0 ] && rc=1
fi
exit $rc
