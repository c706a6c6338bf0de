#!/bin/sh
# 0000-usage.t: --help, --version and usage errors (exit 64) of every program.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

progs='carctl reserve pay rent rate mypage dispatcher'

# --help and --version need no home: point RENTAL_HOME at nothing.
RENTAL_HOME=$T_TMP/no-such-home
export RENTAL_HOME
for p in $progs; do
	t_ok "$p --help exits 0" $p --help
	t_match "$p --help prints a usage on stdout naming $p" "$OUT" "$p"
	# the options every program takes, each named (the dispatcher's left out --as)
	t_match "... naming --home and --as" "$OUT" '^usage: [a-z]+ \[--home DIR\] \[--as NAME\]'
	t_match "... and --help and --version" "$OUT" "^  $p --help \\| --version\$"
	t_ok "$p --version exits 0" $p --version
	t_match "$p --version prints '$p (rental) VERSION'" "$OUT" "^$p \\(rental\\) [^ ]+\$"
done
t_nofile '--help and --version create no home' "$T_TMP/no-such-home"

# --help and --version also after the subcommand.
t_ok 'carctl list --help exits 0' carctl list --help
t_ok 'carctl key add --help exits 0' carctl key add --help
t_ok 'reserve cancel --help exits 0' reserve cancel --help
t_ok 'pay cancel --help exits 0' pay cancel --help
t_ok 'rent return --help exits 0' rent return --help
t_ok 'carctl list --version exits 0' carctl list --version
t_match 'carctl list --version prints the version' "$OUT" '^carctl \(rental\) [^ ]+$'

scratch_home
for p in $progs; do
	t_refuse 64 "$p with an unknown option" $p --no-such-option
done
t_refuse 64 'carctl without a subcommand' carctl --as admin
t_refuse 64 'carctl with an unknown subcommand' carctl --as admin frobnicate
t_refuse 64 'carctl key with an unknown subcommand' carctl --as admin key frobnicate
t_refuse 64 'rent without a subcommand' rent --as admin
t_refuse 64 'rent with an unknown subcommand' rent --as admin frobnicate
t_refuse 64 'reserve without a car' reserve --as admin
t_refuse 64 'pay without a reservation' pay --as admin
t_refuse 64 'rate without a reservation' rate --as admin --stars 3
t_refuse 64 'carctl list with an unknown option after the subcommand' carctl list --bogus
t_refuse 64 'dispatcher with a stray argument' dispatcher --once extra
t_refuse 64 '--home without its argument' carctl list --home

# An error reaches stderr in one write (a usage error with its usage lines, and a
# refusal): commands sharing a log, as cron's jobs or a pipeline's do, must not
# interleave their messages character by character.
for args in 'reserve car01' 'carctl --home /nonexistent list'; do
	if ! command -v strace >/dev/null 2>&1; then
		t_skip "$args: its error in one write" 'no strace'
	elif ! strace -o /dev/null true 2>/dev/null; then
		t_skip "$args: its error in one write" 'strace cannot trace here'
	else
		# LeakSanitizer (make check SANITIZE=1) cannot run under ptrace, and says so.
		# shellcheck disable=SC2086
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
			strace -qq -e trace=write -o "$T_TMP/writes" $BIN/$args >/dev/null 2>&1
		t_eq "$args: its error in one write" "$(grep -c '^write(2,' "$T_TMP/writes")" 1
	fi
done

done_testing
