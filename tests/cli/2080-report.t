#!/bin/sh
# 2080-report.t: carctl report (CONTRACT 2, "The desk"): revenue and use of the fleet
# over a period, a row per car or per month, against a history this test makes:
# bookings paid, one returned late and rated, one whose payment is canceled, one
# unpaid, one across the end of the month, one the month after. Exact numbers.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

if ! has_faketime; then
	t_skip 'the report' 'faketime is missing (Debian package faketime): returns are made days ahead'
	done_testing
fi

# The month M after next: its first day F, the first day G of the month after, the
# first day H2 of the one after that; D its days.
F=$(date -u -d "$(date -u +%Y-%m-01) +2 months" +%F)
G=$(date -u -d "$F +1 month" +%F)
H2=$(date -u -d "$F +2 months" +%F)
D=$(( ($(date -u -d "$G" +%s) - $(date -u -d "$F" +%s)) / 86400 ))
M=${F%-01}
at() { date -u -d "$1 $2 days" +%F; }  # at DAY N: N days after DAY
ahead() { echo $(( ($(date -u -d "$1" +%s) - $(date -u -d "$(date -u +%F)" +%s)) / 86400 )); }
util() { _u=$(( ($1 * 1000 + $2 / 2) / $2 )); echo "$((_u / 10)).$((_u % 10))"; }

shop
carctl --as admin add car03 --rate 10000 >/dev/null
dispatch
carctl --as admin rm car03 >/dev/null
dispatch

# car01 (50000): alice F..F+3, paid, returned 2 nights late (100000), rated 4.
r1=$(book alice car01 "$F" "$(at "$F" 3)")
paid alice "$r1" >/dev/null
# car01: bob F+10..F+17, paid (7 x 50000).
r2=$(book bob car01 "$(at "$F" 10)" "$(at "$F" 17)")
paid bob "$r2" >/dev/null
# car02 (30000): carol F+5..F+8, paid, payment canceled (a refund of 90000).
r3=$(book carol car02 "$(at "$F" 5)" "$(at "$F" 8)")
paid carol "$r3" >/dev/null
pay --as carol cancel "$r3" >/dev/null
dispatch
# car02: alice F+15..F+16, not paid: not counted.
book alice car02 "$(at "$F" 15)" "$(at "$F" 16)" >/dev/null
# car02: bob from G-3 for 5 nights, paid: 3 nights in M, 2 in the next month.
r5=$(book bob car02 "$(at "$G" -3)" "$(at "$G" 2)")
paid bob "$r5" >/dev/null
# car01: carol G+1..G+3, paid: the month after.
r6=$(book carol car01 "$(at "$G" 1)" "$(at "$G" 3)")
paid carol "$r6" >/dev/null

n=$(ahead "$(at "$F" 5)")
faketime -f "+${n}d" "$BIN/rent" --as alice return "$r1" >/dev/null
faketime -f "+${n}d" "$BIN/dispatcher" --once >/dev/null 2>&1
rate --as alice "$r1" --stars 4 >/dev/null
dispatch
t_eq 'the history: returned, RENTED, PAYMENT_CANCELED, RENTED' \
	"$(status_of "$r1") $(status_of "$r2") $(status_of "$r3") $(status_of "$r5")" 'RETURNED RENTED PAYMENT_CANCELED RENTED'

t_ok "report --from $F --to $G --json" carctl --as admin report --from "$F" --to "$G" --json
t_eq '... a row per car registered, exact' "$OUT" \
"{\"car\":\"car01\",\"bookings\":2,\"nights\":10,\"revenue\":600000,\"refunds\":0,\"utilisation\":$(util 10 "$D"),\"stars\":4.0}
{\"car\":\"car02\",\"bookings\":1,\"nights\":5,\"revenue\":150000,\"refunds\":90000,\"utilisation\":$(util 3 "$D"),\"stars\":null}"
json=$OUT
t_ok "report --to $G alone: the month before it (--to is the day after the period)" carctl --as admin report --to "$G" --json
t_eq '... the same rows' "$OUT" "$json"
t_ok '... the same as a table' carctl --as admin report --from "$F" --to "$G"
t_match '... its columns' "$OUT" '^CAR +BOOKINGS +NIGHTS +REVENUE +REFUNDS +UTILISATION +STARS'
t_match '... ends with a total line' "$(printf '%s\n' "$OUT" | tail -n 1)" \
	"^total +3 +15 +750000 +90000 +$(util 13 $((2 * D))) +4.0"
t_ok '... --csv' carctl --as admin report --from "$F" --to "$G" --csv
t_eq '... a header and a line a car, no total' "$OUT" \
"car,bookings,nights,revenue,refunds,utilisation,stars
car01,2,10,600000,0,$(util 10 "$D"),4.0
car02,1,5,150000,90000,$(util 3 "$D"),"

t_ok "report --by month over two months" carctl --as admin report --from "$F" --to "$H2" --by month --json
D2=$(( ($(date -u -d "$H2" +%s) - $(date -u -d "$G" +%s)) / 86400 ))
t_eq '... a row a month, utilisation over the two cars registered' "$OUT" \
"{\"month\":\"$M\",\"bookings\":3,\"nights\":15,\"revenue\":750000,\"refunds\":90000,\"utilisation\":$(util 13 $((2 * D))),\"stars\":4.0}
{\"month\":\"${G%-01}\",\"bookings\":1,\"nights\":2,\"revenue\":100000,\"refunds\":0,\"utilisation\":$(util 4 $((2 * D2))),\"stars\":null}"

# A period inside the month: bookings by their from, nights used inside it.
t_ok 'report of the first week' carctl --as admin report --from "$F" --to "$(at "$F" 7)" --json
t_eq '... alice'"'"'s booking with its late fee (3 nights of 7) and carol'"'"'s refund' \
	"$(printf '%s\n' "$OUT" | jq -c '[.car, .bookings, .revenue, .refunds, .utilisation]' | tr '\n' ' ')" \
	'["car01",1,250000,0,42.9] ["car02",0,0,90000,0] '

t_ok 'report with no --from nor --to: this month' carctl --as admin report --json
t_eq '... nothing yet this month' "$(printf '%s\n' "$OUT" | jq -c '[.car, .bookings, .revenue]' | tr '\n' ' ')" \
	'["car01",0,0] ["car02",0,0] '
t_refuse 77 'a customer may not see it' carctl --as alice report
t_refuse 64 '--by something else' carctl --as admin report --by day
t_refuse 65 'a malformed date' carctl --as admin report --from 2028-02-30
t_refuse 65 '--to before --from' carctl --as admin report --from "$G" --to "$F"
t_ok 'dispatcher --rebuild' dispatcher --rebuild
t_eq '... the records the report reads are made again the same' "$ERR" 'dispatcher: rebuild: 0 differences, state matches the log'

# A car removed once its stay is returned, then rated: the report counts the stars,
# as mypage shows them.
carctl --as admin add car08 --rate 1000 >/dev/null && dispatch
r8=$(book alice car08 "$(day 0)" "$(day 1)")
paid alice "$r8" >/dev/null
rent --as alice return "$r8" >/dev/null && dispatch
carctl --as admin rm car08 >/dev/null && dispatch
t_ok 'a stay of a car removed since is rated' rate --as alice "$r8" --stars 5
dispatch
t_eq '... mypage shows its stars' "$(mypage --as alice --json | jrow reservation "$r8" | jget stars)" 5
t_eq '... and the report counts them' \
	"$(carctl --as admin report --from "$(day 0)" --to "$(day 1)" --json | jrow car car08 | jget stars)" 5.0
t_ok 'dispatcher --rebuild' dispatcher --rebuild
t_eq '... agrees' "$ERR" 'dispatcher: rebuild: 0 differences, state matches the log'

# The same, with the id registered again before the rating: the new car is another
# car (carctl(1), rm), so the old stay's stars are not its own; the report counts them
# on the stay, as when it is rated before (its stars went to the new car, and the
# report lost them).
carctl --as admin add car09 --rate 1000 --model Old >/dev/null && dispatch
r9=$(book alice car09 "$(day 0)" "$(day 1)")
paid alice "$r9" >/dev/null
rent --as alice return "$r9" >/dev/null && dispatch
carctl --as admin rm car09 >/dev/null && dispatch
carctl --as admin add car09 --rate 3000 --model New >/dev/null && dispatch
t_ok 'a stay of a car whose id is registered again since is rated' rate --as alice "$r9" --stars 1 --comment 'the old one'
dispatch
t_eq '... the new car has no stars of it' "$(carctl list --json | jrow car car09 | jq -c '[.stars, .ratings]')" '[null,0]'
t_eq '... nor its review' "$(carctl show car09 --json | jq -c .reviews)" '[]'
t_eq '... mypage shows its stars' "$(mypage --as alice --json | jrow reservation "$r9" | jget stars)" 1
t_eq '... and the report counts them on the stay' \
	"$(carctl --as admin report --from "$(day 0)" --to "$(day 1)" --json | jrow car car09 | jget stars)" 1.0
t_ok 'dispatcher --rebuild' dispatcher --rebuild
t_eq '... agrees' "$ERR" 'dispatcher: rebuild: 0 differences, state matches the log'

# Three registrations of one id, a stay in each of the first two, in months after the
# first registration's, both rated after the third: each stay's month is found (the
# search of the report's months runs on past the first), the third car has none.
ft() { _n=$(ahead "$1"); shift; faketime -f "+${_n}d" "$BIN/$@"; }
A=$(at "$H2" 3) B=$(date -u -d "$H2 +1 month" +%F)
carctl --as admin add car10 --rate 1000 >/dev/null && dispatch
ra=$(book alice car10 "$A" "$(at "$A" 2)")
paid alice "$ra" >/dev/null
for c in "rent --as alice return $ra" 'carctl --as admin rm car10' 'carctl --as admin add car10 --rate 2000'; do
	ft "$(at "$A" 2)" $c >/dev/null && ft "$(at "$A" 2)" dispatcher --once >/dev/null 2>&1
done
rb=$(ft "$(at "$A" 2)" reserve --as bob car10 --from "$(at "$B" 3)" --to "$(at "$B" 5)")
for c in 'dispatcher --once' "pay --as bob $rb" 'dispatcher --once'; do ft "$(at "$A" 2)" $c >/dev/null 2>&1; done
for c in "rent --as bob return $rb" 'carctl --as admin rm car10' 'carctl --as admin add car10 --rate 3000' \
	"rate --as alice $ra --stars 2" "rate --as bob $rb --stars 5"; do
	ft "$(at "$B" 5)" $c >/dev/null && ft "$(at "$B" 5)" dispatcher --once >/dev/null 2>&1
done
t_eq 'three registrations: the third car has no stars of the others'"'"' stays' \
	"$(carctl list --json | jrow car car10 | jq -c '[.stars, .ratings]')" '[null,0]'
t_eq '... each stay has its own, in its month' \
	"$(carctl --as admin report --from "$A" --to "$(at "$B" 28)" --by month --json | jq -r .stars | tr '\n' ' ')" '2 5 '
t_ok 'dispatcher --rebuild' dispatcher --rebuild
t_eq '... agrees' "$ERR" 'dispatcher: rebuild: 0 differences, state matches the log'

# A car registered after the period, paid for later in the period's month, has no
# place in it (carctl(1): the cars registered on its last day, and those used in it):
# it had a row of zeros, its month's record being read for the whole month.
ft "$(at "$B" 10)" carctl --as admin add car11 --rate 500 >/dev/null && ft "$(at "$B" 10)" dispatcher --once >/dev/null 2>&1
r11=$(ft "$(at "$B" 10)" reserve --as carol car11 --from "$(at "$B" 20)" --to "$(at "$B" 22)")
for c in 'dispatcher --once' "pay --as carol $r11" 'dispatcher --once'; do ft "$(at "$B" 10)" $c >/dev/null 2>&1; done
t_eq 'a car registered after the period and paid for after it in its month' "$(status_of "$r11")" RENTED
t_eq '... has no row in the report of the period' \
	"$(carctl --as admin report --from "$B" --to "$(at "$B" 7)" --json | jq -r .car | tr '\n' ' ')" 'car01 car02 car09 car10 '
t_eq '... and one in the report of its stay' \
	"$(carctl --as admin report --from "$(at "$B" 20)" --to "$(at "$B" 22)" --json | jrow car car11 | jq -c '[.bookings, .nights]')" '[1,2]'

# The last month there is: its end has no date, and the report says so (it printed a
# date cut short, 10000-01-0).
t_refuse 65 'report --from 9999-12-01 (to the month'"'"'s end)' carctl --as admin report --from 9999-12-01
t_eq '... says why' "$ERR" 'carctl: --from 9999-12-01: its month ends with the last date there is; a period ends before 9999-12-31'
t_ok '... --from 9999-11-01 reports November' carctl --as admin report --from 9999-11-01 --json
# The first day there is, as --to alone: the month before it has no date (it
# reported from 1969-12-01, a date every command refuses).
t_refuse 65 'report --to 1970-01-01 (from the month before)' carctl --as admin report --to 1970-01-01
t_eq '... says why' "$ERR" 'carctl: --to 1970-01-01: not after the first date there is; a period starts on 1970-01-01 at the earliest'
t_ok '... --to 1970-01-02 reports its first day' carctl --as admin report --to 1970-01-02 --json

# A month whose every car was removed before its last day: no car to divide by. Its
# utilisation is null, not the nights x 100 (300.0 for three nights).
scratch_home empty
customers alice
carctl --as admin add solo --rate 100 >/dev/null && dispatch
rs=$(reserve --as alice solo --from "$(day 0)" --to "$(day 3)") && dispatch
paid alice "$rs" >/dev/null
returned alice "$rs"
carctl --as admin rm solo >/dev/null && dispatch
run carctl --as admin report --by month --json
t_eq 'a month with no car registered on its last day: utilisation null' \
	"$(printf '%s\n' "$OUT" | jq -c '[.nights, .utilisation]')" '[3,null]'
t_match '... empty in --csv' "$(carctl --as admin report --by month --csv | sed -n 2p)" '^[0-9]{4}-[0-9]{2},1,3,300,0,,$'
t_eq '... --by car divides by the days of the period' \
	"$(carctl --as admin report --json | jq -c '[.car, (.utilisation > 0)]')" '["solo",true]'
# ... and adds nothing to the total's: a car registered next month, two nights paid
# there; the total of the two months is those two nights over next month's days (it
# added this month's three, over nothing).
N1=$(date -u -d "$(date -u +%Y-%m-01) +1 month" +%F)
N2=$(date -u -d "$N1 +1 month" +%F)
ND=$(( ($(date -u -d "$N2" +%s) - $(date -u -d "$N1" +%s)) / 86400 ))
ft "$(at "$N1" 1)" carctl --as admin add duo --rate 100 >/dev/null && ft "$(at "$N1" 1)" dispatcher --once >/dev/null 2>&1
rd=$(ft "$(at "$N1" 1)" reserve --as alice duo --from "$(at "$N1" 2)" --to "$(at "$N1" 4)")
for c in 'dispatcher --once' "pay --as alice $rd" 'dispatcher --once'; do ft "$(at "$N1" 1)" $c >/dev/null 2>&1; done
t_eq 'two months, the first with no car at its end: its row null, the next'"'"'s its own' \
	"$(carctl --as admin report --from "$(date -u +%Y-%m-01)" --to "$N2" --by month --json | jq -c '[.nights, .utilisation]' | tr '\n' ' ')" \
	"[3,null] [2,$(util 2 "$ND")] "
t_eq '... the total'"'"'s utilisation: the second month'"'"'s nights over its days' \
	"$(carctl --as admin report --from "$(date -u +%Y-%m-01)" --to "$N2" --by month | awk '$1 == "total" { print $3, $6 }')" \
	"5 $(util 2 "$ND")"

done_testing
