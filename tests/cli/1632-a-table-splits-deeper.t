#!/bin/sh
# 1632-a-table-splits-deeper.t: an owner's table whose leaf passes 16 KiB moves a digit
# deeper, all of it, with real events: alice's 300 bookings all end in the digits 00
# (ids are the writer's to choose), so her page's and car01's bookings' leaf 0/0 grows
# past it and splits into 0/0/x, named by a depth record; the home names layout 8.
# Every booking is read back by every command, a rebuild finds the state the log
# makes, a cancellation rewrites its row where it now lies, and the home is healthy.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"
. "$(dirname "$0")/../sealing.sh"

sealing_or_skip

shop
S=$H/spool
key=$(pem alice)
n=300
i=0
while [ "$i" -lt "$n" ]; do
	i=$((i + 1))
	# 13 random hex digits, then i's last hex digit, then 00: leaf 0/0, then 16 leaves
	id=res-$(od -An -N7 -tx1 /dev/urandom | tr -d ' \n' | cut -c1-13)$(printf %x $((i % 16)))00
	{ base "$id" reserve alice; printf 'car: car01\nfrom: %s\nto: %s\n' "$(day "$i")" "$(day $((i + 1)))"; } >"$T_TMP/ev.body"
	seal "$key" "$T_TMP/ev.body" "$T_TMP/ev"
	mv "$T_TMP/ev" "$S/new/$(spname "$id")"
	[ "$i" = 7 ] && seventh=$id
done
dispatch
t_match "alice's $n bookings are applied" "$DISPATCH_ERR" "applied $n, skipped 0, quarantined 0"

page=$(state_ls mypage/customers | grep /alice/)
t_eq "her page's table says it went a digit deeper" "$(state_cat "$(printf '%s\n' "$page" | grep '/depth$')")" 'depth: 3'
t_eq '... its rows are in the 16 leaves 0/0/x' \
	"$(printf '%s\n' "$page" | grep -v '/depth$' | sed 's|.*/alice/||' | sort | tr '\n' ' ')" \
	'0/0/0 0/0/1 0/0/2 0/0/3 0/0/4 0/0/5 0/0/6 0/0/7 0/0/8 0/0/9 0/0/a 0/0/b 0/0/c 0/0/d 0/0/e 0/0/f '
t_eq '... each holding the bookings whose third digit from the end is its own' \
	"$(for f in $(printf '%s\n' "$page" | grep -v '/depth$'); do
		d=${f##*/}
		state_cat "$f" | grep -vc "^reservation=res-[0-9a-f]*${d}00	"
	done | sort -u)" 0
t_eq "car01's bookings in management went deeper too" \
	"$(state_cat "$(state_ls management/bookings | grep '/car01/depth$')")" 'depth: 3'
t_eq "... and her bookings in the reservation context did not (33 bytes a row)" \
	"$(state_ls reservation/customers | grep /alice/ | sed 's|.*/alice/||')" '0/0'
t_eq 'the home names layout 8' "$(state_cat layout)" 'version: 8'

t_eq 'mypage lists all her bookings' "$(mypage --as alice --json | jq -s length)" "$n"
t_eq 'reserve list too' "$(reserve --as alice list --json | jq -s 'map(select(.status == "RESERVED")) | length')" "$n"
t_eq 'carctl show car01 too' "$(carctl show car01 --json | jq '.bookings | length')" "$n"

t_ok 'she cancels her seventh' reserve --as alice cancel "$seventh"
dispatch
t_eq '... which her page shows canceled' \
	"$(mypage --as alice --json | jq -r "select(.reservation == \"$seventh\") | .status")" RESERVATION_CANCELED
t_eq "... its row rewritten in its leaf, 0/0/7" \
	"$(state_cat "$(printf '%s\n' "$page" | grep '/0/0/7$')" | grep -c "^reservation=$seventh	.*status=RESERVATION_CANCELED")" 1
t_eq '... and the others unchanged' "$(mypage --as alice --json | jq -s 'map(select(.status == "RESERVED")) | length')" "$((n - 1))"

t_ok 'dispatcher --rebuild' dispatcher --rebuild
t_eq '... finds the state the log makes' "$ERR" 'dispatcher: rebuild: 0 differences, state matches the log'
t_ok 'healthy' dispatcher --check
t_ok 'git fsck is clean' git -C "$H/state" fsck --strict --no-dangling
done_testing
