#!/bin/sh
# 0910-daemon.t: the dispatcher in the foreground: it applies events as
# they arrive, holds the home against a second dispatcher, and ends with
# status 0 on SIGTERM.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

scratch_home

has_car() {
	carctl --as admin list --json | grep -q "\"car\":\"$1\""
}
spool_empty() {
	[ "$(spool_count new)" -eq 0 ]
}
has_status() {
	reserve --as admin list --json | jrow reservation "$1" | grep -q "\"status\":\"$2\""
}

"$BIN/dispatcher" >"$T_TMP/daemon.out" 2>"$T_TMP/daemon.err" </dev/null &
dpid=$!
T_PIDS="$T_PIDS $dpid"

customers alice
carctl --as admin add car01 --rate 50000 --model Avante >/dev/null
t_wait 'the daemon applies the new car' 20 has_car car01
t_wait 'and empties spool/new' 20 spool_empty
t_ok 'alice can reserve once her key is applied' reserve --as alice car01 --from "$(day 0)" --to "$(day 2)"
res=$OUT
t_wait 'the daemon applies the reservation' 20 has_status "$res" RESERVED
t_ok 'alice pays' pay --as alice "$res"
t_wait 'the daemon applies the payment' 20 has_status "$res" RENTED
t_eq 'the car is RENTED' "$(car_status car01)" RENTED
t_ok 'alice returns the car' rent --as alice return "$res"
t_wait 'the daemon applies the return' 20 has_status "$res" RETURNED

t_exit 75 'a second dispatcher --once finds the home busy' dispatcher --once
t_ok '--check is healthy while the daemon runs' dispatcher --check
t_ok 'the daemon is still running' kill -0 "$dpid"
alive=$RC

t_stop_daemon "$dpid" "$alive"
[ "$T_FAILED" -gt 0 ] && [ -s "$T_TMP/daemon.err" ] && tail -n 20 "$T_TMP/daemon.err" | sed 's/^/# daemon stderr: /'

t_ok 'after it, dispatcher --once may run again' dispatcher --once
t_eq '... and finds nothing left' "$ERR" 'dispatcher: applied 0, skipped 0, quarantined 0, held 0'
t_eq 'spool/bad is empty' "$(spool_count bad)" 0

done_testing
