#!/bin/sh
# 2030-calendar.t: carctl cal (a month as a grid of cars by days: . free, R reserved,
# X rented, B blocked; colour on a terminal unless NO_COLOR; --json and --csv) and
# carctl ical (RFC 5545: a VEVENT for each held booking and block, CRLF line ends,
# lines folded at 75 octets), read back by a real iCalendar parser (python3-icalendar).
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

shop
carctl --as admin add car03 --rate 10000 >/dev/null
dispatch
# A month ahead, so that every day of it may be booked: the 2nd to the 4th reserved
# on car01, the 10th to the 12th rented on car01, the 5th to the 7th blocked on
# car02, and a canceled booking (holding nothing) on car03.
M=$(date -u -d "$(date -u +%Y-%m-15) +2 months" +%Y-%m)
ND=$(date -u -d "$M-01 +1 month -1 day" +%d)
r1=$(book alice car01 "$M-02" "$M-04")
r2=$(book bob car01 "$M-10" "$M-12")
paid bob "$r2" >/dev/null
b1=$(carctl --as admin block car02 --from "$M-05" --to "$M-07" --reason 'tyres')
r3=$(book carol car03 "$M-20" "$M-21")
reserve --as carol cancel "$r3" >/dev/null
dispatch

# row N LETTERS...: a grid line of ND days, day N on holding the letters given.
dots() {
	_n=$1 _s=
	while [ "$_n" -gt 0 ]; do _s="$_s."; _n=$((_n - 1)); done
	printf '%s' "$_s"
}
tail_dots=$(dots $((ND - 12)))
t_ok 'carctl cal --month M' carctl cal --month "$M"
t_eq 'a line per car: . free, R reserved, X rented, B blocked' "$(printf '%s\n' "$OUT" | sed -n '3,$p')" \
	"car01   .RR......XX.$tail_dots
car02   ....BB..............$(dots $((ND - 20)))
car03   $(dots "$ND")"
t_eq 'the header: the month, then the days in two lines' "$(printf '%s\n' "$OUT" | sed -n '1,2p' | cut -c1-17)" \
	"$M 000000000
        123456789"
t_eq '... as many columns as the month has days' "$(printf '%s\n' "$OUT" | sed -n 2p | cut -c9- | tr -d '\n' | wc -c | tr -d ' ')" "$ND"
t_nomatch 'no colour when stdout is not a terminal' "$OUT" "$(printf '\033')"
t_ok 'cal CAR...: the cars named, in that order' carctl cal car03 car01 --month "$M"
t_eq '... car03 then car01' "$(printf '%s\n' "$OUT" | sed -n '3,$p' | cut -c1-5 | tr '\n' ' ')" 'car03 car01 '

# colour: on a terminal (script(1) gives one), unless NO_COLOR is set.
if command -v script >/dev/null 2>&1; then
	colour=$(script -qec "'$BIN/carctl' cal car01 --month $M" /dev/null </dev/null 2>/dev/null)
	t_match 'on a terminal: reserved nights in colour' "$colour" "$(printf '\033\\[33mRR\033\\[0m')"
	t_match '... rented ones in another' "$colour" "$(printf '\033\\[31mXX\033\\[0m')"
	plain=$(NO_COLOR=1 script -qec "'$BIN/carctl' cal car01 --month $M" /dev/null </dev/null 2>/dev/null)
	t_nomatch 'NO_COLOR: none' "$plain" "$(printf '\033')"
	t_match '... the same letters' "$plain" "car01 +\\.RR\\.{6}XX"
	empty=$(NO_COLOR= script -qec "'$BIN/carctl' cal car01 --month $M" /dev/null </dev/null 2>/dev/null)
	t_nomatch 'NO_COLOR set and empty: none either (CONTRACT: "unless NO_COLOR is set")' "$empty" "$(printf '\033')"
else
	t_skip 'colour on a terminal' 'no script(1)'
fi

t_ok 'cal --json' carctl cal --month "$M" --json
t_eq 'one object per car' "$(printf '%s\n' "$OUT" | grep -c .)" 3
line=$(printf '%s\n' "$OUT" | jrow car car01)
t_eq 'car, month, and a word per day' "$(printf '%s\n' "$line" | jq -c '[.car, .month, (.days | length)]')" "[\"car01\",\"$M\",$ND]"
t_eq 'the days of car01' "$(printf '%s\n' "$line" | jq -r '.days[0:13] | join(" ")')" \
	'free reserved reserved free free free free free free rented rented free free'
t_eq 'car02 blocked on the 5th and 6th' "$(printf '%s\n' "$OUT" | jrow car car02 | jq -r '.days[3:7] | join(" ")')" \
	'free blocked blocked free'
t_ok 'cal --csv' carctl cal car02 --month "$M" --csv
t_eq '... a header, and the days as JSON text' "$(printf '%s\n' "$OUT" | sed -n 1p)" 'car,month,days'
t_match '... quoted' "$(printf '%s\n' "$OUT" | sed -n 2p)" "^car02,$M,\"\\[\"\"free\"\",\"\"free\"\",\"\"free\"\",\"\"free\"\",\"\"blocked\"\""
t_ok 'cal without --month: this month' carctl cal --json
t_eq '... names it' "$(printf '%s\n' "$OUT" | head -n 1 | jget month)" "$(date -u +%Y-%m)"
t_ok 'February of a leap year has 29 days' carctl cal car01 --month 2028-02 --json
t_eq '... 29' "$(printf '%s\n' "$OUT" | jq '.days | length')" 29
t_refuse 65 'cal --month of no month' carctl cal --month 2028-13
t_refuse 65 'cal --month not YYYY-MM' carctl cal --month 2028-2
t_refuse 64 'cal --month without its value' carctl cal --month
t_refuse 1 'cal of an unknown car' carctl cal car99
t_refuse 65 'cal of a malformed car id' carctl cal 'car/1'
carctl init "$T_TMP/empty" >/dev/null 2>&1
t_ok 'cal of a home with no car' carctl --home "$T_TMP/empty" cal --month "$M" --csv
t_eq '... CSV: the header alone' "$OUT" 'car,month,days'

# ---- ical ----
carctl ical >"$T_TMP/all.ics"
t_eq 'ical exits 0' "$?" 0
t_eq 'every line ends in CRLF' "$(tr -d '\n' <"$T_TMP/all.ics" | tr '\r' '\n' | grep -c .)" "$(grep -c . "$T_TMP/all.ics")"
t_eq 'no bare LF' "$(sed -n '/[^\r]$/p' "$T_TMP/all.ics" | grep -c .)" 0
t_eq 'no line is longer than 75 octets' "$(awk '{ sub(/\r$/, "") } length($0) > 75' "$T_TMP/all.ics" | grep -c .)" 0
t_eq 'a VEVENT for each held booking and block' "$(grep -c '^BEGIN:VEVENT' "$T_TMP/all.ics")" 3
t_match 'the reserved booking' "$(cat "$T_TMP/all.ics")" "^UID:$r1@rental"
t_match 'its dates' "$(tr -d '\r' <"$T_TMP/all.ics")" "DTSTART;VALUE=DATE:$(echo "$M" | tr -d -)02"
t_match 'the rented one' "$(tr -d '\r' <"$T_TMP/all.ics")" "^SUMMARY:car01 RENTED$"
t_match 'the block' "$(tr -d '\r' <"$T_TMP/all.ics")" "^UID:$b1@rental$"
t_nomatch 'the canceled booking: not there' "$(cat "$T_TMP/all.ics")" "$r3"
t_nomatch 'no customer names' "$(cat "$T_TMP/all.ics")" 'alice|bob|carol'
t_eq 'ical CAR: only its own' "$(carctl ical car02 | grep -c '^BEGIN:VEVENT')" 1
t_eq 'ical CAR CAR: a car named twice is taken once (a UID is unique)' \
	"$(carctl ical car02 car02 | grep -c '^BEGIN:VEVENT')" 1
t_eq 'cal CAR CAR: one row' "$(carctl cal car02 car02 --json | grep -c .)" 1
t_refuse 1 'ical of an unknown car' carctl ical car99

# A real parser: python3-icalendar (Debian's), as make check installs it.
PY=
for p in python3 /usr/bin/python3; do
	if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import icalendar' 2>/dev/null; then
		PY=$p
		break
	fi
done
if [ -n "$PY" ]; then
	parsed=$("$PY" - "$T_TMP/all.ics" <<'EOF'
import sys, icalendar
cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())
print(cal['VERSION'], cal['PRODID'].startswith('-//rental//'))
for ev in sorted(cal.walk('VEVENT'), key=lambda e: str(e['UID'])):
    print(ev['UID'], ev['DTSTART'].dt.isoformat(), ev['DTEND'].dt.isoformat(), ev['SUMMARY'],
          type(ev['DTSTAMP'].dt).__name__)
EOF
)
	want=$(printf '%s\n' "2.0 True" \
		"$b1@rental $M-05 $M-07 car02 BLOCKED datetime" \
		"$r1@rental $M-02 $M-04 car01 RESERVED datetime" \
		"$r2@rental $M-10 $M-12 car01 RENTED datetime" | { read -r h; echo "$h"; sort; })
	t_eq 'python3-icalendar reads every event back: UID, dates, SUMMARY, DTSTAMP' \
		"$(printf '%s\n' "$parsed" | { read -r h; echo "$h"; sort; })" "$want"
	# Folding: a block's reason (its DESCRIPTION) longer than 75 octets, Hangul in
	# it, is cut into lines of at most 75 octets, never inside a character, and the
	# parser joins them again.
	reason="정비: 브레이크, 타이어; 엔진오일 교환 — brakes, tyres; oil change \\ back, and more words to make it long"
	carctl --as admin unblock "$b1" >/dev/null
	dispatch
	b2=$(carctl --as admin block car02 --from "$M-05" --to "$M-07" --reason "$reason")
	dispatch
	carctl ical car02 >"$T_TMP/fold.ics"
	t_eq 'a long DESCRIPTION is folded: no line over 75 octets' \
		"$(awk '{ sub(/\r$/, "") } length($0) > 75' "$T_TMP/fold.ics" | grep -c .)" 0
	t_match '... into several lines, each going on with a space' "$(tr -d '\r' <"$T_TMP/fold.ics")" '^ '
	cat >"$T_TMP/fold.py" <<'EOF'
import sys, icalendar
raw = open(sys.argv[1], 'rb').read()
for line in raw.split(b"\r\n"):
    line.decode('utf-8')
ev = icalendar.Calendar.from_ical(raw).walk('VEVENT')[0]
sys.stdout.write(str(ev['UID']) + ' ' + str(ev['DESCRIPTION']))
EOF
	t_eq '... each line whole UTF-8; the parser reads the reason back' \
		"$("$PY" "$T_TMP/fold.py" "$T_TMP/fold.ics" 2>&1)" "$b2@rental $reason"
else
	t_skip 'python3-icalendar reads every event back' 'no python3 with icalendar (make check installs python3-icalendar)'
fi
t_ok 'dispatcher --rebuild' dispatcher --rebuild
done_testing
