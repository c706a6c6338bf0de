#!/bin/sh
# 1620-old-home.t: a home written by the release of 2026-11-24 (tests/fixtures/, made
# by its commands: two cars, bob's booking paid, returned and rated, another
# canceled) goes on under this one. Its outcome ids are a hash alone; ids made now
# start with their source's shard digits, and --rebuild must find the old ones.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

old_home

old_out=$(sed -n 's/^id: \(out-.*\)/\1/p' "$S"/log/*/*/*/*.yaml | head -n 1)
t_match 'the old home logged its outcomes' "$old_out" '^out-[0-9a-f]{16}$'
t_ok 'dispatcher --rebuild: the old history gives the same bytes' dispatcher --rebuild
run mypage --as bob --json
t_eq "bob's page is as the old release left it" \
	"$(printf '%s\n' "$OUT" | while read -r l; do printf '%s\n' "$l" | jget status; done | sort | tr '\n' ' ')" \
	'RESERVATION_CANCELED RETURNED '

res=$(reserve --as bob car2 --from 2028-03-01 --to 2028-03-03)
t_match 'bob books again' "$res" '^res-[0-9a-f]{16}$'
t_ok 'the new booking is applied' dispatch
t_nofile 'the old home keeps layout 1 (no state/layout)' "$S/layout"
t_eq '... its booking has an owners/ file' "$(cat "$S"/owners/*/*/"$res")" 'customer: bob'
t_eq '... and its nights a folder a month' "$(cd "$S"/reservation/held/*/car2 && ls -d 2028-03/*)" \
	"$(printf '2028-03/2028-03-01\n2028-03/2028-03-02')"
out=$(grep -l "^reservation: $res\$" "$S"/log/*/*/*/*.yaml | xargs sed -n 's/^id: \(out-.*\)/\1/p')
t_eq "its outcome's id starts with the booking's shard digits" "$(printf '%.8s' "$out")" \
	"out-$(printf '%s' "$res" | cut -c5-8)"
t_eq 'the outcome lies in the same ids/ leaf as the booking' \
	"$(ls -d "$S"/ids/*/*/"$out" | xargs dirname)" "$(ls -d "$S"/ids/*/*/"$res" | xargs dirname)"
carctl --as admin key add carol >/dev/null 2>&1 && dispatch
t_refuse 77 "the owner is read from owners/: carol may not pay bob's booking" pay --as carol "$res" --amount 140
t_match '... says why' "$ERR" "not a reservation of carol"
t_ok '... and bob may' pay --as bob "$res" --amount 140
t_ok '... applied' dispatch
t_eq '... his booking is RENTED' "$(status_of "$res")" 'RENTED'
t_ok 'dispatcher --rebuild: old and new outcomes agree with the log' dispatcher --rebuild
t_eq 'the work tree is the last commit' "$(worktree_diff "$S")" ''
done_testing
