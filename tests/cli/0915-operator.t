#!/bin/sh
# 0915-operator.t: running the dispatcher as an operator does: --once --quiet for
# cron, the daemon's log (a line per batch, per quarantined, rejected or refused event
# with its reason), a second dispatcher that says it waits, progress on long work,
# and --check as a liveness probe that tells the truth.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

shop
run dispatcher --once --quiet
t_eq '--once --quiet: nothing to say, nothing said' "$RC:$OUT:$ERR" '0::'
t_exit 64 '--quiet without --once is a usage error' dispatcher --quiet
printf 'not: an event\n' >"$H/spool/tmp/junk.yaml" && mv "$H/spool/tmp/junk.yaml" "$H/spool/new/junk.yaml"
run dispatcher --once --quiet
t_eq '--once --quiet: exit 0 with a quarantine' "$RC" 0
t_match '... and says what was quarantined and why' "$ERR" '^dispatcher: quarantined junk\.yaml: .*signature'
t_match '... and the summary' "$ERR" 'quarantined 1'

# The daemon's log: two bookings that clash, spooled before it starts, one batch.
r1=$(reserve --as alice car01 --from 2028-04-01 --to 2028-04-03)
r2=$(reserve --as bob car01 --from 2028-04-02 --to 2028-04-04)
"$BIN/dispatcher" >"$T_TMP/daemon.log" 2>&1 </dev/null &
pid=$!
T_PIDS="$T_PIDS $pid"
t_wait 'the daemon watches the spool' 10 grep -q watching "$T_TMP/daemon.log"
t_wait "the daemon logs bob's rejection with its reason" 20 \
	grep -q "^dispatcher: rejected $r2: car01: already reserved from 2028-04-01 to 2028-04-03\$" "$T_TMP/daemon.log"
t_match '... and a line for the batch' "$(cat "$T_TMP/daemon.log")" '^dispatcher: batch: applied [12], skipped 0, quarantined 0, outcomes [0-9]+, held 0, in [0-9]+ ms$'
t_nomatch '... and no second line for it (CONTRACT: a line per batch)' "$(cat "$T_TMP/daemon.log")" '^dispatcher: applied '
run dispatcher --once
t_eq 'a second dispatcher --once: exit 75' "$RC" 75
t_match '... says the home is served' "$ERR" 'another dispatcher is running'
timeout 2 "$BIN/dispatcher" --rebuild >/dev/null 2>"$T_TMP/rebuild.err"
t_eq '--rebuild while the daemon runs waits' "$?" 124
t_match '... and says that it waits' "$(cat "$T_TMP/rebuild.err")" 'another dispatcher is running; waiting until it ends'
pay --as alice "$r1" >/dev/null
t_wait '... the payment is applied' 20 sh -c "'$BIN/reserve' --as admin list --json | grep -q '\"$r1\".*RENTED'"
pay --as alice cancel "$r1" >/dev/null
pay --as alice cancel "$r1" >/dev/null 2>&1 # refused at once: RENTED no more once applied
t_stop_daemon "$pid" 0

# --check tells the truth.
t_ok '--check: healthy' dispatcher --check
run dispatcher --check --quiet
t_eq '--check --quiet, for cron: healthy, nothing said' "$RC:$OUT:$ERR" '0::'
id=$(reserve --as carol car02 --from 2028-05-01 --to 2028-05-02)
# two minutes later (the time since its rename into new/: faketime leaves stat alone)
later() { env NO_FAKE_STAT=1 faketime -f +120s "$BIN/dispatcher" "$@"; }
t_exit 1 '--check: an event waiting over 60 s is unhealthy' later --check
t_match '... and says so' "$ERR" 'events waiting, the oldest for [0-9]+ s: is the dispatcher running'
t_exit 1 '--check --quiet: the same' later --check --quiet
t_match '... and says why' "$ERR" 'events waiting, the oldest for [0-9]+ s: is the dispatcher running'
dispatch
t_ok '... drained, healthy again' dispatcher --check
cp -r "$H/state/.git/objects/pack" "$T_TMP/packs.bak"
for pk in "$H/state/.git/objects/pack/"*.pack; do
	n=$(stat -c %s "$pk")
	i=12
	while [ "$i" -lt "$((n - 20))" ]; do
		printf 'X' | dd of="$pk" bs=1 seek="$i" conv=notrunc 2>/dev/null
		i=$((i + 97))
	done
done
t_exit 1 '--check: a damaged state repository is unhealthy' dispatcher --check
t_match '... and says so' "$ERR" 'state.*damaged'
cp "$T_TMP/packs.bak/"* "$H/state/.git/objects/pack/"
t_ok '... mended, healthy' dispatcher --check

# A damaged object that --check's own reads pass by, but that a batch needs: the batch
# fails at every run, and --check says so until one succeeds.
r=$(reserve --as carol car02 --from 2028-07-01 --to 2028-07-02)
mkdir "$T_TMP/packs2.bak" && cp "$H/state/.git/objects/pack/"* "$T_TMP/packs2.bak/"
obj=$(state_git rev-parse main:management/cars)
for idx in "$H/state/.git/objects/pack/"*.idx; do
	at=$(git verify-pack -v "$idx" 2>/dev/null | awk -v o="$obj" '$1 == o { print $5 }')
	[ -n "$at" ] && printf 'XXXXXXXX' | dd of="${idx%.idx}.pack" bs=1 seek="$((at + 4))" conv=notrunc 2>/dev/null
done
run dispatcher --once
t_eq 'a batch that reads a damaged object fails (74)' "$RC" 74
t_exit 1 '... --check: unhealthy' dispatcher --check
t_match '... saying the last batch failed, and why' "$ERR" 'the last batch failed .*unreadable'
cp "$T_TMP/packs2.bak/"* "$H/state/.git/objects/pack/"
dispatch
t_eq 'mended: the batch is applied' "$(status_of "$r")" RESERVED
t_ok '... healthy again' dispatcher --check

# The index of the history's pack removed: the next run swept the pack itself as a
# killed writer's leftover, and the history was gone for good. It stays; --check
# names it; git index-pack makes its index again.
# The pack that holds main's commit: nothing opens without it (--check said only
# "main's commit is missing" first, in the runs where the merges had put it there).
c=$(state_git rev-parse main)
for i in "$H/state/.git/objects/pack/"*.idx; do
	git show-index <"$i" | grep -q "$c" && big=${i%.idx}.pack
done
rm "${big%.pack}.idx"
run dispatcher --once
t_eq 'a pack without its index: the batch fails' "$RC" 74
t_ok '... and the pack is still there' test -s "$big"
t_exit 1 '... --check: unhealthy' dispatcher --check
t_match '... naming the pack without its index' "$ERR" "$(basename "$big") has no index"
(cd "$H/state/.git/objects/pack" && git index-pack "$big" >/dev/null 2>&1 && chmod 444 "${big%.pack}.idx")
t_ok 'git index-pack made its index: healthy again' dispatcher --check
dispatch
t_eq '... and batches go on' "$DISPATCH_RC" 0
# An index that is not one (cut short): its pack was passed over, and every command
# said "main's commit is missing". It names the pack.
idx=${big%.pack}.idx
cp "$idx" "$T_TMP/idx.bak"
: >"$idx"
t_exit 1 'an index cut to nothing: --check unhealthy' dispatcher --check
t_match '... naming it' "$ERR" "$(basename "${big%.pack}"): its index is damaged"
t_refuse 74 '... carctl list fails (74)' carctl list
t_match '... naming it too' "$ERR" "$(basename "${big%.pack}"): its index is damaged"
cp "$T_TMP/idx.bak" "$idx"
t_ok '... put back: healthy' dispatcher --check

# keys/dispatcher.key of another home: its outcomes and commits would be no one's
# (replicas refuse them, a rebuild finds them all changed). Every run refuses to sign
# with it, and --check says so.
"$BIN/carctl" init "$T_TMP/other" >/dev/null 2>&1
cp "$H/keys/dispatcher.key" "$T_TMP/own.key"
cp "$T_TMP/other/keys/dispatcher.key" "$H/keys/dispatcher.key"
head0=$(state_git rev-parse main)
r=$(reserve --as carol car02 --from 2028-06-01 --to 2028-06-02)
run dispatcher --once
t_eq 'another home'"'"'s dispatcher key: --once is a configuration error (78)' "$RC" 78
t_match '... that names the key' "$ERR" 'dispatcher.key: not the key the log registers for the dispatcher'
t_eq '... nothing committed' "$(state_git rev-parse main)" "$head0"
t_eq '... the event waits in the spool' "$(spool_count new)" 1
t_exit 78 '... --rebuild likewise' dispatcher --rebuild
t_exit 1 '... --check: unhealthy' dispatcher --check
t_match '... and says why' "$ERR" 'dispatcher.key: not the key the log registers for the dispatcher'
cp "$T_TMP/own.key" "$H/keys/dispatcher.key"
dispatch
t_eq 'its own key back: the booking is applied' "$(status_of "$r")" RESERVED
t_ok '... healthy' dispatcher --check

# Progress on long work: a backlog of more than a batch.
backlog() {
	i=0
	while [ "$i" -lt 1100 ]; do
		carctl --as admin add "$1$i" --rate 10 >/dev/null 2>&1 </dev/null
		i=$((i + 1))
	done
}
backlog q
run dispatcher --once --quiet
t_eq '--once --quiet on a backlog says nothing (it said how far, for cron to mail)' "$RC:$OUT:$ERR" '0::'
backlog x
t0=$(date +%s%N)
run dispatcher --once
t1=$(date +%s%N)
t_eq 'a backlog of 1,100 events is applied' "$RC" 0
t_match '... telling how far, how fast and how long is left' "$ERR" \
	'^dispatcher: the spool: 1100 of 1100, [0-9]+ a second, 0 s left$'
# The rate counts from the start of the work (it counted from the first line, said
# after the first batch: ten times too fast).
rate=$(printf '%s\n' "$ERR" | sed -n 's/.*1100 of 1100, \([0-9]*\) a second.*/\1/p')
t_eq '... at a rate no faster than 1,100 events in the run' "$((${rate:-0} * (t1 - t0) / 1000000 <= 1100 * 1000 * 3 / 2))" 1
run dispatcher --rebuild
t_match '--rebuild tells how far the replay is' "$ERR" '^dispatcher: replaying the log: [0-9]+ of [0-9]+, [0-9]+ a second'
done_testing
