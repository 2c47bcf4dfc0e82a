#!/bin/busybox sh
# /init of the VFIO test guest (built by tests/vfio/mkinitramfs.sh, booted by
# tests/vfio/run-guest.sh). Everything runs as root in this initramfs, then
# the guest powers off.
#
# Kernel command line (set by run-guest.sh):
#   ipsecha.dev=BDF     ivshmem-doorbell on ipsecha-card-sim (the card)
#   ipsecha.plain=BDF   ivshmem-plain, 1 MiB of zeroes   } one IOMMU group
#   ipsecha.small=BDF   ivshmem-plain, 64 KiB            }
#   ipsecha.dbreg=BDF   ivshmem-doorbell on a second card in --doorbell
#                       register mode (only doorbell registers wake it)
#   ipsecha.bench=1     only measure latency (make bench-vfio),
#   ipsecha.bench_n=N   over N commands
#
# Output: the console (ttyS0) gets everything; the results port (ttyS1)
# gets each suite framed by "=== guest-suite NAME" and
# "=== guest-suite-end NAME rc=N", then "=== guest-done". The host counts
# what the suites print (their "N passed, N failed, N skipped" lines).
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
R=/dev/ttyS1
stty -F $R raw -echo 2>/dev/null
say() { echo "$*"; echo "$*" > $R; }
arg() { tr ' ' '\n' < /proc/cmdline | sed -n "s/^ipsecha\.$1=//p"; }
DEV=$(arg dev)
PLAIN=$(arg plain)
SMALL=$(arg small)
DBREG=$(arg dbreg)
BENCH=$(arg bench)
BENCH_N=$(arg bench_n)

# Run one suite: its output to both ports, framed, with its exit status.
suite() {
	name=$1
	shift
	say "=== guest-suite $name"
	"$@" > /tmp/suite.out 2>&1
	rc=$?
	cat /tmp/suite.out
	cat /tmp/suite.out > $R
	say "=== guest-suite-end $name rc=$rc"
}

say "=== guest-boot $(uname -r) $(cut -d' ' -f1 /proc/uptime)s"
for m in $(cat /lib/modules/load-order); do
	insmod /lib/modules/$m || say "guest: insmod $m failed"
done

if [ "$BENCH" = 1 ]; then
	echo vfio-pci > /sys/bus/pci/devices/$DEV/driver_override
	echo $DEV > /sys/bus/pci/drivers_probe
	suite bench ipsecha-vfio-rtt vfio:$DEV ${BENCH_N:-2000}
	say "=== guest-done"
	poweroff -f
fi

# 1. driver/vfio and the vfio: backend on the real kernel (legacy path).
suite vfio-guest vfio-guest-test --dev $DEV --plain $PLAIN --small $SMALL --mode legacy

# 2. the host-library conformance suite, unchanged, over vfio:
if [ -x /bin/ipsecha-conformance ]; then
	suite conformance ipsecha-conformance vfio:$DEV
fi

# 2b. the same suite against the card in register mode: its ivshmem kicks
# are ignored, so every command completes only because libipsecha wrote
# the queue's doorbell register through the vfio-pci BAR mapping.
if [ -x /bin/ipsecha-conformance ] && [ -n "$DBREG" ]; then
	echo vfio-pci > /sys/bus/pci/devices/$DBREG/driver_override
	echo $DBREG > /sys/bus/pci/drivers_probe
	suite conformance-dbreg ipsecha-conformance vfio:$DBREG
fi

# 3. the CLI over vfio:
cli() { # cli NAME EXPECT(ok|fail) GREP CMD...
	n=$1 want=$2 pat=$3
	shift 3
	"$@" > /tmp/cli.out 2>&1
	rc=$?
	if { [ $want = ok ] && [ $rc = 0 ]; } || { [ $want = fail ] && [ $rc != 0 ]; }; then
		if grep -q -- "$pat" /tmp/cli.out; then
			echo "ok - $n"
			PASSES=$((PASSES + 1))
			return
		fi
	fi
	echo "FAIL - $n: exit $rc, expected $want and '$pat' in:"
	sed 's/^/    /' /tmp/cli.out
	FAILS=$((FAILS + 1))
}
cli_suite() {
	PASSES=0 FAILS=0
	if ! command -v ipsecha > /dev/null; then
		echo "FAIL - the static ipsecha CLI is not in the initramfs (its link failed: see the build output)"
		echo "vfio-cli: 0 passed, 1 failed"
		return 1
	fi
	U=vfio:$DEV
	cli "card info" ok "vfio backend" ipsecha card --dev $U info
	cli "card --json info" ok '"abi_version"' ipsecha card --dev $U --json info
	cli "IPSECHA_DEV=vfio:... card info" ok "vfio backend" env IPSECHA_DEV=$U ipsecha card info
	cli "card selftest" ok "selftest passed" ipsecha card --dev $U selftest
	ipsecha card --dev $U sa remove 9 > /dev/null 2>&1
	cli "card sa install" ok "slot 9 installed" ipsecha card --dev $U sa install 9 --dir out --group 4
	cli "card dp tx" ok "3 got a sequence number" ipsecha card --dev $U dp tx 9 3
	cli "card --json sa read" ok '"last_seq":3' ipsecha card --dev $U --json sa read 9
	cli "card group add" ok "group 4 add delta 100: epoch" ipsecha card --dev $U group add 4 100
	cli "card sa read after the add" ok " 103 " ipsecha card --dev $U sa read 9
	cli "card sa remove" ok "" ipsecha card --dev $U sa remove 9
	cli "card on a non-card device" fail "not an ipsecha card" ipsecha card --dev vfio:0000:00:1f.3 info
	cli "card on an unbound device" fail "driver_override" ipsecha card --dev vfio:$PLAIN?mode=legacy info
	echo "vfio-cli: $PASSES passed, $FAILS failed"
	[ $FAILS = 0 ]
}
echo $PLAIN > /sys/bus/pci/devices/$PLAIN/driver/unbind 2>/dev/null
suite cli cli_suite

# 4. the cdev / iommufd path, where the guest kernel has it.
if [ -e /dev/iommu ] && [ -d /dev/vfio/devices ]; then
	suite vfio-guest-cdev vfio-guest-test --dev $DEV --plain $PLAIN --small $SMALL --mode cdev
	if [ -x /bin/ipsecha-conformance ]; then
		suite conformance-cdev ipsecha-conformance "vfio:$DEV?mode=cdev"
	fi
else
	cdev_skip() {
		echo "skip - cdev/iommufd path: kernel $(uname -r) has no /dev/iommu (CONFIG_IOMMUFD," \
		     "6.2+) and no VFIO device cdev (CONFIG_VFIO_DEVICE_CDEV, 6.6+); covered by unit tests"
		echo "vfio-cdev: 0 passed, 0 failed, 1 skipped"
	}
	suite vfio-cdev cdev_skip
fi
say "=== guest-done"
poweroff -f
