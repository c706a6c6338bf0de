#!/bin/sh
# 2060-late.t: late returns (CONTRACT 2, "The desk"): a car returned after its
# booking's to owes late nights (the day the dispatcher admits the return - to, at
# most 366) x the car's late fee (default: its rate) as it was at the return. rent
# list and mypage show late_fee, 0 when none. A booking cannot start in the past, so
# the return is admitted days later by a dispatcher run under faketime(1).
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

if ! has_faketime; then
	t_skip 'late returns' 'faketime is missing (Debian package faketime)'
	done_testing
fi

late_of() { # AS RES: late_fee of RES in rent list, then in mypage
	printf '%s %s' "$(rent --as "$1" list --json | jrow reservation "$2" | jget late_fee)" \
		"$(mypage --as "$1" --json | jrow reservation "$2" | jget late_fee)"
}

shop
d0=$(day 0) d1=$(day 1) d2=$(day 2)
# car03: 10000 a night, a late fee of 15000 a night.
carctl --as admin add car03 --rate 10000 --late-fee 15000 >/dev/null
dispatch

# car01 (50000 a night, no late fee): alice books one night from today, returns 3 days on.
ra=$(book alice car01 "$d0" "$d1")
paid alice "$ra" >/dev/null
t_eq 'rented: no late fee yet' "$(late_of alice "$ra")" '0 0'
t_ok 'alice returns car01' rent --as alice return "$ra"
dispatch_later 3
t_eq 'RETURNED' "$(status_of "$ra")" RETURNED
t_eq 'admitted 3 days on, 2 nights late x the rate 50000: 100000, in rent list and mypage' \
	"$(late_of alice "$ra")" '100000 100000'
t_eq '... the outcome carries it' "$(state_grep log/ -h -e '^late_fee: 100000$' | wc -l | tr -d ' ')" 1

# car03 (late fee 15000): bob books two nights; the late fee is changed before the
# return: the fee as it was at the return counts.
rb=$(book bob car03 "$d0" "$d2")
paid bob "$rb" >/dev/null
carctl --as admin set car03 --late-fee 12000 >/dev/null
dispatch
rent --as bob return "$rb" >/dev/null
dispatch_later 7
t_eq 'car03 admitted 7 days on: 5 nights late x 12000 (its late fee then)' "$(late_of bob "$rb")" '60000 60000'

# The fee changed in the batch of the return, before it: the new fee counts.
rb=$(book bob car03 "$d0" "$d2")
paid bob "$rb" >/dev/null
carctl --as admin set car03 --late-fee 20000 >/dev/null
rent --as bob return "$rb" >/dev/null
dispatch_later 4
t_eq 'the fee changed just before the return, in its batch: 2 nights late x 20000' "$(late_of bob "$rb")" '40000 40000'

# On time: no late fee.
rc=$(book carol car02 "$d0" "$d1")
paid carol "$rc" >/dev/null
rent --as carol return "$rc" >/dev/null
dispatch_later 1
t_eq 'returned the day it is due: 0' "$(late_of carol "$rc")" '0 0'

# More than 366 nights late count 366.
rd=$(book carol car02 "$d0" "$d1")
paid carol "$rd" >/dev/null
rent --as carol return "$rd" >/dev/null
dispatch_later 500
t_eq '499 nights late count 366: 366 x 30000' "$(late_of carol "$rd")" '10980000 10980000'

t_ok 'rent list as a table' rent --as admin list
t_match '... with a LATE_FEE column' "$OUT" 'STATUS +LATE_FEE'
t_ok 'dispatcher --rebuild' dispatcher --rebuild
t_eq '... decides the same' "$ERR" 'dispatcher: rebuild: 0 differences, state matches the log'

done_testing
