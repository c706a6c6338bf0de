#!/bin/sh
# 1630-layout.t: a new home is made in layout 4 (state/layout): an id's entry in ids/
# is the event itself, a second name of its log entry (no file of its own, no owners/
# file: a booking's signer is its customer), and a car's held nights lie in a folder a
# year and one a month in it, so the car's folder does not grow a line a month; a
# booking's entries in its car's and customer's folders lie two shards deep (16 by 16),
# so those folders' trees stay small however many bookings they hold.
# Ownership, overlaps and --rebuild work on those paths; a layout this release does
# not know stops the dispatcher and the commands with exit 78, writing nothing.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

shop
S=$H/state
t_eq 'a new home names its layout' "$(cat "$S/layout")" 'version: 4'
t_eq 'the layout is in the commit' "$(git -C "$S" show HEAD:layout)" 'version: 4'

res=$(book alice car01 2028-12-30 2029-01-02)
t_match 'alice books three nights over the new year' "$res" '^res-[0-9a-f]{16}$'
entry=$(ls -d "$S"/ids/*/*/"$res")
logged=$(grep -l "^id: $res\$" "$S"/log/*/*/*/*.yaml)
t_eq "the booking's id entry is its log entry, by a second name" "$(stat -c %i "$entry")" "$(stat -c %i "$logged")"
t_eq '... signed by its customer' "$(sed -n 's/^actor: //p' "$entry")" 'alice'
t_eq '... and no owners/ file is made' "$(ls -A "$S" | grep -c '^owners$')" '0'
outcome=$(grep -l "^reservation: $res\$" "$S"/log/*/*/*/*.yaml | xargs grep -l '^actor: dispatcher$')
oid=$(sed -n 's/^id: //p' "$outcome")
t_eq "the dispatcher's outcome too: its id entry is its log entry" \
	"$(stat -c %i "$S"/ids/*/*/"$oid")" "$(stat -c %i "$outcome")"
t_eq '... in git one blob' "$(git -C "$S" rev-parse "HEAD:${entry#$S/}")" "$(git -C "$S" rev-parse "HEAD:${logged#$S/}")"
hex=$(echo "$res" | cut -c5-6)
d1=$(echo "$hex" | cut -c1) d2=$(echo "$hex" | cut -c2)
t_eq "the booking's entry in alice's folder is two shards deep, by its id" \
	"$(cd "$S"/reservation/customers/*/alice && find . -type f)" "./$d1/$d2/$res"
t_eq "... her page's row too" "$(cd "$S"/mypage/customers/*/alice && find . -type f)" "./$d1/$d2/$res.yaml"
t_eq "... and the car's booking" "$(cd "$S"/management/bookings/*/car01 && find . -type f)" "./$d1/$d2/$res.yaml"
held=$(cd "$S/reservation/held" && find . -type f | sort | tr '\n' ' ')
t_match 'the nights are held in a folder a year, one a month in it' "$held" \
	'^\./[0-9a-f]{2}/car01/2028/12/2028-12-30 \./[0-9a-f]{2}/car01/2028/12/2028-12-31 \./[0-9a-f]{2}/car01/2029/01/2029-01-01 $'
t_eq '... each naming the booking' "$(cat "$S"/reservation/held/*/car01/2029/01/2029-01-01)" "$res"
t_eq '... names of one file' "$(stat -c %i "$S"/reservation/held/*/car01/*/*/* | sort -u | wc -l) $(stat -c %h "$S"/reservation/held/*/car01/2028/12/2028-12-30)" '1 3'

t_refuse 1 'an overlapping booking is refused by the early check' \
	reserve --as bob car01 --from 2028-12-31 --to 2029-01-05
t_match '... which names the night held' "$ERR" 'already reserved from 2028-12-30 to 2029-01-02'
t_refuse 77 "bob may not pay alice's booking (the owner read from the id entry)" \
	pay --as bob "$res" --amount 150000
t_ok 'alice may' pay --as alice "$res" --amount 150000
t_ok '... and it is applied' dispatch
t_eq '... her booking is RENTED' "$(status_of "$res")" 'RENTED'
t_eq "... and the rental's entry in her folder is two shards deep too" \
	"$(cd "$S"/rental/customers/*/alice && find . -type f)" "./$d1/$d2/$res"
later=$(book bob car01 2029-01-02 2029-01-04)
t_eq 'the car is free again from the last night on' "$(status_of "$later")" 'RESERVED'

t_ok 'dispatcher --rebuild: the log gives the same bytes in layout 4' dispatcher --rebuild
t_eq '... and finds nothing to repair' "$ERR" 'dispatcher: rebuild: 0 differences, state matches the log'
t_eq 'the work tree is the last commit' "$(worktree_diff "$S")" ''

# A home of a later layout: nothing here may write it the old way.
reserve --as carol car02 --from 2028-06-01 --to 2028-06-02 >/dev/null 2>&1
printf 'version: 5\n' >"$S/layout"
head=$(git -C "$S" rev-parse HEAD)
t_exit 78 'the dispatcher stops on a layout it does not know' dispatcher --once
t_match '... and names the file and the versions it knows' "$ERR" 'layout: layout version 5; this release knows 1 to 4'
t_eq '... and commits nothing' "$(git -C "$S" rev-parse HEAD)" "$head"
t_eq "... carol's booking waits in the spool" "$(spool_count new)" '1'
t_refuse 78 'reserve stops on it too' reserve --as carol car02 --from 2028-07-01 --to 2028-07-02
done_testing
