#!/bin/sh
# 1996-replica-daemon-merges.t: a replica's daemon follows round after round, each
# round's fetch a pack; it merges them as a primary does (about log2 of the history).
# It merged only the packs it had listed when it started, so a replica grew a pack a
# round without end (401 after 400 rounds), each read looking in every one.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

t_needs 'a replica daemon merges its packs' git

shop primary
P=$H
R=$T_TMP/replica
carctl init --replica "$P/state" "$R" >/dev/null 2>&1
"$BIN/dispatcher" --home "$R" 2>"$T_TMP/follow.err" </dev/null &
pid=$!
T_PIDS="$T_PIDS $pid"
main_of() { git --git-dir="$1/state/.git" rev-parse main; }
i=0
while [ "$i" -lt 16 ]; do
	carctl --as admin add "f$i" --rate 100 >/dev/null && dispatch
	t_wait "round $i: the daemon follows" 10 sh -c "[ \"\$(git --git-dir='$R/state/.git' rev-parse main)\" = '$(main_of "$P")' ]"
	i=$((i + 1))
done
sleep 1 # the round's merge, after it moved main
packs=$(ls "$R/state/.git/objects/pack/" | grep -c '\.idx$')
t_eq 'after 16 rounds the replica holds a few packs, not one a round' "$([ "$packs" -le 6 ] && echo few || echo "$packs")" few
t_eq '... and reads as the primary' "$(carctl --home "$R" list --json)" "$(carctl list --json)"
t_stop_daemon "$pid" 0 'replica: '
done_testing
