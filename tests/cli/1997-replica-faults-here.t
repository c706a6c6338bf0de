#!/bin/sh
# 1997-replica-faults-here.t: a round of following that fails says whose fault it is.
# The replica's own disk full is an I/O error of this home (74), not a primary that
# did not answer (75, and --check's "has not answered" later, though it answered each
# round). A mirror whose main names no commit is a history refused (1), not a silent
# primary. A mirror that sends without end (git://) or more than the disk holds (a
# path) leaves a tenth of the replica's disk free, round after round: it filled the
# disk, every round.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

for tool in git python3; do
	if ! command -v $tool >/dev/null 2>&1; then
		t_skip 'faults of a round of following' "no $tool"
		done_testing
	fi
done
D=$T_TMP/disk
mkdir -p "$D"
if ! mount -t tmpfs -o size=2m tmpfs "$D" 2>/dev/null; then
	t_skip 'faults of a round of following' 'cannot mount a tmpfs here (not root?)'
	done_testing
fi
trap 'for d in "$D" "$T_TMP/big" "$T_TMP/nosize" "$T_TMP/forty"; do umount "$d" 2>/dev/null; done; _t_cleanup' EXIT

# watched_round DISK HOME: a round of HOME's dispatcher (run: RC, ERR), the use of
# DISK sampled meanwhile; PEAK is yes if it stayed at 91% or less, else the peak.
watched_round() {
	(while :; do df -k "$1" | awk 'NR==2{print int($3 * 100 / $2)}'; sleep 0.1; done) >"$T_TMP/used" &
	_w_mon=$!
	run dispatcher --home "$2" --once
	kill "$_w_mon"
	PEAK=$(sort -n "$T_TMP/used" | tail -1 | awk '{print ($1 <= 91) ? "yes" : $1 "%"}')
}

shop primary
P=$H
M=$T_TMP/mirror.git
git clone -q --bare "$P/state/.git" "$M"
R=$D/replica
t_ok 'a replica on a disk of 2 MiB' carctl init --replica "$M" "$R"
printf 'replicate: {remotes: [], max_lag_seconds: 2}\n' >>"$R/config/rental.yaml"
for i in $(seq 1 20); do
	carctl --home "$P" --as admin add "c$i" --rate 5 --model "$(head -c 300 /dev/urandom | base64 -w0 | head -c 190)" >/dev/null
done
dispatcher --home "$P" --once 2>/dev/null
git --git-dir="$P/state/.git" push -q "$M" main
avail=$(df -k "$D" | awk 'NR==2{print $4}')
dd if=/dev/zero of="$D/fill" bs=1k count=$((avail - 16)) 2>/dev/null
t_exit 74 'its disk full: the round fails here (74)' dispatcher --home "$R" --once
t_match '... saying why' "$ERR" 'No space left on device|larger than the 0 MiB a fetch may write here .it leaves a tenth of the disk free'
t_nomatch '... not that the primary did not answer' "$ERR" 'did not answer'
sleep 3
t_exit 1 '--check: unhealthy' dispatcher --home "$R" --check
t_match '... the round failed here' "$ERR" 'replica: the last round failed here: .*(No space left on device|a tenth of the disk free)'
t_nomatch '... the primary answered' "$ERR" 'has not answered|never answered'
rm "$D/fill"
t_ok 'room again: it follows' dispatcher --home "$R" --once
t_eq '... to the primary'"'"'s main' "$(git_main "$R/state/.git")" "$(git_main "$M")"
t_ok '... healthy' dispatcher --home "$R" --check

# A mirror whose main names a blob: its history is refused, not a silent primary.
good=$(git_main "$M")
git --git-dir="$M" hash-object -w --stdin </dev/null >"$T_TMP/blob"
cp "$T_TMP/blob" "$M/refs/heads/main"
git --git-dir="$M" pack-refs --all 2>/dev/null
printf '%s\n' "$(cat "$T_TMP/blob")" >"$M/refs/heads/main"
t_exit 1 'a mirror whose main is a blob: refused (1)' dispatcher --home "$R" --once
t_match '... saying so' "$ERR" 'refused the history'
t_eq '... main stays' "$(git_main "$R/state/.git")" "$good"
printf '%s\n' "$good" >"$M/refs/heads/main"

# A mirror whose pack index is damaged: it cannot be read now (75), not this home's
# disk (74).
good=$(git_main "$M")
cp -r "$M" "$T_TMP/mirror.bak"
for i in "$M"/objects/pack/*.idx; do printf 'garbage' | dd of="$i" bs=1 seek=0 conv=notrunc 2>/dev/null; done
carctl --home "$P" --as admin add c99 --rate 5 >/dev/null && dispatcher --home "$P" --once 2>/dev/null
git --git-dir="$P/state/.git" push -q "$M" main 2>/dev/null
run dispatcher --home "$R" --once
t_eq 'a mirror whose pack index is damaged: try again later (75)' "$RC" 75
t_nomatch '... not a fault here' "$(cat "$R/state/.git/rental-follow")" '^failed'
rm -rf "$M" && mv "$T_TMP/mirror.bak" "$M"
# ... and one whose refs cannot be read (as one this user may not read): the same.
cp -r "$M" "$T_TMP/mirror.bak"
rm -f "$M/refs/heads/main" "$M/packed-refs" && mkdir "$M/packed-refs"
run dispatcher --home "$R" --once
t_eq 'a mirror whose refs cannot be read: try again later (75), not refused' "$RC" 75
t_match '... recorded as no answer' "$(cat "$R/state/.git/rental-follow")" '^error: '
rm -rf "$M" && mv "$T_TMP/mirror.bak" "$M"

# A git:// remote that says its own disk is full: its words, not this home's fault;
# said escaped (a terminal escape in them reached the replica's log as it was).
port=$((20000 + ($$ + 13) % 20000))
python3 "$T_TESTS/fixtures/lying-git-server.py" "$port" error "$(printf 'upload-pack: No space left on device\033[31m')" \
	>"$T_TMP/errsrv.out" 2>&1 &
T_PIDS="$T_PIDS $!"
t_wait 'a git:// server that says its disk is full' 10 grep -q ready "$T_TMP/errsrv.out"
cp "$R/state/.git/rental-primary" "$T_TMP/primary.bak"
sed -i "s|^url: .*|url: \"git://127.0.0.1:$port/x\"|" "$R/state/.git/rental-primary"
run dispatcher --home "$R" --once
t_eq 'a remote that says No space left on device: it did not answer (75), not 74' "$RC" 75
t_match '... its words kept' "$ERR" 'upload-pack: No space left on device'
t_match '... a terminal escape in them shown escaped' "$ERR" 'No space left on device\\x1b\[31m'
t_nomatch '... never as it is' "$ERR" "$(printf '\033')"
t_match '... recorded as no answer' "$(cat "$R/state/.git/rental-follow")" '^error: '
cp "$T_TMP/primary.bak" "$R/state/.git/rental-primary"

# A disk that says no size (tmpfs size=0, FUSE): no bound can be told, none is set.
Z=$T_TMP/nosize
mkdir -p "$Z"
if mount -t tmpfs -o size=0 tmpfs "$Z" 2>/dev/null; then
	t_ok 'a replica on a file system that says no size' carctl init --replica "$M" "$Z/r"
	t_eq '... at the mirror'"'"'s main' "$(git_main "$Z/r/state/.git")" "$(git_main "$M")"
	umount "$Z"
else
	t_skip 'a replica on a file system that says no size' 'cannot mount a tmpfs of no size here'
	t_skip '... at the mirror'"'"'s main' 'cannot mount a tmpfs of no size here'
fi

# A path mirror given a history of 60 MiB: what a round writes is bounded as a whole,
# not file by file (its steps are packs of 16 MiB each).
F=$T_TMP/forty
mkdir -p "$F"
if mount -t tmpfs -o size=40m tmpfs "$F" 2>/dev/null; then
	cp -r "$M" "$T_TMP/mirror.bak"
	carctl init --replica "$M" "$F/r" >/dev/null 2>&1
	git clone -q "$M" "$T_TMP/w"
	for i in 1 2 3 4 5 6 7 8 9 10; do
		head -c 6000000 /dev/urandom >"$T_TMP/w/blob$i"
		git -C "$T_TMP/w" add "blob$i"
		git -C "$T_TMP/w" -c user.name=x -c user.email=x@x commit -q -m "$i"
	done
	git -C "$T_TMP/w" push -q origin HEAD:main
	watched_round "$F" "$F/r"
	t_eq 'a path mirror sending 60 MiB to a disk of 40: the round fails (74)' "$RC" 74
	t_match '... as larger than the room a fetch may take' "$ERR" 'larger than the [0-9]+ MiB'
	t_eq '... and leaves a tenth of the disk free' "$PEAK" yes
	watched_round "$F" "$F/r"
	t_eq '... a second round: fails again (74)' "$RC" 74
	t_eq '... and a tenth of the disk is still free' "$PEAK" yes
	umount "$F"
	rm -rf "$M" && mv "$T_TMP/mirror.bak" "$M"
else
	t_skip 'a path mirror sending 60 MiB' 'cannot mount a third tmpfs here'
fi

# A git:// mirror that sends without end.
B=$T_TMP/big
mkdir -p "$B"
if mount -t tmpfs -o size=60m tmpfs "$B" 2>/dev/null; then
	port=$((20000 + ($$ + 11) % 20000))
	python3 "$T_TESTS/fixtures/lying-git-server.py" "$port" endless 1111111111111111111111111111111111111111 \
		>"$T_TMP/endless.out" 2>&1 &
	T_PIDS="$T_PIDS $!"
	t_wait 'a git:// server that sends a pack without end' 10 grep -q ready "$T_TMP/endless.out"
	carctl init --replica "$M" "$B/r" >/dev/null 2>&1
	sed -i "s|^url: .*|url: \"git://127.0.0.1:$port/x\"|" "$B/r/state/.git/rental-primary"
	watched_round "$B" "$B/r"
	t_eq 'a pack without end: the round fails' "$RC" 74
	t_match '... as larger than the room a fetch may take' "$ERR" 'larger than the [0-9]+ MiB'
	t_eq '... and leaves a tenth of the disk free' "$PEAK" yes
	umount "$B"
else
	t_skip 'a pack without end' 'cannot mount a second tmpfs here'
fi
done_testing
