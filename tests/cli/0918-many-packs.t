#!/bin/sh
# 0918-many-packs.t: a repository of many packs (merges that could not run for a
# while: a full disk) opens two files a pack; under the soft limit of open files
# (1,024 for a systemd service) the dispatcher failed every batch before its commit,
# "Too many open files", even once the disk had room. It raises its soft limit to the
# hard one, as far as the system allows.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

shop
packs=$H/state/.git/objects/pack
# Thirty packs more, of one object each (the same objects: a pack may repeat another's).
for id in $(state_git ls-tree -r main | awk '{ print $3 }' | head -n 30); do
	echo "$id" | state_git pack-objects -q "$packs/pack" >/dev/null
done
t_eq 'twenty packs or more' "$(ls "$packs" | grep -c '\.idx$' | awk '{ print ($1 >= 20) }')" 1
carctl --as admin add car09 --rate 100 >/dev/null
run sh -c "ulimit -S -n 30 && exec '$BIN/dispatcher' --once"
t_eq 'dispatcher --once under a soft limit of 30 open files: applied' "$RC" 0
t_match '... the car is there' "$(carctl list --json)" '"car":"car09"'
t_eq '... and the packs merged' "$(ls "$packs" | grep -c '\.idx$' | awk '{ print ($1 < 10) }')" 1
done_testing
