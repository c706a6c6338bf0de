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
