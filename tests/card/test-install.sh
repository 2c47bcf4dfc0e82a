#!/bin/sh
# test-install.sh — libipsecha as a vendor consumes it: `make install-hostlib`
# into a scratch DESTDIR, then a program built only with what pkg-config
# says, against the shared library and against the static one, run on a
# live card; the installed headers compile as C11 and C++; the shared
# library exports only ipsecha_* under version node IPSECHA_1.0.
# Run under tests/card/with-card.sh. Ends with "install: N passed, N failed".
set -u
top=${IPSECHA_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ipsecha-card-test-$$.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
pass=0 fail=0
t() {
	name=$1; shift
	if "$@" >"$tmp/log" 2>&1; then pass=$((pass + 1)); echo "ok   $name"
	else fail=$((fail + 1)); echo "FAIL $name"; sed 's/^/    | /' "$tmp/log"; fi
}
D=$tmp/root
PC="env PKG_CONFIG_PATH= PKG_CONFIG_LIBDIR=$D/usr/local/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$D pkg-config"

install_it() { make -C "$top" --no-print-directory -s install-hostlib DESTDIR="$D" PREFIX=/usr/local; }
want_ver=$(sed -n 's/^HOSTLIB_VERSION *:= *//p' "$top/hostlib/part.mk")
pc_ok() { [ "$($PC --modversion ipsecha)" = "$want_ver" ]; }

cat >"$tmp/app.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include "ipsecha.h"
#include "ipsecha_card_abi.h"

int main(void)
{
	struct ipsecha *h;
	struct ipsecha_info i;
	struct ica_cmd c = { .op = ICA_OP_NOP };
	struct ica_cpl cpl;
	int err = ipsecha_open(getenv("IPSECHA_DEV"), NULL, &h);

	if (!err)
		err = ipsecha_identify(h, &i);
	if (!err)
		err = ipsecha_cmd_raw(h, &c, &cpl);
	if (err) {
		fprintf(stderr, "app: %s\n", ipsecha_strerror(err));
		return 1;
	}
	printf("app: %s ABI %u.%u, %u slots\n", ipsecha_version(), i.abi_major, i.abi_minor, i.num_sa);
	ipsecha_close(h);
	return i.abi_major == ICA_ABI_MAJOR ? 0 : 1;
}
EOF
printf '#include "ipsecha.h"\n#include "ipsecha_card_abi.h"\nint f(void);\nint f(void) { return ICA_ABI_MAJOR; }\n' >"$tmp/hdr.c"

shared_app() {
	# shellcheck disable=SC2046
	cc -std=c11 -Wall -Wextra -Werror $($PC --cflags ipsecha) -o "$tmp/app" "$tmp/app.c" \
		$($PC --libs ipsecha) &&
	LD_LIBRARY_PATH=$D/usr/local/lib "$tmp/app" | tee /dev/stderr | grep -q "^app: $want_ver ABI" &&
	LD_LIBRARY_PATH=$D/usr/local/lib ldd "$tmp/app" | grep -q "$D/usr/local/lib/libipsecha.so.1"
}
static_app() {
	# shellcheck disable=SC2046
	cc -std=c11 -Wall -Wextra -Werror $($PC --cflags ipsecha) -o "$tmp/app-static" "$tmp/app.c" \
		"$D/usr/local/lib/libipsecha.a" $($PC --static --libs-only-l ipsecha | sed 's/-lipsecha//') &&
	! ldd "$tmp/app-static" | grep -q libipsecha && "$tmp/app-static"
}
headers_c() {
	# shellcheck disable=SC2046
	cc -std=c11 -Wall -Wextra -Werror -pedantic -c $($PC --cflags ipsecha) -o "$tmp/hdr.o" "$tmp/hdr.c"
}
headers_cxx() {
	# shellcheck disable=SC2046
	c++ -std=c++11 -Wall -Wextra -Werror -fsyntax-only $($PC --cflags ipsecha) -x c++ "$tmp/hdr.c"
}
exports() {
	nm -D --defined-only "$D/usr/local/lib/libipsecha.so.1" >"$tmp/syms" &&
	[ "$(grep -c ' T ' "$tmp/syms")" -gt 30 ] &&
	! grep ' T ' "$tmp/syms" | grep -v ' T ipsecha_[a-z0-9_]*@@IPSECHA_1.0$' &&
	readelf -d "$D/usr/local/lib/libipsecha.so.1" | grep -q 'SONAME.*libipsecha.so.1'
}

t "make install-hostlib into a DESTDIR" install_it
t "pkg-config finds ipsecha at the library's version" pc_ok
t "a program built with pkg-config flags runs on the card (shared library)" shared_app
t "the same program linked with the static library" static_app
t "installed headers compile as C11 (-pedantic)" headers_c
t "installed headers compile as C++11" headers_cxx
t "the shared library exports only ipsecha_* in IPSECHA_1.0, soname libipsecha.so.1" exports
echo "install: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
