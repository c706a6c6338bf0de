#!/bin/sh
# 1750-hostile-input.t: hostile values on the command line. Car ids, key
# names, customer names, models and comments holding "/", "..", a newline,
# a control character, 10000 characters or invalid UTF-8; garbage dates,
# amounts and stars; --as names that are paths; --home that is a file or
# does not exist. Each is refused with its exit status and a one-line
# message that names what is wrong, writes nothing, and creates no file
# anywhere (the home sits four folders deep in the scratch folder and the
# commands run from a folder beside it, so that "../" paths land where
# find(1) sees them). A comment may hold newlines: it is stored escaped,
# on one line of its event, and comes back intact.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

shop d1/d2/d3/d4/home
mkdir -p "$T_TMP/d1/d2/d3/d4/cwd" && cd "$T_TMP/d1/d2/d3/d4/cwd" || exit 99
RESP=$(book alice car01 2028-08-06 2028-08-08) # RESERVED: to pay
RESR=$(book alice car02 "$(day 0)" "$(day 2)") # RETURNED: to rate
paid alice "$RESR" >/dev/null
returned alice "$RESR"
t_eq 'setup: a RESERVED reservation to pay' "$(status_of "$RESP")" RESERVED
t_eq 'setup: a RETURNED reservation to rate' "$(status_of "$RESR")" RETURNED

MARK=$T_TMP/marker
# mark: from now on, find(1) sees what is created or changed.
mark() {
	touch "$MARK"
	sleep 0.02 2>/dev/null || sleep 1
}
# created [HOME]: what was created or changed since mark under the scratch
# folder, outside HOME (if given) and the test's own files ($T_TMP/.*).
created() {
	if [ -n "$1" ]; then
		find "$T_TMP" -mindepth 1 -newer "$MARK" ! -path "$T_TMP/.*" ! -path "$1" ! -path "$1/*" -print
	else
		find "$T_TMP" -mindepth 1 -newer "$MARK" ! -path "$T_TMP/.*" -print
	fi
}
# clean_message: "LINES CONTROLS" of $ERR: its number of lines, and the
# control characters (C0 or DEL) it holds besides the newlines.
clean_message() {
	printf '%s %s' "$(printf '%s\n' "$ERR" | wc -l | tr -d ' ')" \
		"$(printf '%s' "$ERR" | tr -d '\n' | tr -dc '\001-\037\177' | wc -c | tr -d ' ')"
}

# bad CODE DESC REGEX CMD...: CMD is refused with CODE and a message on
# stderr matching REGEX, on one line without control characters; it writes
# nothing and creates no file outside the home (5 assertions).
bad() {
	_b_code=$1 _b_desc=$2 _b_re=$3
	shift 3
	mark
	t_refuse "$_b_code" "$_b_desc" "$@"
	t_match "$_b_desc: the message names what is wrong" "$ERR" "$_b_re"
	t_eq "$_b_desc: the message is one line without control characters" "$(clean_message)" '1 0'
	t_eq "$_b_desc: no file created outside the home" "$(created "$H")" ''
}

NL=$(printf 'car\n01')
CTL=$(printf 'car\00101')
LONG=$(head -c 10000 /dev/zero | tr '\0' a)
UTF=$(printf 'car\377')

# each CALLBACK: CALLBACK LABEL VALUE for each hostile name.
each() {
	"$1" 'a "/"' 'a/b'
	"$1" '"."' '.'
	"$1" '".."' '..'
	"$1" 'a "../" path' '../../../../x'
	"$1" 'a newline' "$NL"
	"$1" 'a control character (\001)' "$CTL"
	"$1" '10000 characters' "$LONG"
	"$1" 'invalid UTF-8 (\377)' "$UTF"
}

# ---- car ids, key names, customer names ----------------------------------

names() {
	bad 65 "carctl add: a car id with $1" 'car id' carctl --as admin add "$2" --rate 1000
	bad 65 "carctl rm: a car id with $1" 'car id' carctl --as admin rm "$2"
	bad 65 "carctl show: a car id with $1" 'car id' carctl --as admin show "$2"
	bad 65 "reserve: a car id with $1" 'car id' reserve --as alice "$2" --from 2028-10-01 --to 2028-10-02
	bad 65 "carctl key add: a key name with $1" 'key name|name' carctl --as admin key add "$2"
	bad 65 "carctl key add --role admin: a key name with $1" 'key name|name' \
		carctl --as admin key add "$2" --role admin
	bad 65 "carctl key gen: a key name with $1" 'key name|name' carctl key gen "$2"
	bad 65 "mypage --customer: a customer name with $1" 'name' mypage --as admin --customer "$2"
}
each names

# ---- models and comments -------------------------------------------------

for v in "$NL" "$CTL" "$LONG" "$UTF"; do
	case $v in
	"$NL") l='a newline' ;;
	"$CTL") l='a control character (\001)' ;;
	"$LONG") l='10000 characters' ;;
	*) l='invalid UTF-8 (\377)' ;;
	esac
	bad 65 "carctl add --model: $l" 'model' carctl --as admin add car09 --rate 1000 --model "$v"
done
bad 65 'rate --comment: a control character (\001)' 'comment' \
	rate --as alice "$RESR" --stars 4 --comment "$CTL"
bad 65 'rate --comment: a carriage return' 'comment' \
	rate --as alice "$RESR" --stars 4 --comment "$(printf 'clean\rdirty')"
bad 65 'rate --comment: a terminal escape sequence' 'comment' \
	rate --as alice "$RESR" --stars 4 --comment "$(printf 'clean\033[2Jcar')"
bad 65 'rate --comment: 10000 characters' 'comment' \
	rate --as alice "$RESR" --stars 4 --comment "$LONG"
bad 65 'rate --comment: invalid UTF-8 (\377)' 'comment' \
	rate --as alice "$RESR" --stars 4 --comment "$UTF"
bad 65 'rate --comment: an overlong UTF-8 "/" (\300\257)' 'comment' \
	rate --as alice "$RESR" --stars 4 --comment "$(printf 'a\300\257b')"

# ---- identities that are paths -------------------------------------------

bad 77 'carctl --as "../admin"' 'identity' carctl --as ../admin add car09 --rate 1000
bad 77 'carctl --as "keys/../admin"' 'identity' carctl --as keys/../admin add car09 --rate 1000
bad 77 'reserve --as a name with a newline' 'identity' \
	reserve --as "$(printf 'alice\nadmin')" car01 --from 2028-10-01 --to 2028-10-02
bad 77 'pay --as 10000 characters' 'identity' pay --as "$LONG" "$RESP"

# ---- dates ---------------------------------------------------------------

dates() {
	bad 65 "reserve --from $1" 'date' reserve --as alice car01 --from "$2" --to 2028-10-02
	bad 65 "reserve --to $1" 'date' reserve --as alice car01 --from 2028-10-01 --to "$2"
}
dates '2028-13-01 (month 13)' 2028-13-01
dates '2028-02-30 (no such day)' 2028-02-30
dates '2028-04-31 (no such day)' 2028-04-31
dates '"tomorrow"' tomorrow
dates '"" (empty)' ''
dates '2028-8-6 (no zeros)' 2028-8-6
dates '20310806 (no dashes)' 20310806
dates '"2028-10-01x"' 2028-10-01x
dates '" 2028-10-01" (a leading space)' ' 2028-10-01'
dates 'a date, a newline and more' "$(printf '2028-10-01\nx')"
dates 'a control character' "$(printf '2028-10-0\0011')"
dates 'a "../" path' ../../../../x
dates '10000 characters' "$LONG"
dates 'invalid UTF-8' "$(printf '2028-10-0\377')"

# ---- amounts and stars ---------------------------------------------------

amount() {
	bad 65 "pay --amount $1" 'amount' pay --as alice "$RESP" --amount "$2"
}
amount '-1' -1
amount '1e3' 1e3
amount '" 100" (a leading space)' ' 100'
amount '"100000 " (a trailing space)' '100000 '
amount '100000000000000000000 (too large)' 100000000000000000000
amount '"" (empty)' ''
amount '0x10' 0x10
amount '+100000' +100000
amount '100000.0' 100000.0
amount 'full-width digits' "$(printf '\357\274\221\357\274\220\357\274\220')"
t_eq 'no payment was made' "$(status_of "$RESP")" RESERVED

stars() {
	bad 65 "rate --stars $1" 'stars' rate --as alice "$RESR" --stars "$2"
}
stars 0 0
stars 6 6
stars 3.5 3.5
stars '"" (empty)' ''
stars '" 3" (a leading space)' ' 3'
stars '+3' +3
stars '03' 03
stars '-1' -1

# ---- a comment that may hold newlines: stored escaped, comes back intact --

C=$(printf 'clean/../ok: yes\nsignature: AAAA\nid: res-0000000000000000\n\t"q" \\ back # not a comment')
mark
t_ok 'rate: a comment with newlines, a tab, quotes, a backslash, "/" and ".."' \
	rate --as alice "$RESR" --stars 4 --comment "$C"
RAT=$OUT
t_match '... prints the rating id' "$RAT" '^rat-[0-9a-f]{16}$'
t_eq '... and creates nothing outside the home' "$(created "$H")" ''
F=$(ls "$H/spool/new/"*".$RAT" 2>/dev/null | head -n 1)
t_file 'the rating event is in spool/new' "$F"
t_eq 'the event has exactly one comment: line' "$(grep -c '^comment:' "$F" 2>/dev/null)" 1
t_eq '... exactly one signature line' "$(grep -c '^signature:' "$F" 2>/dev/null)" 1
t_eq '... which is the last line' "$(tail -n 1 "$F" | cut -c1-11)" 'signature: '
t_eq '... exactly one id line: its own' "$(grep '^id:' "$F" 2>/dev/null)" "id: $RAT"
t_eq '... eight lines in all (id type time actor reservation stars comment signature)' \
	"$(wc -l <"$F" | tr -d ' ')" 8
t_match '... the comment is escaped on its one line' "$(grep '^comment:' "$F")" \
	'^comment: ".*signature: AAAA.*"$'
# yaml_value FILE KEY: the value of KEY in the YAML mapping FILE (less its
# signature line, if any), as a YAML parser reads it.
yaml_value() {
	sed '/^signature: /d' "$1" | python3 -c '
import sys, yaml
sys.stdout.write(str(yaml.safe_load(sys.stdin)[sys.argv[1]]))' "$2"
}
have_yaml=
command -v python3 >/dev/null 2>&1 && python3 -c 'import yaml' 2>/dev/null && have_yaml=1
if [ -n "$have_yaml" ]; then
	t_eq '... and a YAML parser reads it back intact' "$(yaml_value "$F" comment)" "$C"
else
	t_skip '... and a YAML parser reads it back intact' 'no python3 with yaml'
fi
t_ok 'dispatcher --once' dispatcher --once
t_eq '... applies the rating, quarantines nothing' "$ERR" 'dispatcher: applied 1, skipped 0, quarantined 0, held 0'
t_eq 'spool/bad is empty' "$(spool_count bad)" 0
t_match 'mypage shows the rating' "$(mypage --as alice --json | jrow reservation "$RESR")" '"stars":4(\.0)?,'
t_eq 'car02 has one rating' "$(carctl --as admin list --json | jrow car car02 | jget ratings)" 1
RF=$(state_find rating/ "$RESR.yaml" | head -n 1)
t_ok 'the rating context has a record of the reservation' state_has "$RF"
state_cat "$RF" >"$T_TMP/rating.yaml" 2>/dev/null
t_eq '... with one comment: line' "$(grep -c '^comment:' "$T_TMP/rating.yaml")" 1
OF=$(state_grep log/ -l -e "^rating: $RAT\$" | head -n 1)
t_ok 'the log holds the rating.accepted outcome' state_has "$OF"
state_cat "$OF" >"$T_TMP/outcome.yaml" 2>/dev/null
t_eq '... with one comment: line' "$(grep -c '^comment:' "$T_TMP/outcome.yaml")" 1
if [ -n "$have_yaml" ]; then
	t_eq 'the rating record holds the comment intact' "$(yaml_value "$T_TMP/rating.yaml" comment)" "$C"
	t_eq 'the outcome in the log holds the comment intact' "$(yaml_value "$T_TMP/outcome.yaml" comment)" "$C"
else
	t_skip 'the rating record holds the comment intact' 'no python3 with yaml'
	t_skip 'the outcome in the log holds the comment intact' 'no python3 with yaml'
fi
t_eq 'the review in carctl show holds the comment intact' \
	"$(carctl show car02 --json | jq -j '.reviews[0].comment')" "$C"
t_eq '... and so does its CSV field' \
	"$(carctl show car02 --csv | python3 -c 'import csv, sys, json; r = list(csv.DictReader(sys.stdin)); sys.stdout.write(json.loads(r[0]["reviews"])[0]["comment"])')" "$C"
t_ok 'dispatcher --rebuild agrees with the state' dispatcher --rebuild

# ---- --home: a file, a folder that does not exist ------------------------

AFILE=$T_TMP/afile
printf 'just a file\n' >"$AFILE"
NOWHERE=$T_TMP/nowhere
# badhome DESC HOME CMD...: CMD --home HOME fails in an orderly way with a
# message naming HOME, and creates nothing anywhere (5 assertions).
badhome() {
	_h_desc=$1 _h_home=$2
	shift 2
	mark
	t_fail "$_h_desc: fails" "$@"
	t_match "$_h_desc: says why, naming the home" "$ERR" "$_h_home"
	t_nofile "$_h_desc: does not create $NOWHERE" "$NOWHERE"
	t_eq "$_h_desc: leaves the file alone" "$(cat "$AFILE" 2>&1)" 'just a file'
	t_eq "$_h_desc: creates nothing at all" "$(created)" ''
	rm -rf "$NOWHERE"
}
homes() {
	badhome "carctl list --home $1" "$2" carctl --home "$2" list
	badhome "carctl show --home $1" "$2" carctl --home "$2" show car01
	badhome "carctl key list --home $1" "$2" carctl --home "$2" key list
	badhome "carctl add --home $1" "$2" carctl --home "$2" --as admin add car09 --rate 1000
	badhome "carctl key add --home $1" "$2" carctl --home "$2" --as admin key add zed
	badhome "carctl key gen --home $1" "$2" carctl --home "$2" key gen zed
	badhome "reserve --home $1" "$2" reserve --home "$2" --as alice car01 --from 2028-10-01 --to 2028-10-02
	badhome "reserve list --home $1" "$2" reserve --home "$2" --as alice list
	badhome "pay --home $1" "$2" pay --home "$2" --as alice "$RESP"
	badhome "rent return --home $1" "$2" rent --home "$2" --as alice return "$RESR"
	badhome "rate --home $1" "$2" rate --home "$2" --as alice "$RESR" --stars 3
	badhome "mypage --home $1" "$2" mypage --home "$2" --as alice
	badhome "dispatcher --once --home $1" "$2" dispatcher --home "$2" --once
	badhome "dispatcher --check --home $1" "$2" dispatcher --home "$2" --check
	badhome "dispatcher --rebuild --home $1" "$2" dispatcher --home "$2" --rebuild
	_h_t=$T_TIMEOUT
	T_TIMEOUT=10
	badhome "dispatcher (daemon) --home $1" "$2" dispatcher --home "$2"
	T_TIMEOUT=$_h_t
}
homes 'a file' "$AFILE"
homes 'a folder that does not exist' "$NOWHERE"
badhome 'carctl init on a file' "$AFILE" carctl init "$AFILE"
t_eq 'the real home is unharmed: two cars' "$(carctl --as admin list --json | grep -c .)" 2

done_testing
