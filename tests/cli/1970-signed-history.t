#!/bin/sh
# 1970-signed-history.t: every commit of the state is signed by the dispatcher's key
# in git's SSH signature format: `dispatcher --allowed-signers` prints the line for
# git's allowed signers file, and stock git (with ssh-keygen) verifies every commit,
# the genesis, batches and a rebuild's alike; a commit made by anyone else does not
# verify.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

for tool in git ssh-keygen base64; do
	if ! command -v $tool >/dev/null 2>&1; then
		t_skip 'stock git verifies the signed history' "no $tool"
		done_testing
	fi
done

shop
book alice car01 2028-08-06 2028-08-08 >/dev/null

run dispatcher --allowed-signers
t_eq 'dispatcher --allowed-signers' "$RC" 0
t_match '... prints the principal, the git namespace and the ssh-ed25519 key' "$OUT" \
	'^dispatcher@rental namespaces="git" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5[A-Za-z0-9+/=]+$'
SIGNERS=$T_TMP/allowed_signers
printf '%s\n' "$OUT" >"$SIGNERS"
# The key is the dispatcher's: the one `carctl key list` shows for it, in SSH's form.
pk=$(carctl key list --json | jrow name dispatcher | jget pubkey)
blob=$({ printf '\000\000\000\013ssh-ed25519\000\000\000\040'; printf '%s' "$pk" | base64 -d; } | base64 | tr -d '\n')
t_eq '... the dispatcher'"'"'s registered key' "$(printf '%s\n' "$OUT" | awk '{ print $4 }')" "$blob"

vgit() {
	state_git -c gpg.format=ssh -c gpg.ssh.allowedSignersFile="$SIGNERS" "$@"
}
t_ok 'git verify-commit main' vgit verify-commit main
t_match '... a good signature by dispatcher@rental' "$ERR" 'Good "git" signature for dispatcher@rental with ED25519 key'
n=$(state_git rev-list --count main)
t_eq "every one of the $n commits verifies (%G? is G)" \
	"$(vgit log --format=%G? main | sort | uniq -c | tr -s ' ')" " $n G"
t_match 'a commit carries one gpgsig header, an SSH signature' \
	"$(state_git cat-file commit main | sed -n '/^gpgsig /,/END SSH SIGNATURE/p')" \
	'^gpgsig -----BEGIN SSH SIGNATURE-----$'

# A rebuild's repair is a commit of the dispatcher too (the damage here signed with its
# key, as a fault of its own would make it).
state_put reservation/cursor 'seq: 1
'
run dispatcher --rebuild
t_eq 'a rebuild that repairs (exit 1)' "$RC" 1
t_ok '... commits what verifies' vgit verify-commit main
t_match '... its own commit' "$(state_git log -1 --format=%s main)" '^dispatcher rebuild state$'
# A commit made by anyone else does not verify (a rebuild takes it out: 1971).
state_put_by_hand reservation/cursor 'seq: 1
'
t_fail 'a commit made outside the dispatcher does not verify' vgit verify-commit main
t_exit 1 '... a rebuild takes it out' dispatcher --rebuild
t_ok '... main verifies again' vgit verify-commit main

# Altered bytes do not verify: the same commit with another message.
bad=$(state_git cat-file commit main | sed 's/dispatcher rebuild state/dispatcher rebuild stats/' |
	state_git hash-object -t commit -w --stdin)
t_fail 'a signed commit whose message was altered does not verify' vgit verify-commit "$bad"
# Nor under another key.
ssh-keygen -q -t ed25519 -N '' -C other -f "$T_TMP/other" </dev/null
printf 'dispatcher@rental namespaces="git" %s\n' "$(cut -d' ' -f1,2 "$T_TMP/other.pub")" >"$T_TMP/other.signers"
t_fail 'nor does one checked against another key' \
	state_git -c gpg.format=ssh -c gpg.ssh.allowedSignersFile="$T_TMP/other.signers" verify-commit main

done_testing
