#!/bin/sh
# 0900-dispatcher.t: dispatcher --once (summary), --check, --rebuild.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

have_git=
command -v git >/dev/null 2>&1 && have_git=1

scratch_home

# --once
t_ok '--once on an empty spool' dispatcher --once
t_eq '... prints nothing on stdout' "$OUT" ''
t_eq '... and the summary on stderr' "$ERR" 'dispatcher: applied 0, skipped 0, quarantined 0, held 0'
carctl --as admin add car01 --rate 50000 --model Avante >/dev/null
carctl --as admin add car00 --rate 50000 >/dev/null
[ -n "$have_git" ] && commits=$(git -C "$H/state" rev-list --count HEAD)
t_ok '--once with two events' dispatcher --once
t_eq '... summary: applied 2' "$ERR" 'dispatcher: applied 2, skipped 0, quarantined 0, held 0'
t_eq 'spool/new is empty' "$(spool_count new)" 0
t_eq 'spool/tmp is empty' "$(spool_count tmp)" 0
t_eq 'spool/bad is empty' "$(spool_count bad)" 0
if [ -n "$have_git" ]; then
	t_eq 'the batch is one commit in state/' "$(git -C "$H/state" rev-list --count HEAD)" $((commits + 1))
	t_eq 'state/ holds nothing but .git' "$(state_checkout "$H/state")" ''
	# The check above must be able to fail: a stray file or folder shows.
	echo stray >"$H/state/stray.yaml"
	mkdir "$H/state/stray.d"
	t_match '... a stray file in state/ shows in state_checkout' "$(state_checkout "$H/state")" '^stray\.yaml$'
	t_match '... and so does a stray folder' "$(state_checkout "$H/state")" '^stray\.d$'
	rm -rf "$H/state/stray.yaml" "$H/state/stray.d"
	t_eq 'state/.git is bare: no index that grows with the history' "$(git -C "$H/state" config core.bare)" true
	t_ok '... and has no index file' test ! -e "$H/state/.git/index"
	t_exit 128 '... so git refuses to reset the files the dispatcher owns' git -C "$H/state" reset -q --hard
	# A home made when the dispatcher kept an index: its first batch drops it.
	git -C "$H/state" config core.bare false
	GIT_INDEX_FILE=$H/state/.git/index git --git-dir="$H/state/.git" read-tree HEAD
	t_ok 'a home with an index (older dispatcher): --once' dispatcher --once
	t_eq '... marks it bare' "$(git -C "$H/state" config core.bare)" true
	t_ok '... and removes the index' test ! -e "$H/state/.git/index"
else
	t_skip 'the batch is one commit in state/' 'no git'
	t_skip 'state/ holds nothing but .git' 'no git'
fi
customers alice
dispatch
t_match 'the car is applied' "$(carctl --as admin list --json)" '"car":"car01"'
t_ok '--once again' dispatcher --once
t_eq '... has nothing to do' "$ERR" 'dispatcher: applied 0, skipped 0, quarantined 0, held 0'
res=$(book alice car01 2028-08-06 2028-08-08)
paid alice "$res" >/dev/null

# --check
t_ok '--check on a healthy home' dispatcher --check
mv "$H/spool/new" "$H/spool/new.away"
t_exit 1 '--check without spool/new: not healthy' dispatcher --check
t_match '... says why on stderr' "$ERR" '^dispatcher: '
mv "$H/spool/new.away" "$H/spool/new"
t_ok '--check is healthy again' dispatcher --check
# Packs that pile up (merging failing) show in --check; the next batch merges them.
if [ -n "$have_git" ]; then
	p=$(ls "$H/state/.git/objects/pack/"*.idx | head -n 1)
	p=${p%.idx}
	for i in $(seq 10 50); do
		cp "$p.pack" "$H/state/.git/objects/pack/pack-00000000000000000000000000000000000000$i.pack"
		cp "$p.idx" "$H/state/.git/objects/pack/pack-00000000000000000000000000000000000000$i.idx"
	done
	t_ok '42 packs: --check still healthy (a warning)' dispatcher --check
	t_match '... that names the pack count' "$OUT$ERR" 'git packs'
	carctl --as admin add carpk --rate 100 >/dev/null
	t_ok '... the next batch merges them' dispatcher --once
	t_eq '... into one' "$(ls "$H/state/.git/objects/pack/" | grep -c '\.idx$')" 1
	t_ok '... whole: git fsck' git -C "$H/state" fsck --strict
	t_ok '... and --check' dispatcher --check
	t_nomatch '... is quiet about packs' "$OUT$ERR" 'git packs'
	# Packs with deltas (git repack, or homes from when libgit2 wrote the packs)
	# merge too: their delta entries are written whole.
	git -C "$H/state" repack -a -d -f -q --window=50 --depth=10 >/dev/null 2>&1
	p=$(ls "$H/state/.git/objects/pack/"*.idx | head -n 1)
	p=${p%.idx}
	t_match 'git repack made a pack with deltas' "$(git verify-pack -v "$p.idx" | grep -c 'blob.* [0-9]* [0-9]* [0-9]* [0-9]* [0-9a-f]\{40\}$')" '^[1-9]'
	cp "$p.pack" "$H/state/.git/objects/pack/pack-0000000000000000000000000000000000000099.pack"
	cp "$p.idx" "$H/state/.git/objects/pack/pack-0000000000000000000000000000000000000099.idx"
	carctl --as admin add carpk2 --rate 100 >/dev/null
	t_ok '... two of them merge in the next batch' dispatcher --once
	t_eq '... into one' "$(ls "$H/state/.git/objects/pack/" | grep -c '\.idx$')" 1
	t_ok '... whole: git fsck' git -C "$H/state" fsck --strict
	t_ok '... and the state is the log' dispatcher --rebuild
else
	t_skip 'packs that pile up show in --check' 'no git'
fi

# --rebuild
t_ok '--rebuild on a consistent home' dispatcher --rebuild
t_match 'the state holds what was applied' "$(carctl --as admin list --json)" '"status":"RENTED"'
# A state file of main's tree (not the log) that knows about car01, preferably
# the management context's; the test changes it, then removes it, each time in a
# commit on main of its own.
all=$(state_ls | grep -v '^log/')
files=$(printf '%s\n' "$all" | grep car01; state_grep ':!log/' -l -e car01)
f=$(printf '%s\n' "$files" | grep '^management/' | head -n 1)
[ -n "$f" ] || f=$(printf '%s\n' "$files" | grep . | head -n 1)
t_match 'a state file outside the log holds car01' "$f" .
if [ -n "$f" ]; then
	state_cat "$f" >"$T_TMP/state.orig"
	{ cat "$T_TMP/state.orig"; printf '# tampered\n'; } | state_put "$f"
	tampered=$(state_git rev-parse main)
	t_exit 1 '--rebuild finds a changed state file' dispatcher --rebuild
	t_match '... names it on stderr' "$ERR" "$(basename "$f")"
	state_cat "$f" >"$T_TMP/state.now"
	t_ok '... and repairs it' cmp "$T_TMP/state.orig" "$T_TMP/state.now"
	t_eq '... and commits the repair, and nothing else' "$(state_git diff --name-only "$tampered" main)" "$f"
	t_ok '--rebuild again finds nothing' dispatcher --rebuild
	state_rm "$f"
	t_exit 1 '--rebuild finds a missing state file' dispatcher --rebuild
	state_cat "$f" >"$T_TMP/state.now"
	t_ok '... and restores it' cmp "$T_TMP/state.orig" "$T_TMP/state.now"
else
	for i in 1 2 3 4 5 6 7; do _t_report 1 "--rebuild repair $i: no state file to change"; done
fi
t_eq 'the car is as before' "$(car_status car01)" RENTED
t_eq 'and so is the reservation' "$(status_of "$res")" RENTED
# A logged outcome that the rules decide otherwise now (its bytes in the id index
# altered): said, and not called repaired (the log is the record); the index entry,
# which is derived, is rebuilt.
o=$(state_ls | grep '^ids/' | while read -r p; do state_cat "$p" | grep -q '^type: car.registered$' && echo "$p"; done | head -n 1)
t_match 'the id index holds a car.registered outcome' "$o" .
state_cat "$o" >"$T_TMP/out.orig"
{ cat "$T_TMP/out.orig"; printf '# tampered\n'; } | state_put "$o"
run dispatcher --rebuild
t_eq '--rebuild: a logged outcome decided otherwise: exit 1' "$RC" 1
t_match '... names it' "$ERR" '^dispatcher: log: the car.registered outcome of car-[0-9a-f]+ is not what management decides again$'
t_match '... and does not call it repaired' "$ERR" '^dispatcher: rebuild: 2 differences, 1 records repaired; the log'"'"'s are not \(it is the record\)$'
state_put "$o" <"$T_TMP/out.orig"
t_ok '... put back: nothing to repair' dispatcher --rebuild

# Bad usage.
t_refuse 64 'an unknown option' dispatcher --frobnicate
t_refuse 64 '--once and --rebuild together' dispatcher --once --rebuild

# Each line of the dispatcher is one write: pushers and other commands that share its
# log do not cut into it.
if command -v strace >/dev/null 2>&1; then
	printf 'junk\n' >"$T_TMP/j1"
	spool_drop "$T_TMP/j1" "0$(date +%s%N).j1"
	spool_drop "$T_TMP/j1" "0$(date +%s%N).j2"
	strace -f -e trace=write -o "$T_TMP/st.out" "$BIN/dispatcher" --once 2>"$T_TMP/st.err" </dev/null
	t_eq 'each line on stderr is one write' "$(grep -c '^[0-9]* *write(2' "$T_TMP/st.out")" "$(grep -c . "$T_TMP/st.err")"
else
	t_skip 'each line on stderr is one write' 'no strace'
fi

done_testing
