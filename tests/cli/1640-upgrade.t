#!/bin/sh
# 1640-upgrade.t: `dispatcher --upgrade=2` moves a home of layout 1 (the release of
# 2026-11-24, tests/fixtures/) to layout 2 in one commit: the owners/ files go into the
# bookings' ids/ entries, the held nights into a folder a year; what every command
# answers is the same before and after, and the home goes on in layout 2. Then
# `dispatcher --upgrade=3` moves it on to layout 3, where an id's entry is its event,
# and `dispatcher --upgrade` to layout 4, where a booking's entries in its car's and
# customer's folders lie two shards deep.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

old_home

t_ok 'dispatcher --check: a home of an older layout is healthy' dispatcher --check
t_match '... and is told that --upgrade moves it to this release'"'"'s' "$ERR" \
	'^dispatcher: state: layout 1; this release makes homes in layout 4: .dispatcher --upgrade. moves it'

# A booking made before the upgrade, still holding its nights.
held=$(reserve --as bob car1 --from 2028-05-30 --to 2028-06-02)
t_ok 'a booking in layout 1 is applied' dispatch
t_file '... its owner in owners/' "$(ls -d "$S"/owners/*/*/"$held")"
before_page=$(mypage --as bob --json)
before_list=$(reserve --as admin list --json)
before_cars=$(carctl list --json)
commits=$(git -C "$S" rev-list --count HEAD)

t_ok 'dispatcher --upgrade=2 moves the home to layout 2' dispatcher --upgrade=2
t_match '... and says how many files moved' "$ERR" '^dispatcher: upgrade: layout 2, [1-9][0-9]* files moved or rewritten$'
t_eq '... in one commit' "$(git -C "$S" rev-list --count HEAD)" "$((commits + 1))"
t_eq 'state/layout names version 2' "$(cat "$S/layout")" 'version: 2'
t_nofile 'owners/ is gone' "$S/owners"
t_eq "the booking's id entry names its customer" \
	"$(sed -n 's/^customer: //p' "$(ls -d "$S"/ids/*/*/"$held")")" 'bob'
t_eq 'its nights lie in a folder a year' \
	"$(cd "$S"/reservation/held/*/car1 && find 2028 -type f | sort | tr '\n' ' ')" \
	'2028/05/2028-05-30 2028/05/2028-05-31 2028/06/2028-06-01 '
t_eq "bob's page is the same" "$(mypage --as bob --json)" "$before_page"
t_eq 'the list of bookings is the same' "$(reserve --as admin list --json)" "$before_list"
t_eq 'the list of cars is the same' "$(carctl list --json)" "$before_cars"
t_eq 'the work tree is the last commit' "$(worktree_diff "$S")" ''
t_ok 'dispatcher --rebuild: layout 2 is what the log gives' dispatcher --rebuild
t_eq '... with nothing to repair' "$ERR" 'dispatcher: rebuild: 0 differences, state matches the log'

t_refuse 1 'a night held before the upgrade is still held' \
	reserve --as bob car1 --from 2028-05-31 --to 2028-06-03
t_match '... and named' "$ERR" 'already reserved from 2028-05-30 to 2028-06-02'
carctl --as admin key add carol >/dev/null 2>&1 && dispatch
t_refuse 77 'the owner moved too: carol may not cancel it' reserve --as carol cancel "$held"
t_ok '... bob may' reserve --as bob cancel "$held"
t_ok '... applied' dispatch
t_eq '... it is canceled' "$(status_of "$held")" 'RESERVATION_CANCELED'
t_eq '... and its nights are free' "$(cd "$S"/reservation/held/*/car1 && find 2028 -type f | wc -l)" '0'
again=$(reserve --as carol car1 --from 2028-05-31 --to 2028-06-01)
t_ok 'carol books one of them' dispatch
t_eq "... and her booking's entry names her" \
	"$(sed -n 's/^customer: //p' "$(ls -d "$S"/ids/*/*/"$again")")" 'carol'

t_ok 'an upgrade of a home in layout 2 to layout 2 does nothing' dispatcher --upgrade=2
t_eq '... and says so' "$ERR" 'dispatcher: upgrade: layout 2, 0 files moved or rewritten'
t_ok 'dispatcher --rebuild still finds nothing' dispatcher --rebuild
t_eq '... to repair' "$ERR" 'dispatcher: rebuild: 0 differences, state matches the log'

# On to layout 3: an id's entry is the event itself, a second name of its log entry.
before_page=$(mypage --as carol --json)
before_list=$(reserve --as admin list --json)
commits=$(git -C "$S" rev-list --count HEAD)
t_ok 'dispatcher --upgrade=3 moves it on to layout 3' dispatcher --upgrade=3
t_match '... and says how many files moved' "$ERR" '^dispatcher: upgrade: layout 3, [1-9][0-9]* files moved or rewritten$'
t_eq '... in one commit' "$(git -C "$S" rev-list --count HEAD)" "$((commits + 1))"
t_eq 'state/layout names version 3' "$(cat "$S/layout")" 'version: 3'
entry=$(ls -d "$S"/ids/*/*/"$again")
logged=$(grep -l "^id: $again\$" "$S"/log/*/*/*/*.yaml)
t_eq "carol's booking's id entry is her booking as logged" "$(cat "$entry")" "$(cat "$logged")"
t_eq '... a second name of its log entry' "$(stat -c %i "$entry")" "$(stat -c %i "$logged")"
t_eq 'every id entry is one (no inode of its own)' \
	"$(find "$S/ids" -type f -links 1 | wc -l) of $(find "$S/ids" -type f | wc -l)" "0 of $(find "$S/ids" -type f | wc -l)"
t_eq "carol's page is the same" "$(mypage --as carol --json)" "$before_page"
t_eq 'the list of bookings is the same' "$(reserve --as admin list --json)" "$before_list"
t_eq 'the work tree is the last commit' "$(worktree_diff "$S")" ''
t_ok 'dispatcher --rebuild: layout 3 is what the log gives' dispatcher --rebuild
t_eq '... with nothing to repair' "$ERR" 'dispatcher: rebuild: 0 differences, state matches the log'
t_refuse 77 "the owner is read from it: bob may not cancel carol's booking" reserve --as bob cancel "$again"
t_ok '... carol may' reserve --as carol cancel "$again"
t_ok '... applied' dispatch
t_eq '... it is canceled' "$(status_of "$again")" 'RESERVATION_CANCELED'
t_exit 64 'a layout is never moved back' dispatcher --upgrade=2
t_match '... and the error says so' "$ERR" 'layout 3 cannot become layout 2'
t_exit 64 'an upgrade to no number is a usage error' dispatcher --upgrade=three
t_ok 'an upgrade of a home in layout 3 to layout 3 does nothing' dispatcher --upgrade=3
t_eq '... and says so' "$ERR" 'dispatcher: upgrade: layout 3, 0 files moved or rewritten'

# On to layout 4: a booking's entries in its customer's and car's folders, two deep.
entries() { (cd "$S" && find reservation/customers mypage/customers management/bookings -type f | sort); }
one_deep=$(entries | grep -c '/[0-9a-f][0-9a-f]/res-[0-9a-f]*\(\.yaml\)\{0,1\}$')
t_match 'in layout 3 they lie in one folder of 256' "$one_deep" '^[1-9][0-9]*$'
before_page=$(mypage --as carol --json)
before_bob=$(mypage --as bob --json)
before_list=$(reserve --as admin list --json)
before_cars=$(carctl list --json)
commits=$(git -C "$S" rev-list --count HEAD)
t_ok 'dispatcher --upgrade moves it on to layout 4' dispatcher --upgrade
t_match '... and says how many files moved' "$ERR" '^dispatcher: upgrade: layout 4, [1-9][0-9]* files moved or rewritten$'
t_eq '... in one commit' "$(git -C "$S" rev-list --count HEAD)" "$((commits + 1))"
t_eq 'state/layout names version 4' "$(cat "$S/layout")" 'version: 4'
t_eq 'every entry is two shards deep now' \
	"$(entries | grep -c '/[0-9a-f]/[0-9a-f]/res-[0-9a-f]*\(\.yaml\)\{0,1\}$')" "$one_deep"
t_eq '... and the folders of 256 are gone' \
	"$(cd "$S" && find reservation/customers mypage/customers management/bookings -mindepth 3 -type d -name '[0-9a-f][0-9a-f]' | wc -l)" '0'
t_eq "carol's page is the same" "$(mypage --as carol --json)" "$before_page"
t_eq "bob's page is the same" "$(mypage --as bob --json)" "$before_bob"
t_eq 'the list of bookings is the same' "$(reserve --as admin list --json)" "$before_list"
t_eq 'the list of cars is the same' "$(carctl list --json)" "$before_cars"
t_eq 'the work tree is the last commit' "$(worktree_diff "$S")" ''
t_ok 'dispatcher --rebuild: layout 4 is what the log gives' dispatcher --rebuild
t_eq '... with nothing to repair' "$ERR" 'dispatcher: rebuild: 0 differences, state matches the log'
dave=$(book bob car1 2028-08-01 2028-08-03)
t_eq 'bob books again in layout 4' "$(status_of "$dave")" 'RESERVED'
t_match "... and his page shows it" "$(mypage --as bob --json)" "$dave"
t_ok 'dispatcher --check in layout 4' dispatcher --check
t_eq '... says only that it is healthy' "$ERR" 'dispatcher: healthy'
t_ok 'an upgrade of a home in layout 4 does nothing' dispatcher --upgrade
t_eq '... and says so' "$ERR" 'dispatcher: upgrade: layout 4, 0 files moved or rewritten'

# On a terminal the long work says how far it is; elsewhere (above) it says nothing.
old_home tty
if command -v script >/dev/null 2>&1; then
	shown=$(script -qec "$BIN/dispatcher --upgrade" /dev/null </dev/null | tr '\r' '\n')
	t_match 'on a terminal, an upgrade shows the log replayed' "$shown" 'dispatcher: replaying the log: ([0-9]+) of \1'
	t_match '... and the files compared' "$shown" 'dispatcher: comparing the files: ([0-9]+) of \1'
else
	t_skip 'on a terminal, an upgrade shows its progress' 'no script(1)'
fi
done_testing
