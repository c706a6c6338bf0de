#!/bin/sh
# 1500-regressions.t: the bugs of the original Java services, one by one.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

shop

# 1. Canceling a reservation did not free the car.
r1=$(book alice car01 2028-08-06 2028-08-08)
t_eq 'a reserved car is RESERVED' "$(car_status car01)" RESERVED
t_ok 'alice cancels' reserve --as alice cancel "$r1"
dispatch
t_eq 'cancellation frees the car: car01 AVAILABLE' "$(car_status car01)" AVAILABLE
t_eq '... the reservation is RESERVATION_CANCELED' "$(status_of "$r1")" RESERVATION_CANCELED
t_match '... and so says carctl show' "$(carctl --as admin show car01 --json)" \
	'^\{"car":"car01","model":"Avante","rate":50000,"status":"AVAILABLE",'
t_ok '... and the same nights can be booked again' reserve --as bob car01 --from 2028-08-06 --to 2028-08-08
r1b=$OUT
dispatch
t_eq '... successfully' "$(status_of "$r1b")" RESERVED

# 2. A payment marked the car "rental canceled" instead of rented.
r2=$(book carol car02 "$(day 0)" "$(day 2)")
t_ok 'carol pays' pay --as carol "$r2" --amount 60000
pid=$OUT
dispatch
t_eq 'payment makes the car RENTED' "$(car_status car02)" RENTED
t_eq '... the reservation RENTED' "$(status_of "$r2")" RENTED
t_eq '... the rental RENTED' "$(rent --as carol list --json | jrow reservation "$r2" | jget status)" RENTED
t_eq '... mypage RENTED' "$(mypage --as carol --json | jrow reservation "$r2" | jget status)" RENTED
t_id '... with the payment id in mypage' "$(mypage --as carol --json | jrow reservation "$r2" | jget payment)" "$pid"
t_nomatch '... and nothing says canceled' \
	"$(carctl --as admin show car02 --json; rent --as carol list --json; mypage --as carol --json)" 'CANCEL'

# 3. An unknown car number made a phantom car.
t_refuse 1 'reserving an unknown car is refused' reserve --as alice car99 --from 2028-08-06 --to 2028-08-08
dispatch
t_nomatch 'no phantom car in carctl list' "$(carctl --as admin list --json)" 'car99'
t_eq 'still two cars' "$(carctl --as admin list --json | grep -c .)" 2
t_refuse 1 'carctl show car99 knows no such car' carctl --as admin show car99
t_nomatch 'no reservation for it' "$(reserve --as admin list --json)" 'car99'

# 4. A wrong amount was accepted.
t_refuse 1 'a wrong amount is refused' pay --as bob "$r1b" --amount 1
t_refuse 1 'so is the price of one night short' pay --as bob "$r1b" --amount 50000
dispatch
t_eq 'the reservation stays RESERVED' "$(status_of "$r1b")" RESERVED
t_eq 'the car stays RESERVED' "$(car_status car01)" RESERVED

# 5. Anyone could rate, and any reservation.
t_refuse 1 'rating a RESERVED reservation is refused' rate --as bob "$r1b" --stars 5
t_refuse 1 'rating a RENTED reservation is refused' rate --as carol "$r2" --stars 5
t_refuse 77 'rating someone else'"'"'s reservation is refused' rate --as alice "$r2" --stars 1

# 6. There was no way to return a car.
t_ok 'rent return exists' rent --as carol return "$r2"
t_id '... and prints the reservation' "$OUT" "$r2"
dispatch
t_eq 'returning frees the car: car02 AVAILABLE' "$(car_status car02)" AVAILABLE
t_eq '... the reservation RETURNED' "$(status_of "$r2")" RETURNED
t_refuse 77 'only the owner may rate the returned reservation' rate --as bob "$r2" --stars 1
t_ok 'the owner may, once returned' rate --as carol "$r2" --stars 5
dispatch
t_eq 'the rating counts' "$(carctl --as admin list --json | jrow car car02 | jget ratings)" 1
t_eq 'with 5.0 stars' "$(carctl --as admin list --json | jrow car car02 | jget stars)" 5.0

done_testing
