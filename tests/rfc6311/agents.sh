#!/bin/bash
# agents.sh BIN — RFC 6311 between real ipsecha-agent processes, each with
# its own simulated card (ipsecha-card-sim), over real UDP in two network
# namespaces: our agent P is the peer (the original initiator), gateway
# member A is SIGKILLed and member B takes its place from A's stale
# snapshot. Checks the peer role's card (every outbound slot of that IKE SA
# moved by exactly the delta in one card epoch, another IKE SA untouched),
# the gateway's inbound windows, no sequence number reuse across the
# takeover, tshark's decoding of the sync exchange, exchanges afterwards,
# and the too-low M1 case. One PASS/FAIL line per case; last line counts.
set -u
HSH_BIN=$(cd "${1:-build/bin}" && pwd)
. "$(dirname "$0")/lib.sh"
hsh_need_root "the RFC 6311 agent scenarios cannot run" rfc6311-agents
trap hsh_cleanup EXIT
trap 'exit 130' INT TERM
hsh_topology || { ko "topology"; echo "rfc6311-agents: $pass passed, $fail failed, $skip skipped"; exit 1; }

SYNC=("mid_sync = yes" "replay_sync = yes")
agent_conf p $P_OUT $G_OUT p@ipsh.test g@ipsh.test $P_TS $G_TS "${SYNC[@]}"
agent_conf a $G_OUT $P_OUT g@ipsh.test p@ipsh.test $G_TS $P_TS "${SYNC[@]}"
agent_conf b $G_OUT $P_OUT g@ipsh.test p@ipsh.test $G_TS $P_TS "${SYNC[@]}"

sas() { acli "$1" sa list --json | jq -c '.sas'; }
# sa_get NAME INDEX JQ-EXPR (relative to the IKE SA)
sa_get() { sas "$1" | jq -r ".[$2] | $3"; }
card_epoch() { "$CLI" card --dev "$(card_of "$1")" --json info | jq -r '.epoch'; }
group_json() { "$CLI" card --dev "$(card_of "$1")" --json group read "$2"; }

# ---- A and P up, two IKE SAs, traffic ---------------------------------------
agent_start p "$NSP" || { ko "agent p start"; exit 1; }
agent_start a "$NSG" || { ko "agent a start"; exit 1; }
acli p initiate gw > /dev/null && acli p initiate gw > /dev/null
check "two IKE SAs up between P and A" test "$(sas p | jq length)" = 2
check "negotiation: both assert mid_sync and replay_sync (caps on both sides)" \
	test "$(sa_get p 0 '.caps | join(",")')/$(sa_get a 0 '.caps | join(",")')" = \
	"mid_sync,replay_sync/mid_sync,replay_sync"
check "the responder asserted only what the initiator offered" \
	test "$(sa_get a 0 '.sync.offered | join(",")')" = "mid_sync,replay_sync"

# SPIs of IKE SA 0 (the one we follow) and its Child SA's slots on each card.
spi_i=$(sa_get a 0 .spi_i)
p_idx=$(sas p | jq "map(.spi_i) | index(\"$spi_i\")")
a_out=$(sa_get a 0 '.children[0].slot_out') a_in=$(sa_get a 0 '.children[0].slot_in')
# that Child SA, by SPI (the order of .children changes with a second one)
a_spi_out=$(sa_get a 0 '.children[0].spi_out')
p_out=$(sa_get p "$p_idx" '.children[0].slot_out') p_in=$(sa_get p "$p_idx" '.children[0].slot_in')
p_other=$((1 - p_idx))
p_other_out=$(sa_get p $p_other '.children[0].slot_out')
# A second Child SA on the IKE SA we follow (CREATE_CHILD_SA from P).
printf '%s\n' "{\"cmd\":\"child-create\",\"ike\":$(sa_get p "$p_idx" .id)}" | nc -U -N "$RUN/p.sock" > /dev/null
wait_for test "$(sa_get p "$p_idx" '.children | length')" = 2
check "two Child SAs on the IKE SA we follow" test "$(sa_get p "$p_idx" '.children | length')" = 2

# traffic A <-> P through the cards: sender issues, receiver checks+commits
send() { # FROM TO OUTSLOT INSLOT COUNT RECORDFILE
	local s bad=0
	for s in $(card_tx "$1" "$3" "$5"); do
		[ -n "$6" ] && echo "$s" >> "$6"
		[ "$(card_rx "$2" "$4" "$s")" = ok ] || bad=$((bad + 1))
	done
	return $bad
}
: > "$RUN/a.seqs"
check "card traffic A -> P accepted" send a p "$a_out" "$p_in" 40 "$RUN/a.seqs"
check "card traffic P -> A accepted" send p a "$p_out" "$a_in" 40 ""
# Every outbound slot of the gateway (both IKE SAs, all Child SAs) issues
# numbers too, recorded as "SPI number" (the no-reuse property per slot).
gw_tx_all() { # NAME COUNT FILE
	local x
	for x in $(sas "$1" | jq -r '.[] | .children[] | "\(.spi_out):\(.slot_out)"'); do
		card_tx "$1" "${x#*:}" "$2" | sed "s/^/${x%%:*} /" >> "$3"
	done
}
: > "$RUN/a.all"
gw_tx_all a 30 "$RUN/a.all"

# ---- the snapshot, then the old active goes on --------------------------------
acli a state save "$RUN/a.snap" > /dev/null
check "state save: a sealed snapshot of both IKE SAs (state show verifies it)" \
	test "$("$CLI" state show "$RUN/a.snap" --key "$RUN/state.key" --json | jq '.sas | length')" = 2
snap_rx=$("$CLI" state show "$RUN/a.snap" --key "$RUN/state.key" --json |
	jq -r ".sas[] | select(.spis | startswith(\"$spi_i\")) | .children[0].rx_top")
a_id=$(sa_get a 0 .id)
for i in 1 2 3; do acli a dpd --ike "$a_id" > /dev/null; sleep 0.2; done
p_id=$(sa_get p "$p_idx" .id)
acli p dpd --ike "$p_id" > /dev/null; sleep 0.2
send a p "$a_out" "$p_in" 150 "$RUN/a.seqs"
send p a "$p_out" "$a_in" 100 ""
gw_tx_all a 70 "$RUN/a.all"
check "after the snapshot: 3 DPDs from A, 1 from P; 150 + 100 sequence numbers through the cards, 70 more on every gateway slot" \
	test "$(wc -l < "$RUN/a.seqs")" = 190 -a "$(wc -l < "$RUN/a.all")" = 300

# ---- failover -----------------------------------------------------------------
capture_start sync "$NSG" "$VG"
agent_kill9 a
agent_start b "$NSG" --restore "$RUN/a.snap" || { ko "agent b start"; exit 1; }
b_idx=$(sas b | jq "map(.spi_i) | index(\"$spi_i\")")
b_id=$(sa_get b "$b_idx" .id)
b_group=$(sa_get b "$b_idx" .group)
# B's slots of the Child SA we follow (by SPI: B restored the Child SAs in
# the snapshot's order)
b_child() { sas b | jq -r ".[$b_idx].children[] | select(.spi_out == \"$a_spi_out\") | $1"; }
b_out=$(b_child .slot_out) b_in=$(b_child .slot_in)
check "restore: B holds the IKE SAs (sync state held, card group held)" \
	test "$(sa_get b "$b_idx" .sync.state)/$(group_json b "$b_group" | jq -r .held)" = "held/true"
check "restore: a held group issues no sequence number" \
	test "$("$CLI" card --dev "$(card_of b)" --json dp tx "$b_out" 1 | jq -r '.results[0].status')" = held
p_tx0=$(sa_get p "$p_idx" '.children[0].tx_next')
p_other_tx0=$(sa_get p $p_other '.children[0].tx_next')
p_group=$(sa_get p "$p_idx" .group) p_ogroup=$(sa_get p $p_other .group)
rb() { "$CLI" card --dev "$(card_of p)" --json readback --group "$1" |
	jq -c '[.slots[] | select(.dir == "out") | {slot, last_seq}] | sort_by(.slot)'; }
rb0=$(rb "$p_group") rbo0=$(rb "$p_ogroup")
p_epoch0=$(card_epoch p)
acli b takeover --ike "$b_id" --wait 10 > "$RUN/takeover1.out" 2>&1
check "takeover of one IKE SA done" test "$(sa_get b "$b_idx" .sync.state)" = done
delta=$(sa_get b "$b_idx" .sync.delta)
m1=$(sa_get b "$b_idx" .sync.m1) p1=$(sa_get b "$b_idx" .sync.p1)
m2=$(sa_get b "$b_idx" .sync.m2) p2=$(sa_get b "$b_idx" .sync.p2)
nonce=$(sa_get b "$b_idx" .sync.nonce)
check "Message IDs in line: B sends at M2 ($m2), P expects it; P sends at P2 ($p2), B expects it" \
	test "$(sa_get b "$b_idx" .mid_send)/$(sa_get b "$b_idx" .mid_recv)" = \
	"$(sa_get p "$p_idx" .mid_recv)/$(sa_get p "$p_idx" .mid_send)"
p_tx1=$(sa_get p "$p_idx" '.children[0].tx_next')
check "peer: the outbound slot of that IKE SA moved by exactly the delta ($delta)" \
	test "$((p_tx1 - p_tx0))" = "$delta"
check "peer: in one group operation on its card (card epoch +1)" \
	test "$(card_epoch p)" = "$((p_epoch0 + 1))"
rb1=$(rb "$p_group")
check "peer: card readback — every outbound slot of that IKE SA ($(echo "$rb1" | jq length)) moved by exactly the delta" \
	test "$(jq -n --argjson a "$rb0" --argjson b "$rb1" --argjson d "$delta" \
		'[range($a | length) | $b[.].last_seq - $a[.].last_seq == $d] | all and ($a | length) == 2')" = true
check "peer: card readback — the other IKE SA's outbound slots untouched" \
	test "$(rb "$p_ogroup")" = "$rbo0"
check "peer: the other IKE SA's outbound slot untouched" \
	test "$(sa_get p $p_other '.children[0].tx_next')" = "$p_other_tx0"
check "peer log names the one group add" grep -q "replay delta $delta applied to the outbound counters of 2 Child SA(s) in one group add" "$RUN/p.log"
# The gateway's inbound window: everything up to snapshot + delta is refused.
st_old=$(card_rx b "$b_in" $((snap_rx + 1)))
st_edge=$(card_rx b "$b_in" $((snap_rx + delta)))
check "gateway: inbound window rejects the old range (snapshot+1: $st_old, snapshot+delta: $st_edge)" \
	test "$st_old" != ok -a "$st_edge" != ok
check "gateway: the peer's traffic after the delta is accepted" send p b "$p_out" "$b_in" 20 ""
: > "$RUN/b.seqs"
check "gateway traffic after the takeover accepted by the peer" send b p "$b_out" "$p_in" 100 "$RUN/b.seqs"
check "no sequence number reuse across the takeover (A issued $(wc -l < "$RUN/a.seqs"), B $(wc -l < "$RUN/b.seqs"))" \
	test -z "$(sort "$RUN/a.seqs" "$RUN/b.seqs" | uniq -d)"
check "B's first number is above the last one A issued" \
	test "$(sort -n "$RUN/b.seqs" | head -1)" -gt "$(sort -n "$RUN/a.seqs" | tail -1)"
check "once per failover: a second takeover of that IKE SA is refused" \
	bash -c "! IPSECHA_AGENT_SOCKET=$RUN/b.sock $CLI takeover --ike $b_id 2>/dev/null"
o_idx=$((1 - b_idx))
o_id=$(sa_get b $o_idx .id)
acli b takeover --ike "$o_id" --wait 10 > /dev/null 2>&1
check "takeover of the second IKE SA (it was held until now)" \
	test "$(sa_get b $o_idx .sync.state)" = done
check "peer: the second IKE SA's slot moved only now" \
	test "$(( $(sa_get p $p_other '.children[0].tx_next') - p_other_tx0 ))" = "$(sa_get b $o_idx .sync.delta)"
# No reuse on any slot: every number A's card issued (SPI, number) against
# every number B's card issues after both takeovers.
: > "$RUN/b.all"
gw_tx_all b 50 "$RUN/b.all"
sed "s/^/$a_spi_out /" "$RUN/a.seqs" >> "$RUN/a.all"
sed "s/^/$a_spi_out /" "$RUN/b.seqs" >> "$RUN/b.all"
above=$(awk 'FNR == NR { if (!($1 in amax) || $2 > amax[$1]) amax[$1] = $2; next }
	$1 in amax && $2 <= amax[$1] { bad++ } END { print bad + 0 }' "$RUN/a.all" "$RUN/b.all")
check "no reuse on any of the gateway's $(cut -d' ' -f1 "$RUN/a.all" | sort -u | wc -l) outbound slots: $(wc -l < "$RUN/a.all") numbers from A, $(wc -l < "$RUN/b.all") from B, none twice, B's all above A's on each slot" \
	test -z "$(sort "$RUN/a.all" "$RUN/b.all" | uniq -d)" -a "$above" = 0 -a \
	"$(cut -d' ' -f1 "$RUN/b.all" | sort -u)" = "$(cut -d' ' -f1 "$RUN/a.all" | sort -u)" -a \
	"$(cut -d' ' -f1 "$RUN/a.all" | sort -u | wc -l)" = 3

# ---- exchanges after the takeover, from either side -----------------------------
acli b dpd --ike "$b_id" > /dev/null; sleep 0.3
acli p dpd --ike "$p_id" > /dev/null; sleep 0.3
check "DPD from either side answered" \
	test "$(sa_get b "$b_idx" .mid_send)/$(sa_get p "$p_idx" .mid_send)" = "$((m2 + 1))/$((p2 + 1))"
c0=$(sa_get b "$b_idx" '.children[0].spi_in')
acli p rekey --child "$(sa_get p "$p_idx" '.children[0].id')" > /dev/null; sleep 0.5
c1=$(sa_get b "$b_idx" '.children[0].spi_in')
acli b rekey --child "$(sa_get b "$b_idx" '.children[0].id')" > /dev/null; sleep 0.5
c2=$(sa_get b "$b_idx" '.children[0].spi_in')
check "Child SA rekeyed from either side (SPIs $c0 -> $c1 -> $c2)" \
	test "$c0" != "$c1" -a "$c1" != "$c2" -a "$(sa_get b "$b_idx" '.children | length')" = 2
acli b rekey --ike "$b_id" > /dev/null; sleep 0.5
check "IKE SA rekeyed by B after the takeover (capabilities inherited)" \
	test "$(sas b | jq -r '[.[] | .caps | join(",")] | unique | join(";")')" = "mid_sync,replay_sync"
new_id=$(sas p | jq -r '.[0].id')
acli p rekey --ike "$new_id" > /dev/null; sleep 0.5
check "IKE SA rekeyed by P afterwards, still 2 IKE SAs on both" \
	test "$(sas p | jq length)/$(sas b | jq length)" = "2/2"
capture_stop sync

# ---- tshark decodes our sync exchange with the key logs ---------------------------
mapfile -t topt < <(tshark_opts "$RUN/b-keys.log" "$RUN/p-keys.log" "$RUN/a-keys.log")
tshark -r "$RUN/sync.pcapng" "${topt[@]}" -Y 'isakmp.notify.msgtype == 16422' -T fields \
	-e isakmp.messageid -e isakmp.flags -e isakmp.notify.data.ha.nonce_data \
	-e isakmp.notify.data.ha.expected_send_req_message_id \
	-e isakmp.notify.data.ha.expected_recv_req_message_id \
	-e isakmp.notify.data.ha.incoming_ipsec_sa_delta_value -e isakmp.notify.msgtype \
	-E separator='|' > "$RUN/sync.tshark" 2>&1
# Lines: mid|flags|nonce|send|recv|delta|types (hex values "0x...").
hexnum() { local v=${1#0x}; [ -n "$v" ] && echo $((16#$v)); }
req=$(grep -E '^0x0+\|0x0[08]\|' "$RUN/sync.tshark" | head -1)
resp=$(grep -E '^0x0+\|0x2[08]\|' "$RUN/sync.tshark" | head -1)
IFS='|' read -r q_mid q_fl q_nonce q_send q_recv q_delta q_types <<< "$req"
IFS='|' read -r r_mid r_fl r_nonce r_send r_recv r_delta r_types <<< "$resp"
printf -v hexd '%016x' "$delta"
check "tshark: sync request at Message ID 0, flags $q_fl, with 16422 and 16423: nonce $nonce, M1 $m1, P1 $p1" \
	test "$(hexnum "$q_mid")/${q_nonce#0x}/$(hexnum "$q_send")/$(hexnum "$q_recv")/$q_types" = \
	"0/$nonce/$m1/$p1/16422,16423"
check "tshark: 4-octet delta (Child SAs without ESN) = $delta" \
	test "$(echo "$q_delta" | tr -d :)" = "${hexd:8}"
check "tshark: sync response at Message ID 0, flags $r_fl: same nonce, P2 $p2, M2 $m2, 16422 only" \
	test "$(hexnum "$r_mid")/${r_nonce#0x}/$(hexnum "$r_send")/$(hexnum "$r_recv")/$r_types" = \
	"0/$nonce/$p2/$m2/16422"
check "tshark: no malformed packets in the capture" \
	test -z "$(tshark -r "$RUN/sync.pcapng" "${topt[@]}" -Y '_ws.malformed || _ws.expert.severity >= 8388608' 2>/dev/null)"

# ---- negative: M1 too low (no margin, more requests after the snapshot) ------------
agent_kill9 b
acli p terminate gw > /dev/null 2>&1; sleep 0.3
agent_kill9 p
rm -f "$RUN"/*.sock
HSH_RETX=300ms HSH_TRIES=2
agent_conf p $P_OUT $G_OUT p@ipsh.test g@ipsh.test $P_TS $G_TS "${SYNC[@]}"
agent_conf a $G_OUT $P_OUT g@ipsh.test p@ipsh.test $G_TS $P_TS "${SYNC[@]}" "mid_margin = 0"
agent_conf b $G_OUT $P_OUT g@ipsh.test p@ipsh.test $G_TS $P_TS "${SYNC[@]}" "mid_margin = 0"
: > "$RUN/p.log"; : > "$RUN/b.log"
agent_start p "$NSP" && agent_start a "$NSG" || { ko "agents for the negative case"; exit 1; }
acli p initiate gw > /dev/null
acli a state save "$RUN/a2.snap" > /dev/null
a_id=$(sa_get a 0 .id)
for i in 1 2 3; do acli a dpd --ike "$a_id" > /dev/null; sleep 0.2; done
agent_kill9 a
agent_start b "$NSG" --restore "$RUN/a2.snap" || { ko "agent b start"; exit 1; }
acli b takeover --all --wait 20 > "$RUN/takeover2.out" 2>&1
rc=$?
check "too-low M1: the peer drops it silently by rule P-a (logged)" \
	grep -q "dropped by rule P-a" "$RUN/p.log"
check "too-low M1: no answer, the takeover fails and the CLI says so" test $rc != 0
check "too-low M1: B gives up after its retransmissions and deletes the IKE SA" \
	wait_for bash -c "test \"\$(IPSECHA_AGENT_SOCKET=$RUN/b.sock $CLI sa list --json | jq '.sas | length')\" = 0"
check "too-low M1: counted (status: peer dropped P-a, gateway sync timeout)" \
	test "$(acli p status --json | jq -r '.rfc6311.peer.sync_dropped["P-a"]')/$(acli b status --json | jq -r '.rfc6311.cluster.sync_timeouts')" = "3/1"
acli p terminate gw > /dev/null 2>&1
wait_for bash -c "test \"\$(IPSECHA_AGENT_SOCKET=$RUN/p.sock $CLI sa list --json | jq '.sas | length')\" = 0"
acli p initiate gw > /dev/null
check "re-established afterwards (INITIAL_CONTACT): one IKE SA on each side" \
	test "$(sas p | jq length)/$(sas b | jq length)" = "1/1"

echo "rfc6311-agents: $pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
