#!/bin/sh
# 1400-duplicate.t: an event whose id was already applied is skipped, not
# applied twice: the same file copied back into spool/new, or under a new
# name.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

shop

# save: copy the only event in spool/new to $T_TMP/NAME; sets F to its name.
save() {
	F=$(spool_files new)
	cp "$H/spool/new/$F" "$T_TMP/$1"
}

# A rating applied twice would count twice.
res=$(book alice car01 "$(day 0)" "$(day 2)")
paid alice "$res" >/dev/null
returned alice "$res"
t_ok 'alice rates car01' rate --as alice "$res" --stars 4
save rating.event
FR=$F
dispatch
t_eq 'car01 has one rating' "$(carctl --as admin list --json | jrow car car01 | jget ratings)" 1
spool_drop "$T_TMP/rating.event" "$FR"
t_eq 'the applied event is back in spool/new' "$(spool_count new)" 1
t_ok 'the dispatcher runs' dispatcher --once
t_eq 'it skips the event' "$ERR" 'dispatcher: applied 0, skipped 1, quarantined 0, held 0'
t_eq 'spool/new is empty' "$(spool_count new)" 0
t_eq 'car01 still has one rating' "$(carctl --as admin list --json | jrow car car01 | jget ratings)" 1
t_eq 'and stars 4.0' "$(carctl --as admin list --json | jrow car car01 | jget stars)" 4.0

# The same event under a newer name.
newname=0$(date +%s)000000000.${FR#*.}
spool_drop "$T_TMP/rating.event" "$newname"
t_ok 'the dispatcher runs' dispatcher --once
t_eq 'it skips the event under a new name' "$ERR" 'dispatcher: applied 0, skipped 1, quarantined 0, held 0'
t_eq 'car01 still has one rating' "$(carctl --as admin list --json | jrow car car01 | jget ratings)" 1
t_eq 'spool/new is empty' "$(spool_count new)" 0

# A reservation applied twice would overlap itself or show twice.
t_ok 'bob reserves car02' reserve --as bob car02 --from 2028-09-01 --to 2028-09-03
r2=$OUT
save reserve.event
FV=$F
dispatch
spool_drop "$T_TMP/reserve.event" "$FV"
t_ok 'the dispatcher runs' dispatcher --once
t_match 'it skips the reservation' "$ERR" 'skipped 1'
t_eq 'bob has one reservation' "$(reserve --as bob list --json | grep -c .)" 1
t_eq 'still RESERVED, not REJECTED by itself' "$(status_of "$r2")" RESERVED
t_eq 'car02 shows one booking' "$(carctl --as admin show car02 --json | grep -o '"reservation":' | wc -l | tr -d ' ')" 1

# A payment replayed after its cancellation must not rent the car again.
t_ok 'bob pays' pay --as bob "$r2"
save pay.event
FP=$F
dispatch
pay --as bob cancel "$r2" >/dev/null
dispatch
t_eq 'the payment is canceled' "$(status_of "$r2")" PAYMENT_CANCELED
spool_drop "$T_TMP/pay.event" "$FP"
t_ok 'the dispatcher runs' dispatcher --once
t_match 'it skips the payment' "$ERR" 'skipped 1'
t_eq 'the reservation stays PAYMENT_CANCELED' "$(status_of "$r2")" PAYMENT_CANCELED
t_eq 'car02 stays AVAILABLE' "$(car_status car02)" AVAILABLE

# A duplicate in the same batch as its original.
t_ok 'carol reserves car01' reserve --as carol car01 --from 2028-10-01 --to 2028-10-03
r3=$OUT
save twin.event
spool_drop "$T_TMP/twin.event" "99999999999999999999.${F#*.}"
t_eq 'two copies wait' "$(spool_count new)" 2
t_ok 'the dispatcher runs' dispatcher --once
t_match 'it applies one and skips the other' "$ERR" 'skipped 1'
t_eq 'carol has one reservation' "$(reserve --as carol list --json | grep -c .)" 1
t_eq 'RESERVED' "$(status_of "$r3")" RESERVED
t_eq 'spool/new is empty' "$(spool_count new)" 0

done_testing
