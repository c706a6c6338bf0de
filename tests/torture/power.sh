#!/bin/sh
# power.sh [N]: power cuts at random instants of the dispatcher's work (DESIGN.md,
# invariant 1), on loop-mounted XFS and ext4 (noauto_da_alloc) images, N cuts each
# (default 100). A home on the image gets, each round, a spool of bookings (some
# clashing), cancellations and payments written by the real commands; `dispatcher
# --once` drains it while, a random 0..POWER_MAX_MS (150) ms after it starts, the file
# system is shut down without flushing its log (the shutdown ioctl, as a power cut
# leaves a disk), then unmounted and mounted again. The next run finishes the work.
# After every round: every event a command wrote is in the log of main exactly once,
# the spool is empty, nothing was quarantined, a cancellation freed its nights, and
# after the last round a rebuild finds nothing to repair, --check is healthy, git
# fsck is clean and state/ holds nothing but .git. Needs root, losetup, xfs_io,
# mkfs.xfs and mkfs.ext4 (exit 2 with the reason without them); exit 1 on a violation.
set -u
N=${1:-100}
BIN=${BIN:-$(cd "$(dirname "$0")/../../bin" && pwd)}
MAXMS=${POWER_MAX_MS:-150}
[ "$(id -u)" = 0 ] || { echo "power.sh: needs root for loop devices" >&2; exit 2; }
for t in losetup xfs_io mkfs.xfs mkfs.ext4 git; do
	command -v "$t" >/dev/null 2>&1 || { echo "power.sh: no $t" >&2; exit 2; }
done
W=$(mktemp -d "${TMPDIR:-/tmp}/rental-power.XXXXXX") || exit 2
MNT=$W/mnt IMG= OPTS=
mkdir -p "$MNT"
cleanup() {
	mountpoint -q "$MNT" && umount "$MNT"
	rm -rf "$W"
}
trap cleanup EXIT
violations=0
violation() { echo "VIOLATION: $*"; violations=$((violations + 1)); }
cmd() { "$BIN/$@" 2>/dev/null </dev/null; }
in_log() { git -C "$H/state" grep -l -e "^id: $1\$" main -- log | wc -l | tr -d ' '; }
status_of() { cmd reserve --as admin list --json | grep "\"$1\"" | sed 's/.*"status":"\([A-Z_]*\)".*/\1/'; }

cut_power() {
	xfs_io -x -c shutdown "$MNT" >/dev/null 2>&1
	wait
	umount "$MNT" || { echo "power.sh: umount failed" >&2; exit 2; }
	mount -o "loop$OPTS" "$IMG" "$MNT" || { echo "power.sh: mount failed" >&2; exit 2; }
}

for fs in xfs ext4; do
	# The image is mounted by its path (mount finds a loop device, under its lock),
	# never by a loop device's name another test could take in between.
	IMG=$W/$fs.img
	truncate -s 512M "$IMG"
	OPTS=
	[ "$fs" = ext4 ] && OPTS=',noauto_da_alloc'
	mkfs.$fs -q "$([ "$fs" = xfs ] && echo -f || echo -F)" "$IMG" >/dev/null 2>&1 &&
		mount -o "loop$OPTS" "$IMG" "$MNT" || { echo "power.sh: cannot mount a $fs image" >&2; exit 2; }
	H=$MNT/home
	export RENTAL_HOME=$H
	cmd carctl init "$H"
	for c in a b c d e; do cmd carctl --as admin key add "$c" >/dev/null; done
	cmd dispatcher --once
	for c in 1 2 3 4; do cmd carctl --as admin add "car$c" --rate 100 >/dev/null; done
	cmd dispatcher --once
	sync
	ids=$W/$fs.ids
	: >"$ids"
	day=0
	for i in $(seq "$N"); do
		# A round: two bookings that clash, one more, a cancellation and a payment of
		# bookings applied before.
		from=$(date -u -d "2027-01-01 +$day days" +%F) to=$(date -u -d "2027-01-01 +$((day + 2)) days" +%F)
		day=$((day + 3))
		[ "$day" -lt 1000 ] || day=0
		car=car$((i % 4 + 1))
		r1=$(cmd reserve --as a "$car" --from "$from" --to "$to")
		r2=$(cmd reserve --as b "$car" --from "$from" --to "$to")
		r3=$(cmd reserve --as c car$(((i + 1) % 4 + 1)) --from "$from" --to "$to")
		printf '%s\n%s\n%s\n' "$r1" "$r2" "$r3" >>"$ids"
		[ -z "${prev:-}" ] || { cmd reserve --as c cancel "$prev" >/dev/null; echo "cancel $prev" >>"$ids"; }
		[ -z "${paid:-}" ] || { p=$(cmd pay --as a "$paid"); [ -n "$p" ] && echo "$p" >>"$ids"; }
		"$BIN/dispatcher" --once >/dev/null 2>&1 </dev/null &
		sleep "$(awk -v m="$MAXMS" -v s="$i" 'BEGIN { srand(s); printf "%.3f", rand() * m / 1000 }')"
		cut_power
		"$BIN/dispatcher" --once >/dev/null 2>"$W/err" </dev/null ||
			violation "$fs round $i: the dispatcher fails after the cut: $(cat "$W/err")"
		[ -z "$(ls -A "$H/spool/new")" ] || violation "$fs round $i: spool/new not drained"
		[ -z "$(ls -A "$H/spool/bad")" ] || violation "$fs round $i: something quarantined"
		for id in $r1 $r2 $r3 ${p:-}; do
			[ "$(in_log "$id")" = 1 ] || violation "$fs round $i: $id is in the log $(in_log "$id") times"
		done
		[ "$(status_of "$r2")" = REJECTED ] || violation "$fs round $i: the clash $r2 is $(status_of "$r2")"
		if [ -n "${prev:-}" ]; then
			[ "$(status_of "$prev")" = RESERVATION_CANCELED ] ||
				violation "$fs round $i: the cancellation of $prev did not hold: $(status_of "$prev")"
		fi
		prev=$r3 paid=$r1 p=
	done
	run_rebuild=$(cmd dispatcher --rebuild; echo $?)
	[ "$run_rebuild" = 0 ] || violation "$fs: --rebuild found differences"
	cmd dispatcher --check || violation "$fs: --check unhealthy"
	git -C "$H/state" fsck --strict --no-dangling >/dev/null 2>&1 || violation "$fs: git fsck"
	[ "$(ls -A "$H/state")" = .git ] || violation "$fs: state/ holds files"
	echo "$fs: $N power cuts survived, $(wc -l <"$ids" | tr -d ' ') events checked"
	umount "$MNT"
	rm -f "$IMG"
	prev= paid=
done
echo "violations: $violations"
[ "$violations" -eq 0 ]
