#!/bin/bash
# demo-failover.sh BIN — the project's main demo (make demo): a gateway
# member fails, the standby takes over from a stale state snapshot with the
# RFC 6311 exchange (real IKE over UDP between namespaces), and the sequence
# counters on the (simulated) card show that no outbound sequence number is
# issued twice; the peer's IKE SA survives.
#
# What is real and what is not: IKE (IKE_SA_INIT, IKE_AUTH, the RFC 6311
# sync, DPD, rekeys) goes over the wire between the namespaces. No ESP
# packet is built or sent: the "traffic" is the card's data-path port asked
# for outbound sequence numbers (`ipsecha card dp tx`), the numbers an ESP
# sender would stamp on its packets. So the peer's anti-replay window is not
# exercised here (tests/rfc6311/agents.sh does that card to card).
#
# The peer is strongSwan 5.9.8 when installed (it answers Message ID sync on
# IKE SAs it initiated), else our own agent in the peer role (then the
# replay counter delta is shown as well). Needs root (network namespaces).
set -u
HSH_BIN=$(cd "${1:-build/bin}" && pwd)
. "$(dirname "$0")/lib.sh"

B_=$(tput bold 2>/dev/null || true) N_=$(tput sgr0 2>/dev/null || true)
step() { printf '\n%s[%s]%s %s\n' "$B_" "$1" "$N_" "$2"; }
say() { printf '     %s\n' "$*"; }
die() { printf '\n%sdemo failed:%s %s\n' "$B_" "$N_" "$*"; exit 1; }

if [ "$(id -u)" != 0 ] || ! ip netns add "$NSP" 2>/dev/null; then
	echo "demo-failover: needs root for its two network namespaces (run: sudo make demo)"
	exit 1
fi
ip netns del "$NSP"
trap hsh_cleanup EXIT
trap 'exit 130' INT TERM
PEER=strongswan
hsh_need_strongswan > /dev/null || PEER=ours
[ "${DEMO_PEER:-}" = ours ] && PEER=ours

printf '%sipsecha failover demo%s — RFC 6311 with the sequence counters on the card\n' "$B_" "$N_"
step 1 "two namespaces on a veth pair"
hsh_topology || die "topology"
if [ $PEER = strongswan ]; then
	say "peer     $P_OUT  strongSwan 5.9.8 (charon, kernel-libipsec)"
else
	say "peer     $P_OUT  ipsecha-agent in the peer role, with its own simulated card"
	say "         (strongSwan is not installed: tools/deps.txt lists it)"
fi
say "gateway  $G_OUT  ipsecha-agent member A with its simulated card (ipsecha-card-sim);"
say "                   member B will take its place at the same address"

HSH_IKE=aes256-sha256-x25519
SYNC=("mid_sync = yes" "replay_sync = yes")
agent_conf a $G_OUT $P_OUT g@ipsh.test p@ipsh.test $G_TS $P_TS "${SYNC[@]}"
agent_conf b $G_OUT $P_OUT g@ipsh.test p@ipsh.test $G_TS $P_TS "${SYNC[@]}"
sa() { acli "$1" sa list --json | jq -r ".sas[0] | $2"; }
card_last() { "$CLI" card --dev "$(card_of "$1")" --json sa read "$2" | jq -r '.last_seq'; }
agent_start a "$NSG" --log-level info || die "member A did not start"

step 2 "the peer opens an IKE SA to the gateway"
if [ $PEER = strongswan ]; then
	charon_conf s
	charon_start s "$NSP" || die "charon did not start"
	swanctl_conf s $P_OUT $G_OUT p@ipsh.test g@ipsh.test $P_TS $G_TS $HSH_IKE aes256gcm16
	swanctl_ s --initiate --child net --timeout 10 > /dev/null 2>&1
else
	agent_conf p $P_OUT $G_OUT p@ipsh.test g@ipsh.test $P_TS $G_TS "${SYNC[@]}"
	agent_start p "$NSP" || die "peer agent did not start"
	acli p initiate gw > /dev/null
fi
wait_for test "$(sa a .state 2>/dev/null)" = ESTABLISHED || die "no IKE SA"
say "IKE SA $(sa a .spi_i)_i $(sa a .spi_r)_r, $(sa a .ike)"
say "Child SA $(sa a '.children[0].spi_in')_i $(sa a '.children[0].spi_out')_o in card group $(sa a .group)," \
    "slots out $(sa a '.children[0].slot_out') / in $(sa a '.children[0].slot_in')"
say "RFC 6311 capabilities negotiated in IKE_AUTH: $(sa a '.caps | join(", ")')"
a_out=$(sa a '.children[0].slot_out')

step 3 "outbound sequence numbers from A's card"
say "(the card's data-path port is asked for them, as an ESP sender would for each"
say " packet: no ESP packet is built or sent in this demo)"
card_tx a "$a_out" 1000 > "$RUN/a.seqs"
say "1000 numbers issued on slot $a_out: $(head -1 "$RUN/a.seqs") .. $(tail -1 "$RUN/a.seqs")"

step 4 "A saves its state: the unit of replication to a standby"
acli a state save "$RUN/a.snap" > /dev/null || die "state save"
snap_seq=$("$CLI" state show "$RUN/a.snap" --key "$RUN/state.key" --json | jq -r '.sas[0].children[0].tx_seq')
say "$RUN/a.snap (sealed with the cluster key): next request MID $(sa a .mid_send)," \
    "expecting $(sa a .mid_recv), last outbound sequence number $snap_seq"

step 5 "A keeps working: the snapshot goes stale"
for i in 1 2 3; do acli a dpd --ike "$(sa a .id)" > /dev/null; sleep 0.2; done
card_tx a "$a_out" 3000 >> "$RUN/a.seqs"
say "3 liveness checks (A's next Message ID is now $(sa a .mid_send)), 3000 more sequence" \
    "numbers issued, up to $(tail -1 "$RUN/a.seqs")"
say "a standby starting from the snapshot would issue $(( $(tail -1 "$RUN/a.seqs") - snap_seq ))" \
    "of those numbers again, and reuse Message IDs the peer has seen"
a_last=$(tail -1 "$RUN/a.seqs")

step 6 "member A fails (SIGKILL; its card goes with it)"
agent_kill9 a
if [ $PEER = strongswan ]; then
	peer_state=$(swanctl_ s --list-sas --raw 2>/dev/null | grep -o 'state=[A-Z_]*' | head -1)
else
	peer_state=state=$(acli p sa list --json | jq -r '.sas[0].state')
fi
say "the peer's IKE SA: ${peer_state#state=} (it has not noticed)"

step 7 "member B starts from the stale snapshot at the same address"
# strongSwan cannot move its own counters (no replay counter sync): by
# default B would replace the Child SA right after the takeover; the demo
# keeps it, to show the same SA's numbers continue above A's.
keep=()
if [ $PEER = strongswan ]; then
	keep=(--no-rekey-unsynced)
	say "(strongSwan has no replay counter sync: B's inbound window stays at the snapshot's"
	say " edge; B would normally replace the Child SA after the takeover, --no-rekey-unsynced"
	say " keeps it so the same slot's numbers can be compared)"
fi
agent_start b "$NSG" --log-level info --restore "$RUN/a.snap" "${keep[@]}" || die "member B did not start"
b_out=$(sa b '.children[0].slot_out')
say "IKE SA restored and held: sync state '$(sa b .sync.state)', next request MID $(sa b .mid_send)"
say "card group $(sa b .group) held: a packet now gets '$("$CLI" card --dev "$(card_of b)" --json dp tx "$b_out" 1 | jq -r '.results[0].status')'" \
    "(no stale sequence number can leave)"

step 8 "ipsecha takeover --all: hold, RFC 6311 sync, one jump and release on the card"
acli b takeover --all --wait 20 > /dev/null || die "takeover failed (see $RUN/b.log)"
say "request  INFORMATIONAL Message ID 0: IKEV2_MESSAGE_ID_SYNC nonce $(sa b .sync.nonce)," \
    "M1 $(sa b .sync.m1), P1 $(sa b .sync.p1)$( [ "$(sa b .sync.delta)" != 0 ] && echo ", IPSEC_REPLAY_COUNTER_SYNC delta $(sa b .sync.delta)")"
say "response Message ID 0: same nonce, P2 $(sa b .sync.p2), M2 $(sa b .sync.m2)"
if [ $PEER = strongswan ]; then
	say "strongSwan: $(grep -o 'responder requested MID sync.*' "$RUN/s/charon.log" | head -1)"
else
	say "peer: $(grep -o 'RFC 6311: replay delta.*' "$RUN/p.log" | head -1)"
fi
say "B: outbound jump $(sa b .sync.jump) on every slot of the IKE SA and release, in one" \
    "card operation; $(sa b .sync.ms) ms"

step 9 "outbound sequence numbers again, now from B's card (the same Child SA, restored on B's card)"
card_tx b "$b_out" 1000 > "$RUN/b.seqs"
say "1000 numbers issued: $(head -1 "$RUN/b.seqs") .. $(tail -1 "$RUN/b.seqs")"

step 10 "the counters before and after"
rep=$(sort -n "$RUN/a.seqs" "$RUN/b.seqs" | uniq -d | wc -l)
printf '     %-34s %s\n' "A issued (before the failure)" "$(head -1 "$RUN/a.seqs") .. $a_last"
printf '     %-34s %s\n' "snapshot (what B knew)" "$snap_seq"
printf '     %-34s %s\n' "B issued (after the takeover)" "$(head -1 "$RUN/b.seqs") .. $(tail -1 "$RUN/b.seqs")"
printf '     %-34s %s\n' "numbers issued twice" "$rep"
[ "$rep" = 0 ] || die "$rep sequence numbers were reused"
[ "$(head -1 "$RUN/b.seqs")" -gt "$a_last" ] || die "B's numbers do not start above A's"

step 11 "the IKE SA survives: exchanges from either side"
m0=$(sa b .mid_send)
acli b dpd --ike "$(sa b .id)" > /dev/null
wait_for test "$(sa b .mid_send)" -gt "$m0" || die "B's DPD not answered"
say "B's liveness check answered (Message ID $m0)"
c0=$(sa b '.children[0].spi_in')
if [ $PEER = strongswan ]; then
	swanctl_ s --rekey --child net > /dev/null 2>&1
else
	acli p rekey --child "$(acli p sa list --json | jq -r '.sas[0].children[0].id')" > /dev/null
fi
wait_for test "$(sa b '.children[0].spi_in')" != "$c0" || die "the peer's Child SA rekey failed"
say "the peer rekeyed the Child SA: $c0 -> $(sa b '.children[0].spi_in')"
say "IKE SA $(sa b .spi_i)_i $(sa b .spi_r)_r: $(sa b .state), as before the failure"
printf '\n%sdemo passed%s: failover with RFC 6311, no outbound sequence number issued twice,\n' "$B_" "$N_"
printf 'the peer kept its IKE SA (same SPIs), DPD and a Child SA rekey worked afterwards\n(no ESP packets were sent: see step 3)\n'
