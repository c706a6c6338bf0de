#!/bin/sh
# 0110-init-killed.t: a `carctl init` killed part way (after its first key, after its
# first genesis event, before its dispatcher ran, or its dispatcher killed) leaves a home that a second
# `carctl init` finishes: the keys on disk are the keys registered, nothing is
# quarantined, and the admin can act. Inits of one home run at once take turns.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

for step in init-key writer init-event init-spooled objects; do
	H=$T_TMP/$step
	if [ $step = objects ]; then # its dispatcher is killed before its commit
		t_fail "$step: init fails when its dispatcher is killed" env RENTAL_CRASH_AT=$step "$BIN/carctl" init "$H"
		t_match "$step: and says so" "$ERR" 'applying the genesis failed'
	else
		t_exit 137 "$step: init is killed there" env RENTAL_CRASH_AT=$step "$BIN/carctl" init "$H"
	fi
	t_ok "$step: init runs again and finishes the home" carctl init "$H"
	t_nomatch "$step: and does not call it an existing home" "$ERR" 'already a home'
	t_ok "$step: key list works" carctl --home "$H" --as admin key list --csv
	t_eq "$step: admin and dispatcher are registered, once each" \
		"$(printf '%s\n' "$OUT" | cut -d, -f1,2 | sort | tr '\n' ' ')" \
		'admin,admin dispatcher,system name,role '
	t_eq "$step: nothing is quarantined" "$(ls "$H/spool/bad" | wc -l | tr -d ' ')" 0
	t_eq "$step: nothing waits" "$(ls "$H/spool/new" | wc -l | tr -d ' ')" 0
	t_ok "$step: the admin's key on disk is the one registered" \
		carctl --home "$H" --as admin add car01 --rate 50000
	t_ok "$step: the dispatcher applies it" dispatcher --home "$H" --once
	t_match "$step: the car is there" "$(carctl --home "$H" list --csv)" '^car01,'
	t_ok "$step: the home is healthy" dispatcher --home "$H" --check
done

# A key file left empty (killed between its open and its write, or cut by a power
# loss before its bytes were on disk): nothing was signed with it, and init makes it
# again.
H=$T_TMP/empty
t_exit 137 'killed after its first key' env RENTAL_CRASH_AT=init-key "$BIN/carctl" init "$H"
: >"$H/keys/admin.key"
t_ok 'init again with the admin key empty: it makes it anew' carctl init "$H"
t_ok '... and the admin can act' carctl --home "$H" --as admin add car01 --rate 5

# The key on disk is not the one the spooled genesis registers (removed by hand in
# between): init says which file, and registers nothing.
H=$T_TMP/other
t_exit 137 'killed after its first genesis event' env RENTAL_CRASH_AT=init-event "$BIN/carctl" init "$H"
rm "$H/keys/admin.key"
t_exit 65 'init again with another admin key: refused' carctl init "$H"
t_match '... naming the spooled event' "$ERR" "spool/new/.*: registers another admin key than $H/keys/admin.key"
t_nofile '... and no state is made' "$H/state/.git/refs/heads/main"

# Four inits of one new home at once, ten times: one makes it, the others find it
# (each made an admin key, and one's genesis was quarantined or refused, before they
# took turns).
for i in 1 2 3 4 5 6 7 8 9 10; do
	H=$T_TMP/race$i
	for j in 1 2 3 4; do "$BIN/carctl" init "$H" >/dev/null 2>"$T_TMP/race$i.$j" </dev/null & done
	wait
	t_eq "at once $i: every init ends well" "$(cat "$T_TMP/race$i".* | grep -cv 'home created\|already a home')" 0
	t_eq "at once $i: one made the home" "$(cat "$T_TMP/race$i".* | grep -c 'home created')" 1
	t_ok "at once $i: the admin's key on disk is the one registered" \
		carctl --home "$H" --as admin add car01 --rate 50000
	dispatcher --home "$H" --once >/dev/null 2>&1
	t_eq "at once $i: the admin acts, nothing quarantined" \
		"$(carctl --home "$H" list --csv | cut -d, -f1 | tail -n 1):$(ls "$H/spool/bad" | wc -l | tr -d ' ')" car01:0
done

# An init killed inside the making of its repository (its folders made, not yet its
# HEAD): the next init, or a batch, finishes it; it was kept as it was, and stock git
# took it for no repository (git clone --mirror, the backup rental(7) gives, failed).
H=$T_TMP/half
mkdir -p "$H/state/.git/objects/pack" "$H/state/.git/refs/heads"
t_ok 'a repository half made: carctl init' carctl init "$H"
t_file '... its HEAD written' "$H/state/.git/HEAD"
t_ok '... stock git takes it (git clone --mirror)' git clone -q --mirror "$H/state/.git" "$T_TMP/half-backup.git"
rm -f "$H/state/.git/HEAD"
carctl --home "$H" --as admin add car01 --rate 100 >/dev/null 2>&1
t_exit 78 'its HEAD removed: a batch refused (an empty folder .git, as one made by hand, is no home)' \
	dispatcher --home "$H" --once
t_match '... saying init finishes it' "$ERR" 'carctl init'
t_ok '... carctl init finishes it' carctl init "$H"
t_file '... its HEAD written' "$H/state/.git/HEAD"
t_ok '... a batch then' dispatcher --home "$H" --once

done_testing
