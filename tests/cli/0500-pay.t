#!/bin/sh
# 0500-pay.t: pay (exact amount, owner only) and pay cancel.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

shop
res=$(book alice car01 2028-08-06 2028-08-08)	# 2 nights x 50000

# Refusals before paying.
t_refuse 77 'bob may not pay alice'"'"'s reservation' pay --as bob "$res"
t_refuse 77 'an admin may not pay' pay --as admin "$res"
t_match '... said in good English' "$ERR" '^pay: admin: an admin may not '
t_refuse 77 'an unknown identity may not pay' pay --as nobody "$res"
t_refuse 1 'an amount below rate x nights' pay --as alice "$res" --amount 99999
t_refuse 1 'an amount above rate x nights' pay --as alice "$res" --amount 100001
t_refuse 1 'the price of one night' pay --as alice "$res" --amount 50000
t_refuse 65 'an amount that is not a number' pay --as alice "$res" --amount abc
t_refuse 65 'an amount with a decimal point' pay --as alice "$res" --amount 100000.0
t_refuse 65 'an amount with trailing garbage' pay --as alice "$res" --amount 100000x
t_refuse 64 '--amount without its value' pay --as alice "$res" --amount
t_refuse 64 'no reservation' pay --as alice
t_refuse 64 'an unknown option' pay --as alice "$res" --card 1234
t_refuse 65 'a malformed reservation id' pay --as alice res-12
t_refuse 65 'a payment id instead of a reservation id' pay --as alice pay-0123456789abcdef
t_refuse 1 'an unknown reservation' pay --as alice res-0123456789abcdef
t_eq 'the reservation is still RESERVED' "$(status_of "$res")" RESERVED

# Pay with the exact amount.
t_ok 'alice pays with the exact amount' pay --as alice "$res" --amount 100000
pid=$OUT
t_match 'pay prints the payment id alone' "$pid" '^pay-[0-9a-f]{16}$'
t_eq 'one event in the spool' "$(spool_count new)" 1
dispatch
t_eq 'the reservation is RENTED' "$(status_of "$res")" RENTED
t_eq 'the car is RENTED' "$(car_status car01)" RENTED
t_ok 'rent list --json' rent --as alice list --json
t_eq 'rent list shows the rental with its payment' "$OUT" \
	"{\"reservation\":\"$res\",\"car\":\"car01\",\"customer\":\"alice\",\"from\":\"2028-08-06\",\"to\":\"2028-08-08\",\"amount\":100000,\"payment\":\"$pid\",\"status\":\"RENTED\",\"late_fee\":0}"
t_id 'mypage shows the payment id' "$(mypage --as alice --json | jrow reservation "$res" | jget payment)" "$pid"
t_refuse 1 'pay a RENTED reservation again' pay --as alice "$res"

# Pay without --amount: rate x nights.
r2=$(book bob car02 2028-09-01 2028-09-04)	# 3 nights x 30000
t_ok 'bob pays without --amount' pay --as bob "$r2"
p2=$OUT
dispatch
t_eq 'bob'"'"'s reservation is RENTED' "$(status_of "$r2")" RENTED
t_eq 'the amount is 90000' "$(rent --as bob list --json | jrow reservation "$r2" | jget amount)" 90000
t_id 'with his payment id' "$(rent --as bob list --json | jrow reservation "$r2" | jget payment)" "$p2"

# A reservation written but not applied yet.
t_ok 'carol reserves' reserve --as carol car02 --from 2028-10-01 --to 2028-10-03
r3=$OUT
t_refuse 75 'pay a reservation not yet applied' pay --as carol "$r3"
dispatch
t_refuse 1 'pay cancel of a RESERVED (unpaid) reservation' pay --as carol cancel "$r3"

# pay cancel.
t_refuse 77 'bob may not cancel alice'"'"'s payment' pay --as bob cancel "$res"
t_refuse 65 'pay cancel of a malformed id' pay --as alice cancel nonsense
t_refuse 1 'pay cancel of an unknown reservation' pay --as alice cancel res-0123456789abcdef
t_refuse 64 'pay cancel without a reservation' pay --as alice cancel
t_ok 'alice cancels her payment' pay --as alice cancel "$res"
t_id 'pay cancel prints the reservation id' "$OUT" "$res"
dispatch
t_eq 'the reservation is PAYMENT_CANCELED' "$(status_of "$res")" PAYMENT_CANCELED
t_eq 'the car is AVAILABLE again' "$(car_status car01)" AVAILABLE
t_eq 'rent list shows the rental PAYMENT_CANCELED' \
	"$(rent --as alice list --json | jrow reservation "$res" | jget status)" PAYMENT_CANCELED
t_refuse 1 'cancel the payment again' pay --as alice cancel "$res"
t_refuse 1 'pay a PAYMENT_CANCELED reservation' pay --as alice "$res"
t_ok 'its nights are free again' reserve --as carol car01 --from 2028-08-06 --to 2028-08-08

t_ok 'an admin may cancel bob'"'"'s payment' pay --as admin cancel "$r2"
t_id '... prints the reservation id' "$OUT" "$r2"
dispatch
t_eq 'bob'"'"'s reservation is PAYMENT_CANCELED' "$(status_of "$r2")" PAYMENT_CANCELED

t_ok 'carol cancels her reservation' reserve --as carol cancel "$r3"
dispatch
t_refuse 1 'pay a RESERVATION_CANCELED reservation' pay --as carol "$r3"

done_testing
