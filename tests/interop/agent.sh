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
	local raw json bad=0 want got integ dh
	raw=$(swanctl_ "$1" --list-sas --raw 2>/dev/null)
	json=$(agent_cli "$2" sa list --json 2>/dev/null) || return 1
	echo "$json" > "$IPSI_RUN/sa-list.$tag.json"
	echo "$raw" > "$IPSI_RUN/list-sas.$tag.raw"
	pair() { # WHAT OURS THEIRS
		if [ -z "$2" ] || [ "$2" != "$3" ]; then
			ipsi_log "  $1: ours=${2:-none} charon=${3:-none}"; bad=1
		fi
	}
	pair "IKE SPIi" "$(jsonval spi_i)" "$(rawval initiator-spi)"
	pair "IKE SPIr" "$(jsonval spi_r)" "$(rawval responder-spi)"
	pair "Child SPI in/out" "$(jsonval spi_in)" "$(rawval spi-out)"
	pair "Child SPI out/in" "$(jsonval spi_out)" "$(rawval spi-in)"
	# IKE: encr[-integ]-prf-dh
	want=$(kw_of "$(rawval encr-alg)" "$(rawval encr-keysize)")
	integ=$(rawval integ-alg)
	[ -n "$integ" ] && want="$want-$(kw_of "$integ")"
	want="$want-$(kw_of "$(rawval prf-alg)")-$(kw_of "$(rawval dh-group)")"
	pair "IKE algorithms" "$(jsonval ike)" "$want"
	# Child: the algorithms after the IKE SA's in the raw line.
	raw=${raw#*child-sas}
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
