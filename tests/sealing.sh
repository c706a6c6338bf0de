# sealing.sh: events made and signed by hand with OpenSSL ed25519 keys, so that
# a test controls every byte (sourced by the tests that need it, after lib.sh).

# sealing_or_skip: ends the test as skipped where OpenSSL cannot make ed25519 keys.
sealing_or_skip() {
	if ! command -v openssl >/dev/null 2>&1 ||
		! openssl genpkey -algorithm ed25519 -out "$T_TMP/probe.pem" >/dev/null 2>&1; then
		echo '1..0 # SKIP no openssl with ed25519'
		exit 0
	fi
}
# pub PEM: the standard base64 of the raw 32-byte public key.
pub() {
	openssl pkey -in "$1" -pubout -outform DER 2>/dev/null | tail -c 32 | base64
}
# pem NAME: the home's keys/NAME.key (the base64 of an ed25519 seed) as an OpenSSL
# key file; prints its path.
pem() {
	{
		printf '\060\056\002\001\000\060\005\006\003\053\145\160\004\042\004\040'
		base64 -d <"$H/keys/$1.key"
	} >"$T_TMP/$1.der" 2>/dev/null
	openssl pkey -inform DER -in "$T_TMP/$1.der" -out "$T_TMP/$1.pem" 2>/dev/null
	printf '%s' "$T_TMP/$1.pem"
}
# newid PREFIX: a fresh id PREFIX-<16 hex>.
newid() {
	printf '%s-%s' "$1" "$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
}
# spname ID: a spool file name <20-digit ns>.<ID>.
spname() {
	printf '0%s.%s' "$(date +%s%N)" "$1"
}
now() {
	date -u +%Y-%m-%dT%H:%M:%SZ
}
# base ID TYPE ACTOR: the four lines every event starts with.
base() {
	printf 'id: %s\ntype: %s\ntime: %s\nactor: %s\n' "$1" "$2" "$(now)" "$3"
}
# seal PEM BODY OUT: OUT is BODY and its signature line by PEM.
seal() {
	openssl pkeyutl -sign -inkey "$1" -rawin -in "$2" -out "$3.sig" 2>/dev/null &&
		{ cat "$2"; printf 'signature: %s\n' "$(base64 <"$3.sig" | tr -d '\n')"; } >"$3"
}
# mkev OUT PEM TYPE ACTOR PREFIX: an event of TYPE by ACTOR with a fresh id
# (left in EID), the lines of stdin after the base, signed with PEM.
mkev() {
	EID=$(newid "$5")
	{ base "$EID" "$3" "$4"; cat; } >"$1.body"
	seal "$2" "$1.body" "$1"
}

# alice_books N CAR END: alice's N one-night stays of CAR from tomorrow, signed by
# hand and spooled, each id random hex digits, then i's last hex digit, then END (ids
# are the writer's to choose: all of hers then lie in one leaf of her tables); their
# ids in ids, the seventh's in seventh, the tenth's in tenth; her key's file in key.
alice_books() {
	key=$(pem alice)
	_ab_i=0
	ids=
	while [ "$_ab_i" -lt "$1" ]; do
		_ab_i=$((_ab_i + 1))
		_ab_id=res-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n' | cut -c1-$((15 - ${#3})))$(printf %x $((_ab_i % 16)))$3
		{ base "$_ab_id" reserve alice; printf 'car: %s\nfrom: %s\nto: %s\n' "$2" "$(day "$_ab_i")" "$(day $((_ab_i + 1)))"; } >"$T_TMP/ev.body"
		seal "$key" "$T_TMP/ev.body" "$T_TMP/ev"
		mv "$T_TMP/ev" "$H/spool/new/$(spname "$_ab_id")"
		ids="$ids $_ab_id"
		case $_ab_i in 7) seventh=$_ab_id ;; 10) tenth=$_ab_id ;; esac
	done
}

# alice_cancels RES: alice's cancellation of RES, signed by hand, spooled behind what
# waits.
alice_cancels() {
	_ac_id=$(newid rsc)
	{ base "$_ac_id" reserve.cancel alice; printf 'reservation: %s\n' "$1"; } >"$T_TMP/ev.body"
	seal "$(pem alice)" "$T_TMP/ev.body" "$T_TMP/ev"
	mv "$T_TMP/ev" "$H/spool/new/$(spname "$_ac_id")"
}
