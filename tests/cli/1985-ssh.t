#!/bin/sh
# 1985-ssh.t: replication over ssh:// through a real sshd on 127.0.0.1 that the test
# starts and stops: the dispatcher pushes main signing in with ~/.ssh/id_ed25519 and
# checking the host in ~/.ssh/known_hosts; a host whose key is not the known one is
# refused; a replica follows over ssh:// and answers as the primary. Skipped with the
# reason where there is no sshd (Debian's openssh-server) or no root.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

SSHD=/usr/sbin/sshd
why=
[ "$(id -u)" = 0 ] || why='sshd needs root here'
[ -n "$why" ] || [ -x "$SSHD" ] || why='no sshd (Debian package openssh-server)'
for t in ssh ssh-keygen git; do
	[ -n "$why" ] || command -v "$t" >/dev/null 2>&1 || why="no $t"
done
if [ -n "$why" ]; then
	t_skip 'replication over ssh://' "$why"
	done_testing
fi

D=$T_TMP/sshd
U=$T_TMP/user
mkdir -p "$D" "$U/.ssh" /run/sshd
ssh-keygen -q -t ed25519 -N '' -f "$D/host"
ssh-keygen -q -t ed25519 -N '' -f "$D/other"
ssh-keygen -q -t ed25519 -N '' -f "$U/.ssh/id_ed25519"
cp "$U/.ssh/id_ed25519.pub" "$D/authorized_keys"
port=$((20000 + $$ % 20000))
printf '%s\n' "Port $port" "ListenAddress 127.0.0.1" "HostKey $D/host" \
	"AuthorizedKeysFile $D/authorized_keys" "PasswordAuthentication no" \
	"KbdInteractiveAuthentication no" "PermitRootLogin prohibit-password" "StrictModes no" \
	"UsePAM no" "PidFile $D/pid" >"$D/config"
"$SSHD" -D -e -f "$D/config" 2>"$D/log" &
T_PIDS="$T_PIDS $!"
printf '[127.0.0.1]:%s %s\n' "$port" "$(cut -d' ' -f1,2 "$D/host.pub")" >"$U/.ssh/known_hosts"
HOME=$U
export HOME
t_wait 'sshd answers' 10 ssh -o BatchMode=yes -o UserKnownHostsFile="$U/.ssh/known_hosts" \
	-i "$U/.ssh/id_ed25519" -p "$port" root@127.0.0.1 true

shop
git init -q --bare "$T_TMP/m.git"
url="ssh://root@127.0.0.1:$port$T_TMP/m.git"
printf 'replicate: {remotes: ["%s"], max_lag_seconds: 30}\n' "$url" >>"$H/config/rental.yaml"
t_ok 'a batch with an ssh:// remote' carctl --as admin add car03 --rate 100
dispatch
t_wait 'the ssh:// remote gets main' 20 sh -c "[ \"\$(git --git-dir='$T_TMP/m.git' rev-parse -q --verify main)\" = '$(state_git rev-parse main)' ]"
run dispatcher --push
t_eq 'dispatcher --push: exit 0' "$RC" 0
t_match '... the ssh:// remote has main' "$ERR" "has main"
dispatcher --allowed-signers >"$T_TMP/signers"
t_ok 'stock git verifies what it received' git --git-dir="$T_TMP/m.git" -c gpg.format=ssh \
	-c gpg.ssh.allowedSignersFile="$T_TMP/signers" verify-commit main

# A replica following over ssh://.
key=$(cut -d' ' -f2- "$T_TMP/signers")
t_ok 'carctl init --replica over ssh://' carctl init --replica "$url" "$T_TMP/replica" --trust "$key"
t_eq '... the replica answers as the primary' "$(carctl --home "$T_TMP/replica" list --json)" "$(carctl list --json)"

# A replica with an RSA key alone: libssh2 signs in by ssh-rsa (SHA-1), which this
# OpenSSH refuses (8.8 and later); the fetch fails saying so, not only that it needs
# a callback.
R=$T_TMP/rsauser
mkdir -p "$R/.ssh"
ssh-keygen -q -t rsa -b 2048 -N '' -f "$R/.ssh/id_rsa"
cat "$R/.ssh/id_rsa.pub" >>"$D/authorized_keys"
cp "$U/.ssh/known_hosts" "$R/.ssh/known_hosts"
run env HOME="$R" "$BIN/carctl" init --replica "$url" "$T_TMP/rsareplica" --trust "$key"
if [ "$RC" = 75 ]; then
	t_match 'a replica with id_rsa alone: the fetch says why it cannot sign in' "$ERR" \
		'id_rsa: a fetch signs in with ssh-rsa, SHA-1, which OpenSSH 8.8 and later refuse'
else
	t_skip 'a replica with id_rsa alone' "this sshd takes ssh-rsa (exit $RC)"
fi

# A repository not there: what git on the far host said, named.
cp "$H/config/rental.yaml" "$T_TMP/config.yaml"
sed -i "s|^replicate: .*|replicate: {remotes: [\"ssh://root@127.0.0.1:$port$T_TMP/none.git\"], max_lag_seconds: 30}|" \
	"$H/config/rental.yaml"
run dispatcher --push
t_eq 'a repository not there over ssh://: --push exit 1' "$RC" 1
t_match '... saying what git there said' "$ERR" "none.git: push: ssh \\(exit 128\\): fatal: .*none.git' does not appear to be a git repository"
cp "$T_TMP/config.yaml" "$H/config/rental.yaml"

# A host that is not the one known: refused.
printf '[127.0.0.1]:%s %s\n' "$port" "$(cut -d' ' -f1,2 "$D/other.pub")" >"$U/.ssh/known_hosts"
carctl --as admin add car04 --rate 100 >/dev/null 2>&1
dispatch
run dispatcher --push
t_eq 'a host key not the known one: --push exit 1' "$RC" 1
t_match '... saying so, as ssh says it' "$ERR" "push: ssh \\(exit 255\\): Host key verification failed"
t_nomatch '... the remote did not get the batch' "$(git --git-dir="$T_TMP/m.git" rev-parse main)" "^$(state_git rev-parse main)\$"
kill "$(cat "$D/pid")" 2>/dev/null
done_testing
