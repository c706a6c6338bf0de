#!/bin/sh
# 1960-no-event-stops.t: no event can stop the dispatcher (DESIGN 8; CONTRACT 2,
# "Limits that protect the home"), as a property of every event type.
#
# For each type in the table of lib/event.c (the writers' and the dispatcher's
# outcomes), one batch of events signed by hand with registered keys: the
# type's well-formed event; each field left out; each field given values at,
# just inside and just beyond every bound of lib/limit.h (prices, amounts,
# stars, nights, days ahead, texts of 200 and 201 bytes, 2^53 - 1 and 2^53,
# leading zeros, signs, 30 digits, empty values) and absurd but well-formed
# YAML (quoted numbers, unicode, YAML escapes, very long keys, unknown fields,
# a flow mapping, document markers, duplicated ids, ids of other prefixes,
# unknown reservations and cars); the type signed by every other key; and its
# own bounds, with what must become of them. A normal event ends each batch.
# After each `dispatcher --once`: it exits 0 and holds back no context; the
# normal event is applied; every hand-made event is either applied (its bytes
# are one entry of the log in state/, a copy of them skipped; another event under
# an id applied before is quarantined) or quarantined (spool/bad, with a
# one-line .reason), never lost nor left in spool/new; the summary's counts
# agree; and `dispatcher --rebuild` finds nothing to repair. The number of
# cases tried is said at the end.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"
. "$(dirname "$0")/../sealing.sh"

sealing_or_skip
shop
S=$H/spool
TAB=$(printf '\t')

# ---- the table of event types --------------------------------------------

# TYPES: "type prefix roles" a line, in the order of the table in lib/event.c,
# roles one of admin, customer, customer+admin, system.
TYPES=$(awk -F'"' '/^[ \t]*\{EV_[A-Z_]+, "/ {
	r = ""
	if ($0 ~ /ROLE_CUSTOMER/) r = "customer"
	if ($0 ~ /ROLE_ADMIN/) r = r (r == "" ? "" : "+") "admin"
	if ($0 ~ /ROLE_SYSTEM/) r = "system"
	print $2, $4, r
}' "$T_TESTS/../lib/event.c")
KINDS=$(sed -n '/^enum event_kind {/,/EV_COUNT/p' "$T_TESTS/../lib/event.h" | grep -o 'EV_[A-Z_]*' | grep -cv '^EV_COUNT$')
t_eq 'the table of lib/event.c has a row for each kind of event' "$(printf '%s\n' "$TYPES" | grep -c .)" "$KINDS"

# ---- keys, and the bookings the events act on -----------------------------

ADMIN=$(pem admin)
BOB=$(pem bob)
DISP=$(pem dispatcher)
for k in mallory sys2 fresh; do
	openssl genpkey -algorithm ed25519 -out "$T_TMP/$k.pem" 2>/dev/null
done
MALLORY=$T_TMP/mallory.pem # never registered
SYS2=$T_TMP/sys2.pem       # registered with role system by a case of key.add
PK=$(pub "$T_TMP/fresh.pem")
t_eq 'the dispatcher key converts to OpenSSL' "$(pub "$DISP")" \
	"$(carctl --as admin key list --json | jrow name dispatcher | jget pubkey)"

TODAY=$(date -u +%Y-%m-%d)
day() {
	date -u -d "$TODAY $1 days" +%Y-%m-%d
}
for c in b1 b2 b3 b4 b5; do
	carctl --as admin add "$c" --rate 1 >/dev/null 2>&1
done
customers v1 v2 # keys for key.rm to revoke
dispatch
V2=$(pem v2)
# Blocks of b5: BLK1 in force, another ended (so the log holds an unblock).
BLK1=$(carctl --as admin block b5 --from "$(day 60)" --to "$(day 62)" 2>/dev/null)
BLK2=$(carctl --as admin block b5 --from "$(day 70)" --to "$(day 72)" 2>/dev/null)
dispatch
carctl --as admin unblock "$BLK2" >/dev/null 2>&1
# stay USER FROM-DAYS [CAR]: USER's booking of CAR (car01: 100,000) for 2 nights.
stay() {
	reserve --as "$1" "${3:-car01}" --from "$(day "$2")" --to "$(day $(($2 + 2)))" 2>/dev/null
}
R1=$(stay bob 10) R2=$(stay bob 13) R3=$(stay bob 16) R4=$(stay bob 19)
P1=$(stay bob 22) P2=$(stay bob 25) P3=$(stay bob 28)
T1=$(stay bob 0) T2=$(stay bob 0 b4) X1=$(stay bob 37) Y1=$(stay bob 40) # T: returned today
RA=$(reserve --as alice car02 --from "$(day 10)" --to "$(day 12)" 2>/dev/null)
RJ=$(reserve --as bob car01 --from "$(day 11)" --to "$(day 12)" 2>/dev/null)
dispatch
for r in $P1 $P2 $P3 $T1 $T2 $Y1; do pay --as bob "$r" >/dev/null 2>&1; done
reserve --as bob cancel "$X1" >/dev/null 2>&1
dispatch
for r in $T1 $T2; do rent --as bob return "$r" >/dev/null 2>&1; done
pay --as bob cancel "$Y1" >/dev/null 2>&1
dispatch
rate --as bob "$T2" --stars 4 >/dev/null 2>&1
dispatch
t_eq 'bob has four bookings RESERVED, three RENTED, two RETURNED, one REJECTED' \
	"$(for r in $R1 $R2 $R3 $R4 $P1 $P2 $P3 $T1 $T2 $RJ; do status_of "$r"; done | sort | uniq -c | tr -s ' ' | tr '\n' ,)" \
	' 1 REJECTED, 3 RENTED, 4 RESERVED, 2 RETURNED,'
# APPLIED_<prefix>: an id of that prefix the log holds (one of each writer type,
# and outcomes), for replays.
state_git grep -h -e '^id: ' main -- log/ | sed 's/^id: //' >"$T_TMP/setup-ids"
for p in key car blk ubk res rsc pay pyc ret rat out; do
	eval "APPLIED_$p=\$(grep -m 1 '^$p-' \"\$T_TMP/setup-ids\")"
	eval "t_match \"the log holds an event with a $p- id\" \"\$APPLIED_$p\" '^$p-[0-9a-f]{16}\$'"
done

# ---- making a case ---------------------------------------------------------

X32=$(printf '%032d' 0 | tr 0 x)
Y32=$(printf '%032d' 0 | tr 0 y)
X200=$(printf '%0200d' 0 | tr 0 x)
# Korean, 3 bytes a letter: 66 letters and "ab" are 200 bytes.
K200="$(i=0; while [ $i -lt 66 ]; do printf '\355\225\234'; i=$((i + 1)); done)ab"
K198=${K200%ab}
NOW=$(date -u +%Y-%m-%dT%H:%M:%SZ)
CASES=$T_TMP/cases # NAME ID EXPECT DESC REASON-REGEX, tab-separated
NC=0               # cases tried
NEWID_N=0
# nid PREFIX: a fresh id PREFIX-<16 hex> in _id (sealing.sh's newid costs a process).
nid() {
	NEWID_N=$((NEWID_N + 1))
	_n=$((100000000 + NEWID_N))
	_id=$1-$IDBASE${_n#1}
}
IDBASE=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')

# hcase EXPECT DESC PEM ID [REASON]: the body in $T_TMP/body, signed with PEM and
# dropped in the spool under a name carrying ID. EXPECT: a (applied: the file is
# an entry of the log), a:STATUS (applied, and the booking ID makes has that
# status), s (skipped: ID was applied already), q (quarantined, with a .reason
# matching REASON if given), - (any of these).
hcase() {
	NC=$((NC + 1))
	_hc_name=0$((NSBASE + NC)).$4
	# No dispatcher runs while a batch is made: the file goes straight into new/.
	{
		cat "$T_TMP/body"
		printf 'signature: '
		openssl pkeyutl -sign -inkey "$3" -rawin -in "$T_TMP/body" | base64 -w0
		printf '\n'
	} >"$S/new/$_hc_name" || diag "could not seal: $2"
	printf '%s\t%s\t%s\t%s\t%s\n' "$_hc_name" "$4" "$1" "$2" "${5:-}" >>"$CASES"
}
# head ID TYPE ACTOR: the four lines every event starts with.
head4() {
	printf 'id: %s\ntype: %s\ntime: %s\nactor: %s\n' "$1" "$2" "$NOW" "$3"
}
# good TYPE: the fields (after the four) of a well-formed event of TYPE; names
# that must be new are. 1 for a type this test does not know.
good() {
	case $1 in
	key.add) printf 'name: k%s\nrole: customer\npubkey: %s\n' "$NC" "$PK" ;;
	key.rm) printf 'name: v1\n' ;;
	car.add) printf 'car: c%s\nrate: 1000\nmodel: Avante\nweekly: 6000\nmonthly: 25000\nlate_fee: 2000\n' "$NC" ;;
	car.set) printf 'car: b5\nrate: 2\nmodel: Set\nweekly: 10\nmonthly: 40\nlate_fee: 3\n' ;;
	car.rm) printf 'car: c%s\n' "$NC" ;;
	car.block) printf 'car: b5\nfrom: %s\nto: %s\nreason: maintenance\n' "$D80" "$D82" ;;
	car.unblock) printf 'block: %s\n' "$BLK1" ;;
	reserve) printf 'car: car02\nfrom: %s\nto: %s\n' "$D40" "$D42" ;;
	reserve.cancel) printf 'reservation: %s\n' "$R1" ;;
	pay) printf 'reservation: %s\namount: 100000\n' "$R2" ;;
	pay.cancel) printf 'reservation: %s\n' "$P1" ;;
	rent.return) printf 'reservation: %s\n' "$P2" ;;
	rate) printf 'reservation: %s\nstars: 4\ncomment: fine\n' "$T1" ;;
	car.registered) printf 'ref: %s\ncar: car01\nrate: 50000\nmodel: Avante\nweekly: 300000\n' "$APPLIED_car" ;;
	car.changed) printf 'ref: %s\ncar: car01\nrate: 50000\nlate_fee: 1000\n' "$APPLIED_car" ;;
	car.removed) printf 'ref: %s\ncar: car01\n' "$APPLIED_car" ;;
	block.accepted | block.rejected)
		printf 'ref: %s\nblock: %s\ncar: b5\nfrom: %s\nto: %s\n' "$APPLIED_blk" "$APPLIED_blk" "$D80" "$D82"
		[ "$1" = block.accepted ] || printf 'reason: "b5: car blocked"\n' ;;
	block.ended) printf 'ref: %s\nblock: %s\ncar: b5\n' "$APPLIED_ubk" "$APPLIED_blk" ;;
	reservation.accepted | reservation.rejected)
		printf 'ref: %s\nreservation: %s\ncar: car01\ncustomer: bob\nfrom: %s\nto: %s\nnights: 2\namount: 100000\n' \
			"$R3" "$R3" "$D16" "$D18"
		[ "$1" = reservation.accepted ] || printf 'reason: "car01: already reserved"\n' ;;
	reservation.canceled) printf 'ref: %s\nreservation: %s\ncar: car01\ncustomer: bob\n' "$APPLIED_rsc" "$R3" ;;
	payment.accepted)
		printf 'ref: %s\nreservation: %s\ncar: car01\ncustomer: bob\npayment: %s\namount: 100000\nfrom: %s\nto: %s\n' \
			"$APPLIED_pay" "$R3" "$APPLIED_pay" "$D16" "$D18" ;;
	payment.canceled) printf 'ref: %s\nreservation: %s\ncar: car01\ncustomer: bob\npayment: %s\n' \
		"$APPLIED_pyc" "$P3" "$APPLIED_pay" ;;
	rental.returned) printf 'ref: %s\nreservation: %s\ncar: car01\ncustomer: bob\n' "$APPLIED_ret" "$P3" ;;
	rating.accepted) printf 'ref: %s\nreservation: %s\ncar: car01\ncustomer: bob\nstars: 5\nrating: %s\ncomment: fine\n' \
		"$APPLIED_rat" "$T1" "$APPLIED_rat" ;;
	refused) printf 'ref: %s\ncontext: payment\nreason: "%s: is RESERVED"\n' "$APPLIED_pay" "$R3" ;;
	*) return 1 ;;
	esac
}
D16=$(day 16) D18=$(day 18) D40=$(day 40) D42=$(day 42) D80=$(day 80) D82=$(day 82)

# The signers: as its type's role wants, and every other.
signer() { # ROLE: sets PEM and ACTOR
	case $1 in
	admin) PEM=$ADMIN ACTOR=admin ;;
	system) PEM=$DISP ACTOR=dispatcher ;;
	*) PEM=$BOB ACTOR=bob ;;
	esac
}
# ev EXPECT DESC FIELDS [REASON]: an event of the batch's type (T, PFX), signed as
# its role wants, with FIELDS (printf format) after the four lines.
ev() {
	nid "$PFX"
	{ head4 "$_id" "$T" "$ACTOR"; printf "$3"; } >"$T_TMP/body"
	hcase "$1" "$T: $2" "$PEM" "$_id" "${4:-}"
}
# evas PEM ACTOR EXPECT DESC FIELDS [REASON]: the same, signed with PEM as ACTOR.
evas() {
	nid "$PFX"
	{ head4 "$_id" "$T" "$2"; printf "$5"; } >"$T_TMP/body"
	hcase "$3" "$T: $4" "$1" "$_id" "${6:-}"
}
# ---- the values the fields are given ---------------------------------------

# KINDS TAB LABEL TAB VALUE, a line each: the value is given to every field of
# one of those kinds (* all; n a number, d a date, i an id, m a name, t a text
# or a word), and @NAME@ in it stands for that variable's value.
VALUES=$T_TMP/values
cat >"$VALUES" <<EOF
*${TAB}an empty value${TAB}
*${TAB}an empty quoted value${TAB}''
*${TAB}30 digits${TAB}123456789012345678901234567890
*${TAB}YAML null (~)${TAB}~
*${TAB}null${TAB}null
*${TAB}201 bytes${TAB}@X200@y
*${TAB}an emoji${TAB}🚗 Fast
*${TAB}a YAML escape of a control character${TAB}"a\\x01b"
*${TAB}a YAML escape of NUL${TAB}"a\\0b"
*${TAB}a newline and a line of the dispatcher's, escaped${TAB}"1\\ndispatcher: applied 9, skipped 0, quarantined 0, held 0"
*${TAB}a terminal escape, escaped${TAB}"\\e[31mred"
*${TAB}a lone byte 0xff${TAB}a@FF@b
*${TAB}a colon and a space${TAB}"a: b"
*${TAB}a flow sequence${TAB}[1, 2]
*${TAB}a flow mapping${TAB}{a: 1}
*${TAB}an anchor${TAB}&x 1
*${TAB}a tag${TAB}!!int 1
*${TAB}a block scalar${TAB}|-
n${TAB}zero${TAB}0
n${TAB}one${TAB}1
n${TAB}five${TAB}5
n${TAB}six${TAB}6
n${TAB}minus one${TAB}-1
n${TAB}plus one${TAB}+1
n${TAB}a leading zero${TAB}01
n${TAB}29 leading zeros${TAB}000000000000000000000000000001
n${TAB}the largest price${TAB}1000000000000
n${TAB}the largest price + 1${TAB}1000000000001
n${TAB}the largest amount${TAB}366000000000000
n${TAB}the largest amount + 1${TAB}366000000000001
n${TAB}2^53 - 1${TAB}9007199254740991
n${TAB}2^53${TAB}9007199254740992
n${TAB}minus 30 digits${TAB}-123456789012345678901234567890
n${TAB}a double-quoted number${TAB}"1000"
n${TAB}a single-quoted number${TAB}'1000'
n${TAB}a decimal${TAB}1.0
n${TAB}an exponent${TAB}1e3
n${TAB}hexadecimal${TAB}0x10
n${TAB}a fullwidth digit${TAB}１
n${TAB}an Arabic-Indic digit${TAB}٣
n${TAB}true${TAB}true
d${TAB}today${TAB}@TODAY@
d${TAB}yesterday${TAB}@YESTERDAY@
d${TAB}1,096 days ahead${TAB}@AHEAD@
d${TAB}1,097 days ahead${TAB}@BEYOND@
d${TAB}a leap day${TAB}2028-02-29
d${TAB}no such day${TAB}2027-02-29
d${TAB}before 1970${TAB}1969-12-31
d${TAB}the last day of 9999${TAB}9999-12-31
d${TAB}a five-digit year${TAB}10000-01-01
d${TAB}a date and time${TAB}2027-01-01T00:00:00Z
d${TAB}a quoted date${TAB}"@TODAY@"
i${TAB}an unknown reservation${TAB}res-0000000000000000
i${TAB}an id of another prefix${TAB}car-0123456789abcdef
i${TAB}an id of 15 hex digits${TAB}res-0123456789abcde
i${TAB}an id in capitals${TAB}res-0123456789ABCDEF
i${TAB}bob's booking${TAB}@R4@
i${TAB}alice's booking${TAB}@RA@
i${TAB}a rejected booking${TAB}@RJ@
m${TAB}a name of 32 characters${TAB}@X32@
m${TAB}a name of 33 characters${TAB}@X32@y
m${TAB}a name with dots${TAB}a..b
m${TAB}a name with a slash${TAB}a/b
m${TAB}a name with a leading dash${TAB}-ab
m${TAB}an unknown car${TAB}nocar
m${TAB}a known car, quoted${TAB}"car01"
m${TAB}a Korean name${TAB}현대
t${TAB}200 bytes${TAB}@X200@
t${TAB}200 bytes of Korean${TAB}@K200@
t${TAB}201 bytes of Korean${TAB}@K200@c
t${TAB}a tab, escaped${TAB}"a\\tb"
t${TAB}NEL, escaped${TAB}"a\\Nb"
t${TAB}U+0080, escaped${TAB}"a\\x80b"
t${TAB}U+2028, escaped${TAB}"a\\Lb"
t${TAB}a BOM, escaped${TAB}"\\uFEFFab"
t${TAB}U+FFFE, escaped${TAB}"a\\uFFFEb"
EOF
# kind_of FIELD: its kind, in _kind.
kind_of() {
	case $1 in
	rate | weekly | monthly | late_fee | amount | stars | nights) _kind=n ;;
	from | to) _kind=d ;;
	reservation | payment | rating | block | ref) _kind=i ;;
	car | name | customer) _kind=m ;;
	*) _kind=t ;;
	esac
}
# An outcome is quarantined whatever it holds: its fields are given a few values.
OUTCOME_VALUES='|an empty value|30 digits|201 bytes|a flow mapping|'

# value KINDS-TAB-LABEL-TAB-VALUE: the value with its @NAME@ replaced, in _v.
value() {
	_v=${1#*"$TAB"}
	_v=${_v#*"$TAB"}
	case $_v in
	*@*@*)
		for _n in TODAY YESTERDAY AHEAD BEYOND R4 RA RJ X32 X200 K200 FF; do
			case $_v in *"@$_n@"*)
				eval "_r=\$$_n"
				_v=${_v%%"@$_n@"*}$_r${_v#*"@$_n@"} ;;
			esac
		done ;;
	esac
}
YESTERDAY=$(day -1) AHEAD=$(day 1096) BEYOND=$(day 1097) FF=$(printf '\377')

# with FILE KEY VALUE: the lines of FILE, KEY's value replaced by VALUE, or the
# line left out if VALUE is the one word -drop-.
with() {
	while IFS= read -r _l; do
		case $_l in
		"$2: "*) [ "$3" = -drop- ] || printf '%s: %s\n' "$2" "$3" ;;
		*) printf '%s\n' "$_l" ;;
		esac
	done <"$1"
}

# ---- the cases every type gets ---------------------------------------------

# generic: the batch's type T (prefix PFX, roles ROLES) in every form but its
# own bounds.
generic() {
	if [ "$ROLES" = system ]; then GOOD=q; else GOOD=a; fi
	# The first key.rm of v1 revokes it; the others find it revoked (quarantined).
	[ "$T" = key.rm ] && GOOD=-
	nid "$PFX"
	{ head4 "$_id" "$T" "$ACTOR"; good "$T"; } >"$T_TMP/body"
	hcase "$GOOD" "$T: well-formed, signed by $ACTOR" "$PEM" "$_id"
	# Its very bytes again are skipped (their bytes are the log's entry: "applied"
	# here); other bytes under its id are another event, quarantined (never taken for
	# a copy and dropped).
	hcase "$GOOD" "$T: the same event again in the batch" "$PEM" "$_id"
	{ head4 "$_id" "$T" "$ACTOR"; good "$T"; printf '# another body\n'; } >"$T_TMP/body"
	case $GOOD in a) _x=q _why='already used by another event' ;; *) _x=$GOOD _why= ;; esac
	hcase "$_x" "$T: another event under the same id in the batch" "$PEM" "$_id" "$_why"
	eval "_old=\$APPLIED_$PFX"
	{ head4 "$_old" "$T" "$ACTOR"; good "$T"; } >"$T_TMP/body"
	hcase q "$T: another event under the id of one applied before" "$PEM" "$_old" 'already used by another event'

	good "$T" >"$T_TMP/fields"
	while IFS= read -r _l; do
		_k=${_l%%:*}
		case $T.$_k in
		car.add.model | car.add.weekly | car.add.monthly | car.add.late_fee | car.set.[!c]* | \
			rate.comment | *.reason | reservation.*.nights | reservation.*.amount | \
			payment.accepted.from | payment.accepted.to | rating.accepted.comment) _x=$GOOD ;;
		*) _x=q ;;
		esac
		nid "$PFX"
		{ head4 "$_id" "$T" "$ACTOR"; with "$T_TMP/fields" "$_k" -drop-; } >"$T_TMP/body"
		hcase "$_x" "$T: without $_k" "$PEM" "$_id"
		# The values of its kind and of every kind; a few for an outcome's.
		kind_of "$_k"
		while IFS= read -r _vl; do
			_kinds=${_vl%%"$TAB"*}
			_label=${_vl#*"$TAB"}
			_label=${_label%%"$TAB"*}
			if [ "$ROLES" = system ]; then
				case $OUTCOME_VALUES in *"|$_label|"*) ;; *) continue ;; esac
			else
				case $_kinds in '*' | *"$_kind"*) ;; *) continue ;; esac
			fi
			nid "$PFX"
			value "$_vl"
			{ head4 "$_id" "$T" "$ACTOR"; with "$T_TMP/fields" "$_k" "$_v"; } >"$T_TMP/body"
			hcase - "$T: $_k: $_label" "$PEM" "$_id"
		done <"$VALUES"
	done <"$T_TMP/fields"

	nid "$PFX"
	{ head4 "$_id" "$T" "$ACTOR"; good "$T"; printf 'colour: red\n'; } >"$T_TMP/body"
	hcase q "$T: an unknown field" "$PEM" "$_id" 'unknown field'
	nid "$PFX"
	{ head4 "$_id" "$T" "$ACTOR"; good "$T"; printf '%064d: 1\n' 0 | tr 0 a; } >"$T_TMP/body"
	hcase q "$T: an unknown key of 64 letters" "$PEM" "$_id" 'unknown field'
	nid "$PFX"
	{ head4 "$_id" "$T" "$ACTOR"; good "$T"; printf '%0300d: 1\n' 0 | tr 0 a; } >"$T_TMP/body"
	hcase q "$T: a key of 300 letters" "$PEM" "$_id" 'bad key'
	nid "$PFX"
	{ head4 "$_id" "$T" "$ACTOR"; good "$T"; printf '%01100d: 1\n' 0 | tr 0 a; } >"$T_TMP/body"
	hcase q "$T: a key of 1,100 letters" "$PEM" "$_id"
	nid "$PFX"
	{ head4 "$_id" "$T" "$ACTOR"; good "$T"; printf '열쇠: 1\n'; } >"$T_TMP/body"
	hcase q "$T: a Korean key" "$PEM" "$_id" 'bad key'
	nid "$PFX"
	{ head4 "$_id" "$T" "$ACTOR"; good "$T"; printf 'Type: %s\n' "$T"; } >"$T_TMP/body"
	hcase q "$T: a key in capitals" "$PEM" "$_id" 'bad key'
	nid "$PFX"
	_id2=$_id
	nid "$PFX"
	{ head4 "$_id" "$T" "$ACTOR"; good "$T"; printf 'id: %s\n' "$_id2"; } >"$T_TMP/body"
	hcase q "$T: a second id" "$PEM" "$_id" 'duplicate'
	if [ "$PFX" = res ]; then _other=car; else _other=res; fi
	nid "$_other"
	{ head4 "$_id" "$T" "$ACTOR"; good "$T"; } >"$T_TMP/body"
	hcase q "$T: an id of another prefix ($_other-)" "$PEM" "$_id" 'malformed id'
	nid "$PFX"
	{ head4 "$_id" "\"$T\"" "'$ACTOR'"; good "$T"; } >"$T_TMP/body"
	hcase "$GOOD" "$T: its type and actor quoted" "$PEM" "$_id"
	nid "$PFX"
	{ printf '%%YAML 1.1\n# a comment\n---\n'; head4 "$_id" "$T" "$ACTOR"; printf '\n'; good "$T"; printf '...\n'; } >"$T_TMP/body"
	hcase "$GOOD" "$T: a directive, a comment, a blank line, document markers" "$PEM" "$_id"
	nid "$PFX"
	{ head4 "$_id" "$T" "$ACTOR"; good "$T"; } | awk 'BEGIN { printf "{" } { sub(/: /, ": \""); printf "%s%s\"", (NR > 1 ? ", " : ""), $0 } END { print "}" }' >"$T_TMP/body"
	hcase "$GOOD" "$T: one flow mapping of quoted values" "$PEM" "$_id"
	nid "$PFX"
	{ head4 "$_id" "$T" "$ACTOR"; good "$T"; } | sed 's/$/\r/' >"$T_TMP/body"
	hcase "$GOOD" "$T: CRLF line ends" "$PEM" "$_id"
	nid "$PFX"
	{ printf '\357\273\277'; head4 "$_id" "$T" "$ACTOR"; good "$T"; } >"$T_TMP/body"
	hcase - "$T: a byte order mark" "$PEM" "$_id"
	nid "$PFX"
	{ head4 "$_id" "$T" "$ACTOR" | sed 's/^time: .*/time: 9999-12-31T23:59:59Z/'; good "$T"; } >"$T_TMP/body"
	hcase - "$T: a time in 9999" "$PEM" "$_id"
	nid "$PFX"
	{ head4 "$_id" "$T" "$ACTOR" | sed 's/^time: .*/time: yesterday/'; good "$T"; } >"$T_TMP/body"
	hcase q "$T: a malformed time" "$PEM" "$_id" 'time'

	# Every other signer.
	for _s in admin bob dispatcher sys2 mallory; do
		[ "$_s" = "$ACTOR" ] && continue
		[ "$_s" = sys2 ] && [ -z "$SYS2_REGISTERED" ] && continue
		case $_s in
		admin) _p=$ADMIN _x=q; case $ROLES in *admin*) _x=a ;; esac ;;
		bob) _p=$BOB _x=q; case $ROLES in *customer*) _x=a ;; esac ;;
		dispatcher) _p=$DISP _x=q ;;
		sys2) _p=$SYS2 _x=q ;;
		mallory) _p=$MALLORY _x=q ;;
		esac
		nid "$PFX"
		{ head4 "$_id" "$T" "$_s"; good "$T"; } >"$T_TMP/body"
		hcase "$_x" "$T: signed by $_s" "$_p" "$_id"
	done
	nid "$PFX"
	{ head4 "$_id" "$T" alice; good "$T"; } >"$T_TMP/body"
	hcase q "$T: signed by $ACTOR as alice" "$PEM" "$_id" 'bad signature'
}

# ---- each type's own bounds ------------------------------------------------

# literal NUMBER: an extended regex matching NUMBER (a sign at most), in _re.
literal() {
	case $1 in
	+*) _re="[+]${1#+}" ;;
	*) _re=$1 ;;
	esac
}

bounds() {
	case $T in
	key.add)
		ev a 'role system for sys2' "name: sys2\nrole: system\npubkey: $(pub "$SYS2")\n"
		SYS2_REGISTERED=1
		ev a 'a name of 32 characters' "name: $Y32\nrole: customer\npubkey: $PK\n"
		ev q 'a name of 33 characters' "name: ${X32}y\nrole: customer\npubkey: $PK\n" 'name'
		ev q 'a name registered already' "name: bob\nrole: admin\npubkey: $PK\n" 'registered already'
		ev q 'the dispatcher'"'"'s name' "name: dispatcher\nrole: system\npubkey: $PK\n" 'registered already'
		ev q 'role root' "name: r$NC\nrole: root\npubkey: $PK\n" 'role'
		ev q 'a key of 31 bytes' "name: s$NC\nrole: customer\npubkey: $(head -c 31 /dev/zero | base64)\n" 'pubkey'
		ev q 'a key of 33 bytes' "name: s$NC\nrole: customer\npubkey: $(head -c 33 /dev/zero | base64)\n" 'pubkey'
		;;
	car.add)
		for v in 1 2 999999999999 1000000000000 '"1000000000000"'; do
			ev a "rate $v" "car: r$NC\nrate: $v\n"
		done
		for v in 0 1000000000001 9007199254740991 9007199254740992 123456789012345678901234567890 -1 +1 01; do
			literal "$v"
			ev q "rate $v" "car: r$NC\nrate: $v\n" "rate $_re: not a whole number from 1 to 1,000,000,000,000"
		done
		ev a 'a model of 200 bytes' "car: m$NC\nrate: 1\nmodel: $X200\n"
		ev q 'a model of 201 bytes' "car: m$NC\nrate: 1\nmodel: ${X200}y\n" 'model: 201 bytes, longer than 200'
		ev a 'a model of 200 bytes of Korean' "car: m$NC\nrate: 1\nmodel: $K200\n"
		ev q 'a model of 201 bytes of Korean' "car: m$NC\nrate: 1\nmodel: ${K200}c\n" 'model: 201 bytes, longer than 200'
		ev a 'a model with U+2028, a BOM, U+FFFE' "car: m$NC\nrate: 1\nmodel: \"b\\\\Lc\\\\uFEFFd\\\\uFFFEe\"\n"
		ev q 'a model with NEL (a C1 control character)' "car: m$NC\nrate: 1\nmodel: \"a\\\\Nb\"\n" \
			'model: invalid UTF-8 or control characters'
		ev a 'a car registered already' 'car: car01\nrate: 1\n'
		;;
	key.rm)
		ev a 'a registered customer' 'name: v2\n'
		ev q 'a key revoked already' 'name: v2\n' 'revoked already'
		nid res
		{ head4 "$_id" reserve v2; printf 'car: car02\nfrom: %s\nto: %s\n' "$D80" "$D82"; } >"$T_TMP/body"
		hcase q 'reserve: signed by v2, revoked earlier in the batch' "$V2" "$_id" 'revoked'
		ev q 'the dispatcher'"'"'s key' 'name: dispatcher\n' "the dispatcher's"
		ev q 'the last admin'"'"'s key' 'name: admin\n' "the last admin's"
		ev q 'a name never registered' 'name: nobody\n' 'not registered'
		;;
	car.set)
		ev a 'the largest rate' 'car: b5\nrate: 1000000000000\n'
		ev q 'a rate beyond it' 'car: b5\nrate: 1000000000001\n' 'rate 1000000000001: not a whole number'
		ev q 'a weekly price of 0' 'car: b5\nweekly: 0\n' 'weekly 0: not a whole number'
		ev q 'a late fee of 2^53' 'car: b5\nlate_fee: 9007199254740992\n' 'late_fee 9007199254740992: not a whole number'
		ev a 'nothing to set (refused)' 'car: b5\n'
		ev a 'an unknown car (refused)' 'car: nocar\nrate: 1\n'
		;;
	car.block)
		ev a '366 nights' "car: b5\nfrom: $(day 100)\nto: $(day 466)\n"
		ev q '367 nights' "car: b5\nfrom: $(day 500)\nto: $(day 867)\n" '367 nights'
		ev a 'from yesterday (rejected)' "car: b5\nfrom: $YESTERDAY\nto: $(day 1)\n"
		ev a 'over bob'"'"'s booking (rejected)' "car: car01\nfrom: $(day 10)\nto: $(day 12)\n"
		ev a 'an unknown car (rejected)' "car: nocar\nfrom: $(day 1)\nto: $(day 2)\n"
		ev q 'a reason of 201 bytes' "car: b5\nfrom: $(day 600)\nto: $(day 601)\nreason: ${X200}y\n" 'reason: 201 bytes'
		;;
	car.unblock)
		ev a 'the block again (refused)' "block: $BLK1\n"
		ev a 'an unknown block (refused)' 'block: blk-00000000000000ff\n'
		ev q 'a booking'"'"'s id' "block: $R3\n" 'block: malformed id'
		;;
	car.rm)
		nid car
		{ head4 "$_id" car.add admin; printf 'car: gone1\nrate: 1\n'; } >"$T_TMP/body"
		hcase a 'car.add: registering a car' "$ADMIN" "$_id"
		ev a 'removing it in the same batch' 'car: gone1\n'
		ev a 'a car with bookings (refused)' 'car: car01\n'
		ev a 'an unknown car (refused)' 'car: nocar\n'
		;;
	reserve)
		ev a:RESERVED 'from today, 1 night' "car: b1\nfrom: $TODAY\nto: $(day 1)\n"
		ev a:REJECTED 'from yesterday (REJECTED)' "car: b1\nfrom: $YESTERDAY\nto: $(day 1)\n"
		ev a:RESERVED 'from 1,096 days ahead, 366 nights' "car: b2\nfrom: $AHEAD\nto: $(day 1462)\n"
		ev a:REJECTED 'from 1,097 days ahead (REJECTED)' "car: b2\nfrom: $BEYOND\nto: $(day 1098)\n"
		ev a:REJECTED 'from 9999-12-30 (REJECTED)' 'car: b2\nfrom: 9999-12-30\nto: 9999-12-31\n'
		ev a:RESERVED '366 nights' "car: b3\nfrom: $(day 1)\nto: $(day 367)\n"
		ev q '367 nights' "car: b3\nfrom: $(day 400)\nto: $(day 767)\n" '367 nights, a stay is 1 to 366 nights'
		ev q '0 nights' "car: b3\nfrom: $(day 400)\nto: $(day 400)\n" 'must be after'
		ev q '355,405 nights' 'car: b3\nfrom: 2026-12-07\nto: 2999-12-31\n' '355405 nights'
		ev a:RESERVED 'a leap day, quoted dates' "car: b4\nfrom: \"2028-02-29\"\nto: '2028-03-01'\n"
		ev a:REJECTED 'an unknown car (REJECTED)' "car: nocar\nfrom: $(day 1)\nto: $(day 2)\n"
		ev a:REJECTED 'overlapping bob'"'"'s booking (REJECTED)' "car: car01\nfrom: $(day 11)\nto: $(day 12)\n"
		;;
	reserve.cancel)
		ev a 'bob'"'"'s own booking' "reservation: $R1\n"
		ev q 'alice'"'"'s booking' "reservation: $RA\n" 'not a reservation of bob'
		ev q 'an unknown booking' 'reservation: res-00000000000000ff\n' 'unknown reservation'
		evas "$ADMIN" admin a 'an admin cancels bob'"'"'s booking' "reservation: $R4\n"
		ev a 'a RENTED booking (refused)' "reservation: $P3\n"
		ev a 'a REJECTED booking (refused)' "reservation: $RJ\n"
		;;
	pay)
		ev a 'the amount due' "reservation: $R2\namount: 100000\n"
		ev a 'an amount of 1 (refused)' "reservation: $R3\namount: 1\n"
		ev a 'the largest amount (refused)' "reservation: $R3\namount: 366000000000000\n"
		ev q 'no amount' "reservation: $R2\n" 'pay event without amount'
		for v in 0 366000000000001 9007199254740992 0100000; do
			ev q "an amount of $v" "reservation: $R3\namount: $v\n" "amount $v: not a whole number from 1 to 366,000,000,000,000"
		done
		ev q 'alice'"'"'s booking' "reservation: $RA\namount: 100000\n" 'not a reservation of bob'
		ev a 'a REJECTED booking (refused)' "reservation: $RJ\namount: 100000\n"
		;;
	pay.cancel)
		ev a 'bob'"'"'s RENTED booking' "reservation: $P1\n"
		ev a 'a RESERVED booking (refused)' "reservation: $R3\n"
		ev q 'alice'"'"'s booking' "reservation: $RA\n" 'not a reservation of bob'
		evas "$ADMIN" admin a 'an admin cancels bob'"'"'s payment' "reservation: $P3\n"
		;;
	rent.return)
		ev a 'bob'"'"'s RENTED booking' "reservation: $P2\n"
		ev a 'a RETURNED booking (refused)' "reservation: $T2\n"
		ev a 'a RESERVED booking (refused)' "reservation: $R3\n"
		ev q 'alice'"'"'s booking' "reservation: $RA\n" 'not a reservation of bob'
		;;
	rate)
		for v in 0 6 -1 +1 05 10; do
			literal "$v"
			ev q "$v stars" "reservation: $T1\nstars: $v\n" "stars $_re: not a whole number from 1 to 5"
		done
		ev a '1 star, a comment of 200 bytes' "reservation: $T1\nstars: 1\ncomment: $X200\n"
		ev a '5 stars (rated already: refused)' "reservation: $T1\nstars: 5\n"
		ev q 'a comment of 201 bytes' "reservation: $T1\nstars: 5\ncomment: ${X200}y\n" 'comment: 201 bytes, longer than 200'
		ev a 'a comment of 200 bytes of Korean, newlines and tabs' "reservation: $T1\nstars: 3\ncomment: \"$K198\\\\n\\\\t\"\n"
		ev q 'a comment with a control character' "reservation: $T1\nstars: 3\ncomment: \"a\\\\x07b\"\n" 'control'
		ev a 'a RESERVED booking (refused)' "reservation: $R3\nstars: 5\n"
		;;
	esac
}

# ---- the batches -------------------------------------------------------------

# The log's entries as git blobs, with how many entries hold each: HASH TAB N.
log_blobs() {
	state_git ls-tree -r main -- log/ | awk '{ print $3 }' | sort | uniq -c | awk '{ print $2 "\t" $1 }'
}
# Every id the log names (as an event's id, or a ref), a line each.
log_ids() {
	state_git grep -h -o -E '[a-z]{3}-[0-9a-f]{16}' main -- log/ | sort -u
}
# The status of every booking: "RES STATUS" a line.
statuses() {
	reserve --as admin list --json | awk '{
		r = $0; sub(/.*"reservation":"/, "", r); sub(/".*/, "", r)
		s = $0; sub(/.*"status":"/, "", s); sub(/".*/, "", s)
		print r, s
	}'
}
# hashes: the git blob of each case's file, as the batch is about to read it.
hashes() {
	cut -f 1 "$CASES" | sed "s|^|$S/new/|" | state_git hash-object --stdin-paths >"$T_TMP/hashes"
}
# verdicts: for each case, DESC TAB GOT TAB WANT (an extended regex). A case is
# applied when its very bytes are an entry of the log, skipped when they are not
# but its id is (an id applied before), quarantined when it is in spool/bad.
verdicts() {
	log_blobs >"$T_TMP/blobs"
	log_ids >"$T_TMP/ids"
	statuses >"$T_TMP/status"
	paste "$T_TMP/hashes" "$CASES" | awk -F'\t' -v S="$S" -v B="$T_TMP/blobs" -v I="$T_TMP/ids" -v ST="$T_TMP/status" '
	BEGIN {
		while ((getline l < B) > 0) { split(l, f, "\t"); n[f[1]] = f[2] }
		while ((getline l < I) > 0) ids[l] = 1
		while ((getline l < ST) > 0) { split(l, f, " "); st[f[1]] = f[2] }
	}
	{
		hash = $1; name = $2; id = $3; want = $4; desc = $5; re = $6
		bad = S "/bad/" name
		inbad = (getline line < bad) >= 0; close(bad)
		innew = (getline line < (S "/new/" name)) >= 0; close(S "/new/" name)
		reason = ""; lines = 0
		while ((getline line < (bad ".reason")) > 0) { lines++; reason = line }
		close(bad ".reason")
		logged = (hash in n) ? n[hash] + 0 : 0
		if (innew) got = "left in spool/new"
		else if (inbad && logged) got = "quarantined and applied"
		else if (inbad && lines != 1) got = "quarantined with a .reason of " lines " lines"
		else if (inbad) got = "quarantined: " reason
		else if (logged > 1) got = "applied " logged " times"
		else if (logged) got = "applied" ((id in st) ? ": " st[id] : "")
		else if (id in ids) got = "skipped: its id is in the log"
		else got = "lost"
		if (want == "q") { w = "^quarantined: .*" re; d = "quarantined" }
		else if (want == "a") { w = "^applied(: [A-Z_]+)?$"; d = "applied" }
		else if (want == "s") { w = "^skipped: "; d = "skipped (its id is applied)" }
		else if (want ~ /^a:/) { w = "^applied: " substr(want, 3) "$"; d = "applied, " substr(want, 3) }
		else { w = "^(applied(: [A-Z_]+)?|skipped: .*|quarantined: .+)$"; d = "applied or quarantined" }
		printf "%s: %s\t%s\t%s\n", desc, d, got, w
	}'
}

B=0 TOTAL=0
for row in $(printf '%s\n' "$TYPES" | tr ' ' :); do
	T=${row%%:*} PFX=${row#*:} PFX=${PFX%%:*} ROLES=${row##*:}
	B=$((B + 1))
	: >"$CASES"
	if ! good "$T" >/dev/null; then
		t_eq "$T: this test has cases for the type" none some
		continue
	fi
	NSBASE=$(date +%s%N)
	signer "$ROLES"
	generic
	signer "$ROLES"
	bounds
	carctl --as admin add "ok$B" --rate 1 >/dev/null 2>&1 # the normal event, last
	hashes
	run dispatcher --once
	t_eq "$T: dispatcher --once exits 0" "$RC" 0
	t_match "$T: ... holds back no context" "$ERR" 'held 0$'
	t_nomatch "$T: ... no context failed" "$ERR" 'failed'
	t_match "$T: the normal event is applied" "$(carctl list --json)" "\"car\":\"ok$B\""
	t_eq "$T: spool/new is empty" "$(spool_count new)" 0
	verdicts >"$T_TMP/verdicts"
	while IFS="$TAB" read -r desc got want; do
		t_match "$desc" "$got" "$want"
	done <"$T_TMP/verdicts"
	Q=$(grep -c '	quarantined: ' "$T_TMP/verdicts")
	t_eq "$T: the summary counts what is in spool/bad" \
		"$(printf '%s\n' "$ERR" | grep '^dispatcher: applied' | tail -n 1 | sed -n 's/.*quarantined \([0-9]*\),.*/\1/p')" "$Q"
	# Hostile values (a newline, a terminal escape) never make lines of their own.
	t_eq "$T: what the dispatcher says is its summary and a line for each event quarantined, printable" \
		"$(printf '%s\n' "$ERR" | awk '
			/[[:cntrl:]]/ { other++; next }
			/^dispatcher: applied [0-9]+, skipped [0-9]+, quarantined [0-9]+, held [0-9]+$/ { s++; next }
			/^dispatcher: quarantined / { q++; next }
			/^dispatcher: (rejected|refused) / { next }
			{ other++ }
			END { printf "%d summary, %d quarantined, %d other", s, q, other }')" \
		"1 summary, $Q quarantined, 0 other"
	run dispatcher --rebuild
	t_eq "$T: dispatcher --rebuild exits 0" "$RC" 0
	t_match "$T: ... finds nothing to repair" "$ERR" 'rebuild: 0 differences, state matches the log'
	TOTAL=$((TOTAL + NC))
	NC=0
done
diag "$TOTAL cases tried, in $B batches of one event type each (and a normal event)"
t_ok 'dispatcher --check: healthy' dispatcher --check

done_testing
