#!/bin/sh
# 1633-a-leaf-splits-alone.t: layout 10 splits a leaf alone, as deep as the ids in it
# differ. A client that chooses ids whose last three hex digits are all 000 (ids are
# the writer's to choose) put every row of alice's page in one leaf, which in layout 9
# grew past 16 KiB without end (the whole table went to depth 3, no further), each of
# her events rewriting it. Now her leaf 0/0 splits, its child 0/0/0 takes every row
# and splits in turn, and the rows lie in 0/0/0/x, no leaf past 16 KiB; the other
# leaves never move. Reads, cancellations in the batch of the splits and after, cars
# taken out and registered again over split tables, a rebuild (another cut of the
# batches) and the home's health all agree.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"
. "$(dirname "$0")/../sealing.sh"

sealing_or_skip

# car_event TYPE CAR: the admin's TYPE (car.rm or car.add) of CAR, spooled behind.
car_event() {
	case $1 in
	car.add) mkev "$T_TMP/car" "$(pem admin)" car.add admin car <<EOF
car: $2
rate: 1000
model: Again
EOF
	;;
	*) mkev "$T_TMP/car" "$(pem admin)" "$1" admin car <<EOF
car: $2
EOF
	;;
	esac
	mv "$T_TMP/car" "$H/spool/new/$(spname "$EID")"
}

# leaves PREFIX OWNER: the paths of the files of OWNER's table under PREFIX.
leaves() {
	state_ls "$1" | grep "/$2/" | sed "s|.*/$2/||" | sort | tr '\n' ' '
}

shop
n=300
alice_books "$n" car01 000
alice_cancels "$tenth"
dispatch
t_match "alice's $n bookings, ids ending in 000, and a cancellation: one batch" "$DISPATCH_ERR" \
	"applied $((n + 1)), skipped 0, quarantined 0"
page=$(state_ls mypage/customers | grep /alice/)
t_eq "her page's leaf 0/0 was split" "$(state_cat "$(printf '%s\n' "$page" | grep '/alice/0/0/split$')")" 'depth: 3'
t_eq '... and its one child 0/0/0 in turn' "$(state_cat "$(printf '%s\n' "$page" | grep '/alice/0/0/0/split$')")" 'depth: 4'
t_eq '... her rows are in the 16 leaves 0/0/0/x, nowhere else' \
	"$(printf '%s\n' "$page" | grep -v '/split$' | sed 's|.*/alice/||' | tr '\n' ' ')" \
	'0/0/0/0 0/0/0/1 0/0/0/2 0/0/0/3 0/0/0/4 0/0/0/5 0/0/0/6 0/0/0/7 0/0/0/8 0/0/0/9 0/0/0/a 0/0/0/b 0/0/0/c 0/0/0/d 0/0/0/e 0/0/0/f '
t_eq '... each holding the bookings whose fourth digit from the end is its own, all once' \
	"$(for f in $(printf '%s\n' "$page" | grep -v '/split$'); do
		state_cat "$f" | grep -c "^reservation=res-[0-9a-f]*${f##*/}000	"
	done | awk '{ s += $1 } END { print s }')" "$n"
t_eq '... no leaf past 16 KiB' \
	"$(for f in $(printf '%s\n' "$page" | grep -v '/split$'); do state_cat "$f" | wc -c; done | awk '$1 > 16384' | wc -l)" 0
t_eq "car01's bookings in management split alike" \
	"$(leaves management/bookings car01)" \
	'0/0/0/0 0/0/0/1 0/0/0/2 0/0/0/3 0/0/0/4 0/0/0/5 0/0/0/6 0/0/0/7 0/0/0/8 0/0/0/9 0/0/0/a 0/0/0/b 0/0/0/c 0/0/0/d 0/0/0/e 0/0/0/f 0/0/0/split 0/0/split '
t_eq "... and her bookings in the reservation context did not (33 bytes a row)" \
	"$(leaves reservation/customers alice)" '0/0 '
t_eq 'mypage lists all her bookings' "$(mypage --as alice --json | jq -s length)" "$n"
t_eq 'reserve list too' "$(reserve --as alice list --json | jq -s 'map(select(.status == "RESERVED")) | length')" "$((n - 1))"
t_eq 'carctl show car01 too' "$(carctl show car01 --json | jq '.bookings | length')" "$n"
t_eq 'the tenth, canceled in the batch of the splits, is canceled on her page' \
	"$(mypage --as alice --json | jq -r "select(.reservation == \"$tenth\") | .status")" RESERVATION_CANCELED
t_eq "... in its leaf, 0/0/0/a" \
	"$(state_cat "$(printf '%s\n' "$page" | grep '/0/0/0/a$')" | grep -c "^reservation=$tenth	.*status=RESERVATION_CANCELED")" 1

t_ok 'she cancels her seventh' reserve --as alice cancel "$seventh"
t_ok '... and books once more, an id of her own' reserve --as alice car01 --from "$(day 400)" --to "$(day 401)"
dispatch
t_eq '... her page shows the seventh canceled' \
	"$(mypage --as alice --json | jq -r "select(.reservation == \"$seventh\") | .status")" RESERVATION_CANCELED
t_eq "... its row rewritten in its leaf, 0/0/0/7" \
	"$(state_cat "$(state_ls mypage/customers | grep '/alice/0/0/0/7$')" | grep -c "^reservation=$seventh	.*status=RESERVATION_CANCELED")" 1
t_eq '... and all her bookings, the new one too' "$(mypage --as alice --json | jq -s length)" "$((n + 1))"

# car02: as many bookings, all canceled, the car taken out and registered again, in one
# batch. (What the contexts meet in which order is the log's; tests/unit/test_store
# takes a table out in the batch that split it.)
alice_books "$n" car02 000
for id in $ids; do alice_cancels "$id"; done
car_event car.rm car02
car_event car.add car02
dispatch
t_match "car02's $n bookings, their cancellations, its rm and add: one batch" "$DISPATCH_ERR" \
	"applied $((2 * n + 2)), skipped 0, quarantined 0"
t_eq "... car02's bookings in management are gone, split records and all" \
	"$(state_ls management/bookings | grep -c /car02/)" 0
t_eq '... carctl show car02 lists none' "$(carctl show car02 --json | jq '.bookings | length')" 0
t_eq "... alice's page holds them all, canceled" \
	"$(mypage --as alice --json | jq -s 'map(select(.car == "car02" and .status == "RESERVATION_CANCELED")) | length')" "$n"

# car03: its bookings in a batch of their own (its table split and committed), then
# their cancellations, its rm and add in the next: taking it out meets split records
# committed and the leaves the batch changed under them.
carctl --as admin add car03 --rate 1000 >/dev/null
dispatch
alice_books "$n" car03 000
dispatch
t_eq "car03's $n bookings: its table split" "$(state_ls management/bookings | grep -c '/car03/0/0/0/split$')" 1
for id in $ids; do alice_cancels "$id"; done
car_event car.rm car03
car_event car.add car03
dispatch
t_match "... their cancellations, its rm and add: the batch after" "$DISPATCH_ERR" \
	"applied $((n + 2)), skipped 0, quarantined 0"
t_eq "... car03's bookings in management are gone, split records and all" \
	"$(state_ls management/bookings | grep -c /car03/)" 0
t_eq '... carctl show car03 lists none' "$(carctl show car03 --json | jq '.bookings | length')" 0

t_ok 'dispatcher --rebuild' dispatcher --rebuild
t_match '... finds the state the log makes' "$ERR" '^dispatcher: rebuild: 0 differences, state matches the log$'
t_ok 'healthy' dispatcher --check
t_ok 'git fsck is clean' git -C "$H/state" fsck --strict --no-dangling
done_testing
