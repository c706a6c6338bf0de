#!/bin/sh
# 0125-two-homes-one-spool.t: a copy of a home whose settings name its spool (spool:
# an absolute path), run beside it, drained the same spool: each home applied a share
# of the events, both healthy. The process that applies a home's batches holds the
# spool while it runs; another home's dispatcher is refused (78), takes nothing, and
# the first applies every event.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

shop
mv "$H/spool" "$T_TMP/spool"
printf 'spool: %s\n' "$T_TMP/spool" >>"$H/config/rental.yaml"
cp -a "$H" "$T_TMP/copy"
"$BIN/dispatcher" 2>"$T_TMP/daemon.err" </dev/null &
pid=$!
T_PIDS="$T_PIDS $pid"
t_wait 'the home'"'"'s daemon holds its lock' 10 sh -c "! flock -n '$H/state/.git/rental.lock' true"

run dispatcher --home "$T_TMP/copy" --once
t_eq 'a copy of the home on the same spool: dispatcher --once refused (78)' "$RC" 78
t_match '... saying the spool is served by another home' "$ERR" \
	"$T_TMP/spool/new: served by another home's dispatcher"
timeout 20 "$BIN/dispatcher" --home "$T_TMP/copy" 2>"$T_TMP/copy.err" </dev/null &
copy=$!
for i in 1 2 3 4 5 6; do
	carctl --as admin add "t$i" --rate 9 >/dev/null
	sleep 0.2
done
wait "$copy"
t_eq '... its daemon too: exit 78' "$?" 78
t_wait 'the home applies every event' 15 sh -c "[ \$('$BIN/carctl' list --json | grep -c '\"car\":\"t') = 6 ]"
t_eq '... the copy none' "$(carctl --home "$T_TMP/copy" list --json | grep -c '"car":"t')" 0
t_stop_daemon "$pid" 0
done_testing
