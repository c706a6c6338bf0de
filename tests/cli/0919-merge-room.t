#!/bin/sh
# 0919-merge-room.t: a merge of packs needs free room about the size of the packs it
# merges; on a disk with room for batches but not for a merge, the merge failed after
# every commit (74), and a daemon tried it again at every wake, writing the size of
# the history each time (1.3 GB in 30 idle seconds on an operator's disk). It waits
# for the room: the batches go on, and the packs merge once there is room.
# Needs root (a tmpfs); skipped with the reason without it.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

tmpfs_home 8m 'a merge that waits for room'
i=0
while [ "$i" -lt 100 ]; do carctl --as admin add "c$i" --rate 5 >/dev/null; i=$((i + 1)); done
dispatch
avail=$(df -k --output=avail "$M" | tail -n 1)
dd if=/dev/zero of="$M/fill" bs=1k count=$((avail - 160)) 2>/dev/null
rcs=
i=0
while [ "$i" -lt 6 ]; do
	carctl --as admin add "e$i" --rate 5 >/dev/null
	run dispatcher --once
	rcs="$rcs$RC "
	i=$((i + 1))
done
t_eq 'room for batches, not for a merge: every batch applied (exit 0)' "$rcs" '0 0 0 0 0 0 '
t_match '... the last one too' "$(carctl list --json)" '"car":"e5"'
rm "$M/fill"
carctl --as admin add f1 --rate 5 >/dev/null
dispatch
t_eq 'room again: the packs merge' "$(ls "$M/h/state/.git/objects/pack" | grep -c '\.idx$' | awk '{ print ($1 <= 3) }')" 1
t_ok '... healthy' dispatcher --check
done_testing
