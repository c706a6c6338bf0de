#!/bin/sh
# 2065-ended-stays.t: money once a stay has ended. A RENTED booking whose to is
# before today is overdue: its payment is not canceled (the car is out, and its return
# owes a late fee), by the command and by the dispatcher; `rent return` ends it. A
# RESERVED booking whose to is before today is no more paid (it would be overdue at
# once); `rent due` lists it as a no-show, `carctl rm` names it, `reserve cancel` frees
# it. (Payments logged before these rules were decided without them: test_rules,
# 2066.) Days pass by faketime(1).
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

if ! has_faketime; then
	t_skip 'ended stays' 'faketime is missing (Debian package faketime)'
	done_testing
fi

# later N CMD ARGS...: the command CMD of bin/ as if N days from now.
later() {
	_l_n=$1 _l_cmd=$2
	shift 2
	faketime -f "+${_l_n}d" "$BIN/$_l_cmd" "$@"
}
last_reason() { state_grep log/ -h -e '^reason: ' | tail -n 1; }
kinds() { # DAY [AS]: "kind reservation" lines of rent due
	rent --as "${2:-admin}" due --date "$1" --json | jq -r '"\(.kind) \(.reservation)"'
}

shop
d0=$(day 0) d1=$(day 1) d2=$(day 2) d3=$(day 3)

# ---- an overdue rental: its payment stays, its return owes the late fee ----
ra=$(book alice car01 "$d0" "$d1")
paid alice "$ra" >/dev/null
t_ok 'on its last day (to is today) the payment can still be canceled: the command agrees' \
	later 1 pay --as alice cancel "$ra"
rm -f "$RENTAL_HOME"/spool/new/*
t_refuse 1 'three days on, alice cancels the payment of her overdue rental' later 3 pay --as alice cancel "$ra"
t_match '... told it is overdue and what ends it' "$ERR" \
	"$ra: is overdue since $d1 \\(today is $d3\\): its payment can no longer be canceled; 'rent return' ends it, with its late fee"
t_refuse 1 '... nor may an admin' later 3 pay --as admin cancel "$ra"
t_ok 'written today, when it is not overdue' pay --as admin cancel "$ra"
dispatch_later 3
t_eq 'admitted three days on, the cancel is refused: still RENTED' "$(status_of "$ra")" RENTED
t_match '... and the log says why' "$(last_reason)" "$ra: is overdue since $d1 \\(today is $d3\\)"
t_eq '... the car is still rented' "$(car_status car01)" RENTED
t_eq '... and overdue at the desk' "$(kinds "$d3")" "overdue $ra"
t_ok 'rent return, three days on' later 3 rent --as alice return "$ra"
dispatch_later 3
t_eq 'RETURNED' "$(status_of "$ra")" RETURNED
t_eq '... owing two late nights x 50000' "$(rent --as alice list --json | jrow reservation "$ra" | jget late_fee)" 100000
t_ok 'her receipt' rent --as alice receipt "$ra" --json
t_eq '... no refund, the late fee in the total' "$(printf '%s' "$OUT" | jq -r '"\(.refund) \(.late_fee) \(.total)"')" '0 100000 150000'

# ---- an unpaid stay that ended: not paid, a no-show, canceled ----
rb=$(book bob car02 "$d0" "$d1")
t_refuse 1 'two days on, bob pays for a stay that ended' later 2 pay --as bob "$rb"
t_match '... told it ended and what frees it' "$ERR" \
	"$rb: its stay ended on $d1, before today \\($d2\\): it can no longer be paid \\('reserve cancel' frees the car\\)"
t_ok 'written today, while the stay is on' pay --as bob "$rb"
dispatch_later 2
t_eq 'admitted two days on, the payment is refused: still RESERVED' "$(status_of "$rb")" RESERVED
t_match '... and the log says why' "$(last_reason)" "$rb: its stay ended on $d1, before today \\($d2\\)"
t_eq '... nothing quarantined: a rule of the business' "$(spool_count bad)" 0
t_eq 'the desk lists it as a no-show from the day after its to' "$(kinds "$d2")" "no-show $rb"
t_eq '... not on its to' "$(kinds "$d1")" ''
t_eq '... bob sees his own' "$(kinds "$d2" bob)" "no-show $rb"
t_eq '... alice none' "$(kinds "$d2" alice)" ''
t_ok '... as csv' rent --as admin due --date "$d2" --csv
t_eq '... a line' "$OUT" "kind,reservation,car,customer,from,to,status
no-show,$rb,car02,bob,$d0,$d1,RESERVED"
t_refuse 1 'carctl rm of the car it holds' carctl --as admin rm car02
t_match '... names the booking that holds it' "$ERR" \
	"car02: is RESERVED, a car with a RESERVED or RENTED booking cannot be deleted: $rb \\(RESERVED, $d0 to $d1\\)\$"
rc=$(book carol car02 "$d1" "$d2")
t_refuse 1 '... and says when there are more' carctl --as admin rm car02
t_match '... the first by its from' "$ERR" ": $rb \\(RESERVED, $d0 to $d1\\) and more\$"
reserve --as carol cancel "$rc" >/dev/null
t_ok 'the admin cancels the no-show, two days on' later 2 reserve --as admin cancel "$rb"
dispatch_later 2
t_eq 'RESERVATION_CANCELED' "$(status_of "$rb")" RESERVATION_CANCELED
t_eq '... no more at the desk' "$(kinds "$d2")" ''
t_ok '... and the car can go' carctl --as admin rm car02
dispatch
t_ok 'dispatcher --rebuild' dispatcher --rebuild
t_eq '... decides the same' "$ERR" 'dispatcher: rebuild: 0 differences, state matches the log'

done_testing
