#!/bin/sh
# 1620-upgrade.t: homes written by older releases (tests/fixtures/: layout 1 of
# 2026-11-24 and layout 4 of 2026-12-05, each with its files checked out beside the
# commit; layout 5 of 2026-12-06, with Contract 2's records, and layout 6 of the second
# release of that day, each made by the script beside it) are refused with what to do until `dispatcher --upgrade` replays their log into
# this release's records in one commit; then every command answers as the old release
# did, nothing is checked out, and the home goes on.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

# The fields Contract 2 added, taken out of a record to compare it with the old answer.
old_fields() {
	sed -E -e 's/,"late_fee":[0-9]+\}$/}/' -e 's/,"weekly":[^,]*,"monthly":[^,]*,"late_fee":[^,]*//' -e 's/,"reviews":\[.*\]\}$/}/' \
		-e 's/,"reason":(null|"[^"]*")\}$/}/' -e 's/,"revoked":(true|false)\}$/}/'
}
for rel in 2026-11-24 2026-12-05 2026-12-06 2026-12-06b; do
	old_home "$rel" "$rel"
	left=$(state_checkout; ls "$S/.git" | grep -vx rental.lock)
	t_refuse 78 "$rel: carctl list refuses the older layout" carctl list
	t_match "$rel: ... and says what to do" "$ERR" "run 'dispatcher --upgrade'"
	t_refuse 78 "$rel: reserve refuses it too" reserve --as bob car1 --from 2028-07-01 --to 2028-07-02
	commits=$(git -C "$S" rev-list --count main)
	t_exit 78 "$rel: the dispatcher will not apply a batch to it" dispatcher --once
	t_match "$rel: ... and names the layouts" "$ERR" 'state/layout: version [1456], made by an older release'
	t_exit 1 "$rel: dispatcher --check: unhealthy" dispatcher --check
	t_match "$rel: ... and says why" "$ERR" "dispatcher --upgrade"
	# Until the upgrade commits, the older release can still run the home: the lock the
	# dispatcher took is all it made.
	t_eq "$rel: what the older release keeps beside .git is untouched until the upgrade" \
		"$(state_checkout; ls "$S/.git" | grep -vx rental.lock)" "$left"

	t_ok "$rel: dispatcher --upgrade" dispatcher --upgrade
	t_match "$rel: ... says how many records moved" "$ERR" '^dispatcher: upgrade: layout 10, [1-9][0-9]* records moved or rewritten$'
	t_eq "$rel: ... in one commit" "$(git -C "$S" rev-list --count main)" "$((commits + 1))"
	t_eq "$rel: ... the layout record names version 10" "$(state_cat layout)" 'version: 10'
	t_eq "$rel: ... and state/ holds nothing but .git" "$(state_checkout)" ''
	t_eq "$rel: ... whose older files and index are gone" "$(ls "$S/.git" | grep -E '^(rental-worktree|rental-tmp|index)$')" ''
	t_eq "$rel: ... and which is bare" "$(git -C "$S" config core.bare)" true
	t_ok "$rel: git fsck is clean" git -C "$S" fsck --strict --no-dangling
	for f in "$X"/*.json; do
		name=$(basename "$f" .json)
		case $name in
		mypage-admin) # an empty page then; an admin, who has none, is told so now (1)
			run mypage --as admin --json
			t_eq "$rel: mypage as an admin: refused, where the old release printed nothing" "$RC:$OUT:$(cat "$f")" '1::'
			continue ;;
		mypage-*) got=$(mypage --as "${name#mypage-}" --json) ;;
		reserve-list-*) got=$(reserve --as "${name#reserve-list-}" list --json) ;;
		rent-list-*) got=$(rent --as "${name#rent-list-}" list --json) ;;
		carctl-list) got=$(carctl list --json) ;;
		carctl-show-*) got=$(carctl show "${name#carctl-show-}" --json) ;;
		key-list) got=$(carctl key list --json) ;;
		carctl-report) got=$(carctl --as admin report --from 2028-01-01 --to 2028-12-31 --json) ;;
		carctl-cal) got=$(carctl --as admin cal --month 2028-07 --json) ;;
		rent-receipt-bob) got=$(rent --as bob receipt "$(rent --as bob list --json | jq -r 'select(.late_fee > 0) | .reservation')" --json) ;;
		*) got="unknown $name" ;;
		esac
		# What Contract 2 added to each record aside (it is checked below), in the
		# homes of releases before it.
		case $rel in 2026-12-06*) ;; *) got=$(printf '%s\n' "$got" | old_fields) ;; esac
		t_eq "$rel: $name answers as the old release did" "$got" "$(cat "$f")"
	done
	t_eq "$rel: a rejected booking says why, as logged" \
		"$(reserve --as admin list --json | jq -r 'select(.status == "REJECTED") | .reason')" \
		"$(for f in $(state_grep log/ -l -e '^type: reservation.rejected'); do state_cat "$f"; done |
			sed -n 's/^reason: "\{0,1\}\([^"]*\)"\{0,1\}$/\1/p')"
	t_eq "$rel: the keys revoked are the release's" "$(carctl key list --json | jq -r 'select(.revoked) | .name')" \
		"$(case $rel in 2026-12-06*) echo dave ;; esac)"
	t_ok "$rel: dispatcher --rebuild" dispatcher --rebuild
	t_eq "$rel: ... finds nothing to repair" "$ERR" 'dispatcher: rebuild: 0 differences, state matches the log'
	t_ok "$rel: --upgrade again" dispatcher --upgrade
	t_match "$rel: ... changes nothing" "$ERR" 'upgrade: layout 10, 0 records moved or rewritten'

	# The home goes on: a booking, and one made before the upgrade that holds nights.
	res=$(reserve --as bob car2 --from 2028-09-01 --to 2028-09-03)
	t_match "$rel: bob books again" "$res" '^res-[0-9a-f]{16}$'
	t_ok "$rel: ... applied" dispatch
	t_eq "$rel: ... RESERVED" "$(status_of "$res")" RESERVED
	customers carol
	dispatch
	t_refuse 77 "$rel: carol may not cancel bob's booking" reserve --as carol cancel "$res"
	t_refuse 1 "$rel: its nights are held" reserve --as carol car2 --from 2028-09-02 --to 2028-09-04
	t_ok "$rel: bob cancels it" reserve --as bob cancel "$res"
	dispatch
	t_ok "$rel: ... and carol books those nights" reserve --as carol car2 --from 2028-09-02 --to 2028-09-04
	t_ok "$rel: applied" dispatch
	t_ok "$rel: a rebuild agrees" dispatcher --rebuild
done
# The layout-4 home's RESERVED booking holds its nights across the upgrade.
t_refuse 1 'a night held before the upgrade is still held' reserve --as alice car2 --from 2028-03-03 --to 2028-03-04
t_match '... and named' "$ERR" 'already reserved from 2028-03-02 to 2028-03-05'

# A home of an older layout whose layout record is damaged: its layout cannot be known,
# and every command says so and what makes it again; the upgrade replays the log into
# this release's layout and counts what moved, as for any older layout.
old_home damaged 2026-12-06b
state_put layout 'version: [
'
t_refuse 74 'a damaged layout record: carctl list refuses' carctl list
t_match '... naming it, and what makes it again' "$ERR" \
	"^carctl: state/layout:1: values must be scalars, not nested; 'dispatcher --upgrade' makes it again from the log\$"
t_exit 74 '... as does the dispatcher' dispatcher --once
t_ok 'dispatcher --upgrade' dispatcher --upgrade
t_match '... counts what it moved' "$ERR" '^dispatcher: upgrade: layout 10, [1-9][0-9]* records moved or rewritten$'
t_eq '... the layout record names 10' "$(state_cat layout)" 'version: 10'
t_ok '... carctl list reads the home' carctl list
t_ok '... a rebuild agrees' dispatcher --rebuild
t_eq '... finding nothing to repair' "$ERR" 'dispatcher: rebuild: 0 differences, state matches the log'
done_testing
