# agent.sh — phase 2 of run-interop: our ipsecha-agent against charon.
# Sourced; uses lib.sh and the helpers of run-interop.
#
# The agent side is driven only through its public interfaces:
#   build/bin/ipsecha-agent --config FILE      (foreground)
#   IPSECHA_SOCKET=PATH build/bin/ipsecha initiate CONN | sa list --json
# and its key log (agent/keylog) decrypts the capture. The small functions
# below are the only place that knows those command lines.

agent_bin=$IPSI_BIN/ipsecha-agent
cli_bin=$IPSI_BIN/ipsecha

agent_conf() { # NAME NS LOCAL REMOTE LID RID LTS RTS IKE ESP AUTO
	d=$IPSI_RUN/$1
	mkdir -p "$d"
	cat > "$d/agent.conf" <<-EOF2
	[global]
	control_socket = $d/agent.sock
	keylog = $d/agent-keys.log
	log_level = debug

	[conn ipsi]
	local = $3
	remote = $4
	local_id = $5
	remote_id = $6
	psk = "$IPSI_PSK"
	ike = $9
	esp = ${10}
	local_ts = $7
	remote_ts = $8
	encap = yes
	auto = ${11}
	EOF2
}

# The embedded simulated card needs build/bin/ipsecha-card-sim; without it
# the agent runs IKE only (--no-card) and says so here.
agent_card_args() {
	if [ -x "$IPSI_BIN/ipsecha-card-sim" ]; then
		return 0
	fi
	ipsi_log "  note: $IPSI_BIN/ipsecha-card-sim not built: agent runs with --no-card"
	echo --no-card
}

agent_start() { # NAME NS
	d=$IPSI_RUN/$1
	# shellcheck disable=SC2046
	ip netns exec "$2" "$agent_bin" --config "$d/agent.conf" \
		$(agent_card_args) > "$d/agent.log" 2>&1 &
	echo $! > "$d/pid"
	for _ in $(seq 1 100); do
		[ -S "$d/agent.sock" ] && return 0
		kill -0 "$(cat "$d/pid")" 2>/dev/null || break
		sleep 0.05
	done
	ipsi_log "agent $1 did not come up:"; tail -20 "$d/agent.log" >&2
	return 1
}

agent_cli() { # NAME ARGS...
	n=$1; shift
	IPSECHA_SOCKET="$IPSI_RUN/$n/agent.sock" "$cli_bin" "$@"
}

agent_stop() {
	[ -f "$IPSI_RUN/$1/pid" ] && kill "$(cat "$IPSI_RUN/$1/pid")" 2>/dev/null
	sleep 0.2
}

# agent_phase_ready WHAT: the agent and its CLI are built (else a skip) and
# the two namespaces are up.
agent_phase_ready() {
	if [ ! -x "$agent_bin" ] || [ ! -x "$cli_bin" ]; then
		skip "agent $1: $agent_bin not built"
		return 1
	fi
	if ! ip netns list | grep -qx "$IPSI_NS_A\( .*\)\?"; then
		ipsi_topology || { bad "topology"; return 1; }
	fi
}

# agent_reset: the previous step's charon and agent stopped, their files gone.
agent_reset() {
	for n in a b; do
		[ -f "$IPSI_RUN/$n/pid" ] && kill "$(cat "$IPSI_RUN/$n/pid")" 2>/dev/null
	done
	sleep 0.3
	rm -rf "$IPSI_RUN/a" "$IPSI_RUN/b"
}

# agent_vs_charon ROLE IKE_CHARON IKE_OURS ESP: after agent_reset, a started
# charon and the configuration of our agent (not started: callers adjust
# it), identities a@/b@ipsi.test. ROLE is our agent's: responder = charon
# in A initiates to our agent in B; initiator = our agent in A, charon in B
# answering %any. IPSI_CHARON_EXTRA and IPSI_DPD pass through to charon.
agent_vs_charon() {
	agent_reset
	if [ "$1" = responder ]; then
		ipsi_charon_conf a && ipsi_charon_start a "$IPSI_NS_A" || return 1
		ipsi_swanctl_conf a "$A_OUT" "$B_OUT" a@ipsi.test b@ipsi.test "$A_TS" "$B_TS" "$2" "$4"
		agent_conf b "" "$B_OUT" "$A_OUT" b@ipsi.test a@ipsi.test "$B_TS" "$A_TS" "$3" "$4" none
	else
		ipsi_charon_conf b && ipsi_charon_start b "$IPSI_NS_B" || return 1
		ipsi_swanctl_conf b "$B_OUT" "%any" b@ipsi.test a@ipsi.test "$B_TS" "$A_TS" "$2" "$4"
		agent_conf a "" "$A_OUT" "$B_OUT" a@ipsi.test b@ipsi.test "$A_TS" "$B_TS" "$3" "$4" none
	fi
}

# charon's vici names -> our proposal keywords.
kw_of() {
	case $1 in
	AES_CBC) echo "aes$2" ;;
	AES_GCM_16) echo "aes${2}gcm16" ;;
	HMAC_SHA2_256_128) echo sha256 ;;
	HMAC_SHA2_384_192) echo sha384 ;;
	HMAC_SHA2_512_256) echo sha512 ;;
	PRF_HMAC_SHA2_256) echo prfsha256 ;;
	PRF_HMAC_SHA2_384) echo prfsha384 ;;
	PRF_HMAC_SHA2_512) echo prfsha512 ;;
	MODP_2048) echo modp2048 ;;
	ECP_256) echo ecp256 ;;
	ECP_384) echo ecp384 ;;
	CURVE_25519) echo x25519 ;;
	*) echo "?$1" ;;
	esac
}

rawval() { echo "$raw" | grep -o "$1=[^ }]*" | head -1 | cut -d= -f2; }
jsonval() { echo "$json" | grep -o "\"$1\":\"[^\"]*\"" | head -1 | cut -d'"' -f4; }

# charon's view (swanctl --list-sas --raw) and ours (ipsecha sa list
# --json) of the first IKE SA and its first Child SA must agree: both IKE
# SPIs, the Child SPIs crosswise (our inbound = charon's outbound), and the
# negotiated algorithms of both.
compare_sas() { # CHARON AGENT (files named after $tag)
	local raw all json bad=0 want got integ dh
	all=$(swanctl_ "$1" --list-sas --raw 2>/dev/null)
	# The IKE SA's own fields come before its child-sas; charon keeps a
	# rekeyed Child SA a while (state DELETED): the INSTALLED one counts.
	raw=${all%%child-sas*}
	json=$(agent_cli "$2" sa list --json 2>/dev/null) || return 1
	echo "$json" > "$IPSI_RUN/sa-list.$tag.json"
	echo "$all" > "$IPSI_RUN/list-sas.$tag.raw"
	pair() { # WHAT OURS THEIRS
		if [ -z "$2" ] || [ "$2" != "$3" ]; then
			ipsi_log "  $1: ours=${2:-none} charon=${3:-none}"; bad=1
		fi
	}
	pair "IKE SPIi" "$(jsonval spi_i)" "$(rawval initiator-spi)"
	pair "IKE SPIr" "$(jsonval spi_r)" "$(rawval responder-spi)"
	# IKE: encr[-integ]-prf-dh
	want=$(kw_of "$(rawval encr-alg)" "$(rawval encr-keysize)")
	integ=$(rawval integ-alg)
	[ -n "$integ" ] && want="$want-$(kw_of "$integ")"
	want="$want-$(kw_of "$(rawval prf-alg)")-$(kw_of "$(rawval dh-group)")"
	pair "IKE algorithms" "$(jsonval ike)" "$want"
	# Child: the (last) INSTALLED Child SA of the first IKE SA.
	raw=$(echo "${all#*child-sas}" | grep -o 'net-[0-9]* {[^}]*}' | grep 'state=INSTALLED' | tail -1)
	pair "Child SPI in/out" "$(jsonval spi_in)" "$(rawval spi-out)"
	pair "Child SPI out/in" "$(jsonval spi_out)" "$(rawval spi-in)"
	want=$(kw_of "$(rawval encr-alg)" "$(rawval encr-keysize)")
	integ=$(rawval integ-alg)
	[ -n "$integ" ] && want="$want-$(kw_of "$integ")"
	dh=$(rawval dh-group)
	[ -n "$dh" ] && want="$want-$(kw_of "$dh")"
	got=$(jsonval esp)
	pair "ESP algorithms" "${got%-noesn}" "$want"
	return $bad
}

agent_combo() { # ROLE NAME IKE ESP
	local role=$1 name=$2 ike=$3 esp=$4 ida idb ours theirs n
	read -r ida idb <<< "$(ids_for "$name")"
	echo "--- agent $role $name: ike=$ike esp=$esp ids=$ida/$idb"
	for n in a b; do
		[ -f "$IPSI_RUN/$n/pid" ] && kill "$(cat "$IPSI_RUN/$n/pid")" 2>/dev/null
	done
	sleep 0.3
	rm -rf "$IPSI_RUN/a" "$IPSI_RUN/b"
	if [ "$role" = responder ]; then
		# charon a initiates to our agent b.
		ipsi_charon_conf a && ipsi_charon_start a $IPSI_NS_A ||
			{ bad "agent $role $name: charon start"; return; }
		ipsi_swanctl_conf a "$A_OUT" "$B_OUT" "$ida" "$idb" \
			"$A_TS" "$B_TS" "$ike" "$esp"
		agent_conf b $IPSI_NS_B "$B_OUT" "${AGENT_REMOTE:-$A_OUT}" "$idb" "$ida" \
			"$B_TS" "$A_TS" "$ike" "$esp" none
		agent_start b $IPSI_NS_B || { bad "agent $role $name: agent start"; return; }
		ipsi_capture_start "ag-$role-$name"
		swanctl_ a --initiate --child net --timeout 10 > /dev/null 2>&1
		ours=b theirs=a
	else
		# our agent a initiates to charon b.
		ipsi_charon_conf b && ipsi_charon_start b $IPSI_NS_B ||
			{ bad "agent $role $name: charon start"; return; }
		ipsi_swanctl_conf b "$B_OUT" "%any" "$idb" "$ida" \
			"$B_TS" "$A_TS" "$ike" "$esp"
		agent_conf a $IPSI_NS_A "$A_OUT" "$B_OUT" "$ida" "$idb" \
			"$A_TS" "$B_TS" "$ike" "$esp" none
		agent_start a $IPSI_NS_A || { bad "agent $role $name: agent start"; return; }
		ipsi_capture_start "ag-$role-$name"
		agent_cli a initiate ipsi > /dev/null 2>&1
		sleep 1
		ours=a theirs=b
	fi
	check "agent $role $name: established (charon's view)" established "$theirs"
	tag=$role-$name check "agent $role $name: swanctl --list-sas = ipsecha sa list --json" \
		compare_sas "$theirs" "$ours"
	ipsi_capture_stop "ag-$role-$name"
	IPSI_NEED_ESP=0 check "agent $role $name: tshark decrypts with the agent's key log" \
		ipsi_check_decrypt "$IPSI_RUN/ag-$role-$name.pcapng" \
		"$IPSI_RUN/$ours/agent-keys.log"
	agent_stop "$ours"
}

# charon logs every IKE SA it completes, rekeyed ones included.
ike_rekeyed() {
	[ "$(grep -c 'IKE_SA ipsi\[[0-9]*\] state change: CONNECTING => ESTABLISHED' "$1")" -ge 2 ]
}

# Rekeys, DPD and deletes with our agent in ROLE, on one combination.
# Our side rekeys on its own timers (child_rekey 4s) and sends DPD every
# second; charon rekeys the Child and the IKE SA on command.
agent_lifecycle() { # ROLE
	local role=$1 ike=aes128-sha256-ecp256 esp=aes128-sha256-ecp256 ours theirs n
	echo "--- agent $role lifecycle: ike=$ike esp=$esp (PFS)"
	for n in a b; do
		[ -f "$IPSI_RUN/$n/pid" ] && kill "$(cat "$IPSI_RUN/$n/pid")" 2>/dev/null
	done
	sleep 0.3
	rm -rf "$IPSI_RUN/a" "$IPSI_RUN/b"
	if [ "$role" = responder ]; then ours=b theirs=a; else ours=a theirs=b; fi
	ipsi_charon_conf $theirs && ipsi_charon_start $theirs $IPSI_PREFIX-$theirs ||
		{ bad "agent $role lifecycle: charon start"; return; }
	if [ "$role" = responder ]; then
		ipsi_swanctl_conf a "$A_OUT" "$B_OUT" a@ipsi.test b@ipsi.test \
			"$A_TS" "$B_TS" "$ike" "$esp"
		agent_conf b $IPSI_NS_B "$B_OUT" "$A_OUT" b@ipsi.test a@ipsi.test \
			"$B_TS" "$A_TS" "$ike" "$esp" none
	else
		ipsi_swanctl_conf b "$B_OUT" "%any" b@ipsi.test a@ipsi.test \
			"$B_TS" "$A_TS" "$ike" "$esp"
		agent_conf a $IPSI_NS_A "$A_OUT" "$B_OUT" a@ipsi.test b@ipsi.test \
			"$A_TS" "$B_TS" "$ike" "$esp" none
	fi
	printf 'child_rekey = 4s\nchild_lifetime = 30s\ndpd_interval = 1s\ndpd_timeout = 10s\n' \
		>> "$IPSI_RUN/$ours/agent.conf"
	agent_start $ours $IPSI_PREFIX-$ours || { bad "agent $role lifecycle: agent start"; return; }
	ipsi_capture_start "ag-life-$role"
	if [ "$role" = responder ]; then
		swanctl_ a --initiate --child net --timeout 10 > /dev/null 2>&1
	else
		agent_cli a initiate ipsi > /dev/null 2>&1
		sleep 1
	fi
	check "agent $role lifecycle: established" established $theirs
	swanctl_ $theirs --rekey --child net > /dev/null 2>&1
	sleep 1
	check "agent $role lifecycle: Child rekey initiated by charon" \
		grep -q "CHILD_SA net{2} established" "$IPSI_RUN/$theirs/charon.log"
	sleep 5
	check "agent $role lifecycle: Child rekey initiated by our agent (timer)" \
		grep -q "parsed CREATE_CHILD_SA request" "$IPSI_RUN/$theirs/charon.log"
	swanctl_ $theirs --rekey --ike ipsi > /dev/null 2>&1
	sleep 1
	check "agent $role lifecycle: IKE rekey initiated by charon" \
		ike_rekeyed "$IPSI_RUN/$theirs/charon.log"
	sleep 2
	check "agent $role lifecycle: our DPD requests answered by charon" \
		grep -q "generating INFORMATIONAL response [0-9]* \[ \]" \
		"$IPSI_RUN/$theirs/charon.log"
	check "agent $role lifecycle: still established after rekeys and DPD" \
		established $theirs
	agent_cli $ours terminate ipsi > /dev/null 2>&1
	sleep 1
	check "agent $role lifecycle: delete from our agent removes charon's SA" \
		not_established $theirs
	ipsi_capture_stop "ag-life-$role"
	IPSI_NEED_ESP=0 check "agent $role lifecycle: tshark decrypts everything with the agent's key log" \
		ipsi_check_decrypt "$IPSI_RUN/ag-life-$role.pcapng" \
		"$IPSI_RUN/$ours/agent-keys.log"
	# Delete from charon's side after re-establishing.
	if [ "$role" = responder ]; then
		swanctl_ a --initiate --child net --timeout 10 > /dev/null 2>&1
	else
		agent_cli a initiate ipsi > /dev/null 2>&1
		sleep 1
	fi
	swanctl_ $theirs --terminate --ike ipsi --timeout 5 > /dev/null 2>&1
	sleep 1
	check "agent $role lifecycle: delete from charon empties our SA list" \
		bash -c "! IPSECHA_SOCKET=$IPSI_RUN/$ours/agent.sock $cli_bin sa list --json 2>/dev/null | grep -qi 'established'"
	agent_stop $ours
}

# NAT-T with our agent: behind the masquerading namespace as initiator, and
# as responder to charon behind it (then the peer's address is the NAT's,
# so our responder accepts %any with the peer's identity).
agent_nat_phase() {
	if [ ! -x "$agent_bin" ] || [ ! -x "$cli_bin" ]; then
		skip "agent nat: $agent_bin not built"
		return
	fi
	ipsi_cleanup
	IPSI_NAT=1 ipsi_topology || { bad "agent nat: topology"; return; }
	A_OUT=203.0.113.2
	AGENT_REMOTE=%any agent_combo responder nat-gcm256-x25519 \
		aes256gcm16-prfsha256-x25519 aes256gcm16
	# (nat_remote alone proves little: charon with encap = yes fakes NAT.)
	check "agent responder nat-gcm256-x25519: peer seen at the NAT's address" \
		grep -q '"remote":"192.0.2.254:' "$IPSI_RUN/sa-list.responder-nat-gcm256-x25519.json"
	agent_combo initiator nat-cbc128-sha256-ecp256 aes128-sha256-ecp256 aes128-sha256
	check "agent initiator nat-cbc128-sha256-ecp256: our initiator detected its NAT" \
		grep -q '"nat_local":true' "$IPSI_RUN/sa-list.initiator-nat-cbc128-sha256-ecp256.json"
	ipsi_cleanup
	IPSI_NAT=0
	A_OUT=192.0.2.1
}

agent_phase() {
	if [ ! -x "$agent_bin" ] || [ ! -x "$cli_bin" ]; then
		while read -r n i e; do
			skip "agent responder $n: $agent_bin not built (the agent core, issue 6 part 1)"
			skip "agent initiator $n: $agent_bin not built (the agent core, issue 6 part 1)"
		done < <(echo "$COMBOS" | awk -F'|' 'NF == 3 { print $1, $2, $3 }')
		skip "agent responder lifecycle (rekeys, DPD, deletes): $agent_bin not built"
		skip "agent initiator lifecycle (rekeys, DPD, deletes): $agent_bin not built"
		return
	fi
	if ! ip netns list | grep -qx "$IPSI_NS_A\( .*\)\?"; then
		ipsi_topology || { bad "topology"; return; }
	fi
	while read -r n i e; do
		agent_combo responder "$n" "$i" "$e"
		agent_combo initiator "$n" "$i" "$e"
	done < <(echo "$COMBOS" | awk -F'|' 'NF == 3 { print $1, $2, $3 }')
	agent_lifecycle responder
	agent_lifecycle initiator
}

# ---- every algorithm combination of issue 6, both roles -----------------
# IKE: {AES-GCM-16 128/256, AES-CBC 128/256 x HMAC-SHA2-256/384/512} x
# PRF-HMAC-SHA2-256/384/512 x groups 14/19/20/31 = 96 suites. ESP: the same
# 8 ciphers/integrity pairs x PFS {none, 14, 19, 20, 31} = 40, dealt out
# over the 96 rows so that every one of them appears. Identities cycle
# through RFC822, FQDN and IPv4. One charon and one agent stay up; each
# row loads the single proposal on both sides (swanctl --load-all,
# ipsecha reload), establishes, compares charon's view with ours, then our
# agent rekeys the Child SA (with the row's PFS group, in CREATE_CHILD_SA)
# and the IKE SA (the row's group; rekeyed SKEYSEED with the row's PRF),
# compares again and deletes. tshark then decrypts the whole capture with
# the agent's key log.
mx_enc="aes128gcm16 aes256gcm16 aes128-sha256 aes128-sha384 aes128-sha512 aes256-sha256 aes256-sha384 aes256-sha512"
mx_prf="prfsha256 prfsha384 prfsha512"
mx_dh="modp2048 ecp256 ecp384 x25519"
mx_pfs="- modp2048 ecp256 ecp384 x25519"

mx_rows() { # prints "IKE ESP IDKIND" per row
	local i=0 e p d enc pfs esp
	set -f
	local -a encs=($mx_enc) pfss=($mx_pfs)
	set +f
	for e in $mx_enc; do
		for p in $mx_prf; do
			for d in $mx_dh; do
				enc=${encs[$((i % 8))]}
				pfs=${pfss[$(( (i / 8) % 5 ))]}
				esp=$enc
				[ "$pfs" != - ] && esp="$enc-$pfs"
				echo "$e-$p-$d $esp $((i % 3))"
				i=$((i + 1))
			done
		done
	done
}

# wait_for SECONDS CMD...: poll until CMD succeeds.
wait_for() {
	local n=$(( $1 * 20 )); shift
	for _ in $(seq 1 "$n"); do "$@" && return 0; sleep 0.05; done
	return 1
}

# ajq AGENT FILTER: a jq filter over our sa list --json.
ajq() { agent_cli "$1" sa list --json 2>/dev/null | jq -r "$2" 2>/dev/null; }
# mx_changed AGENT FILTER OLD: the filter's value is there and not OLD.
mx_changed() { local v; v=$(ajq "$1" "$2"); [ -n "$v" ] && [ "$v" != null ] && [ "$v" != "$3" ]; }
# One IKE SA with one Child SA on both sides (after a rekey's delete).
mx_single() { # CHARON AGENT
	local raw
	raw=$(swanctl_ "$1" --list-sas --raw 2>/dev/null)
	[ "$(echo "$raw" | grep -o 'initiator-spi=' | wc -l)" = 1 ] &&
	[ "$(echo "$raw" | grep -o 'state=INSTALLED' | wc -l)" = 1 ] &&
	[ "$(ajq "$2" '(.sas | length) == 1 and (.sas[0].children | length) == 1 and .sas[0].state == "ESTABLISHED"')" = true ]
}
mx_gone() { ! established "$1" && [ "$(ajq "$2" '.sas | length')" = 0 ]; }

mx_row() { # ROLE IKE ESP IDKIND
	local role=$1 ike=$2 esp=$3 ida idb theirs ours cid iid old r pfs
	case $4 in
	0) ida=a@ipsi.test idb=b@ipsi.test ;;
	1) ida=a.ipsi.test idb=b.ipsi.test ;;
	*) ida=$A_OUT idb=$B_OUT ;;
	esac
	r="matrix $role $ike / $esp ($ida)"
	case $esp in
	*-modp2048|*-ecp256|*-ecp384|*-x25519) pfs="PFS ${esp##*-}" ;;
	*) pfs="no PFS" ;;
	esac
	if [ "$role" = responder ]; then
		theirs=a ours=b
		ipsi_swanctl_conf a "$A_OUT" "$B_OUT" "$ida" "$idb" "$A_TS" "$B_TS" "$ike" "$esp"
		agent_conf b "" "$B_OUT" "$A_OUT" "$idb" "$ida" "$B_TS" "$A_TS" "$ike" "$esp" none
	else
		theirs=b ours=a
		ipsi_swanctl_conf b "$B_OUT" "%any" "$idb" "$ida" "$B_TS" "$A_TS" "$ike" "$esp"
		agent_conf a "" "$A_OUT" "$B_OUT" "$ida" "$idb" "$A_TS" "$B_TS" "$ike" "$esp" none
	fi
	sed -i 's/^log_level = debug/log_level = info/' "$IPSI_RUN/$ours/agent.conf"
	agent_cli $ours reload > /dev/null 2>&1 || { bad "$r: ipsecha reload"; return; }
	if [ "$role" = responder ]; then
		swanctl_ a --initiate --child net --timeout 10 > /dev/null 2>&1
	else
		agent_cli a initiate ipsi > /dev/null 2>&1
	fi
	if ! wait_for 3 mx_single $theirs $ours; then
		bad "$r: established"
		agent_cli $ours terminate ipsi > /dev/null 2>&1
		swanctl_ $theirs --terminate --ike ipsi --timeout 3 > /dev/null 2>&1
		wait_for 3 mx_gone $theirs $ours
		return
	fi
	tag=mx-$role check "$r: established, swanctl --list-sas = ipsecha sa list --json" \
		compare_sas $theirs $ours
	# Our agent rekeys the Child SA (CREATE_CHILD_SA with the PFS group).
	cid=$(ajq $ours '.sas[0].children[0].id')
	old=$(ajq $ours '.sas[0].children[0].spi_in')
	agent_cli $ours rekey --child "$cid" > /dev/null 2>&1
	if wait_for 3 mx_changed $ours '.sas[0].children[-1].spi_in' "$old" &&
	   wait_for 3 mx_single $theirs $ours; then
		tag=mx-$role check "$r: Child SA rekeyed by us ($pfs), views agree" \
			compare_sas $theirs $ours
	else
		bad "$r: Child SA rekeyed by us"
	fi
	# Our agent rekeys the IKE SA.
	iid=$(ajq $ours '.sas[0].id')
	old=$(ajq $ours '.sas[0].spi_i')
	agent_cli $ours rekey --ike "$iid" > /dev/null 2>&1
	if wait_for 3 mx_changed $ours '.sas[-1].spi_i' "$old" &&
	   wait_for 3 mx_single $theirs $ours; then
		tag=mx-$role check "$r: IKE SA rekeyed by us, views agree" compare_sas $theirs $ours
	else
		bad "$r: IKE SA rekeyed by us"
	fi
	old=$(agent_cli $ours terminate ipsi 2>&1)
	if ! wait_for 3 mx_gone $theirs $ours; then
		bad "$r: deleted by us on both sides"
		ipsi_log "  ipsecha terminate: $old"
		ipsi_log "$(agent_cli $ours sa list 2>&1 | head -20)"
		ipsi_log "$(swanctl_ $theirs --list-sas 2>&1 | head -10)"
		ipsi_log "$(tail -15 "$IPSI_RUN/$ours/agent.log")"
		# Leave nothing behind for the next row.
		swanctl_ $theirs --terminate --ike ipsi --timeout 3 > /dev/null 2>&1
		agent_cli $ours terminate ipsi > /dev/null 2>&1
		wait_for 3 mx_gone $theirs $ours
	fi
}

agent_matrix_phase() {
	local role ike esp k
	agent_phase_ready matrix || return
	for role in responder initiator; do
		echo "--- agent matrix, our agent as $role: 96 IKE x 40 ESP suites"
		agent_reset
		# (the agent logs at info: 96 rows of debug lines would be large)
		if [ "$role" = responder ]; then
			ipsi_charon_conf a && ipsi_charon_start a "$IPSI_NS_A" ||
				{ bad "agent matrix $role: charon start"; continue; }
			agent_conf b "" "$B_OUT" "$A_OUT" b@ipsi.test a@ipsi.test \
				"$B_TS" "$A_TS" aes128gcm16-prfsha256-x25519 aes128gcm16 none
			sed -i 's/^log_level = debug/log_level = info/' "$IPSI_RUN/b/agent.conf"
			agent_start b "$IPSI_NS_B" || { bad "agent matrix $role: agent start"; continue; }
		else
			ipsi_charon_conf b && ipsi_charon_start b "$IPSI_NS_B" ||
				{ bad "agent matrix $role: charon start"; continue; }
			agent_conf a "" "$A_OUT" "$B_OUT" a@ipsi.test b@ipsi.test \
				"$A_TS" "$B_TS" aes128gcm16-prfsha256-x25519 aes128gcm16 none
			sed -i 's/^log_level = debug/log_level = info/' "$IPSI_RUN/a/agent.conf"
			agent_start a "$IPSI_NS_A" || { bad "agent matrix $role: agent start"; continue; }
		fi
		ipsi_capture_start "mx-$role"
		while read -r ike esp k; do
			mx_row "$role" "$ike" "$esp" "$k"
		done < <(mx_rows)
		ipsi_capture_stop "mx-$role"
		if [ "$role" = responder ]; then k=b; else k=a; fi
		IPSI_NEED_ESP=0 check "agent matrix $role: tshark decrypts all of it with the agent's key log" \
			ipsi_check_decrypt "$IPSI_RUN/mx-$role.pcapng" "$IPSI_RUN/$k/agent-keys.log"
		agent_stop $k
		# Keep this role's logs and keys (the next role starts afresh).
		for n in a b; do
			[ -d "$IPSI_RUN/$n" ] && rm -rf "$IPSI_RUN/mx-$role-$n" &&
				cp -r "$IPSI_RUN/$n" "$IPSI_RUN/mx-$role-$n"
		done
	done
}

# ---- ESN (RFC 4303 §2.2.1, RFC 7296 §3.3.2 transform type 5) -------------
# strongSwan's kernel-libipsec cannot install an ESN SA ("ESN not
# supported"), and this kernel has no ESP for kernel-netlink, so charon
# can negotiate ESN but never hold such a Child SA: what is checked is the
# negotiation both ways, our side's install (ESN slots in our card) and how
# each side deals with the other's failure. Our agent as responder: charon
# offers only ESN, both select it, we install it, charon cannot and deletes
# the Child SA, which our agent removes (IKE SA kept on both sides). Our
# agent as initiator: charon selects ESN and refuses the Child SA in its
# IKE_AUTH answer; our IKE SA stays up without it.
agent_esn_phase() {
	local ike=aes128gcm16-prfsha256-x25519 esp=aes128gcm16-esn cap j
	agent_phase_ready esn || return
	echo "--- agent esn, our agent as responder: $ike / $esp"
	agent_vs_charon responder "$ike" "$ike" "$esp" || { bad "agent esn: charon start"; return; }
	agent_start b "$IPSI_NS_B" || { bad "agent esn: agent start"; return; }
	ipsi_capture_start ag-esn-responder
	swanctl_ a --initiate --child net --timeout 10 > /dev/null 2>&1
	sleep 0.5
	check "agent esn responder: charon selected ESN from our answer" \
		grep -q "selected proposal: ESP:AES_GCM_16_128/EXT_SEQ" "$IPSI_RUN/a/charon.log"
	check "agent esn responder: our Child SA installed with ESN (into the card)" \
		grep -q "CHILD_SA [0-9]* established (aes128gcm16-esn, .*in dataplane" "$IPSI_RUN/b/agent.log"
	check "agent esn responder: charon cannot install ESN (kernel-libipsec) and deletes it" \
		grep -q "ESN not supported" "$IPSI_RUN/a/charon.log"
	j=$(ajq b '(.sas | length) == 1 and .sas[0].state == "ESTABLISHED" and (.sas[0].children | length) == 0')
	grep -q "removed: deleted by peer" "$IPSI_RUN/b/agent.log" || j=no
	check "agent esn responder: our agent removed the Child SA on charon's DELETE, IKE SA kept" \
		test "$j" = true
	check "agent esn responder: charon's IKE SA still established" established a
	ipsi_capture_stop ag-esn-responder
	IPSI_NEED_ESP=0 check "agent esn responder: tshark decrypts with the agent's key log" \
		ipsi_check_decrypt "$IPSI_RUN/ag-esn-responder.pcapng" "$IPSI_RUN/b/agent-keys.log"
	agent_stop b

	echo "--- agent esn, our agent as initiator: $ike / $esp"
	agent_vs_charon initiator "$ike" "$ike" "$esp" || { bad "agent esn: charon start"; return; }
	agent_start a "$IPSI_NS_A" || { bad "agent esn: agent start"; return; }
	ipsi_capture_start ag-esn-initiator
	agent_cli a initiate ipsi > /dev/null 2>&1
	sleep 0.5
	check "agent esn initiator: charon selected ESN from our offer" \
		grep -q "selected proposal: ESP:AES_GCM_16_128/EXT_SEQ" "$IPSI_RUN/b/charon.log"
	check "agent esn initiator: charon refused the Child SA (ESN not supported) in its IKE_AUTH answer" \
		grep -q "ESN not supported" "$IPSI_RUN/b/charon.log"
	j=$(ajq a '(.sas | length) == 1 and .sas[0].state == "ESTABLISHED" and (.sas[0].children | length) == 0')
	check "agent esn initiator: our IKE SA up without the Child SA, nothing in the card" test "$j" = true
	check "agent esn initiator: charon's IKE SA established" established b
	ipsi_capture_stop ag-esn-initiator
	IPSI_NEED_ESP=0 check "agent esn initiator: tshark decrypts with the agent's key log" \
		ipsi_check_decrypt "$IPSI_RUN/ag-esn-initiator.pcapng" "$IPSI_RUN/a/agent-keys.log"
	agent_stop a
	kill "$(cat "$IPSI_RUN/b/pid")" 2>/dev/null
}

# ---- DPD both ways (RFC 7296 §2.4) ---------------------------------------
# charon's liveness checks answered by our responder; our initiator's
# answered by charon, and when charon is gone (killed, no DELETE) our agent
# declares the peer dead after dpd_timeout and removes the IKE SA with its
# Child SA.
agent_dpd_phase() {
	local ike=aes128-sha256-ecp256 esp=aes128-sha256 j
	agent_phase_ready dpd || return
	echo "--- agent dpd: charon's DPD to our responder"
	IPSI_DPD=1s agent_vs_charon responder "$ike" "$ike" "$esp" || { bad "agent dpd: charon start"; return; }
	printf 'dpd_interval = 0\n' >> "$IPSI_RUN/b/agent.conf"
	agent_start b "$IPSI_NS_B" || { bad "agent dpd: agent start"; return; }
	ipsi_capture_start ag-dpd
	swanctl_ a --initiate --child net --timeout 10 > /dev/null 2>&1
	sleep 3.5
	check "agent dpd: charon's DPD requests answered by our responder" \
		bash -c "grep -q 'sending DPD request' '$IPSI_RUN/a/charon.log' &&
			grep -q 'parsed INFORMATIONAL response [0-9]* \[ \]' '$IPSI_RUN/a/charon.log'"
	check "agent dpd: still established after charon's DPD" established a
	agent_stop b
	kill "$(cat "$IPSI_RUN/a/pid")" 2>/dev/null
	cp "$IPSI_RUN/b/agent-keys.log" "$IPSI_RUN/ag-dpd.keys"

	echo "--- agent dpd: our initiator's DPD to charon, then charon killed"
	agent_vs_charon initiator "$ike" "$ike" "$esp" || { bad "agent dpd: charon start"; return; }
	printf 'dpd_interval = 1s\ndpd_timeout = 3s\n' >> "$IPSI_RUN/a/agent.conf"
	sed -i '/^\[global\]/a retransmit_timeout = 500ms' "$IPSI_RUN/a/agent.conf"
	agent_start a "$IPSI_NS_A" || { bad "agent dpd: agent start"; return; }
	agent_cli a initiate ipsi > /dev/null 2>&1
	sleep 2.5
	check "agent dpd: our DPD requests answered by charon" \
		grep -q "generating INFORMATIONAL response [0-9]* \[ \]" "$IPSI_RUN/b/charon.log"
	cat "$IPSI_RUN/a/agent-keys.log" >> "$IPSI_RUN/ag-dpd.keys"
	j=$(cat "$IPSI_RUN/b/pid")
	kill -9 "$j" 2>/dev/null
	wait "$j" 2>/dev/null
	j=false
	for _ in $(seq 1 100); do
		j=$(ajq a '(.sas | length) == 0')
		[ "$j" = true ] && break
		sleep 0.1
	done
	check "agent dpd: charon killed: our agent declares it dead within dpd_timeout and removes the SAs" \
		bash -c "[ '$j' = true ] && grep -q 'peer not responding' '$IPSI_RUN/a/agent.log'"
	ipsi_capture_stop ag-dpd
	IPSI_NEED_ESP=0 check "agent dpd: tshark decrypts with the agent's key log" \
		ipsi_check_decrypt "$IPSI_RUN/ag-dpd.pcapng" "$IPSI_RUN/ag-dpd.keys"
	agent_stop a
}

# ---- INVALID_KE_PAYLOAD both ways (RFC 7296 §1.2) -----------------------
# The initiator's first guess of a group (x25519) is not the responder's
# choice (ecp256, also offered): the responder asks for it, the initiator
# retries with it.
agent_ke_phase() {
	local ike_i=aes128gcm16-prfsha256-x25519-ecp256 ike_r=aes128gcm16-prfsha256-ecp256 esp=aes128gcm16 j
	agent_phase_ready ke || return
	echo "--- agent ke: charon offers x25519 first, our responder wants ecp256"
	agent_vs_charon responder "$ike_i" "$ike_r" "$esp" || { bad "agent ke: charon start"; return; }
	agent_start b "$IPSI_NS_B" || { bad "agent ke: agent start"; return; }
	swanctl_ a --initiate --child net --timeout 10 > /dev/null 2>&1
	check "agent ke responder: our INVALID_KE_PAYLOAD(ECP_256) taken by charon, established with it" \
		bash -c "grep -q 'peer didn.t accept DH group CURVE_25519, it requested ECP_256' '$IPSI_RUN/a/charon.log' &&
			[ \"\$(IPSECHA_SOCKET=$IPSI_RUN/b/agent.sock $cli_bin sa list --json | jq -r '.sas[0].dh')\" = 19 ]"
	tag=ke-responder check "agent ke responder: charon's view = ours" compare_sas a b
	agent_stop b
	kill "$(cat "$IPSI_RUN/a/pid")" 2>/dev/null

	echo "--- agent ke: our initiator offers x25519 first, charon wants ecp256"
	agent_vs_charon initiator "$ike_r" "$ike_i" "$esp" || { bad "agent ke: charon start"; return; }
	agent_start a "$IPSI_NS_A" || { bad "agent ke: agent start"; return; }
	agent_cli a initiate ipsi > /dev/null 2>&1
	j=$(ajq a '.sas[0].dh')
	check "agent ke initiator: charon's INVALID_KE_PAYLOAD taken, established with ECP_256" \
		bash -c "[ '$j' = 19 ] && grep -q 'peer wants KE group 19' '$IPSI_RUN/a/agent.log'"
	tag=ke-initiator check "agent ke initiator: charon's view = ours" compare_sas b a
	agent_stop a
	kill "$(cat "$IPSI_RUN/b/pid")" 2>/dev/null
}

# ---- COOKIE both ways (RFC 7296 §2.6) ------------------------------------
# charon as responder with cookie_threshold = 1: our load initiator opens
# IKE SAs four at a time, so charon holds a half-open IKE SA when the next
# IKE_SA_INIT arrives and answers it with a COOKIE (and goes on demanding
# them for its calm-down time); every SA must complete, the cookie echoed.
# Our responder with cookie_threshold = 1: charon's first IKE SA is held
# half-open (its IKE_AUTH, on port 4500, dropped by nftables in our
# namespace); a second initiation (reuse_ikesa = no: a new IKE SA) meets
# our COOKIE, and charon retries with it.

# ck_count CAP WHO: IKE_SA_INIT messages carrying a COOKIE notify (16390),
# WHO = req (initiator's requests) or resp (responses). The flags byte
# prints as 0x08 / 0x20 / 0x28: its second hex digit is 2 for responses.
ck_count() {
	tshark -r "$1" -Y 'isakmp.exchangetype == 34 && isakmp.notify.msgtype == 16390' \
		-T fields -e isakmp.flags 2>/dev/null | awk -v who="$2" '
	{ r = substr($1, 3, 1) ~ /[2367abef]/ }
	(who == "resp" && r) || (who == "req" && !r) { n++ }
	END { print n + 0 }'
}

agent_cookie_phase() {
	local ike=aes128gcm16-prfsha256-x25519 esp=aes128gcm16 out n n_resp n_req spi1 est
	if ! command -v nft > /dev/null; then
		skip "agent cookie: nft not installed (tools/deps.txt lists it)"
		return
	fi
	agent_phase_ready cookie || return

	echo "--- agent cookie: charon (cookie_threshold = 1) demands COOKIEs from our initiator"
	IPSI_CHARON_EXTRA="cookie_threshold = 1" agent_vs_charon initiator "$ike" "$ike" "$esp" ||
		{ bad "agent cookie: charon start"; return; }
	ipsi_capture_start ck-initiator
	out=$(ip netns exec "$IPSI_NS_A" "$agent_bin" --config "$IPSI_RUN/a/agent.conf" --no-card \
		--load-initiator ipsi --count 24 --concurrency 4 --load-timeout 60 --json \
		2> "$IPSI_RUN/a/load.log")
	ipsi_capture_stop ck-initiator
	n_resp=$(ck_count "$IPSI_RUN/ck-initiator.pcapng" resp)
	n_req=$(ck_count "$IPSI_RUN/ck-initiator.pcapng" req)
	ipsi_log "  load: $out; COOKIE answers from charon: $n_resp, requests echoing one: $n_req"
	check "agent cookie initiator: 24 IKE SAs established with charon demanding COOKIEs, each echoed" \
		bash -c 'echo "$1" | grep -q "\"completed\":24" && [ "$2" -gt 0 ] && [ "$3" -ge "$2" ]' \
		_ "$out" "$n_resp" "$n_req"
	check "agent cookie initiator: all 24 deleted again at charon" \
		wait_for 5 not_established b
	IPSI_NEED_ESP=0 check "agent cookie initiator: tshark decrypts every IKE message with our key log" \
		ipsi_check_decrypt "$IPSI_RUN/ck-initiator.pcapng" "$IPSI_RUN/a/agent-keys.log"
	kill "$(cat "$IPSI_RUN/b/pid")" 2>/dev/null

	echo "--- agent cookie: our responder (cookie_threshold = 1) demands a COOKIE from charon"
	IPSI_CHARON_EXTRA="reuse_ikesa = no" agent_vs_charon responder "$ike" "$ike" "$esp" ||
		{ bad "agent cookie: charon start"; return; }
	sed -i '/^\[global\]/a cookie_threshold = 1' "$IPSI_RUN/b/agent.conf"
	agent_start b "$IPSI_NS_B" || { bad "agent cookie: agent start"; return; }
	ipsi_capture_start ck-responder
	ip netns exec "$IPSI_NS_B" nft -f - <<-NFT
	table inet ipsi-ck {
		chain in {
			type filter hook input priority 0; policy accept;
			udp dport 4500 drop
		}
	}
	NFT
	swanctl_ a --initiate --child net --timeout 1 > /dev/null 2>&1
	n=$(agent_cli b status --json 2>/dev/null | jq -r '.half_open')
	spi1=$(ajq b '.sas[0].spi_i')
	# From now on only that first IKE SA's IKE_AUTH is dropped (its SPIi
	# follows the UDP header and the 4-byte non-ESP marker), so it stays
	# half-open while the second initiation meets our COOKIE.
	ip netns exec "$IPSI_NS_B" nft -f - <<-NFT
	flush chain inet ipsi-ck in
	add rule inet ipsi-ck in udp dport 4500 @th,96,64 0x${spi1:-0} drop
	NFT
	swanctl_ a --initiate --child net --timeout 10 > /dev/null 2>&1
	ipsi_capture_stop ck-responder
	n_resp=$(ck_count "$IPSI_RUN/ck-responder.pcapng" resp)
	n_req=$(ck_count "$IPSI_RUN/ck-responder.pcapng" req)
	est=$(ajq b '[.sas[] | select(.state == "ESTABLISHED") | .spi_i] | join(" ")')
	ipsi_log "  half-open held: $n ($spi1); COOKIE answers from us: $n_resp, charon's requests echoing one: $n_req; established: $est"
	check "agent cookie responder: a half-open IKE SA held, our COOKIE echoed by charon" \
		bash -c '[ "$1" = 1 ] && [ "$2" -gt 0 ] && [ "$3" -gt 0 ] && [ "$4" -gt 0 ]' \
		_ "$n" "$n_resp" "$n_req" "$(agent_cli b status --json 2>/dev/null | jq -r '.stats.cookies_sent')"
	check "agent cookie responder: the IKE SA through the COOKIE (not the held one) established on both sides" \
		bash -c '[ -n "$1" ] && [ "$1" != null ] && [ "$1" != "$2" ] && case " $1 " in *" $2 "*) false ;; esac' \
		_ "$est" "$spi1"
	check "agent cookie responder: charon has it established" established a
	IPSI_NEED_ESP=0 check "agent cookie responder: tshark decrypts every IKE message with our key log" \
		ipsi_check_decrypt "$IPSI_RUN/ck-responder.pcapng" "$IPSI_RUN/b/agent-keys.log"
	ip netns exec "$IPSI_NS_B" nft delete table inet ipsi-ck
	agent_stop b
	kill "$(cat "$IPSI_RUN/a/pid")" 2>/dev/null
}
