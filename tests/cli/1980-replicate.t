#!/bin/sh
# 1980-replicate.t: `replicate: {remotes: [...], max_lag_seconds: N}`: after each batch
# the dispatcher pushes main to every remote (a path, a file:// URL) in the background;
# a remote that never answers delays no batch and is reported by --push and --check
# (exit 1, naming it) once it lags more than max_lag_seconds; it catches up when it
# answers again. Stock git verifies what a remote received.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

if ! command -v git >/dev/null 2>&1 || ! command -v mkfifo >/dev/null 2>&1; then
	t_skip 'pushing to remotes' 'no git or mkfifo'
	done_testing
fi

shop
head() { state_git rev-parse main; }
git init -q --bare "$T_TMP/m1.git"
git init -q --bare "$T_TMP/m2.git"
# A remote that never answers: a repository whose config is a FIFO no one writes,
# on which a push blocks as on a dead link.
git init -q --bare "$T_TMP/dead.git"
rm "$T_TMP/dead.git/config"
mkfifo "$T_TMP/dead.git/config"
printf 'replicate: {remotes: [%s, "file://%s", %s], max_lag_seconds: 4}\n' \
	"$T_TMP/m1.git" "$T_TMP/m2.git" "$T_TMP/dead.git" >>"$H/config/rental.yaml"

t_ok 'carctl add with three remotes' carctl --as admin add car03 --rate 100
t0=$(date +%s%N)
t_ok '... dispatcher --once' dispatcher --once
t1=$(date +%s%N)
t_eq '... returns at once, though a remote never answers' "$(( (t1 - t0) / 1000000 < 1500 ))" 1
t_wait 'the path remote gets main' 10 sh -c "[ \"\$(git --git-dir='$T_TMP/m1.git' rev-parse -q --verify main)\" = '$(head)' ]"
t_wait 'the file:// remote gets main' 10 sh -c "[ \"\$(git --git-dir='$T_TMP/m2.git' rev-parse -q --verify main)\" = '$(head)' ]"
t_nofile 'the dead one has nothing' "$T_TMP/dead.git/refs/heads/main"

# Stock git verifies what a remote received.
dispatcher --allowed-signers >"$T_TMP/signers"
if command -v ssh-keygen >/dev/null 2>&1; then
	t_ok 'git verify-commit on the remote' git --git-dir="$T_TMP/m1.git" -c gpg.format=ssh \
		-c gpg.ssh.allowedSignersFile="$T_TMP/signers" verify-commit main
else
	t_skip 'git verify-commit on the remote' 'no ssh-keygen'
fi

# Batches go on; each lands on the live remotes.
for i in 1 2 3; do
	t0=$(date +%s%N)
	book alice car01 "2028-0$i-01" "2028-0$i-03" >/dev/null
	t1=$(date +%s%N)
	t_eq "batch $i: reserve and dispatch do not wait for the dead remote" "$(( (t1 - t0) / 1000000 < 1500 ))" 1
done
t_wait '... the path remote has every batch' 10 sh -c "[ \"\$(git --git-dir='$T_TMP/m1.git' rev-parse -q --verify main)\" = '$(head)' ]"
t_eq '... 8 commits there, as on main' "$(git --git-dir="$T_TMP/m1.git" rev-list --count main)" \
	"$(state_git rev-list --count main)"

# --push: a line a remote, exit 1 for the one that fails.
run dispatcher --push
t_eq 'dispatcher --push: exit 1, a remote failed' "$RC" 1
t_match '... the path remote has main' "$ERR" "^dispatcher: $T_TMP/m1.git: has main \\($(head | cut -c1-12)\\)"
t_match '... the dead one did not answer' "$ERR" "^dispatcher: $T_TMP/dead.git: push: no answer for 2 s"

# --check: healthy until the dead remote lags more than max_lag_seconds.
t_wait '--check fails once the dead remote lags more than 4 s' 20 sh -c '! "$1" --check 2>/dev/null' - "$BIN/dispatcher"
run dispatcher --check
t_eq '... exit 1' "$RC" 1
t_match '... naming it, how far behind and why' "$ERR" \
	"replicate: $T_TMP/dead.git lags [0-9]+ s behind main \\([0-9]+ commits, never pushed; max_lag_seconds 4\\): push: no answer for 2 s"
t_nomatch '... and not the others' "$ERR" 'm1\.git|m2\.git'

# It answers again: it catches up at the next batch.
rm "$T_TMP/dead.git/config"
git init -q --bare "$T_TMP/dead.git"
book bob car02 2028-05-01 2028-05-03 >/dev/null
t_wait 'the remote that answers again catches up after the next batch' 15 \
	sh -c "[ \"\$(git --git-dir='$T_TMP/dead.git' rev-parse -q --verify main)\" = '$(head)' ]"
t_wait '... and --check is healthy again' 10 dispatcher --check

# A rebuild that mends a record makes a commit, and an upgrade does: it reaches the
# remotes at once, not at the next batch (a desk quiet for hours kept them behind).
state_put management/stray "x: 1
"
run dispatcher --rebuild
t_eq 'a rebuild that mends: exit 1 (it found a difference)' "$RC" 1
t_match '... and repaired it' "$ERR" 'rebuild: 1 differences repaired'
t_wait '... its commit reaches the remotes without a batch' 10 \
	sh -c "[ \"\$(git --git-dir='$T_TMP/m1.git' rev-parse -q --verify main)\" = '$(head)' ]"
t_wait '... every one' 10 \
	sh -c "[ \"\$(git --git-dir='$T_TMP/dead.git' rev-parse -q --verify main)\" = '$(head)' ]"

# A --push that waits for another pusher longer than it may is busy, not a failure
# of the remote: m1's lock held 7 s (2 x 2 s is the wait).
for f in "$H"/state/.git/rental-replicate/*; do
	case $f in *.lock) ;; *) grep -q "^url: \"$T_TMP/m1.git\"\$" "$f" && m1=$f ;; esac
done
flock -x "$m1.lock" sleep 7 &
T_PIDS="$T_PIDS $!"
sleep 0.3
book bob car02 2028-05-10 2028-05-12 >/dev/null
run dispatcher --push
t_eq 'a --push that waits too long for another pusher: exit 0' "$RC" 0
t_match '... says another process pushes to it' "$ERR" "^dispatcher: $T_TMP/m1.git: another process is pushing to it$"
t_nomatch '... not that it failed' "$ERR" 'm1\.git: push'
t_nomatch '... and writes no error in its record' "$(cat "$m1")" '^error:'
wait
t_ok 'once the other is done, --push gives it main' dispatcher --push
t_match '... which it has' "$ERR" "^dispatcher: $T_TMP/m1.git: has main \\($(head | cut -c1-12)\\)"

# A remote that lost main since the last push (deleted by hand): --push, asked for,
# pushes all the same, whatever the record of the last push says.
git --git-dir="$T_TMP/m1.git" update-ref -d refs/heads/main
t_ok 'a remote that lost main: --push' dispatcher --push
t_eq '... gives it main again' "$(git --git-dir="$T_TMP/m1.git" rev-parse -q --verify main)" "$(head)"

# The daemon pushes after each batch too, and says once that a remote fails.
rm -rf "$T_TMP/dead.git"
"$BIN/dispatcher" 2>"$T_TMP/daemon.err" </dev/null &
pid=$!
T_PIDS="$T_PIDS $pid"
for i in 6 7; do
	reserve --as carol car02 --from "2028-0$i-01" --to "2028-0$i-03" >/dev/null 2>&1
	t_wait "daemon: batch $i reaches the path remote" 15 \
		sh -c "[ \"\$(git --git-dir='$T_TMP/m1.git' rev-parse -q --verify main)\" = \"\$(git --git-dir='$H/state/.git' rev-parse main)\" ]"
done
# A remote that loses main while nothing happens (emptied, replaced, set back): the
# daemon looks at each remote again every half of max_lag_seconds (2 s here), not
# only after a batch, and gives it main again. It waited for the next batch.
git --git-dir="$T_TMP/m1.git" update-ref -d refs/heads/main
t_wait 'daemon: a remote that lost main while idle is given it again' 15 \
	sh -c "[ \"\$(git --git-dir='$T_TMP/m1.git' rev-parse -q --verify main)\" = \"\$(git --git-dir='$H/state/.git' rev-parse main)\" ]"
git --git-dir="$T_TMP/m1.git" update-ref refs/heads/main "$(git --git-dir="$H/state/.git" rev-parse main~2)"
t_wait '... and one set back' 15 \
	sh -c "[ \"\$(git --git-dir='$T_TMP/m1.git' rev-parse -q --verify main)\" = \"\$(git --git-dir='$H/state/.git' rev-parse main)\" ]"
# One replaced by a repository of another history: no push mends it, and --check
# says so once it has failed for longer than max_lag_seconds, though the record of
# the last push had main.
rm -rf "$T_TMP/m1.git" && git init -q --bare "$T_TMP/m1.git"
git -C "$T_TMP" init -q other && git -C "$T_TMP/other" -c user.name=x -c user.email=x@x commit -q --allow-empty -m x
git -C "$T_TMP/other" push -q "$T_TMP/m1.git" HEAD:main
t_wait '--check: a remote of another history, failing past max_lag_seconds, unhealthy' 20 \
	sh -c "'$BIN/dispatcher' --check 2>&1 | grep -q 'm1.git: failing for'"
run dispatcher --check
t_match '... naming it and why' "$ERR" "replicate: $T_TMP/m1.git: failing for [0-9]+ s .*not in this history"
t_stop_daemon "$pid" 0
t_eq '... and logs the failing remote once' "$(grep -c "dead.git: push" "$T_TMP/daemon.err")" 1
t_match '... saying why' "$(cat "$T_TMP/daemon.err")" "dead.git: push: no repository there: No such file or directory"

done_testing
