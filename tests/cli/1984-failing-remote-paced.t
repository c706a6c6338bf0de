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
# A push that gets no answer is ended (SIGALRM); the main it tried is the one it read
# before trying, not main when its end is noted: a batch committed meanwhile is a newer
# main, to be tried at once (it was taken for the one that failed, and waited).
sed -i '/^replicate:/d' "$H/config/rental.yaml"
git init -q --bare "$T_TMP/dead.git"
rm "$T_TMP/dead.git/config"
mkfifo "$T_TMP/dead.git/config"
printf 'replicate: {remotes: ["%s"], max_lag_seconds: 4}\n' "$T_TMP/dead.git" >>"$H/config/rental.yaml"
before=$(state_git rev-parse main)
"$BIN/dispatcher" --push --quiet 2>/dev/null &
pusher=$!
T_PIDS="$T_PIDS $pusher"
# Its lock taken (a file of its own), it reads main and tries it for 4 s: main moves in
# the second after (waiting for its record would wait, without the fix, for its end).
t_wait 'a push to a remote that never answers begins' 15 sh -c \
	"[ \$(ls '$H'/state/.git/rental-replicate/ | grep -c 'lock\$') -ge 2 ]"
sleep 1
state_put notes/meanwhile 'a commit while the push hangs'
t_wait 'the push without an answer ends' 15 sh -c "! kill -0 $pusher 2>/dev/null"
record=$(grep -lF "url: \"$T_TMP/dead.git\"" "$H"/state/.git/rental-replicate/* | xargs grep -h '^tried:')
t_eq '... its record names the main it tried' "$record" "tried: $before"
done_testing
