#!/bin/sh
# 2050-prices.t: the price rule (CONTRACT 2, "Prices") where a user meets it: the
# amount of a booking (reserve), the amount pay takes, carctl list --from --to, and
# reserve --quote, for a car with weekly and monthly prices, in exact amounts.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

shop
d() { day "$1"; }
# car03: 10000 a night, 55000 a week, 200000 a month (30 nights).
carctl --as admin add car03 --rate 10000 --model Ray --weekly 55000 --monthly 200000 >/dev/null
dispatch

# FROM NIGHTS AMOUNT WHY: the stays, one after another on car03.
# 6 nights (60000) cost more than a week: one week. 8: a week and a night. 29 nights
# (4 weeks and a night, 230000) cost more than a month: one month. 31: a month, a night.
set -- 1 6 55000 'six nights: billed as one week' \
	10 7 55000 'seven nights: one week' \
	20 8 65000 'eight nights: a week and a night' \
	30 29 200000 'twenty-nine nights: billed as one month' \
	60 30 200000 'thirty nights: one month' \
	100 31 210000 'thirty-one nights: a month and a night'
while [ $# -gt 0 ]; do
	f=$(d "$1") t=$(d $(($1 + $2)))
	t_ok "quote $2 nights" reserve --as alice car03 --from "$f" --to "$t" --quote
	t_eq "... $4: $3" "$OUT" "$3"
	t_eq '... written: nothing' "$(spool_count new)" 0
	t_eq "list --from --to: $3" "$(carctl list --from "$f" --to "$t" --json | jrow car car03 | jget amount)" "$3"
	r=$(book alice car03 "$f" "$t")
	t_eq "reserve: the booking's amount, $3" "$(reserve --as alice list --json | jrow reservation "$r" | jget amount)" "$3"
	t_eq "... and its nights, $2" "$(reserve --as alice list --json | jrow reservation "$r" | jget nights)" "$2"
	eval "r_$2=\$r"
	shift 4
done

# pay takes that amount, not rate x nights.
t_refuse 1 'pay: rate x nights (60000) for six nights' pay --as alice "$r_6" --amount 60000
t_match '... says what is due' "$ERR" '60000 differs from .* 55000'
t_ok 'pay the quoted amount' pay --as alice "$r_6" --amount 55000
t_ok 'pay without --amount' pay --as alice "$r_31"
dispatch
t_eq 'both paid' "$(status_of "$r_6") $(status_of "$r_31")" 'RENTED RENTED'
t_eq "... rent list shows the amounts" \
	"$(rent --as alice list --json | jq -r '"\(.reservation) \(.amount)"' | sort)" \
	"$(printf '%s 55000\n%s 210000\n' "$r_6" "$r_31" | sort)"

# A car at its rate alone: rate x nights, as before.
t_ok 'quote car01 (rate only) for 8 nights' reserve --as bob car01 --from "$(d 1)" --to "$(d 9)" --quote
t_eq '... 8 x 50000' "$OUT" 400000
t_ok '... 31 nights' reserve --as bob car01 --from "$(d 1)" --to "$(d 32)" --quote
t_eq '... 31 x 50000' "$OUT" 1550000

# --quote checks what reserve checks, and writes nothing.
t_refuse 1 'quote for nights the car is not free' reserve --as bob car03 --from "$(d 2)" --to "$(d 4)" --quote
t_match '... says why' "$ERR" 'car03: already reserved from'
t_refuse 1 'quote an unknown car' reserve --as bob car99 --from "$(d 2)" --to "$(d 4)" --quote
t_refuse 65 'quote: to before from' reserve --as bob car03 --from "$(d 4)" --to "$(d 2)" --quote
t_refuse 65 'quote: in the past' reserve --as bob car03 --from "$(d -1)" --to "$(d 2)" --quote
t_refuse 64 'quote without --to' reserve --as bob car03 --from "$(d 4)" --quote
t_refuse 77 'quote by an unknown identity' reserve --as nobody car03 --from "$(d 200)" --to "$(d 201)" --quote
t_eq 'nothing written by any of them' "$(spool_count new)" 0

# A change of the car's prices and a booking after it, in one batch: each event is
# decided once the outcomes of those before it are logged, so the booking is priced by
# the change (CONTRACT: "Bookings applied after the change are priced by it"); one
# written before the change keeps the old price.
carctl --as admin add car05 --rate 10000 >/dev/null && dispatch
before=$(reserve --as bob car05 --from "$(d 300)" --to "$(d 302)")
carctl --as admin set car05 --rate 20000 --weekly 100000 >/dev/null
after=$(reserve --as bob car05 --from "$(d 310)" --to "$(d 312)")
run dispatcher --once
t_eq 'a booking written before the change, in its batch: the old price' \
	"$(reserve --as admin list --json | jrow reservation "$before" | jget amount)" 20000
t_eq '... one written after it: the new' "$(reserve --as admin list --json | jrow reservation "$after" | jget amount)" 40000
t_eq '... the log has the change, its outcome, then the booking' \
	"$(git --git-dir="$H/state/.git" log --reverse --format=%B main | grep -o 'car\.set car05\|car\.changed car05\|reserve '"$after" | tr '\n' ' ')" \
	"car.set car05 car.changed car05 reserve $after "
t_ok '... a rebuild agrees' dispatcher --rebuild
# A booking and a price change in one tick (the booking first by name), then a
# booking in a later tick: the new price.
carctl --as admin add car07 --rate 10000 >/dev/null && dispatch
reserve --as bob car07 --from "$(d 300)" --to "$(d 302)" >/dev/null
carctl --as admin set car07 --rate 20000 >/dev/null
spool_together >/dev/null
sleep 0.05
later=$(reserve --as bob car07 --from "$(d 310)" --to "$(d 312)")
dispatch
t_eq 'after a tick of a booking and a price change, a later booking: the new price' \
	"$(reserve --as admin list --json | jrow reservation "$later" | jget amount)" 40000

commits() { git --git-dir="$H/state/.git" rev-list --count main; }
n=$(commits)
for c in 1 2 3 4 5; do carctl --as admin add "fleet$c" --rate 100 >/dev/null; done
dispatch
t_eq 'cars added one after another: one batch' "$(($(commits) - n))" 1

done_testing
