#!/bin/sh
# 1630-layout.t: a new home's records (layout 10): a car's held nights a month to a
# record naming the holder of each night, a customer's bookings and page rows in
# tables, not a file each, the cars' records rows of a table a shard; a home of a layout this release does not know is refused,
# and nothing is written.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

shop
t_eq 'a new home names its layout' "$(state_cat layout)" 'version: 10'
t_eq '... and its log, from its first batch, the rules of each event' \
	"$(state_grep log/ -h -E -e '^[0-9]{12} [0-9]{4}-[0-9]{2}-[0-9]{2}( [0-9]+)?$' | sed 's/^[^ ]* [^ ]*//' | sort | uniq -c | tr -s ' ')" \
	"$(printf ' %s 1' "$(state_grep log/ -h -E -e '^[0-9]{12} ' | wc -l | tr -d ' ')")"
# shop's two cars: each context's records of them are rows of its shards' tables.
t_eq "management's cars are rows, a table a shard" "$(state_ls management/cars | grep -vc '^management/cars/[0-9a-f][0-9a-f]$')" 0
t_eq '... a row a car' "$(for f in $(state_ls management/cars); do state_cat "$f"; echo; done | grep -c '^car=car[0-9][0-9]	')" 2
t_match "... the reservation context's too, with the car's prices" \
	"$(state_cat "$(state_ls reservation/cars | head -n 1)")" '^car=car[0-9][0-9]	.*rate=[0-9]+'
res=$(book alice car01 2028-01-30 2028-02-02)
t_match 'alice books three nights across a month' "$res" '^res-[0-9a-f]{16}$'
held=$(state_ls reservation/held | grep '/car01$')
t_eq "the car's nights are two records, under their months" "$(printf '%s\n' "$held" | sed 's|reservation/held/\([^/]*\)/.*|\1|' | tr '\n' ' ')" '2028-01 2028-02 '
t_eq '... January names the holder of its two nights' "$(state_cat "$(printf '%s\n' "$held" | head -n 1)")" \
	"$(printf '30 %s\n31 %s' "$res" "$res")"
t_eq '... February its one' "$(state_cat "$(printf '%s\n' "$held" | tail -n 1)")" "01 $res"
rows=$(state_ls mypage/customers | grep /alice/)
# An owner's tables are split by the booking id's last hex digit, then the one before.
leaf=$(printf '%s' "$res" | sed 's/.*\(.\)\(.\)$/\2\/\1/')
t_match "alice's page is a table, split by the booking's id" "$rows" "^mypage/customers/[0-9a-f]{2}/alice/$leaf\$"
t_match '... whose row is the booking' "$(state_cat "$rows")" "^reservation=$res	car=car01	from=2028-01-30	to=2028-02-02	nights=3	"
t_eq "her bookings are a table of the reservation context" \
	"$(state_cat "$(state_ls reservation/customers | grep /alice/)")" "reservation=$res"
t_match "the car's bookings a table of management, split by the booking's id" \
	"$(state_ls management/bookings | grep /car01/)" "^management/bookings/[0-9a-f]{2}/car01/$leaf\$"
t_match "... as the car's agenda is" "$(state_ls reservation/agenda | grep /car01/)" "^reservation/agenda/[0-9a-f]{2}/car01/$leaf\$"
t_eq "... whose row is the booking" \
	"$(state_cat "$(state_ls management/bookings | grep /car01/)")" \
	"$(printf 'reservation=%s\tfrom=2028-01-30\tto=2028-02-02\tstatus=RESERVED' "$res")"
t_ok 'she cancels' reserve --as alice cancel "$res"
dispatch
t_eq "the car's month records are gone with the nights" "$(state_ls reservation/held | grep -c '/car01$')" 0
t_eq 'the commit says what the batch did' "$(git -C "$H/state" log -1 --format=%B main)" \
	"$(printf 'alice reserve.cancel %s\ndispatcher reservation.canceled %s\n' "$res" "$res")"

# A layout from a later release.
state_put layout 'version: 11
'
before=$(git -C "$H/state" rev-parse main)
carol=$(reserve --as carol car02 --from 2028-03-01 --to 2028-03-02 2>&1)
t_match 'reserve stops on a layout it does not know' "$carol" 'version 11, which this release does not know'
t_exit 78 'the dispatcher stops on it' dispatcher --once
t_match '... and names the versions it knows' "$ERR" 'it knows 1 to 10'
t_eq '... and commits nothing' "$(git -C "$H/state" rev-parse main)" "$before"
t_refuse 78 'reserve is refused: exit 78' reserve --as carol car02 --from 2028-03-01 --to 2028-03-02
# A version past an int, which read as 8 cut to 32 bits, one below 0, which read as
# the error of rec_layout (-1) with no message, and one that is no number: none is a
# layout, but a damaged record, which the upgrade makes again.
for v in 4294967304 -1 8x; do
	state_put layout "version: $v
"
	before=$(git -C "$H/state" rev-parse main)
	t_exit 74 "version $v: the dispatcher stops on it" dispatcher --once
	t_eq '... as on a damaged record, saying what makes it again' "$ERR" \
		"dispatcher: state/layout: damaged: '$v' is not a layout version; 'dispatcher --upgrade' makes it again from the log"
	t_eq '... and commits nothing' "$(git -C "$H/state" rev-parse main)" "$before"
done
t_ok 'dispatcher --upgrade' dispatcher --upgrade
t_eq '... makes it again' "$(state_cat layout)" 'version: 10'
state_put layout 'version: 11
'
t_exit 78 'the upgrade of a layout it does not know is refused' dispatcher --upgrade
t_eq '... which it leaves as it was' "$(state_cat layout)" 'version: 11'
done_testing
