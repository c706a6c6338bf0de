# powercut.sh: a file system on a loop-mounted image whose power can be cut (the
# shutdown ioctl, its log not flushed, as a power cut leaves a disk), for the
# power-loss tests (sourced after lib.sh). POWER_WHY: why they cannot run here, or
# empty.
POWER_WHY=
[ "$(id -u)" = 0 ] || POWER_WHY='needs root for loop devices'
for _pc_tool in mount umount xfs_io mkfs.xfs mkfs.ext4; do
	[ -n "$POWER_WHY" ] || command -v "$_pc_tool" >/dev/null 2>&1 || POWER_WHY="no $_pc_tool"
done
MNT=$T_TMP/mnt
IMG=
OPTS=
cleanup_fs() {
	mountpoint -q "$MNT" 2>/dev/null && umount "$MNT" 2>/dev/null
}
trap 'cleanup_fs; _t_cleanup' EXIT

# loop_mount FS: a fresh image of FS (xfs, or ext4 mounted noauto_da_alloc) at $MNT,
# mounted by the image's path (mount takes a loop device under its lock), never by a
# device's name another test running at once could take in between. Fails where the
# kernel refuses it.
loop_mount() {
	IMG=$T_TMP/$1.img
	rm -f "$IMG"
	truncate -s 320M "$IMG"
	mkdir -p "$MNT"
	OPTS=
	[ "$1" = ext4 ] && OPTS=',noauto_da_alloc'
	if ! mkfs."$1" -q "$([ "$1" = xfs ] && echo -f || echo -F)" "$IMG" >/dev/null 2>&1 ||
		! mount -o "loop$OPTS" "$IMG" "$MNT" 2>/dev/null; then
		cleanup_fs
		return 1
	fi
}

# power_cut: the file system stops where it is, its log not flushed; then mount.
power_cut() {
	xfs_io -x -c shutdown "$MNT" >/dev/null 2>&1 || diag "shutdown failed"
	umount "$MNT" && mount -o "loop$OPTS" "$IMG" "$MNT" || diag "remount failed"
}
