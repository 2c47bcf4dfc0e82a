#!/bin/sh
# mkinitramfs.sh OUT KVER INIT BIN...
# Builds the VFIO test guest's initramfs: busybox (static), the kernel
# modules vfio-pci needs plus pci-stub and uio_pci_generic (resolved from
# modules.dep, in load order; compressed modules are unpacked because
# busybox insmod takes plain .ko), /init, and the given static binaries.
set -eu
out=$1 kver=$2 init=$3
shift 3
mods=/lib/modules/$kver
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ipsecha-vfio-initrd.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
chmod 755 "$tmp"   # mktemp made it 0700: the guest's unprivileged tests need /
mkdir -p "$tmp/bin" "$tmp/lib/modules" "$tmp/proc" "$tmp/sys" "$tmp/dev" "$tmp/tmp" "$tmp/etc"
# busybox-static installs /bin/busybox (it conflicts with the dynamic one);
# ldd fails on a static binary.
bb=/bin/busybox
[ -x $bb ] || { echo "mkinitramfs: $bb missing (apt-get install busybox-static)" >&2; exit 1; }
if ldd $bb >/dev/null 2>&1; then
	echo "mkinitramfs: $bb is dynamically linked (apt-get install busybox-static)" >&2
	exit 1
fi
cp $bb "$tmp/bin/busybox"
cp "$init" "$tmp/init"
chmod 755 "$tmp/init"
for b in "$@"; do
	cp "$b" "$tmp/bin/"
done

# Path of module NAME (vfio-pci or vfio_pci spellings) relative to $mods.
modpath() {
	alt=$(echo "$1" | tr '_-' '-_')
	sed -n -E "s@^(([^:]*/)?($1|$alt)\.ko(\.[a-z]+)?):.*@\1@p" "$mods/modules.dep" | head -n 1
}
deps_of() {
	grep -F "$1:" "$mods/modules.dep" | head -n 1 | cut -d: -f2
}
order=""
add() { # add REL: its dependencies first, each module once
	case " $order " in *" $1 "*) return ;; esac
	for d in $(deps_of "$1"); do
		add "$d"
	done
	case " $order " in *" $1 "*) return ;; esac
	order="$order $1"
}
for m in vfio-pci vfio_iommu_type1 pci-stub uio_pci_generic iommufd; do
	p=$(modpath "$m")
	if [ -z "$p" ]; then
		[ "$m" = iommufd ] && continue    # only on kernels that have it
		echo "mkinitramfs: module $m not in $mods" >&2
		exit 1
	fi
	add "$p"
done
: > "$tmp/lib/modules/load-order"
for p in $order; do
	n=$(basename "$p")
	case "$n" in
	*.ko.xz)  xz -dc "$mods/$p" > "$tmp/lib/modules/${n%.xz}"; n=${n%.xz} ;;
	*.ko.zst) zstd -qdc "$mods/$p" > "$tmp/lib/modules/${n%.zst}"; n=${n%.zst} ;;
	*.ko.gz)  gzip -dc "$mods/$p" > "$tmp/lib/modules/${n%.gz}"; n=${n%.gz} ;;
	*)        cp "$mods/$p" "$tmp/lib/modules/$n" ;;
	esac
	echo "$n" >> "$tmp/lib/modules/load-order"
done
(cd "$tmp" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1) > "$out.tmp"
mv "$out.tmp" "$out"
