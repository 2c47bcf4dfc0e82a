#!/bin/sh
# find-kernel.sh — print "VMLINUZ KVER" of the guest kernel for the VFIO test:
# $IPSECHA_VFIO_KERNEL (a vmlinuz path) if set, else the newest installed
# /boot/vmlinuz-* whose /lib/modules/<version> has vfio-pci. The version
# directory is found, never assumed (Debian's 6.1 ABI name changes with
# every point release).
set -eu
has_vfio_pci() {
	[ -f "/lib/modules/$1/modules.dep" ] &&
		grep -Eq '/vfio-pci\.ko(\.[a-z]+)?:' "/lib/modules/$1/modules.dep"
}
if [ -n "${IPSECHA_VFIO_KERNEL:-}" ]; then
	k=$IPSECHA_VFIO_KERNEL
	v=${k##*/vmlinuz-}
	[ -r "$k" ] || { echo "find-kernel: cannot read $k" >&2; exit 1; }
	has_vfio_pci "$v" || { echo "find-kernel: /lib/modules/$v has no vfio-pci" >&2; exit 1; }
	echo "$k $v"
	exit 0
fi
for k in $(ls /boot/vmlinuz-* 2>/dev/null | sort -rV); do
	v=${k#/boot/vmlinuz-}
	if [ -r "$k" ] && has_vfio_pci "$v"; then
		echo "$k $v"
		exit 0
	fi
done
echo "find-kernel: no /boot/vmlinuz-* with vfio-pci modules (apt-get install linux-image-amd64)" >&2
exit 1
