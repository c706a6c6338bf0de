#!/bin/sh
# 1285-outcomes-before-a-fault.t: a context logs its outcomes after the events that
# made them. When it fails on an event of a batch, the outcomes of the events before
# that one are still logged, once:
# bob's booking, spooled before a cancel that meets a corrupt file, is decided; the
# reservation context is held back at the cancel, and applies it once the file is
# repaired.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

shop
r0=$(book alice car01 2028-08-06 2028-08-08)
t_eq "alice's booking is applied" "$(status_of "$r0")" RESERVED
f=$(state_find reservation/res/ "$r0.yaml")
t_match 'the reservation context keeps a file for her booking' "$f" '^reservation/res/'
state_cat "$f" >"$T_TMP/res.orig"

r1=$(reserve --as bob car02 --from 2028-09-01 --to 2028-09-03)
t_ok 'alice cancels hers, after bob booked' reserve --as alice cancel "$r0"
printf 'status: [broken\n' | state_put "$f"
t_ok 'the dispatcher runs with her booking corrupt' dispatcher --once
t_match '... and says the reservation context failed' "$ERR" 'context reservation failed'
outcomes() { state_grep 'log/*.yaml' -l --all-match -e "^reservation: $1\$" -e '^actor: dispatcher$' | wc -l | tr -d ' '; }
t_eq "bob's booking, before the fault, has its outcome in the log" "$(outcomes "$r1")" 1
t_eq '... and is RESERVED' "$(status_of "$r1")" RESERVED
t_eq "the cancel has none: it waits for the file" "$(outcomes "$r0")" 1
touch -d '2 minutes ago' "$H/config/rental.yaml" # switched on long enough ago to have caught up
t_fail '--check: not healthy while a context switched on fails' dispatcher --check
t_match '... naming it, how far behind and why to look' "$ERR" \
	'context reservation is switched on but [0-9]+ events behind the log: it fails on one \(dispatcher --once says why\)'

state_put "$f" <"$T_TMP/res.orig"
state_cat "$f" >"$T_TMP/res.now"
t_ok 'repaired: main holds her booking as it was' cmp "$T_TMP/res.orig" "$T_TMP/res.now"
t_eq '... and state/ holds nothing but .git' "$(state_checkout)" ''
t_ok 'repaired: the dispatcher runs' dispatcher --once
t_eq "alice's booking is canceled" "$(status_of "$r0")" RESERVATION_CANCELED
t_ok '--check: healthy again' dispatcher --check
t_eq "bob's outcome is still logged once" "$(outcomes "$r1")" 1
t_eq "alice's booking has its two outcomes" "$(outcomes "$r0")" 2
t_ok 'a rebuild agrees' dispatcher --rebuild
t_eq '... with nothing to repair' "$ERR" 'dispatcher: rebuild: 0 differences, state matches the log'
done_testing
