#!/bin/sh
# 2066-rules-in-the-log.t: from layout 9 on, the rules an event is decided by are logged with
# the day it is admitted ("SEQ DAY 1"), so that a rebuild decides it as it was decided,
# whatever day a home began to run them. The home of the release before (tests/fixtures/
# home-2026-12-08.tgz, made by the script beside it: layout 8, its log without rules)
# paid a stay that had ended, and refunded an overdue rental, on days after this
# release's: its rebuild finds them as they were, and until it is upgraded it is run by
# those rules. Refusals a batch logs keep their words: carctl rm's names the booking
# that holds the car only as the command says it.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

if ! has_faketime; then
	t_skip 'rules in the log' 'faketime is missing (Debian package faketime)'
	done_testing
fi
# rules_lines: the log's admitted lines that name their rules.
rules_lines() { state_grep log/ -h -E -e '^[0-9]{12} [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]+$'; }
res_of() { reserve --as admin list --json | jq -r "select(.car == \"$1\") | .reservation" | head -n 1; }

old_home before 2026-12-08
r1=$(res_of car1) r2=$(res_of car2) r3=$(res_of car3)
t_eq 'the release before refunded an overdue rental' "$(status_of "$r1")" PAYMENT_CANCELED
t_eq '... and took the payment of a stay that had ended, returned late' "$(status_of "$r2")" RETURNED
t_eq '... 4 late nights x 500' "$(rent --as admin list --json | jrow reservation "$r2" | jget late_fee)" 2000
t_eq '... its log names no rules' "$(rules_lines | wc -l | tr -d ' ')" 0
t_eq '... in layout 8' "$(state_cat layout)" 'version: 8'
t_ok 'dispatcher --rebuild' dispatcher --rebuild
t_eq '... decides them as they were decided' "$ERR" 'dispatcher: rebuild: 0 differences, state matches the log'

# carctl rm of car3, refused when applied: the log's words; the command's name the booking.
t_match 'the refusal the release before logged' "$(state_grep log/ -h -e '^reason: ' | grep car3)" \
	'cannot be deleted"$'
t_refuse 1 'carctl rm car3, now' carctl --as admin rm car3
t_match '... names the booking that holds it' "$ERR" "cannot be deleted: $r3 \\(RESERVED, "

# Until upgraded, the home (layout 8) is run as the release before ran it: what it
# admits names no rules and is decided by the rules before them, by its commands too,
# so that the release before can still run it, follow it and rebuild it.
d0=$(day 0) d1=$(day 1)
ro=$(book alice car1 "$d0" "$d1")
paid alice "$ro" >/dev/null
t_ok 'layout 8: three days on, the command lets an overdue payment be canceled' \
	faketime -f '+3d' "$BIN/pay" --as alice cancel "$ro"
dispatch_later 3
t_eq '... and it is applied: PAYMENT_CANCELED' "$(status_of "$ro")" PAYMENT_CANCELED
t_eq '... its log still names no rules' "$(rules_lines | wc -l | tr -d ' ')" 0
t_ok 'dispatcher --upgrade' dispatcher --upgrade
t_eq '... to layout 10, moving nothing but the layout record' "$ERR" 'dispatcher: upgrade: layout 10, 1 records moved or rewritten'

# What it admits from now on carries its rules, and is decided by them.
ra=$(book alice car1 "$d0" "$d1")
paid alice "$ra" >/dev/null
t_refuse 1 'layout 10: three days on, the command refuses' faketime -f '+3d' "$BIN/pay" --as alice cancel "$ra"
t_ok 'a cancel written while the stay is on' pay --as alice cancel "$ra"
dispatch_later 3
t_eq '... applied once overdue: refused, still RENTED' "$(status_of "$ra")" RENTED
t_match '... every event admitted now names rules 1' "$(rules_lines | awk '{ print $3 }' | sort -u)" '^1$'
t_eq '... the reservation, its outcome, the payment, its outcome, the cancel, its refusal' \
	"$(rules_lines | wc -l | tr -d ' ')" 6
t_ok 'dispatcher --rebuild' dispatcher --rebuild
t_eq '... decides the old and the new each by its rules' "$ERR" 'dispatcher: rebuild: 0 differences, state matches the log'

# A replica keeps the rules the primary logged.
R=$T_TMP/replica
t_ok 'a replica of it' carctl init --replica "$H/state" "$R"
t_ok '... follows it' dispatcher --home "$R" --once
t_eq '... its log names the same rules' \
	"$(git --git-dir="$R/state/.git" grep -h -E -e '^[0-9]{12} [0-9]{4}-[0-9]{2}-[0-9]{2} 1$' main -- log/ | wc -l | tr -d ' ')" 6
t_eq '... and says what the home says' "$(reserve --home "$R" --as admin list --json)" "$(reserve --as admin list --json)"

# Rules this release does not know (a newer one's), or that are no number: the log is
# not misread (last: lines put by hand are a history no replica follows).
adm=$(state_ls log/ | grep '/admitted$' | tail -n 1)
for r in 2 0 2147483649 1x; do
	state_put "$adm" "$(state_cat "$adm" | sed "\$s/ [^ ]*\$/ $r/")
"
	t_fail "an admitted line naming rules $r: dispatcher --rebuild stops" dispatcher --rebuild
	case $r in
	2) t_match '... saying which, and what to run' "$ERR" "decided by rules 2, which this release does not know \(it knows up to 1\): run a newer release" ;;
	*) t_match '... saying the line is damaged' "$ERR" 'damaged: its admitted line names no rules' ;;
	esac
done
state_put "$adm" "$(state_cat "$adm" | sed "\$s/ [^ ]*\$/ 1/")
"
t_ok '... as it was: dispatcher --rebuild' dispatcher --rebuild

done_testing
