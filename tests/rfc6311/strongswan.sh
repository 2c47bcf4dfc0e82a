#!/bin/bash
# strongswan.sh BIN — RFC 6311 against Debian's strongSwan 5.9.8 (charon,
# kernel-libipsec, UDP-encapsulated ESP) in two network namespaces.
# strongSwan initiates to our gateway member A (strongSwan answers Message ID
# sync only on IKE SAs it initiated); A's state is saved; more exchanges
# (strongSwan's and A's DPDs, a Child SA rekey) and card traffic follow; A
# is SIGKILLed and B starts at the same address from the stale snapshot and
# runs the takeover. strongSwan must log `responder requested MID sync`, keep
# its IKE SA, and DPD, Child rekey and IKE rekey from either side must work
# afterwards. Then the negative case: a too-low M1, silently dropped by
# strongSwan, handled by B (IKE SA deleted, strongSwan re-establishes).
set -u
HSH_BIN=$(cd "${1:-build/bin}" && pwd)
. "$(dirname "$0")/lib.sh"
hsh_need_root "the strongSwan scenarios cannot run" rfc6311-strongswan
if ! miss=$(hsh_need_strongswan); then
	echo "SKIP $miss is not installed (tools/deps.txt lists it; make deps installs it)"
	echo "rfc6311-strongswan: 0 passed, 0 failed, 1 skipped"
	exit 0
fi
trap hsh_cleanup EXIT
trap 'exit 130' INT TERM
hsh_topology || { ko "topology"; echo "rfc6311-strongswan: $pass passed, $fail failed, $skip skipped"; exit 1; }

# IKE with AES-CBC: strongSwan 5.9.8 derives AES-GCM IVs for IKE messages
# from the Message ID (iv_gen_seq) and refuses to encrypt its MID-0 sync
# response once the Message IDs have moved (the last case shows that).
IKE=aes256-sha256-x25519 ESP=aes256gcm16
SYNC=("mid_sync = yes" "replay_sync = yes")
sas() { acli "$1" sa list --json | jq -c '.sas'; }
sa_get() { sas "$1" | jq -r ".[0] | $2"; }
sw_sas() { swanctl_ s --list-sas --raw 2>/dev/null; }
sw_ike_up() { sw_sas | grep -q "state=ESTABLISHED"; }
# the IKE SA strongSwan keeps (initiator SPI)
sw_spi() { sw_sas | grep -o 'initiator-spi=[0-9a-f]*' | head -1 | cut -d= -f2; }
clog() { cat "$RUN/s/charon.log"; }

scenario_setup() { # extra agent lines...
	HSH_IKE=$IKE
	agent_conf a $G_OUT $P_OUT g@ipsh.test s@ipsh.test $G_TS $P_TS "${SYNC[@]}" "$@"
	agent_conf b $G_OUT $P_OUT g@ipsh.test s@ipsh.test $G_TS $P_TS "${SYNC[@]}" "$@"
	charon_conf s
	charon_start s "$NSP" || return 1
	swanctl_conf s $P_OUT $G_OUT s@ipsh.test g@ipsh.test $P_TS $G_TS $IKE $ESP
	agent_start a "$NSG" || return 1
	swanctl_ s --initiate --child net --timeout 10 > "$RUN/s/initiate.out" 2>&1
	wait_for sw_ike_up
}

# ---- the failover -------------------------------------------------------------
HSH_SW_DPD=2s
scenario_setup || { ko "strongSwan initiates to A"; echo "rfc6311-strongswan: $pass passed, $fail failed, $skip skipped"; exit 1; }
check "strongSwan initiated to A: IKE SA and Child SA up" \
	test "$(sa_get a '.children | length')" = 1
check "A: Message ID sync negotiated (strongSwan asserts 16420 as initiator), replay sync not" \
	test "$(sa_get a '.caps | join(",")')" = "mid_sync"
check "A as responder asserted only what strongSwan offered" \
	test "$(sa_get a '.sync.offered | join(",")')/$(sa_get a '.sync.peer_offered | join(",")')" = "mid_sync/mid_sync"
spi=$(sw_spi)
acli a state save "$RUN/a.snap" > /dev/null
check "A's state saved" test -s "$RUN/a.snap"
# More after the snapshot: A's DPDs, strongSwan's DPDs (idle 2 s), a Child
# rekey, card traffic on A's outbound slot.
a_id=$(sa_get a .id)
# "SPI sequence-number" per packet: numbers repeat only if SPI and number do.
tx_rec() { # AGENT COUNT
	local spi slot
	spi=$(sa_get "$1" '.children[0].spi_out') slot=$(sa_get "$1" '.children[0].slot_out')
	card_tx "$1" "$slot" "$2" | sed "s/^/$spi /"
}
: > "$RUN/a.seqs"
tx_rec a 200 >> "$RUN/a.seqs"
for i in 1 2; do acli a dpd --ike "$a_id" > /dev/null; sleep 0.3; done
tx_rec a 50 >> "$RUN/a.seqs"
acli a rekey --child "$(sa_get a '.children[0].id')" > /dev/null; sleep 1
tx_rec a 100 >> "$RUN/a.seqs"
sleep 2.5
sw_dpd0=$(clog | grep -c 'sending DPD request')
check "after the snapshot: A sent 2 DPDs and a Child rekey, strongSwan $sw_dpd0 DPD(s)" \
	test "$(sa_get a .mid_send)" -ge 4 -a "$sw_dpd0" -ge 1
a_mid=$(sa_get a .mid_send)

capture_start ss "$NSG" "$VG"
agent_kill9 a
agent_start b "$NSG" --restore "$RUN/a.snap" || { ko "B start"; exit 1; }
check "B restored the stale IKE SA (next request $(sa_get b .mid_send) < A's last $a_mid), held" \
	test "$(sa_get b .sync.state)" = held -a "$(sa_get b .mid_send)" -lt "$a_mid"
acli b takeover --all --wait 20 > "$RUN/takeover.out" 2>&1
check "B's takeover done" test "$(sa_get b .sync.state)" = done
check "strongSwan logged 'responder requested MID sync'" \
	grep -q "responder requested MID sync" "$RUN/s/charon.log"
m1=$(sa_get b .sync.m1) m2=$(sa_get b .sync.m2) p2=$(sa_get b .sync.p2) p1=$(sa_get b .sync.p1)
check "strongSwan adopted M1 ($m1 = M2 $m2), P2 $p2 >= P1 $p1" \
	test "$m2" = "$m1" -a "$p2" -ge "$p1"
check "strongSwan kept the same IKE SA ($spi)" test "$(sw_spi)" = "$spi"
# B restored the Child SA of the snapshot (A rekeyed it since; B rekeys
# it right after the takeover: no replay sync with strongSwan).
: > "$RUN/b.seqs"
tx_rec b 100 >> "$RUN/b.seqs"
check "no sequence number reuse: B's numbers on SPI $(cut -d' ' -f1 "$RUN/b.seqs" | sort -u | tr '\n' ' ')never issued by A" \
	test -z "$(sort "$RUN/a.seqs" "$RUN/b.seqs" | uniq -d)" -a -s "$RUN/b.seqs"
# Afterwards, from either side.
b_id=$(sa_get b .id)
s0=$(sa_get b .mid_send)
acli b dpd --ike "$b_id" > /dev/null
wait_for bash -c "test \"\$(IPSECHA_AGENT_SOCKET=$RUN/b.sock $CLI sa list --json | jq '.sas[0].mid_send')\" -gt $s0"
sleep 0.5
check "DPD from B answered by strongSwan (no retransmission left)" \
	test "$(acli b status --json | jq '.stats.retransmits')" = 0 -o "$(sa_get b .mid_send)" -gt "$s0"
r0=$(sa_get b .mid_recv)
sleep 2.5
check "DPD from strongSwan answered by B" test "$(sa_get b .mid_recv)" -gt "$r0"
c0=$(sa_get b '.children[0].spi_in')
swanctl_ s --rekey --child net > /dev/null 2>&1; sleep 1
c1=$(sa_get b '.children[0].spi_in')
check "Child SA rekey from strongSwan ($c0 -> $c1)" test "$c1" != "$c0" -a "$(sa_get b '.children | length')" = 1
acli b rekey --child "$(sa_get b '.children[0].id')" > /dev/null; sleep 1
c2=$(sa_get b '.children[0].spi_in')
check "Child SA rekey from B ($c1 -> $c2)" test "$c2" != "$c1" -a "$(sa_get b '.children | length')" = 1
i0=$(sa_get b .spi_r)
swanctl_ s --rekey --ike ipsh > /dev/null 2>&1; sleep 1
i1=$(sa_get b .spi_r)
check "IKE SA rekey from strongSwan (capabilities inherited: $(sa_get b '.caps | join(",")'))" \
	test "$i1" != "$i0" -a "$(sas b | jq length)" = 1 -a "$(sa_get b '.caps | join(",")')" = mid_sync
acli b rekey --ike "$(sa_get b .id)" > /dev/null; sleep 1
i2=$(sa_get b .spi_r)
check "IKE SA rekey from B" test "$i2" != "$i1" -a "$(sas b | jq length)" = 1 -a "$(sw_sas | grep -c 'state=ESTABLISHED')" -ge 1
capture_stop ss

# tshark decodes the exchange with B's key log: strongSwan's answer at
# Message ID 0, flags 0x28 (original initiator, response), our nonce.
mapfile -t topt < <(tshark_opts "$RUN/b-keys.log")
tshark -r "$RUN/ss.pcapng" "${topt[@]}" -Y 'isakmp.notify.msgtype == 16422' -T fields \
	-e isakmp.messageid -e isakmp.flags -e isakmp.notify.data.ha.nonce_data \
	-e isakmp.notify.data.ha.expected_send_req_message_id \
	-e isakmp.notify.data.ha.expected_recv_req_message_id -e isakmp.notify.msgtype \
	-E separator='|' > "$RUN/ss.tshark" 2>&1
nonce=$(sa_get b '.sync.nonce // empty')
hexnum() { local v=${1#0x}; [ -n "$v" ] && echo $((16#$v)); }
IFS='|' read -r q_mid q_fl q_n q_s q_r q_t <<< "$(grep -E '^0x0+\|0x00\|' "$RUN/ss.tshark" | head -1)"
IFS='|' read -r r_mid r_fl r_n r_s r_r r_t <<< "$(grep -E '^0x0+\|0x28\|' "$RUN/ss.tshark" | head -1)"
check "tshark: our request MID 0 (flags 0x00): nonce, M1 $m1, P1 $p1, only 16422" \
	test "$(hexnum "$q_mid")/$(hexnum "$q_s")/$(hexnum "$q_r")/$q_t" = "0/$m1/$p1/16422"
check "tshark: strongSwan's response MID 0 (flags 0x28): same nonce, P2 $p2, M2 $m2" \
	test "$(hexnum "$r_mid")/$r_n/$(hexnum "$r_s")/$(hexnum "$r_r")/$r_t" = "0/$q_n/$p2/$m2/16422"

# ---- negative: M1 too low --------------------------------------------------------
agent_kill9 b
kill "$pid_s" 2>/dev/null; wait "$pid_s" 2>/dev/null
rm -rf "$RUN/s" "$RUN"/*.sock
HSH_SW_DPD=0 HSH_RETX=300ms HSH_TRIES=2
scenario_setup "mid_margin = 0" || { ko "negative case setup"; exit 1; }
acli a state save "$RUN/a2.snap" > /dev/null
a_id=$(sa_get a .id)
for i in 1 2 3; do acli a dpd --ike "$a_id" > /dev/null; sleep 0.3; done
agent_kill9 a
: > "$RUN/b.log"
agent_start b "$NSG" --restore "$RUN/a2.snap" || { ko "B start"; exit 1; }
acli b takeover --all > "$RUN/takeover2.out" 2>&1
# No control request meanwhile: B's own timers must finish the job
# (retransmissions 0.3 s x 1, 1.8, 3.24, then the IKE SA is deleted).
sleep 4
check "too-low M1: strongSwan ignores it silently ('lower ... than expected ... sender MID')" \
	grep -q "lower ([0-9]*) than expected ([0-9]*) sender MID" "$RUN/s/charon.log"
check "too-low M1: B's takeover fails (no answer after its retransmissions), logged" \
	grep -q "takeover failed: no answer" "$RUN/b.log"
check "too-low M1: B deleted the IKE SA by itself" \
	grep -q "IKE SA down: no answer to the Message ID sync" "$RUN/b.log"
check "too-low M1: no IKE SA left on B, the takeover counted as failed" \
	test "$(sas b | jq length)/$(acli b status --json | jq .rfc6311.cluster.takeovers_failed)" = "0/1"
swanctl_ s --terminate --ike ipsh --force > /dev/null 2>&1
swanctl_ s --initiate --child net --timeout 10 > /dev/null 2>&1
check "strongSwan re-establishes with B afterwards" \
	test "$(sas b | jq length)" = 1 -a "$(sa_get b .state)" = ESTABLISHED

# ---- strongSwan with AES-GCM for IKE: its sync answer never comes ----------------
agent_kill9 b
kill "$pid_s" 2>/dev/null; wait "$pid_s" 2>/dev/null
rm -rf "$RUN/s" "$RUN"/*.sock
IKE=aes256gcm16-prfsha256-x25519
scenario_setup || { ko "GCM case setup"; exit 1; }
acli a state save "$RUN/a3.snap" > /dev/null
a_id=$(sa_get a .id)
for i in 1 2; do acli a dpd --ike "$a_id" > /dev/null; sleep 0.3; done
swanctl_ s --rekey --child net > /dev/null 2>&1; sleep 1
agent_kill9 a
: > "$RUN/b.log"
agent_start b "$NSG" --restore "$RUN/a3.snap" || { ko "B start"; exit 1; }
acli b takeover --all --wait 20 > "$RUN/takeover3.out" 2>&1
rc=$?
check "AES-GCM IKE: strongSwan accepts our sync but cannot encrypt its answer (its IV generator)" \
	grep -q "encrypting encrypted payload failed" "$RUN/s/charon.log"
check "AES-GCM IKE: B's takeover fails and B deletes the IKE SA" \
	test $rc != 0 -a "$(sas b | jq length)" = 0
swanctl_ s --initiate --child net --timeout 10 > /dev/null 2>&1
check "AES-GCM IKE: strongSwan re-establishes with B" \
	test "$(sas b | jq length)" = 1 -a "$(sa_get b .state)" = ESTABLISHED

echo "rfc6311-strongswan: $pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
