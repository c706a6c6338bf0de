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

# A second daemon waits for the first; SIGTERM while it waits ends it with 0.
"$BIN/dispatcher" >/dev/null 2>"$T_TMP/daemon1.err" </dev/null &
d1=$!
T_PIDS="$T_PIDS $d1"
t_wait 'a daemon runs again' 20 grep -q 'watching' "$T_TMP/daemon1.err"
"$BIN/dispatcher" >/dev/null 2>"$T_TMP/daemon2.err" </dev/null &
d2=$!
T_PIDS="$T_PIDS $d2"
t_wait 'a second one waits for it' 20 grep -q 'waiting until it ends' "$T_TMP/daemon2.err"
t_stop_daemon "$d2" 0 'the waiting one: '
t_nomatch '... says no error' "$(cat "$T_TMP/daemon2.err")" 'Interrupted'

# The settings name another spool while the daemon runs: it watches that one.
mkdir -p "$H/other/tmp" "$H/other/new" "$H/other/bad"
printf 'spool: other\n' >>"$H/config/rental.yaml"
carctl --as admin add car02 --rate 100 >/dev/null
t_eq 'the event is in the spool the settings name' "$(ls "$H/other/new" | wc -l | tr -d ' ')" 1
t_wait 'the running daemon applies it' 20 has_car car02
t_match '... and says which spool it watches' "$(cat "$T_TMP/daemon1.err")" "watching $H/other/new"
sed -i '/^spool:/d' "$H/config/rental.yaml"
carctl --as admin add car03 --rate 100 >/dev/null
t_wait 'the spool setting removed: it watches spool/ again' 20 has_car car03
# spool/new replaced under it (a home put back, a link retargeted): it watched the old
# folder, and the events waited for its poll.
n=$(grep -c "watching $H/spool/new" "$T_TMP/daemon1.err")
mv "$H/spool/new" "$H/spool/new.old" && mkdir "$H/spool/new"
carctl --as admin add car04 --rate 100 >/dev/null
t_wait 'spool/new replaced: the daemon watches the new one' 20 \
	sh -c "[ \$(grep -c 'watching $H/spool/new' '$T_TMP/daemon1.err') -gt $n ]"
t_wait '... and applies its event' 20 has_car car04
rmdir "$H/spool/new.old"
t_stop_daemon "$d1" 0 'the first: '

# Its lock file removed by hand while it runs: a --once locks a new one. Both worked
# at once (one swept the other's pack, main moved without the other's commit): cars
# were lost, and --check and --rebuild saw nothing. Now the daemon takes the new lock
# before its next batch, and a dispatcher whose lock file is not the one it locked
# commits nothing.
"$BIN/dispatcher" >/dev/null 2>"$T_TMP/daemon3.err" </dev/null &
d3=$!
T_PIDS="$T_PIDS $d3"
t_wait 'a daemon runs' 20 grep -q 'watching' "$T_TMP/daemon3.err"
lock=$(ls "$H"/state/.git/rental.lock "$H"/state/rental.lock 2>/dev/null | head -n 1)
rm -f "$lock"
for i in 1 2 3 4 5 6 7 8 9 10; do
	carctl --as admin add "k$i" --rate 5 >/dev/null
	"$BIN/dispatcher" --once >/dev/null 2>&1
done
t_wait 'the spool is drained' 30 spool_empty
t_stop_daemon "$d3" 0 'the third: '
t_eq 'no car of the ten is lost' "$(carctl --as admin list --json | grep -c '"car":"k')" 10
t_ok 'dispatcher --rebuild' dispatcher --rebuild
t_eq '... agrees' "$ERR" 'dispatcher: rebuild: 0 differences, state matches the log'

done_testing
