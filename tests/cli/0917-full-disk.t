#!/bin/sh
# 0917-full-disk.t: a home on a file system that is full. The batch fails (74) and
# the failed batch's mark cannot be written either: --check said healthy. It writes a
# page into the repository, as a batch would, and says the state cannot be written.
# Needs root (a tmpfs of 4 MiB); skipped with the reason without it.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

tmpfs_home 4m 'a full disk'
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

# The daemon on a full disk: the fault lasts, and its message names a new temp file at
# each wake: logged once, not a line a wake (176 in an operator's hour). Four events
# written first, then renamed in one at a time (a rename needs no room), each a wake.
for n in 1 2 3 4; do
	carctl --as admin add "d$n" --rate 5 >/dev/null 2>&1
done
mkdir "$M/h/spool/held"
mv "$M/h/spool/new/"* "$M/h/spool/held/"
dd if=/dev/zero of="$M/fill" bs=4k 2>/dev/null
"$BIN/dispatcher" >/dev/null 2>"$T_TMP/daemon.err" </dev/null &
pid=$!
T_PIDS="$T_PIDS $pid"
t_wait 'the daemon watches the spool' 10 grep -q watching "$T_TMP/daemon.err"
for f in "$M/h/spool/held/"*; do
	mv "$f" "$M/h/spool/new/"
	sleep 0.5
done
t_match '... on a full disk, its batches fail' "$(cat "$T_TMP/daemon.err")" 'No space left'
t_eq '... and the fault is logged once' "$(grep -c 'No space left' "$T_TMP/daemon.err")" 1
rm "$M/fill"
touch "$M/h/spool/new"
t_wait '... room again: the events are applied' 20 sh -c "'$BIN/carctl' list --json | grep -q '\"d4\"'"
t_match '... and the end of the fault is logged' "$(cat "$T_TMP/daemon.err")" 'the fault is gone'
t_stop_daemon "$pid" 0

# A spool on a file system of its own (spool: PATH, as rental.7 allows), full while the
# state has room: every writer fails (74); --check said healthy, as it only asked
# access(2) of the spool's folders. It writes a page into spool/tmp now.
S=$T_TMP/spooldisk
mkdir -p "$S"
if mount -t tmpfs -o size=64k tmpfs "$S" 2>/dev/null; then
	trap 'umount "$S" 2>/dev/null; umount "$M" 2>/dev/null; _t_cleanup' EXIT
	mkdir "$S/tmp" "$S/new" "$S/bad"
	printf 'spool: %s\n' "$S" >>"$M/h/config/rental.yaml"
	t_ok 'a spool on a tmpfs of its own: healthy' dispatcher --check
	dd if=/dev/zero of="$S/fill" bs=1k 2>/dev/null
	t_exit 74 'the spool full: a writer fails' carctl --as admin add e1 --rate 5
	t_exit 1 '--check: unhealthy' dispatcher --check
	t_match '... saying the spool cannot be written, and why' "$ERR" "$S/tmp: cannot be written: .*No space left on device"
	rm "$S/fill"
	t_ok 'room again: healthy' dispatcher --check
	t_eq '... and the probe leaves nothing behind' "$(ls -A "$S/tmp" | wc -l)" 0
else
	t_skip 'a full spool of its own' 'cannot mount a second tmpfs here'
fi
done_testing
