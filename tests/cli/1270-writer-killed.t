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
done_testing
