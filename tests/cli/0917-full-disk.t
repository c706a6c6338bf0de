#!/bin/sh
# 0917-full-disk.t: a home on a file system that is full. The batch fails (74) and
# the failed batch's mark cannot be written either: --check said healthy. It writes a
# page into the repository, as a batch would, and says the state cannot be written.
# Needs root (a tmpfs of 4 MiB); skipped with the reason without it.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

M=$T_TMP/full
mkdir -p "$M"
if ! mount -t tmpfs -o size=4m tmpfs "$M" 2>/dev/null; then
	t_skip 'a full disk' 'cannot mount a tmpfs here (not root?)'
	done_testing
fi
trap 'umount "$M" 2>/dev/null; _t_cleanup' EXIT

carctl init "$M/h" >/dev/null 2>&1
RENTAL_HOME=$M/h
export RENTAL_HOME
t_ok 'a home on a tmpfs of 4 MiB: healthy' dispatcher --check
carctl --as admin add c1 --rate 5 >/dev/null
dd if=/dev/zero of="$M/fill" bs=4k 2>/dev/null
run dispatcher --once
t_eq 'the disk full: the batch fails (74)' "$RC" 74
t_exit 1 '--check: unhealthy' dispatcher --check
t_match '... saying the state cannot be written, and why' "$ERR" 'state: cannot be written: .*No space left on device'
rm "$M/fill"
dispatch
t_eq 'room again: the batch is applied' "$DISPATCH_RC" 0
t_match '... the car is there' "$(carctl list --json)" '"car":"c1"'
t_ok '... healthy again' dispatcher --check
t_eq 'the probe leaves nothing behind' "$(ls "$M/h/state/.git" | grep -c probe)" 0
done_testing
