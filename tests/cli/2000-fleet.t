#!/bin/sh
# 2000-fleet.t: the fleet (CONTRACT 2, "Fleet"): carctl add and set with the prices,
# block and unblock (a block holds nights as a booking does, in the same overlap
# rule), list --from --to (the free cars and the price of the stay), show with the
# prices and the blocks. Every refusal exits as the contract says and writes nothing.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

shop
d() { day "$1"; }

# ---- add with prices, set ----
t_ok 'add a car with weekly, monthly and late-fee prices' \
	carctl --as admin add car03 --rate 10000 --model Ray --weekly 60000 --monthly 200000 --late-fee 15000
t_eq '... prints the car' "$OUT" car03
dispatch
t_eq 'show --json: the prices in their fields' \
	"$(carctl show car03 --json | jq -c '[.rate, .weekly, .monthly, .late_fee]')" '[10000,60000,200000,15000]'
t_eq 'a car without them: null' "$(carctl show car01 --json | jq -c '[.weekly, .monthly, .late_fee]')" '[null,null,null]'
t_eq 'list keeps its fields' "$(carctl list --json | jrow car car03)" \
	'{"car":"car03","model":"Ray","rate":10000,"status":"AVAILABLE","stars":null,"ratings":0}'
t_refuse 65 'add: a weekly price above 7 x the rate' carctl --as admin add car04 --rate 100 --weekly 701
t_match '... says so' "$ERR" 'weekly 701: more than 7 x the rate 100'
t_refuse 65 'add: a monthly price above 30 x the rate' carctl --as admin add car04 --rate 100 --monthly 3001
t_refuse 65 'add: a late fee of 0' carctl --as admin add car04 --rate 100 --late-fee 0
t_refuse 65 'add: a weekly price beyond the limits' carctl --as admin add car04 --rate 100 --weekly 1000000000001
t_ok 'add: weekly 7 x the rate and monthly 30 x are fine' carctl --as admin add car04 --rate 100 --weekly 700 --monthly 3000
dispatch

r=$(book alice car01 "$(d 30)" "$(d 32)")
t_eq 'a booking at the rate: 2 x 50000' "$(reserve --as alice list --json | jrow reservation "$r" | jget amount)" 100000
t_ok 'set the rate and the model' carctl --as admin set car01 --rate 60000 --model 'Avante N'
t_eq '... prints the car' "$OUT" car01
t_eq '... not before the dispatch' "$(carctl show car01 --json | jget rate)" 50000
dispatch
t_eq 'show has the new rate and model' "$(carctl show car01 --json | jq -c '[.rate, .model]')" '[60000,"Avante N"]'
t_eq 'the booking made before keeps its amount' "$(reserve --as alice list --json | jrow reservation "$r" | jget amount)" 100000
r2=$(book bob car01 "$(d 40)" "$(d 42)")
t_eq 'a booking made after is priced by the change' "$(reserve --as bob list --json | jrow reservation "$r2" | jget amount)" 120000
t_ok 'set only a weekly price' carctl --as admin set car01 --weekly 400000
dispatch
t_eq '... the rest stays' "$(carctl show car01 --json | jq -c '[.rate, .weekly, .model]')" '[60000,400000,"Avante N"]'
t_refuse 65 'set: a rate under which the weekly price is more than 7 x' carctl --as admin set car01 --rate 50000
t_refuse 65 'set: a weekly price above 7 x the rate' carctl --as admin set car01 --weekly 420001
t_refuse 64 'set without an option' carctl --as admin set car01
t_match '... names the options' "$ERR" 'at least one of --rate'
t_refuse 64 'set without a car' carctl --as admin set --rate 5
t_refuse 65 'set: a rate that is not a number' carctl --as admin set car01 --rate lots
t_refuse 65 'set: a malformed car id' carctl --as admin set 'car/1' --rate 5
t_refuse 1 'set: an unknown car' carctl --as admin set car99 --rate 5
t_refuse 77 'set: a customer' carctl --as alice set car01 --rate 60001
t_refuse 65 'set: a bad value before a wrong identity' carctl --as alice set car01 --rate 0

# Ratings stay through a change.
r3=$(book carol car02 "$(d 0)" "$(d 1)")
paid carol "$r3" >/dev/null
returned carol "$r3"
rate --as carol "$r3" --stars 4 --comment 'tidy' >/dev/null
dispatch
carctl --as admin set car02 --rate 31000 >/dev/null
dispatch
t_eq 'a car changed keeps its ratings and reviews' \
	"$(carctl show car02 --json | jq -c '[.rate, .stars, .ratings, (.reviews | length)]')" '[31000,4,1,1]'
t_eq '... and the review is the rating' "$(carctl show car02 --json | jq -c '.reviews[0]')" \
	"{\"stars\":4,\"comment\":\"tidy\",\"date\":\"$(d 0)\"}"

# ---- block, unblock ----
t_refuse 1 'block: nights a booking holds' carctl --as admin block car01 --from "$(d 31)" --to "$(d 33)"
t_match '... names it' "$ERR" "car01: already reserved from $(d 30) to $(d 32)"
t_ok 'block car02 for service' carctl --as admin block car02 --from "$(d 10)" --to "$(d 13)" --reason 'brakes'
blk=$OUT
t_match '... prints the block id' "$blk" '^blk-[0-9a-f]{16}$'
t_eq '... one event' "$(spool_count new)" 1
dispatch
t_eq 'show lists the block among the bookings' \
	"$(carctl show car02 --json | jq -c '.bookings[] | select(.status == "BLOCKED")')" \
	"{\"reservation\":\"$blk\",\"from\":\"$(d 10)\",\"to\":\"$(d 13)\",\"status\":\"BLOCKED\"}"
t_eq 'a block leaves the car status AVAILABLE' "$(car_status car02)" AVAILABLE
t_refuse 1 'reserve: a night the block holds' reserve --as alice car02 --from "$(d 12)" --to "$(d 14)"
t_match '... says the car is blocked' "$ERR" "car02: car blocked from $(d 10) to $(d 13)"
t_refuse 1 'block: nights another block holds' carctl --as admin block car02 --from "$(d 9)" --to "$(d 11)"
t_ok 'the nights around it are free' reserve --as alice car02 --from "$(d 13)" --to "$(d 14)"
dispatch
t_eq '... and booked' "$(status_of "$OUT")" RESERVED

# The dispatcher is the authority: a reservation written before the block is applied
# wins, and the block is rejected and holds nothing; a reservation written after the
# block (not yet applied) is REJECTED with its reason.
rx=$(reserve --as bob car03 --from "$(d 20)" --to "$(d 22)")
bx=$(carctl --as admin block car03 --from "$(d 21)" --to "$(d 23)")
t_match 'both written before the dispatch' "$rx $bx" '^res-.* blk-'
dispatch
t_eq 'the booking applied first holds' "$(status_of "$rx")" RESERVED
t_match 'the dispatcher says the block is rejected, and why' "$DISPATCH_ERR" \
	"^dispatcher: rejected $bx: car03: already reserved from $(d 20) to $(d 22)\$"
t_eq 'the block is not among the bookings' "$(carctl show car03 --json | jq -c '[.bookings[] | select(.status == "BLOCKED")]')" '[]'
t_match 'the log says why it was rejected' "$(state_grep log/ -h -A8 -e '^type: block.rejected$' | grep '^reason:')" \
	"car03: already reserved from $(d 20) to $(d 22)"
t_refuse 1 'unblock a rejected block' carctl --as admin unblock "$bx"
t_match '... it holds no night' "$ERR" 'REJECTED, it holds no night'
by=$(carctl --as admin block car03 --from "$(d 25)" --to "$(d 27)")
ry=$(reserve --as carol car03 --from "$(d 26)" --to "$(d 28)")
dispatch
t_eq 'a booking applied after a block on its nights: REJECTED' "$(status_of "$ry")" REJECTED
t_eq '... with why in reserve list' "$(reserve --as carol list --json | jrow reservation "$ry" | jget reason)" \
	"car03: car blocked from $(d 25) to $(d 27)"
t_eq '... and in mypage' "$(mypage --as carol --json | jrow reservation "$ry" | jget reason)" \
	"car03: car blocked from $(d 25) to $(d 27)"
t_eq 'a booking not rejected has reason null' "$(reserve --as bob list --json | jrow reservation "$rx" | jget reason)" null

t_ok 'unblock' carctl --as admin unblock "$by"
t_eq '... prints the block' "$OUT" "$by"
dispatch
t_eq 'show lists it no more' "$(carctl show car03 --json | jq -r '.bookings[].reservation' | grep -c "$by")" 0
t_ok 'its nights are free again' reserve --as carol car03 --from "$(d 26)" --to "$(d 28)"
dispatch
t_refuse 1 'unblock it again' carctl --as admin unblock "$by"
t_match '... already unblocked' "$ERR" 'already unblocked'
t_refuse 1 'unblock an unknown block' carctl --as admin unblock blk-0123456789abcdef
t_refuse 65 'unblock a malformed id' carctl --as admin unblock blk-xyz
t_refuse 65 'unblock a reservation id' carctl --as admin unblock "$rx"
t_refuse 64 'unblock without a block' carctl --as admin unblock
t_refuse 77 'unblock: a customer' carctl --as alice unblock "$blk"
bz=$(carctl --as admin block car04 --from "$(d 5)" --to "$(d 6)")
t_refuse 75 'unblock a block not yet applied' carctl --as admin unblock "$bz"
dispatch

t_refuse 64 'block without --to' carctl --as admin block car01 --from "$(d 50)"
t_refuse 64 'block without a car' carctl --as admin block --from "$(d 50)" --to "$(d 51)"
t_refuse 65 'block: to before from' carctl --as admin block car01 --from "$(d 51)" --to "$(d 50)"
t_refuse 65 'block: a malformed date' carctl --as admin block car01 --from 2028-02-30 --to "$(d 50)"
t_refuse 65 'block: in the past' carctl --as admin block car01 --from "$(d -1)" --to "$(d 1)"
t_refuse 65 'block: 367 nights' carctl --as admin block car01 --from "$(d 1)" --to "$(d 368)"
t_ok 'block: 366 nights is a stay' carctl --as admin block car04 --from "$(d 400)" --to "$(d 766)"
t_refuse 65 'block: starting 1,097 days ahead' carctl --as admin block car01 --from "$(d 1097)" --to "$(d 1098)"
t_refuse 65 'block: a reason with a newline' carctl --as admin block car01 --from "$(d 50)" --to "$(d 51)" --reason "$(printf 'a\nb')"
t_refuse 1 'block: an unknown car' carctl --as admin block car99 --from "$(d 50)" --to "$(d 51)"
t_refuse 77 'block: a customer' carctl --as bob block car01 --from "$(d 50)" --to "$(d 51)"
t_refuse 77 'block: an unknown identity' carctl --as nobody block car01 --from "$(d 50)" --to "$(d 51)"
dispatch

# A car removed ends its blocks: the same id registered again is free.
carctl --as admin add car05 --rate 1000 >/dev/null
dispatch
b5=$(carctl --as admin block car05 --from "$(d 3)" --to "$(d 5)")
dispatch
t_ok 'a car with a block may be removed' carctl --as admin rm car05
dispatch
carctl --as admin add car05 --rate 1000 >/dev/null
dispatch
t_eq 'registered again, it shows no block' "$(carctl show car05 --json | jq -c .bookings)" '[]'
t_ok '... and its nights are free' reserve --as alice car05 --from "$(d 3)" --to "$(d 5)"
dispatch
# A car removed once its bookings ended: the same id registered again is another car,
# and shows none of the old one's bookings (the report keeps them).
carctl --as admin add car06x --rate 1000 >/dev/null && dispatch
r6=$(reserve --as alice car06x --from "$(d 3)" --to "$(d 5)") && dispatch
reserve --as alice cancel "$r6" >/dev/null && dispatch
carctl --as admin rm car06x >/dev/null && dispatch
carctl --as admin add car06x --rate 2000 >/dev/null && dispatch
t_eq 'registered again after its bookings ended: it shows none of the old car'"'"'s' \
	"$(carctl show car06x --json | jq -c .bookings)" '[]'
carctl --as admin rm car06x >/dev/null && dispatch
# ... of many bookings, in many leaves of its table (its rows are taken out a leaf at a
# time).
carctl --as admin add car07x --rate 1000 >/dev/null && dispatch
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13; do
	reserve --as alice car07x --from "$(d $((2 * i)))" --to "$(d $((2 * i + 1)))"
done >"$T_TMP/r7" && dispatch
t_eq 'a car of 13 bookings' "$(carctl show car07x --json | jq '.bookings | length')" 13
while read -r r7; do reserve --as alice cancel "$r7" >/dev/null; done <"$T_TMP/r7"
dispatch
carctl --as admin rm car07x >/dev/null && dispatch
carctl --as admin add car07x --rate 2000 >/dev/null && dispatch
t_eq '... their stays ended, removed and registered again: it shows none' \
	"$(carctl show car07x --json | jq -c .bookings)" '[]'
t_match '... and the car is there anew' "$(carctl show car07x --json)" '"rate":2000'
t_ok '... rebuild: the state is the log'"'"'s' dispatcher --rebuild
carctl --as admin rm car07x >/dev/null && dispatch

# ---- list --from --to: the free cars, with the price of the stay ----
t_refuse 65 'list --from --to of a stay in the past, as reserve --quote' carctl list --from "$(d -2)" --to "$(d 1)"
t_match '... says so' "$ERR" 'in the past'
t_refuse 65 '... or more than 1,096 days ahead' carctl list --from "$(d 1097)" --to "$(d 1098)"
t_ok 'list --from --to --json' carctl list --from "$(d 12)" --to "$(d 14)" --json
t_eq 'the cars free on every night of it, each with amount' "$(printf '%s\n' "$OUT" | jq -c '[.car, .amount]' | tr '\n' ' ')" \
	'["car01",120000] ["car03",20000] ["car04",200] ["car05",2000] '
t_eq '... the fields of list, then amount' "$(printf '%s\n' "$OUT" | jrow car car03)" \
	'{"car":"car03","model":"Ray","rate":10000,"status":"RESERVED","stars":null,"ratings":0,"amount":20000}'
t_nomatch 'car02 is blocked then: not listed' "$OUT" '"car":"car02"'
t_eq 'a night only touching a booking (its to): free' "$(carctl list --from "$(d 32)" --to "$(d 33)" --json | jq -r .car | tr '\n' ' ')" \
	'car01 car02 car03 car04 car05 '
t_eq 'a night a booking holds: not free' "$(carctl list --from "$(d 31)" --to "$(d 32)" --json | jq -r .car | tr '\n' ' ')" \
	'car02 car03 car04 car05 '
t_ok 'list --from --to as a table' carctl list --from "$(d 12)" --to "$(d 14)"
t_match '... with an AMOUNT column' "$OUT" '^CAR +MODEL +RATE +STATUS +STARS +RATINGS +AMOUNT'
t_refuse 64 'list --from without --to' carctl list --from "$(d 12)"
t_refuse 64 'list --to without --from' carctl list --to "$(d 12)"
t_refuse 65 'list: to before from' carctl list --from "$(d 12)" --to "$(d 11)"
t_refuse 65 'list: a malformed date' carctl list --from 2028-13-01 --to 2028-13-02
t_refuse 65 'list: 367 nights' carctl list --from "$(d 1)" --to "$(d 368)"

t_ok 'dispatcher --rebuild: the blocks, agendas and reviews are what the log says' dispatcher --rebuild
t_eq '... 0 differences' "$ERR" 'dispatcher: rebuild: 0 differences, state matches the log'
done_testing
