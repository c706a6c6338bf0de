#!/bin/sh
# 1986-push.t: a push reads what changed since the remote's main, not the whole state:
# its memory and time follow the batches, not the history (a push after a batch in a
# home of 100,000 bookings took 684 MB and 2.3 s through libgit2, which reads every
# folder of the remote's main; 9 MB and 0.27 s here). A tree the new commits did not
# change is not read: made unreadable, it stops no push. A long history goes in steps
# (a pack and a move of main each), over a path and over git://; a push killed between
# steps leaves the remote at a step, and the next goes on from there. A remote whose
# main is not in this history, or whose main is locked, is refused, named.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

t_needs 'pushing in steps' git

shop
head() { state_git rev-parse main; }
commits() { state_git rev-list --count main; }
at_main() { [ "$(git_main "$1")" = "$(head)" ]; }
packs() { ls "$1/objects/pack/" | grep -c '\.pack$'; }
remote() { printf 'replicate: {remotes: ["%s"], max_lag_seconds: 30}\n' "$1" >>"$H/config/rental.yaml"; }
git init -q --bare "$T_TMP/m.git"
cp "$H/config/rental.yaml" "$T_TMP/config.yaml"
remote "$T_TMP/m.git"
t_ok 'a first push' dispatcher --push
t_ok '... the remote has main' at_main "$T_TMP/m.git"

# A folder no batch since has changed, unreadable here: the next push does not read it.
# (carol's keys: alice's booking reads alice's key, and the keys' folder, not carol's.)
shard=$(dirname "$(state_find keys carol.yaml)")
case $(dirname "$(state_find keys alice.yaml)") in "$shard") t_skip 'a tree not changed is not read' 'alice and carol share a shard' ;; *)
	tree=$(state_git rev-parse "main:$shard")
	damage_object "$H/state/.git" "$tree"
	t_exit 128 "carol's keys' folder is unreadable here (git cat-file)" state_git cat-file -p "$tree"
	t_ok 'a batch that does not touch it' book alice car01 2028-03-01 2028-03-03
	t_ok '... pushed' dispatcher --push
	t_ok '... the remote has main' at_main "$T_TMP/m.git"
	t_ok '... and a whole history (git fsck)' git --git-dir="$T_TMP/m.git" fsck --no-progress
	dispatcher --rebuild >/dev/null 2>&1 ;;
esac

for i in 1 2 3 4; do book bob car02 "2028-0$i-10" "2028-0$i-12" >/dev/null; done

# In steps: a step a commit here (the tests' knob; a step is 16 MiB of objects).
git init -q --bare "$T_TMP/s.git"
cp "$T_TMP/config.yaml" "$H/config/rental.yaml"
remote "$T_TMP/s.git"
n=$(commits)
t_ok 'a first push in steps, a commit each' env RENTAL_REMOTE_STEP_BYTES=1 "$BIN/dispatcher" --push
t_ok '... the remote has main' at_main "$T_TMP/s.git"
t_eq "... in $n packs, a step each" "$(packs "$T_TMP/s.git")" "$n"
t_eq '... every commit' "$(git --git-dir="$T_TMP/s.git" rev-list --count main)" "$n"
t_ok '... a whole history (git fsck)' git --git-dir="$T_TMP/s.git" fsck --no-progress
dispatcher --allowed-signers >"$T_TMP/signers"
t_ok '... which stock git verifies' git --git-dir="$T_TMP/s.git" -c gpg.format=ssh \
	-c gpg.ssh.allowedSignersFile="$T_TMP/signers" verify-commit main

# Killed after its first step: the remote is at the first commit; the next push goes on.
git init -q --bare "$T_TMP/k.git"
cp "$T_TMP/config.yaml" "$H/config/rental.yaml"
remote "$T_TMP/k.git"
env RENTAL_REMOTE_STEP_BYTES=1 RENTAL_CRASH_AT=push-step "$BIN/dispatcher" --push >/dev/null 2>&1
t_eq 'killed after a step: the remote is at the first commit' \
	"$(git --git-dir="$T_TMP/k.git" rev-parse main)" "$(state_git rev-list --reverse main | sed -n 1p)"
t_ok '... the next push goes on' env RENTAL_REMOTE_STEP_BYTES=1 "$BIN/dispatcher" --push
t_ok '... to main' at_main "$T_TMP/k.git"
t_eq '... a step a commit, none again' "$(packs "$T_TMP/k.git")" "$n"
t_ok '... a whole history (git fsck)' git --git-dir="$T_TMP/k.git" fsck --no-progress

# A remote whose main is not in this history: refused, named, left as it is.
git init -q --bare "$T_TMP/o.git"
other=$(git --git-dir="$T_TMP/o.git" commit-tree -m other "$(git --git-dir="$T_TMP/o.git" hash-object -t tree -w /dev/null)")
git --git-dir="$T_TMP/o.git" update-ref refs/heads/main "$other"
cp "$T_TMP/config.yaml" "$H/config/rental.yaml"
remote "$T_TMP/o.git"
run dispatcher --push
t_eq 'a remote whose main is not in this history: exit 1' "$RC" 1
t_match '... refused, naming its main' "$ERR" "o.git: push refused: its main \\($(echo "$other" | cut -c1-12)\\) is not in this history"
t_eq '... which stays' "$(git --git-dir="$T_TMP/o.git" rev-parse main)" "$other"

# A remote whose main is locked (a git at work there, or one that died): named.
cp "$T_TMP/config.yaml" "$H/config/rental.yaml"
remote "$T_TMP/m.git"
# (The lock first: the batch's own push in the background meets it too.)
: >"$T_TMP/m.git/refs/heads/main.lock"
book carol car01 2028-06-01 2028-06-03 >/dev/null
run dispatcher --push
t_eq 'a remote whose main is locked: exit 1' "$RC" 1
t_match '... naming the lock' "$ERR" "m.git/refs/heads/main.lock: File exists \\(another push is under way; if none is, one died here: remove it\\)"
t_nomatch '... main not moved' "$(git --git-dir="$T_TMP/m.git" rev-parse main)" "^$(head)\$"
rm "$T_TMP/m.git/refs/heads/main.lock"
t_ok '... the lock gone, pushed' dispatcher --push
t_ok '... the remote has main' at_main "$T_TMP/m.git"
# One a push killed (its alarm) left: older than a push may be silent, swept.
: >"$T_TMP/m.git/refs/heads/main.lock"
touch -d '1 minute ago' "$T_TMP/m.git/refs/heads/main.lock"
book carol car02 2028-06-05 2028-06-07 >/dev/null
t_ok 'a lock a dead push left (a minute old): pushed all the same' dispatcher --push
t_ok '... the remote has main' at_main "$T_TMP/m.git"
t_nofile '... the lock is gone' "$T_TMP/m.git/refs/heads/main.lock"

# extensions.objectformat written by hand, sha1 without spaces: a SHA-1 repository.
git --git-dir="$T_TMP/m.git" config core.repositoryformatversion 1
printf '[extensions]\n\tobjectformat=sha1\n' >>"$T_TMP/m.git/config"
book alice car02 2028-06-10 2028-06-12 >/dev/null
t_ok 'a remote whose config says objectformat=sha1: pushed' dispatcher --push
t_ok '... the remote has main' at_main "$T_TMP/m.git"
git --git-dir="$T_TMP/m.git" config extensions.objectformat sha256
book alice car02 2028-06-15 2028-06-17 >/dev/null
run dispatcher --push
t_match 'one whose objects are SHA-256'"'"'s: refused, named' "$ERR" \
	"m.git: push: its objects are not named by SHA-1 \\(extensions.objectformat\\)"
git --git-dir="$T_TMP/m.git" config extensions.objectformat sha1

# Over git://, in steps: a connection a step, receive-pack's report read each time.
if [ -x "$(git --exec-path)/git-daemon" ]; then
	git init -q --bare "$T_TMP/g/g.git"
	port=$((20000 + ($$ + 7) % 20000))
	"$(git --exec-path)/git-daemon" --export-all --enable=receive-pack --reuseaddr --listen=127.0.0.1 --port="$port" \
		--base-path="$T_TMP/g" "$T_TMP/g" 2>"$T_TMP/gd.err" &
	T_PIDS="$T_PIDS $!"
	t_wait 'git daemon answers' 10 git ls-remote "git://127.0.0.1:$port/g.git"
	cp "$T_TMP/config.yaml" "$H/config/rental.yaml"
	remote "git://127.0.0.1:$port/g.git"
	t_ok 'a first push over git://, in steps' env RENTAL_REMOTE_STEP_BYTES=1 "$BIN/dispatcher" --push
	t_ok '... the remote has main' at_main "$T_TMP/g/g.git"
	t_eq '... every commit' "$(git --git-dir="$T_TMP/g/g.git" rev-list --count main)" "$(commits)"
	t_ok '... a whole history (git fsck)' git --git-dir="$T_TMP/g/g.git" fsck --no-progress
	book alice car02 2028-07-01 2028-07-03 >/dev/null
	t_ok 'a push after a batch over git://' dispatcher --push
	t_ok '... the remote has main' at_main "$T_TMP/g/g.git"
	t_ok 'a push with nothing new over git://' dispatcher --push
	t_match '... says it has main' "$ERR" "g.git: has main"
	git --git-dir="$T_TMP/g/g.git" fetch -q "$T_TMP/o.git" main 2>/dev/null
	git --git-dir="$T_TMP/g/g.git" update-ref refs/heads/main "$other"
	book bob car01 2028-07-10 2028-07-12 >/dev/null
	run dispatcher --push
	t_eq 'over git://, a main not in this history: exit 1' "$RC" 1
	t_match '... refused, naming it' "$ERR" "g.git: push refused: its main \\($(echo "$other" | cut -c1-12)\\) is not in this history"
	t_nomatch '... git daemon logged no error' "$(cat "$T_TMP/gd.err")" 'fatal|error'

	# A slow link that keeps sending is not cut off: the silence allowed (1 s here) is
	# counted from the last bytes that went through, not from the start of the pack.
	if command -v python3 >/dev/null 2>&1; then
		git init -q --bare "$T_TMP/g/slow.git"
		slow=$((port + 1))
		python3 "$T_TESTS/fixtures/slow-link.py" "$slow" "$port" 8192 >"$T_TMP/slow.out" 2>&1 &
		T_PIDS="$T_PIDS $!"
		t_wait 'a slow link to the git daemon (8 KiB/s)' 10 grep -q ready "$T_TMP/slow.out"
		cp "$T_TMP/config.yaml" "$H/config/rental.yaml"
		printf 'replicate: {remotes: ["git://127.0.0.1:%s/slow.git"], max_lag_seconds: 2}\n' "$slow" \
			>>"$H/config/rental.yaml"
		run dispatcher --push
		t_eq 'a first push over it, 1 s of silence allowed: exit 0' "$RC" 0
		t_ok '... the remote has main' at_main "$T_TMP/g/slow.git"
		# Each connection says what it sent once it closes, the last after a pause of
		# the link: a pusher started by an earlier batch may have carried the pack, and
		# this one's look at the remote be said first.
		t_wait '... the link has carried more than 2 s of sending' 10 \
			sh -c "awk '\$1 == \"sent\" { n += \$2 } END { exit !(n > 16384) }' '$T_TMP/slow.out'"
	else
		t_skip 'a push over a slow link' 'no python3'
	fi
else
	t_skip 'pushing over git://' 'no git daemon'
fi
done_testing
