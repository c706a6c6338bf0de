#!/bin/sh
# 1270-writer-killed.t: a writer killed between writing its file in spool/tmp
# and the rename leaves nothing in spool/new; the leftover is reported by
# --check while young, and removed (and reported) once older than an hour.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

shop
t_exit 137 'a reserve killed before its rename' env RENTAL_CRASH_AT=writer "$BIN/reserve" --as alice car01 --from 2028-08-06 --to 2028-08-08
t_eq 'nothing in spool/new' "$(spool_count new)" 0
t_eq 'its file is in spool/tmp' "$(spool_count tmp)" 1
t_ok 'the dispatcher runs' dispatcher --once
t_eq '... and applies nothing' "$ERR" 'dispatcher: applied 0, skipped 0, quarantined 0, held 0'
t_ok '--check is healthy' dispatcher --check
t_match '... and names the file in spool/tmp' "$ERR" 'spool/tmp: 1 files? being written'
touch -d '2 hours ago' "$H/spool/tmp/"*
t_ok '--check, once it is old' dispatcher --check
t_match '... removes and reports it' "$ERR" 'spool/tmp: removed 1 files? older than an hour'
t_eq 'spool/tmp is empty' "$(spool_count tmp)" 0
t_ok 'the customer writes again' reserve --as alice car01 --from 2028-08-06 --to 2028-08-08
dispatch
t_eq '... and it is applied once' "$(status_of "$OUT")" RESERVED
t_exit 137 'carctl add killed the same way' env RENTAL_CRASH_AT=writer "$BIN/carctl" --as admin add car09 --rate 5
t_eq 'nothing in spool/new again' "$(spool_count new)" 0
touch -d '2 hours ago' "$H/spool/tmp/"*
t_ok 'the next batch sweeps spool/tmp' dispatcher --once
t_eq 'spool/tmp is empty again' "$(spool_count tmp)" 0
# Its standard output cannot be written once the event is in the spool: the event is
# written all the same, so the command says so and its id on stderr, and exits 0 (a
# script that retried on a failure would book twice).
if [ -w /dev/full ]; then
	run sh -c '"$1" --as alice car01 --from 2028-09-06 --to 2028-09-08 >/dev/full' - "$BIN/reserve"
	t_eq 'reserve with stdout full, after its event is spooled: exit 0' "$RC" 0
	t_match '... says so, with the id' "$ERR" '^reserve: stdout: write error; the event is in the spool all the same: res-[0-9a-f]{16}$'
	t_eq '... one event waits' "$(spool_count new)" 1
	run sh -c '"$1" --as admin add car10 --rate 5 >/dev/full' - "$BIN/carctl"
	t_eq 'carctl add the same way: exit 0' "$RC" 0
	t_match '... with the car' "$ERR" 'all the same: car10$'
	dispatch
	t_eq '... both applied' "$(spool_count new) $(car_status car10)" '0 AVAILABLE'
	( sleep 0.3; "$BIN/reserve" --as alice car01 --from 2028-09-16 --to 2028-09-18 2>"$T_TMP/pipe.err"
	  echo $? >"$T_TMP/pipe.rc" ) | true
	t_eq 'reserve into a pipe already closed, after its event is spooled: exit 0' "$(cat "$T_TMP/pipe.rc")" 0
	t_match '... says so, with the id' "$(cat "$T_TMP/pipe.err")" 'the event is in the spool all the same: res-'
	dispatch
	run sh -c '"$1" list >/dev/full' - "$BIN/carctl"
	t_eq 'a listing with stdout full: exit 74' "$RC" 74
	# Unbuffered (stdbuf -o0), a write fails at its first character: it ends (it
	# retried that character for ever).
	if command -v stdbuf >/dev/null 2>&1 && ! t_asan; then
		rr=$(book alice car01 "$(day 3)" "$(day 5)")
		paid alice "$rr" >/dev/null
		run sh -c 'timeout 20 stdbuf -o0 "$1" --as alice receipt "$2" >/dev/full' - "$BIN/rent" "$rr"
		t_eq 'rent receipt, unbuffered, with stdout full: exit 74' "$RC" 74
	else
		t_skip 'rent receipt, unbuffered, with stdout full' 'no stdbuf (or AddressSanitizer, which stdbuf cannot preload before)'
	fi
	run sh -c '"$1" --allowed-signers >/dev/full' - "$BIN/dispatcher"
	t_eq 'dispatcher --allowed-signers with stdout full: exit 74' "$RC" 74
	t_eq '... said once' "$ERR" 'dispatcher: stdout: write error'
else
	t_skip 'stdout full' 'no /dev/full'
fi
done_testing
