#!/bin/sh
# Builds the libFuzzer targets into tests/fuzz/out/ with clang, compiling the lib/
# sources they need directly (lib/librental.a is built by gcc without the coverage
# instrumentation libFuzzer needs). Usage: tests/fuzz/build.sh   (from anywhere)
# Environment: CLANG (default clang, else clang-14).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out="$here/out"
cc=${CLANG:-}
if [ -z "$cc" ]; then
	if command -v clang >/dev/null 2>&1; then cc=clang; else cc=clang-14; fi
fi
pkgs="libsodium yaml-0.1 libgit2 jansson"   # as in the Makefile
# The Makefile's CFLAGS and -D defines; UBSan made fatal so libFuzzer sees its reports.
cflags="-std=c11 -D_GNU_SOURCE -g -O1 -Wall -Wextra -Wshadow -Wno-unused-parameter
	-Wno-missing-field-initializers -fno-omit-frame-pointer
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
	-Ilib -DRENTAL_VERSION=\"fuzz\" -DRENTAL_DEFAULT_HOME=\"/tmp\"
	$(pkg-config --cflags $pkgs)"
libs="$(pkg-config --libs $pkgs) -lpthread"
# What the targets reach: event -> kv, sign, util; config -> util.
src="lib/util.c lib/kv.c lib/sign.c lib/event.c lib/config.c"

mkdir -p "$out/obj"
cd "$root"
objs=
for s in $src; do
	o="$out/obj/$(basename "$s" .c).o"
	# shellcheck disable=SC2086
	$cc $cflags -c -o "$o" "$s"
	objs="$objs $o"
done
for t in fuzz_event fuzz_config; do
	# shellcheck disable=SC2086
	$cc $cflags -o "$out/$t" "tests/fuzz/$t.c" $objs $libs
	echo "built $out/$t"
done
