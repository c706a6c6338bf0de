#!/bin/sh
# 1260-daemon-fault.t: a batch that fails half way in the foreground daemon
# (here: the dispatcher's own key is missing, after the events were admitted)
# leaves nothing behind: once the fault is mended, the same events are
# applied, counted as applied (not skipped), each exactly once.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

shop
"$BIN/dispatcher" >"$T_TMP/daemon.out" 2>"$T_TMP/daemon.err" </dev/null &
dpid=$!
T_PIDS="$T_PIDS $dpid"

mv "$H/keys/dispatcher.key" "$T_TMP/dispatcher.key"
t_ok 'alice reserves while the dispatcher has no key' reserve --as alice car01 --from 2028-08-06 --to 2028-08-08
res=$OUT
logged() { grep -q "dispatcher.key" "$T_TMP/daemon.err"; }
t_wait 'the daemon reports the fault' 20 logged
t_eq 'the event waits in the spool' "$(spool_count new)" 1
t_eq 'nothing was committed' "$(log_count_id "$res")" 0
t_ok 'the daemon is still running' kill -0 "$dpid"
# The fault lasts: each wake meets it again, and the log says it once.
for d in 10 12 14; do
	reserve --as carol car02 --from "2028-08-$d" --to "2028-08-$((d + 1))" >/dev/null
	sleep 0.5
done
t_eq '... the same fault is logged once, however often the daemon wakes' \
	"$(grep -c 'dispatcher.key' "$T_TMP/daemon.err")" 1

mv "$T_TMP/dispatcher.key" "$H/keys/dispatcher.key"
t_ok 'bob reserves once the key is back' reserve --as bob car02 --from 2028-08-06 --to 2028-08-08
res2=$OUT
applied() { [ "$(status_of "$res")" = RESERVED ] && [ "$(status_of "$res2")" = RESERVED ]; }
t_wait 'both reservations are applied' 20 applied
t_wait '... and the log says the fault is gone' 20 grep -q 'the fault is gone' "$T_TMP/daemon.err"
# The batch is visible once committed; its summary line is written just after.
counted() { grep -q 'applied 5, skipped 0' "$T_TMP/daemon.err"; }
t_wait 'the daemon counts them applied, not skipped' 20 counted
t_eq 'each is in the log once' \
	"$(log_count_id "$res") $(log_count_id "$res2")" '1 1'
t_stop_daemon "$dpid" 0
t_eq 'state/ holds nothing but .git' "$(state_checkout)" ''
t_ok 'a rebuild agrees' dispatcher --rebuild
done_testing
