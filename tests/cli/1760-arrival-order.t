#!/bin/sh
# 1760-arrival-order.t: the spool is taken in the order its files arrived in
# spool/new (the time each was renamed in), not by the name a writer gave its file:
# a customer who reads another's waiting event cannot take its id by writing the
# same id under an earlier name, nor jump the queue for the same nights.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"
. "$(dirname "$0")/../sealing.sh"

sealing_or_skip
shop
BOB=$(pem bob)

# stopped_booking FROM TO: alice's reserve of car01 killed before its rename; its file
# waits in spool/tmp as $na, for the reservation $rt.
stopped_booking() {
	rm -f "$H/spool/tmp/"*
	t_exit 137 "alice's reserve, stopped before its rename" env RENTAL_CRASH_AT=writer \
		"$BIN/reserve" --as alice car01 --from "$1" --to "$2"
	na=$(ls "$H/spool/tmp" | head -n 1)
	rt=${na#*.}
}
# bobs_copy FROM TO: bob's booking of car02 under the id $rt, signed, in spool/tmp
# under a name that sorts first.
bobs_copy() {
	{ base "$rt" reserve bob; printf 'car: car02\nfrom: %s\nto: %s\n' "$1" "$2"; } >"$T_TMP/copy.body"
	seal "$BOB" "$T_TMP/copy.body" "$T_TMP/copy"
	cp "$T_TMP/copy" "$H/spool/tmp/00000000000000000000.$rt"
}
# arrive NAME...: the files of spool/tmp renamed into spool/new by one process, one
# after the other: within one tick of the file system's clock.
arrive() {
	python3 -c 'import os, sys
for n in sys.argv[2:]:
    os.rename(sys.argv[1] + "/tmp/" + n, sys.argv[1] + "/new/" + n)' "$H/spool" "$@"
}

# bob copies the id of alice's waiting booking, under a name that sorts first.
rx=$(reserve --as alice car01 --from "$(day 10)" --to "$(day 12)")
sleep 0.05
{ base "$rx" reserve bob; printf 'car: car02\nfrom: %s\nto: %s\n' "$(day 20)" "$(day 22)"; } >"$T_TMP/steal.body"
seal "$BOB" "$T_TMP/steal.body" "$T_TMP/steal"
spool_drop "$T_TMP/steal" "00000000000000000000.$rx"
dispatch
t_eq "alice's booking keeps its id: hers, for car01" \
	"$(reserve --as admin list --json | jrow reservation "$rx" | jq -r '"\(.customer) \(.car) \(.status)"')" 'alice car01 RESERVED'
t_eq "bob's copy of the id is quarantined" "$(ls "$H/spool/bad" | grep -c "^00000000000000000000.$rx\$")" 1
t_match '... as another event under an id already used' "$(cat "$H/spool/bad/00000000000000000000.$rx.reason")" 'already used by another event'
t_ok 'alice pays for her booking' pay --as alice "$rx"

# bob books the same nights after alice, under a name that sorts before hers.
ra=$(reserve --as alice car02 --from "$(day 30)" --to "$(day 32)")
sleep 0.05
rb=$(newid res)
{ base "$rb" reserve bob; printf 'car: car02\nfrom: %s\nto: %s\n' "$(day 30)" "$(day 32)"; } >"$T_TMP/jump.body"
seal "$BOB" "$T_TMP/jump.body" "$T_TMP/jump"
spool_drop "$T_TMP/jump" "00000000000000000001.$rb"
dispatch
t_eq 'the booking that arrived first holds the nights' "$(status_of "$ra") $(status_of "$rb")" 'RESERVED REJECTED'

# The same within one tick of the file system's clock, where arrival cannot tell
# them apart: alice's file (her reserve killed before its rename) and bob's copy of
# its id renamed in one after the other by one process. The id is never bob's.
stopped_booking "$(day 40)" "$(day 42)"
bobs_copy "$(day 50)" "$(day 52)"
arrive "$na" "00000000000000000000.$rt"
dispatch
t_nomatch 'renamed in within one tick: the id is not bob'"'"'s' \
	"$(reserve --as admin list --json | jrow reservation "$rt" | jget customer)" bob
t_match "... bob's copy is quarantined" "$(cat "$H/spool/bad/00000000000000000000.$rt.reason")" \
	'already used by another event|claimed by other bytes waiting with it'

# A copy under alice's id whose signature fails is no rival: it is dropped, hers taken.
stopped_booking "$(day 60)" "$(day 62)"
{ base "$rt" reserve bob; printf 'car: car02\nfrom: %s\nto: %s\nsignature: %s\n' "$(day 70)" "$(day 72)" \
	"$(head -c 64 /dev/zero | base64 | tr -d '\n')"; } >"$H/spool/tmp/00000000000000000000.$rt"
arrive "$na" "00000000000000000000.$rt"
dispatch
t_eq 'a copy of her id whose signature fails, in the same tick: hers is taken' \
	"$(reserve --as admin list --json | jrow reservation "$rt" | jget customer)" alice

# Files that arrived in one tick are not split between batches (a batch takes 1,000):
# 999 files ahead, then alice's and bob's copy of its id in one tick.
i=0
while [ $i -lt 999 ]; do printf 'x\n' >"$H/spool/tmp/0junk$i"; i=$((i + 1)); done
arrive $(cd "$H/spool/tmp" && ls | grep '^0junk' | sort)
sleep 0.05
stopped_booking "$(day 80)" "$(day 82)"
bobs_copy "$(day 90)" "$(day 92)"
arrive "$na" "00000000000000000000.$rt"
dispatcher --once >/dev/null 2>&1
dispatcher --once >/dev/null 2>&1
t_nomatch "1,000 files ahead: bob's copy does not take the id in a batch of its own" \
	"$(reserve --as admin list --json | jrow reservation "$rt" | jget customer)" bob
rm -f "$H/spool/bad/0junk"*

# Nor with a change of the fleet among them: a booking ahead, then in one tick alice's
# booking, a price change, and bob's copy of her id named to sort last. Both claims
# are met in one batch.
r0=$(reserve --as carol car02 --from "$(day 5)" --to "$(day 6)")
sleep 0.05
stopped_booking "$(day 100)" "$(day 102)"
env RENTAL_CRASH_AT=writer "$BIN/carctl" --as admin set car02 --rate 31000 >/dev/null 2>&1
nw=$(ls "$H/spool/tmp" | grep -v "$rt")
{ base "$rt" reserve bob; printf 'car: car02\nfrom: %s\nto: %s\n' "$(day 110)" "$(day 112)"; } >"$T_TMP/copy.body"
seal "$BOB" "$T_TMP/copy.body" "$T_TMP/copy"
cp "$T_TMP/copy" "$H/spool/tmp/99999999999999999999.$rt"
arrive "$na" "$nw" "99999999999999999999.$rt"
dispatcher --once >/dev/null 2>&1
t_nomatch 'a change of the fleet among them: bob'"'"'s copy does not take the id' \
	"$(reserve --as admin list --json | jrow reservation "$rt" | jget customer)" bob
t_eq '... the booking ahead is applied, the price changed' "$(status_of "$r0") $(carctl show car02 --json | jget rate)" \
	'RESERVED 31000'

# Rival claims in one tick, a change of the fleet after them, then bob's copy again:
# every claim of the id is quarantined at once, the later one too.
stopped_booking "$(day 120)" "$(day 122)"
bobs_copy "$(day 130)" "$(day 132)"
arrive "$na" "00000000000000000000.$rt"
sleep 0.05
carctl --as admin set car02 --rate 32000 >/dev/null
sleep 0.05
cp "$T_TMP/copy" "$H/spool/tmp/00000000000000000001.$rt"
arrive "00000000000000000001.$rt"
dispatcher --once >/dev/null 2>&1
t_nomatch 'rivals in one tick, a fleet change, bob'"'"'s copy again: the id is not bob'"'"'s' \
	"$(reserve --as admin list --json | jrow reservation "$rt" | jget customer)" bob
t_eq '... all three claims quarantined' "$(ls "$H/spool/bad" | grep -c "\.$rt\$")" 3

# A car.set signed by bob (a customer) and one whose signature fails, each in its own
# tick between two bookings: quarantined, the bookings applied, in one batch.
commits() { git --git-dir="$H/state/.git" rev-list --count main; }
n=$(commits)
reserve --as alice car01 --from "$(day 140)" --to "$(day 141)" >/dev/null
sleep 0.05
{ base "$(newid car)" car.set bob; printf 'car: car02\nrate: 1\n'; } >"$T_TMP/cust.body"
seal "$BOB" "$T_TMP/cust.body" "$T_TMP/cust"
spool_drop "$T_TMP/cust" "$(spname "$(sed -n 's/^id: //p' "$T_TMP/cust")")"
sleep 0.05
{ base "$(newid car)" car.set admin; printf 'car: car02\nrate: 2\nsignature: %s\n' \
	"$(head -c 64 /dev/zero | base64 | tr -d '\n')"; } >"$T_TMP/forged"
spool_drop "$T_TMP/forged" "$(spname "$(sed -n 's/^id: //p' "$T_TMP/forged")")"
sleep 0.05
reserve --as alice car01 --from "$(day 150)" --to "$(day 151)" >/dev/null
run dispatcher --once
t_eq 'a customer'"'"'s car.set and a forged one between two bookings: one batch' "$(($(commits) - n))" 1
t_match '... both quarantined' "$ERR" 'applied 2, skipped 0, quarantined 2'
t_eq '... the price unchanged' "$(carctl show car02 --json | jget rate)" 32000

# Names of one file share its ctime (hard links; a chmod sets it for all): a batch took
# every name of one tick, so 120,000 links made a batch of 193 MB. Past twice a batch's
# size, a tick's names go a batch's worth at a time (the rule of one tick is for what
# writers make, who rename each file once).
carctl --as admin set car02 --rate 33000 >/dev/null
ev=$(ls "$H/spool/new")
python3 -c 'import os, sys
d, ev = sys.argv[1], sys.argv[2]
idp = ev.split(".", 1)[1]
for i in range(1, 3000):
    os.link(d + "/" + ev, d + "/%020d.%s" % (i, idp))
os.chmod(d + "/" + ev, 0o644)' "$H/spool/new" "$ev"
t_eq '3,000 names of one event, one ctime' "$(stat -c %Z "$H/spool/new/"* | sort -u | wc -l)" 1
run dispatcher --once
t_eq '... exit 0' "$RC" 0
t_match '... not in one batch: the first takes twice a batch' "$ERR" 'the spool: 2000 of 3000'
t_match '... the event applied once, its other names skipped' "$ERR" 'applied 1, skipped 2999, quarantined 0'
t_eq '... nothing waits' "$(spool_count new)" 0

done_testing
