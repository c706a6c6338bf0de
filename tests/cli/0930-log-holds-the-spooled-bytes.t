#!/bin/sh
# 0930-log-holds-the-spooled-bytes.t: an admitted event's log entry in main's tree
# holds exactly the bytes that were spooled and verified, and its id's entry is the
# same blob; the batch writes no file under state/ but its pack and the ref.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

shop
S=$H/state
# logpath ID: the path in main's tree of the log entry of the event ID.
logpath() { git -C "$S" grep -l -e "^id: $1\$" main -- log | sed 's/^main://'; }

r1=$(reserve --as alice car01 --from 2028-10-01 --to 2028-10-03)
bytes=$(cat "$H/spool/new/$(spool_files new)")
before=$(find "$S" -type f | sort)
t_ok 'the booking is applied' dispatch
t_eq 'the spool is empty' "$(spool_count new)" 0
t_eq 'the log entry holds the bytes that were spooled' "$(git -C "$S" show "main:$(logpath "$r1")")" "$bytes"
t_eq "... and its id's entry is the same blob" \
	"$(git -C "$S" rev-parse "main:$(git -C "$S" ls-tree -r --name-only main ids | grep "/$r1\$")")" \
	"$(git -C "$S" rev-parse "main:$(logpath "$r1")")"
after=$(find "$S" -type f | sort)
new=$(printf '%s\n' "$after" | grep -vxF -e "$before" | sed 's|.*/||; s/pack-[0-9a-f]*/pack-X/; s/pending-[0-9a-f]*-[0-9a-f]*/pending-X-C/' | sort | tr '\n' ' ')
t_eq 'the batch made one pack and its index, no other file (its pending mark goes once main names it)' "$new" 'pack-X.idx pack-X.pack '
t_eq 'state/ holds nothing but .git' "$(ls -A "$S")" .git
t_ok 'dispatcher --rebuild agrees' dispatcher --rebuild
run mypage --as alice --json
t_eq "alice's booking is on her page" "$(printf '%s\n' "$OUT" | jget reservation)" "$r1"
done_testing
