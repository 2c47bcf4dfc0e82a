# lib.sh — network namespaces, strongSwan instances, captures and key
# extraction for the interop tests (sourced by the test scripts).
#
#   $IPSI_PREFIX-a (192.0.2.1) ==== veth ==== $IPSI_PREFIX-b (192.0.2.2)
#   inner 198.51.100.1/32 on lo        inner 198.51.100.129/32 on lo
#   traffic selectors 198.51.100.0/25 <-> 198.51.100.128/25
#
# With NAT (IPSI_NAT=1) a third namespace routes and masquerades:
#   -a (203.0.113.2) == -n (203.0.113.1 | 192.0.2.254) == -b (192.0.2.2)
#
# Everything is named $IPSI_PREFIX-* (default ipsi-) and removed by
# ipsi_cleanup (installed as an EXIT trap by ipsi_init). Only documentation
# address ranges are used.

IPSI_TOP=${IPSI_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
IPSI_BIN=${IPSI_BIN:-$IPSI_TOP/build/bin}
. "$(dirname "${BASH_SOURCE[0]}")/../lib/strongswan.sh"
# Every namespace and interface name starts with $IPSI_PREFIX (default
# ipsi), so that runs with different prefixes never touch each other.
IPSI_PREFIX=${IPSI_PREFIX:-ipsi}
IPSI_NS_A=$IPSI_PREFIX-a IPSI_NS_B=$IPSI_PREFIX-b IPSI_NS_N=$IPSI_PREFIX-n
IPSI_IF_VA=$IPSI_PREFIX-va IPSI_IF_VB=$IPSI_PREFIX-vb
IPSI_IF_NA=$IPSI_PREFIX-na IPSI_IF_NB=$IPSI_PREFIX-nb
IPSI_RUN=${IPSI_RUN:-/tmp/$IPSI_PREFIX-run}
IPSI_CHARON=${IPSI_CHARON:-/usr/lib/ipsec/charon}
IPSI_PSK=${IPSI_PSK:-ipsecha-interop-psk-0123456789}
A_OUT=192.0.2.1
B_OUT=192.0.2.2
A_IN=198.51.100.1
B_IN=198.51.100.129
A_TS=198.51.100.0/25
B_TS=198.51.100.128/25

ipsi_log() { printf '%s\n' "$*" >&2; }

# Prerequisites that can be missing on a machine: say why and exit 77.
ipsi_need() {
	[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (network namespaces)"; exit 77; }
	for t in ip tshark swanctl jq "$IPSI_CHARON"; do
		command -v "$t" >/dev/null 2>&1 || [ -x "$t" ] || {
			echo "SKIP: $t not installed (tools/deps.txt lists it)"; exit 77; }
	done
	ip netns add $IPSI_PREFIX-probe 2>/dev/null || {
		echo "SKIP: cannot create network namespaces here"; exit 77; }
	ip netns del $IPSI_PREFIX-probe
}

ipsi_cleanup() {
	for pidf in "$IPSI_RUN"/*/pid "$IPSI_RUN"/*.pid; do
		[ -f "$pidf" ] || continue
		pid=$(cat "$pidf")
		kill "$pid" 2>/dev/null
	done
	sleep 0.2
	for pidf in "$IPSI_RUN"/*/pid "$IPSI_RUN"/*.pid; do
		[ -f "$pidf" ] || continue
		kill -9 "$(cat "$pidf")" 2>/dev/null
		rm -f "$pidf"
	done
	for ns in $IPSI_NS_A $IPSI_NS_B $IPSI_NS_N; do
		ip netns del "$ns" 2>/dev/null
	done
	return 0
}

ipsi_init() {
	ipsi_cleanup
	rm -rf "$IPSI_RUN"
	mkdir -p "$IPSI_RUN"
	chmod 700 "$IPSI_RUN"
	trap 'ipsi_cleanup' EXIT
	trap 'exit 130' INT TERM
}

ipsi_ns_lo() {
	ip -n "$1" link set lo up
	ip -n "$1" addr add "$2/32" dev lo
}

# Two namespaces on one veth, or three with a masquerading NAT between.
ipsi_topology() {
	ip netns add $IPSI_NS_A
	ip netns add $IPSI_NS_B
	if [ "${IPSI_NAT:-0}" = 1 ]; then
		A_OUT=203.0.113.2
		ip netns add $IPSI_NS_N
		ip link add $IPSI_IF_VA type veth peer name $IPSI_IF_NA
		ip link add $IPSI_IF_VB type veth peer name $IPSI_IF_NB
		ip link set $IPSI_IF_VA netns $IPSI_NS_A
		ip link set $IPSI_IF_NA netns $IPSI_NS_N
		ip link set $IPSI_IF_NB netns $IPSI_NS_N
		ip link set $IPSI_IF_VB netns $IPSI_NS_B
		ip -n $IPSI_NS_A addr add 203.0.113.2/24 dev $IPSI_IF_VA
		ip -n $IPSI_NS_N addr add 203.0.113.1/24 dev $IPSI_IF_NA
		ip -n $IPSI_NS_N addr add 192.0.2.254/24 dev $IPSI_IF_NB
		ip -n $IPSI_NS_B addr add 192.0.2.2/24 dev $IPSI_IF_VB
		for l in $IPSI_IF_NA $IPSI_IF_NB lo; do ip -n $IPSI_NS_N link set "$l" up; done
		ip -n $IPSI_NS_A link set $IPSI_IF_VA up
		ip -n $IPSI_NS_B link set $IPSI_IF_VB up
		ip -n $IPSI_NS_A route add default via 203.0.113.1
		ip -n $IPSI_NS_B route add 203.0.113.0/24 via 192.0.2.254
		ip netns exec $IPSI_NS_N sysctl -qw net.ipv4.ip_forward=1
		ip netns exec $IPSI_NS_N nft -f - <<-NFT
		table ip ipsi-nat {
			chain post {
				type nat hook postrouting priority srcnat; policy accept;
				oifname "$IPSI_IF_NB" masquerade
			}
		}
		NFT
		IPSI_CAP_NS=$IPSI_NS_B IPSI_CAP_IF=$IPSI_IF_VB
	else
		ip link add $IPSI_IF_VA type veth peer name $IPSI_IF_VB
		ip link set $IPSI_IF_VA netns $IPSI_NS_A
		ip link set $IPSI_IF_VB netns $IPSI_NS_B
		ip -n $IPSI_NS_A addr add 192.0.2.1/24 dev $IPSI_IF_VA
		ip -n $IPSI_NS_B addr add 192.0.2.2/24 dev $IPSI_IF_VB
		ip -n $IPSI_NS_A link set $IPSI_IF_VA up
		ip -n $IPSI_NS_B link set $IPSI_IF_VB up
		IPSI_CAP_NS=$IPSI_NS_B IPSI_CAP_IF=$IPSI_IF_VB
	fi
	ipsi_ns_lo $IPSI_NS_A "$A_IN"
	ipsi_ns_lo $IPSI_NS_B "$B_IN"
	ip netns exec $IPSI_NS_A ping -c1 -W2 "$B_OUT" >/dev/null ||
		{ ipsi_log "topology: no IP connectivity"; return 1; }
}

# ---- strongSwan and capture (tests/lib/strongswan.sh) ---------------------

# ipsi_charon_conf NAME: writes $IPSI_RUN/NAME/strongswan.conf, with the
# level-4 key dump in keys.log (ipsi_charon_keys reads it).
ipsi_charon_conf() {
	swan_charon_conf "$IPSI_RUN/$1" "${IPSI_RETRANSMIT_TRIES:-3}" \
		"${IPSI_RETRANSMIT_TIMEOUT:-2}" 1 "${IPSI_CHARON_EXTRA:-}" \
		'ike = 2' 'knl = 1' 'cfg = 2'
}

# ipsi_charon_start NAME NS: charon with a private /run in NS ($IPSI_PIN, if
# set, is a command prefix such as "taskset -c 1"); its pid in NAME/pid,
# where ipsi_cleanup finds it.
ipsi_charon_start() {
	# shellcheck disable=SC2086
	swan_charon_spawn "$IPSI_RUN/$1" "$2" "$IPSI_CHARON" ${IPSI_PIN:-}
	echo "$swan_pid" > "$IPSI_RUN/$1/pid"
	swan_charon_wait "$IPSI_RUN/$1"
}

swanctl_() { local n=$1; shift; swan_ctl "$IPSI_RUN/$n" "$@"; }

# ipsi_swanctl_conf NAME LOCAL REMOTE LID RID LTS RTS IKE ESP [EXTRA_CHILD]
ipsi_swanctl_conf() {
	swan_conn_load "$IPSI_RUN/$1" ipsi "$IPSI_PSK" "${IPSI_DPD:-0}" \
		"${IPSI_IKE_REKEY:-4h}" "${IPSI_CHILD_REKEY:-1h}" "${10:-}" "${@:2:8}"
}

# ipsi_capture_start NAME: IKE and ESP on $IPSI_CAP_IF into $IPSI_RUN/NAME.pcapng.
ipsi_capture_start() {
	swan_capture_start "$IPSI_RUN/$1.pcapng" "$IPSI_CAP_NS" "$IPSI_CAP_IF" \
		'udp port 500 or udp port 4500 or esp' "$IPSI_RUN/$1.pid"
	swan_capture_wait "$IPSI_RUN/$1.pcapng"
}

ipsi_capture_stop() { swan_capture_stop "$IPSI_RUN/$1.pid"; }

# ---- charon's level-4 key dump ---------------------------------------------
# ipsi_charon_keys NAME: "label hex" lines, in order, from keys.log, e.g.
#   Sk_ei 0123...      (multi-line hex dumps joined)
ipsi_charon_keys() {
	awk '
	/=> [0-9]+ bytes/ {
		if (label != "") print label, hex
		match($0, /\] [^=]+=>/)
		label = substr($0, RSTART + 2, RLENGTH - 5)
		sub(/^[ \t]+/, "", label); sub(/[ \t]+$/, "", label)
		gsub(/ /, "_", label)
		hex = ""; next
	}
	label != "" && /^([0-9:]+ )?[0-9]+\[[A-Z]+\] +[0-9]+: / {
		line = $0
		sub(/^([0-9:]+ )?[0-9]+\[[A-Z]+\] +[0-9]+: /, "", line)
		line = substr(line, 1, 47)
		gsub(/ /, "", line)
		hex = hex tolower(line); next
	}
	{ if (label != "") print label, hex; label = "" }
	END { if (label != "") print label, hex }' "$IPSI_RUN/$1/keys.log"
}

# ---- capture analysis ------------------------------------------------------

# ipsi_sa_init_inputs CAP: prints "SPIi SPIr Ni Nr" of the last completed
# IKE_SA_INIT (the response that carries a nonce and its request).
ipsi_sa_init_inputs() {
	tshark -r "$1" -Y 'isakmp.exchangetype == 34 && isakmp.nonce' \
		-T fields -e isakmp.ispi -e isakmp.rspi -e isakmp.flags \
		-e isakmp.nonce 2>/dev/null | awk '
	{ gsub(/:/, "") }
	# flags 0x08 initiator, 0x20 response: the second hex digit of
	# "0x20"/"0x28" is 2 for responses (mawk has no bit operations).
	substr($3, 3, 1) !~ /[2367abef]/ { ni = $4; next }
	{ spii = $1; spir = $2; nr = $4 }
	END { if (spii != "" && ni != "") print spii, spir, ni, nr }'
}

# ipsi_first KEYFILE LABEL [N]: hex of the N-th (default 1st) occurrence.
ipsi_first() {
	awk -v l="$2" -v n="${3:-1}" '$1 == l && ++c == n { print $2; exit }' "$1"
}

# ipsi_compare OURS THEIRS LABELS...: each label's first value must match.
ipsi_compare() {
	ours=$1 theirs=$2; shift 2
	bad=0
	for l in "$@"; do
		a=$(ipsi_first "$ours" "$l") b=$(ipsi_first "$theirs" "$l")
		if [ -z "$a" ] || [ "$a" != "$b" ]; then
			ipsi_log "  $l: ours=${a:-none} charon=${b:-none}"
			bad=1
		fi
	done
	return $bad
}

# ipsi_tshark_opts KEYLOG: tshark arguments (one per line) from key log
# records (lines "keylog TABLE:RECORD" or "TABLE:RECORD").
ipsi_tshark_opts() {
	swan_tshark_uat "$1"
	printf '%s\n' -o esp.enable_encryption_decode:TRUE \
		-o esp.enable_authentication_check:TRUE
}

# ipsi_check_decrypt CAP KEYLOG: every encrypted IKE message decrypts (its
# inner payloads parse), every
# ESP packet decrypts with a good ICV, and no malformed/error expert info.
# Prints a one-line summary; returns non-zero on any failure.
ipsi_check_decrypt() {
	mapfile -t o < <(ipsi_tshark_opts "$2")
	out=$(tshark -r "$1" "${o[@]}" -T fields -e frame.number \
		-e isakmp.exchangetype -e isakmp.enc.decrypted -e esp.spi \
		-e esp.icv_good -e _ws.malformed -e _ws.expert.severity \
		-e isakmp.auth.method -e isakmp.nonce \
		2>/dev/null | awk -F'\t' '
		# Decrypted means the inner payloads parsed: AUTH in IKE_AUTH,
		# a nonce in CREATE_CHILD_SA, decrypted data in INFORMATIONAL
		# (a wrong key shows up as an error expert info there).
		$2 == 35 { sk++; if ($8 != "") dec++ }
		$2 == 36 { sk++; if ($9 != "") dec++ }
		$2 == 37 { sk++; if ($3 != "") dec++ }
		$4 != "" { esp++; if ($5 == "1" || $5 == "True") good++ }
		$6 != "" { mal++ }
		$7 ~ /8388608/ { err++ }
		END { printf "ike-encrypted=%d decrypted=%d esp=%d icv-good=%d malformed=%d errors=%d\n",
			sk, dec, esp, good, mal, err }')
	ipsi_log "  tshark: $out"
	echo "$out" | awk -v need_esp="${IPSI_NEED_ESP:-1}" '{
		n = split($0, f, /[ =]/)
		sk = f[2]; dec = f[4]; esp = f[6]; good = f[8]; mal = f[10]; err = f[12]
		ok = sk > 0 && sk == dec && esp == good && mal == 0 && err == 0
		if (need_esp == 1 && esp == 0) ok = 0
		exit !ok }'
}
