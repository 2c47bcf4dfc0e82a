# lib.sh — network namespaces, our agents (peer and gateway members), card
# traffic and captures for the RFC 6311 scenarios (sourced).
#
#   ns ipsh-<pid>-p  peer     192.0.2.1, inner 198.51.100.0/25
#   ns ipsh-<pid>-g  gateway  192.0.2.2, inner 198.51.100.128/25
#                    members A and B run here one after the other (the same
#                    addresses: B takes A's place)
#
# Every name carries the ipsh- prefix (HSH_PREFIX=... for another one, at
# most 5 characters: interface names are 15); hsh_cleanup (EXIT trap)
# removes what was made, also on failure. Only documentation address ranges
# are used.

HSH_TOP=${HSH_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
HSH_BIN=${HSH_BIN:-$HSH_TOP/build/bin}
. "$(dirname "${BASH_SOURCE[0]}")/../lib/strongswan.sh"
AGENT=$HSH_BIN/ipsecha-agent
CLI=$HSH_BIN/ipsecha
HSH_PREFIX=${HSH_PREFIX:-ipsh}
HSH_TAG=$HSH_PREFIX-$$
NSP=$HSH_TAG-p NSG=$HSH_TAG-g
VP=$HSH_PREFIX$$p VG=$HSH_PREFIX$$g
P_OUT=192.0.2.1 G_OUT=192.0.2.2
P_TS=198.51.100.0/25 G_TS=198.51.100.128/25
HSH_PSK=${HSH_PSK:-ipsecha-rfc6311-psk-0123456789}
RUN=${RUN:-$(mktemp -d /tmp/$HSH_TAG-XXXXXX)}
pass=0 fail=0 skip=0
hsh_pids=()

hsh_log() { printf '%s\n' "$*" >&2; }
ok() { echo "PASS $1"; pass=$((pass + 1)); }
ko() { echo "FAIL $1"; [ -n "${2:-}" ] && echo "     $2"; fail=$((fail + 1)); }
sk() { echo "SKIP $1: $2"; skip=$((skip + 1)); }
check() { local name=$1; shift; if "$@"; then ok "$name"; else ko "$name"; fi; }

hsh_cleanup() {
	local p alive
	for p in "${hsh_pids[@]}"; do kill "$p" 2>/dev/null; done
	# An agent deletes its SAs on SIGTERM: give it up to 2 s before -9.
	for _ in $(seq 1 20); do
		alive=0
		for p in "${hsh_pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ $alive = 0 ] && break
		sleep 0.1
	done
	for p in "${hsh_pids[@]}"; do kill -9 "$p" 2>/dev/null; done
	ip netns del "$NSP" 2>/dev/null
	ip netns del "$NSG" 2>/dev/null
	[ -n "${HSH_KEEP:-}" ] || rm -rf "$RUN"
	return 0
}

# Prerequisites that cannot exist here: say why, exit 0 with a skip count.
hsh_need_root() {
	if [ "$(id -u)" != 0 ] || ! ip netns add "$NSP" 2>/dev/null; then
		echo "SKIP network namespaces unavailable (need root): $1"
		echo "$2: 0 passed, 0 failed, 1 skipped"
		exit 0
	fi
	ip netns del "$NSP"
}

hsh_topology() {
	ip netns add "$NSP" && ip netns add "$NSG" || return 1
	ip link add "$VP" type veth peer name "$VG" || return 1
	ip link set "$VP" netns "$NSP"
	ip link set "$VG" netns "$NSG"
	ip -n "$NSP" addr add $P_OUT/24 dev "$VP"
	ip -n "$NSG" addr add $G_OUT/24 dev "$VG"
	for ns in "$NSP" "$NSG"; do ip -n "$ns" link set lo up; done
	ip -n "$NSP" link set "$VP" up
	ip -n "$NSG" link set "$VG" up
	ip -n "$NSP" addr add 198.51.100.1/32 dev lo
	ip -n "$NSG" addr add 198.51.100.129/32 dev lo
	ip netns exec "$NSP" ping -c1 -W2 $G_OUT > /dev/null
}

# agent_conf NAME LOCAL REMOTE LID RID LTS RTS [EXTRA...]: our agent's file.
agent_conf() {
	local n=$1 l=$2 r=$3 lid=$4 rid=$5 lts=$6 rts=$7
	shift 7
	{
		cat <<-EOF
		[global]
		control_socket = $RUN/$n.sock
		keylog = $RUN/$n-keys.log
		log_level = debug
		retransmit_timeout = ${HSH_RETX:-1s}
		retransmit_tries = ${HSH_TRIES:-3}

		[conn gw]
		local = $l
		remote = $r
		local_id = $lid
		remote_id = $rid
		psk = "$HSH_PSK"
		ike = ${HSH_IKE:-aes256gcm16-prfsha256-x25519}
		esp = ${HSH_ESP:-aes256gcm16}
		local_ts = $lts
		remote_ts = $rts
		dpd_interval = 0
		auto = none
		EOF
		for x in "$@"; do echo "$x"; done
	} > "$RUN/$n.conf"
}

cli() { local n=$1; shift; "$CLI" --socket "$RUN/$n.sock" "$@" 2>/dev/null ||
	IPSECHA_AGENT_SOCKET=$RUN/$n.sock "$CLI" "$@"; }
acli() { local n=$1; shift; IPSECHA_AGENT_SOCKET=$RUN/$n.sock "$CLI" "$@"; }

# agent_start NAME NS [args...]: start, wait for the control socket.
agent_start() {
	local n=$1 ns=$2
	shift 2
	# HSH_CPU=N pins the agent to one CPU, HSH_NICE=N sets its nice value
	# (the benchmark)
	ip netns exec "$ns" ${HSH_CPU:+taskset -c "$HSH_CPU"} ${HSH_NICE:+nice -n "$HSH_NICE"} \
		"$AGENT" --config "$RUN/$n.conf" \
		--state-key "$RUN/state.key" "$@" >> "$RUN/$n.log" 2>&1 &
	hsh_pids+=($!)
	eval "pid_$n=$!"
	for _ in $(seq 1 200); do
		acli "$n" status > /dev/null 2>&1 && return 0
		kill -0 $! 2>/dev/null || break
		sleep 0.05
	done
	hsh_log "agent $n did not come up:"; tail -20 "$RUN/$n.log" >&2
	return 1
}

agent_kill9() { local p; eval "p=\$pid_$1"; kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; }

# The embedded card of an agent: its URI from `ipsecha status --json`.
card_of() { acli "$1" status --json | jq -r '.dataplane.card'; }

# sa_json NAME: the first IKE SA of an agent (JSON).
sa_json() { acli "$1" sa list --json | jq -c '.sas[0] // .[0] // empty'; }

# card_tx NAME SLOT COUNT: issue COUNT outbound numbers on a card slot; print
# them one per line.
card_tx() {
	"$CLI" card --dev "$(card_of "$1")" --json dp tx "$2" "$3" |
		jq -r '.results[] | select(.status == "ok") | .seq'
}

# card_rx NAME SLOT SEQ: check+commit a wire number on an inbound slot;
# prints the check status (ok, replay, too-old, ...).
card_rx() {
	"$CLI" card --dev "$(card_of "$1")" --json dp rx "$2" "$3" --commit | jq -r '.check'
}

capture_start() { # NAME NS IF
	swan_capture_start "$RUN/$1.pcapng" "$2" "$3" 'udp port 500 or udp port 4500' \
		"$RUN/$1.cap.pid"
	hsh_pids+=("$swan_pid")
	swan_capture_wait "$RUN/$1.pcapng"
}

capture_stop() { swan_capture_stop "$RUN/$1.cap.pid"; }

# tshark options from key logs (records "keylog TABLE:RECORD" or "TABLE:RECORD").
tshark_opts() { swan_tshark_uat "$@" 2>/dev/null; }

# wait_for CMD...: up to 10 s.
wait_for() {
	for _ in $(seq 1 200); do "$@" && return 0; sleep 0.05; done
	return 1
}

# ---- strongSwan (charon 5.9.8) -------------------------------------------------
CHARON=${CHARON:-/usr/lib/ipsec/charon}

hsh_need_strongswan() {
	local t
	for t in "$CHARON" swanctl tshark; do
		command -v "$t" > /dev/null 2>&1 || [ -x "$t" ] || { echo "$t"; return 1; }
	done
	return 0
}

# charon_conf NAME: strongswan.conf with a private vici socket and logs
# (ike 2 and enc 2 show the RFC 6311 lines).
charon_conf() {
	swan_charon_conf "$RUN/$1" "${HSH_SW_TRIES:-3}" "${HSH_SW_RETX:-2}" 0 '' \
		'ike = 2' 'enc = 2' 'knl = 1' 'cfg = 1'
}

swanctl_() { local n=$1; shift; swan_ctl "$RUN/$n" "$@"; }

# charon_start NAME NS: charon with a private /run inside the namespace.
charon_start() {
	swan_charon_spawn "$RUN/$1" "$2" "$CHARON" ${HSH_CPU:+taskset -c "$HSH_CPU"}
	hsh_pids+=("$swan_pid")
	eval "pid_$1=$swan_pid"
	swan_charon_wait "$RUN/$1"
}

# swanctl_conf NAME LOCAL REMOTE LID RID LTS RTS IKE ESP
swanctl_conf() {
	swan_conn_load "$RUN/$1" ipsh "$HSH_PSK" "${HSH_SW_DPD:-0}" 4h 1h '' "${@:2:8}"
}
