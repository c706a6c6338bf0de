#!/bin/sh
# 1957-each-allocation-fails.t: each allocation of a command failed in turn (an
# LD_PRELOAD library, fixtures/failmem.c) ends it as 0 or 'PROG: out of memory', 70 (the
# dispatcher's, after its batch's commit, saying the batch is committed); a
# writer that says 70 has written nothing; and the history stays whole: every event
# applied once, rebuild equal, healthy. (Memory that was not there was said as settings
# "not YAML", 78, a listing cut short without a word, 74, and a memstream whose last
# realloc failed gave a NULL buffer that fclose called a success: the dispatcher signed
# and logged an entry without its signature line, and every context stopped on it for
# good: review.)
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

if t_asan; then
	t_skip 'each allocation failing' 'built with AddressSanitizer, which has its own malloc'
	done_testing
	exit 0
fi
if ! ${CC:-cc} -shared -fPIC -o "$T_TMP/failmem.so" "$T_TESTS/fixtures/failmem.c" 2>"$T_TMP/cc.err"; then
	t_skip 'each allocation failing' "no C compiler: $(head -n 1 "$T_TMP/cc.err")"
	done_testing
	exit 0
fi
shop
book alice car01 "$(day 3)" "$(day 5)" >/dev/null
carctl --as admin block car02 --from "$(day 8)" --to "$(day 9)" --reason service >/dev/null && dispatch

# allocations CMD...: how many allocations CMD makes, run once.
allocations() {
	FAIL_COUNT=1 LD_PRELOAD="$T_TMP/failmem.so" "$@" 2>&1 >/dev/null </dev/null |
		sed -n 's/^allocations: //p' | tail -n 1
}

# each NAME CMD...: runs CMD once with FAIL_AT at each of its allocations, and prints
# a line for each run whose end is not 0 or 70 'PROG: out of memory'.
each() {
	_e_name=$1
	shift
	_e_n=$(allocations "$@")
	[ "${_e_n:-0}" -gt 0 ] || echo "$_e_name: no allocation counted"
	_e_k=0
	while [ "$_e_k" -lt "${_e_n:-0}" ]; do
		FAIL_AT=$_e_k LD_PRELOAD="$T_TMP/failmem.so" "$@" >/dev/null 2>"$T_TMP/each.err" </dev/null
		_e_rc=$?
		case $_e_rc:$(head -n 1 "$T_TMP/each.err") in
		0:* | "70:$_e_name: out of memory") ;;
		*) echo "allocation $_e_k: exit $_e_rc: $(head -n 1 "$T_TMP/each.err")" ;;
		esac
		_e_k=$((_e_k + 1))
	done
}

# dispatcher_each N ARGS...: the dispatcher with ARGS run N times, FAIL_AT at each of its
# first N allocations; prints a line for each run whose end is not 0 or 70 'dispatcher:
# out of memory' (its last line: its summary may come before).
dispatcher_each() {
	_d_n=$1
	shift
	_d_k=0
	while [ "$_d_k" -lt "$_d_n" ]; do
		FAIL_AT=$_d_k LD_PRELOAD="$T_TMP/failmem.so" "$BIN/dispatcher" "$@" >/dev/null 2>"$T_TMP/d.err" </dev/null
		_d_rc=$?
		case $_d_rc:$(tail -n 1 "$T_TMP/d.err") in
		0:* | "70:dispatcher: out of memory") ;;
		*) echo "allocation $_d_k: exit $_d_rc: $(tail -n 1 "$T_TMP/d.err")" ;;
		esac
		_d_k=$((_d_k + 1))
	done
}

for args in 'list --json' 'list --csv' 'list' 'show car01' 'cal car01' '--as admin report --json'; do
	# shellcheck disable=SC2086 # the words of args
	t_eq "carctl $args, each allocation failing: 0, or 70 out of memory" "$(each carctl "$BIN/carctl" $args)" ''
done
t_eq 'mypage --json, each allocation failing: 0, or 70 out of memory' \
	"$(each mypage "$BIN/mypage" --as alice --json)" ''

# A writer: where it says 70, nothing is in the spool.
written() { ls "$H/spool/new" | wc -l; }
n=$(allocations "$BIN/carctl" --as admin add w0 --rate 9)
dispatch
k=0
bad=''
while [ "$k" -lt "$n" ]; do
	before=$(written)
	FAIL_AT=$k LD_PRELOAD="$T_TMP/failmem.so" "$BIN/carctl" --as admin add "w$((k + 1))" --rate 9 >/dev/null 2>"$T_TMP/w.err"
	rc=$?
	case $rc:$(head -n 1 "$T_TMP/w.err"):$(($(written) - before)) in
	0:*:1 | "70:carctl: out of memory:0") ;;
	*) bad="$bad allocation $k: exit $rc, $(($(written) - before)) written: $(head -n 1 "$T_TMP/w.err");" ;;
	esac
	k=$((k + 1))
done
t_eq 'carctl add, each allocation failing: 0 and written, or 70 and nothing written' "$bad" ''

# The dispatcher: every fourth allocation of a batch of one event failing (all of them
# take two minutes), a new event each time. Short of memory once its batch is
# committed, it says so: the operator need not wonder whether the events were applied.
n=$(allocations "$BIN/dispatcher" --once)
k=0
bad=''
after=0
while [ "$k" -lt "$n" ]; do
	carctl --as admin add "d$k" --rate 9 >/dev/null
	main=$(git -C "$H/state" rev-parse main)
	FAIL_AT=$k LD_PRELOAD="$T_TMP/failmem.so" "$BIN/dispatcher" --once >/dev/null 2>"$T_TMP/d.err"
	rc=$?
	[ "$(git -C "$H/state" rev-parse main)" = "$main" ] && moved=no || moved=yes
	case $rc:$moved:$(tail -n 1 "$T_TMP/d.err") in
	0:yes:* | "70:no:dispatcher: out of memory") ;;
	"70:yes:dispatcher: out of memory, after its batch was committed (the next run skips what it applied)")
		after=$((after + 1)) ;;
	*) bad="$bad allocation $k: exit $rc, main moved: $moved: $(tail -n 1 "$T_TMP/d.err");" ;;
	esac
	k=$((k + 4))
done
t_eq 'dispatcher --once, every fourth allocation failing: 0, or 70 out of memory, said after the commit where it was' "$bad" ''
t_match '... some of them after the commit' "$after" '^[1-9][0-9]*$'
# Every allocation failing from the moment main moves: the batch is committed, and said so.
carctl --as admin add m1 --rate 9 >/dev/null
main=$(git -C "$H/state" rev-parse main)
FAIL_AFTER_RENAME=refs/heads/main LD_PRELOAD="$T_TMP/failmem.so" "$BIN/dispatcher" --once >/dev/null 2>"$T_TMP/m.err"
t_eq 'out of memory from the moment main moves: 70, said after the commit' \
	"$?:$([ "$(git -C "$H/state" rev-parse main)" = "$main" ] && echo same || echo moved):$(cat "$T_TMP/m.err")" \
	'70:moved:dispatcher: out of memory, after its batch was committed (the next run skips what it applied)'
# A run with nothing to apply commits nothing: short of memory anywhere, it never says it did.
dispatch
t_eq 'dispatcher --once of an empty spool, each allocation failing: 0, or 70 out of memory' \
	"$(dispatcher_each "$(allocations "$BIN/dispatcher" --once)" --once)" ''
carctl --as admin add o1 --rate 9 >/dev/null
for dir in spool/new spool/tmp objects/pack; do
	FAIL_OPENDIR=$dir LD_PRELOAD="$T_TMP/failmem.so" "$BIN/dispatcher" --once >/dev/null 2>"$T_TMP/o.err"
	t_eq "opendir of $dir short of memory: dispatcher --once says so, 70" "$?:$(cat "$T_TMP/o.err")" \
		'70:dispatcher: out of memory'
done
# A push to a remote (its pusher a child of the dispatcher's), each allocation failing:
# 0, or 70 said; then one with memory leaves the remote at main.
cp "$H/config/rental.yaml" "$T_TMP/rental.yaml"
git init -q --bare "$T_TMP/m.git"
printf 'replicate: {remotes: ["%s"], max_lag_seconds: 30}\n' "$T_TMP/m.git" >>"$H/config/rental.yaml"
n=$(allocations "$BIN/dispatcher" --push)
t_match "dispatcher --push makes allocations to fail ($n)" "$n" '^[1-9][0-9]+$'
rm -rf "$T_TMP/m.git" && git init -q --bare "$T_TMP/m.git"
t_eq 'dispatcher --push, each allocation failing: 0, or 70 out of memory' "$(dispatcher_each "$n" --push)" ''
t_ok '... then with memory, a push' dispatcher --push
t_eq '... leaves the remote at main' "$(git --git-dir="$T_TMP/m.git" rev-parse main)" "$(state_git rev-parse main)"
t_ok '... whole (git fsck)' git --git-dir="$T_TMP/m.git" fsck --no-progress
cp "$T_TMP/rental.yaml" "$H/config/rental.yaml"
t_ok 'then with memory: a batch' dispatcher --once
t_match '... nothing held back' "$DISPATCH_ERR$(dispatcher --once 2>&1)" 'held 0$'
t_eq '... every car added once' \
	"$(carctl list --json | grep -o '"car":"[dw][0-9]*"' | sort | uniq -d)" ''
t_eq '... each writer that said 0' "$(carctl list --json | grep -c '"car":"w[0-9]*"')" \
	"$(git -C "$H/state" log --format=%B main | grep -c ' car\.add w[0-9]*$')"
t_ok '... healthy' dispatcher --check
t_ok '... rebuild: the state is the log'"'"'s' dispatcher --rebuild
t_nofile '... nothing quarantined' "$H/spool/bad/"*
done_testing
