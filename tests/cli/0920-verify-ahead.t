#!/bin/sh
# 0920-verify-ahead.t: the signatures of a batch are verified on both cores
# ahead of admission, against the keys as the batch found them; admission
# stays in log order. A key registered earlier in the same batch signs the
# events after it; a forged signature is refused wherever it falls in the
# batch, in the half each thread reads; nothing good is held back by it.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"
. "$(dirname "$0")/../sealing.sh"

sealing_or_skip

shop
S=$H/spool
for k in frank mallory; do
	openssl genpkey -algorithm ed25519 -out "$T_TMP/$k.pem" 2>/dev/null
done
head0=$(git -C "$H/state" rev-parse HEAD)

# In one batch: frank's key, then frank's reservations signed by it (no key for
# frank when the batch began), and forgeries by mallory spread through it.
t_ok 'frank'"'"'s key is spooled (not yet applied)' carctl --as admin key add frank --pubkey "$(pub "$T_TMP/frank.pem")"
good=
i=0
for day in 01 03 05 07 09 11 13 15; do
	i=$((i + 1))
	mkev "$T_TMP/f$i" "$T_TMP/frank.pem" reserve frank res <<END
car: car01
from: 2028-09-$day
to: 2028-09-$(printf %02d $((${day#0} + 1)))
END
	mv "$T_TMP/f$i" "$S/new/$(spname "$EID")"
	good="$good $EID"
	case $i in
	2 | 7) # mallory signs as frank, then as alice (a key known when the batch began)
		actor=frank; [ "$i" = 7 ] && actor=alice
		mkev "$T_TMP/m$i" "$T_TMP/mallory.pem" reserve "$actor" res <<END
car: car02
from: 2028-10-$day
to: 2028-10-28
END
		mv "$T_TMP/m$i" "$S/new/$(spname "$EID")"
		eval "forged$i=\$EID" ;;
	esac
done
t_eq 'eleven files wait in the spool' "$(spool_count new)" 11
dispatch
t_eq 'one batch, one commit' "$(git -C "$H/state" rev-list --count "$head0..HEAD")" 1
t_match 'nine applied, two quarantined' "$DISPATCH_ERR" 'applied 9, skipped 0, quarantined 2'
for id in $good; do
	t_eq "frank's $id is RESERVED" "$(status_of "$id")" RESERVED
done
for id in "$forged2" "$forged7"; do
	t_eq "the forgery $id is in spool/bad" "$(ls "$S/bad" | grep -c "\.$id\$")" 1
	t_match "its reason is the signature" "$(cat "$S/bad/"*".$id.reason")" 'bad signature'
	t_eq "the forgery $id is not in the log" "$(state_grep log/ -l -F -e "$id" | wc -l | tr -d ' ')" 0
done
t_eq 'the spool is empty' "$(spool_count new)" 0
done_testing
