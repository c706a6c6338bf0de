#!/bin/sh
# 1955-closed-streams-and-file-size.t: a command started with its standard streams
# closed (cron's >&- 2>&-) writes nothing of its own into its files, and under a
# file-size limit (ulimit -f) a write too large is said, named, 74. (The first files
# it opened took the closed numbers and got its messages: carctl init's summary in
# spool/served-by, the daemon's log in state/.git/rental.lock; SIGXFSZ killed the
# dispatcher and --check, 153, without a word: hunt.)
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

H=$T_TMP/home
RENTAL_HOME=$H
export RENTAL_HOME
"$BIN/carctl" init "$H" >&- 2>&-
t_eq 'carctl init with stdout and stderr closed: exit 0' "$?" 0
t_eq '... spool/served-by names the home, nothing else' "$(cat "$H/spool/served-by")" "$(cd "$H" && pwd -P)"
customers alice
"$BIN/dispatcher" </dev/null >&- 2>&- &
pid=$!
T_PIDS="$T_PIDS $pid"
printf 'not an event\n' >"$H/spool/tmp/x"
mv "$H/spool/tmp/x" "$H/spool/new/00000000000000000001.res-0000000000000001"
t_wait 'the daemon with them closed quarantines a file' 15 test -e "$H/spool/bad/00000000000000000001.res-0000000000000001"
t_stop_daemon "$pid" 0
t_eq '... nothing written into the lock' "$(wc -c <"$H/state/.git/rental.lock")" 0
"$BIN/carctl" list >&- 2>/dev/null
t_eq 'a listing with stdout closed: exit 74, as ever' "$?" 74

carctl --as admin add car01 --rate 100 >/dev/null
(
	ulimit -f 2
	"$BIN/dispatcher" --once >"$T_TMP/f.out" 2>"$T_TMP/f.err"
	echo $? >"$T_TMP/f.rc"
	ulimit -f 1
	"$BIN/dispatcher" --check >/dev/null 2>"$T_TMP/c.err"
	echo $? >"$T_TMP/c.rc"
)
t_eq 'dispatcher --once under ulimit -f 2: exit 74' "$(cat "$T_TMP/f.rc")" 74
t_match '... naming the file too large' "$(cat "$T_TMP/f.err")" 'objects/pack/tmp_pack_.*: File too large'
t_eq '--check under ulimit -f 1: unhealthy (1), not killed' "$(cat "$T_TMP/c.rc")" 1
t_match '... saying why' "$(cat "$T_TMP/c.err")" 'cannot be written: .*File too large'
t_ok 'without the limit: the batch is applied' dispatcher --once
t_match '... the car is there' "$(carctl list --json)" '"car":"car01"'
done_testing
