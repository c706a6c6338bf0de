#!/bin/sh
# 0450-overlap.t: overlapping reservations written before a dispatch: both
# commands succeed, the dispatcher keeps the earlier one (spool order) and
# REJECTS the other.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

shop

t_ok 'alice reserves car01 first' reserve --as alice car01 --from 2028-10-01 --to 2028-10-05
r1=$OUT
t_ok 'bob reserves overlapping nights before any dispatch' reserve --as bob car01 --from 2028-10-03 --to 2028-10-06
r2=$OUT
t_match 'bob also gets a reservation id' "$r2" '^res-[0-9a-f]{16}$'
t_eq 'two events wait in the spool' "$(spool_count new)" 2
dispatch
t_eq 'the dispatch succeeds' "$DISPATCH_RC" 0
t_eq 'the earlier reservation is RESERVED' "$(status_of "$r1")" RESERVED
t_eq 'the later one is REJECTED' "$(status_of "$r2")" REJECTED
t_eq 'exactly one RESERVED on car01' "$(reserve --as admin list --json | jrow car car01 | grep -c '"status":"RESERVED"')" 1
t_eq 'car01 is RESERVED' "$(car_status car01)" RESERVED
t_match 'bob sees his reservation REJECTED' "$(reserve --as bob list --json | jrow reservation "$r2")" '"status":"REJECTED"'
t_match 'so does his page' "$(mypage --as bob --json | jrow reservation "$r2")" '"status":"REJECTED"'
t_refuse 1 'a REJECTED reservation cannot be paid' pay --as bob "$r2"
t_refuse 1 'nor canceled' reserve --as bob cancel "$r2"
t_refuse 1 'nor returned' rent --as bob return "$r2"
t_match 'carctl show lists the winner' "$(carctl --as admin show car01 --json)" \
	"\\{\"reservation\":\"$r1\",\"from\":\"2028-10-01\",\"to\":\"2028-10-05\",\"status\":\"RESERVED\"\\}"

# The other way round on car02: bob first, so bob wins.
t_ok 'bob reserves car02 first' reserve --as bob car02 --from 2028-10-10 --to 2028-10-12
b=$OUT
t_ok 'alice reserves the same nights second' reserve --as alice car02 --from 2028-10-10 --to 2028-10-12
a=$OUT
dispatch
t_eq 'bob'"'"'s is RESERVED' "$(status_of "$b")" RESERVED
t_eq 'alice'"'"'s is REJECTED' "$(status_of "$a")" REJECTED

# A rejected booking holds no nights: carol 1-3, alice 2-4 (rejected),
# bob 3-5 (overlaps only the rejected one: accepted).
t_ok 'carol: nights 1 and 2' reserve --as carol car01 --from 2028-11-01 --to 2028-11-03
c=$OUT
t_ok 'alice: nights 2 and 3' reserve --as alice car01 --from 2028-11-02 --to 2028-11-04
a=$OUT
t_ok 'bob: nights 3 and 4' reserve --as bob car01 --from 2028-11-03 --to 2028-11-05
b=$OUT
dispatch
t_eq 'carol'"'"'s is RESERVED' "$(status_of "$c")" RESERVED
t_eq 'alice'"'"'s is REJECTED' "$(status_of "$a")" REJECTED
t_eq 'bob'"'"'s is RESERVED: a rejected booking frees its nights' "$(status_of "$b")" RESERVED

# The same customer twice.
t_ok 'alice books 1-3 December' reserve --as alice car02 --from 2028-12-01 --to 2028-12-03
a1=$OUT
t_ok 'and 2-4 December before dispatch' reserve --as alice car02 --from 2028-12-02 --to 2028-12-04
a2=$OUT
dispatch
t_eq 'her first is RESERVED' "$(status_of "$a1")" RESERVED
t_eq 'her second is REJECTED' "$(status_of "$a2")" REJECTED

# Once applied, the overlap is refused at once.
t_refuse 1 'an overlap with an applied booking is refused by the command' \
	reserve --as carol car01 --from 2028-10-04 --to 2028-10-08

done_testing
