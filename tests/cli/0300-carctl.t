#!/bin/sh
# 0300-carctl.t: carctl add, rm, list and show (with --json fields exactly
# as in the conventions).
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

scratch_home
customers alice
dispatch

t_ok 'list on an empty home' carctl --as admin list --json
t_eq '... prints nothing' "$OUT" ''

t_ok 'admin adds car01' carctl --as admin add car01 --rate 50000 --model Avante
t_eq 'add prints the car id alone' "$OUT" car01
t_eq 'add writes one event' "$(spool_count new)" 1
t_nomatch 'the car is not listed before dispatch' "$(carctl --as admin list --json)" '"car":"car01"'
dispatch
t_ok 'list --json' carctl --as admin list --json
t_eq 'list --json prints the car with its fields in order' "$OUT" \
	'{"car":"car01","model":"Avante","rate":50000,"status":"AVAILABLE","stars":null,"ratings":0}'
t_ok 'admin adds car02 without a model' carctl --as admin add car02 --rate 30000
dispatch
t_eq 'a car without a model has model null' "$(carctl --as admin list --json | jrow car car02)" \
	'{"car":"car02","model":null,"rate":30000,"status":"AVAILABLE","stars":null,"ratings":0}'
t_eq 'list --json prints one line a car' "$(carctl --as admin list --json | grep -c .)" 2
t_ok 'a customer may list the cars' carctl --as alice list --json
t_match '... and sees car01' "$OUT" '"car":"car01"'
t_ok 'anyone may list the cars, even an unregistered name' carctl --as nobody list --json
t_match '... and sees car01' "$OUT" '"car":"car01"'
t_ok 'list without --json (a table)' carctl --as admin list
t_match '... shows car01' "$OUT" 'car01'
t_match '... and car02' "$OUT" 'car02'
t_match '... and the model' "$OUT" 'Avante'

t_ok 'show --json' carctl --as admin show car01 --json
t_eq 'show --json: the list fields, the prices unset, no bookings and no reviews' "$OUT" \
	'{"car":"car01","model":"Avante","rate":50000,"status":"AVAILABLE","stars":null,"ratings":0,"weekly":null,"monthly":null,"late_fee":null,"bookings":[],"reviews":[]}'
t_ok 'show without --json' carctl --as alice show car01
t_match '... shows the model' "$OUT" 'Avante'

# Refusals: each exits with the contract's status and writes nothing.
t_refuse 1 'add a car that exists' carctl --as admin add car01 --rate 1
t_refuse 64 'add without --rate' carctl --as admin add car03
t_refuse 64 'add with --rate missing its value' carctl --as admin add car03 --rate
t_refuse 64 'add without a car' carctl --as admin add --rate 100
t_refuse 65 'add with a rate that is not a number' carctl --as admin add car03 --rate abc
t_refuse 65 'add with a rate that is not whole' carctl --as admin add car03 --rate 12.5
t_refuse 65 'add with a slash in the car id' carctl --as admin add car/03 --rate 100
t_refuse 65 'add with the car id ..' carctl --as admin add .. --rate 100
t_refuse 65 'add with the car id .' carctl --as admin add . --rate 100
t_refuse 65 'add with a car id of 33 characters' carctl --as admin add abcdefghijklmnopqrstuvwxyz0123456 --rate 100
t_refuse 77 'a customer may not add a car' carctl --as alice add car03 --rate 100
t_refuse 77 'an unknown identity may not add a car' carctl --as nobody add car03 --rate 100
t_refuse 77 'a customer may not remove a car' carctl --as alice rm car02
t_refuse 1 'rm an unknown car' carctl --as admin rm car99
t_refuse 64 'rm without a car' carctl --as admin rm
t_refuse 65 'rm a malformed car id' carctl --as admin rm 'a/b'
t_refuse 1 'show an unknown car' carctl --as admin show car99
t_refuse 64 'show without a car' carctl --as admin show
t_refuse 65 'show a malformed car id' carctl --as admin show 'a/b'
t_match 'messages read PROG: ...' "$ERR" '^carctl: '

# A booking shows in show and in the car's status (from today: it is returned below).
d0=$(day 0) d2=$(day 2)
res=$(book alice car01 "$d0" "$d2")
t_match 'a reservation' "$res" '^res-[0-9a-f]{16}$'
t_eq 'a RESERVED booking makes the car RESERVED' "$(car_status car01)" RESERVED
t_ok 'show --json with a booking' carctl --as admin show car01 --json
t_eq 'show --json lists the booking' "$OUT" \
	"{\"car\":\"car01\",\"model\":\"Avante\",\"rate\":50000,\"status\":\"RESERVED\",\"stars\":null,\"ratings\":0,\"weekly\":null,\"monthly\":null,\"late_fee\":null,\"bookings\":[{\"reservation\":\"$res\",\"from\":\"$d0\",\"to\":\"$d2\",\"status\":\"RESERVED\"}],\"reviews\":[]}"
t_refuse 1 'rm is refused while the car has a RESERVED booking' carctl --as admin rm car01

pid=$(paid alice "$res")
t_eq 'a RENTED booking makes the car RENTED' "$(car_status car01)" RENTED
t_refuse 1 'rm is refused while the car has a RENTED booking' carctl --as admin rm car01

returned alice "$res"
t_eq 'a returned car is AVAILABLE' "$(car_status car01)" AVAILABLE
t_match 'show lists the RETURNED booking' "$(carctl --as admin show car01 --json)" \
	"\"bookings\":\\[\\{\"reservation\":\"$res\",\"from\":\"$d0\",\"to\":\"$d2\",\"status\":\"RETURNED\"\\}\\]"
t_ok 'rm a car with only a returned booking' carctl --as admin rm car01
t_eq 'rm prints the car id alone' "$OUT" car01
t_ok 'rm a car with no booking' carctl --as admin rm car02
t_eq '... prints the car id' "$OUT" car02
t_match 'the car is still listed before dispatch' "$(carctl --as admin list --json)" '"car":"car01"'
dispatch
t_ok 'list after rm' carctl --as admin list --json
t_eq 'the removed cars are gone' "$OUT" ''
t_refuse 1 'show a removed car' carctl --as admin show car01
t_refuse 1 'rm a removed car' carctl --as admin rm car01
t_refuse 1 'reserve a removed car' reserve --as alice car02 --from 2028-09-01 --to 2028-09-03

done_testing
