#!/bin/sh
# 1200-breaker.t: the payment breaker: with max_pending payment events
# waiting in the spool, pay answers 75 "payment is busy, try again in N s".
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

shop
write_config max_pending=2
r1=$(book alice car01 2028-08-06 2028-08-08)
r2=$(book alice car02 2028-08-06 2028-08-08)
r3=$(book bob car01 2028-09-01 2028-09-03)
r4=$(book carol car02 2028-09-01 2028-09-03)

t_ok 'first payment' pay --as alice "$r1"
t_ok 'second payment' pay --as alice "$r2"
t_eq 'two payment events wait in the spool' "$(spool_count new)" 2
t_refuse 75 'a third payment while two wait' pay --as bob "$r3"
t_match '... says the payment is busy and when to try again' "$ERR" 'payment is busy, try again in [0-9]+ ?s'
t_match '... as pay: ...' "$ERR" '^pay: '
t_refuse 75 'so is a fourth' pay --as carol "$r4"
t_ok 'other commands are not held back' reserve --as carol car01 --from 2028-10-01 --to 2028-10-03
r5=$OUT
t_ok 'nor are the readers' mypage --as alice --json
dispatch
t_eq 'the waiting payments are applied' "$(status_of "$r1") $(status_of "$r2")" 'RENTED RENTED'
t_eq 'the refused ones were never written' "$(status_of "$r3") $(status_of "$r4")" 'RESERVED RESERVED'
t_ok 'the spool drained, bob may pay' pay --as bob "$r3"
t_ok 'and carol' pay --as carol "$r4"
t_refuse 75 'until two wait again' pay --as carol "$r5"
dispatch
t_eq 'bob'"'"'s payment is applied' "$(status_of "$r3")" RENTED
t_eq 'carol'"'"'s payment is applied' "$(status_of "$r4")" RENTED

# With max_pending 1, one waiting payment is enough.
write_config max_pending=1
r6=$(book alice car01 2028-11-01 2028-11-03)
t_ok 'one payment' pay --as carol "$r5"
t_refuse 75 'a second while one waits (max_pending 1)' pay --as alice "$r6"
t_match '... busy' "$ERR" 'payment is busy, try again in [0-9]+ ?s'
dispatch
t_ok 'after the dispatch it goes through' pay --as alice "$r6"

# A payment's cancel is a payment event too (CONTRACT: max_pending payment events
# wait): one waiting holds back a payment, as a payment waiting holds back a cancel.
r9=$(book bob car02 2028-11-05 2028-11-07)
dispatch
t_ok 'alice cancels her payment' pay --as alice cancel "$r6"
t_refuse 75 'a payment while the cancel waits (max_pending 1)' pay --as bob "$r9"
t_match '... busy' "$ERR" 'payment is busy, try again in [0-9]+ ?s'
dispatch
t_ok 'bob pays' pay --as bob "$r9"
t_refuse 75 'a cancel while his payment waits' pay --as alice cancel "$r1"

# max_pending 0 switches the limit off (rental.7): payments wait in any number.
dispatch
write_config max_pending=0
r7=$(book bob car01 2028-12-01 2028-12-03)
r8=$(book carol car01 2028-12-05 2028-12-07)
t_ok 'max_pending 0: a payment' pay --as bob "$r7"
t_ok '... and another while it waits' pay --as carol "$r8"

done_testing
