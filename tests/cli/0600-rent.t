#!/bin/sh
# 0600-rent.t: rent return and rent list. The stays start today: a car is not
# returned before its stay begins.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

shop
d0=$(day 0) d2=$(day 2) d3=$(day 3)
res=$(book alice car01 "$d0" "$d2")
pid=$(paid alice "$res")
bres=$(book bob car02 "$d0" "$d3")

t_refuse 1 'return a RESERVED (unpaid) reservation' rent --as bob return "$bres"
t_refuse 77 'bob may not return alice'"'"'s car' rent --as bob return "$res"
t_refuse 77 'an unknown identity may not return' rent --as nobody return "$res"
t_refuse 65 'return a malformed id' rent --as alice return res-ABCDEF0123456789
t_refuse 1 'return an unknown reservation' rent --as alice return res-0123456789abcdef
t_refuse 64 'return without a reservation' rent --as alice return
t_refuse 64 'return with an unknown option' rent --as alice return "$res" --late

t_ok 'rent list --json' rent --as alice list --json
t_eq 'alice has one rental, RENTED' "$OUT" \
	"{\"reservation\":\"$res\",\"car\":\"car01\",\"customer\":\"alice\",\"from\":\"$d0\",\"to\":\"$d2\",\"amount\":100000,\"payment\":\"$pid\",\"status\":\"RENTED\",\"late_fee\":0}"
t_ok 'bob'"'"'s rent list' rent --as bob list --json
t_eq 'an unpaid reservation is not a rental' "$OUT" ''
t_ok 'rent list without --json' rent --as alice list
t_match '... shows the rental' "$OUT" "$res"
t_match '... its late fee 0, as --json has it' "$OUT" "^$res .* RENTED +0\$"

t_ok 'alice returns the car' rent --as alice return "$res"
t_id 'rent return prints the reservation id' "$OUT" "$res"
t_eq 'the car is RENTED until the dispatch' "$(car_status car01)" RENTED
dispatch
t_eq 'the reservation is RETURNED' "$(status_of "$res")" RETURNED
t_eq 'the car is AVAILABLE' "$(car_status car01)" AVAILABLE
t_eq 'rent list shows it RETURNED' "$(rent --as alice list --json)" \
	"{\"reservation\":\"$res\",\"car\":\"car01\",\"customer\":\"alice\",\"from\":\"$d0\",\"to\":\"$d2\",\"amount\":100000,\"payment\":\"$pid\",\"status\":\"RETURNED\",\"late_fee\":0}"
t_refuse 1 'return it again' rent --as alice return "$res"
t_refuse 1 'cancel the payment of a RETURNED reservation' pay --as alice cancel "$res"
t_ok 'the returned nights are free again' reserve --as carol car01 --from "$d0" --to "$d2"
dispatch

# An admin may return anyone's car.
bpid=$(paid bob "$bres")
t_ok 'an admin returns bob'"'"'s car' rent --as admin return "$bres"
t_id '... prints the reservation id' "$OUT" "$bres"
dispatch
t_eq 'bob'"'"'s reservation is RETURNED' "$(status_of "$bres")" RETURNED
t_eq 'car02 is AVAILABLE' "$(car_status car02)" AVAILABLE

# Who sees what.
t_eq 'alice sees only her rental' "$(rent --as alice list --json | grep -c .)" 1
t_eq 'bob sees only his' "$(rent --as bob list --json | grep -c .)" 1
t_match 'bob'"'"'s shows his payment' "$(rent --as bob list --json)" "\"payment\":\"$bpid\""
t_eq 'an admin sees both' "$(rent --as admin list --json | grep -c .)" 2

# A payment canceled shows as PAYMENT_CANCELED.
r=$(book carol car02 2028-09-01 2028-09-02)
paid carol "$r" >/dev/null
pay --as carol cancel "$r" >/dev/null
dispatch
t_eq 'a canceled rental is PAYMENT_CANCELED in rent list' \
	"$(rent --as carol list --json | jrow reservation "$r" | jget status)" PAYMENT_CANCELED
t_refuse 1 'return a PAYMENT_CANCELED reservation' rent --as carol return "$r"

# Not before the stay begins: refused at once, and by the dispatcher.
r=$(book carol car01 "$(day 5)" "$(day 6)")
paid carol "$r" >/dev/null
t_refuse 1 'return before the stay begins' rent --as carol return "$r"
t_match '... says when it starts' "$ERR" "^rent: $r: starts on $(day 5), it cannot be returned before"
t_eq '... still RENTED' "$(status_of "$r")" RENTED

# Not applied yet.
t_ok 'carol reserves car02 again' reserve --as carol car02 --from 2028-09-10 --to 2028-09-12
t_refuse 75 'return a reservation not yet applied' rent --as carol return "$OUT"

done_testing
