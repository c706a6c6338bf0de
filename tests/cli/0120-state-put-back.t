#!/bin/sh
# 0120-state-put-back.t: a backup of state/ restored as the repository itself (git
# clone --mirror BACKUP state, where the home keeps it as state/.git) was taken for no
# home: `dispatcher --once` made a new state/.git, removed every other file of state/
# (the restored history) as an older release's checked-out files, and committed an
# empty state, exit 0; `carctl init`, which the readers advised, did the same. Now
# every command says where the repository belongs and nothing is written or removed;
# put there, the home goes on. The files the dispatcher removes from state/ are those
# an older release checked out (the top folders of a state), nothing else.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

t_needs 'a state restored in the wrong place' git
shop
res=$(book alice car01 "$(day 10)" "$(day 12)")
commits=$(state_git rev-list --count main)
git clone -q --mirror "$H/state/.git" "$T_TMP/backup.git"
reserve --as bob car02 --from "$(day 20)" --to "$(day 21)" >/dev/null # waits in the spool
rm -rf "$H/state"
git clone -q --mirror "$T_TMP/backup.git" "$H/state"
files=$(ls -A "$H/state" | tr '\n' ' ')

for c in 'carctl list' 'mypage --as alice'; do
	t_refuse 78 "$c: the repository in state/, not state/.git: refused" $c
	t_match '... saying where it belongs' "$ERR" "state: a git repository, not a folder holding one .*state/\\.git"
	t_nomatch '... not that there is no state/' "$ERR" 'no state/\)'
done
t_refuse 78 'dispatcher --once: refused' dispatcher --once
t_match '... saying so' "$ERR" 'a git repository, not a folder holding one'
t_eq '... state/ as it was' "$(ls -A "$H/state" | tr '\n' ' ')" "$files"
t_refuse 78 'carctl init: refused, writing nothing (it removed the history too)' carctl init
t_eq '... state/ as it was' "$(ls -A "$H/state" | tr '\n' ' ')" "$files"
t_eq '... the history whole' "$(git --git-dir="$H/state" rev-list --count main)" "$commits"
t_refuse 78 'dispatcher --rebuild: refused' dispatcher --rebuild
run dispatcher --check
t_eq 'dispatcher --check: unhealthy' "$RC" 1
t_match '... saying so' "$ERR" 'a git repository, not a folder holding one'
t_eq '... state/ as it was' "$(ls -A "$H/state" | tr '\n' ' ')" "$files"
t_refuse 78 '... the next batch: refused still' dispatcher --once

# Put where the message says: the home goes on, the waiting event too.
mv "$H/state" "$T_TMP/state.git" && mkdir "$H/state" && mv "$T_TMP/state.git" "$H/state/.git"
t_ok 'the repository moved to state/.git: dispatcher --once' dispatcher --once
t_eq '... the booking before is there' "$(status_of "$res")" RESERVED
t_eq '... and the one that waited applied' "$(reserve --as bob list --json | wc -l)" 1
t_ok '... --rebuild agrees' dispatcher --rebuild
t_ok '... healthy' dispatcher --check

# A file of the operator's in state/ beside .git is no checked-out record: kept.
printf 'notes\n' >"$H/state/NOTES"
mkdir "$H/state/rental" # a name an older release checked out: removed, as before
book alice car01 "$(day 30)" "$(day 31)" >/dev/null
t_file "a file of the operator's in state/ stays" "$H/state/NOTES"
t_nofile '... a folder of an older checkout goes' "$H/state/rental"
# state/.git removed (a restore that forgot it): the dispatcher made a new, empty
# repository and judged the waiting events against it (no key registered: every one
# quarantined). Only carctl init makes a repository.
reserve --as bob car02 --from "$(day 40)" --to "$(day 41)" >/dev/null
rm -rf "$H/state/.git" "$H/state/NOTES"
t_refuse 78 'state/.git removed: dispatcher --once refused' dispatcher --once
t_match '... saying what is missing' "$ERR" 'not a home \(no state/\.git\)'
t_nofile '... no repository made' "$H/state/.git"
t_eq '... the event still waits' "$(spool_count new)" 1
t_eq '... none quarantined' "$(ls "$H/spool/bad" | wc -l)" 0
# --check (cron's, every few minutes) made an empty state/.git as it looked whether a
# file can be written there, and the next batch took that for a home.
run dispatcher --check
t_eq '... --check: unhealthy' "$RC" 1
t_match '... saying the home has no repository' "$ERR" 'no state/\.git'
t_nomatch '... not to run carctl init (a new home would judge the waiting event against its empty state)' "$ERR" "carctl init"
t_nofile '... and makes none' "$H/state/.git"
t_refuse 78 '... the next batch: refused still' dispatcher --once
t_eq '... the event still waits' "$(spool_count new)" 1
t_refuse 78 'a reader says so too' carctl list
t_match '... that state/.git is missing, and where it comes from' "$ERR" 'no state/\.git.*Backups'
t_nomatch '... not to run carctl init' "$ERR" 'carctl init'
t_refuse 78 '... carctl init refused: a dispatcher served its spool' carctl init
t_match '... saying so, and how to make a new home on purpose' "$ERR" 'served by a dispatcher.*remove .*served-by'
# dispatcher --push made state/.git/rental-replicate (and so a .git without HEAD, which
# carctl init "finished" as a new home).
git init -q --bare "$T_TMP/m.git"
printf 'replicate: {remotes: ["%s"]}\n' "$T_TMP/m.git" >>"$H/config/rental.yaml"
t_refuse 78 '... dispatcher --push: refused' dispatcher --push
t_nofile '... and makes no state/.git' "$H/state/.git"
sed -i '/^replicate:/d' "$H/config/rental.yaml"

# A new home whose state/ is a file system of its own (lost+found in it): made, as
# before; only a repository in state/ is taken for one put back in the wrong place.
mkdir -p "$T_TMP/fs/state/lost+found"
t_ok 'carctl init of a home whose state/ holds lost+found' carctl init "$T_TMP/fs"
t_file '... its repository made' "$T_TMP/fs/state/.git/HEAD"
t_file '... lost+found kept' "$T_TMP/fs/state/lost+found"
t_ok '... healthy' dispatcher --home "$T_TMP/fs" --check

# An older release's checked-out files without their .git: no new repository is made
# beside them (its first batch swept them: the only copy of that state).
mkdir -p "$T_TMP/old/state/log" && echo x >"$T_TMP/old/state/log/head"
t_exit 78 'carctl init of a home whose state/ holds an older checkout and no .git' carctl init "$T_TMP/old"
t_match '... saying so' "$ERR" 'holds the files of a state \(log\) but no \.git'
t_file '... the files kept' "$T_TMP/old/state/log/head"
t_nofile '... no repository made' "$T_TMP/old/state/.git"
run dispatcher --home "$T_TMP/old" --check
t_nofile '... --check makes none either' "$T_TMP/old/state/.git"
t_exit 78 '... and a batch after it is refused' dispatcher --home "$T_TMP/old" --once
t_file '... the files kept' "$T_TMP/old/state/log/head"

# A repository put back as state/ beside an empty state/.git without HEAD (which an
# older release's --push or --check left): "state/.git has no HEAD: carctl init
# finishes it", and init made a new home over the history put back.
rm -rf "$T_TMP/b2" && mkdir -p "$T_TMP/b2"
cp -a "$H/config" "$H/keys" "$T_TMP/b2/" && mkdir -p "$T_TMP/b2/spool/new" "$T_TMP/b2/spool/tmp" "$T_TMP/b2/spool/bad"
git clone -q --mirror "$T_TMP/backup.git" "$T_TMP/b2/state"
mkdir -p "$T_TMP/b2/state/.git/rental-replicate"
t_exit 78 'a repository as state/ beside a .git without HEAD: refused' dispatcher --home "$T_TMP/b2" --once
t_match '... as a repository put back in the wrong place' "$ERR" 'a git repository, not a folder holding one.*remove the \.git there'
t_exit 78 '... carctl init refused too' carctl init "$T_TMP/b2"
t_file '... the history kept' "$T_TMP/b2/state/packed-refs"

done_testing
