#!/bin/sh
# 1972-main-set-back.t: main set back by hand (git update-ref main main~1) to a commit
# the dispatcher signed dropped the events logged after it, silently: --check said
# healthy, --rebuild found 0 differences, and the next batch committed on it (a paid
# booking was RESERVED again, its payment in no log entry). The dispatcher keeps how far
# it has committed the log, and refuses (65) a main whose log ends before that, naming
# the commit to set main to; an operator who means to go on from the older state
# removes the mark.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

shop
res=$(book alice car01 "$(day 10)" "$(day 12)")
pid=$(paid alice "$res")
t_eq 'a paid booking' "$(log_count_id "$pid")" 1
top=$(state_git rev-parse main)
state_git update-ref refs/heads/main main~1
t_eq 'main set back by hand: the payment is in no log entry' "$(log_count_id "$pid")" 0

reserve --as bob car02 --from "$(day 20)" --to "$(day 21)" >/dev/null
t_refuse 65 'a batch on it: refused' dispatcher --once
t_match '... saying main was set back, and to what' "$ERR" "main's log ends at entry [0-9]+, but this dispatcher committed entries up to [0-9]+, at commit ${top%"${top#????????????}"}"
t_match '... and how to set it forward' "$ERR" "git update-ref refs/heads/main $top"
t_eq '... the event waits' "$(spool_count new)" 1
t_refuse 1 '--check: unhealthy' dispatcher --check
t_match '... naming it' "$ERR" 'main was set back'
t_refuse 65 '--rebuild: refused too (it found 0 differences and committed on it)' dispatcher --rebuild
t_match '... naming the commit, with the repository to run git in' "$ERR" "git --git-dir=$H/state/.git update-ref refs/heads/main $top"

# A mirror that has the commit main is to be set forward to: --push said its main "is
# not in this history", as of a stranger's repository; it is this home's, ahead.
git init -q --bare "$T_TMP/m.git"
git --git-dir="$H/state/.git" push -q "$T_TMP/m.git" "$top:refs/heads/main"
cp "$H/config/rental.yaml" "$T_TMP/config.yaml"
printf 'replicate: {remotes: ["%s"]}\n' "$T_TMP/m.git" >>"$H/config/rental.yaml"
run dispatcher --push
t_eq '--push to a mirror ahead of main set back: exit 1' "$RC" 1
t_match '... saying the mirror holds what main was set back from' "$ERR" \
	"m.git: push refused: its main \\(${top%"${top#????????????}"}\\) is a commit of this home's dispatcher that main no longer holds: main was set back"
t_eq '... the mirror keeps its main' "$(git_main "$T_TMP/m.git")" "$top"
cp "$T_TMP/config.yaml" "$H/config/rental.yaml"

state_git update-ref refs/heads/main "$top"
t_ok 'main set forward again: --check is healthy at once (it repeated the refused batch)' dispatcher --check
t_ok '... the batch goes on' dispatcher --once
t_eq '... the payment is logged once' "$(log_count_id "$pid")" 1
t_eq '... nothing waits' "$(spool_count new)" 0
t_ok '... healthy' dispatcher --check

# The ref file put back from a copy that kept its time (cp -p, tar, rsync -a): the
# last batch's pack, still marked pending, was swept as a dead batch's when the lock
# was taken, and the commit the refusal names was gone for good.
cp -p "$H/state/.git/refs/heads/main" "$T_TMP/main.bak"
sleep 1
res2=$(book alice car01 "$(day 30)" "$(day 31)")
top2=$(state_git rev-parse main)
cp -p "$T_TMP/main.bak" "$H/state/.git/refs/heads/main"
reserve --as bob car02 --from "$(day 40)" --to "$(day 41)" >/dev/null
t_refuse 65 'the ref put back with its old time: refused' dispatcher --once
t_eq '... the commit it names is still there' "$(state_git cat-file -t "$top2" 2>&1)" commit
t_ok '... main set forward to it' state_git update-ref refs/heads/main "$top2"
t_ok '... the batch goes on' dispatcher --once
t_eq '... the booking is there' "$(status_of "$res2")" RESERVED

# On purpose: the mark removed, the older state is gone on from.
state_git update-ref refs/heads/main main~1
rm -f "$H/state/.git/rental-logged"
t_ok 'the mark removed: a batch goes on from the older state' dispatcher --once
t_ok '... healthy' dispatcher --check
# A rebuild's commit is noted as a batch's is: main set back past it names it (it named
# the batch before, and setting main there undid the rebuild's repair).
res3=$(book alice car01 "$(day 50)" "$(day 51)")
state_put management/stray "x: 1
"
run dispatcher --rebuild
t_eq 'a rebuild repairs a stray record: exit 1' "$RC" 1
rb=$(state_git rev-parse main)
state_git update-ref refs/heads/main main~3
t_refuse 65 '... main set back past it: refused' dispatcher --once
t_match '... naming the rebuild'"'"'s commit' "$ERR" "update-ref refs/heads/main $rb"
done_testing
