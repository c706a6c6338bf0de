#!/bin/sh
# 1280-faults.t: faults under the dispatcher: the disk full while a batch is
# written, state/ read-only. Each gives a clear error and a non-zero exit, loses
# no event and leaves the state as it was; the next run, once the fault is gone,
# applies everything exactly once. Mounts happen in a private mount namespace.
if [ -z "${T_UNSHARED:-}" ] && unshare -m true 2>/dev/null; then
	T_UNSHARED=1 exec unshare -m sh "$0" "$@"
fi
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

small=$T_TMP/small
mkdir -p "$small"
if [ -z "${T_UNSHARED:-}" ] || ! mount -t tmpfs -o size=3m tmpfs "$small" 2>/dev/null; then
	t_skip 'faults' 'needs root and mount namespaces'
	done_testing
	exit 0
fi

# The disk fills up while a batch is written.
scratch_home small/home
customers alice
carctl --as admin add car01 --rate 50000 >/dev/null
dispatch
head0=$(git -C "$H/state" rev-parse HEAD)
for d in 01:02 03:04 05:06 07:08 09:10 11:12; do
	reserve --as alice car01 --from 2028-08-${d%:*} --to 2028-08-${d#*:} >>"$T_TMP/ids" 2>/dev/null
done
t_eq 'six reservations wait' "$(spool_count new)" 6
dd if=/dev/zero of="$small/filler" bs=4k 2>/dev/null
t_fail 'the disk is full: the dispatcher fails' dispatcher --once
t_match '... with a clear error' "$ERR" 'No space left on device'
t_eq '... exit status 74 (I/O)' "$RC" 74
t_eq 'nothing was committed' "$(git -C "$H/state" rev-parse HEAD)" "$head0"
t_eq 'the six events still wait' "$(spool_count new)" 6
t_eq 'nothing quarantined' "$(spool_count bad)" 0
t_eq 'state/ holds nothing but .git' "$(state_checkout)" ''
rm -f "$small/filler"
t_ok 'space again: the dispatcher runs' dispatcher --once
t_match '... and applies the six' "$ERR" 'applied 6, skipped 0, quarantined 0'
n=0
while read -r id; do
	[ "$(log_count_id "$id")" -eq 1 ] && n=$((n + 1))
done <"$T_TMP/ids"
t_eq 'each once in the log' "$n" 6
t_ok 'git fsck is clean' git -C "$H/state" fsck --strict
t_ok 'a rebuild agrees' dispatcher --rebuild

# state/ read-only.
reserve --as alice car01 --from 2028-09-01 --to 2028-09-02 >"$T_TMP/ro.id" 2>/dev/null
head1=$(git -C "$H/state" rev-parse HEAD)
mount --bind "$H/state" "$H/state" && mount -o remount,ro,bind "$H/state"
t_fail 'state/ read-only: the dispatcher fails' dispatcher --once
t_match '... with a clear error' "$ERR" 'Read-only file system'
t_eq '... the event still waits' "$(spool_count new)" 1
t_fail '... --check says so' dispatcher --check
umount "$H/state"
t_eq 'nothing was committed' "$(git -C "$H/state" rev-parse HEAD)" "$head1"
t_ok 'writable again: the dispatcher runs' dispatcher --once
t_eq '... the reservation is applied' "$(status_of "$(cat "$T_TMP/ro.id")")" RESERVED
t_ok 'a rebuild agrees' dispatcher --rebuild

# The packs' folder read-only: a batch fails at its commit, after it quarantined a
# file that was no event; that file has left the spool, and the run says so.
printf 'not an event\n' >"$T_TMP/junk"
junk=0$(date +%s%N).junk
spool_drop "$T_TMP/junk" "$junk"
reserve --as alice car01 --from 2028-10-01 --to 2028-10-02 >"$T_TMP/ro2.id" 2>/dev/null
P=$H/state/.git/objects/pack
mount --bind "$P" "$P" && mount -o remount,ro,bind "$P"
t_fail 'objects/pack read-only: the dispatcher fails at its commit' dispatcher --once
t_match '... and says what it quarantined before it failed' "$ERR" "quarantined $junk: "
t_eq '... which is in spool/bad; the reservation still waits' "$(ls "$H/spool/bad" | grep -c "^$junk\$") $(spool_count new)" '1 1'
umount "$P"
t_ok 'writable again: the dispatcher runs' dispatcher --once
t_eq '... the reservation is applied' "$(status_of "$(cat "$T_TMP/ro2.id")")" RESERVED

# spool/new read-only: the batch commits, then its files cannot leave the spool. The
# run fails (exit 74), and says the batch is in; the next run skips the copies.
reserve --as alice car01 --from 2028-11-01 --to 2028-11-02 >"$T_TMP/ro3.id" 2>/dev/null
head3=$(git -C "$H/state" rev-parse HEAD)
N=$H/spool/new
mount --bind "$N" "$N" && mount -o remount,ro,bind "$N"
t_exit 74 'spool/new read-only: the dispatcher fails after its commit' dispatcher --once
t_match '... with a clear error' "$ERR" 'Read-only file system'
t_match '... and says the batch is committed, then the error' "$ERR" \
	'^dispatcher: the batch is committed \(applied 1, skipped 0, quarantined 0\); after it: .*Read-only file system$'
t_nomatch '... and not that nothing is' "$ERR" 'nothing'
umount "$N"
t_eq '... it is: main moved' "$(git -C "$H/state" rev-parse HEAD~1)" "$head3"
t_ok 'writable again: the dispatcher runs' dispatcher --once
t_match '... and skips the copy' "$ERR" 'applied 0, skipped 1, quarantined 0'
t_eq '... the reservation is applied once' "$(log_count_id "$(cat "$T_TMP/ro3.id")")" 1
umount "$small"
done_testing
