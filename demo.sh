#!/bin/sh
# The seed's journey on the built-in default home: two cars, two bookings, a
# cancellation, a payment and its cancellation, a new booking paid, returned, rated.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
PATH="$here/bin:$PATH"
unset RENTAL_HOME
step() { printf '\n== %s\n' "$*"; }
# Shows the command as it could be typed again: a word with a space or a shell
# character in single quotes.
run() {
	printf '$' >&2
	for a; do
		case $a in
		'' | *[!A-Za-z0-9_./:=@,+-]*) printf " '%s'" "$(printf %s "$a" | sed "s/'/'\\\\''/g")" >&2 ;;
		*) printf ' %s' "$a" >&2 ;;
		esac
	done
	printf '\n' >&2
	"$@"
}
dispatch() { run dispatcher --once; }

step "a home (the source tree), with its admin key"
run carctl init
export RENTAL_USER=admin
# Each demo uses its own customer, so that the journey can be replayed on one home.
who=demo$(date +%H%M%S)$$
step "register a customer and two cars"
run carctl key add "$who"
cars="avante$$ sonata$$"
set -- $cars
car1=$1 car2=$2
run carctl add "$car1" --rate 50000 --model Avante
run carctl add "$car2" --rate 70000 --model Sonata
dispatch
y=$(($(date +%Y) + 1))
export RENTAL_USER="$who"
step "$who reserves both cars"
r1=$(run reserve "$car1" --from "$y-08-06" --to "$y-08-08"); echo "$r1"
r2=$(run reserve "$car2" --from "$y-09-01" --to "$y-09-04"); echo "$r2"
dispatch
run carctl list
step "cancel the second booking: the car is free again"
run reserve cancel "$r2"
dispatch
step "pay the first (2 nights x 50000), then cancel the payment"
p1=$(run pay "$r1" --amount 100000); echo "$p1"
dispatch
run carctl show "$car1"
run pay cancel "$r1"
dispatch
step "reserve from today (a car is returned once its stay has begun), pay, return, rate"
r3=$(run reserve "$car1" --from "$(date -u +%F)" --to "$(date -u -d '+2 days' +%F)"); echo "$r3"
dispatch
p3=$(run pay "$r3"); echo "$p3"
dispatch
run rent return "$r3"
dispatch
run rate "$r3" --stars 5 --comment "clean and quiet"
dispatch
step "what the customer sees, and the fleet"
run mypage
run carctl list
step "the history"
run git -C "$here/state" log -n 3 --format='%h %B'
run dispatcher --check
