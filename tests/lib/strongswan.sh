# strongswan.sh — charon 5.9.8 instances in network namespaces, swanctl and
# tshark captures, shared by tests/interop/lib.sh and tests/rfc6311/lib.sh
# (sourced by them, bash). Each instance lives in its own directory DIR:
# strongswan.conf, a private vici socket, logs. The callers keep their own
# names, defaults and pid bookkeeping; these helpers take everything that
# differs between them as parameters.

# swan_charon_conf DIR TRIES TIMEOUT KEYS EXTRA GROUP...: DIR/strongswan.conf
# with retransmit_tries/_timeout, EXTRA lines in the charon section (may be
# empty), the main log at default 1 plus the GROUP lines ("ike = 2", ...) and,
# with KEYS=1, DIR/keys.log at level 4 (the key dump the tests compare).
swan_charon_conf() {
	local d=$1 tries=$2 timeout=$3 keys=$4 extra=$5 groups keylog=
	shift 5
	groups=$(printf '%s\n' "$@")
	mkdir -p "$d"
	[ "$keys" = 1 ] && keylog=$(cat <<-EOF
	keys {
		path = $d/keys.log
		default = 0
		ike = 4
		chd = 4
		flush_line = yes
	}
	EOF
	)
	cat > "$d/strongswan.conf" <<-EOF
	charon {
		load = random nonce aes sha1 sha2 hmac gcm openssl kdf curve25519 gmp kernel-libipsec kernel-netlink socket-default vici
		load_modular = no
		install_routes = yes
		retransmit_tries = $tries
		retransmit_timeout = $timeout
		$extra
		plugins {
			vici { socket = unix://$d/charon.vici }
		}
		filelog {
			main {
				path = $d/charon.log
				time_format = %T
				default = 1
				$groups
				flush_line = yes
			}
			$keylog
		}
		syslog { daemon { default = -1 } }
	}
	EOF
	printf 'swanctl { load = pem pkcs1 x509 pubkey random nonce }\n' > "$d/swanctl-client.conf"
}

# swan_charon_spawn DIR NS CHARON [PREFIX...]: starts CHARON in NS with a
# private tmpfs /run (charon's pid file and default socket must not clash
# between instances), run through PREFIX (e.g. taskset -c 1) if given. Sets
# swan_pid and returns at once, so that the caller records the pid (for its
# cleanup) before swan_charon_wait.
swan_charon_spawn() {
	local d=$1 ns=$2 charon=$3
	shift 3
	ip netns exec "$ns" "$@" sh -c "mount -t tmpfs tmpfs /run && \
		STRONGSWAN_CONF=$d/strongswan.conf exec $charon" > "$d/stdout" 2>&1 &
	swan_pid=$!
}

# swan_charon_wait DIR: up to 5 s for the vici socket to answer.
swan_charon_wait() {
	local d=$1
	for _ in $(seq 1 100); do
		[ -S "$d/charon.vici" ] && swan_ctl "$d" --stats > /dev/null 2>&1 && return 0
		sleep 0.05
	done
	printf 'charon %s did not come up\n' "${d##*/}" >&2; cat "$d/stdout" >&2
	return 1
}

# swan_ctl DIR ARGS...: swanctl against DIR's charon.
swan_ctl() {
	local d=$1
	shift
	STRONGSWAN_CONF=$d/swanctl-client.conf swanctl "$@" --uri "unix://$d/charon.vici"
}

# swan_conn_load DIR CONN PSK DPD IKE_REKEY CHILD_REKEY EXTRA_CHILD
#                LOCAL REMOTE LID RID LTS RTS IKE ESP
# writes DIR/swanctl.conf (connection CONN, PSK authentication, one tunnel
# Child SA "net" that starts on demand only; EXTRA_CHILD is a line for it,
# may be empty) and loads it; swanctl's output goes to DIR/swanctl.out.
swan_conn_load() {
	local d=$1 conn=$2 psk=$3 dpd=$4 ike_rekey=$5 child_rekey=$6 extra=$7
	local l=$8 r=$9 lid=${10} rid=${11} lts=${12} rts=${13} ike=${14} esp=${15}
	cat > "$d/swanctl.conf" <<-EOF
	connections {
		$conn {
			version = 2
			local_addrs = $l
			remote_addrs = $r
			proposals = $ike
			encap = yes
			mobike = no
			dpd_delay = $dpd
			rekey_time = $ike_rekey
			local { auth = psk
				id = $lid }
			remote { auth = psk
				id = $rid }
			children {
				net {
					local_ts = $lts
					remote_ts = $rts
					esp_proposals = $esp
					mode = tunnel
					rekey_time = $child_rekey
					start_action = none
					$extra
				}
			}
		}
	}
	secrets {
		ike-$conn {
			id-a = $lid
			id-b = $rid
			secret = "$psk"
		}
	}
	EOF
	swan_ctl "$d" --load-all --file "$d/swanctl.conf" >> "$d/swanctl.out" 2>&1
}

# ---- capture ---------------------------------------------------------------

# swan_capture_start PCAP NS IF FILTER PIDFILE: tshark on IF in NS into PCAP
# (its output in PCAP's name with .tshark.out), pid in PIDFILE and swan_pid.
# Returns at once, like swan_charon_spawn; swan_capture_wait follows.
swan_capture_start() {
	rm -f "$1"
	ip netns exec "$2" tshark -q -i "$3" -f "$4" -w "$1" \
		> "${1%.pcapng}.tshark.out" 2>&1 &
	swan_pid=$!
	echo "$swan_pid" > "$5"
}

# swan_capture_wait PCAP: tshark needs a moment before it captures.
swan_capture_wait() {
	for _ in $(seq 1 100); do
		grep -q "Capturing on" "${1%.pcapng}.tshark.out" 2>/dev/null && break
		sleep 0.05
	done
	sleep 0.3
}

# swan_capture_stop PIDFILE: lets the last packets in, then stops tshark with
# SIGINT (it finishes the file) and waits up to 5 s.
swan_capture_stop() {
	local p
	[ -f "$1" ] || return 0
	p=$(cat "$1")
	sleep 0.5
	kill -INT "$p" 2>/dev/null
	for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	rm -f "$1"
}

# swan_tshark_uat [KEYLOG...]: tshark "-o uat:..." arguments, one per line,
# from key log records ("keylog TABLE:RECORD" or "TABLE:RECORD"; stdin
# without a file), each record once.
swan_tshark_uat() {
	sed -n 's/^keylog //; /^\(ikev2_decryption_table\|esp_sa\):/p' "$@" |
		awk '!seen[$0]++ { print "-o"; print "uat:" $0 }'
}
