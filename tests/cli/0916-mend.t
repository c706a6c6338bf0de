#!/bin/sh
# 0916-mend.t: a state record whose stored bytes are damaged (a bad sector, a bit
# flipped in the pack) while its id is the one the log makes. Every reading command
# said 74 naming the object, every batch failed, and `dispatcher --rebuild`, which
# compares trees by id, said "0 differences": only a backup mended the home. The
# rebuild makes the record again from the log, so it writes a good copy; readers and
# merges take a good copy over a damaged one.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

shop
r=$(book alice car01 "$(day 30)" "$(day 32)")

# batches_while CMD: a batch (a car added) at a time while CMD succeeds, 60 at most.
batches=0
batches_while() {
	_n=0
	while eval "$1" && [ "$_n" -lt 60 ]; do
		batches=$((batches + 1))
		carctl --as admin add "b$batches" --rate 1000 >/dev/null 2>&1
		dispatch || break
		_n=$((_n + 1))
	done
}
# packs_whole: git verify-pack passes every pack.
packs_whole() {
	for _i in "$H"/state/.git/objects/pack/*.idx; do git verify-pack "$_i" || return 1; done
}

# damage_in OBJ INDEX: overwrites bytes inside OBJ's deflated stream in that pack.
damage_in() {
	at=$(git show-index <"$2" | awk -v o="$1" '$2 == o { print $1 }')
	[ -z "$at" ] || printf 'XXXXXXXX' | dd of="${2%.idx}.pack" bs=1 seek="$((at + 4))" conv=notrunc 2>/dev/null
}
# damage OBJ: the same in every pack holding it.
damage() {
	for idx in "$H/state/.git/objects/pack/"*.idx; do damage_in "$1" "$idx"; done
}
# rebooked_until FINDER: a booking made and canceled (a record written again as it was)
# a batch each, until FINDER prints "ID INDEX", 10 times at most; then prints that.
rebooked_until() {
	_i=0
	while [ -z "$($1)" ] && [ "$_i" -lt 10 ]; do
		x=$(book bob car02 "$(day 50)" "$(day 51)")
		reserve --as bob cancel "$x" >/dev/null && dispatch
		_i=$((_i + 1))
	done
	$1
}

# An object in two packs (a batch writes a record again as it was before, in its own
# pack), damaged in the one read first: readers and merges take the other copy (a merge
# took the first at every batch, and failed for good).
packs=$H/state/.git/objects/pack
# twice: an id that two packs hold, and the one of them with fewer objects.
twice() {
	for idx in "$packs"/*.idx; do
		git show-index <"$idx" | awk -v p="$idx" -v n="$(git show-index <"$idx" | wc -l)" '{ print $2, n, p }'
	done | sort -k1,1 -k2,2n | awk '$1 == id { print id, p; exit } { id = $1; p = $3 }'
}
set -- $(rebooked_until twice)
t_ok 'an object in two packs' test -n "${1:-}"
damage_in "$1" "$2"
t_exit 1 '... damaged in the pack read first (git verify-pack)' git verify-pack "$2"
dup=$2
batches_while '[ -f "$dup" ]'
t_eq '... batches go on until a merge takes that pack' "$DISPATCH_RC:$(test -f "$dup" && echo "$dup")" '0:'
t_ok '... every pack is whole' packs_whole
run dispatcher --rebuild
t_eq '... and the state is the log' "$RC" 0

# The same, the good copy in the largest pack, which the merge of the damaged one does
# not take: the merge copies it from there (it failed at every batch until enough
# small packs made the largest one merge too).
i=0
while [ "$i" -lt 40 ]; do
	carctl --as admin add "s$i" --rate 1000 >/dev/null 2>&1 && dispatch
	i=$((i + 1))
done
# largest: the index of the pack with the most objects.
largest() {
	for idx in "$packs"/*.idx; do echo "$(git show-index <"$idx" | wc -l) $idx"; done | sort -n | tail -n 1 | cut -d' ' -f2
}
# also_in_largest: an id that the largest pack and another one hold, and that other one.
also_in_largest() {
	l=$(largest)
	git show-index <"$l" | awk '{ print $2 }' | sort >"$T_TMP/largest.ids"
	for idx in "$packs"/*.idx; do
		[ "$idx" != "$l" ] || continue
		git show-index <"$idx" | awk '{ print $2 }' | sort | comm -12 - "$T_TMP/largest.ids" | sed "s|\$| $idx|"
	done | head -n 1
}
set -- $(rebooked_until also_in_largest)
t_ok 'an object in the largest pack and in a smaller one' test -n "${1:-}"
damage_in "$1" "$2"
t_exit 1 '... damaged in the smaller one' git verify-pack "$2"
dup=$2 big=$(largest)
batches_while '[ -f "$dup" ]'
t_eq '... batches go on until a merge takes that pack' "$DISPATCH_RC:$(test -f "$dup" && echo "$dup")" '0:'
t_ok '... a merge that left the largest pack as it was' test -f "$big"
t_ok '... every pack is whole' packs_whole

rec=$(state_ls management/cars/ | head -n 1)
obj=$(state_git rev-parse "main:$rec")
damage "$obj"
t_refuse 74 'a damaged record: carctl list fails (74)' carctl list
t_match '... naming the object' "$ERR" "object $obj is damaged"

run dispatcher --rebuild
t_eq '--rebuild: exit 1, a difference found and repaired' "$RC" 1
t_match '... naming the record and the object' "$ERR" "$rec: its stored bytes are damaged or missing \\(object $obj\\); rebuilt"
t_match '... counted' "$ERR" 'rebuild: 1 differences repaired'
t_ok '... carctl list reads it again' carctl list
t_eq '... the same id: the record is the one the log makes' "$(state_git rev-parse "main:$rec")" "$obj"
# The damaged copy is gone at once, merged away: git, which serves pushes and the
# replicas' fetches, read it still (push: invalid stored block lengths) until a merge
# took its pack, as long as the history is big when that was the largest.
t_ok '... every pack is whole (git verify-pack)' packs_whole
t_ok '... git fsck is clean' state_git fsck --no-dangling
dispatch
t_eq '... batches go on' "$DISPATCH_RC" 0
t_ok '... healthy' dispatcher --check
t_eq '... the booking held' "$(status_of "$r")" RESERVED
run dispatcher --rebuild
t_eq '... a second rebuild finds nothing' "$RC:$ERR" '0:dispatcher: rebuild: 0 differences, state matches the log'

# A damaged folder (a tree object) is made again the same way.
tree=$(state_git rev-parse main:management/cars)
damage "$tree"
t_refuse 74 'a damaged folder: carctl list fails (74)' carctl list
run dispatcher --rebuild
t_eq '--rebuild: exit 1' "$RC" 1
t_match '... naming the folder' "$ERR" "management/cars/: its stored bytes are damaged or missing \\(object $tree\\); rebuilt"
t_ok '... carctl list reads it again' carctl list

# A damaged folder of the index of the log by id, which the replay reads to compare
# each outcome it decides with the logged one: it said each of them was "not what
# management decides again" (the log disagreeing with the rules), for a folder it then
# made again. Those outcomes are said not compared, and a second rebuild compares them.
outcome=$(state_ls ids/ | grep '/out-' | head -n 1) # a folder holding an outcome's entry
sub=$(state_git rev-parse "main:${outcome%/*}")
damage "$sub"
run dispatcher --rebuild
t_eq 'a damaged folder of ids/: --rebuild exit 1' "$RC" 1
t_match '... naming it, rebuilt' "$ERR" "^dispatcher: ids/[0-9a-f]+/[0-9a-f]+/: its stored bytes are damaged or missing \\(object $sub\\); rebuilt"
t_nomatch '... no outcome said to disagree with the rules' "$ERR" 'decides again'
t_match '... those outcomes said not compared' "$ERR" 'outcomes not compared with the log.s: their entries are damaged'
run dispatcher --rebuild
t_eq '... a second rebuild compares them: 0 differences' "$RC:$ERR" '0:dispatcher: rebuild: 0 differences, state matches the log'

# An object missing (a stray file a hand put in, its object lost): named (it said
# nothing, exit 70).
state_put management/stray "x: 1
" 2>/dev/null
blob=$(state_git rev-parse main:management/stray)
rm -f "$H/state/.git/objects/$(echo "$blob" | cut -c1-2)/$(echo "$blob" | cut -c3-)"
run dispatcher --rebuild
t_eq 'a missing object the log does not make: --rebuild fails (74)' "$RC" 74
t_match '... naming it' "$ERR" "management/stray: object $blob is missing"
state_git update-ref refs/heads/main main~1 2>/dev/null

# The keys' folder, the dispatcher's key record, the layout: the rebuild read them
# before it mended anything (to check keys/dispatcher.key against the registry, to
# know the layout), so it stopped (74) at what it was to mend, and the home waited for
# good. They are checked against what the log makes instead.
for what in keys "$(state_find keys dispatcher.yaml)" layout; do
	rm -rf "$T_TMP/git-$$" && cp -r "$H/state/.git" "$T_TMP/git-$$"
	obj=$(state_git rev-parse "main:$what")
	damage "$obj"
	t_refuse 74 "damaged $what: a batch fails (74)" dispatcher --once
	run dispatcher --rebuild
	t_eq "... --rebuild mends it: exit 1" "$RC" 1
	t_match '... naming it, rebuilt' "$ERR" "^dispatcher: $what/?: its stored bytes are damaged or missing \\(object $obj\\); rebuilt"
	t_ok '... --check is healthy at once (it said the last batch failed until one ran)' dispatcher --check
	t_ok '... batches go on' dispatcher --once
	run dispatcher --rebuild
	t_eq '... a second rebuild finds nothing' "$RC:$ERR" '0:dispatcher: rebuild: 0 differences, state matches the log'
	[ "$RC" -eq 0 ] || { rm -rf "$H/state/.git" && mv "$T_TMP/git-$$" "$H/state/.git"; }
	rm -rf "$T_TMP/git-$$"
done
# A batch that failed on something else (spool/bad a file, a junk event to put there):
# a rebuild that finds the state whole leaves that failure said.
mv "$H/spool/bad" "$T_TMP/bad" && : >"$H/spool/bad"
printf 'junk\n' >"$H/spool/new/junk.yaml"
t_refuse 74 'a batch that cannot quarantine (spool/bad a file): 74' dispatcher --once
run dispatcher --rebuild
t_eq '... a rebuild finds the state whole' "$RC" 0
t_refuse 1 '... and --check still says the batch failed' dispatcher --check
t_match '... as it did' "$ERR" 'the last batch failed'
rm -f "$H/spool/bad" && mv "$T_TMP/bad" "$H/spool/bad"
t_ok '... spool/bad back: the batch goes on' dispatcher --once

# A dispatcher key that is not the one the log registers is still refused, damaged
# registry or not.
cp "$H/keys/dispatcher.key" "$T_TMP/dispatcher.key"
carctl key gen other >/dev/null 2>&1 && cp "$H/keys/other.key" "$H/keys/dispatcher.key"
damage "$(state_git rev-parse main:keys)"
run dispatcher --rebuild
t_eq 'another key in keys/dispatcher.key, the keys folder damaged: --rebuild refuses (78)' "$RC" 78
t_match '... saying so' "$ERR" 'not the key the log registers for the dispatcher'
t_nomatch '... and that alone (each outcome signed with that key differed: not listed)' "$ERR" 'decides again'
cp "$T_TMP/dispatcher.key" "$H/keys/dispatcher.key"
t_ok '... its own key back: mended' sh -c "'$BIN/dispatcher' --rebuild; '$BIN/dispatcher' --rebuild"

# A folder that holds how far a context has applied the log: the rebuild needs that
# to replay, so it stops, naming the object.
cp -r "$packs" "$T_TMP/whole"
tree=$(state_git rev-parse main:rating)
damage "$tree"
run dispatcher --rebuild
t_eq 'a damaged folder holding a cursor: --rebuild fails (74)' "$RC" 74
t_match '... naming the object' "$ERR" "object $tree is damaged"
rm -f "$packs"/* && cp "$T_TMP/whole"/* "$packs"

# A damaged log entry is not made again (the log is the record): named, not hidden.
log=$(state_git ls-tree -r main -- log/ | awk 'NR == 1 { print $3 }')
damage "$log"
run dispatcher --rebuild
t_eq 'a damaged log entry: --rebuild fails (74)' "$RC" 74
t_match '... naming the object' "$ERR" "object $log is damaged"
done_testing
