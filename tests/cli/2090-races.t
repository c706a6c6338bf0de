#!/bin/sh
# 2090-races.t: a batch decides its events one after the other, in the order they
# arrived, each once every context has learned what the ones before it made (the
# outcomes logged between them): two commands on one booking in one batch are decided
# as they would be a batch apart. pay then reserve cancel: the cancel is refused
# (CONTRACT cancels a RESERVED booking only); a car removed after bookings of it is
# refused, even in one tick of the file system's clock (there the names order them).
# While a context is off, the others decide apart from it (DESIGN 3), and what one
# decided that the other's outcome rules out is compensated, every context ending
# with one status: a booking paid while payment is off and canceled is canceled and
# its payment refunded (PAYMENT_CANCELED), its nights free. Only RESERVED and RENTED
# bookings hold nights (CONTRACT).
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

shop
# statuses RES: the booking's status in the reservation context, mypage, rental.
statuses() {
	printf '%s %s %s\n' "$(status_of "$1")" \
		"$(mypage --as admin --customer "$2" --json | jrow reservation "$1" | jget status)" \
		"$(rent --as admin list --json | jrow reservation "$1" | jget status)"
}
# refunded_everywhere RES CAR: mypage names the payment of RES, and the report counts
# its refund for CAR, as the receipt has them.
refunded_everywhere() {
	t_eq '... mypage names the payment' "$(mypage --as alice --json | jrow reservation "$1" | jget payment)" \
		"$(rent --as alice receipt "$1" --json | jget receipt)"
	t_eq '... the report counts the refund' \
		"$(carctl --as admin report --from "$(day 0)" --to "$(day 100)" --json | jrow car "$2" | jget refunds)" \
		"$(rent --as alice receipt "$1" --json | jget refund)"
}
rebuild_agrees() {
	t_ok "$1: a rebuild finds nothing to repair" dispatcher --rebuild
	t_eq '... 0 differences' "$ERR" 'dispatcher: rebuild: 0 differences, state matches the log'
}

# ---- paid, then canceled, in one batch: decided in order ----
r=$(book alice car01 "$(day 10)" "$(day 12)")
t_ok 'alice pays' pay --as alice "$r"
t_ok '... and cancels, in the same batch' reserve --as alice cancel "$r"
run dispatcher --once
t_match '... the cancel is refused: the payment was decided first' "$ERR" \
	"refused .*$r: is RENTED, only a RESERVED reservation can be canceled"
t_eq '... every context: RENTED' "$(statuses "$r" alice)" 'RENTED RENTED RENTED'
t_eq '... nothing refunded' "$(rent --as alice receipt "$r" --json | jget refund)" 0
t_refuse 1 '... its nights stay held: bob cannot book them' reserve --as bob car01 --from "$(day 10)" --to "$(day 12)"
rebuild_agrees 'paid, then canceled'

# ---- canceled, then paid: the payment is refused ----
carctl --as admin add car03 --rate 1000 >/dev/null && dispatch
r=$(book alice car03 "$(day 10)" "$(day 12)")
reserve --as alice cancel "$r" >/dev/null
pay --as alice "$r" >/dev/null
run dispatcher --once
t_match 'canceled, then paid, in one batch: the payment is refused' "$ERR" "refused .*$r"
t_eq '... every context: RESERVATION_CANCELED' "$(statuses "$r" alice | cut -d' ' -f1-2)" \
	'RESERVATION_CANCELED RESERVATION_CANCELED'
t_refuse 1 '... no receipt: nothing was paid' rent --as alice receipt "$r"
t_eq '... the car is available' "$(car_status car03)" AVAILABLE
rebuild_agrees 'canceled, then paid'

# ---- the same while payment is switched off: it decides on its own log later ----
r=$(book alice car02 "$(day 20)" "$(day 22)")
write_config payment=false
pay --as alice "$r" >/dev/null
dispatch
t_ok 'with payment off, alice cancels the booking she paid for' reserve --as alice cancel "$r"
dispatch
t_eq '... RESERVATION_CANCELED while payment is off' "$(status_of "$r")" RESERVATION_CANCELED
write_config
dispatch
t_eq 'payment on again: every context PAYMENT_CANCELED' "$(statuses "$r" alice)" 'PAYMENT_CANCELED PAYMENT_CANCELED PAYMENT_CANCELED'
b=$(book bob car02 "$(day 20)" "$(day 22)")
t_eq '... its nights are free' "$(status_of "$b")" RESERVED
refunded_everywhere "$r" car02
rebuild_agrees 'paid while payment was off'

# ---- booked just before the car is removed: the removal is decided after the bookings,
# and refused ----
carctl --as admin add car09 --rate 1000 >/dev/null && dispatch
r=$(reserve --as alice car09 --from "$(day 30)" --to "$(day 32)")
r2=$(reserve --as bob car09 --from "$(day 40)" --to "$(day 42)")
t_ok 'the car is removed after two bookings of it, before they are applied' carctl --as admin rm car09
run dispatcher --once
t_match '... the removal is refused' "$ERR" 'car09: is RESERVED, a car with a RESERVED or RENTED booking cannot be deleted'
t_eq '... both bookings stand, everywhere' "$(statuses "$r" alice | cut -d' ' -f1-2) $(statuses "$r2" bob | cut -d' ' -f1-2)" \
	'RESERVED RESERVED RESERVED RESERVED'
t_eq '... the car is there' "$(carctl list --json | jrow car car09 | jget status)" RESERVED
reserve --as alice cancel "$r" >/dev/null && reserve --as bob cancel "$r2" >/dev/null && dispatch
carctl --as admin rm car09 >/dev/null && dispatch
t_eq 'canceled, then removed: the car is gone' "$(carctl list --json | jrow car car09)" ''
t_refuse 1 '... a booking of it cannot be paid' pay --as alice "$r"
carctl --as admin add car09 --rate 1000 >/dev/null && dispatch
b=$(book carol car09 "$(day 30)" "$(day 32)")
t_eq 'added again, its nights are free' "$(status_of "$b")" RESERVED
rebuild_agrees 'booked before removed'

# ---- booked as the car is removed, in one tick of the file system's clock (renamed
# into the spool together): arrival cannot order them, their names do (the writers'
# clocks), and the removal is decided after the booking: refused ----
carctl --as admin add car10 --rate 1000 >/dev/null && dispatch
r=$(reserve --as alice car10 --from "$(day 30)" --to "$(day 32)")
carctl --as admin rm car10 >/dev/null
ticks=$(spool_together)
run dispatcher --once
if [ "$ticks" = 1 ]; then
	t_match 'in one tick: the removal is refused' "$ERR" 'car10: is RESERVED, a car with a RESERVED or RENTED booking cannot be deleted'
	t_eq '... the booking stands, everywhere' "$(statuses "$r" alice | cut -d' ' -f1-2)" 'RESERVED RESERVED'
	t_eq '... the car is there' "$(carctl list --json | jrow car car10 | jget status)" RESERVED
else
	t_skip 'in one tick: the removal is refused' "the two files arrived in $ticks ticks here"
fi
rebuild_agrees 'booked as removed'

# ---- a payment canceled, then the car returned, in one batch: the return is refused ----
r=$(book carol car01 "$(day 0)" "$(day 2)")
paid carol "$r" >/dev/null
t_ok 'carol cancels her payment' pay --as carol cancel "$r"
t_ok '... and returns the car, in the same batch' rent --as carol return "$r"
run dispatcher --once
t_match '... the return is refused: the refund was decided first' "$ERR" \
	"refused .*$r: is PAYMENT_CANCELED, only a RENTED reservation can be returned"
t_eq 'every context: PAYMENT_CANCELED' "$(statuses "$r" carol)" \
	'PAYMENT_CANCELED PAYMENT_CANCELED PAYMENT_CANCELED'
t_eq '... the stay cannot be rated' "$(rate --as carol "$r" --stars 5 >/dev/null 2>&1; echo $?)" 1
rebuild_agrees 'refunded, then returned'

# ---- the same, three nights late, in both orders: each decided on the one before;
# the cancel, written while the stay is on, is applied once it is overdue: refused,
# and the return owes its late fee ----
if has_faketime; then
	carctl --as admin add car07 --rate 1000 --late-fee 300 >/dev/null
	carctl --as admin add car08 --rate 1000 --late-fee 300 >/dev/null && dispatch
	for order in cancel-first return-first; do
		c=car07
		[ $order = cancel-first ] || c=car08
		r=$(book carol $c "$(day 0)" "$(day 2)")
		paid carol "$r" >/dev/null
		if [ $order = cancel-first ]; then
			pay --as carol cancel "$r" >/dev/null
			rent --as carol return "$r" >/dev/null
		else
			rent --as carol return "$r" >/dev/null
			pay --as carol cancel "$r" >/dev/null
		fi
		faketime -f '+5d' "$BIN/dispatcher" --once >/dev/null 2>&1
		t_eq "$order, 3 nights late: returned, no refund, the late fee on the receipt" \
			"$(rent --as carol receipt "$r" --json | jq -c '[.status, .late_fee, .refund, .total]')" '["RETURNED",900,0,2900]'
		t_eq '... mypage shows its late fee' "$(mypage --as carol --json | jrow reservation "$r" | jget late_fee)" 900
		rebuild_agrees "late, $order"
	done
else
	t_skip 'a late return as the payment is canceled' 'faketime is missing'
fi

# ---- a night in two paid bookings' stays (the first returned early): the report
# counts it used while either is paid ----
carctl --as admin add car05 --rate 1000 >/dev/null && dispatch
a=$(book alice car05 "$(day 0)" "$(day 10)")
paid alice "$a" >/dev/null
returned alice "$a"
b=$(book bob car05 "$(day 2)" "$(day 4)")
paid bob "$b" >/dev/null
use() { carctl --as admin report --from "$(day 0)" --to "$(day 9)" --json | jrow car car05 | jget utilisation; }
t_eq 'a stay returned on its first day, and a paid one inside it: car05 used every night' "$(use)" 100.0
t_ok '... the inner one'"'"'s payment canceled' pay --as bob cancel "$b"
dispatch
t_eq '... the nights of the first stay still count' "$(use)" 100.0
rebuild_agrees 'nights of two stays'
# ---- the next step written before the one before it is applied: try again later ----
r=$(book alice car02 "$(day 0)" "$(day 1)")
t_ok 'alice pays' pay --as alice "$r"
t_refuse 75 '... and returns the car before the payment is applied: try again later' rent --as alice return "$r"
t_match '... saying an event on it waits' "$ERR" "$r: .*waits in the spool"
t_refuse 75 '... her receipt likewise' rent --as alice receipt "$r"
t_refuse 75 '... and a cancel of the payment' pay --as alice cancel "$r"
dispatch
t_ok 'applied: she returns it' rent --as alice return "$r"
t_refuse 75 '... and rates it before the return is applied: try again later' rate --as alice "$r" --stars 4
dispatch
t_ok 'applied: she rates it' rate --as alice "$r" --stars 4
dispatch
t_refuse 1 'a refusal with nothing waiting is one for good' rent --as alice return "$r"

done_testing
