#!/bin/sh
# 1950-limits.t: the contract's limits (CONTRACT 2, "Limits that protect the
# home"). For each bound, the value at the bound, just inside and just beyond:
# through the command (exit 0, or 65 and nothing written), and in an event
# signed by hand with a registered key and dropped in the spool, where beyond
# the bound it is quarantined in spool/bad with a .reason naming it, while a
# normal event of the same batch is applied and `dispatcher --once` exits 0.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"
. "$(dirname "$0")/../sealing.sh"

sealing_or_skip
shop

# day N: the date N days after today (UTC, when the test began; N may be negative).
TODAY=$(date -u +%Y-%m-%d)
day() {
	date -u -d "$TODAY $1 days" +%Y-%m-%d
}
# Hand-made events are signed by registered keys (pem: sealing.sh).
ADMIN=$(pem admin)
ALICE=$(pem alice)

has_car() {
	carctl list --json | grep -q "\"car\":\"$1\""
}
# hand_car OUT CAR RATE [MODEL]: a car.add signed by admin (EID its id).
hand_car() {
	mkev "$1" "$ADMIN" car.add admin car <<-EOF
	car: $2
	rate: $3
	${4:+model: $4}
	EOF
}

N=0
# normal: a normal event in the spool beside the hand-made one: car okN.
normal() {
	N=$((N + 1))
	carctl --as admin add "ok$N" --rate 1 >/dev/null 2>&1
}
# quarantined DESC FILE REGEX: FILE (a hand-made event, EID its id) and a normal
# event dropped in the spool: the dispatcher exits 0, FILE is in spool/bad with
# a .reason matching REGEX, the normal event is applied (4 assertions).
quarantined() {
	_q_name=$(spname "$EID")
	spool_drop "$2" "$_q_name"
	normal
	t_ok "$1: dispatcher --once exits 0" dispatcher --once
	t_file "$1: quarantined in spool/bad" "$H/spool/bad/$_q_name"
	t_match "$1: its .reason names the bound" "$(cat "$H/spool/bad/$_q_name.reason" 2>/dev/null)" "$3"
	t_ok "$1: a normal event of the same batch is applied" has_car "ok$N"
}
# admitted DESC FILE: FILE dropped in the spool: the dispatcher exits 0 and
# does not quarantine it (2 assertions).
admitted() {
	_a_name=$(spname "$EID")
	spool_drop "$2" "$_a_name"
	t_ok "$1: dispatcher --once exits 0" dispatcher --once
	t_nofile "$1: not quarantined" "$H/spool/bad/$_a_name"
}

# ---- the wedge: an amount of 16 digits --------------------------------------

# carctl add b --rate 100000000000000, 10 nights reserved: the amount had 16
# digits, which the dispatcher could not read back (SIGSEGV on every run).
t_refuse 65 'a rate of 100,000,000,000,000' carctl --as admin add b --rate 100000000000000
t_match '... says the bound' "$ERR" 'rate 100000000000000: .*1,000,000,000,000'
hand_car "$T_TMP/w1" b 100000000000000
quarantined 'a hand-made car.add with rate 100,000,000,000,000' "$T_TMP/w1" 'rate 100000000000000: .*1,000,000,000,000'
t_refuse 1 '... the car is not registered' carctl show b
t_ok 'the largest rate, 1,000,000,000,000, is taken' carctl --as admin add b --rate 1000000000000
t_ok '... applied' dispatch
t_ok 'alice reserves b for 10 nights' reserve --as alice b --from "$(day 10)" --to "$(day 20)"
res=$OUT
t_ok 'the dispatcher applies it' dispatch
t_eq '... the booking is RESERVED' "$(status_of "$res")" RESERVED
t_eq '... for 10,000,000,000,000' "$(mypage --as alice --json | jrow reservation "$res" | jget amount)" \
	10000000000000
t_ok 'a later run exits 0' dispatch
t_ok 'alice pays' pay --as alice "$res" --amount 10000000000000
t_ok '... applied' dispatch
t_eq '... the booking is RENTED' "$(status_of "$res")" RENTED
t_ok 'the home keeps working: bob reserves car01' reserve --as bob car01 --from "$(day 1)" --to "$(day 3)"
res=$OUT
t_ok '... applied' dispatch
t_eq '... RESERVED' "$(status_of "$res")" RESERVED

# ---- rates: 1 to 1,000,000,000,000 ------------------------------------------

for v in 0 1000000000001 10000000000000000000000 -1 1.5 1e6; do
	t_refuse 65 "carctl add --rate $v" carctl --as admin add "r$v" --rate "$v"
done
t_match '... the message names the value and the bound' "$ERR" 'rate 1e6: not a whole number from 1 to 1,000,000,000,000'
for v in 1 2 999999999999 1000000000000; do
	t_ok "carctl add --rate $v" carctl --as admin add "r$v" --rate "$v"
done
t_ok '... applied' dispatch
t_eq '... every one registered' "$(carctl list --json | grep -c '"car":"r')" 4
t_eq '... the largest rate is shown exactly' "$(carctl list --json | jrow car r1000000000000 | jget rate)" 1000000000000

for v in 0 1000000000001 9007199254740992 99999999999999999999; do
	hand_car "$T_TMP/hr" "h$v" "$v"
	quarantined "a car.add with rate $v" "$T_TMP/hr" "rate $v: not a whole number from 1 to 1,000,000,000,000"
done
for v in 1 2 999999999999 1000000000000; do
	hand_car "$T_TMP/hr" "h$v" "$v"
	admitted "a car.add with rate $v" "$T_TMP/hr"
	t_ok "... car h$v registered" has_car "h$v"
done

# ---- stays: 1 to 366 nights, starting 0 to 1,096 days after today -----------

for c in s1 s2 s3 s4 s5 s6; do
	carctl --as admin add "$c" --rate 1 >/dev/null 2>&1
done
dispatch
t_refuse 65 'reserve 0 nights (--to = --from)' reserve --as alice s1 --from "$(day 1)" --to "$(day 1)"
t_refuse 65 'reserve 367 nights' reserve --as alice s1 --from "$(day 1)" --to "$(day 368)"
t_match '... the message names the nights and the bound' "$ERR" \
	"from $(day 1) to $(day 368): 367 nights, a stay is 1 to 366 nights"
t_refuse 65 'reserve 100,000 nights' reserve --as alice s1 --from "$(day 1)" --to "$(day 100001)"
t_refuse 65 'reserve from yesterday' reserve --as alice s1 --from "$(day -1)" --to "$(day 1)"
t_match '... in the past' "$ERR" "from $(day -1): in the past \(today is $(day 0)\)"
t_refuse 65 'reserve from 1,097 days ahead' reserve --as alice s1 --from "$(day 1097)" --to "$(day 1098)"
t_match '... the message names the days and the bound' "$ERR" \
	"from $(day 1097): 1097 days ahead, a stay starts at most 1,096 days after today \($(day 0)\)"
t_ok 'reserve 1 night from today' reserve --as alice s1 --from "$(day 0)" --to "$(day 1)"
t_ok 'reserve 366 nights' reserve --as alice s2 --from "$(day 1)" --to "$(day 367)"
t_ok 'reserve 365 nights' reserve --as alice s3 --from "$(day 1)" --to "$(day 366)"
t_ok 'reserve from 1,096 days ahead, for 366 nights' reserve --as alice s4 --from "$(day 1096)" --to "$(day 1462)"
t_ok 'reserve from 1,095 days ahead' reserve --as alice s5 --from "$(day 1095)" --to "$(day 1096)"
t_ok '... all applied' dispatch
t_eq '... all RESERVED' "$(reserve --as alice list --json | grep '"car":"s[1-5]"' | grep -c '"status":"RESERVED"')" 5
t_eq '... 366 nights cost 366' "$(reserve --as alice list --json | jrow car s2 | jget amount)" 366

# hand_stay OUT CAR FROM TO: a reservation signed by alice (EID its id).
hand_stay() {
	mkev "$1" "$ALICE" reserve alice res <<-EOF
	car: $2
	from: $3
	to: $4
	EOF
}
# reason_of RES: the reason the dispatcher logged for rejecting RES.
reason_of() {
	state_with_line log/ "reservation: $1" | while read -r _p; do state_cat "$_p"; done | grep '^reason:'
}
hand_stay "$T_TMP/st" s6 "$(day 1)" "$(day 1)"
quarantined 'a reservation of 0 nights' "$T_TMP/st" "to $(day 1): must be after from $(day 1)"
hand_stay "$T_TMP/st" s6 "$(day 1)" "$(day 368)"
quarantined 'a reservation of 367 nights' "$T_TMP/st" "367 nights, a stay is 1 to 366 nights"
hand_stay "$T_TMP/st" s6 2026-12-07 2999-12-31
quarantined 'a reservation of 355,405 nights' "$T_TMP/st" "355405 nights, a stay is 1 to 366 nights"
t_eq '... no night of it is held' "$(state_ls reservation/held | grep -c '/s6/')" 0
for n in 1 365 366; do
	hand_stay "$T_TMP/st" s6 "$(day 1)" "$(day $((1 + n)))"
	r=$EID
	admitted "a reservation of $n nights" "$T_TMP/st"
	t_eq "... RESERVED" "$(status_of "$r")" RESERVED
	reserve --as alice cancel "$r" >/dev/null && dispatch
done
# A time of day that is none (the date alone was checked): quarantined.
EID=$(newid res)
printf 'id: %s\ntype: reserve\ntime: %s\nactor: alice\ncar: s6\nfrom: %s\nto: %s\n' \
	"$EID" "$(day 0)T99:99:99Z" "$(day 1)" "$(day 2)" >"$T_TMP/bt.body"
seal "$ALICE" "$T_TMP/bt.body" "$T_TMP/bt"
quarantined 'a reservation written at 99:99:99' "$T_TMP/bt" 'malformed time'
# Out of bounds only because of the day it is admitted: REJECTED with its reason.
hand_stay "$T_TMP/st" s6 "$(day -1)" "$(day 1)"
r=$EID
admitted 'a reservation from yesterday' "$T_TMP/st"
t_eq '... REJECTED' "$(status_of "$r")" REJECTED
t_match '... with its reason' "$(reason_of "$r")" "from $(day -1): in the past"
t_eq '... showing its 2 nights and their price, as one accepted would' \
	"$(reserve --as alice list --json | jrow reservation "$r" | jq -r '"\(.nights) \(.amount)"')" \
	"2 $((2 * $(carctl show s6 --json | jq -r .rate)))"
t_eq '... on mypage too' "$(mypage --as alice --json | jrow reservation "$r" | jq -r '"\(.nights) \(.amount)"')" \
	"2 $((2 * $(carctl show s6 --json | jq -r .rate)))"
hand_stay "$T_TMP/st" s6 "$(day 1097)" "$(day 1098)"
r=$EID
admitted 'a reservation from 1,097 days ahead' "$T_TMP/st"
t_eq '... REJECTED' "$(status_of "$r")" REJECTED
t_match '... with its reason' "$(reason_of "$r")" "from $(day 1097): 1097 days ahead, a stay starts at most 1,096 days after today"
t_eq '... showing its night and its price' "$(reserve --as alice list --json | jrow reservation "$r" | jget nights)" 1
hand_stay "$T_TMP/st" s6 "$(day 1096)" "$(day 1462)"
r=$EID
admitted 'a reservation from 1,096 days ahead, for 366 nights' "$T_TMP/st"
t_eq '... RESERVED' "$(status_of "$r")" RESERVED
hand_stay "$T_TMP/st" s6 "$(day 0)" "$(day 1)"
r=$EID
admitted 'a reservation from today' "$T_TMP/st"
t_eq '... RESERVED' "$(status_of "$r")" RESERVED

# A clock set back before these limits were made (a machine whose clock was reset boots
# in 1970) lifted them: the day before them exempts history, not a wrong clock. Today
# is never before that day, for the commands and the dispatcher alike.
if command -v faketime >/dev/null 2>&1; then
	run env NO_FAKE_STAT=1 faketime '2026-12-05 12:00:00' "$BIN/reserve" --as alice s6 --from 9999-12-29 --to 9999-12-31
	t_eq 'reserve from 9999-12-29 on a clock set back to 2026-12-05: 65' "$RC" 65
	t_match '... a stay starts at most 1,096 days ahead' "$ERR" 'days ahead, a stay starts at most 1,096 days'
	run env NO_FAKE_STAT=1 faketime '1970-01-01 00:05:00' "$BIN/carctl" --as admin block s6 --from 9000-01-01 --to 9000-02-01
	t_eq 'carctl block in 9000 on a clock of 1970: 65' "$RC" 65
	hand_stay "$T_TMP/st" s6 9999-12-29 9999-12-31
	r=$EID
	spool_drop "$T_TMP/st" "$(spname "$EID")"
	t_ok 'a stay from 9999-12-29 applied by a dispatcher whose clock says 1970' \
		env NO_FAKE_STAT=1 faketime '1970-01-01 00:05:00' "$BIN/dispatcher" --once
	t_eq '... REJECTED' "$(status_of "$r")" REJECTED
	t_match '... with its reason' "$(reason_of "$r")" 'from 9999-12-29: [0-9]+ days ahead, a stay starts at most 1,096 days'
	# Before 1970 (or past 5138) a spool file cannot be named by its time, nor an
	# event's time written: the writer refuses, writing nothing (it wrote what the
	# dispatcher quarantined).
	n0=$(spool_count new)
	run env NO_FAKE_STAT=1 faketime '1969-12-31 23:00:00' "$BIN/reserve" --as alice s6 --from "$(day 1)" --to "$(day 2)"
	t_eq 'reserve on a clock before 1970: try again later (75)' "$RC" 75
	t_match '... saying the clock is wrong' "$ERR" 'clock'
	t_eq '... nothing written' "$(spool_count new)" "$n0"
else
	t_skip 'a clock set back does not lift the limits' 'faketime is missing (Debian package faketime)'
fi

# ---- amounts: 1 to 366,000,000,000,000 (the largest rate x 366 nights) ------

t_ok 'a car at the largest rate' carctl --as admin add max --rate 1000000000000
dispatch
t_ok '... reserved for 366 nights' reserve --as alice max --from "$(day 400)" --to "$(day 766)"
big=$OUT
dispatch
t_eq '... costs 366,000,000,000,000, exactly' "$(mypage --as alice --json | jrow reservation "$big" | jget amount)" \
	366000000000000
t_refuse 65 'pay --amount 366,000,000,000,001' pay --as alice "$big" --amount 366000000000001
t_match '... the message names the bound' "$ERR" 'amount 366000000000001: not a whole number from 1 to 366,000,000,000,000'
t_refuse 65 'pay --amount 0' pay --as alice "$big" --amount 0
t_refuse 65 'pay --amount of 30 digits' pay --as alice "$big" --amount 100000000000000000000000000000
t_refuse 1 'pay --amount 365,999,999,999,999 (within the bounds, not the amount)' \
	pay --as alice "$big" --amount 365999999999999
one=$(reserve --as alice list --json | jrow car s1 | jget reservation)
t_ok 'pay --amount 1 (1 night at 1)' pay --as alice "$one" --amount 1
t_ok '... applied' dispatch
t_eq '... RENTED' "$(status_of "$one")" RENTED

# hand_pay OUT RES AMOUNT: a payment signed by alice (EID its id).
hand_pay() {
	mkev "$1" "$ALICE" pay alice pay <<-EOF
	reservation: $2
	amount: $3
	EOF
}
for v in 0 366000000000001 9007199254740993; do
	hand_pay "$T_TMP/hp" "$big" "$v"
	quarantined "a payment of $v" "$T_TMP/hp" "amount $v: not a whole number from 1 to 366,000,000,000,000"
done
t_eq '... the booking is still RESERVED' "$(status_of "$big")" RESERVED
hand_pay "$T_TMP/hp" "$big" 365999999999999
admitted 'a payment of 365,999,999,999,999' "$T_TMP/hp"
t_eq '... refused by the rule: still RESERVED' "$(status_of "$big")" RESERVED
hand_pay "$T_TMP/hp" "$big" 366000000000000
admitted 'a payment of 366,000,000,000,000' "$T_TMP/hp"
t_eq '... RENTED' "$(status_of "$big")" RENTED

# ---- stars 1 to 5, comments and models of at most 200 bytes ------------------

# text N: N bytes of text.
text() {
	head -c "$1" /dev/zero | tr '\0' x
}
# Korean, 3 bytes a letter: 66 letters and "ab" are 200 bytes.
K200="$(i=0; while [ $i -lt 66 ]; do printf '\355\225\234'; i=$((i + 1)); done)ab"
t_eq 'the Korean model is 200 bytes' "$(printf '%s' "$K200" | wc -c | tr -d ' ')" 200

t_refuse 65 'carctl add --model of 201 bytes' carctl --as admin add m1 --rate 1 --model "$(text 201)"
t_match '... the message names the bound' "$ERR" 'model: 201 bytes, longer than 200'
t_refuse 65 'carctl add --model of 201 bytes of Korean' carctl --as admin add m1 --rate 1 --model "${K200}c"
t_ok 'carctl add --model of 200 bytes' carctl --as admin add m1 --rate 1 --model "$(text 200)"
t_ok 'carctl add --model of 199 bytes' carctl --as admin add m2 --rate 1 --model "$(text 199)"
t_ok 'carctl add --model of 200 bytes of Korean' carctl --as admin add m3 --rate 1 --model "$K200"
dispatch
t_eq '... the Korean model is kept whole' "$(carctl show m3 --json | jget model)" "$K200"
hand_car "$T_TMP/hm" m4 1 "$(text 201)"
quarantined 'a car.add with a model of 201 bytes' "$T_TMP/hm" 'model: 201 bytes, longer than 200'
hand_car "$T_TMP/hm" m4 1 "$(text 200)"
admitted 'a car.add with a model of 200 bytes' "$T_TMP/hm"
t_ok '... registered' has_car m4

for c in t1 t2 t3 t4 t5 t6 t7; do
	carctl --as admin add "$c" --rate 1 >/dev/null 2>&1
done
dispatch
for c in t1 t2 t3 t4 t5 t6 t7; do
	reserve --as alice "$c" --from "$(day 0)" --to "$(day 1)" >"$T_TMP/$c.res"
done
dispatch
for c in t1 t2 t3 t4 t5 t6 t7; do
	pay --as alice "$(cat "$T_TMP/$c.res")" >/dev/null
done
dispatch
for c in t1 t2 t3 t4 t5 t6 t7; do
	rent --as alice return "$(cat "$T_TMP/$c.res")" >/dev/null
done
dispatch
t_eq 'seven bookings RETURNED' \
	"$(reserve --as alice list --json | grep '"car":"t[1-7]"' | grep -c '"status":"RETURNED"')" 7
r1=$(cat "$T_TMP/t1.res")
for v in 0 6 10 03 -1; do
	t_refuse 65 "rate --stars $v" rate --as alice "$r1" --stars "$v"
done
t_match '... the message names the bound' "$ERR" 'stars -1: not a whole number from 1 to 5'
t_refuse 65 'rate --comment of 201 bytes' rate --as alice "$r1" --stars 3 --comment "$(text 201)"
t_match '... the message names the bound' "$ERR" 'comment: 201 bytes, longer than 200'
i=0
for v in 1 2 4 5; do
	i=$((i + 1))
	t_ok "rate --stars $v" rate --as alice "$(cat "$T_TMP/t$i.res")" --stars "$v"
done
t_ok 'rate --comment of 200 bytes' rate --as alice "$(cat "$T_TMP/t5.res")" --stars 3 --comment "$(text 200)"
dispatch
t_eq '... every rating applied' "$(mypage --as alice --json | grep '"car":"t[1-5]"' | grep -c '"stars":[1-5]')" 5

# hand_rate OUT RES STARS [COMMENT]: a rating signed by alice (EID its id).
hand_rate() {
	mkev "$1" "$ALICE" rate alice rat <<-EOF
	reservation: $2
	stars: $3
	${4:+comment: $4}
	EOF
}
r6=$(cat "$T_TMP/t6.res")
for v in 0 6 03; do
	hand_rate "$T_TMP/hs" "$r6" "$v"
	quarantined "a rating of $v stars" "$T_TMP/hs" "stars $v: not a whole number from 1 to 5"
done
hand_rate "$T_TMP/hs" "$r6" 5 "$(text 201)"
quarantined 'a rating with a comment of 201 bytes' "$T_TMP/hs" 'comment: 201 bytes, longer than 200'
t_eq '... t6 is not rated' "$(mypage --as alice --json | jrow reservation "$r6" | jget stars)" null
hand_rate "$T_TMP/hs" "$r6" 5 "$(text 200)"
admitted 'a rating of 5 stars with a comment of 200 bytes' "$T_TMP/hs"
t_eq '... t6 has 5 stars' "$(mypage --as alice --json | jrow reservation "$r6" | jget stars)" 5
hand_rate "$T_TMP/hs" "$(cat "$T_TMP/t7.res")" 1
admitted 'a rating of 1 star' "$T_TMP/hs"
t_eq '... t7 has 1 star' "$(mypage --as alice --json | jrow reservation "$(cat "$T_TMP/t7.res")" | jget stars)" 1

done_testing
