#!/bin/sh
# 0200-keys.t: carctl key add/gen/list, roles, key files, and the acting
# identity (--as, $RENTAL_USER, the login name).
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

B64KEY='[A-Za-z0-9+/]{43}='

scratch_home
carctl --as admin add car01 --rate 50000 --model Avante >/dev/null
dispatch

# key add creates the key pair; the key is usable once applied.
t_ok 'admin registers alice' carctl --as admin key add alice
t_eq 'key add prints the name' "$OUT" alice
t_file 'key add creates keys/alice.key' "$H/keys/alice.key"
t_eq 'keys/alice.key is mode 0600' "$(file_mode "$H/keys/alice.key")" '-rw-------'
t_eq 'the registration waits in spool/new' "$(spool_count new)" 1
t_nomatch 'key list shows only registered keys' "$(carctl --as admin key list --json)" '"name":"alice"'
t_refuse 75 'alice cannot act before the registration is applied: not yet applied' \
	reserve --as alice car01 --from 2028-08-06 --to 2028-08-08
dispatch
t_ok 'key list --json' carctl --as admin key list --json
t_match 'alice is registered as a customer' "$OUT" "^\\{\"name\":\"alice\",\"role\":\"customer\",\"pubkey\":\"$B64KEY\",\"revoked\":false\\}\$"
t_eq 'three keys now' "$(printf '%s\n' "$OUT" | grep -c .)" 3
t_ok 'anyone may list the keys' carctl --as alice key list --json
t_match '... and sees alice' "$OUT" '"name":"alice"'
t_ok 'key list without --json' carctl --as admin key list
t_match '... names alice' "$OUT" 'alice'
t_ok 'alice can reserve once registered' reserve --as alice car01 --from 2028-08-06 --to 2028-08-08
t_match '... and gets a reservation id' "$OUT" '^res-[0-9a-f]{16}$'
dispatch

# Roles.
t_ok 'admin registers boss as an admin' carctl --as admin key add boss --role admin
dispatch
t_match 'boss has role admin' "$(carctl --as admin key list --json | jrow name boss)" '"role":"admin"'
t_ok 'boss may add a car' carctl --as boss add car02 --rate 30000
t_ok 'admin registers cid with an explicit customer role' carctl --as admin key add cid --role customer
dispatch
t_match 'cid has role customer' "$(carctl --as admin key list --json | jrow name cid)" '"role":"customer"'
t_refuse 77 'a customer may not register keys' carctl --as alice key add mallory
t_nofile '... and no key file is made' "$H/keys/mallory.key"
t_refuse 77 'a customer may not add a car' carctl --as alice add car09 --rate 1
t_refuse 77 'the dispatcher key (role system) may not add a car' carctl --as dispatcher add car09 --rate 1
t_refuse 77 'an admin may not reserve' reserve --as admin car01 --from 2028-09-06 --to 2028-09-08
t_refuse 77 'an identity without a key file' carctl --as nobody add car09 --rate 1
t_refuse 77 'an unknown identity may not reserve' reserve --as nobody car01 --from 2028-09-06 --to 2028-09-08

# key gen makes a pair locally and prints the public key; key add --pubkey
# registers it without making a new pair.
t_ok 'key gen erin' carctl key gen erin
t_match 'key gen prints a base64 public key of 32 bytes' "$OUT" "^$B64KEY\$"
pub=$OUT
t_eq 'the public key decodes to 32 bytes' "$(printf '%s' "$pub" | base64 -d 2>/dev/null | wc -c | tr -d ' ')" 32
t_file 'key gen writes keys/erin.key' "$H/keys/erin.key"
t_eq 'keys/erin.key is mode 0600' "$(file_mode "$H/keys/erin.key")" '-rw-------'
t_eq 'key gen writes no event' "$(spool_count new)" 0
t_nomatch 'erin is not registered by key gen' "$(carctl --as admin key list --json)" '"name":"erin"'
t_refuse 77 'erin cannot act before registration' reserve --as erin car01 --from 2028-09-06 --to 2028-09-08
sum=$(cksum 2>/dev/null <"$H/keys/erin.key")
t_exit 1 'key gen refuses to overwrite a key: exit 1 (carctl.1)' carctl key gen erin
t_match '... saying so' "$ERR" 'keys/erin\.key: key exists already'
t_id '... and the key file is unchanged' "$(cksum 2>/dev/null <"$H/keys/erin.key")" "$sum"
t_ok 'admin registers erin with --pubkey' carctl --as admin key add erin --pubkey "$pub"
t_eq '... prints the name' "$OUT" erin
t_id '... and leaves keys/erin.key alone' "$(cksum 2>/dev/null <"$H/keys/erin.key")" "$sum"
dispatch
t_eq 'key list shows erin with her public key' \
	"$(carctl --as admin key list --json | jrow name erin)" \
	"{\"name\":\"erin\",\"role\":\"customer\",\"pubkey\":\"$pub\",\"revoked\":false}"
t_ok 'erin can reserve with her own key' reserve --as erin car01 --from 2028-09-06 --to 2028-09-08

# A public key that cannot be shown is a key not made: nothing is kept, and it can
# be made again.
if [ -w /dev/full ]; then
	"$BIN/carctl" key gen kim >/dev/full 2>"$T_TMP/gen.err"
	t_eq 'key gen to a full stdout: exit 74' "$?" 74
	t_eq '... says so, once' "$(cat "$T_TMP/gen.err")" "carctl: stdout: write error; $H/keys/kim.key is not kept"
	t_nofile '... and keeps no keys/kim.key' "$H/keys/kim.key"
	t_ok '... made again, shown' carctl key gen kim
	t_match '... its public key' "$OUT" "^$B64KEY\$"
else
	t_skip 'key gen to a full stdout' 'no /dev/full here'
fi

# A registered name whose secret key is elsewhere.
O=$T_TMP/other
carctl init "$O" >/dev/null 2>&1
dave=$(carctl --home "$O" key gen dave)
t_ok 'register dave whose key lives in another home' carctl --as admin key add dave --pubkey "$dave"
t_nofile '... without a key file here' "$H/keys/dave.key"
dispatch
t_refuse 77 'dave has no key file in this home' reserve --as dave car01 --from 2028-10-06 --to 2028-10-08

# Bad input.
t_refuse 1 'a name already registered' carctl --as admin key add alice
t_refuse 64 'key add without a name' carctl --as admin key add
t_refuse 64 'key add --role without its value' carctl --as admin key add zed --role
t_refuse 65 'key add with an unknown role' carctl --as admin key add zed --role superuser
t_refuse 65 'key add with a malformed name' carctl --as admin key add 'bad name!'
t_refuse 65 'key add with a name starting with a dot' carctl --as admin key add .zed
t_refuse 65 'key add with a name of 33 characters' carctl --as admin key add abcdefghijklmnopqrstuvwxyz0123456
t_refuse 65 'key add --pubkey that is not base64' carctl --as admin key add zed --pubkey 'not*base64!'
t_refuse 65 'key add --pubkey of 31 bytes' carctl --as admin key add zed \
	--pubkey "$(head -c 31 /dev/zero | base64)"
t_refuse 65 'key gen with a malformed name' carctl key gen ../evil
t_nofile '... writes nothing outside keys/' "$H/evil.key"
t_refuse 64 'key gen without a name' carctl key gen
t_ok 'a name of 32 characters is fine' carctl --as admin key add abcdefghijklmnopqrstuvwxyz012345
t_ok 'a name with . _ - is fine' carctl --as admin key add z.e_d-1

# The acting identity: --as, else $RENTAL_USER, else the login name.
dispatch
t_ok 'RENTAL_USER chooses the identity' \
	env RENTAL_USER=alice "$BIN/reserve" car01 --from 2028-11-01 --to 2028-11-03
r1=$OUT
t_ok '--as wins over RENTAL_USER' \
	env RENTAL_USER=nobody "$BIN/reserve" --as alice car01 --from 2028-11-05 --to 2028-11-07
r2=$OUT
dispatch
t_eq 'the RENTAL_USER reservation belongs to alice' "$(reserve --as admin list --json | jrow reservation "$r1" | jget customer)" alice
t_eq 'the --as reservation belongs to alice' "$(reserve --as admin list --json | jrow reservation "$r2" | jget customer)" alice
me=$(id -un 2>/dev/null)
case $me in
admin | dispatcher | alice | boss | cid | erin | dave | '')
	t_skip 'the login name is the identity without --as or RENTAL_USER' "login name $me"
	;;
*)
	t_refuse 77 'the login name is the identity without --as or RENTAL_USER (unregistered)' \
		carctl add car09 --rate 1
	;;
esac

# A key file that is a FIFO (or any other thing than a file) is no key: refused at
# once, never waited on (a liveness probe must not hang).
carctl --as admin key add fifo >/dev/null && dispatch
rm -f "$H/keys/fifo.key"
mkfifo -m 600 "$H/keys/fifo.key"
T_TIMEOUT=10 t_refuse 77 'a FIFO as a key file: refused, not waited on' \
	reserve --as fifo car01 --from 2028-01-01 --to 2028-01-02
t_match '... as no key file' "$ERR" 'fifo.key: not a key file'
rm -f "$H/keys/fifo.key"

done_testing
