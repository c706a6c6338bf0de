#!/bin/sh
# 1962-booking-of-odd-yaml.t: events signed by hand that act on a booking whose
# logged bytes are odd but admitted YAML (its body ends with a document end marker,
# which the signature line after it would turn into a second document), and an event
# that reuses the id of another's event waiting in the spool. No event stops the
# dispatcher (DESIGN 8): the booking's owner is read from its signed body, as it was
# admitted; and an id is applied once, its own bytes, while another event that
# claims it is quarantined, never dropped as a copy (DESIGN 1).
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"
. "$(dirname "$0")/../sealing.sh"

sealing_or_skip
shop
BOB=$(pem bob)
S=$H/spool

# bob's booking, its body ending with '...'.
printf 'car: car01\nfrom: %s\nto: %s\n...\n' "$(day 0)" "$(day 2)" >"$T_TMP/fields"
mkev "$T_TMP/odd" "$BOB" reserve bob res <"$T_TMP/fields"
ODD=$EID
cp "$T_TMP/odd" "$S/new/$(spname "$ODD")"
t_ok 'a booking whose body ends with a document end marker' dispatch
t_eq '... is applied' "$(status_of "$ODD")" RESERVED

# bob pays for it, by hand (pay reads its owner the same way) and by the command.
printf 'reservation: %s\namount: 100000\n' "$ODD" >"$T_TMP/fields"
mkev "$T_TMP/pay" "$BOB" pay bob pay <"$T_TMP/fields"
cp "$T_TMP/pay" "$S/new/$(spname "$EID")"
other=$(reserve --as alice car02 --from "$(day 0)" --to "$(day 2)")
t_ok 'the dispatcher applies a payment of it' dispatcher --once
t_eq '... nothing held back, nothing left' "$(spool_count new) $(spool_count bad)" '0 0'
t_eq '... it is RENTED' "$(status_of "$ODD")" RENTED
t_eq '... and the batch goes on: alice'"'"'s booking' "$(status_of "$other")" RESERVED
t_ok 'bob returns it with the command' rent --as bob return "$ODD"
dispatch
t_eq '... RETURNED' "$(status_of "$ODD")" RETURNED

# alice's booking waits in the spool; mallory (bob here) signs one of his own under
# its id, with a name that sorts first: the spool is taken in arrival order, and the
# id stays alice's (1760-arrival-order.t).
ra=$(reserve --as alice car02 --from "$(day 20)" --to "$(day 22)")
printf 'car: car01\nfrom: %s\nto: %s\n' "$(day 20)" "$(day 22)" >"$T_TMP/fields"
mkev "$T_TMP/steal" "$BOB" reserve bob res <"$T_TMP/fields"
sed "s/^id: .*/id: $ra/" "$T_TMP/steal.body" >"$T_TMP/steal2.body"
seal "$BOB" "$T_TMP/steal2.body" "$T_TMP/steal2"
cp "$T_TMP/steal2" "$S/new/00000000000000000000.$ra"
run dispatcher --once
t_eq 'an event reusing the id of another waiting: the dispatcher goes on' "$RC" 0
t_eq '... one of the two is applied, the other quarantined' "$(spool_count new) $(spool_count bad)" '0 2'
t_match '... with the reason' "$(cat "$S"/bad/*.reason)" 'id .* already'
t_eq '... the id is the one that arrived first, alice'"'"'s' "$(reserve --as admin list --json | jrow reservation "$ra" | jget customer)" alice
done_testing
