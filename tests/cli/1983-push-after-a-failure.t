#!/bin/sh
# 1983-push-after-a-failure.t: a batch committed, then a failure after its commit
# (here the payment breaker's record cannot be read): main moved, and `dispatcher
# --once` (the cron line) exited 74 without pushing, so the remotes fell behind for as
# long as the fault lasted. It pushes what it committed.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

t_needs 'a push after a failure' git

shop
git init -q --bare "$T_TMP/m.git"
printf 'replicate: {remotes: [%s]}\n' "$T_TMP/m.git" >>"$H/config/rental.yaml"
dispatcher --push >/dev/null 2>&1
rm -f "$H/spool/breaker"
mkdir "$H/spool/breaker"
carctl --as admin add car03 --rate 100 >/dev/null
run dispatcher --once
t_eq 'a failure after the commit: exit 74' "$RC" 74
t_match '... the batch is committed' "$ERR" 'the batch is committed'
t_wait '... and the remote gets main all the same' 10 sh -c "[ \"\$(git --git-dir='$T_TMP/m.git' rev-parse -q --verify main)\" = \"\$(git --git-dir='$H/state/.git' rev-parse main)\" ]"
t_exit 1 '--check: unhealthy' dispatcher --check
t_match '... the last batch failed' "$ERR" 'the last batch failed'
rmdir "$H/spool/breaker"
dispatch
t_ok 'the fault gone, the next run (which does what comes after a commit again): healthy' dispatcher --check
done_testing
