#!/bin/sh
# 1615-replica-power-loss.t: a replica's home on loop-mounted XFS and ext4
# (noauto_da_alloc) images follows its primary, then the power is cut (the shutdown
# ioctl, the log not flushed) and the image mounted again. The pack a round of
# following fetched is durable before main moves onto it: the replica's main still
# names a whole commit, every object is there, and it reads as the primary and
# follows on. Skipped with the reason where loop devices or the tools cannot be used.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"
. "$(dirname "$0")/../powercut.sh"

command -v git >/dev/null 2>&1 || POWER_WHY=${POWER_WHY:-no git}
main_of() { git --git-dir="$1/state/.git" rev-parse -q --verify main; }

shop primary
P=$H
for fs in xfs ext4; do
	if [ -n "$POWER_WHY" ]; then
		for i in 1 2 3 4 5 6 7; do t_skip "$fs: a replica's power cut" "$POWER_WHY"; done
		continue
	fi
	if ! loop_mount "$fs"; then
		for i in 1 2 3 4 5 6 7; do t_skip "$fs: a replica's power cut" "the kernel refused a loop-mounted $fs"; done
		continue
	fi
	R=$MNT/replica
	carctl init --replica "$P/state" "$R" >/dev/null 2>&1 </dev/null || diag "init --replica failed"
	sync
	# A round of following that fetches a pack, then the cut.
	month=09
	[ "$fs" = ext4 ] && month=10
	book bob car02 "2028-$month-01" "2028-$month-04" >/dev/null
	carctl --as admin add "car-$fs" --rate 70000 >/dev/null 2>&1 </dev/null
	dispatch
	t_ok "$fs: the replica follows" dispatcher --home "$R" --once
	want=$(main_of "$R")
	power_cut
	t_eq "$fs: after the cut, its main is where following left it" "$(main_of "$R")" "$want"
	t_ok "$fs: ... and every object is there (git fsck)" git --git-dir="$R/state/.git" fsck --strict --no-dangling
	t_eq "$fs: ... it reads as the primary" "$(carctl --home "$R" list --json 2>&1)" "$(carctl --home "$P" list --json 2>&1)"
	t_ok "$fs: ... is healthy" dispatcher --home "$R" --check
	carctl --as admin add "car-$fs-2" --rate 70000 >/dev/null 2>&1 </dev/null
	dispatch
	t_ok "$fs: ... and follows on" dispatcher --home "$R" --once
	t_eq "$fs: ... to the primary's main" "$(main_of "$R")" "$(main_of "$P")"
	cleanup_fs
	rm -f "$IMG"
done
done_testing
