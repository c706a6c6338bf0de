#!/bin/sh
# 1940-examples.t: every example command of the man pages' EXAMPLES sections and of
# README.md runs, in order, against a scratch home: each exits 0 and prints on
# stdout what the text says it prints. A command is a line starting with "$ " in a
# literal block (.Bd -literal, or a ``` block of the README), the indented lines
# below it go on with it, and the other lines below are its standard output. Lines
# without "$ " (cron lines, root's "# ") are not run. The examples the issue found
# wrong ("cars free tonight" in carctl.1, "cars out now" in rent.1) are also run on
# a home where the right answer differs from the wrong one.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

SRC=$(cd "$BIN/.." && pwd -P)
EX=$T_TMP/ex
for tool in jq openssl git; do
	if ! command -v $tool >/dev/null 2>&1; then
		t_skip 'the examples of the man pages and README.md' "no $tool"
		done_testing
	fi
done

# extract FILE KIND DIR: the example commands of FILE (KIND man or md) as the shell
# script DIR/script, each followed by its exit status in DIR/N.rc, its stdout in
# DIR/N.got, stderr in DIR/N.err; what the text says it prints in DIR/N.want, its
# first line in DIR/N.desc, and how many there are in DIR/count.
extract() {
	awk -v kind="$2" -v dir="$3" '
	function unroff(s) {
		if (kind != "man")
			return s
		gsub(/\\-/, "-", s); gsub(/\\&/, "", s)
		gsub(/\\\(aq/, "\047", s); gsub(/\\\(dq/, "\"", s); gsub(/\\e/, "\\", s)
		return s
	}
	function flush() {
		if (cmd == "")
			return
		n++
		printf "{\n%s\n} >\"%s/%d.got\" 2>\"%s/%d.err\" </dev/null\necho $? >\"%s/%d.rc\"\n",
			cmd, dir, n, dir, n, dir, n >(dir "/script")
		printf "%s", want >(dir "/" n ".want")
		close(dir "/" n ".want")
		print first >(dir "/" n ".desc")
		close(dir "/" n ".desc")
		cmd = ""
		want = ""
	}
	kind == "man" && /^\.Sh / { flush(); inex = $0 == ".Sh EXAMPLES"; inbd = 0; next }
	kind == "man" && inex && /^\.Bd -literal/ { inbd = 1; next }
	kind == "man" && inbd && /^\.Ed/ { flush(); inbd = 0; next }
	kind == "md" && /^```/ { if (inbd) flush(); inbd = !inbd; next }
	!inbd { next }
	{ line = unroff($0) }
	line ~ /^\$ / { flush(); cmd = substr(line, 3); first = cmd; more = 1; next }
	cmd != "" && more && line ~ /^[ \t]/ { cmd = cmd "\n" line; next }
	cmd != "" && line != "" { more = 0; want = want line "\n"; next }
	cmd != "" { more = 0 }
	END { flush(); print n + 0 >(dir "/count"); printf "" >>(dir "/script") }
	' "$1"
}

# examples NAME FILE KIND [SETUP]: run the examples of FILE in the folder
# $EX/NAME/work, which is also $HOME. SETUP scene: $HOME/rental is first a home as
# the first examples of carctl(1) make (cars car01 and car02, customers alice, bob
# and carol: lib.sh's shop). SETUP tour: the folder is the README's source tree, with
# bin/ in it, and the default home (RENTAL_HOME); `make` there is the build under test.
examples() {
	_e_dir=$EX/$1
	mkdir -p "$_e_dir/work"
	extract "$2" "$3" "$_e_dir"
	case ${4:-} in
	scene) shop "ex/$1/work/rental" ;;
	tour)
		ln -s "$BIN" "$_e_dir/work/bin"
		{ echo 'make() { :; }'; cat "$_e_dir/script"; } >"$_e_dir/script.tmp"
		mv "$_e_dir/script.tmp" "$_e_dir/script"
		;;
	esac
	(
		cd "$_e_dir/work" || exit 1
		unset RENTAL_HOME RENTAL_USER
		[ "${4:-}" != tour ] || RENTAL_HOME=$_e_dir/work
		export RENTAL_HOME
		HOME=$_e_dir/work PATH=$BIN:$PATH timeout 300 sh "$_e_dir/script"
	) >"$_e_dir/out" 2>&1
	_e_n=$(cat "$_e_dir/count")
	t_eq "$1: has examples to run" "$([ "$_e_n" -gt 0 ] && echo yes)" yes
	_e_i=1
	while [ "$_e_i" -le "$_e_n" ]; do
		_e_rc=$(cat "$_e_dir/$_e_i.rc" 2>/dev/null || echo 'never ran')
		t_eq "$1: \$ $(head -n 1 "$_e_dir/$_e_i.desc")" "$_e_rc" 0
		if [ "$_e_rc" != 0 ]; then
			sed 's/^/# stderr: /' "$_e_dir/$_e_i.err" 2>/dev/null
			tail -n 5 "$_e_dir/out" | sed 's/^/# script: /'
		fi
		if [ -s "$_e_dir/$_e_i.want" ]; then
			t_eq "... prints what the text says" "$(cat "$_e_dir/$_e_i.got" 2>/dev/null)" \
				"$(cat "$_e_dir/$_e_i.want")"
		fi
		_e_i=$((_e_i + 1))
	done
}

for page in carctl.1 rental.7; do
	examples "$page" "$SRC/man/$page" man
done
for page in reserve.1 pay.1 rent.1 rate.1 mypage.1 dispatcher.1; do
	examples "$page" "$SRC/man/$page" man scene
done
examples README.md "$SRC/README.md" md tour
t_file 'README.md: the tour made its home where it said' "$EX/README.md/work/tour/state"

# block FILE TEXT: the commands of the first literal block after the line holding
# TEXT in the man page FILE, as a script.
block() {
	awk -v text="$2" '
	index($0, text) { armed = 1 }
	armed && /^\.Bd -literal/ { inbd = 1; next }
	inbd && /^\.Ed/ { exit }
	inbd {
		gsub(/\\-/, "-"); gsub(/\\&/, ""); gsub(/\\e/, "\\")
		if (/^\$ /) print substr($0, 3)
		else if (/^[ \t]/) print
	}' "$1"
}

# A home where a car's status and whether it is free tonight or out now differ:
#   car01 alice, next week, paid: RENTED, free tonight, not out
#   car02 alice, from today, paid: RENTED, out now
#   car03 bob, from today, not paid: RESERVED, held tonight, not out
#   car04 bob, next week, not paid: RESERVED, free tonight
#   car05 no booking: AVAILABLE
#   car06 carol, from today, canceled: AVAILABLE, free tonight
day() {
	date -u -d "+$1 days" +%F
}
shop scene
for c in car03 car04 car05 car06; do
	carctl --as admin add $c --rate 10000 >/dev/null 2>&1
done
dispatch
r1=$(book alice car01 "$(day 7)" "$(day 9)")
r2=$(book alice car02 "$(day 0)" "$(day 2)")
paid alice "$r1" >/dev/null
paid alice "$r2" >/dev/null
book bob car03 "$(day 0)" "$(day 1)" >/dev/null
book bob car04 "$(day 7)" "$(day 9)" >/dev/null
r6=$(book carol car06 "$(day 0)" "$(day 1)")
reserve --as carol cancel "$r6" >/dev/null && dispatch
t_eq 'the scene: the cars'"'"' statuses' \
	"$(carctl list --json | jq -r '"\(.car) \(.status)"' | tr '\n' ' ')" \
	'car01 RENTED car02 RENTED car03 RESERVED car04 RESERVED car05 AVAILABLE car06 AVAILABLE '

block "$SRC/man/carctl.1" 'The cars free tonight' >"$T_TMP/free.sh"
t_match 'carctl.1 has the example for the cars free tonight' "$(cat "$T_TMP/free.sh")" 'jq'
t_eq '... which answers right: car01 car04 car05 car06' \
	"$(PATH=$BIN:$PATH sh "$T_TMP/free.sh" 2>&1 | tr '\n' ' ')" 'car01 car04 car05 car06 '

block "$SRC/man/rent.1" 'the cars out now' >"$T_TMP/out.sh"
t_match 'rent.1 has the example for the cars out now' "$(cat "$T_TMP/out.sh")" 'jq'
t_eq '... which answers right: car02 only, with alice and its day back' \
	"$(PATH=$BIN:$PATH sh "$T_TMP/out.sh" 2>&1)" "car02 alice $(day 2)"

# Each page reads clean, and its EXIT STATUS names each code once.
for f in "$SRC"/man/*.[17]; do
	if command -v groff >/dev/null 2>&1; then
		t_eq "$(basename "$f"): groff gives no warning" "$(groff -mandoc -ww -z "$f" 2>&1)" ''
	fi
	t_eq "$(basename "$f"): mandoc -T lint gives no warning" "$(mandoc -T lint -W warning "$f" 2>&1)" ''
	t_eq "$(basename "$f"): each exit status once" \
		"$(sed -n '/^\.Sh EXIT STATUS/,/^\.Sh /p' "$f" | grep '^\.It [0-9]' | sort | uniq -d)" ''
done

done_testing
