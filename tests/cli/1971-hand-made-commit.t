#!/bin/sh
# 1971-hand-made-commit.t: a commit on main that the dispatcher did not make (a
# person's `git commit` in state/, unsigned or signed by another key). A replica checks
# every commit's signature and would take neither it nor any commit on it, for good:
# so no batch is committed on it (its events wait in the spool, nothing lost), no push
# sends it, and --check says what it is and what to do. `dispatcher --rebuild` takes
# it out: the state made again from the log, committed on the last commit the
# dispatcher signed, which every replica holds or can follow.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

for tool in git ssh-keygen; do
	if ! command -v $tool >/dev/null 2>&1; then
		t_skip 'a hand-made commit on main' "no $tool"
		done_testing
	fi
done

# unsigned_commits: how many commits of main stock git does not verify as the dispatcher's.
unsigned_commits() {
	state_git -c gpg.format=ssh -c gpg.ssh.allowedSignersFile="$T_TMP/signers" log --format=%G? main |
		grep -vc '^G$'
}

shop
dispatcher --allowed-signers >"$T_TMP/signers"
r1=$(book alice car01 2028-08-06 2028-08-08)
M=$T_TMP/mirror.git
git init -q --bare "$M"
printf 'replicate: {remotes: ["%s"], max_lag_seconds: 30}\n' "$M" >>"$RENTAL_HOME/config/rental.yaml"
t_ok 'a mirror gets main' dispatcher --push
signed=$(git_main "$RENTAL_HOME/state/.git")
t_eq '... the last signed commit' "$(git_main "$M")" "$signed"

# A person's commit: reservation/cursor set back by hand, unsigned (a batch on it would
# apply the log's events to the reservation context again).
state_put_by_hand reservation/cursor 'seq: 1
'
hand=$(git_main "$RENTAL_HOME/state/.git")
r2=$(reserve --as bob car02 --from 2028-08-06 --to 2028-08-08)
run dispatcher --once
t_eq 'a batch on a commit the dispatcher did not sign: exit 65' "$RC" 65
t_match '... naming it and what to do' "$ERR" \
	"main's commit ${hand%"${hand#????????????}"} is not signed by this home's dispatcher \\(made by hand\\?\\): no batch is committed on it.*dispatcher --rebuild"
t_eq '... main unmoved' "$(git_main "$RENTAL_HOME/state/.git")" "$hand"
t_eq '... the event waits in the spool' "$(spool_count new)" 1
run dispatcher --check
t_eq '--check: unhealthy (exit 1)' "$RC" 1
t_match '... saying why' "$ERR" "main's commit ${hand%"${hand#????????????}"} is not signed by this home's dispatcher"
run dispatcher --push
t_eq '--push: refused (exit 1)' "$RC" 1
t_match '... saying why' "$ERR" "push: main's commit ${hand%"${hand#????????????}"} is not signed by this home's dispatcher"
t_eq '... the mirror keeps the last signed commit' "$(git_main "$M")" "$signed"

run dispatcher --rebuild
t_eq '--rebuild: repairs (exit 1)' "$RC" 1
t_match '... says it takes the commit out' "$ERR" \
	"main's commit ${hand%"${hand#????????????}"}, not signed by this home's dispatcher \\(made by hand\\?\\), is taken out: main is set back to ${signed%"${signed#????????????}"}, the last commit it signed$"
t_match '... counted as a difference repaired' "$ERR" '^dispatcher: rebuild: 1 differences repaired$'
t_eq '... main is the last signed commit again' "$(git_main "$RENTAL_HOME/state/.git")" "$signed"
t_fail '... the hand-made commit is not in main'"'"'s history' state_git merge-base --is-ancestor "$hand" main
t_eq '... the cursor as the log makes it' "$(state_cat reservation/cursor)" "$(git --git-dir="$RENTAL_HOME/state/.git" cat-file blob "$signed:reservation/cursor")"
t_ok 'the waiting batch is committed now' dispatcher --once
t_eq '... its booking applied' "$(status_of "$r2")" RESERVED
t_eq '... the first one as before' "$(status_of "$r1")" RESERVED
t_ok '--check: healthy' dispatcher --check
t_ok '--push' dispatcher --push
t_eq '... the mirror follows (a fast forward)' "$(git_main "$M")" "$(git_main "$RENTAL_HOME/state/.git")"

# A commit signed by another key is no more the dispatcher's.
ssh-keygen -q -t ed25519 -N '' -C other -f "$T_TMP/other.ssh" </dev/null
before=$(git_main "$RENTAL_HOME/state/.git")
forge_commit "$RENTAL_HOME/state/.git" "100644 $(blob_of "$RENTAL_HOME/state/.git" junk)	junk" "$T_TMP/other.ssh" >/dev/null
other=$(git_main "$RENTAL_HOME/state/.git")
reserve --as carol car01 --from 2028-09-06 --to 2028-09-08 >/dev/null
run dispatcher --once
t_eq 'a batch on a commit signed by another key: exit 65' "$RC" 65
t_match '... naming it' "$ERR" "main's commit ${other%"${other#????????????}"} is not signed by this home's dispatcher"
t_exit 1 '--rebuild takes it out' dispatcher --rebuild
t_eq '... main is the last signed commit again' "$(git_main "$RENTAL_HOME/state/.git")" "$before"
t_ok '... and the file it added is gone' sh -c '! git --git-dir="$1" cat-file -e main:junk 2>/dev/null' - "$RENTAL_HOME/state/.git"
t_ok 'the batch goes on' dispatcher --once
t_eq 'every commit of main verifies' "$(unsigned_commits)" 0

# The daemon: says it once (not at every wake), pushes nothing, and goes on after
# a rebuild; its events wait meanwhile.
state_put_by_hand junk 'junk
'
hand=$(git_main "$RENTAL_HOME/state/.git")
mirrored=$(git_main "$M")
"$BIN/dispatcher" 2>"$T_TMP/daemon.err" &
pid=$!
T_PIDS="$T_PIDS $pid"
reserve --as alice car02 --from 2028-10-06 --to 2028-10-08 >/dev/null
sleep 12 # two polls of five seconds past the first wake
t_eq 'the daemon says once that main is not its own, for its batches and its pushes' \
	"$(grep -c "main's commit ${hand%"${hand#????????????}"} is not signed.*: no batch is committed on it" "$T_TMP/daemon.err"):$(
	grep -c "mirror.git: push: main's commit ${hand%"${hand#????????????}"} is not signed.*: not pushed" "$T_TMP/daemon.err")" 1:1
t_eq '... the event waits' "$(spool_count new)" 1
t_eq '... the mirror has no commit of it' "$(git_main "$M")" "$mirrored"
t_stop_daemon "$pid" 0
t_exit 1 '--rebuild takes it out' dispatcher --rebuild
"$BIN/dispatcher" 2>>"$T_TMP/daemon.err" &
pid=$!
T_PIDS="$T_PIDS $pid"
t_wait '... the daemon applies the event' 15 sh -c '[ "$(ls "$1")" = "" ]' - "$RENTAL_HOME/spool/new"
t_wait '... and the mirror gets main' 15 sh -c '[ "$(git --git-dir="$1" rev-parse main)" = "$(git --git-dir="$2" rev-parse main)" ]' \
	- "$M" "$RENTAL_HOME/state/.git"
# A commit made by hand while the daemon runs: its next batch reads main again, and
# commits nothing on it (it committed on its own last commit, dropping the other).
state_put_by_hand junk 'junk
'
hand=$(git_main "$RENTAL_HOME/state/.git")
reserve --as bob car01 --from 2028-12-06 --to 2028-12-08 >/dev/null
t_wait '... a commit by hand while it runs: it says so' 15 grep -q \
	"main's commit ${hand%"${hand#????????????}"} is not signed.*: no batch is committed on it" "$T_TMP/daemon.err"
t_eq '... main unmoved' "$(git_main "$RENTAL_HOME/state/.git")" "$hand"
t_stop_daemon "$pid" 0
t_exit 1 '--rebuild takes it out' dispatcher --rebuild
t_ok '... and the event is applied' dispatcher --once
t_eq 'every commit of main verifies' "$(unsigned_commits)" 0

# What a hand-made commit holds judges nothing: an event waiting is not admitted on it
# (alice's key removed by hand: it was quarantined as "unknown key", and lost).
r3=$(reserve --as alice car02 --from 2028-11-06 --to 2028-11-08)
state_rm_by_hand "$(state_ls keys/ | grep '/alice\.yaml$')"
run dispatcher --once
t_eq 'a batch on a commit that removed a key by hand: exit 65' "$RC" 65
t_eq '... nothing quarantined' "$(spool_count bad)" 0
t_eq '... the event waits' "$(spool_count new)" 1
t_exit 1 '--rebuild takes the commit out' dispatcher --rebuild
t_ok '... and the event is applied' dispatcher --once
t_eq '... its booking' "$(status_of "$r3")" RESERVED

# The dispatcher's own key record changed by hand: it is named as the hand-made commit
# it is (not "not the key the log registers"), and --rebuild takes it out.
dk=$(state_ls keys/ | grep '/dispatcher\.yaml$')
state_put_by_hand "$dk" "$(state_cat "$dk" | sed 's/^pubkey: .*/pubkey: AAAAC3NzaC1lZDI1NTE5AAAAIGfakefakefakefakefakefakefakefakefakefakefa=/')
"
hand=$(git_main "$RENTAL_HOME/state/.git")
run dispatcher --check
t_match '--check on a commit that changed the dispatcher'"'"'s key record: names it' "$ERR" \
	"main's commit ${hand%"${hand#????????????}"} is not signed by this home's dispatcher"
t_nomatch '... not the key file' "$ERR" 'not the key the log registers'
t_exit 1 '--rebuild takes it out' dispatcher --rebuild
t_ok '--check: healthy' dispatcher --check

# The layout changed by hand: every command says to upgrade; --upgrade takes the
# commit out first (it committed on it, and replicas refused the history for good).
signed=$(git_main "$RENTAL_HOME/state/.git")
state_put_by_hand layout 'version: 6
'
t_exit 78 'the layout set back by hand: --once says to upgrade' dispatcher --once
t_exit 1 '--upgrade: a difference repaired (exit 1)' dispatcher --upgrade
t_match '... takes the commit out first' "$ERR" "is taken out: main is set back to ${signed%"${signed#????????????}"}"
t_eq '... main is the last signed commit' "$(git_main "$RENTAL_HOME/state/.git")" "$signed"
t_eq 'every commit of main verifies' "$(unsigned_commits)" 0

# Commits not signed that add entries to the log are events, not a person's edit (a
# release that did not sign?): a rebuild does not drop them, and says so.
head=$(state_cat log/head | sed 's/seq: //')
state_put_by_hand log/head "seq: $((head + 1))
"
run dispatcher --rebuild
t_eq 'a commit not signed that adds to the log: --rebuild refuses (65)' "$RC" 65
t_match '... saying why' "$ERR" "add entries $((head + 1)) to $((head + 1)) to the log: events are not taken out"
t_eq '... main unmoved' "$(state_cat log/head)" "seq: $((head + 1))"
state_git update-ref refs/heads/main "$signed"

# A mirror that was given a hand-made commit (git push by hand) before a rebuild took
# it out: the push says what it is.
state_put_by_hand junk 'junk
'
hand=$(git_main "$RENTAL_HOME/state/.git")
state_git push -q "$M" main 2>/dev/null
t_eq 'a hand-made commit pushed by hand to the mirror' "$(git_main "$M")" "$hand"
t_exit 1 '--rebuild takes it out here' dispatcher --rebuild
run dispatcher --push
t_eq '--push refused (exit 1)' "$RC" 1
t_match '... saying what the remote holds' "$ERR" \
	"push refused: its main \\(${hand%"${hand#????????????}"}\\) is a commit this home's dispatcher did not sign, not in this history"
git --git-dir="$M" update-ref refs/heads/main "$signed"
t_ok '... the mirror set back by hand: --push' dispatcher --push

# main deleted by hand: a batch would begin another history beside the one the
# repository holds (a daemon did, and quarantined the waiting event as an unknown key).
kept=$(git_main "$RENTAL_HOME/state/.git")
r4=$(reserve --as alice car01 --from 2029-01-06 --to 2029-01-08)
state_git update-ref -d refs/heads/main
run dispatcher --once
t_eq 'main deleted by hand: --once refuses (65)' "$RC" 65
t_match '... saying why' "$ERR" 'main names no commit, yet the repository holds a history'
t_eq '... nothing quarantined, the event waits' "$(spool_count bad):$(spool_count new)" 0:1
t_exit 1 '... --check says so' dispatcher --check
t_exit 65 '... --rebuild too' dispatcher --rebuild
state_git update-ref refs/heads/main "$kept"
t_ok '... main set back: the batch goes on' dispatcher --once
t_eq '... its booking' "$(status_of "$r4")" RESERVED

# A daemon whose lock file was replaced while it slept, and a --once that worked
# meanwhile: the daemon reads the state again (it kept what it had read of the commit
# before, and wrote its next event over the other's log entry: lost).
"$BIN/dispatcher" 2>"$T_TMP/daemon2.err" &
pid=$!
T_PIDS="$T_PIDS $pid"
sleep 2
kill -STOP "$pid"
rm "$RENTAL_HOME/state/.git/rental.lock"
r5=$(reserve --as alice car01 --from 2029-02-06 --to 2029-02-08)
dispatcher --once >/dev/null 2>&1
kill -CONT "$pid"
sleep 2
r6=$(reserve --as bob car02 --from 2029-02-06 --to 2029-02-08)
t_wait 'the daemon applies the next event' 15 sh -c '[ -z "$(ls "$1")" ]' - "$RENTAL_HOME/spool/new"
t_stop_daemon "$pid" 0
t_eq '... both events logged once' "$(log_count_id "$r5"):$(log_count_id "$r6")" 1:1
t_ok '... --rebuild finds nothing' dispatcher --rebuild

# A commit made by hand while a batch runs (here while it opens main's lock): the batch
# does not move main over it (it did, and the commit was dropped without a word).
if command -v strace >/dev/null 2>&1; then
	r7=$(reserve --as alice car01 --from 2029-03-06 --to 2029-03-08)
	# (LeakSanitizer cannot run under ptrace: it would end the run with 1)
	ASAN_OPTIONS=$ASAN_OPTIONS:detect_leaks=0 strace -f -qq -o /dev/null \
		-P "$RENTAL_HOME/state/.git/refs/heads/main.lock" -e trace=openat -e inject=openat:delay_enter=3000000 \
		"$BIN/dispatcher" --home "$RENTAL_HOME" --once 2>"$T_TMP/mid.err" &
	spid=$!
	sleep 1.5
	state_put_by_hand junk 'mid
'
	hand=$(git_main "$RENTAL_HOME/state/.git")
	wait "$spid"
	t_eq 'a commit by hand while a batch runs: the batch is not committed (75)' "$?" 75
	t_match '... saying why' "$(cat "$T_TMP/mid.err")" 'main moved while the batch ran'
	t_eq '... main is the commit made by hand' "$(git_main "$RENTAL_HOME/state/.git")" "$hand"
	t_eq '... the event waits' "$(spool_count new)" 1
	t_exit 1 '--rebuild takes the commit out' dispatcher --rebuild
	t_ok '... and the event is applied' dispatcher --once
	t_eq '... its booking' "$(status_of "$r7")" RESERVED
else
	t_skip 'a commit by hand while a batch runs' 'no strace'
fi

# A rebuild with nothing made by hand stays on main.
head=$(git_main "$RENTAL_HOME/state/.git")
t_ok '--rebuild of a healthy home' dispatcher --rebuild
t_eq '... commits nothing' "$(git_main "$RENTAL_HOME/state/.git")" "$head"
done_testing
