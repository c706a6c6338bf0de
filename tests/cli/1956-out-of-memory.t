#!/bin/sh
# 1956-out-of-memory.t: memory that is not there (ulimit -v) is said as "PROG: out of
# memory", exit 70, as the conventions give it, and nothing is lost: the events of
# batches cut short are all applied once after. (An abort() ended the commands, 134,
# a core, "rental: out of memory" or no word at all; zlib's allocation failing was an
# object of the state "damaged or unreadable", 74: hunt.)
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

if t_asan; then
	t_skip 'commands short of memory' 'built with AddressSanitizer, which maps terabytes'
	done_testing
	exit 0
fi
shop
i=0
while [ "$i" -lt 40 ]; do
	carctl --as admin add "c$i" --rate 100 >/dev/null
	i=$((i + 1))
	[ $((i % 8)) != 0 ] || dispatch
done

# sweep CMD...: runs CMD under ulimit -v from 1 MiB up, 64 KiB a step, until it
# succeeds; prints each step's exit status and the first line it said. Its stack is
# limited as lib.sh's wrappers limit it: a stack grown past what exec maps is a
# SIGSEGV where memory is short (CI saw one at a step of the dispatcher's).
sweep() {
	v=1024
	while [ "$v" -lt 65536 ]; do
		(ulimit -v "$v" && { [ -z "$T_STACK" ] || ulimit -s "$T_STACK"; } && exec "$@") \
			>/dev/null 2>"$T_TMP/sweep.err"
		rc=$?
		echo "$rc $(grep -v 'shared libraries' "$T_TMP/sweep.err" | head -n 1)"
		[ "$rc" != 0 ] || return 0
		v=$((v + 64))
	done
}
sweep "$BIN/carctl" list >"$T_TMP/list"
t_eq 'carctl list short of memory: only 0, 70 or the loader'"'"'s 127' \
	"$(awk '$1 != 0 && $1 != 70 && $1 != 127' "$T_TMP/list")" ''
t_match '... 70 said as carctl: out of memory' "$(grep '^70 ' "$T_TMP/list" | sort -u)" '^70 carctl: out of memory$'
t_nomatch '... never as damaged' "$(cat "$T_TMP/list")" 'damaged'

for c in a b c d e f g h; do carctl --as admin add "w$c" --rate 100 >/dev/null; done
sweep "$BIN/dispatcher" --once >"$T_TMP/once"
t_eq 'dispatcher --once short of memory: only 0, 70 or 127' \
	"$(awk '$1 != 0 && $1 != 70 && $1 != 127' "$T_TMP/once")" ''
t_match '... 70 said as dispatcher: out of memory' "$(grep '^70 ' "$T_TMP/once" | sort -u)" '^70 dispatcher: out of memory$'
sweep "$BIN/dispatcher" --rebuild >"$T_TMP/rebuild"
t_eq 'dispatcher --rebuild short of memory: only 0, 70 or 127' \
	"$(awk '$1 != 0 && $1 != 70 && $1 != 127' "$T_TMP/rebuild")" ''
t_ok 'then, with memory: a batch' dispatcher --once
t_eq '... every car once' "$(carctl list --json | grep -o '"car":"[^"]*"' | sort | uniq -c | awk '$1 == 1' | wc -l)" 50
t_ok '... rebuild: the state is the log'"'"'s' dispatcher --rebuild
t_ok '... healthy' dispatcher --check
done_testing
