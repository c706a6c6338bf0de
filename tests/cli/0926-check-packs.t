#!/bin/sh
# 0926-check-packs.t: `dispatcher --check` says when the state repository is damaged
# (CONTRACT), not only what every batch reads first: a pack truncated, emptied or its
# index damaged, in a pack that holds neither main's commit nor the log's head, left
# it healthy while every reading command said 74. A pack whose index is gone is not
# called removable when the history needs it. main removed by hand from a repository
# that holds a history is said as such by the readers (74) and --check, where they
# answered as a home with nothing in it (an empty fleet, an unknown identity).
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

shop
G=$H/state/.git
# old_pack: a pack that holds none of main's commit, its layout and the log's head.
old_pack() {
	_keep=$(state_git rev-parse main main:layout main:log/head)
	for _idx in "$G"/objects/pack/*.idx; do
		_hit=0
		for _o in $_keep; do git show-index <"$_idx" | grep -q "$_o" && _hit=1; done
		[ "$_hit" = 0 ] && { echo "${_idx%.idx}"; return; }
	done
}
i=0
while [ "$i" -lt 4 ] || [ "$(old_pack)" = "" ] && [ "$i" -lt 30 ]; do
	i=$((i + 1))
	carctl --as admin add "c$i" --rate 1000 >/dev/null
	reserve --as alice car01 --from "$(day $((10 * i)))" --to "$(day $((10 * i + 1)))" >/dev/null
	dispatch
done
pk=$(old_pack)
t_ok 'a pack that holds neither main nor the log head' test -n "$pk"
cp -a "$G" "$T_TMP/whole.git"
restore() { rm -rf "$G" && cp -a "$T_TMP/whole.git" "$G"; }
t_ok 'healthy before' dispatcher --check

chmod u+w "$pk.pack"
truncate -s $(($(stat -c %s "$pk.pack") / 2)) "$pk.pack"
t_refuse 74 'a pack cut to half: carctl list fails' carctl list
t_refuse 1 '... and --check says so (it said healthy)' dispatcher --check
t_match '... naming the pack' "$ERR" "state: .*$(basename "$pk")\\.pack: damaged"
restore

chmod u+w "$pk.pack"
: >"$pk.pack"
t_refuse 1 'a pack emptied: --check' dispatcher --check
t_match '... naming it' "$ERR" "$(basename "$pk")\\.pack: damaged"
restore

chmod u+w "$pk.idx"
printf '\377\377\377\377' | dd of="$pk.idx" bs=1 seek=100 conv=notrunc 2>/dev/null
t_refuse 1 'its index'"'"'s fanout damaged: --check' dispatcher --check
t_match '... naming the pack' "$ERR" "$(basename "$pk")\\.pack: damaged"
restore

rm -f "$pk.idx"
run dispatcher --check
t_nomatch 'its index removed: not called removable' "$ERR" 'may be removed'
t_match '... git index-pack named' "$ERR" "$(basename "$pk")\\.pack has no index.*git index-pack"
t_ok '... git index-pack makes it again' git index-pack "$pk.pack"
t_ok '... healthy again' dispatcher --check
restore

# main removed by hand: not an empty home.
rm -f "$G/refs/heads/main"
t_refuse 74 'main removed: carctl list fails (it listed no car)' carctl list
t_match '... saying main names no commit' "$ERR" 'main names no commit, yet the repository holds a history'
t_refuse 74 '... carctl show (it said unknown car)' carctl show car01
t_refuse 74 '... reserve (it said unknown identity)' reserve --as bob car02 --from "$(day 3)" --to "$(day 4)"
t_refuse 74 '... mypage' mypage --as alice
t_refuse 1 '... --check' dispatcher --check
t_nomatch '... not told to run carctl init' "$ERR" "carctl init"
t_match '... told how to set it back' "$ERR" 'git update-ref refs/heads/main'
t_match "... and how to find its commit (git fsck names it: no ref, no reflog)" \
	"$(state_git fsck --no-reflogs 2>&1)" "dangling commit $(git --git-dir="$T_TMP/whole.git" rev-parse main)"
restore
t_ok 'main back: healthy' dispatcher --check

# A new home whose first batch was killed after its pack was in place, before main:
# no history deleted, an init to finish (it said main deleted by hand).
run env RENTAL_CRASH_AT=objects "$BIN/carctl" init "$T_TMP/new"
t_ok 'carctl init killed after its first pack' test -z "$(git --git-dir="$T_TMP/new/state/.git" rev-parse -q --verify main)"
run env RENTAL_HOME="$T_TMP/new" "$BIN/carctl" list
t_nomatch '... carctl list does not call main deleted' "$ERR" 'deleted by hand'
run env RENTAL_HOME="$T_TMP/new" "$BIN/dispatcher" --check
t_match '... --check says no commit yet' "$ERR" "no commit yet; run 'carctl init'"
t_ok '... carctl init again finishes it' carctl init "$T_TMP/new"
t_ok '... healthy' env RENTAL_HOME="$T_TMP/new" "$BIN/dispatcher" --check
done_testing
