#!/bin/sh
# 1610-power-loss.t: the commit of a batch is durable at once; the work tree is
# synced to disk only every few batches (or seconds). A power loss may lose the
# files of the batches since the last sync and bring back files they removed; the
# next run (in another boot) writes again every file those commits touched, and
# removes what the last commit does not have. RENTAL_BOOT_ID stands for the boot.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

RENTAL_BOOT_ID=boot-one
export RENTAL_BOOT_ID
shop
S=$H/state
MARK=$S/.git/rental-worktree
synced() { sed -n 1p "$MARK"; }
written() { sed -n 's/^written \([0-9a-f]*\) .*/\1/p' "$MARK"; }

base=$(synced)
t_ok 'the marker names a synced commit of the history' git -C "$S" merge-base --is-ancestor "$base" HEAD
r1=$(book alice car01 2031-08-06 2031-08-08)
r2=$(book bob car02 2031-08-10 2031-08-12)
t_ok 'bob cancels' reserve --as bob cancel "$r2"
dispatch
head=$(git -C "$S" rev-parse HEAD)
t_eq 'three batches later the last commit is written' "$(written)" "$head"
t_eq 'and not synced: the sync waits' "$(synced)" "$base"
held=$(git -C "$S" log --format= --name-only --diff-filter=D "$base..HEAD" -- reservation/held | head -n 1)
t_match 'the cancel removed a held night' "$held" '^reservation/held/'

# The power loss: each path the commits since the sync touched is as the disk had
# it at the sync; a file made and removed since comes back (its removal was lost).
git -C "$S" log --format= --name-only "$base..HEAD" | sort -u | while read -r p; do
	if git -C "$S" cat-file -e "$base:$p" 2>/dev/null; then
		git -C "$S" show "$base:$p" >"$S/$p"
	elif [ -e "$S/$p" ]; then
		rm -f "$S/$p"
	else
		mkdir -p "$(dirname "$S/$p")"
		git -C "$S" show "$(git -C "$S" rev-list -1 HEAD -- "$p")^:$p" >"$S/$p"
	fi
done
t_file 'the removed held night is back' "$S/$held"
t_nomatch 'the work tree is no longer the last commit' "$(worktree_diff "$S" | wc -l)" '^0$'

RENTAL_BOOT_ID=boot-two
t_ok 'in the next boot the dispatcher runs' dispatcher --once
t_eq 'the work tree is the last commit again' "$(worktree_diff "$S")" ''
t_nofile 'the held night the cancel removed is gone' "$S/$held"
t_eq 'no commit was made for it' "$(git -C "$S" rev-parse HEAD)" "$head"
t_eq 'and the marker says it is synced' "$(synced)" "$head"
t_eq "alice's booking is RESERVED" "$(status_of "$r1")" RESERVED
t_eq "bob's is canceled" "$(status_of "$r2")" RESERVATION_CANCELED
t_ok 'a rebuild from the log gives the same bytes' dispatcher --rebuild
t_ok 'healthy' dispatcher --check

# A crash of the process (the same boot) trusts the written commit: nothing to redo.
r3=$(book carol car01 2031-09-01 2031-09-03)
t_eq 'a batch later, written is HEAD' "$(written)" "$(git -C "$S" rev-parse HEAD)"
t_ok 'the dispatcher runs again in the same boot' dispatcher --once
t_eq 'the work tree is the last commit' "$(worktree_diff "$S")" ''

# The sync comes at least every eight batches.
for i in 1 2 3 4 5 6 7 8; do
	book alice car02 "2031-10-0$i" "2031-10-0$((i + 1))" >/dev/null
done
t_match 'the synced commit is one of the last eight' "$(git -C "$S" rev-list HEAD~8..HEAD)" "^$(synced)\$"

# A marker of one line (older homes) is the synced commit.
git -C "$S" rev-parse HEAD >"$MARK"
r4=$(book bob car01 2031-11-01 2031-11-03)
t_eq 'a home with the older marker goes on' "$(status_of "$r4")" RESERVED
t_eq 'and its work tree is the last commit' "$(worktree_diff "$S")" ''
# Outside tests the boot is the kernel's.
unset RENTAL_BOOT_ID
book carol car02 2031-12-01 2031-12-03 >/dev/null
if [ -r /proc/sys/kernel/random/boot_id ]; then
	t_eq "the marker carries this boot's id" "$(sed -n 's/^written [0-9a-f]* \([^ ]*\) .*/\1/p' "$MARK")" \
		"$(cat /proc/sys/kernel/random/boot_id)"
else
	t_skip "the marker carries this boot's id" 'no /proc/sys/kernel/random/boot_id'
fi
done_testing
