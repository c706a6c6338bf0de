#!/bin/sh
# 1984-failing-remote-paced.t: a remote that failed to take main is tried with it again
# once half of max_lag_seconds (at most a minute) has passed since, not at once: each
# push that ended woke the daemon (SIGCHLD), which started the next, back to back (an
# ssh to a host that refuses, hundreds of times a minute). A newer main (a batch) is
# tried at once, and so is --push asked for by hand.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

shop
mkdir "$T_TMP/fake"
cat >"$T_TMP/fake/ssh" <<EOF2
#!/bin/sh
echo try >>"$T_TMP/ssh.log"
echo 'ssh: connect to host h port 22: Connection refused' >&2
exit 255
EOF2
chmod +x "$T_TMP/fake/ssh"
printf 'replicate: {remotes: ["ssh://me@h/m.git"], max_lag_seconds: 4}\n' >>"$H/config/rental.yaml"
: >"$T_TMP/ssh.log"
PATH=$T_TMP/fake:$PATH "$BIN/dispatcher" 2>"$T_TMP/daemon.err" </dev/null &
pid=$!
T_PIDS="$T_PIDS $pid"
sleep 7
carctl --as admin add car09 --rate 5 >/dev/null
sleep 1
t_stop_daemon "$pid" 0
tries=$(wc -l <"$T_TMP/ssh.log")
t_eq "a remote refusing, the daemon up 8 s with max_lag_seconds 4: tried every 2 s ($tries tries)" \
	"$([ "$tries" -ge 2 ] && [ "$tries" -le 6 ] && echo yes)" yes
: >"$T_TMP/ssh.log"
run env PATH="$T_TMP/fake:$PATH" "$BIN/dispatcher" --push
t_eq '--push asked for: tried at once' "$RC:$(wc -l <"$T_TMP/ssh.log")" 1:1
# A pusher started while the remote waits its time ends at once (it looked again and
# again, at full speed, until the time had passed).
printf 'replicate: {remotes: ["ssh://me@h/m.git"], max_lag_seconds: 20}\n' >>"$H/config/rental.yaml"
sed -i '0,/^replicate:/{/^replicate:/d}' "$H/config/rental.yaml"
env PATH="$T_TMP/fake:$PATH" "$BIN/dispatcher" --push --quiet 2>/dev/null
start=$(date +%s%N)
env PATH="$T_TMP/fake:$PATH" "$BIN/dispatcher" --push --quiet 2>/dev/null
ms=$((($(date +%s%N) - start) / 1000000))
t_eq "a pusher while the failed remote waits its 10 s: ends at once ($ms ms)" "$([ "$ms" -lt 2000 ] && echo yes)" yes
done_testing
