#!/bin/bash
# daemon.sh BIN — the real ipsecha-agent and the ipsecha CLI over real UDP
# sockets: two agents in two network namespaces on a veth pair, each with
# its embedded simulated card (ipsecha-card-sim), driven only through the
# CLI and the control socket. Every case prints one PASS/FAIL line; the last
# line is the count.
#
#   ns ipsa-<pid>a (192.0.2.1) ==== veth ==== ns ipsa-<pid>b (192.0.2.2)
#
# Needs root (network namespaces). Everything it creates carries the ipsa-
# prefix (or $IPSA_PREFIX) and is removed on every exit path.
set -u
BIN=$(cd "${1:-build/bin}" && pwd)
AGENT=$BIN/ipsecha-agent CLI=$BIN/ipsecha
pfx=${IPSA_PREFIX:-ipsa}
tag=$pfx-$$
NSA=${tag}a NSB=${tag}b VA=$pfx$$a VB=$pfx$$b
RUN=$(mktemp -d /tmp/${tag}-XXXXXX)
pass=0 fail=0 skip=0
pids=()

cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	sleep 0.3
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
	ip netns del "$NSA" 2>/dev/null
	ip netns del "$NSB" 2>/dev/null
	rm -rf "$RUN"
}
trap cleanup EXIT INT TERM

ok() { echo "PASS $1"; pass=$((pass + 1)); }
ko() { echo "FAIL $1"; [ -n "${2:-}" ] && echo "     $2"; fail=$((fail + 1)); }
check() { local name=$1; shift; if "$@"; then ok "$name"; else ko "$name"; fi; }

if [ "$(id -u)" != 0 ] || ! ip netns add "$NSA" 2>/dev/null; then
	echo "SKIP network namespaces unavailable (need root): the daemon cases cannot run"
	echo "ike-daemon: 0 passed, 0 failed, 1 skipped"
	exit 0
fi
ip netns add "$NSB"
ip link add "$VA" type veth peer name "$VB"
ip link set "$VA" netns "$NSA"
ip link set "$VB" netns "$NSB"
ip -n "$NSA" addr add 192.0.2.1/24 dev "$VA"
ip -n "$NSB" addr add 192.0.2.2/24 dev "$VB"
ip -n "$NSA" addr add 2001:db8::1/64 dev "$VA" nodad
ip -n "$NSB" addr add 2001:db8::2/64 dev "$VB" nodad
for ns in "$NSA" "$NSB"; do ip -n "$ns" link set lo up; done
ip -n "$NSA" link set "$VA" up
ip -n "$NSB" link set "$VB" up

conf() { # NAME LOCAL REMOTE LTS RTS LOCAL6 REMOTE6 LTS6 RTS6
	cat > "$RUN/$1.conf" <<-EOF
	[global]
	control_socket = $RUN/$1.sock
	log_level = debug
	keylog = $RUN/$1.keys
	retransmit_timeout = 500ms
	retransmit_tries = 3

	[conn c]
	local = $2
	remote = $3
	psk = "daemon-test-secret-0123456"
	ike = aes128gcm16-prfsha256-x25519,aes256-sha256-ecp256
	esp = aes128gcm16,aes256-sha256
	local_ts = $4
	remote_ts = $5
	dpd_interval = 0

	[conn nat]
	local = $2
	remote = $3
	psk = "daemon-test-secret-0123456"
	ike = aes256-sha384-ecp384
	esp = aes256-sha384-esn
	local_ts = $4
	remote_ts = $5
	encap = yes
	dpd_interval = 0

	[conn v6]
	local = $6
	remote = $7
	local_id = fqdn:$1.ipsa.example
	remote_id = fqdn:$8.ipsa.example
	psk = "daemon-test-secret-0123456"
	ike = aes256gcm16-prfsha384-ecp384
	esp = aes256gcm16
	local_ts = $9
	remote_ts = ${10}
	dpd_interval = 0

	[conn v6ip]
	local = $6
	remote = $7
	psk = "daemon-test-secret-0123457"
	ike = aes128-sha512-prfsha512-modp2048
	esp = aes128-sha512
	local_ts = $9
	remote_ts = ${10}
	dpd_interval = 0
	EOF
}
conf a 192.0.2.1 192.0.2.2 198.51.100.0/25 198.51.100.128/25 2001:db8::1 2001:db8::2 b 2001:db8:1::/48 2001:db8:2::/48
conf b 192.0.2.2 192.0.2.1 198.51.100.128/25 198.51.100.0/25 2001:db8::2 2001:db8::1 a 2001:db8:2::/48 2001:db8:1::/48

cli() { local n=$1; shift; IPSECHA_AGENT_SOCKET=$RUN/$n.sock "$CLI" "$@"; }
jq_() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

start_agent() { # NAME NS [extra args]
	local n=$1 ns=$2; shift 2
	ip netns exec "$ns" "$AGENT" --config "$RUN/$n.conf" "$@" > "$RUN/$n.log" 2>&1 &
	pids+=($!)
	eval "pid_$n=$!"
	for _ in $(seq 1 100); do
		cli "$n" status > /dev/null 2>&1 && return 0
		sleep 0.05
	done
	tail -5 "$RUN/$n.log"
	return 1
}

# ---- configuration checks: nothing started on a bad file ------------------
out=$("$AGENT" --config "$RUN/a.conf" --check-config 2>&1)
check "check-config accepts a valid file" test $? = 0
sed '/^psk/d' "$RUN/a.conf" > "$RUN/bad.conf"
out=$("$AGENT" --config "$RUN/bad.conf" 2>&1); rc=$?
if [ $rc = 1 ] && echo "$out" | grep -q "bad.conf:[0-9]*:" && [ ! -e "$RUN/a.sock" ]; then
	ok "bad configuration: file:line message, exit 1, nothing started"
else
	ko "bad configuration: file:line message, exit 1, nothing started" "rc=$rc: $out"
fi
out=$("$AGENT" --bogus 2>&1); rc=$?
check "unknown option is a usage error (exit 2)" test $rc = 2
out=$(cli a status 2>&1); rc=$?
if [ $rc = 1 ] && echo "$out" | grep -q "no agent at"; then ok "CLI without an agent: clear error, exit 1"
else ko "CLI without an agent: clear error, exit 1" "$rc: $out"; fi

# ---- two agents, each with its embedded simulated card --------------------
if start_agent a "$NSA" && start_agent b "$NSB"; then ok "both agents up (control sockets answer)"
else ko "both agents up"; echo "ike-daemon: $pass passed, $fail failed, $skip skipped"; exit 1; fi

out=$(cli a initiate c 2>&1); rc=$?
if [ $rc = 0 ] && echo "$out" | grep -q established; then ok "ipsecha initiate c: established"
else ko "ipsecha initiate c: established" "$out"; fi

cli a sa list --json > "$RUN/a.json"; cli b sa list --json > "$RUN/b.json"
same=$(python3 - "$RUN/a.json" "$RUN/b.json" <<'EOF'
import json, sys
a = json.load(open(sys.argv[1]))["sas"]; b = json.load(open(sys.argv[2]))["sas"]
ok = len(a) == 1 and len(b) == 1
if ok:
    a, b = a[0], b[0]
    ok = (a["spi_i"], a["spi_r"]) == (b["spi_i"], b["spi_r"]) and a["role"] == "initiator" \
        and b["role"] == "responder" and a["ike"] == b["ike"] == "aes128gcm16-prfsha256-x25519" \
        and len(a["children"]) == len(b["children"]) == 1 \
        and a["children"][0]["spi_in"] == b["children"][0]["spi_out"] \
        and a["children"][0]["spi_out"] == b["children"][0]["spi_in"] \
        and a["children"][0]["esp"] == "aes128gcm16-noesn" \
        and a["children"][0]["installed"] and b["children"][0]["installed"]
print("yes" if ok else "no")
EOF
)
check "sa list --json: both sides agree on SPIs, algorithms, Child SA" test "$same" = yes

card_a=$(cli a status --json | jq_ 'd["dataplane"]["card"]')
slot=$(jq_ 'd["sas"][0]["children"][0]["slot_out"]' < "$RUN/a.json")
grp=$(jq_ 'd["sas"][0]["group"]' < "$RUN/a.json")
rd=$("$CLI" card --dev "$card_a" --json sa read "$slot" 2>&1)
if echo "$rd" | grep -q '"valid": *true' && echo "$rd" | grep -q "\"group\": *$grp"; then
	ok "the Child SA's outbound slot is installed in the card, in the IKE SA's group"
else ko "the Child SA's outbound slot is installed in the card" "$card_a slot $slot: $rd"; fi
# RFC 4303 §3.3.3 / §3.4.3: the sender's counter starts at 0 (the first
# packet carries 1), the receiver's window is empty; no ESN negotiated.
slot_in=$(jq_ 'd["sas"][0]["children"][0]["slot_in"]' < "$RUN/a.json")
ri=$("$CLI" card --dev "$card_a" --json sa read "$slot_in" 2>&1)
r=$(echo "$rd$ri" | tr -d ' \n')
if echo "$r" | grep -q '"last_seq":0' && echo "$r" | grep -q '"right_edge":0' &&
   [ "$(echo "$r" | grep -o '"esn":false' | wc -l)" = 2 ]; then
	ok "card slots start per RFC 4303 (outbound last 0, inbound window empty), ESN off as negotiated"
else ko "card slots' initial values and ESN mode" "$r"; fi
emb=$(cli a status --json | jq_ 'd["dataplane"]["embedded"] and d["stats"]["ike_established"] == 1')
check "status --json: embedded simulated card, counters" test "$emb" = True
cli a sa list | grep -q "ESTABLISHED, initiator" && cli b status | grep -q "IKE SAs: 1"
check "human sa list and status" test $? = 0

# The control protocol refuses garbage with an error object and goes on.
ctl_raw() { python3 - "$RUN/a.sock" "$1" <<'PYEOF'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(3)
s.sendall(sys.argv[2].encode() + b"\n" + b'{"cmd":"status"}\n')
buf = b""
while buf.count(b"\n") < 2:
    d = s.recv(65536)
    if not d: break
    buf += d
print(buf.decode())
PYEOF
}
r=$(ctl_raw 'this is not json')
if echo "$r" | head -1 | grep -q '"ok":false' && echo "$r" | sed -n 2p | grep -q '"ok":true'; then
	ok "control socket: malformed request answered with an error, next request served"
else ko "control socket: malformed request" "$r"; fi
r=$(ctl_raw '{"cmd":"frobnicate"}')
echo "$r" | head -1 | grep -q "unknown command"
check "control socket: unknown command refused" test $? = 0

# Child SA rekey from B, IKE SA rekey from A, DPD.
child_b=$(cli b sa list --json | jq_ 'd["sas"][0]["children"][0]["id"]')
old_spi=$(jq_ 'd["sas"][0]["children"][0]["spi_in"]' < "$RUN/a.json")
cli b rekey --child "$child_b" > /dev/null && sleep 0.5
new=$(cli a sa list --json | jq_ '[c["spi_in"] for c in d["sas"][0]["children"]]')
gone=$("$CLI" card --dev "$card_a" --json sa read "$slot" 2>&1)
if ! echo "$new" | grep -q "$old_spi" && [ "$(echo "$new" | tr -cd ',' | wc -c)" = 0 ] &&
   echo "$gone" | grep -q 'not installed\|"valid": *false'; then
	ok "ipsecha rekey --child: new pair, old one gone (and out of the card)"
else ko "ipsecha rekey --child" "$new"; fi
ike_a=$(cli a sa list --json | jq_ 'd["sas"][0]["id"]')
cli a rekey --ike "$ike_a" > /dev/null && sleep 0.5
r=$(cli a sa list --json | jq_ 'len(d["sas"]) == 1 and d["sas"][0]["id"] != '"$ike_a"' and len(d["sas"][0]["children"]) == 1')
check "ipsecha rekey --ike: new IKE SA inherits the Child SA" test "$r" = True
ike_a=$(cli a sa list --json | jq_ 'd["sas"][0]["id"]')
tx0=$(cli b status --json | jq_ 'd["stats"]["rx_msgs"]')
cli a dpd --ike "$ike_a" > /dev/null && sleep 0.3
tx1=$(cli b status --json | jq_ 'd["stats"]["rx_msgs"]')
check "ipsecha dpd: answered" test "$tx1" -gt "$tx0"

# Forced UDP encapsulation: IKE moves to 4500 with the non-ESP marker.
out=$(cli b initiate nat 2>&1)
r=$(cli b sa list --json | jq_ '[s for s in d["sas"] if s["conn"] == "nat"][0]["local"].endswith(":4500") and [s for s in d["sas"] if s["conn"] == "nat"][0]["children"][0]["encap"]')
check "encap = yes: IKE on UDP 4500 (non-ESP marker), ESP in UDP" test "$r" = True
# ESN as negotiated (esp = aes256-sha384-esn): both slots of the Child SA in
# ESN mode on both cards.
esn_ok=yes
for n in a b; do
	cd_=$(cli $n status --json | jq_ 'd["dataplane"]["card"]')
	for k in slot_in slot_out; do
		sl=$(cli $n sa list --json | jq_ '[s for s in d["sas"] if s["conn"] == "nat"][0]["children"][0]["'$k'"]')
		e=$(cli $n sa list --json | jq_ '[s for s in d["sas"] if s["conn"] == "nat"][0]["children"][0]["esn"]')
		"$CLI" card --dev "$cd_" --json sa read "$sl" 2>&1 | tr -d ' \n' | grep -q '"esn":true' &&
			[ "$e" = True ] || esn_ok=no
	done
done
check "ESN negotiated: the Child SA's slots are ESN slots in both cards" test "$esn_ok" = yes

# IPv6 transport, FQDN identities, IPv6 selectors.
out=$(cli a initiate v6 2>&1)
r=$(cli b sa list --json | jq_ '[s for s in d["sas"] if s["conn"] == "v6"][0]["remote"] == "[2001:db8::1]:500" and [s for s in d["sas"] if s["conn"] == "v6"][0]["remote_id"] == "fqdn:a.ipsa.example" and [s for s in d["sas"] if s["conn"] == "v6"][0]["children"][0]["ts_remote"][0].startswith("2001:db8:1::")')
check "IPv6: IKE over IPv6 with FQDN identities and IPv6 selectors" test "$r" = True
cli a terminate v6 > /dev/null; sleep 0.3
# IPv6 address identities (ID_IPV6_ADDR, the default without *_id).
out=$(cli b initiate v6ip 2>&1)
r=$(cli a sa list --json | jq_ '[s for s in d["sas"] if s["conn"] == "v6ip"][0]["remote_id"] == "2001:db8::2" and [s for s in d["sas"] if s["conn"] == "v6ip"][0]["local_id"] == "2001:db8::1"')
check "IPv6 address identities (ID_IPV6_ADDR)" test "$r" = True
cli b terminate v6ip > /dev/null; sleep 0.3

# Terminate by id and by connection.
n=$(cli a sa list --json | jq_ 'len(d["sas"])')
cli a terminate --ike "$ike_a" > /dev/null && sleep 0.3
r=$(cli b sa list --json | jq_ 'len([s for s in d["sas"] if s["conn"] == "c"])')
check "ipsecha terminate --ike: gone on both sides" test "$n" = 2 -a "$r" = 0
cli a terminate nat > /dev/null && sleep 0.3
r=$(cli b sa list --json | jq_ 'len(d["sas"])')
grp_b=$(cli b status --json | jq_ 'd["dataplane"]["card"]')
left=$("$CLI" card --dev "$grp_b" --json sa list 2>/dev/null | grep -c '"slot"')
check "ipsecha terminate CONN: no SAs, no card slots left" test "$r" = 0 -a "$left" = 0

out=$(cli a initiate nosuch 2>&1); rc=$?
if [ $rc = 1 ] && echo "$out" | grep -q "no connection 'nosuch'"; then ok "initiate of an unknown connection: error, exit 1"
else ko "initiate of an unknown connection" "$rc $out"; fi
out=$(cli a terminate --ike 999 2>&1); rc=$?
check "terminate of an unknown IKE SA: error, exit 1" test $rc = 1

# Reload: a bad file is refused (file:line), the running one stays; a good
# one with a new connection is taken.
cp "$RUN/a.conf" "$RUN/a.good"
echo "bogus_key = 1" >> "$RUN/a.conf"
out=$(cli a reload 2>&1); rc=$?
if [ $rc = 1 ] && echo "$out" | grep -q "a.conf:[0-9]*:"; then ok "reload of a bad file: refused with file:line"
else ko "reload of a bad file" "$rc $out"; fi
cp "$RUN/a.good" "$RUN/a.conf"
sed -n '/^\[conn c\]/,/^dpd_interval/p' "$RUN/a.conf" | sed 's/^\[conn c\]/[conn c3]/' >> "$RUN/a.conf"
sed -n '/^\[conn c\]/,/^dpd_interval/p' "$RUN/b.conf" | sed 's/^\[conn c\]/[conn c3]/' >> "$RUN/b.conf"
kill -HUP "$pid_b"; sleep 0.2
out=$(cli a reload 2>&1) && out=$(cli a initiate c3 2>&1)
check "reload adds a connection (SIGHUP on B, ipsecha reload on A)" test $? = 0

# Load-initiator mode: a third agent against B.
cat > "$RUN/l.conf" <<-EOF
	[global]
	log_level = warn
	[conn c]
	local = 192.0.2.1
	remote = 192.0.2.2
	psk = "daemon-test-secret-0123456"
	ike = aes128gcm16-prfsha256-x25519
	esp = aes128gcm16
	local_ts = 198.51.100.0/25
	remote_ts = 198.51.100.128/25
	dpd_interval = 0
	EOF
kill "$pid_a"; sleep 0.5
est0=$(cli b status --json | jq_ 'd["stats"]["ike_established"]')
out=$(ip netns exec "$NSA" "$AGENT" --config "$RUN/l.conf" --no-card --load-initiator c \
	--count 40 --concurrency 4 --load-timeout 60 --json 2>&1); rc=$?
sleep 0.5
est1=$(cli b status --json | jq_ 'd["stats"]["ike_established"]')
left=$(cli b sa list --json | jq_ 'len(d["sas"])')
if [ $rc = 0 ] && echo "$out" | grep -q '"completed":40' && [ $((est1 - est0)) = 40 ] && [ "$left" = 0 ]; then
	ok "load-initiator: 40 IKE SAs at concurrency 4, all deleted again ($(echo "$out" | grep -o '"sa_per_s":[0-9.]*'))"
else ko "load-initiator" "rc=$rc est=$est0->$est1 left=$left $out"; fi

# SIGTERM: B deletes its SAs, exits 0 and takes its card with it.
start_agent a "$NSA" && cli a initiate c > /dev/null
card_b=$(cli b status --json | jq_ 'd["dataplane"]["card"]' | sed 's/^sim://')
kill -TERM "$pid_b"
for _ in $(seq 1 40); do kill -0 "$pid_b" 2>/dev/null || break; sleep 0.05; done
wait "$pid_b"; rc=$?
sleep 0.2
r=$(cli a sa list --json | jq_ 'len(d["sas"])')
if [ $rc = 0 ] && [ "$r" = 0 ] && [ ! -e "$card_b" ] && [ ! -e "$RUN/b.sock" ]; then
	ok "SIGTERM: IKE SAs deleted at the peer, exit 0, card and socket gone"
else ko "SIGTERM" "rc=$rc sas at A=$r card=$card_b"; fi

# XDP steering: B again, now with its public interface in the config. The
# agent attaches the XDP program (generic mode on veth) and puts the inbound
# SPI of each Child SA into the SPI map with its card slot and group. nsenter
# keeps the host's mount namespace so the bpffs pins are the real ones.
xdp_cleanup() { "$CLI" xdp detach "$VB" > /dev/null 2>&1; }
trap 'xdp_cleanup; cleanup' EXIT INT TERM
sed -i "/^\[global\]/a interfaces = $VB\nxdp_mode = generic" "$RUN/b.conf"
nsenter --net=/var/run/netns/"$NSB" "$AGENT" --config "$RUN/b.conf" > "$RUN/bx.log" 2>&1 &
pids+=($!); pid_b=$!
for _ in $(seq 1 100); do cli b status > /dev/null 2>&1 && break; sleep 0.05; done
if cli a initiate c > /dev/null 2>&1; then
	spi=$(cli b sa list --json | jq_ 'd["sas"][0]["children"][0]["spi_in"]')
	slot=$(cli b sa list --json | jq_ 'd["sas"][0]["children"][0]["slot_in"]')
	xs=$(nsenter --net=/var/run/netns/"$NSB" "$CLI" xdp show "$VB" --json 2>&1)
	if echo "$xs" | tr -d ' \n' | grep -qi "$((16#$spi))\|$spi" && cli b status --json | grep -q "$VB"; then
		ok "XDP: the agent attached the steering program and mapped the inbound SPI"
	else ko "XDP: inbound SPI $spi (slot $slot) in the SPI map" "$(echo "$xs" | head -c 600)"; fi
	cli a terminate c > /dev/null; sleep 0.3
	xs=$(nsenter --net=/var/run/netns/"$NSB" "$CLI" xdp show "$VB" --json 2>&1)
	if ! echo "$xs" | tr -d ' \n' | grep -qi "$((16#$spi))"; then ok "XDP: the SPI leaves the map with its Child SA"
	else ko "XDP: the SPI leaves the map with its Child SA" "$(echo "$xs" | head -c 400)"; fi
else
	ko "XDP: establish with steering on B" "$(tail -5 "$RUN/bx.log")"
fi

# Secrets: the logs (debug level), the CLI's views and the control socket's
# answers never carry a key or the PSK; the opt-in key log is private (0600)
# and holds every IKE and ESP key the agents derived.
grep -ho '[0-9a-f]\{32,\}' "$RUN"/a.keys "$RUN"/b.keys 2>/dev/null | sort -u > "$RUN/keys.hex"
views=$(cli a status --json; cli a sa list --json; cli a sa list; cli a status) 2>/dev/null
nkeys=$(wc -l < "$RUN/keys.hex")
if [ "$nkeys" -ge 8 ] && [ ${#views} -gt 500 ] && [ "$(stat -c %a "$RUN/a.keys")" = 600 ] &&
   ! grep -qF -f "$RUN/keys.hex" "$RUN"/*.log && ! echo "$views" | grep -qF -f "$RUN/keys.hex" &&
   ! grep -q "daemon-test-secret" "$RUN"/*.log && ! echo "$views" | grep -q "daemon-test-secret"; then
	ok "no key ($nkeys from the key logs) and no PSK in the debug logs or the CLI's views; key log mode 0600"
else
	ko "secrets stay out of logs and views" "keys=$nkeys mode=$(stat -c %a "$RUN/a.keys" 2>&1)"
fi

grep -q "ERROR" "$RUN/a.log" "$RUN/b.log" && ko "no ERROR lines in the agents' logs" "$(grep -h ERROR "$RUN"/*.log | head -3)" ||
	ok "no ERROR lines in the agents' logs"
echo "ike-daemon: $pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
