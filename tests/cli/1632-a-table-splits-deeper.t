#!/bin/sh
# 1632-a-table-splits-deeper.t: an owner's leaf that passes 16 KiB splits a digit
# deeper, with real events: alice's 300 bookings all end in the digits 00 (ids are the
# writer's to choose), so her page's and car01's bookings' leaf 0/0 grows past it and
# splits into 0/0/x, named by its split record 0/0/split (layout 10). Every booking is
# read back by every command, a cancellation in the batch of the split and one after
# rewrite their rows where they now lie, a rebuild finds the state the log makes, and
# the home is healthy. A home of layout 7 never splits, and one of 8 or 9 splits the
# whole table, named by a depth record, so that their rebuilds make their leaves again
# alike, until `dispatcher --upgrade` makes them 10; a replica follows across it.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"
. "$(dirname "$0")/../sealing.sh"

sealing_or_skip

shop
n=300
alice_books "$n" car01 00
alice_cancels "$tenth"
dispatch
t_match "alice's $n bookings and a cancellation are applied in one batch" "$DISPATCH_ERR" "applied $((n + 1)), skipped 0, quarantined 0"

page=$(state_ls mypage/customers | grep /alice/)
t_eq "her page's leaf 0/0 says it was split" "$(state_cat "$(printf '%s\n' "$page" | grep '/alice/0/0/split$')")" 'depth: 3'
t_eq '... its rows are in the 16 leaves 0/0/x' \
	"$(printf '%s\n' "$page" | grep -v '/split$' | sed 's|.*/alice/||' | sort | tr '\n' ' ')" \
	'0/0/0 0/0/1 0/0/2 0/0/3 0/0/4 0/0/5 0/0/6 0/0/7 0/0/8 0/0/9 0/0/a 0/0/b 0/0/c 0/0/d 0/0/e 0/0/f '
t_eq '... each holding the bookings whose third digit from the end is its own, all of them' \
	"$(for f in $(printf '%s\n' "$page" | grep -v '/split$'); do
		state_cat "$f" | grep -c "^reservation=res-[0-9a-f]*${f##*/}00	"
	done | awk '{ s += $1 } END { print s }')" "$n"
t_eq '... and nothing else' "$(for f in $(printf '%s\n' "$page" | grep -v '/split$'); do state_cat "$f"; echo; done | grep -c .)" "$n"
t_eq '... and no depth record: no other leaf moved' "$(printf '%s\n' "$page" | grep -c '/depth$')" 0
t_eq "car01's bookings in management split too" \
	"$(state_cat "$(state_ls management/bookings | grep '/car01/0/0/split$')")" 'depth: 3'
t_eq "... and her bookings in the reservation context did not (33 bytes a row)" \
	"$(state_ls reservation/customers | grep /alice/ | sed 's|.*/alice/||')" '0/0'
t_eq 'the home names layout 10' "$(state_cat layout)" 'version: 10'

t_eq 'mypage lists all her bookings' "$(mypage --as alice --json | jq -s length)" "$n"
t_eq 'reserve list too' "$(reserve --as alice list --json | jq -s 'map(select(.status == "RESERVED")) | length')" "$((n - 1))"
t_eq 'carctl show car01 too' "$(carctl show car01 --json | jq '.bookings | length')" "$n"
t_eq 'the tenth, canceled in the batch of the split, is canceled on her page' \
	"$(mypage --as alice --json | jq -r "select(.reservation == \"$tenth\") | .status")" RESERVATION_CANCELED
t_eq "... in its leaf, 0/0/a" \
	"$(state_cat "$(printf '%s\n' "$page" | grep '/0/0/a$')" | grep -c "^reservation=$tenth	.*status=RESERVATION_CANCELED")" 1

t_ok 'she cancels her seventh' reserve --as alice cancel "$seventh"
dispatch
t_eq '... which her page shows canceled' \
	"$(mypage --as alice --json | jq -r "select(.reservation == \"$seventh\") | .status")" RESERVATION_CANCELED
t_eq "... its row rewritten in its leaf, 0/0/7" \
	"$(state_cat "$(printf '%s\n' "$page" | grep '/0/0/7$')" | grep -c "^reservation=$seventh	.*status=RESERVATION_CANCELED")" 1
t_eq '... and the others unchanged' "$(mypage --as alice --json | jq -s 'map(select(.status == "RESERVED")) | length')" "$((n - 2))"

t_ok 'dispatcher --rebuild' dispatcher --rebuild
t_eq '... finds the state the log makes' "$ERR" 'dispatcher: rebuild: 0 differences, state matches the log'
t_ok 'healthy' dispatcher --check
t_ok 'git fsck is clean' git -C "$H/state" fsck --strict --no-dangling

# A home of layout 7: the same bookings, no split.
shop seven
state_put layout 'version: 7
'
alice_books "$n" car01 00
dispatch
t_match "in a home of layout 7 alice's $n bookings are applied" "$DISPATCH_ERR" "applied $n, skipped 0, quarantined 0"
t_eq '... her page is still the leaves of two digits' \
	"$(state_ls mypage/customers | grep /alice/ | sed 's|.*/alice/||')" '0/0'
t_match '... its one leaf past 16 KiB' "$(state_cat "$(state_ls mypage/customers | grep /alice/)" | wc -c)" '^ *(1[7-9]|[2-9][0-9])[0-9]{3}$'
t_eq '... the layout 7 still' "$(state_cat layout)" 'version: 7'
t_eq '... mypage lists them all' "$(mypage --as alice --json | jq -s length)" "$n"
t_ok 'dispatcher --rebuild' dispatcher --rebuild
t_eq '... finds the state the log makes' "$ERR" 'dispatcher: rebuild: 0 differences, state matches the log'
R=$T_TMP/replica
t_ok 'a replica of it' carctl init --replica "$H/state" "$R"
t_ok '... follows it' dispatcher --home "$R" --once
t_eq '... and answers as it does' "$(mypage --home "$R" --as alice --json)" "$(mypage --as alice --json)"
t_ok 'dispatcher --upgrade' dispatcher --upgrade
t_match '... moves it to layout 10' "$ERR" '^dispatcher: upgrade: layout 10, [1-9][0-9]* records moved or rewritten$'
t_eq "... splitting her page's leaf" "$(state_cat "$(state_ls mypage/customers | grep '/alice/0/0/split$')")" 'depth: 3'
t_eq '... the layout record names 10' "$(state_cat layout)" 'version: 10'
t_eq '... mypage lists them all' "$(mypage --as alice --json | jq -s length)" "$n"
t_ok '... and a cancellation after it' reserve --as alice cancel "$seventh"
dispatch
t_eq '... is on her page' "$(mypage --as alice --json | jq -r "select(.reservation == \"$seventh\") | .status")" RESERVATION_CANCELED
t_ok 'the replica follows the upgrade and the cancellation' dispatcher --home "$R" --once
t_eq '... in layout 10' "$(git --git-dir="$R/state/.git" show main:layout)" 'version: 10'
t_eq '... and answers as the upgraded home does' "$(mypage --home "$R" --as alice --json)" "$(mypage --as alice --json)"
t_ok 'dispatcher --rebuild' dispatcher --rebuild
t_eq '... finds the state the log makes' "$ERR" 'dispatcher: rebuild: 0 differences, state matches the log'
t_ok 'healthy' dispatcher --check

# A home of layout 9 (the release before's): the whole table moves a digit deeper.
shop nine
state_put layout 'version: 9
'
alice_books "$n" car01 00
dispatch
t_match "in a home of layout 9 alice's $n bookings are applied" "$DISPATCH_ERR" "applied $n, skipped 0, quarantined 0"
page=$(state_ls mypage/customers | grep /alice/)
t_eq '... her page went a digit deeper whole, as its depth record says' \
	"$(state_cat "$(printf '%s\n' "$page" | grep '/alice/depth$')")" 'depth: 3'
t_eq '... with no split record' "$(printf '%s\n' "$page" | grep -c '/split$')" 0
t_eq '... mypage lists them all' "$(mypage --as alice --json | jq -s length)" "$n"
t_ok 'dispatcher --rebuild' dispatcher --rebuild
t_eq '... finds the state the log makes' "$ERR" 'dispatcher: rebuild: 0 differences, state matches the log'
t_ok 'dispatcher --upgrade' dispatcher --upgrade
t_match '... moves it to layout 10' "$ERR" '^dispatcher: upgrade: layout 10, [1-9][0-9]* records moved or rewritten$'
page=$(state_ls mypage/customers | grep /alice/)
t_eq '... her page: the leaf 0/0 split, its split record' \
	"$(state_cat "$(printf '%s\n' "$page" | grep '/alice/0/0/split$')")" 'depth: 3'
t_eq '... and no depth record' "$(printf '%s\n' "$page" | grep -c '/depth$')" 0
t_eq '... mypage lists them all' "$(mypage --as alice --json | jq -s length)" "$n"
t_ok 'dispatcher --rebuild' dispatcher --rebuild
t_eq '... finds the state the log makes' "$ERR" 'dispatcher: rebuild: 0 differences, state matches the log'
t_ok 'healthy' dispatcher --check
done_testing
