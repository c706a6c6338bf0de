#!/bin/sh
# 2020-due.t: the desk's day (CONTRACT 2, "The desk"): rent due [--date D] lists the
# pickups (RESERVED or RENTED bookings starting on D), returns (RENTED ending on D),
# overdue rentals (RENTED ending before D) and no-shows (RESERVED ending before D),
# an admin all, a customer their own;
# and rent return is refused before a booking's from, by the command and by the
# dispatcher.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"
. "$(dirname "$0")/../sealing.sh"

sealing_or_skip
shop
carctl --as admin add car03 --rate 10000 >/dev/null
carctl --as admin add car04 --rate 10000 >/dev/null
dispatch
d0=$(day 0) d1=$(day 1) d2=$(day 2) d3=$(day 3) d5=$(day 5)

# alice: car01 today to +2, paid (out, due back on d2)
# bob:   car02 today to +1, not paid (a pickup today)
# carol: car03 +2 to +5, paid ahead (a pickup on d2)
# bob:   car04 today to +1, canceled (nothing)
ra=$(book alice car01 "$d0" "$d2")
paid alice "$ra" >/dev/null
rb=$(book bob car02 "$d0" "$d1")
rc=$(book carol car03 "$d2" "$d5")
paid carol "$rc" >/dev/null
rx=$(book bob car04 "$d0" "$d1")
reserve --as bob cancel "$rx" >/dev/null
blk=$(carctl --as admin block car04 --from "$d2" --to "$d3")
dispatch

# kinds DAY [AS]: "kind reservation" lines of rent due --date DAY --json.
kinds() {
	rent --as "${2:-admin}" due --date "$1" --json | jq -r '"\(.kind) \(.reservation)"'
}
t_ok 'rent due (today) as admin' rent --as admin due --json
t_eq 'today: the two pickups, by car' "$OUT" \
	"{\"kind\":\"pickup\",\"reservation\":\"$ra\",\"car\":\"car01\",\"customer\":\"alice\",\"from\":\"$d0\",\"to\":\"$d2\",\"status\":\"RENTED\"}
{\"kind\":\"pickup\",\"reservation\":\"$rb\",\"car\":\"car02\",\"customer\":\"bob\",\"from\":\"$d0\",\"to\":\"$d1\",\"status\":\"RESERVED\"}"
t_eq '--date today says the same' "$(kinds "$d0")" "$(printf 'pickup %s\npickup %s' "$ra" "$rb")"
t_eq 'tomorrow: nothing (bob'"'"'s is not paid, so not a return)' "$(kinds "$d1")" ''
t_eq 'in two days: carol'"'"'s pickup, alice'"'"'s return, bob'"'"'s no-show (never paid, ended)' "$(kinds "$d2")" \
	"$(printf 'pickup %s\nreturn %s\nno-show %s' "$rc" "$ra" "$rb")"
t_eq 'in three days: alice'"'"'s is overdue, bob'"'"'s still a no-show' "$(kinds "$d3")" "$(printf 'overdue %s\nno-show %s' "$ra" "$rb")"
t_eq 'in five days: carol'"'"'s return, alice'"'"'s still overdue' "$(kinds "$d5")" "$(printf 'return %s\noverdue %s\nno-show %s' "$rc" "$ra" "$rb")"
t_eq 'a block is no pickup' "$(kinds "$d2" | grep -c blk-)" 0
t_eq 'a customer sees only their own' "$(kinds "$d2" alice)" "return $ra"
t_eq '... carol hers' "$(kinds "$d2" carol)" "pickup $rc"
t_eq '... bob his no-show' "$(kinds "$d2" bob)" "no-show $rb"
t_ok 'rent due as a table' rent --as admin due --date "$d2"
t_match '... with its columns' "$OUT" '^KIND +RESERVATION +CAR +CUSTOMER +FROM +TO +STATUS'
t_match '... and the return' "$OUT" "^return +$ra +car01 +alice"
t_ok 'rent due --csv' rent --as admin due --date "$d2" --csv
t_eq '... a header, then a line each' "$OUT" "kind,reservation,car,customer,from,to,status
pickup,$rc,car03,carol,$d2,$d5,RENTED
return,$ra,car01,alice,$d0,$d2,RENTED
no-show,$rb,car02,bob,$d0,$d1,RESERVED"
t_ok 'a day with nothing, --csv' rent --as admin due --date 2020-01-01 --csv
t_eq '... the header alone' "$OUT" 'kind,reservation,car,customer,from,to,status'
t_refuse 65 'rent due --date of no day' rent --as admin due --date 2028-02-30
t_refuse 64 'rent due --date without its value' rent --as admin due --date
t_refuse 77 'rent due by an unknown identity' rent --as nobody due
t_refuse 64 'rent due with an argument' rent --as admin due tomorrow

# Returned: not due any more; the car's nights are free.
returned alice "$ra"
t_eq 'returned, alice'"'"'s is no more overdue' "$(kinds "$d3")" "no-show $rb"
reserve --as admin cancel "$rb" >/dev/null && dispatch
t_eq 'canceled, bob'"'"'s is no more a no-show' "$(kinds "$d3")" ''

# A car is not returned before its stay begins.
t_refuse 1 'carol returns before her stay begins' rent --as carol return "$rc"
t_match '... told when it starts' "$ERR" "$rc: starts on $d2, it cannot be returned before \\(today is $d0\\)"
t_refuse 1 '... nor may an admin' rent --as admin return "$rc"

# The dispatcher decides the same: a return written by hand (signed with an OpenSSL
# key registered as dave) for a stay not yet begun is refused when applied.
openssl genpkey -algorithm ed25519 -out "$T_TMP/dave.pem" 2>/dev/null
carctl --as admin key add dave --pubkey "$(pub "$T_TMP/dave.pem")" >/dev/null
dispatch
mkev "$T_TMP/r.body0" "$T_TMP/dave.pem" reserve dave res <<EOF
car: car02
from: $d3
to: $d5
EOF
rd=$EID
spool_drop "$T_TMP/r.body0" "$(spname "$rd")"
dispatch
mkev "$T_TMP/p" "$T_TMP/dave.pem" pay dave pay <<EOF
reservation: $rd
amount: 60000
EOF
spool_drop "$T_TMP/p" "$(spname "$EID")"
dispatch
t_eq 'dave'"'"'s booking is paid' "$(status_of "$rd")" RENTED
mkev "$T_TMP/ret" "$T_TMP/dave.pem" rent.return dave ret <<EOF
reservation: $rd
EOF
spool_drop "$T_TMP/ret" "$(spname "$EID")"
dispatch
t_eq 'a return applied before the stay begins is refused: still RENTED' "$(status_of "$rd")" RENTED
t_match '... and the log says why' "$(state_grep log/ -h -e '^reason: ' | tail -n 1)" "starts on $d3, it cannot be returned before"
t_eq '... nothing quarantined: it is a rule of the business' "$(spool_count bad)" 0
t_ok 'dispatcher --rebuild decides the same' dispatcher --rebuild
done_testing
