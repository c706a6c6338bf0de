#!/bin/sh
# 0100-init.t: carctl init, and how every command finds its home
# (--home, then $RENTAL_HOME, then the built-in default).
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

have_git=
command -v git >/dev/null 2>&1 && have_git=1

# A new home.
A=$T_TMP/a
t_ok 'carctl init DIR creates a home' carctl init "$A"
for f in config/rental.yaml spool/tmp spool/new spool/bad state keys/admin.key keys/dispatcher.key; do
	t_file "init creates $f" "$A/$f"
done
t_eq 'keys/admin.key is mode 0600' "$(file_mode "$A/keys/admin.key")" '-rw-------'
t_eq 'keys/dispatcher.key is mode 0600' "$(file_mode "$A/keys/dispatcher.key")" '-rw-------'
RENTAL_HOME=$A
export RENTAL_HOME
t_eq 'spool/new starts empty' "$(spool_count new)" 0
t_eq 'spool/bad starts empty' "$(spool_count bad)" 0
if [ -n "$have_git" ]; then
	t_ok 'state/ is a git repository with a first commit' git -C "$A/state" rev-parse --verify HEAD
	t_nomatch 'no key file is committed to state/' "$(git -C "$A/state" ls-tree -r --name-only HEAD)" '\.key$'
	t_eq 'state/ holds nothing but .git' "$(state_checkout "$A/state")" ''
else
	t_skip 'state/ is a git repository' 'no git'
	t_skip 'no key file is committed to state/' 'no git'
	t_skip 'state/ holds nothing but .git' 'no git'
fi

# The genesis: admin and dispatcher are registered.
t_ok 'key list works in the new home' carctl --as admin key list --json
t_match 'admin is registered with role admin' "$OUT" \
	'^\{"name":"admin","role":"admin","pubkey":"[A-Za-z0-9+/]{43}=","revoked":false\}$'
t_match 'dispatcher is registered with role system' "$OUT" \
	'^\{"name":"dispatcher","role":"system","pubkey":"[A-Za-z0-9+/]{43}=","revoked":false\}$'
t_eq 'only those two keys' "$(printf '%s\n' "$OUT" | grep -c .)" 2
t_ok 'the dispatcher finds the new home healthy' dispatcher --check
t_ok 'the admin can act at once' carctl --as admin add car01 --rate 50000 --model Avante
t_eq 'add prints the car' "$OUT" car01
dispatch
t_match 'and the car is applied' "$(carctl --as admin list --json)" '"car":"car01"'

# init on an existing home changes nothing.
sum_before=$(cat "$A/keys/admin.key" "$A/config/rental.yaml" | cksum)
[ -n "$have_git" ] && head_before=$(git -C "$A/state" rev-parse HEAD)
t_ok 'init on an existing home exits 0' carctl init "$A"
t_match 'and says so on stderr' "$ERR" '^carctl: .*: already a home, nothing changed$'
t_eq 'the admin key and the settings are unchanged' \
	"$(cat "$A/keys/admin.key" "$A/config/rental.yaml" | cksum)" "$sum_before"
if [ -n "$have_git" ]; then
	t_eq 'state/ is unchanged' "$(git -C "$A/state" rev-parse HEAD)" "$head_before"
else
	t_skip 'state/ is unchanged' 'no git'
fi
t_match 'the car is still there' "$(carctl --as admin list --json)" '"car":"car01"'

# init without DIR: the current home.
RENTAL_HOME=$T_TMP/b
t_ok 'init without DIR creates $RENTAL_HOME' carctl init
t_file '... with its admin key' "$T_TMP/b/keys/admin.key"
t_ok 'init without DIR uses --home' carctl --home "$T_TMP/c" init
t_file '... with its admin key' "$T_TMP/c/keys/admin.key"

# --home wins over $RENTAL_HOME; both lead to the right spool.
RENTAL_HOME=$A
B=$T_TMP/b
n_a=$(spool_count new)
t_ok 'write to $RENTAL_HOME' carctl --as admin add carA --rate 1000
t_ok 'write to --home B although $RENTAL_HOME is set' carctl --home "$B" --as admin add carB --rate 2000
t_ok '--home also after the subcommand' carctl --as admin add carC --rate 3000 --home "$B"
t_eq 'one event in the spool of $RENTAL_HOME' "$(spool_count new)" $((n_a + 1))
t_eq 'two events in the spool of B' "$(ls -A "$B/spool/new" | wc -l | tr -d ' ')" 2
t_ok 'dispatch $RENTAL_HOME' dispatcher --once
t_ok 'dispatch B with --home' dispatcher --home "$B" --once
list_a=$(carctl --as admin list --json)
list_b=$(carctl --home "$B" --as admin list --json)
t_match 'home A has carA' "$list_a" '"car":"carA"'
t_nomatch 'home A has not carB' "$list_a" '"car":"car[BC]"'
t_match 'home B has carB' "$list_b" '"car":"carB"'
t_match 'home B has carC' "$list_b" '"car":"carC"'
t_nomatch 'home B has not carA' "$list_b" '"car":"car(A|01)"'
t_ok 'RENTAL_HOME alone selects the home' env RENTAL_HOME="$B" "$BIN/carctl" --as admin list --json
t_match '... and lists its cars' "$OUT" '"car":"carB"'

# A home that does not exist is an error, and is not created.
t_fail 'a missing home is an error' carctl --home "$T_TMP/nope" --as admin list
t_match '... with a message' "$ERR" '.'
t_nofile '... and it is not created' "$T_TMP/nope"

# A home whose state this user may not read is said so, not taken for no home.
if command -v setpriv >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
	P=$T_TMP/perm
	mkdir -p "$P" && chmod 755 "$T_TMP" "$P"
	carctl init "$P/h" >/dev/null 2>&1
	chmod 755 "$P/h" && chmod 700 "$P/h/state"
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$BIN/carctl" --home "$P/h" list
	t_eq 'a home whose state/ may not be read: exit 74' "$RC" 74
	t_match '... saying so' "$ERR" "$P/h/state: Permission denied"
	t_nomatch '... not that it is no home' "$ERR" 'not a home'
else
	t_skip 'a home whose state/ may not be read' 'needs root and setpriv'
fi

done_testing
