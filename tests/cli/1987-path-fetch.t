#!/bin/sh
# 1987-path-fetch.t: a replica following a repository here (a path, file://) reads it
# with the project's reader and copies what the new commits changed since its own main.
# libgit2 packed the path's objects itself, reading every folder of the replica's main
# there: a round took 383 MB in a home of 100,000 bookings (18 MB now), a first fetch
# 2.2 GB. A folder the new commits did not change, unreadable in the mirror, stops no
# round; a first fetch goes in steps, a pack each; a mirror git itself wrote (loose
# objects from a push of git's, deltas after a git gc) is read as well.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

t_needs 'a replica following a path' git

shop primary
P=$H
M=$T_TMP/mirror.git
R=$T_TMP/branch
book alice car01 2028-08-06 2028-08-08 >/dev/null
book bob car02 2028-08-10 2028-08-12 >/dev/null
git clone -q --bare "$P/state/.git" "$M"
printf 'replicate: {remotes: ["%s"], max_lag_seconds: 30}\n' "$M" >>"$P/config/rental.yaml"
same() { [ "$(carctl --home "$R" "$@" 2>&1)" = "$(carctl --home "$P" "$@" 2>&1)" ]; }

t_ok 'a replica of a path, its first fetch in steps (a commit each)' \
	env RENTAL_REMOTE_STEP_BYTES=1 "$BIN/carctl" init --replica "$M" "$R"
t_eq '... its main is the mirror'"'"'s' "$(git_main "$R/state/.git")" "$(git_main "$M")"
t_ok '... it reads as the primary' same list --json
t_ok '... a whole history (git fsck)' git --git-dir="$R/state/.git" fsck --no-progress

# A folder no new commit changes (carol's keys), unreadable in the mirror.
shard=$(dirname "$(state_find keys carol.yaml)")
case $(dirname "$(state_find keys alice.yaml)") in "$shard") t_skip 'a tree not changed is not read' 'alice and carol share a shard' ;; *)
	tree=$(state_git rev-parse "main:$shard")
	git --git-dir="$M" repack -q -a -d -f --depth=0 --window=0 # whole objects, to damage one
	damage_object "$M" "$tree"
	t_exit 128 "carol's keys' folder is unreadable in the mirror (git cat-file)" \
		git --git-dir="$M" cat-file -p "$tree"
	book alice car01 2028-09-01 2028-09-03 >/dev/null
	t_ok 'a batch pushed to the mirror' dispatcher --push
	t_ok '... the replica follows it' dispatcher --home "$R" --once
	t_eq '... to the mirror'"'"'s main' "$(git_main "$R/state/.git")" "$(git_main "$M")"
	t_ok '... and reads as the primary' same show car01 --json ;;
esac

# A mirror git wrote: git gc (deltas), then a push of git's own (a few objects: loose
# ones), each followed. (A mirror and replica of their own: the primary's batches
# push to M in the background.)
book carol car02 2028-10-01 2028-10-03 >/dev/null
book carol car01 2028-10-05 2028-10-07 >/dev/null
M=$T_TMP/mirror2.git
R=$T_TMP/branch2
git clone -q --bare "$P/state/.git" "$M"
git --git-dir="$M" update-ref refs/heads/main "$(state_git rev-parse main~1)"
git --git-dir="$M" gc -q --prune=now
t_ok 'a replica of a mirror git gc made' carctl init --replica "$M" "$R"
t_eq '... at its main' "$(git_main "$R/state/.git")" "$(git_main "$M")"
t_ok 'a push of git'"'"'s own to the mirror' git --git-dir="$P/state/.git" push -q "$M" main
loose=$(find "$M/objects" -path '*/objects/[0-9a-f][0-9a-f]/*' -type f | wc -l)
t_eq '... which left loose objects there' "$([ "$loose" -gt 0 ] && echo yes)" yes
t_ok '... followed' dispatcher --home "$R" --once
t_eq '... to its main' "$(git_main "$R/state/.git")" "$(state_git rev-parse main)"
t_ok '... and it reads as the primary' same list --json
t_ok '... a whole history (git fsck)' git --git-dir="$R/state/.git" fsck --no-progress

# A mirror that borrows its objects (git clone --shared: objects/info/alternates),
# which the project's reader does not follow: fetched through libgit2.
git clone -q --bare --shared "$P/state/.git" "$T_TMP/shared.git"
t_file 'a mirror that borrows its objects' "$T_TMP/shared.git/objects/info/alternates"
t_ok '... a replica of it' carctl init --replica "$T_TMP/shared.git" "$T_TMP/borrower"
t_eq '... at its main' "$(git_main "$T_TMP/borrower/state/.git")" "$(git_main "$T_TMP/shared.git")"
done_testing
