#!/bin/sh
# 0220-revoked-key-stays-refused.t: a revoked key stays refused (CONTRACT, key rm):
# registering its public key again, under its name or another, is refused by
# `carctl key add --pubkey` (1) and, spooled before the revocation was applied, by the
# dispatcher (quarantined, the reason said); a new key for the name works.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

scratch_home
customers bob carol
dispatch
pub=$(carctl key list --json | jrow name bob | jget pubkey)
t_match "bob's public key" "$pub" '^[A-Za-z0-9+/]{43}=$'
carctl --as admin key rm bob >/dev/null
dispatch

t_refuse 1 'key add of the revoked public key under its name' carctl --as admin key add bob --pubkey "$pub"
t_match '... saying why' "$ERR" "^carctl: key 'bob': its public key was revoked \\(for 'bob'\\); a revoked key stays refused: register a new one$"
t_refuse 1 '... under another name' carctl --as admin key add bob2 --pubkey "$pub"
t_match '... saying why' "$ERR" "^carctl: key 'bob2': its public key was revoked \\(for 'bob'\\)"

# Spooled before the revocation is applied, the command cannot know: the dispatcher
# refuses it when it admits it.
carol_pub=$(carctl key list --json | jrow name carol | jget pubkey)
carctl --as admin key rm carol >/dev/null
carctl --as admin key add dave --pubkey "$carol_pub" >/dev/null
t_eq 'a registration of a key whose revocation waits in the spool is spooled' "$(spool_count new)" 2
run dispatcher --once
t_eq '... the batch runs' "$RC" 0
t_eq '... and quarantines it' "$(spool_count bad)" 2 # the event and its .reason
t_match '... saying why' "$(cat "$RENTAL_HOME"/spool/bad/*.reason)" \
	"key 'dave': its public key was revoked \\(for 'carol'\\)"
t_eq '... dave has no key' "$(carctl key list --json | jrow name dave)" ''

# A revocation made before the index was kept (its records removed, as in a home of an
# older release): key add goes by the index alone, as that release admitted it, so
# that a replica re-checking such a history admits what its primary did; --rebuild
# makes the index, and the key is refused from then on.
t_match 'the revoked keys are indexed by key' "$(state_ls revoked/keys/ | head -n 1)" \
	'^revoked/keys/[0-9a-f]{2}/[0-9a-f]{64}\.yaml$'
t_match '... and by name' "$(state_ls revoked/names/ | grep /bob/)" \
	'^revoked/names/[0-9a-f]{2}/bob/[0-9a-f]{64}\.yaml$'
for p in $(state_ls revoked/); do state_rm "$p"; done
t_ok 'without the index, key add of the old key is taken, as an older release took it' \
	carctl --as admin key add bob --pubkey "$pub"
dispatch
t_eq '... bob registered again' "$(carctl key list --json | jrow name bob | jget revoked)" false
t_ok '... a replica follows that history' carctl init --replica "$RENTAL_HOME/state" "$T_TMP/replica"
t_exit 1 '--rebuild makes the index again' dispatcher --rebuild
t_match '... saying so' "$ERR" 'revoked/keys/[0-9a-f]{2}/[0-9a-f]{64}\.yaml: missing; rebuilt'
t_eq '... and bob'"'"'s key, revoked before, shows revoked' "$(carctl key list --json | jrow name bob | jget revoked)" true
t_refuse 77 '... and is refused' reserve --as bob car01 --from 2028-08-06 --to 2028-08-08
t_refuse 1 '... and the key stays refused under another name' carctl --as admin key add bob3 --pubkey "$pub"
t_ok '... a replica follows the rebuilt history too' dispatcher --home "$T_TMP/replica" --once

# Revoking a key an admin holds too, under another name: refused while it is the last
# admin's (it locked every admin out), and key list shows every name that holds a
# revoked key revoked.
apk=$(carctl key list --json | jrow name admin | jget pubkey)
carctl --as admin key add helper --pubkey "$apk" >/dev/null && dispatch
t_refuse 1 'key rm of a name holding the last admin'"'"'s key' carctl --as admin key rm helper
t_match '... saying why' "$ERR" "key 'helper' is the last admin's \\(an admin holds it too\\)"
t_ok '... the admin acts' carctl --as admin list

# A name that held the same key as another before it was revoked: the key is revoked,
# and so is what it signs under that name.
customers erin
dispatch
erin_pub=$(carctl key list --json | jrow name erin | jget pubkey)
carctl --as admin key add erin2 --pubkey "$erin_pub" >/dev/null && dispatch
cp "$RENTAL_HOME/keys/erin.key" "$RENTAL_HOME/keys/erin2.key"
carctl --as admin add car01 --rate 1000 >/dev/null && dispatch
t_ok 'a name holding the same key as another acts' reserve --as erin2 car01 --from 2028-08-06 --to 2028-08-08
dispatch
reserve --as erin2 car01 --from 2028-09-06 --to 2028-09-08 >/dev/null
mkdir "$T_TMP/held" && mv "$RENTAL_HOME"/spool/new/* "$T_TMP/held/"
carctl --as admin key rm erin >/dev/null && dispatch
t_refuse 77 '... not once the key is revoked under the other' reserve --as erin2 car01 --from 2028-10-06 --to 2028-10-08
t_match '... saying why' "$ERR" "key revoked: 'erin2' \\(its key was revoked for 'erin'\\)"
rm -f "$RENTAL_HOME"/spool/bad/*
for f in "$T_TMP"/held/*; do spool_drop "$f"; done
dispatch
t_match 'what it signed before, admitted after: quarantined' "$(cat "$RENTAL_HOME"/spool/bad/*.reason 2>/dev/null)" \
	"key revoked: 'erin2' \\(its key was revoked for 'erin'\\)"

t_ok 'a new key for the revoked name' carctl --as admin key add bob
dispatch
t_eq '... registered, not revoked' "$(carctl key list --json | jrow name bob | jget revoked)" false
t_ok '... and it acts' carctl --as bob list
# An event signed with the name's old key, admitted after its new one: "key revoked",
# as CONTRACT says (it was said a bad signature).
customers frank
carctl --as admin add car02 --rate 1000 >/dev/null && dispatch
reserve --as frank car02 --from 2028-08-06 --to 2028-08-08 >/dev/null
mkdir "$T_TMP/old" && mv "$RENTAL_HOME"/spool/new/* "$T_TMP/old/"
carctl --as admin key rm frank >/dev/null && dispatch
carctl --as admin key add frank >/dev/null && dispatch
rm -f "$RENTAL_HOME"/spool/bad/*
for f in "$T_TMP"/old/*; do spool_drop "$f"; done
dispatch
t_match 'an event of the name'"'"'s old key, after its new one: quarantined as key revoked' \
	"$(cat "$RENTAL_HOME"/spool/bad/*.reason 2>/dev/null)" "key revoked: 'frank' \\(a key it had before\\)"
t_ok '--rebuild: the index as the log makes it' dispatcher --rebuild
done_testing
