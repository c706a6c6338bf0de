#!/bin/sh
# 1997-replica-faults-here.t: a round of following that fails says whose fault it is.
# The replica's own disk full is an I/O error of this home (74), not a primary that
# did not answer (75, and --check's "has not answered" later, though it answered each
# round). A mirror whose main names no commit is a history refused (1), not a silent
# primary. A git:// mirror that sends a pack without end fills at most nine tenths of
# the room the replica's disk had: it filled the disk, every round.
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
trap 'umount "$D" 2>/dev/null; umount "$T_TMP/big" 2>/dev/null; _t_cleanup' EXIT

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
t_match '... saying why' "$ERR" 'No space left on device|larger than the 0 MiB a fetch may write here .*room left on the disk'
t_nomatch '... not that the primary did not answer' "$ERR" 'did not answer'
sleep 3
t_exit 1 '--check: unhealthy' dispatcher --home "$R" --check
t_match '... the round failed here' "$ERR" 'replica: the last round failed here: .*(No space left on device|room left on the disk)'
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

# A git:// mirror that sends without end.
B=$T_TMP/big
mkdir -p "$B"
if mount -t tmpfs -o size=60m tmpfs "$B" 2>/dev/null; then
	port=$((20000 + ($$ + 11) % 20000))
	python3 "$T_TESTS/fixtures/endless-pack.py" "$port" 1111111111111111111111111111111111111111 \
		>"$T_TMP/endless.out" 2>&1 &
	T_PIDS="$T_PIDS $!"
	t_wait 'a git:// server that sends a pack without end' 10 grep -q ready "$T_TMP/endless.out"
	carctl init --replica "$M" "$B/r" >/dev/null 2>&1
	sed -i "s|^url: .*|url: \"git://127.0.0.1:$port/x\"|" "$B/r/state/.git/rental-primary"
	# the disk's use, in percent, sampled while the round runs
	(while :; do df -k "$B" | awk 'NR==2{print int($3 * 100 / $2)}'; sleep 0.1; done) >"$T_TMP/used" &
	mon=$!
	run dispatcher --home "$B/r" --once
	kill "$mon"
	t_eq 'a pack without end: the round fails' "$RC" 74
	t_match '... as larger than the room a fetch may take' "$ERR" 'larger than the [0-9]+ MiB'
	t_eq '... and leaves a tenth of the room on the disk' "$(sort -n "$T_TMP/used" | tail -1 | awk '{print ($1 <= 92) ? "yes" : $1 "%"}')" yes
	umount "$B"
else
	t_skip 'a pack without end' 'cannot mount a second tmpfs here'
fi
done_testing
