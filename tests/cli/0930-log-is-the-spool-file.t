#!/bin/sh
# 0930-log-is-the-spool-file.t: an admitted event's log entry is its spool file
# given a second name (no new file, and the spool's removal frees nothing), where
# the file is the dispatcher's own, has one name and holds exactly the bytes that
# were verified; otherwise the log entry is written as a new file, as before.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

shop
S=$H/state
# logfile ID: the work tree's log entry of the event ID.
logfile() { grep -l "^id: $1\$" "$S"/log/*/*/*/*.yaml; }

r1=$(reserve --as alice car01 --from 2031-10-01 --to 2031-10-03)
f1=$H/spool/new/$(spool_files new)
ino=$(stat -c %i "$f1")
bytes=$(cat "$f1")
t_ok 'the booking is applied' dispatch
t_eq 'the spool is empty' "$(spool_count new)" 0
t_eq 'the log entry is the spool file, by another name' "$(stat -c %i "$(logfile "$r1")")" "$ino"
t_eq '... with two names now' "$(stat -c %h "$(logfile "$r1")")" 2
t_eq "... the other its id's entry" "$(stat -c %i "$S"/ids/*/*/"$r1")" "$ino"
t_eq '... and the bytes that were spooled' "$(cat "$(logfile "$r1")")" "$bytes"

# A spool file with a second name elsewhere is not taken: the log gets its own file.
r2=$(reserve --as bob car02 --from 2031-10-01 --to 2031-10-03)
f2=$H/spool/new/$(spool_files new)
ln "$f2" "$T_TMP/kept"
t_ok "bob's booking is applied" dispatch
t_nomatch 'a spool file with two names is copied, not linked' "$(stat -c %i "$(logfile "$r2")")" "^$(stat -c %i "$T_TMP/kept")\$"
t_eq '... with the same bytes' "$(cat "$(logfile "$r2")")" "$(cat "$T_TMP/kept")"
t_eq '... and the other name left alone' "$(stat -c %h "$T_TMP/kept")" 1

t_eq 'the work tree is the last commit' "$(worktree_diff "$S")" ''
t_ok 'dispatcher --rebuild agrees' dispatcher --rebuild
run mypage --as alice --json
t_eq "alice's booking is on her page" "$(printf '%s\n' "$OUT" | jget reservation)" "$r1"
done_testing
