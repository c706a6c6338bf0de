#!/bin/sh
# 1600-crash.t: the dispatcher killed (SIGKILL) at each named step of a batch,
# then started again: every event is applied exactly once, the state equals
# what a rebuild from the log gives, git is clean and whole (DESIGN.md, 1).
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

for step in state objects ref commit merged spool spool-half; do
	shop "home-$step"
	customers dave
	b1=$(carctl --as admin block car01 --from 2028-09-01 --to 2028-09-03 2>/dev/null)
	dispatch
	r1=$(book alice car01 2028-08-06 2028-08-08)
	p1=$(pay --as alice "$r1" 2>/dev/null)
	r2=$(reserve --as bob car02 --from 2028-08-06 --to 2028-08-09 2>/dev/null)
	r3=$(reserve --as carol car02 --from 2028-08-07 --to 2028-08-08 2>/dev/null)
	carctl --as admin add car03 --rate 10000 >/dev/null 2>&1
	carctl --as admin set car02 --rate 35000 --weekly 200000 >/dev/null 2>&1
	b2=$(carctl --as admin block car02 --from 2028-10-01 --to 2028-10-05 2>/dev/null)
	carctl --as admin unblock "$b1" >/dev/null 2>&1
	carctl --as admin key rm dave >/dev/null 2>&1
	head0=$(git -C "$H/state" rev-parse HEAD)
	t_exit 137 "$step: the dispatcher is killed at that step" env RENTAL_CRASH_AT=$step "$BIN/dispatcher" --once
	t_ok "$step: started again, it finishes the work" dispatcher --once
	t_eq "$step: spool/new is empty" "$(spool_count new)" 0
	t_eq "$step: nothing quarantined" "$(spool_count bad)" 0
	t_eq "$step: each event is in the log once" \
		"$(log_count_id "$p1") $(log_count_id "$r2") $(log_count_id "$r3")" '1 1 1'
	t_eq "$step: the payment is applied" "$(status_of "$r1")" RENTED
	t_eq "$step: the first booking of car02 holds" "$(status_of "$r2")" RESERVED
	t_eq "$step: the clashing one is rejected" "$(status_of "$r3")" REJECTED
	t_match "$step: car03 is registered once" "$(carctl list --json | grep -c '"car":"car03"')" '^1$'
	t_eq "$step: car02 has its new prices" "$(carctl show car02 --json | jq -c '[.rate, .weekly]')" '[35000,200000]'
	t_eq "$step: the new block holds, the old one is ended" \
		"$(carctl ical car01 car02 | grep -c '^UID:blk-') $(carctl show car02 --json | jq -r '.bookings[] | select(.status == "BLOCKED") | .reservation')" \
		"1 $b2"
	t_eq "$step: dave's key is revoked" "$(carctl key list --json | jq -r 'select(.name == "dave") | .revoked')" true
	# One batch takes them all, once.
	t_eq "$step: the batch committed once" "$(git -C "$H/state" rev-list --count "$head0..HEAD")" 1
	t_eq "$step: state/ holds nothing but .git" "$(state_checkout)" ''
	t_ok "$step: git fsck is clean" git -C "$H/state" fsck --strict
	t_ok "$step: a rebuild from the log gives the same bytes" dispatcher --rebuild
	t_ok "$step: healthy" dispatcher --check
done
done_testing
