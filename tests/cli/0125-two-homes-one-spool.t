#!/bin/sh
# 0125-two-homes-one-spool.t: a copy of a home whose settings name its spool (spool:
# an absolute path), run beside it, drained the same spool: each home applied a share
# of the events, both healthy. The process that applies a home's batches holds the
# spool while it runs (its file served-by, which names the home); another home's
# batch is refused (78), takes nothing, and --check says so; the first applies every
# event. A spool the settings name anew is held anew.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

shop
mv "$H/spool" "$T_TMP/spool"
printf 'spool: %s\n' "$T_TMP/spool" >>"$H/config/rental.yaml"
cp -a "$H" "$T_TMP/copy"
"$BIN/dispatcher" 2>"$T_TMP/daemon.err" </dev/null &
pid=$!
T_PIDS="$T_PIDS $pid"
t_wait 'the home'"'"'s daemon holds its lock' 10 sh -c "! flock -n '$H/state/.git/rental.lock' true"

run dispatcher --home "$T_TMP/copy" --once
t_eq 'a copy of the home on the same spool: dispatcher --once refused (78)' "$RC" 78
t_match '... saying the spool is served by another home' "$ERR" \
	"$T_TMP/spool: served by the dispatcher of another home \\($H, as served-by names it\\)"
timeout 20 "$BIN/dispatcher" --home "$T_TMP/copy" 2>"$T_TMP/copy.err" </dev/null &
copy=$!
for i in 1 2 3 4 5 6; do
	carctl --as admin add "t$i" --rate 9 >/dev/null
	sleep 0.2
done
wait "$copy"
t_match '... its daemon says so, and takes nothing' "$(cat "$T_TMP/copy.err")" 'served by the dispatcher of another home'
t_wait 'the home applies every event' 15 sh -c "[ \$('$BIN/carctl' list --json | grep -c '\"car\":\"t') = 6 ]"
t_eq '... the copy none' "$(carctl --home "$T_TMP/copy" list --json | grep -c '"car":"t')" 0
run dispatcher --home "$T_TMP/copy" --check
t_eq "the copy's --check: unhealthy" "$RC" 1
t_match '... saying why' "$ERR" 'the last batch failed .*served by the dispatcher of another home'

# The home's settings name another spool: its daemon serves that one, and the old one
# no more (it held the spool it started with, and drained the new one unheld).
mkdir -p "$T_TMP/spool2/tmp" "$T_TMP/spool2/new" "$T_TMP/spool2/bad"
sed -i "s|^spool: .*|spool: $T_TMP/spool2|" "$H/config/rental.yaml"
carctl --as admin add u1 --rate 9 >/dev/null
t_wait 'the daemon applies from the spool named anew' 15 sh -c "'$BIN/carctl' list --json | grep -q '\"car\":\"u1\"'"
t_ok '... the old spool, which no one serves now: the copy may' dispatcher --home "$T_TMP/copy" --once
sed -i "s|^spool: .*|spool: $T_TMP/spool2|" "$T_TMP/copy/config/rental.yaml"
run dispatcher --home "$T_TMP/copy" --once
t_eq '... the new one, served: refused' "$RC" 78

# The settings name a spool another process holds: the daemon is refused there and
# holds nothing (it kept the old spool's served-by, and no one served that spool).
mkdir -p "$T_TMP/spool3/tmp" "$T_TMP/spool3/new" "$T_TMP/spool3/bad"
flock "$T_TMP/spool3/new" sleep 15 &
T_PIDS="$T_PIDS $!"
sleep 0.3
sed -i "s|^spool: .*|spool: $T_TMP/spool3|" "$H/config/rental.yaml"
carctl --as admin add u2 --rate 9 >/dev/null
t_wait 'a spool held by another: the daemon lets go of the one it held' 15 \
	sh -c "flock -n '$T_TMP/spool2/served-by' true && flock -n '$T_TMP/spool2/new' true"
t_stop_daemon "$pid" 0

# The two run by turns (cron's --once), so that neither holds the spool while the other
# runs: each took a share. The home that served-by names, whose settings still name
# this spool, is another's: refused, until that home serves it no more.
mkdir -p "$T_TMP/spool4/tmp" "$T_TMP/spool4/new" "$T_TMP/spool4/bad"
sed -i "s|^spool: .*|spool: $T_TMP/spool4|" "$H/config/rental.yaml" "$T_TMP/copy/config/rental.yaml"
carctl --as admin add v1 --rate 9 >/dev/null
t_ok 'by turns: the home applies' dispatcher --once
carctl --as admin add v2 --rate 9 >/dev/null
run dispatcher --home "$T_TMP/copy" --once
t_eq '... then its copy: refused (78)' "$RC" 78
t_match '... naming the home, and what to do when it serves the spool no more' "$ERR" \
	"$T_TMP/spool4: served by the dispatcher of another home \\($H, as served-by names it\\).*remove served-by"
t_eq '... and took nothing' "$(carctl --home "$T_TMP/copy" list --json | grep -c '"car":"v')" 0
t_ok '... the home again: it applies' dispatcher --once
t_eq '... every event' "$(carctl list --json | grep -c '"car":"v')" 2
ln -s "$H" "$T_TMP/link"
t_ok '... the home by another name (a link): its own' dispatcher --home "$T_TMP/link" --once
sed -i "s|^spool: .*|spool: $T_TMP/spool3|" "$H/config/rental.yaml"
t_ok '... the home names another spool: the copy may serve this one' dispatcher --home "$T_TMP/copy" --once
t_match '... and served-by names the copy' "$(cat "$T_TMP/spool4/served-by")" "$T_TMP/copy"
sed -i "s|^spool: .*|spool: $T_TMP/spool4|" "$H/config/rental.yaml"
run dispatcher --once
t_eq '... and the home, named there again, is refused' "$RC" 78
rm "$T_TMP/spool4/served-by"
t_ok '... until served-by is removed' dispatcher --once

# A dispatcher of this home just killed (kill -9) may hold the spool's files a moment
# after the home's lock, as the kernel closes its files one by one: the next batch
# waits for them, not refused (78) by itself (kill.sh under AddressSanitizer).
flock "$T_TMP/spool4/served-by" sleep 0.4 &
sleep 0.1
t_ok 'the spool held a moment longer by a run of this home: the batch waits for it' dispatcher --once

# A home whose path is long (served-by of more than 300 bytes was not read, and the
# copy took a share unrefused).
long=$T_TMP/$(printf 'a%.0s' $(seq 120))/$(printf 'b%.0s' $(seq 120))/$(printf 'c%.0s' $(seq 120))
mkdir -p "$long"
cp -a "$H" "$long/home"
sed -i "s|^spool: .*|spool: $T_TMP/spool5|" "$long/home/config/rental.yaml" "$T_TMP/copy/config/rental.yaml"
mkdir -p "$T_TMP/spool5/tmp" "$T_TMP/spool5/new" "$T_TMP/spool5/bad"
t_ok 'a home of a long path serves a spool' dispatcher --home "$long/home" --once
carctl --home "$long/home" --as admin add v3 --rate 9 >/dev/null
run dispatcher --home "$T_TMP/copy" --once
t_eq '... its copy is refused there (78)' "$RC" 78
done_testing
