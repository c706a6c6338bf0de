#!/bin/sh
# 1610-power-loss.t: the power cut at each step of a batch, for real: the dispatcher
# killed at the step, then the file system shut down without flushing its log (the
# shutdown ioctl, as a power cut leaves a disk), on loop-mounted XFS and ext4
# (noauto_da_alloc) images, then mounted again. Every accepted event is applied once,
# the nights a cancellation freed are free, a rebuild finds nothing to repair, and
# the home is healthy (DESIGN.md, 1). Skipped with the reason where loop devices or
# the tools cannot be used. POWER_STEPS overrides the steps (make torture runs more).
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"
. "$(dirname "$0")/../powercut.sh"

: "${POWER_STEPS:=none state objects ref commit merged spool spool-half}"

# in_log ID: how many log entries of main carry the event ID.
in_log() { git -C "$H/state" grep -l -e "^id: $1\$" main -- log | wc -l | tr -d ' '; }

run_step() { # FS STEP
	H=$MNT/home-$2
	RENTAL_HOME=$H
	export RENTAL_HOME
	carctl init "$H" >/dev/null 2>&1 </dev/null
	customers alice bob carol
	dispatch
	carctl --as admin add car01 --rate 50000 >/dev/null 2>&1 </dev/null
	carctl --as admin add car02 --rate 30000 >/dev/null 2>&1 </dev/null
	dispatch
	r1=$(book alice car01 2028-08-06 2028-08-08)
	r2=$(book bob car02 2028-08-10 2028-08-12)
	sync
	reserve --as bob cancel "$r2" >/dev/null 2>&1 </dev/null
	p1=$(pay --as alice "$r1" 2>/dev/null </dev/null)
	if [ "$2" = none ]; then
		dispatch
	else
		RENTAL_CRASH_AT=$2 "$BIN/dispatcher" --once >/dev/null 2>&1 </dev/null
	fi
	power_cut
	t_ok "$1 $2: after the cut, the dispatcher finishes the work" dispatcher --once
	t_eq "$1 $2: the spool is empty, nothing quarantined" "$(spool_count new) $(spool_count bad)" '0 0'
	t_eq "$1 $2: each event is in the log once" "$(in_log "$r1") $(in_log "$r2") $(in_log "$p1")" '1 1 1'
	t_eq "$1 $2: the cancellation holds" "$(status_of "$r2")" RESERVATION_CANCELED
	t_eq "$1 $2: the payment holds" "$(status_of "$r1")" RENTED
	r3=$(reserve --as carol car02 --from 2028-08-10 --to 2028-08-12 2>&1 </dev/null)
	dispatch
	t_eq "$1 $2: the freed nights are booked again" "$(status_of "$r3")" RESERVED
	t_ok "$1 $2: a rebuild finds nothing to repair" dispatcher --rebuild
	t_ok "$1 $2: healthy" dispatcher --check
	t_ok "$1 $2: git fsck is clean" git -C "$H/state" fsck --strict --no-dangling
	t_eq "$1 $2: no object left that no commit names (a dead batch's pack is swept)" \
		"$(git -C "$H/state" fsck --unreachable 2>&1)" 
	t_eq "$1 $2: state/ holds nothing but .git" "$(ls -A "$H/state")" .git
}

nsteps=$(printf '%s\n' $POWER_STEPS | wc -l)
for fs in xfs ext4; do
	if [ -n "$POWER_WHY" ]; then
		i=0
		while [ "$i" -lt $((nsteps * 11)) ]; do t_skip "$fs power cut" "$POWER_WHY"; i=$((i + 1)); done
		continue
	fi
	if ! loop_mount "$fs"; then
		i=0
		while [ "$i" -lt $((nsteps * 11)) ]; do t_skip "$fs power cut" "the kernel refused a loop-mounted $fs"; i=$((i + 1)); done
		continue
	fi
	for step in $POWER_STEPS; do
		run_step "$fs" "$step"
	done
	cleanup_fs
	rm -f "$IMG"
done
done_testing
