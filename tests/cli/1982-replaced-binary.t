#!/bin/sh
# 1982-replaced-binary.t: `make install` over a running daemon renames a new program
# over the old one. The daemon started its pushes by the path /proc/self/exe names, read
# at its first push: "…/dispatcher (deleted)", so no remote got main until a restart.
# It starts them from the program it runs.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

t_needs 'pushing to a remote' git

shop
mkdir "$T_TMP/prefix"
cp "$BIN/dispatcher" "$T_TMP/prefix/dispatcher"
"$T_TMP/prefix/dispatcher" >"$T_TMP/daemon.log" 2>&1 </dev/null &
pid=$!
T_PIDS="$T_PIDS $pid"
t_wait 'the daemon watches the spool' 10 grep -q watching "$T_TMP/daemon.log"
cp "$BIN/dispatcher" "$T_TMP/prefix/.new" && mv "$T_TMP/prefix/.new" "$T_TMP/prefix/dispatcher"
t_match '... its program is replaced under it' "$(readlink "/proc/$pid/exe")" 'deleted'

git init -q --bare "$T_TMP/m.git"
printf 'replicate: {remotes: [%s]}\n' "$T_TMP/m.git" >>"$H/config/rental.yaml"
carctl --as admin add car03 --rate 100 >/dev/null
t_wait 'the remote gets main' 20 sh -c "[ \"\$(git --git-dir='$T_TMP/m.git' rev-parse -q --verify main)\" = \"\$(git --git-dir='$H/state/.git' rev-parse main)\" ]"
t_nomatch '... and the log names no deleted program' "$(cat "$T_TMP/daemon.log")" 'deleted'
t_stop_daemon "$pid" 0
done_testing
