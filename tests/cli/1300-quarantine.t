#!/bin/sh
# 1300-quarantine.t: the event file format (signed so that OpenSSL can
# check it), and events that cannot be verified or parsed: they go to
# spool/bad with a .reason file and change nothing.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

shop
cars0=$(carctl --as admin list --json)

# verify EVENT PUBKEY: check EVENT's signature with OpenSSL.
verify() {
	sed '$d' "$1" >"$T_TMP/v.body"
	sed -n '$s/^signature: *//p' "$1" | base64 -d >"$T_TMP/v.sig" 2>/dev/null
	{
		printf '\060\052\060\005\006\003\053\145\160\003\041\000'
		printf '%s' "$2" | base64 -d
	} >"$T_TMP/v.der"
	openssl pkeyutl -verify -pubin -inkey "$T_TMP/v.der" -keyform DER -rawin \
		-in "$T_TMP/v.body" -sigfile "$T_TMP/v.sig" >/dev/null 2>&1
}
# resign EVENT ACTOR PEM OUT: EVENT with actor ACTOR, signed with PEM.
resign() {
	sed '$d' "$1" | sed "s/^actor:.*/actor: $2/" >"$4.body"
	openssl pkeyutl -sign -inkey "$3" -rawin -in "$4.body" -out "$4.sig" &&
		{ cat "$4.body"; printf 'signature: %s\n' "$(base64 <"$4.sig" | tr -d '\n')"; } >"$4"
}
# take: move the only event in spool/new out to $T_TMP/NAME; sets F to its
# file name.
take() {
	F=$(spool_files new)
	mv "$H/spool/new/$F" "$T_TMP/$1"
}
have_openssl=
if command -v openssl >/dev/null 2>&1 &&
	openssl genpkey -algorithm ed25519 -out "$T_TMP/probe.pem" >/dev/null 2>&1; then
	have_openssl=1
fi

# The file format.
t_ok 'admin adds car03' carctl --as admin add car03 --rate 70000 --model Sonata
F=$(spool_files new)
ev=$H/spool/new/$F
t_match 'the spool file is named <20-digit ns>.<id>' "$F" '^[0-9]{20}\.[^/]+$'
evid=$(sed -n 's/^id: *["'"'"']\{0,1\}\([^"'"'"']*\)["'"'"']\{0,1\} *$/\1/p' "$ev" | head -n 1)
t_id 'the name ends with the event id' "${F#*.}" "$evid"
body=$(cat "$ev")
t_match 'the event has a type' "$body" '^type: '
t_match 'the event has a time' "$body" '^time: '
t_match 'the event has the actor' "$body" '^actor: ["'"'"']?admin["'"'"']?$'
t_match 'it names the car' "$body" 'car03'
t_match 'the last line is the signature, base64 of 64 bytes' "$(tail -n 1 "$ev")" '^signature: [A-Za-z0-9+/]{86}==$'
t_eq 'one signature line only' "$(grep -c '^signature:' "$ev")" 1
adminpub=$(carctl --as admin key list --json | jrow name admin | jget pubkey)
if [ -n "$have_openssl" ]; then
	t_ok 'OpenSSL verifies the signature with the admin public key' verify "$ev" "$adminpub"
	alicepub=$(carctl --as admin key list --json | jrow name alice | jget pubkey)
	reserve --as alice car01 --from 2028-08-06 --to 2028-08-08 >/dev/null
	aev=$H/spool/new/$(spool_files new | grep -v "^$F\$")
	t_ok 'OpenSSL verifies alice'"'"'s reservation with her public key' verify "$aev" "$alicepub"
	t_fail 'and not with the admin key' verify "$aev" "$adminpub"
	rm -f "$aev"
else
	t_skip 'OpenSSL verifies the signature' 'no openssl with ed25519'
	t_skip 'OpenSSL verifies alice'"'"'s reservation' 'no openssl with ed25519'
	t_skip 'and not with the admin key' 'no openssl with ed25519'
fi

# A hand-edited event: one byte changed.
take car03.event
sed 's/Sonata/Sonatb/' "$T_TMP/car03.event" >"$T_TMP/car03.edited"
t_exit 1 'the edit changed one byte' cmp -s "$T_TMP/car03.event" "$T_TMP/car03.edited"
spool_drop "$T_TMP/car03.edited" "$F"
t_ok 'the dispatcher runs' dispatcher --once
t_eq 'its summary counts one quarantined' "$(printf '%s\n' "$ERR" | tail -n 1)" 'dispatcher: applied 0, skipped 0, quarantined 1, held 0'
t_match '... after a line naming it and why' "$ERR" '^dispatcher: quarantined [0-9]+\.car-[0-9a-f]+: bad signature'
t_eq 'spool/new is empty' "$(spool_count new)" 0
t_file 'the event is in spool/bad under its name' "$H/spool/bad/$F"
t_ok '... byte for byte' cmp "$T_TMP/car03.edited" "$H/spool/bad/$F"
t_file 'with a .reason file beside it' "$H/spool/bad/$F.reason"
t_eq 'the reason is one line' "$(wc -l <"$H/spool/bad/$F.reason" | tr -d ' ')" 1
t_match 'the reason says something' "$(cat "$H/spool/bad/$F.reason")" '[a-z]'
t_eq 'the cars are unchanged' "$(carctl --as admin list --json)" "$cars0"

# Garbage, an empty file, a missing or broken signature.
carctl --as admin add car04 --rate 1000 >/dev/null
take car04.event
F4=$F
carctl --as admin add car05 --rate 1000 >/dev/null
take car05.event
F5=$F
carctl --as admin add car06 --rate 1000 >/dev/null
take car06.event
F6=$F
printf 'this is not an event\n' >"$T_TMP/garbage"
spool_drop "$T_TMP/garbage" 00000000000000000001.garbage
: >"$T_TMP/empty"
spool_drop "$T_TMP/empty" 00000000000000000002.empty
sed '$d' "$T_TMP/car04.event" >"$T_TMP/car04.unsigned"
spool_drop "$T_TMP/car04.unsigned" "$F4"
{ sed '$d' "$T_TMP/car05.event"; printf 'signature: !!notbase64!!\n'; } >"$T_TMP/car05.badsig"
spool_drop "$T_TMP/car05.badsig" "$F5"
{ sed '$d' "$T_TMP/car06.event"; tail -n 1 "$T_TMP/car03.event"; } >"$T_TMP/car06.othersig"
spool_drop "$T_TMP/car06.othersig" "$F6"
head -c 40 "$T_TMP/car03.event" >"$T_TMP/car03.truncated"
spool_drop "$T_TMP/car03.truncated" 00000000000000000003.truncated
t_ok 'the dispatcher runs' dispatcher --once
t_eq 'six files quarantined, nothing applied' "$(printf '%s\n' "$ERR" | tail -n 1)" 'dispatcher: applied 0, skipped 0, quarantined 6, held 0'
t_eq '... each named in a line of its own' "$(printf '%s\n' "$ERR" | grep -c '^dispatcher: quarantined ')" 6
for f in 00000000000000000001.garbage 00000000000000000002.empty "$F4" "$F5" "$F6" 00000000000000000003.truncated; do
	t_file "quarantined with a reason: $f" "$H/spool/bad/$f.reason"
done
t_eq 'spool/new is empty' "$(spool_count new)" 0
t_eq 'spool/bad holds 7 events and 7 reasons' "$(spool_count bad)" 14
t_eq 'the cars are unchanged' "$(carctl --as admin list --json)" "$cars0"
t_ok '--check still answers' dispatcher --check

# Signed by someone not allowed: a customer acting as admin, an unknown key.
if [ -n "$have_openssl" ]; then
	openssl genpkey -algorithm ed25519 -out "$T_TMP/eve.pem" 2>/dev/null
	openssl genpkey -algorithm ed25519 -out "$T_TMP/root2.pem" 2>/dev/null
	openssl genpkey -algorithm ed25519 -out "$T_TMP/ghost.pem" 2>/dev/null
	evepub=$(openssl pkey -in "$T_TMP/eve.pem" -pubout -outform DER | tail -c 32 | base64)
	root2pub=$(openssl pkey -in "$T_TMP/root2.pem" -pubout -outform DER | tail -c 32 | base64)
	t_ok 'register an OpenSSL key for customer eve' carctl --as admin key add eve --pubkey "$evepub"
	t_ok 'register an OpenSSL key for admin root2' carctl --as admin key add root2 --role admin --pubkey "$root2pub"
	dispatch
	t_eq 'eve is registered with her key' "$(carctl --as admin key list --json | jrow name eve)" \
		"{\"name\":\"eve\",\"role\":\"customer\",\"pubkey\":\"$evepub\",\"revoked\":false}"

	carctl --as admin add car07 --rate 1000 >/dev/null
	take car07.event
	F7=$F
	carctl --as admin add car08 --rate 1000 >/dev/null
	take car08.event
	F8=$F
	resign "$T_TMP/car07.event" eve "$T_TMP/eve.pem" "$T_TMP/car07.eve"
	spool_drop "$T_TMP/car07.eve" "$F7"
	resign "$T_TMP/car08.event" ghost "$T_TMP/ghost.pem" "$T_TMP/car08.ghost"
	spool_drop "$T_TMP/car08.ghost" "$F8"
	t_ok 'the dispatcher runs' dispatcher --once
	t_eq 'both quarantined' "$(printf '%s\n' "$ERR" | tail -n 1)" 'dispatcher: applied 0, skipped 0, quarantined 2, held 0'
	t_file 'a customer'"'"'s admin act: in spool/bad with a reason' "$H/spool/bad/$F7.reason"
	t_file 'an unregistered key: in spool/bad with a reason' "$H/spool/bad/$F8.reason"
	t_nomatch 'no car07 nor car08' "$(carctl --as admin list --json)" '"car":"car0[78]"'

	# The same act signed by OpenSSL with a registered admin key is applied.
	carctl --as admin add car09 --rate 1234 --model Ray >/dev/null
	take car09.event
	F9=$F
	resign "$T_TMP/car09.event" root2 "$T_TMP/root2.pem" "$T_TMP/car09.root2"
	spool_drop "$T_TMP/car09.root2" "$F9"
	t_ok 'the dispatcher runs' dispatcher --once
	t_eq 'an event signed by OpenSSL for a registered admin is applied' "$ERR" \
		'dispatcher: applied 1, skipped 0, quarantined 0, held 0'
	t_eq 'car09 exists' "$(carctl --as admin list --json | jrow car car09)" \
		'{"car":"car09","model":"Ray","rate":1234,"status":"AVAILABLE","stars":null,"ratings":0}'
else
	for i in 1 2 3 4 5 6 7 8 9 10 11; do t_skip "signed by others $i" 'no openssl with ed25519'; done
fi

# A file name with a newline, a terminal escape and a byte that is not UTF-8: the
# dispatcher's line shows them escaped (\n, \x1b, \xff), as every message does, and
# the .reason is one printable line (each such byte a ?).
odd=$(printf 'a\nb\033[31m\377')
printf 'x\n' >"$H/spool/new/$odd"
run dispatcher --once
t_match 'a name with a newline, an escape and a stray byte: said escaped' "$ERR" \
	'^dispatcher: quarantined a\\nb\\x1b\[31m\\xff: '
t_eq '... the .reason is one line' "$(wc -l <"$H/spool/bad/$odd.reason" | tr -d ' ')" 1
t_eq '... of printable UTF-8' "$(LC_ALL=C tr -d '\n -~' <"$H/spool/bad/$odd.reason" | wc -c | tr -d ' ')" 0
t_match '... naming the file with ? for those bytes' "$(cat "$H/spool/bad/$odd.reason")" '^a\?b\?\[31m\?: '
done_testing
