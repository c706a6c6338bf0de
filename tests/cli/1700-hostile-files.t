#!/bin/sh
# 1700-hostile-files.t: hostile things dropped into spool/new (the maildir
# way) while a dispatcher runs in the background. Each one is quarantined
# into spool/bad with a one-line .reason that names the problem, changes
# nothing in state/ (cars, reservations, keys, git HEAD), and the daemon
# keeps running and keeps applying good events after it. An event whose id
# was applied already is skipped, not quarantined.
#
# Hostile content that needs a valid signature is written by hand and
# signed with OpenSSL ed25519 keys registered as customer eve and admin
# root2, so that the hostile part is the only thing wrong with it. Each
# group starts with a control: the same hand-made event without the
# hostile part is applied.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"
. "$(dirname "$0")/../sealing.sh"

sealing_or_skip

: "${T_WAIT:=10}"
shop
S=$H/spool

# ---- keys ----------------------------------------------------------------

for k in eve root2 mallory; do
	openssl genpkey -algorithm ed25519 -out "$T_TMP/$k.pem" 2>/dev/null
done
EVE=$T_TMP/eve.pem
ROOT2=$T_TMP/root2.pem
MALLORY=$T_TMP/mallory.pem # never registered
t_ok 'register an OpenSSL key for customer eve' carctl --as admin key add eve --pubkey "$(pub "$EVE")"
t_ok 'register an OpenSSL key for admin root2' carctl --as admin key add root2 --role admin --pubkey "$(pub "$ROOT2")"
dispatch
t_match 'eve is a registered customer' "$(carctl --as admin key list --json)" '"name":"eve","role":"customer"'
t_match 'root2 is a registered admin' "$(carctl --as admin key list --json)" '"name":"root2","role":"admin"'

# The dispatcher's own key (the seed, base64, in keys/dispatcher.key) as an
# OpenSSL key: PKCS#8 DER prefix for ed25519, then the 32-byte seed.
DISP=$T_TMP/dispatcher.pem
{
	printf '\060\056\002\001\000\060\005\006\003\053\145\160\004\042\004\040'
	base64 -d <"$H/keys/dispatcher.key"
} >"$T_TMP/dispatcher.der" 2>/dev/null
openssl pkey -inform DER -in "$T_TMP/dispatcher.der" -out "$DISP" 2>/dev/null
t_eq 'the dispatcher key converts to OpenSSL (same public key as registered)' "$(pub "$DISP")" \
	"$(carctl --as admin key list --json | jrow name dispatcher | jget pubkey)"

# alice's reservation: the one others attack; its event is kept for replays.
t_ok 'alice reserves car01' reserve --as alice car01 --from 2028-08-06 --to 2028-08-08
RESA=$OUT
cp "$S/new/"*".$RESA" "$T_TMP/alice-reserve.event"
dispatch
t_eq 'alice'"'"'s reservation is RESERVED' "$(status_of "$RESA")" RESERVED

# ---- hand-made events ----------------------------------------------------

# mkraw OUT PEM: stdin as the whole body, signed with PEM.
mkraw() {
	cat >"$1.body"
	seal "$2" "$1.body" "$1"
}
# flip FILE OFFSET: flip the low bit of the byte at OFFSET (from 0).
flip() {
	_f_b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	printf "\\$(printf %03o $((_f_b ^ 1)))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
# pad BODY SIZE: append a YAML comment line so that BODY has SIZE bytes.
pad() {
	_p_n=$(($2 - $(wc -c <"$1") - 2))
	{ printf '#'; head -c "$_p_n" /dev/zero | tr '\0' x; printf '\n'; } >>"$1"
}

# ---- the daemon ----------------------------------------------------------

DLOG=$T_TMP/daemon.err
: >"$DLOG"
start_daemon() {
	"$BIN/dispatcher" >>"$T_TMP/daemon.out" 2>>"$DLOG" </dev/null &
	dpid=$!
	T_PIDS="$T_PIDS $dpid"
}
start_daemon

summaries() {
	grep -c '^dispatcher: batch: applied' "$DLOG"
}
last_summary() {
	grep '^dispatcher: batch: applied' "$DLOG" | tail -n 1 | sed 's/, in [0-9]* ms$//'
}
more_summaries() {
	[ "$(summaries)" -gt "$1" ]
}
has_car() {
	carctl --as admin list --json | grep -q "\"car\":\"$1\""
}
has_status() {
	reserve --as admin list --json | jrow reservation "$1" | grep -q "\"status\":\"$2\""
}
spool_empty() {
	[ "$(spool_count new)" -eq 0 ]
}
in_bad() {
	{ [ -e "$S/bad/$1" ] || [ -L "$S/bad/$1" ]; } && ! { [ -e "$S/new/$1" ] || [ -L "$S/new/$1" ]; }
}
# fp: what the hostile files must not change.
fp() {
	carctl --as admin list --json
	echo ---
	reserve --as admin list --json
	echo ---
	carctl --as admin key list --json
	echo ---
	git -C "$H/state" rev-parse HEAD
}
# settle: wait (quietly) until spool/new is empty; restart a dead daemon.
settle() {
	_s_n=$((T_WAIT * 5))
	while ! spool_empty && [ "$_s_n" -gt 0 ]; do
		sleep 0.2
		_s_n=$((_s_n - 1))
	done
	if ! kill -0 "$dpid" 2>/dev/null; then
		diag "the daemon had died; started again"
		tail -n 5 "$DLOG" | sed 's/^/# daemon: /'
		start_daemon
	fi
}
G=0
# good DESC: a good event after the hostile one is applied by the daemon.
good() {
	G=$((G + 1))
	carctl --as admin add "good$G" --rate 1000 >/dev/null 2>&1
	t_wait "$1: the daemon still applies a good event after it" "$T_WAIT" has_car "good$G"
}
# clear NAME: if the hostile thing is still in spool/new, take it away so
# that the next case starts clean.
clear_new() {
	if [ -e "$S/new/$1" ] || [ -L "$S/new/$1" ]; then
		diag "still in spool/new after the case; removed: $1"
		rm -rf "$S/new/$1"
	fi
}

# hostile DESC NAME REGEX CMD...: CMD puts the hostile thing at
# spool/new/NAME; it is quarantined with a reason matching REGEX, and
# changes nothing (7 assertions).
hostile() {
	_h_desc=$1 _h_name=$2 _h_re=$3
	shift 3
	settle
	_h_before=$(fp)
	_h_n=$(summaries)
	"$@"
	t_wait "$_h_desc: the daemon deals with it" "$T_WAIT" more_summaries "$_h_n"
	t_eq "$_h_desc: its summary counts it quarantined" "$(last_summary)" \
		'dispatcher: batch: applied 0, skipped 0, quarantined 1, outcomes 0, held 0'
	t_ok "$_h_desc: moved to spool/bad under its name" in_bad "$_h_name"
	_h_reason=$(cat "$S/bad/$_h_name.reason" 2>/dev/null)
	t_match "$_h_desc: the .reason says why" "$_h_reason" "$_h_re"
	t_eq "$_h_desc: the .reason is one line" \
		"$(wc -l <"$S/bad/$_h_name.reason" 2>/dev/null | tr -d ' ')" 1
	t_eq "$_h_desc: nothing changed in state/" "$(fp)" "$_h_before"
	clear_new "$_h_name"
	good "$_h_desc"
}

# drop FILE NAME: the maildir way.
drop() {
	spool_drop "$1" "$2"
}
drop_link() {
	ln -s "$1" "$S/tmp/$2" && mv "$S/tmp/$2" "$S/new/$2"
}
drop_dir() {
	mkdir "$S/tmp/$1" && printf 'x\n' >"$S/tmp/$1/inside" && mv "$S/tmp/$1" "$S/new/$1"
}
drop_fifo() {
	mkfifo "$S/tmp/$1" && mv "$S/tmp/$1" "$S/new/$1"
}
drop_sparse() {
	: >"$S/tmp/$1" && truncate -s "$2" "$S/tmp/$1" && mv "$S/tmp/$1" "$S/new/$1"
}

# ---- controls: hand-made events are good events --------------------------

# car_lines NAME: the body lines of a car.add for car NAME.
car_lines() {
	printf 'car: %s\nrate: 1000\nmodel: Flipped\n' "$1"
}
mkev "$T_TMP/c1" "$ROOT2" car.add root2 car <<EOF
$(car_lines hand01)
EOF
settle
t_ok 'control: a hand-made car.add signed by root2 (OpenSSL) is dropped' drop "$T_TMP/c1" "$(spname "$EID")"
t_wait 'control: ... and applied by the daemon' "$T_WAIT" has_car hand01
mkev "$T_TMP/c2" "$EVE" reserve eve res <<EOF
car: car02
from: 2028-10-01
to: 2028-10-03
EOF
RESE=$EID
cp "$T_TMP/c2" "$T_TMP/eve-reserve.event"
t_ok 'control: a hand-made reservation signed by eve is dropped' drop "$T_TMP/c2" "$(spname "$EID")"
t_wait 'control: ... and applied: RESERVED' "$T_WAIT" has_status "$RESE" RESERVED
# The largest event allowed: EVENT_MAX (4096) bytes.
mkev "$T_TMP/c3" "$ROOT2" car.add root2 car <<EOF
$(car_lines hand4096)
EOF
pad "$T_TMP/c3.body" 3996
seal "$ROOT2" "$T_TMP/c3.body" "$T_TMP/c3"
t_eq 'control: an event of exactly 4096 bytes' "$(wc -c <"$T_TMP/c3" | tr -d ' ')" 4096
settle
drop "$T_TMP/c3" "$(spname "$EID")"
t_wait 'control: ... is applied' "$T_WAIT" has_car hand4096
t_ok 'control: the daemon is running' kill -0 "$dpid"

# A template: a good car.add by root2, not dropped; the hostile variants
# below are made from it or like it.
mkev "$T_TMP/tpl" "$ROOT2" car.add root2 car <<EOF
$(car_lines evil01)
EOF
TPL=$T_TMP/tpl

# ---- the signature -------------------------------------------------------

# fresh: a copy of the template with a new id: sets EID, writes OUT.
fresh() {
	mkev "$1" "$ROOT2" car.add root2 car <<EOF
$(car_lines "${2:-evil01}")
EOF
}
fresh "$T_TMP/s1"
sed '$d' "$T_TMP/s1" >"$T_TMP/s1.bad"
n=$(spname "$EID")
hostile 'no signature line' "$n" 'signature' drop "$T_TMP/s1.bad" "$n"

fresh "$T_TMP/s2"
{ sed '$d' "$T_TMP/s2"; printf 'signature: !!notbase64!!\n'; } >"$T_TMP/s2.bad"
n=$(spname "$EID")
hostile 'a signature that is not base64' "$n" 'signature' drop "$T_TMP/s2.bad" "$n"

fresh "$T_TMP/s3"
{ sed '$d' "$T_TMP/s3"; printf 'signature: \n'; } >"$T_TMP/s3.bad"
n=$(spname "$EID")
hostile 'an empty signature' "$n" 'signature' drop "$T_TMP/s3.bad" "$n"

fresh "$T_TMP/s4"
{ sed '$d' "$T_TMP/s4"; tail -n 1 "$TPL"; } >"$T_TMP/s4.bad"
n=$(spname "$EID")
hostile 'the valid signature of another event' "$n" 'signature' drop "$T_TMP/s4.bad" "$n"

fresh "$T_TMP/s5"
sed -n '$s/^signature: //p' "$T_TMP/s5" | base64 -d >"$T_TMP/s5.sig" 2>/dev/null
flip "$T_TMP/s5.sig" 31
{ sed '$d' "$T_TMP/s5"; printf 'signature: %s\n' "$(base64 <"$T_TMP/s5.sig" | tr -d '\n')"; } >"$T_TMP/s5.bad"
n=$(spname "$EID")
hostile 'one flipped bit in the signature' "$n" 'signature' drop "$T_TMP/s5.bad" "$n"

fresh "$T_TMP/s6"
cp "$T_TMP/s6" "$T_TMP/s6.bad"
off=$(grep -bo 'model: Flipped' "$T_TMP/s6.bad" | cut -d: -f1)
flip "$T_TMP/s6.bad" $((off + 9))
t_eq 'one flipped byte: the files differ in exactly one byte' "$(cmp -l "$T_TMP/s6" "$T_TMP/s6.bad" | wc -l | tr -d ' ')" 1
n=$(spname "$EID")
hostile 'one flipped byte in the body (Flipped -> Flhpped)' "$n" 'signature' drop "$T_TMP/s6.bad" "$n"

fresh "$T_TMP/s7"
{ cat "$T_TMP/s7"; printf 'rate: 1\n'; } >"$T_TMP/s7.bad"
n=$(spname "$EID")
hostile 'a line after the signature' "$n" 'signature' drop "$T_TMP/s7.bad" "$n"

fresh "$T_TMP/s8"
{ sed '$d' "$T_TMP/s8"; tail -n 1 "$TPL"; tail -n 1 "$T_TMP/s8"; } >"$T_TMP/s8.bad"
n=$(spname "$EID")
hostile 'two signature lines' "$n" 'signature' drop "$T_TMP/s8.bad" "$n"

mkev "$T_TMP/s9" "$EVE" reserve alice res <<EOF
car: car02
from: 2028-11-01
to: 2028-11-03
EOF
n=$(spname "$EID")
hostile 'signed by eve, claiming to be alice' "$n" 'signature' drop "$T_TMP/s9" "$n"

mkev "$T_TMP/s10" "$MALLORY" key.add mallory key <<EOF
name: mallory
role: admin
pubkey: $(pub "$MALLORY")
EOF
n=$(spname "$EID")
hostile 'an unregistered key registering itself as admin' "$n" 'unknown key|not registered' drop "$T_TMP/s10" "$n"

# ---- truncated, empty ----------------------------------------------------

fresh "$T_TMP/t1"
head -c $(($(wc -c <"$T_TMP/t1") - 10)) "$T_TMP/t1" >"$T_TMP/t1.bad"
n=$(spname "$EID")
hostile 'truncated inside the signature' "$n" 'truncated|signature' drop "$T_TMP/t1.bad" "$n"

fresh "$T_TMP/t2"
head -c $(($(wc -c <"$T_TMP/t2") / 2)) "$T_TMP/t2" >"$T_TMP/t2.bad"
n=$(spname "$EID")
hostile 'truncated to half' "$n" 'truncated|signature' drop "$T_TMP/t2.bad" "$n"

fresh "$T_TMP/t3"
head -n 3 "$T_TMP/t3" >"$T_TMP/t3.bad"
n=$(spname "$EID")
hostile 'truncated at a line end in the body' "$n" 'truncated|signature' drop "$T_TMP/t3.bad" "$n"

: >"$T_TMP/t4.bad"
n=$(spname "$(newid car)")
hostile 'an empty file' "$n" 'empty' drop "$T_TMP/t4.bad" "$n"

printf '\n' >"$T_TMP/t5.bad"
n=$(spname "$(newid car)")
hostile 'a lone newline' "$n" 'signature|empty' drop "$T_TMP/t5.bad" "$n"

# ---- too large -----------------------------------------------------------

fresh "$T_TMP/z1.good" evil4097
pad "$T_TMP/z1.good.body" 3997
seal "$ROOT2" "$T_TMP/z1.good.body" "$T_TMP/z1"
t_eq 'an event of 4097 bytes, validly signed' "$(wc -c <"$T_TMP/z1" | tr -d ' ')" 4097
n=$(spname "$EID")
hostile 'one byte over EVENT_MAX (4097 bytes)' "$n" 'larger than 4096' drop "$T_TMP/z1" "$n"

fresh "$T_TMP/z2.good" evilbig
{ sed '$d' "$T_TMP/z2.good.body"; head -c 1048576 /dev/zero | tr '\0' '#'; printf '\n'; } >"$T_TMP/z2.body"
seal "$ROOT2" "$T_TMP/z2.body" "$T_TMP/z2"
n=$(spname "$EID")
hostile 'a validly signed event of 1 MB' "$n" 'larger than 4096' drop "$T_TMP/z2" "$n"

n=$(spname "$(newid car)")
hostile 'a sparse file of 3 GB' "$n" 'larger than 4096' drop_sparse "$n" 3G

# ---- binary junk ---------------------------------------------------------

i=0
: >"$T_TMP/j1.bad"
while [ "$i" -lt 256 ]; do
	printf "\\$(printf %03o "$i")" >>"$T_TMP/j1.bad"
	i=$((i + 1))
done
n=$(spname "$(newid car)")
hostile 'every byte value 0 to 255' "$n" '[A-Za-z]+ [a-z]+' drop "$T_TMP/j1.bad" "$n"

head -c 3000 /dev/urandom >"$T_TMP/j2.bad"
n=$(spname "$(newid car)")
hostile 'random bytes' "$n" '[A-Za-z]+ [a-z]+' drop "$T_TMP/j2.bad" "$n"

{ head -c 1000 /dev/urandom; printf '\n'; tail -n 1 "$TPL"; } >"$T_TMP/j3.bad"
n=$(spname "$(newid car)")
hostile 'random bytes before a signature line' "$n" '[A-Za-z]+ [a-z]+' drop "$T_TMP/j3.bad" "$n"

mkev "$T_TMP/j4" "$ROOT2" car.add root2 car <<EOF
car: evil02
rate: 1000
EOF
{ sed '$d' "$T_TMP/j4.body"; printf 'rate: 10\000 00\n'; } >"$T_TMP/j4.b"
seal "$ROOT2" "$T_TMP/j4.b" "$T_TMP/j4"
n=$(spname "$EID")
hostile 'a raw NUL byte inside a value (signed)' "$n" 'NUL' drop "$T_TMP/j4" "$n"

# ---- invalid UTF-8 and control characters in values, validly signed ------


# hev TAG FORMAT: a car.add by root2 whose body after the four base lines
# is FORMAT (printf), validly signed; sets EID and NAME.
hev() {
	EID=$(newid car)
	{ base "$EID" car.add root2; printf "$2"; } >"$T_TMP/$1.body"
	seal "$ROOT2" "$T_TMP/$1.body" "$T_TMP/$1"
	NAME=$(spname "$EID")
}
# rawev TAG PEM FORMAT: the whole body is FORMAT (printf, %s is the time),
# validly signed with PEM; NAME carries ID (set by the caller).
rawev() {
	printf "$3" "$(now)" >"$T_TMP/$1.body"
	seal "$2" "$T_TMP/$1.body" "$T_TMP/$1"
}

hev u0 'car: hand02\nrate: 1000\nmodel: Avante \303\251\342\202\254\n'
settle
drop "$T_TMP/u0" "$NAME"
t_wait 'control: a signed model with good UTF-8 (Avante é€) is applied' "$T_WAIT" has_car hand02
t_eq 'control: ... and shown intact' "$(carctl --as admin list --json | jrow car hand02 | jget model)" \
	"$(printf 'Avante \303\251\342\202\254')"

hev u1 'car: evil03\nrate: 1000\nmodel: Av\377nte\n'
hostile 'invalid UTF-8 (a lone \377) in a value' "$NAME" 'UTF-8' drop "$T_TMP/u1" "$NAME"
hev u2 'car: evil03\nrate: 1000\nmodel: a\300\257b\n'
hostile 'an overlong UTF-8 "/" (\300\257) in a value' "$NAME" 'UTF-8' drop "$T_TMP/u2" "$NAME"
hev u3 'car: evil03\nrate: 1000\nmodel: a\355\240\200b\n'
hostile 'a UTF-8 encoded surrogate (\355\240\200) in a value' "$NAME" 'UTF-8|Unicode' drop "$T_TMP/u3" "$NAME"
hev u4 'car: evil03\nrate: 1000\nmodel: Avant\303\n'
hostile 'a UTF-8 sequence cut short at the end of a value' "$NAME" 'UTF-8' drop "$T_TMP/u4" "$NAME"
hev u5 'car: evil03\nrate: 1000\nmodel: "Av\\x01nte"\n'
hostile 'a control character written as a YAML escape (\x01)' "$NAME" 'control' drop "$T_TMP/u5" "$NAME"
hev u6 'car: evil03\nrate: 1000\nmodel: "Av\\0nte"\n'
hostile 'a NUL written as a YAML escape (\0)' "$NAME" 'NUL' drop "$T_TMP/u6" "$NAME"
hev u7 'car: evil03\nrate: 1000\nmodel: "Av\\nante"\n'
hostile 'a newline in a model, as a YAML escape' "$NAME" 'control' drop "$T_TMP/u7" "$NAME"
hev u8 'car: "../../etc"\nrate: 1000\n'
hostile 'a car id "../../etc"' "$NAME" 'malformed|name' drop "$T_TMP/u8" "$NAME"
EID=$(newid key)
rawev u9 "$ROOT2" "id: $EID\ntype: key.add\ntime: %s\nactor: root2\nname: ../keys/x\nrole: customer\npubkey: $(pub "$EVE")\n"
NAME=$(spname "$EID")
hostile 'a key name "../keys/x"' "$NAME" 'malformed|name' drop "$T_TMP/u9" "$NAME"

# ---- YAML: aliases, anchors, tags, nesting, several documents -----------

hev y1 'car: evil04\nrate: 1000\nmodel: &m Avante\n'
hostile 'an anchor on a value' "$NAME" 'anchor' drop "$T_TMP/y1" "$NAME"
hev y2 'car: evil04\nrate: 1000\nmodel: *m\n'
hostile 'an alias as a value' "$NAME" 'alias' drop "$T_TMP/y2" "$NAME"
hev y3 'car: &c evil04\nrate: 1000\nmodel: *c\n'
hostile 'an anchor and an alias to it' "$NAME" 'anchor|alias' drop "$T_TMP/y3" "$NAME"
hev y4 'car: evil04\nrate: 1000\n*m : Avante\n'
hostile 'an alias as a key' "$NAME" 'alias' drop "$T_TMP/y4" "$NAME"
hev y5 'car: evil04\nrate: 1000\nmodel: !!binary QXZhbnRl\n'
hostile 'a tag on a value' "$NAME" 'tag' drop "$T_TMP/y5" "$NAME"
hev y6 'car: evil04\nrate: 1000\n<<: {model: Avante}\n'
hostile 'a merge key' "$NAME" 'nested|scalar|mapping' drop "$T_TMP/y6" "$NAME"
hev y7 'car: evil04\nrate: 1000\nmodel: {name: Avante}\n'
hostile 'a nested flow mapping' "$NAME" 'nested|scalar' drop "$T_TMP/y7" "$NAME"
hev y8 'car: evil04\nrate: 1000\nmodel:\n  name: Avante\n  year: 2020\n'
hostile 'a nested block mapping' "$NAME" 'nested|scalar' drop "$T_TMP/y8" "$NAME"
hev y9 'car: evil04\nrate: 1000\nmodel: [Avante, Sonata]\n'
hostile 'a sequence as a value' "$NAME" 'nested|scalar' drop "$T_TMP/y9" "$NAME"
hev y10 'car: evil04\nrate: 1000\n---\ncar: evil05\nrate: 1\n'
hostile 'two YAML documents' "$NAME" 'mapping|document|flat' drop "$T_TMP/y10" "$NAME"
EID=$(newid car)
rawev y11 "$ROOT2" "# a list\n- id: $EID\n- type: car.add\n- time: %s\n- actor: root2\n- car: evil04\n- rate: 1000\n"
NAME=$(spname "$EID")
hostile 'a list, not a mapping' "$NAME" 'mapping|flat' drop "$T_TMP/y11" "$NAME"

# ---- duplicate keys ------------------------------------------------------

hev d1 'car: evil05\nrate: 1000\ncar: evil06\n'
hostile 'a duplicate key (car)' "$NAME" 'duplicate' drop "$T_TMP/d1" "$NAME"
hev d2 'car: evil05\nrate: 1000\n"car": evil06\n'
hostile 'a duplicate key, once quoted' "$NAME" 'duplicate' drop "$T_TMP/d2" "$NAME"
hev d3 'car: evil05\nrate: 1000\nactor: eve\n'
hostile 'a duplicate actor' "$NAME" 'duplicate' drop "$T_TMP/d3" "$NAME"
EID=$(newid car)
rawev d4 "$ROOT2" "id: $EID\ntype: car.add\ntime: %s\nactor: root2\nid: $(newid car)\ncar: evil05\nrate: 1000\n"
NAME=$(spname "$EID")
hostile 'a duplicate id' "$NAME" 'duplicate' drop "$T_TMP/d4" "$NAME"

# ---- the schema: type, fields, id, time ----------------------------------

EID=$(newid car)
rawev k1 "$ROOT2" "id: $EID\ntype: car.steal\ntime: %s\nactor: root2\ncar: car01\n"
NAME=$(spname "$EID")
hostile 'an unknown event type' "$NAME" 'unknown' drop "$T_TMP/k1" "$NAME"
hev k2 'car: evil06\nrate: 1000\ncolor: red\n'
hostile 'an unknown key (field)' "$NAME" 'unknown' drop "$T_TMP/k2" "$NAME"
hev k3 'car: evil06\n'
hostile 'a required field missing (rate)' "$NAME" 'without|missing' drop "$T_TMP/k3" "$NAME"
EID=$(newid res)
rawev k4 "$ROOT2" "id: $EID\ntype: car.add\ntime: %s\nactor: root2\ncar: evil06\nrate: 1000\n"
NAME=$(spname "$EID")
hostile 'an id that does not fit its type (res- for car.add)' "$NAME" 'id' drop "$T_TMP/k4" "$NAME"
EID=$(newid car)
rawev k5 "$ROOT2" "id: $EID\ntype: car.add\ntime: yesterday%.0s\nactor: root2\ncar: evil06\nrate: 1000\n"
NAME=$(spname "$EID")
hostile 'a malformed time' "$NAME" 'time' drop "$T_TMP/k5" "$NAME"

# ---- who may do what -----------------------------------------------------

mkev "$T_TMP/a1" "$EVE" car.add eve car <<EOF
car: evil07
rate: 1000
EOF
NAME=$(spname "$EID")
hostile 'a customer key registering a car (admin act)' "$NAME" 'may not|not permitted|role' drop "$T_TMP/a1" "$NAME"
mkev "$T_TMP/a2" "$EVE" car.rm eve car <<EOF
car: car01
EOF
NAME=$(spname "$EID")
hostile 'a customer key deleting a car (admin act)' "$NAME" 'may not|not permitted|role' drop "$T_TMP/a2" "$NAME"
mkev "$T_TMP/a3" "$EVE" key.add eve key <<EOF
name: eve2
role: admin
pubkey: $(pub "$EVE")
EOF
NAME=$(spname "$EID")
hostile 'a customer key registering an admin key' "$NAME" 'may not|not permitted|role' drop "$T_TMP/a3" "$NAME"

mkev "$T_TMP/a4" "$EVE" reserve.cancel eve rsc <<EOF
reservation: $RESA
EOF
NAME=$(spname "$EID")
hostile 'eve cancels alice'"'"'s reservation' "$NAME" 'not a reservation of|owner' drop "$T_TMP/a4" "$NAME"
mkev "$T_TMP/a5" "$EVE" pay eve pay <<EOF
reservation: $RESA
amount: 100000
EOF
NAME=$(spname "$EID")
hostile 'eve pays alice'"'"'s reservation' "$NAME" 'not a reservation of|owner' drop "$T_TMP/a5" "$NAME"
mkev "$T_TMP/a6" "$EVE" rent.return eve ret <<EOF
reservation: $RESA
EOF
NAME=$(spname "$EID")
hostile 'eve returns alice'"'"'s car' "$NAME" 'not a reservation of|owner' drop "$T_TMP/a6" "$NAME"
mkev "$T_TMP/a7" "$EVE" rate eve rat <<EOF
reservation: $RESA
stars: 1
EOF
NAME=$(spname "$EID")
hostile 'eve rates alice'"'"'s reservation' "$NAME" 'not a reservation of|owner' drop "$T_TMP/a7" "$NAME"

mkev "$T_TMP/a8" "$EVE" reservation.accepted eve out <<EOF
ref: $RESE
reservation: $RESE
car: car01
customer: eve
from: 2028-08-06
to: 2028-08-08
EOF
NAME=$(spname "$EID")
hostile 'an outcome (reservation.accepted) signed by a customer' "$NAME" 'may not|dispatcher|role' drop "$T_TMP/a8" "$NAME"
mkev "$T_TMP/a9" "$ROOT2" payment.accepted root2 out <<EOF
ref: $(newid pay)
reservation: $RESA
car: car01
customer: alice
payment: $(newid pay)
amount: 100000
EOF
NAME=$(spname "$EID")
hostile 'an outcome (payment.accepted) signed by an admin' "$NAME" 'may not|dispatcher|role' drop "$T_TMP/a9" "$NAME"
mkev "$T_TMP/a10" "$DISP" rental.returned dispatcher out <<EOF
ref: $(newid ret)
reservation: $RESA
car: car01
customer: alice
EOF
NAME=$(spname "$EID")
hostile 'an outcome spooled with the dispatcher'"'"'s own key' "$NAME" 'dispatcher' drop "$T_TMP/a10" "$NAME"

# The control of the ownership cases: eve's act on her own reservation.
mkev "$T_TMP/a11" "$EVE" reserve.cancel eve rsc <<EOF
reservation: $RESE
EOF
settle
drop "$T_TMP/a11" "$(spname "$EID")"
t_wait 'control: eve canceling her own reservation is applied' "$T_WAIT" has_status "$RESE" RESERVATION_CANCELED

# ---- the desk: car.set, car.block, car.unblock, key.rm --------------------

has_block() {
	carctl show "$1" --json | grep -q "\"reservation\":\"$2\",[^}]*\"status\":\"BLOCKED\""
}
key_state() {
	carctl key list --json | grep -q "\"name\":\"$1\".*\"revoked\":$2"
}
mkev "$T_TMP/b1" "$ROOT2" car.block root2 blk <<EOF
car: car02
from: 2028-11-10
to: 2028-11-12
reason: service
EOF
BLK=$EID
settle
drop "$T_TMP/b1" "$(spname "$EID")"
t_wait 'control: a hand-made car.block by root2 is applied: the car shows it BLOCKED' "$T_WAIT" has_block car02 "$BLK"
mkev "$T_TMP/b2" "$EVE" car.block eve blk <<EOF
car: car01
from: 2028-11-10
to: 2028-11-12
EOF
NAME=$(spname "$EID")
hostile 'a customer key blocking a car (admin act)' "$NAME" 'may not|role' drop "$T_TMP/b2" "$NAME"
mkev "$T_TMP/b3" "$ROOT2" car.block root2 blk <<EOF
car: car01
from: 2028-01-01
to: 2029-01-03
EOF
NAME=$(spname "$EID")
hostile 'a block of 368 nights' "$NAME" 'nights' drop "$T_TMP/b3" "$NAME"
mkev "$T_TMP/b4" "$ROOT2" car.block root2 blk <<EOF
car: car01
from: 2028-11-12
to: 2028-11-10
EOF
NAME=$(spname "$EID")
hostile 'a block whose to is before its from' "$NAME" 'after from' drop "$T_TMP/b4" "$NAME"
mkev "$T_TMP/b5" "$ROOT2" car.unblock root2 ubk <<EOF
block: $RESA
EOF
NAME=$(spname "$EID")
hostile 'an unblock naming a reservation, not a block' "$NAME" 'block: malformed id' drop "$T_TMP/b5" "$NAME"
mkev "$T_TMP/b6" "$ROOT2" car.set root2 car <<EOF
car: car01
rate: 0
EOF
NAME=$(spname "$EID")
hostile 'a car.set with a rate of 0' "$NAME" 'rate 0' drop "$T_TMP/b6" "$NAME"
mkev "$T_TMP/b7" "$ROOT2" car.set root2 car <<EOF
car: car01
weekly: 1000000000001
EOF
NAME=$(spname "$EID")
hostile 'a car.set with a weekly price beyond the limits' "$NAME" 'weekly' drop "$T_TMP/b7" "$NAME"
mkev "$T_TMP/b8" "$ROOT2" car.set root2 car <<EOF
car: car01
colour: red
EOF
NAME=$(spname "$EID")
hostile 'a car.set with an unknown field' "$NAME" 'unknown field' drop "$T_TMP/b8" "$NAME"
mkev "$T_TMP/b9" "$EVE" key.rm eve key <<EOF
name: alice
EOF
NAME=$(spname "$EID")
hostile 'a customer key revoking a key (admin act)' "$NAME" 'may not|role' drop "$T_TMP/b9" "$NAME"
mkev "$T_TMP/b10" "$ROOT2" key.rm root2 key <<EOF
name: dispatcher
EOF
NAME=$(spname "$EID")
hostile 'revoking the dispatcher key' "$NAME" "dispatcher's" drop "$T_TMP/b10" "$NAME"

# A key revoked: what it signs afterwards is quarantined; what it did stays.
GHOST=$T_TMP/ghost.pem
openssl genpkey -algorithm ed25519 -out "$GHOST" 2>/dev/null
settle
carctl --as admin key add ghost --role admin --pubkey "$(pub "$GHOST")" >/dev/null
t_wait 'control: ghost, an admin key, is registered' "$T_WAIT" key_state ghost false
mkev "$T_TMP/g1" "$GHOST" car.add ghost car <<EOF
$(car_lines hand03)
EOF
drop "$T_TMP/g1" "$(spname "$EID")"
t_wait 'control: ghost adds a car' "$T_WAIT" has_car hand03
settle
carctl --as admin key rm ghost >/dev/null
t_wait 'ghost is revoked' "$T_WAIT" key_state ghost true
mkev "$T_TMP/g2" "$GHOST" car.add ghost car <<EOF
$(car_lines evil10)
EOF
NAME=$(spname "$EID")
hostile 'an event signed by a revoked key' "$NAME" 'key revoked' drop "$T_TMP/g2" "$NAME"
t_ok '... what it did before stays' has_car hand03

# ---- not a regular file --------------------------------------------------

fresh "$T_TMP/f1" evil08
cp "$T_TMP/f1" "$T_TMP/f1.copy"
NAME=$(spname "$EID")
hostile 'a symlink to a valid event' "$NAME" 'not a regular file' drop_link "$T_TMP/f1" "$NAME"
t_ok '... its target is left as it was' cmp "$T_TMP/f1" "$T_TMP/f1.copy"
NAME=$(spname "$(newid car)")
hostile 'a dangling symlink' "$NAME" 'not a regular file' drop_link "$T_TMP/nowhere" "$NAME"
NAME=$(spname "$(newid car)")
hostile 'a symlink to /dev/zero' "$NAME" 'not a regular file' drop_link /dev/zero "$NAME"
DIRNAME=$(spname "$(newid car)")
hostile 'a folder' "$DIRNAME" 'not a regular file' drop_dir "$DIRNAME"
NAME=$(spname "$(newid car)")
hostile 'a named pipe' "$NAME" 'not a regular file' drop_fifo "$NAME"

# ---- the file name -------------------------------------------------------

fresh "$T_TMP/n1" evil09
NAME=$(spname "$(newid car)")
hostile 'a valid event under a name carrying another id' "$NAME" 'name' drop "$T_TMP/n1" "$NAME"
fresh "$T_TMP/n2" evil09
NAME=0$(date +%s%N).junk
hostile 'a valid event under a name carrying no id' "$NAME" 'name' drop "$T_TMP/n2" "$NAME"
fresh "$T_TMP/n3" evil09
NAME=$(spname "$RESA")
hostile 'a new event under the name of an applied one' "$NAME" 'name' drop "$T_TMP/n3" "$NAME"
printf 'not an event\n' >"$T_TMP/n4"
NAME="0$(date +%s%N).car-
signature: forged"
hostile 'a file name holding a newline' "$NAME" 'signature' drop "$T_TMP/n4" "$NAME"

# ---- replays: skipped, not quarantined, not applied twice ----------------

# replay DESC NAME CMD...: CMD puts an event whose id is applied already at
# spool/new/NAME (6 assertions).
replay() {
	_r_desc=$1 _r_name=$2
	shift 2
	settle
	_r_before=$(fp)
	_r_n=$(summaries)
	"$@"
	t_wait "$_r_desc: the daemon deals with it" "$T_WAIT" more_summaries "$_r_n"
	t_eq "$_r_desc: its summary says skipped" "$(last_summary)" \
		'dispatcher: batch: applied 0, skipped 1, quarantined 0, outcomes 0, held 0'
	t_ok "$_r_desc: gone from spool/new" spool_empty
	t_nofile "$_r_desc: not quarantined" "$S/bad/$_r_name"
	t_eq "$_r_desc: nothing changed in state/" "$(fp)" "$_r_before"
	clear_new "$_r_name"
	good "$_r_desc"
}
NAME=$(spname "$RESA")
replay 'alice'"'"'s applied reservation under a new name' "$NAME" drop "$T_TMP/alice-reserve.event" "$NAME"
outlog=$(state_grep log/ -l --all-match -e "^reservation: $RESA\$" -e '^type: reservation.accepted$' | head -n 1)
state_cat "$outlog" >"$T_TMP/outcome.event" 2>/dev/null
outid=$(sed -n 's/^id: //p' "$T_TMP/outcome.event")
t_match 'the log holds the outcome of alice'"'"'s reservation' "$outid" '^out-[0-9a-f]{16}$'
NAME=$(spname "$outid")
replay 'an outcome copied from state/log into the spool' "$NAME" drop "$T_TMP/outcome.event" "$NAME"
# Other bytes under an applied id are another event: quarantined, never dropped as a
# copy (it could be someone else's, waiting).
rawev r3 "$EVE" "id: $RESE\ntype: reserve\ntime: %s\nactor: eve\ncar: car01\nfrom: 2028-12-01\nto: 2028-12-05\n"
NAME=$(spname "$RESE")
hostile 'an applied id re-used by eve for a new booking' "$NAME" 'already used by another event' drop "$T_TMP/r3" "$NAME"

# ---- spool/bad cannot take it as it is -----------------------------------

# hostile_again DESC NAME CMD...: like hostile, for a name spool/bad cannot
# take as it is; it must still leave spool/new and not block the daemon (5
# assertions).
hostile_again() {
	_a_desc=$1 _a_name=$2
	shift 2
	settle
	_a_before=$(fp)
	_a_n=$(summaries)
	"$@"
	t_wait "$_a_desc: the daemon deals with it" "$T_WAIT" more_summaries "$_a_n"
	t_eq "$_a_desc: its summary counts it quarantined" "$(last_summary)" \
		'dispatcher: batch: applied 0, skipped 0, quarantined 1, outcomes 0, held 0'
	t_nofile "$_a_desc: gone from spool/new" "$S/new/$_a_name"
	t_eq "$_a_desc: nothing changed in state/" "$(fp)" "$_a_before"
	good "$_a_desc"
	clear_new "$_a_name"
}
hostile_again 'a folder under a name already in spool/bad' "$DIRNAME" drop_dir "$DIRNAME"
NAME=$(spname "$(newid car)")
hostile 'a folder named like a .reason file' "$NAME.reason" 'not a regular file' drop_dir "$NAME.reason"
printf 'not an event\n' >"$T_TMP/x2"
hostile_again 'a file whose .reason name is taken in spool/bad' "$NAME" drop "$T_TMP/x2" "$NAME"
NAME=$(head -c 250 /dev/zero | tr '\0' 7)
hostile_again 'a file name of 250 characters' "$NAME" drop "$T_TMP/x2" "$NAME"

# ---- the end -------------------------------------------------------------

settle
t_ok 'the daemon is still running' kill -0 "$dpid"
alive=$RC
t_ok 'spool/new is empty' spool_empty
t_stop_daemon "$dpid" "$alive"
t_ok 'dispatcher --rebuild: the state is what the log says' dispatcher --rebuild
t_ok 'dispatcher --check: healthy' dispatcher --check
t_nomatch 'no evil car was ever registered' "$(carctl --as admin list --json)" '"car":"evil'
t_eq 'alice'"'"'s reservation is still RESERVED' "$(status_of "$RESA")" RESERVED
[ "$T_FAILED" -gt 0 ] && tail -n 30 "$DLOG" | sed 's/^/# daemon stderr: /'

# A writer may plant a symlink in spool/tmp under the name the dispatcher's next temp
# file takes (its pid and a count): the dispatcher makes its temp files anew (never
# through a link, never over a file), and the file the link names is left as it was.
echo precious >"$T_TMP/victim"
printf 'junk\n' >"$T_TMP/junkfile"
spool_drop "$T_TMP/junkfile" "0$(date +%s%N).planted"
sh -c 'i=0; while [ $i -lt 300 ]; do ln -s "$1" "$2/spool/tmp/$$.$i"; i=$((i + 1)); done
	exec "$3" --once' - "$T_TMP/victim" "$H" "$BIN/dispatcher" >/dev/null 2>&1
t_eq 'symlinks planted in spool/tmp under the names its pid and a count would give: exit 0' "$?" 0
t_eq '... the file they name is untouched' "$(cat "$T_TMP/victim")" precious
t_eq '... and the junk is quarantined all the same' "$(ls "$H/spool/bad" | grep -c 'planted$')" 1
t_ok '... with its reason' test -s "$(ls -d "$H"/spool/bad/*planted.reason)"

# A writer that removes its own files as the dispatcher reads them (they vanish
# between the listing, the read and the quarantine): the batch goes on without them.
( while [ ! -e "$T_TMP/stop-vanish" ]; do
	for i in 1 2 3 4 5 6 7 8; do echo x >"$H/spool/new/0vanish$i"; done
	rm -f "$H/spool/new/0vanish"*
done ) &
vp=$!
T_PIDS="$T_PIDS $vp"
carctl --as admin add vanish01 --rate 5 >/dev/null
fails=0
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
	dispatcher --once >/dev/null 2>"$T_TMP/vanish.err" || { fails=$((fails + 1)); cp "$T_TMP/vanish.err" "$T_TMP/vanish.last"; }
done
touch "$T_TMP/stop-vanish"
wait "$vp" 2>/dev/null
t_eq 'files vanishing under the dispatcher: every run exits 0' "$fails" 0
[ "$fails" -eq 0 ] || diag "last: $(cat "$T_TMP/vanish.last")"
t_match '... and the car written meanwhile is applied' "$(carctl list --json)" '"car":"vanish01"'
rm -f "$H/spool/new/0vanish"* "$H/spool/bad/0vanish"*
t_ok '... the home is healthy' dispatcher --check

# A file name with a C1 control character (CSI, OSC): said escaped on the terminal,
# and the .reason keeps to printable text.
c1name="0$(date +%s%N).x$(printf '\302\2332J\302\2350;owned\302\234')"
spool_drop "$T_TMP/junkfile" "$c1name"
run dispatcher --once
t_match 'a C1 character in a file name is said escaped' "$ERR" 'x\\u009b2J\\u009d0;owned\\u009c'
t_nomatch '... never raw' "$ERR" "$(printf '\302\233')"
t_nomatch '... nor in its .reason' "$(cat "$H"/spool/bad/*owned*.reason)" "$(printf '\302\233')"

done_testing
