#!/bin/sh
# 1634-release-before-split-whole.t: a home of the release before, layout 9, whose
# owner tables split whole (tests/fixtures/home-2026-12-08b.tgz, made by the script
# beside it): alice's 200 bookings, every id ending in 000, put her page at depth 3
# (its depth record) and its one leaf 0/0/0 past 16 KiB. This release runs it as that
# one did, its rebuild finding the state the release before made, until `dispatcher
# --upgrade` makes it layout 10: her leaf then splits alone, down to 0/0/0/x.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"
. "$(dirname "$0")/../sealing.sh"

sealing_or_skip
old_home before 2026-12-08b
page() { state_ls mypage/customers | grep /alice/ | sed 's|.*/alice/||' | tr '\n' ' '; }
t_eq 'her page, as the release before left it' "$(page)" '0/0/0 depth '
t_eq '... at depth 3' "$(state_cat "$(state_ls mypage/customers | grep '/alice/depth$')")" 'depth: 3'
t_eq 'mypage lists her 200 bookings' "$(mypage --as alice --json | jq -s length)" 200
t_ok 'dispatcher --rebuild' dispatcher --rebuild
t_eq '... finds the state the release before made' "$ERR" 'dispatcher: rebuild: 0 differences, state matches the log'

carctl --as admin add car1 --rate 100 >/dev/null
dispatch
alice_books 20 car1 000
dispatch
t_match 'the home goes on: 20 more of hers, ids ending in 000' "$DISPATCH_ERR" 'applied 20, skipped 0, quarantined 0'
t_eq '... as layout 9 does: her leaf 0/0/0 grows, nothing splits' "$(page)" '0/0/0 depth '
t_eq '... the layout record still names 9' "$(state_cat layout)" 'version: 9'
t_ok 'dispatcher --rebuild' dispatcher --rebuild
t_eq '... finds the state the log makes' "$ERR" 'dispatcher: rebuild: 0 differences, state matches the log'

t_ok 'dispatcher --upgrade' dispatcher --upgrade
t_match '... moves it to layout 10' "$ERR" '^dispatcher: upgrade: layout 10, [1-9][0-9]* records moved or rewritten$'
t_eq "... her leaf 0/0 split, its child 0/0/0 in turn, her rows in 0/0/0/x, no depth record" \
	"$(page | tr ' ' '\n' | sed 's|/[0-9a-f]$|/x|' | sort -u | tr '\n' ' ')" '0/0/0/split 0/0/0/x 0/0/split '
t_eq '... no leaf past 16 KiB' \
	"$(for f in $(state_ls mypage/customers | grep '/alice/0/0/0/[0-9a-f]$'); do state_cat "$f" | wc -c; done | awk '$1 > 16384' | wc -l)" 0
t_eq '... mypage lists all 220' "$(mypage --as alice --json | jq -s length)" 220
t_eq '... carctl show car0 its 200' "$(carctl show car0 --json | jq '.bookings | length')" 200
t_ok 'dispatcher --rebuild' dispatcher --rebuild
t_eq '... finds the state the log makes' "$ERR" 'dispatcher: rebuild: 0 differences, state matches the log'
t_ok 'healthy' dispatcher --check
done_testing
