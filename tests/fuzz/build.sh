#!/bin/sh
# Builds the libFuzzer targets into tests/fuzz/out/ with clang. The library is compiled
# again from the Makefile's LIBSRC into an archive of its own (lib/librental.a is built
# by gcc without the coverage instrumentation libFuzzer needs); each target takes from
# it what it uses. Usage: tests/fuzz/build.sh [TARGET...]   (from anywhere; default all)
# Environment: CLANG (default clang, else clang-14).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out="$here/out"
cc=${CLANG:-}
if [ -z "$cc" ]; then
	if command -v clang >/dev/null 2>&1; then cc=clang; else cc=clang-14; fi
fi
targets=${*:-fuzz_event fuzz_config fuzz_apply}
pkgs="libsodium yaml-0.1 libgit2 jansson zlib"   # as in the Makefile
# The Makefile's CFLAGS and -D defines; UBSan made fatal so libFuzzer sees its reports.
cflags="-std=c11 -D_GNU_SOURCE -g -O1 -Wall -Wextra -Wshadow -Wno-unused-parameter
	-Wno-missing-field-initializers -fno-omit-frame-pointer
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
	-Ilib -DRENTAL_VERSION=\"fuzz\" -DRENTAL_DEFAULT_HOME=\"/tmp\"
	$(pkg-config --cflags $pkgs)"
libs="-Wl,--as-needed $(pkg-config --libs $pkgs) -lpthread"
# The library's sources, as the Makefile lists them (LIBSRC, over several lines).
src=$(awk '/^LIBSRC[ \t]*=/ { on = 1; sub(/^LIBSRC[ \t]*=/, "") }
	on { more = sub(/\\$/, ""); printf "%s ", $0; if (!more) exit }' "$root/Makefile")
[ -n "$src" ] || { echo "build.sh: no LIBSRC in $root/Makefile" >&2; exit 1; }

mkdir -p "$out/obj"
cd "$root"
objs=
for s in $src; do
	o="$out/obj/$(basename "$s" .c).o"
	if [ ! -f "$o" ] || [ "$s" -nt "$o" ] || [ -n "$(find lib -name '*.h' -newer "$o")" ]; then
		# shellcheck disable=SC2086
		$cc $cflags -c -o "$o" "$s"
	fi
	objs="$objs $o"
done
rm -f "$out/librental-fuzz.a"
# shellcheck disable=SC2086
ar rcs "$out/librental-fuzz.a" $objs
for t in $targets; do
	# shellcheck disable=SC2086
	$cc $cflags -o "$out/$t" "tests/fuzz/$t.c" "$out/librental-fuzz.a" $libs
	echo "built $out/$t"
done
