#!/bin/sh
# 2040-csv.t: --csv on every listing (CONTRACT 2): a header of the JSON field names,
# then a line per object, fields quoted as RFC 4180 where needed, LF line ends; null
# an empty field, true and false as in JSON, an array or object its JSON text; an
# empty listing the header alone. Each listing's CSV is read by Python's csv module
# and compared, field by field, with the same listing's --json.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

if ! command -v python3 >/dev/null 2>&1; then
	t_skip 'CSV against JSON' 'no python3'
	done_testing
fi
cat >"$T_TMP/same.py" <<'EOF'
# same.py CSV JSON: the CSV file says what the JSON lines say; prints what differs.
import csv, json, sys
raw = open(sys.argv[1], 'rb').read()
assert b'\r' not in raw.replace(b'"\r', b''), 'a CR outside a quoted field'
rows = list(csv.reader(raw.decode('utf-8').splitlines(keepends=True)))
objs = [json.loads(l) for l in open(sys.argv[2], encoding='utf-8') if l.strip()]
head, body = rows[0], rows[1:]
bad = []
if len(body) != len(objs):
    bad.append('%d lines, %d objects' % (len(body), len(objs)))
for o in objs:
    if list(o.keys()) != head:
        bad.append('header %s, fields %s' % (head, list(o.keys())))
for r, o in zip(body, objs):
    for k, v in zip(head, r):
        w = o[k]
        if w is None: ok = v == ''
        elif w is True or w is False: ok = v == ('true' if w else 'false')
        elif isinstance(w, (list, dict)): ok = json.loads(v) == w
        elif isinstance(w, str): ok = v == w
        else: ok = json.loads(v) == w
        if not ok:
            bad.append('%s: csv %r, json %r' % (k, v, w))
print('\n'.join(bad) if bad else 'same')
EOF
# same DESC CMD...: CMD --csv says what CMD --json says.
same() {
	_s_desc=$1
	shift
	"$@" --csv >"$T_TMP/out.csv" 2>"$T_TMP/err" && "$@" --json >"$T_TMP/out.json" 2>>"$T_TMP/err"
	_s_rc=$?
	t_eq "$_s_desc: --csv says what --json says" \
		"$_s_rc $(python3 "$T_TMP/same.py" "$T_TMP/out.csv" "$T_TMP/out.json" 2>&1 | tail -n 5)" '0 same'
}

shop
t_ok 'an empty listing' reserve --as alice list --csv
t_eq '... is the header alone' "$OUT" 'reservation,car,customer,from,to,nights,amount,status,reason'
carctl init "$T_TMP/empty" >/dev/null 2>&1
t_ok 'carctl list --csv of a home with no car' carctl --home "$T_TMP/empty" list --csv
t_eq '... the header alone' "$OUT" 'car,model,rate,status,stars,ratings'
t_ok 'rent list --csv with no rental' rent --as bob list --csv
t_eq '... the header alone' "$OUT" 'reservation,car,customer,from,to,amount,payment,status'
t_ok 'mypage --csv with no booking' mypage --as carol --csv
t_eq '... the header alone' "$OUT" 'reservation,car,from,to,nights,amount,status,payment,stars,reason'
t_refuse 64 '--json and --csv together' carctl list --json --csv

# Values that need quoting: a comma, a quote, a line break; Hangul.
carctl --as admin add car03 --rate 10000 --model 'Kia "Ray", 2024 레이' >/dev/null
dispatch
t_ok 'carctl list --csv' carctl list --csv
t_eq '... quotes a field with a comma or a quote, doubling the quote' \
	"$(printf '%s\n' "$OUT" | grep '^car03')" 'car03,"Kia ""Ray"", 2024 레이",10000,AVAILABLE,,0'
t_eq '... null is an empty field' "$(printf '%s\n' "$OUT" | grep '^car02')" 'car02,Morning,30000,AVAILABLE,,0'
t_eq '... lines end in LF alone' "$(carctl list --csv | od -c | grep -c '\\r')" 0

r1=$(book alice car01 "$(day 0)" "$(day 2)")
paid alice "$r1" >/dev/null
returned alice "$r1"
rate --as alice "$r1" --stars 5 --comment "$(printf 'smooth,\n"quiet" car')" >/dev/null
r2=$(reserve --as bob car02 --from "$(day 3)" --to "$(day 5)")
r3=$(reserve --as carol car02 --from "$(day 4)" --to "$(day 6)")
carctl --as admin block car03 --from "$(day 1)" --to "$(day 2)" >/dev/null
dispatch
t_eq 'a REJECTED booking with its reason' "$(status_of "$r3")" REJECTED

same 'carctl list' carctl list
same 'carctl list --from --to' carctl list --from "$(day 3)" --to "$(day 4)"
same 'carctl show (bookings, reviews: JSON text)' carctl show car01
same 'carctl show of a blocked car' carctl show car03
same 'carctl key list (revoked: true or false)' carctl key list
same 'carctl cal' carctl cal
same 'reserve list (reason)' reserve --as admin list
same 'rent list' rent --as admin list
same 'rent due' rent --as admin due
same 'mypage (reason)' mypage --as carol
t_ok 'show --csv: one record' carctl show car01 --csv
t_eq '... a header and one record (a comment holds a line break, quoted)' \
	"$(printf '%s\n' "$OUT" | python3 -c 'import csv, sys; print(len(list(csv.reader(sys.stdin))))')" 2
t_eq '... the header' "$(printf '%s\n' "$OUT" | head -n 1)" \
	'car,model,rate,status,stars,ratings,weekly,monthly,late_fee,bookings,reviews'
carctl --as admin key rm bob >/dev/null
dispatch
t_match 'key list --csv: true for a revoked key' "$(carctl key list --csv)" '^bob,customer,[^,]+,true$'
t_match '... false for the others' "$(carctl key list --csv)" '^alice,customer,[^,]+,false$'
done_testing
