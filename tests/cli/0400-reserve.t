#!/bin/sh
# 0400-reserve.t: reserve, reserve cancel and reserve list.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

shop

t_ok 'alice reserves car01 for two nights' reserve --as alice car01 --from 2028-08-06 --to 2028-08-08
res=$OUT
t_match 'reserve prints the reservation id alone' "$res" '^res-[0-9a-f]{16}$'
t_eq 'one event in spool/new' "$(spool_count new)" 1
t_match 'named <20-digit ns>.<id>' "$(spool_files new)" '^[0-9]{20}\.[^/]+$'
t_eq 'nothing left in spool/tmp' "$(spool_count tmp)" 0
t_refuse 75 'cancel a reservation not yet applied' reserve --as alice cancel "$res"
dispatch
t_eq 'the event has left spool/new' "$(spool_count new)" 0
t_ok 'reserve list --json' reserve --as alice list --json
t_eq 'reserve list --json: fields in order, nights and amount' "$OUT" \
	"{\"reservation\":\"$res\",\"car\":\"car01\",\"customer\":\"alice\",\"from\":\"2028-08-06\",\"to\":\"2028-08-08\",\"nights\":2,\"amount\":100000,\"status\":\"RESERVED\",\"reason\":null}"
t_eq 'the car is RESERVED' "$(car_status car01)" RESERVED

t_ok 'bob reserves car02 for three nights' reserve --as bob car02 --from 2028-09-01 --to 2028-09-04
bres=$OUT
dispatch
line=$(reserve --as bob list --json)
t_eq 'bob sees only his own reservation' "$(printf '%s\n' "$line" | grep -c .)" 1
t_eq '3 nights' "$(printf '%s\n' "$line" | jget nights)" 3
t_eq 'amount = 30000 x 3' "$(printf '%s\n' "$line" | jget amount)" 90000
t_eq 'from' "$(printf '%s\n' "$line" | jget from)" 2028-09-01
t_eq 'to' "$(printf '%s\n' "$line" | jget to)" 2028-09-04
t_nomatch 'bob does not see alice'"'"'s' "$line" "$res"
t_eq 'alice sees only hers' "$(reserve --as alice list --json | grep -c .)" 1
t_ok 'admin lists all' reserve --as admin list --json
t_match '... alice'"'"'s' "$OUT" "\"reservation\":\"$res\""
t_match '... and bob'"'"'s' "$OUT" "\"reservation\":\"$bres\""
t_eq '... two in all' "$(printf '%s\n' "$OUT" | grep -c .)" 2
t_ok 'carol lists her reservations: none' reserve --as carol list --json
t_eq '... prints nothing' "$OUT" ''
t_ok 'reserve list without --json' reserve --as alice list
t_match '... shows the reservation' "$OUT" "$res"

# Refusals.
t_refuse 1 'an unknown car' reserve --as carol car99 --from 2028-08-06 --to 2028-08-08
t_match '... with a message PROG: ...' "$ERR" '^reserve: '
t_refuse 1 'nights that overlap an applied booking' reserve --as carol car01 --from 2028-08-07 --to 2028-08-09
t_refuse 1 'nights that contain an applied booking' reserve --as carol car01 --from 2028-08-01 --to 2028-08-20
t_refuse 1 'the same nights again' reserve --as alice car01 --from 2028-08-06 --to 2028-08-08
t_refuse 65 'a date without leading zeros' reserve --as carol car01 --from 2028-8-6 --to 2028-08-08
t_refuse 65 'month 13' reserve --as carol car01 --from 2028-13-01 --to 2028-13-03
t_refuse 65 'February 30' reserve --as carol car01 --from 2028-02-28 --to 2028-02-30
t_refuse 65 'a word for a date' reserve --as carol car01 --from tomorrow --to 2028-08-08
t_refuse 65 'a malformed --to' reserve --as carol car01 --from 2028-10-01 --to 20311003
t_refuse 65 'to equal to from' reserve --as carol car01 --from 2028-10-01 --to 2028-10-01
t_refuse 65 'to before from' reserve --as carol car01 --from 2028-10-05 --to 2028-10-01
t_refuse 65 'from in the past' reserve --as carol car01 --from 2020-01-01 --to 2020-01-03
t_refuse 65 'a malformed car id' reserve --as carol car/01 --from 2028-10-01 --to 2028-10-03
t_refuse 64 'no --to' reserve --as carol car01 --from 2028-10-01
t_refuse 64 'no --from' reserve --as carol car01 --to 2028-10-03
t_refuse 64 '--from without its value' reserve --as carol car01 --to 2028-10-03 --from
t_refuse 64 'no car' reserve --as carol --from 2028-10-01 --to 2028-10-03
t_refuse 64 'an unknown option' reserve --as carol car01 --from 2028-10-01 --to 2028-10-03 --nights 2
t_refuse 77 'an admin may not reserve' reserve --as admin car01 --from 2028-10-01 --to 2028-10-03
t_refuse 77 'an unknown identity' reserve --as nobody car01 --from 2028-10-01 --to 2028-10-03

# The check-out day is free for the next guest.
t_ok 'reserve the nights right after' reserve --as carol car01 --from 2028-08-08 --to 2028-08-10
after=$OUT
t_ok 'reserve the nights right before' reserve --as carol car01 --from 2028-08-04 --to 2028-08-06
before=$OUT
dispatch
t_eq 'the booking right after is RESERVED' "$(status_of "$after")" RESERVED
t_eq 'the booking right before is RESERVED' "$(status_of "$before")" RESERVED

# Cancel.
t_refuse 77 'bob may not cancel alice'"'"'s reservation' reserve --as bob cancel "$res"
t_refuse 65 'cancel a malformed id' reserve --as alice cancel res-xyz
t_refuse 65 'cancel something that is not a reservation id' reserve --as alice cancel car01
t_refuse 1 'cancel an unknown reservation' reserve --as alice cancel res-0123456789abcdef
t_refuse 64 'cancel without a reservation' reserve --as alice cancel
t_ok 'alice cancels her reservation' reserve --as alice cancel "$res"
t_id 'cancel prints the reservation id' "$OUT" "$res"
dispatch
t_eq 'the reservation is RESERVATION_CANCELED' "$(status_of "$res")" RESERVATION_CANCELED
t_refuse 1 'cancel it again' reserve --as alice cancel "$res"
t_ok 'its nights are free again' reserve --as carol car01 --from 2028-08-06 --to 2028-08-08
again=$OUT
dispatch
t_eq '... and the new booking is RESERVED' "$(status_of "$again")" RESERVED

t_ok 'an admin may cancel bob'"'"'s reservation' reserve --as admin cancel "$bres"
t_id '... prints the id' "$OUT" "$bres"
dispatch
t_eq 'bob'"'"'s reservation is RESERVATION_CANCELED' "$(status_of "$bres")" RESERVATION_CANCELED
t_eq 'and car02 is AVAILABLE again' "$(car_status car02)" AVAILABLE
t_match 'bob sees it canceled in his list' "$(reserve --as bob list --json)" '"status":"RESERVATION_CANCELED"'

# A RENTED reservation cannot be canceled (its payment can).
r=$(book alice car02 2028-12-01 2028-12-03)
paid alice "$r" >/dev/null
t_refuse 1 'cancel a RENTED reservation' reserve --as alice cancel "$r"
t_eq '... it stays RENTED' "$(status_of "$r")" RENTED

# Cars called list and cancel (car ids are any [A-Za-z0-9][A-Za-z0-9._-]{0,31}): one
# word with --from and --to is a car.
carctl --as admin add list --rate 100 >/dev/null && carctl --as admin add cancel --rate 100 >/dev/null && dispatch
for c in list cancel; do
	t_ok "reserve $c --from --to books the car $c" reserve --as alice "$c" --from "$(day 40)" --to "$(day 41)"
	t_match '... prints its id' "$OUT" '^res-[0-9a-f]{16}$'
	t_ok "... $c --quote" reserve --as alice "$c" --from "$(day 50)" --to "$(day 51)" --quote
	t_eq '... its price' "$OUT" 100
done
dispatch
t_eq '... both booked' "$(reserve --as alice list --json | jq -r 'select(.car == "list" or .car == "cancel") | .status' | tr '\n' ' ')" \
	'RESERVED RESERVED '
t_refuse 64 'reserve list with --from alone: the listing, which takes no --from' reserve --as alice list --from "$(day 40)"
t_match '... says so' "$ERR" '^reserve: list: --from does not apply$'
t_ok 'reserve list still lists' reserve --as alice list --csv

done_testing
