#!/bin/sh
# 2010-revoke.t: carctl key rm (CONTRACT 2, "Fleet"): a revoked key is refused by
# every command (77) and at admission (quarantined: key revoked), what it did before
# stays; the dispatcher's key and the last admin's are not revoked (1); the name may
# be registered again with a new key, the old one staying refused.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

shop
res=$(book alice car01 "$(day 3)" "$(day 5)")

t_refuse 1 'key rm of the dispatcher key' carctl --as admin key rm dispatcher
t_match '... says why' "$ERR" "key 'dispatcher' is the dispatcher's"
t_refuse 1 'key rm of the last admin' carctl --as admin key rm admin
t_match '... says why' "$ERR" "last admin"
t_refuse 1 'key rm of a name not registered' carctl --as admin key rm ghost
t_refuse 65 'key rm of a malformed name' carctl --as admin key rm 'a/b'
t_refuse 64 'key rm without a name' carctl --as admin key rm
t_refuse 77 'key rm by a customer' carctl --as bob key rm alice
t_refuse 77 'key rm by an unknown identity' carctl --as nobody key rm alice

# alice's payment: written while her key held (the revocation waits in the spool),
# admitted after the revocation: quarantined.
t_ok 'key rm alice' carctl --as admin key rm alice
t_eq '... prints the name' "$OUT" alice
t_ok 'alice pays (her key is revoked in the spool, not yet applied)' pay --as alice "$res"
dispatch
t_eq 'the payment, admitted after the revocation, is quarantined' "$(spool_count bad)" 2
t_match '... with the reason key revoked' "$(cat "$H"/spool/bad/*.reason)" 'key revoked'
t_eq '... and changes nothing' "$(status_of "$res")" RESERVED
t_eq 'what she did before stays: her reservation' "$(reserve --as admin list --json | jrow reservation "$res" | jget customer)" alice
t_eq 'key list says revoked' "$(carctl key list --json | jrow name alice | jget revoked)" true
t_eq '... and the others not' "$(carctl key list --json | jq -r 'select(.name != "alice") | .revoked' | sort -u)" false
t_refuse 77 'a command with the revoked key: reserve' reserve --as alice car02 --from "$(day 3)" --to "$(day 4)"
t_match '... says the key is revoked' "$ERR" 'alice: key revoked'
t_refuse 77 '... reserve list' reserve --as alice list --json
t_refuse 77 '... mypage' mypage --as alice --json
t_refuse 77 '... rent due' rent --as alice due
t_refuse 77 '... reserve cancel' reserve --as alice cancel "$res"
t_refuse 1 'key rm again' carctl --as admin key rm alice
t_match '... revoked already' "$ERR" 'revoked already'
t_ok 'an admin may still cancel her booking' reserve --as admin cancel "$res"
dispatch
t_eq '... RESERVATION_CANCELED' "$(status_of "$res")" RESERVATION_CANCELED

# Registered again, with a new key pair: keys/alice.key is replaced.
old=$(cksum <"$H/keys/alice.key")
t_ok 'key add alice again' carctl --as admin key add alice
t_eq '... prints the name' "$OUT" alice
t_nomatch '... keys/alice.key is a new key' "$(cksum <"$H/keys/alice.key")" "^$old\$"
t_eq '... mode 0600' "$(file_mode "$H/keys/alice.key")" '-rw-------'
t_eq '... nothing else left in keys/' "$(ls -A "$H/keys" | grep -c '^\.')" 0
dispatch
t_eq 'key list shows alice once, not revoked' "$(carctl key list --json | grep -c '"name":"alice"') $(carctl key list --json | jrow name alice | jget revoked)" '1 false'
t_ok 'alice acts again with the new key' reserve --as alice car02 --from "$(day 6)" --to "$(day 7)"
dispatch
t_eq '... applied' "$(status_of "$OUT")" RESERVED
t_eq 'her old reservations are still hers' "$(reserve --as alice list --json | jrow reservation "$res" | jget status)" RESERVATION_CANCELED

# A revoked name registered with a public key: the old key file is the old key,
# refused at once.
carctl --as admin key add bob2 >/dev/null
dispatch
cp "$H/keys/bob2.key" "$T_TMP/bob2.old"
carctl --as admin key rm bob2 >/dev/null
dispatch
pub=$(carctl key gen bob3)
t_ok 'key add bob2 --pubkey on the revoked name' carctl --as admin key add bob2 --pubkey "$pub"
t_eq '... leaves keys/bob2.key alone' "$(cksum <"$H/keys/bob2.key")" "$(cksum <"$T_TMP/bob2.old")"
dispatch
t_eq 'bob2 has the new public key' "$(carctl key list --json | jrow name bob2 | jget pubkey)" "$pub"
t_refuse 77 'a command signed with the old key' reserve --as bob2 car02 --from "$(day 8)" --to "$(day 9)"
t_match '... says it is not the registered key' "$ERR" 'not the key registered for bob2'
cp "$H/keys/bob3.key" "$H/keys/bob2.key"
t_ok 'with the new key it works' reserve --as bob2 car02 --from "$(day 8)" --to "$(day 9)"
dispatch

# Another admin: then admin may be revoked, and boss may not be.
carctl --as admin key add boss --role admin >/dev/null
dispatch
t_ok 'with another admin, admin may be revoked' carctl --as admin key rm admin
dispatch
t_refuse 77 'admin acts no more' carctl --as admin add car09 --rate 5
t_refuse 1 'boss is now the last admin' carctl --as boss key rm boss
t_ok 'boss registers a car' carctl --as boss add car09 --rate 5
dispatch
t_match '... applied' "$(carctl list --json)" '"car":"car09"'

t_ok 'the log says who did what' git -C "$H/state" log --format=%B
t_match '... key rm names the key' "$OUT" '^boss key.add|^admin key.rm admin$'
t_ok 'dispatcher --rebuild: the keys are what the log says' dispatcher --rebuild
done_testing
