#!/bin/sh
# 0918-many-packs.t: a repository of many packs (merges that could not run for a
# while: a full disk) opens two files a pack; under the soft limit of open files
# (1,024 for a systemd service) the dispatcher failed every batch before its commit,
# "Too many open files", even once the disk had room. It raises its soft limit to the
# hard one, as far as the system allows.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

shop
packs=$H/state/.git/objects/pack
# Thirty packs more, of one object each (the same objects: a pack may repeat another's).
for id in $(state_git ls-tree -r main | awk '{ print $3 }' | head -n 30); do
	echo "$id" | state_git pack-objects -q "$packs/pack" >/dev/null
done
t_eq 'twenty packs or more' "$(ls "$packs" | grep -c '\.idx$' | awk '{ print ($1 >= 20) }')" 1
carctl --as admin add car09 --rate 100 >/dev/null
run sh -c "ulimit -S -n 30 && exec '$BIN/dispatcher' --once"
t_eq 'dispatcher --once under a soft limit of 30 open files: applied' "$RC" 0
t_match '... the car is there' "$(carctl list --json)" '"car":"car09"'
t_eq '... and the packs merged' "$(ls "$packs" | grep -c '\.idx$' | awk '{ print ($1 < 10) }')" 1
# A pack stock git made with its bitmap (git repack -adb), merged away by the batches:
# its .bitmap stayed without its pack, and git fsck warned of it for good.
t_ok 'git repack -adb: one pack, with a bitmap' state_git repack -q -adb
t_eq '... a bitmap there' "$(ls "$packs" | grep -c '\.bitmap$')" 1
i=0
while [ "$i" -lt 12 ] && [ -n "$(ls "$packs" | grep '\.bitmap$')" ] &&
	[ -f "$packs/$(ls "$packs" | grep '\.bitmap$' | head -1 | sed 's/\.bitmap$/.pack/')" ]; do
	book alice car02 "$(day $((200 + 2 * i)))" "$(day $((201 + 2 * i)))" >/dev/null
	i=$((i + 1))
done
t_eq 'the pack merged away by the batches: no bitmap left without it' "$(ls "$packs" | grep '\.bitmap$' | sed 's/\.bitmap$/.pack/' | while read -r p; do [ -f "$packs/$p" ] || echo gone; done)" ''
t_eq '... git fsck finds no file of a pack that is gone' "$(state_git fsck 2>&1 | grep -c 'no corresponding')" 0

# A multi-pack-index of stock git (git repack --write-midx) names packs a merge takes
# away: git fsck failed for good ("failed to load pack"); one an older release left
# beside its merges stayed until this release merged. And a pack's .bitmap, .rev or
# .keep left without it (a merge killed between its unlinks, or before this release)
# stayed for good.
t_ok 'git repack -adb --write-midx' state_git repack -q -adb --write-midx
t_file '... a multi-pack-index there' "$packs/multi-pack-index"
book alice car02 "$(day 300)" "$(day 301)" >/dev/null
t_eq '... swept by the next batch, merging or not' "$(ls "$packs" | grep -c '^multi-pack-index')" 0
i=0
while [ "$i" -lt 12 ]; do
	book alice car02 "$(day $((302 + 2 * i)))" "$(day $((303 + 2 * i)))" >/dev/null
	i=$((i + 1))
done
t_ok '... the packs it named merged away: git fsck' state_git fsck --no-progress
for x in bitmap rev keep mtimes; do : >"$packs/pack-0123456789abcdef0123456789abcdef01234567.$x"; done
book alice car02 "$(day 400)" "$(day 401)" >/dev/null
t_eq 'files of a pack that is gone: swept by the next batch' \
	"$(ls "$packs" | grep -c '^pack-0123456789abcdef0123456789abcdef01234567')" 0

done_testing
