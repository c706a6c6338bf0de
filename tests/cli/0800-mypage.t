#!/bin/sh
# 0800-mypage.t: mypage, --customer for admins, and that it reads only its
# read model (switched off, it shows what it last applied).
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

shop
d0=$(day 0) d2=$(day 2)
r1=$(book alice car01 "$d0" "$d2")
t_ok 'mypage --json' mypage --as alice --json
t_eq 'mypage --json: fields in order' "$OUT" \
	"{\"reservation\":\"$r1\",\"car\":\"car01\",\"from\":\"$d0\",\"to\":\"$d2\",\"nights\":2,\"amount\":100000,\"status\":\"RESERVED\",\"payment\":null,\"stars\":null,\"reason\":null,\"late_fee\":0}"
r2=$(book bob car02 2028-09-01 2028-09-04)
t_ok 'alice'"'"'s page after bob reserved' mypage --as alice --json
t_eq 'alice sees only her own reservation' "$(printf '%s\n' "$OUT" | grep -c .)" 1
t_nomatch '... not bob'"'"'s' "$OUT" "$r2"
t_ok 'mypage without --json' mypage --as alice
t_match '... shows the reservation' "$OUT" "$r1"
t_match '... its late fee 0, as --json has it (- is for null)' "$OUT" "^$r1 .* RESERVED( +-){3} +0\$"
t_ok 'carol has an empty page' mypage --as carol --json
t_eq '... nothing printed' "$OUT" ''

t_ok 'an admin looks at bob'"'"'s page' mypage --as admin --customer bob --json
t_eq 'bob'"'"'s reservation, 3 nights x 30000' "$OUT" \
	"{\"reservation\":\"$r2\",\"car\":\"car02\",\"from\":\"2028-09-01\",\"to\":\"2028-09-04\",\"nights\":3,\"amount\":90000,\"status\":\"RESERVED\",\"payment\":null,\"stars\":null,\"reason\":null,\"late_fee\":0}"
t_refuse 77 'a customer may not look at another'"'"'s page' mypage --as alice --customer bob --json
t_refuse 77 'an unknown identity has no page' mypage --as nobody --json
t_refuse 64 '--customer without its value' mypage --as admin --json --customer
t_refuse 1 'an admin names a customer nobody registered' mypage --as admin --customer ghost
t_match '... and is told so' "$ERR" '^mypage: ghost: no such customer$'
t_eq '... printing nothing' "$OUT" ''
t_refuse 1 'an admin names a key that is no customer' mypage --as admin --customer dispatcher --json
t_refuse 1 'an admin names themselves: no customer either' mypage --as admin --customer admin --json
t_match '... and is told so' "$ERR" '^mypage: admin: not a customer \(role admin\)$'
t_refuse 1 'an admin without --customer: no page of its own (it printed an empty one, 0)' mypage --as admin --json
t_match '... and is told whose to ask for' "$ERR" '^mypage: admin: not a customer \(role admin\): name one with --customer NAME$'
t_eq '... printing nothing' "$OUT" ''
t_refuse 77 'the dispatcher, which may name no customer, has no page: not permitted' mypage --as dispatcher --json
t_nomatch '... and is not told to name one' "$ERR" 'customer NAME'
t_refuse 77 'a customer naming a ghost is not told whether it exists' mypage --as alice --customer ghost
t_ok 'a customer names themselves' mypage --as carol --customer carol --json
t_refuse 65 'a malformed customer name' mypage --as admin --customer 'bad name!'

# The page follows the reservation through its life.
pid=$(paid alice "$r1")
line=$(mypage --as alice --json | jrow reservation "$r1")
t_eq 'after payment: RENTED' "$(printf '%s\n' "$line" | jget status)" RENTED
t_id 'after payment: the payment id' "$(printf '%s\n' "$line" | jget payment)" "$pid"
returned alice "$r1"
rate --as alice "$r1" --stars 5 >/dev/null
dispatch
line=$(mypage --as alice --json | jrow reservation "$r1")
t_eq 'after return: RETURNED' "$(printf '%s\n' "$line" | jget status)" RETURNED
t_match 'after rating: the stars' "$line" '"stars":5(\.0)?,'
reserve --as bob cancel "$r2" >/dev/null
dispatch
t_eq 'after cancel: RESERVATION_CANCELED' \
	"$(mypage --as bob --json | jrow reservation "$r2" | jget status)" RESERVATION_CANCELED

# Read model only: with mypage switched off, the page shows what it last
# applied, while the reservation itself is applied.
write_config mypage=false
t_ok 'alice reserves while mypage is off' reserve --as alice car02 --from 2028-10-01 --to 2028-10-03
r3=$OUT
dispatch
t_eq 'the dispatch goes on' "$DISPATCH_RC" 0
t_eq 'the reservation is applied' "$(status_of "$r3")" RESERVED
t_ok 'mypage still answers' mypage --as alice --json
t_nomatch '... without the new reservation' "$OUT" "$r3"
t_match '... with what it had' "$OUT" "$r1"
write_config
dispatch
t_match 'switched on again, mypage catches up' "$(mypage --as alice --json | jrow reservation "$r3")" '"status":"RESERVED"'
t_eq 'and has both of alice'"'"'s reservations' "$(mypage --as alice --json | grep -c .)" 2

done_testing
