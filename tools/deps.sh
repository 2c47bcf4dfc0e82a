#!/bin/sh
# Install the Debian packages listed in tools/deps.txt that are missing.
# Runs as root, or through sudo; does nothing when everything is present.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
list=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$here/deps.txt")
missing=""
for p in $list; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = "installed" ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing:$missing"
if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null; then sudo="sudo"; else
	echo "deps: missing packages:$missing; run as root or install sudo" >&2; exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# The package lists may be absent on a fresh machine.
$sudo apt-get update -q >/dev/null
# shellcheck disable=SC2086
$sudo apt-get install -y -q --no-install-recommends $missing
