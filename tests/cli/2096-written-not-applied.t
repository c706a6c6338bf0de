#!/bin/sh
# 2096-written-not-applied.t: a car or a key registered but not yet applied (its event
# waits in the spool for the dispatcher) is "not yet applied", 75, as a reservation
# written but not applied is (CONTRACT, exit status): a script that adds a car and
# books it, or registers a customer who then books, before the dispatcher ran is told
# to try again later, not refused for good. What nothing in the spool names stays
# refused (1, 77).
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

shop

t_ok 'admin adds car09' carctl --as admin add car09 --rate 40000 --model Ray
t_refuse 75 'alice books car09 before the dispatcher ran' reserve --as alice car09 --from 2028-03-01 --to 2028-03-03
t_match '... not yet applied' "$ERR" 'car09: not yet applied'
t_refuse 75 'a quote for car09' reserve --as alice --quote car09 --from 2028-03-01 --to 2028-03-03
t_refuse 75 'carctl set car09' carctl --as admin set car09 --rate 45000
t_refuse 75 'carctl block car09' carctl --as admin block car09 --from 2028-04-01 --to 2028-04-03
t_refuse 75 'carctl rm car09' carctl --as admin rm car09
t_refuse 75 'carctl show car09' carctl show car09
t_refuse 75 'carctl cal car09' carctl cal car09
t_refuse 75 'carctl ical car09' carctl ical car09
t_refuse 1 'a car nothing in the spool names stays unknown' reserve --as alice car99 --from 2028-03-01 --to 2028-03-03
t_match '... unknown car' "$ERR" 'car99: unknown car'
t_refuse 1 '... and carctl set of it' carctl --as admin set car99 --rate 1
t_refuse 1 '... and carctl show of it' carctl show car99
t_eq 'only the car.add waits in the spool' "$(spool_count new)" 1
dispatch
t_ok 'after the dispatcher ran, alice books car09' reserve --as alice car09 --from 2028-03-01 --to 2028-03-03
dispatch

t_ok 'admin registers dave' carctl --as admin key add dave
t_refuse 75 'dave books before the dispatcher ran' reserve --as dave car01 --from 2028-05-01 --to 2028-05-02
t_match '... not yet applied' "$ERR" 'dave: not yet applied'
t_refuse 75 'dave reads his page' mypage --as dave
t_refuse 75 'admin reads his page' mypage --as admin --customer dave
t_refuse 1 '... and one of a name nothing in the spool names: no such customer' mypage --as admin --customer zed
t_refuse 75 'admin revokes dave' carctl --as admin key rm dave
t_exit 77 'a name nothing in the spool names stays unknown' reserve --as zed car01 --from 2028-05-01 --to 2028-05-02
t_match '... unknown identity' "$ERR" 'zed: unknown identity'
t_eq 'only the key.add waits in the spool' "$(spool_count new)" 1
dispatch
t_ok 'after the dispatcher ran, dave books' reserve --as dave car01 --from 2028-05-01 --to 2028-05-02
t_ok '... and reads his page' mypage --as dave


# The last admin (CONTRACT: key rm refused, 1) once a revocation waiting in the spool
# is applied: 75 meanwhile, where it was spooled (0) and quarantined by the dispatcher.
t_ok 'admin registers boss, an admin' carctl --as admin key add boss --role admin
dispatch
t_ok 'admin revokes boss' carctl --as admin key rm boss
t_refuse 75 '... and, before the dispatcher ran, itself' carctl --as admin key rm admin
t_match '... the last admin once the revocation waiting is applied' "$ERR" "admin.*last admin.*waits in the spool"
dispatch
t_refuse 1 'after it: the last admin, refused' carctl --as admin key rm admin

# A revocation is of a key: boss2 holds the key of boss3, whose revocation waits, and
# goes with it.
t_ok 'admin registers boss3, an admin' carctl --as admin key add boss3 --role admin
dispatch
pk=$(carctl --as admin key list --json | jrow name boss3 | jget pubkey)
t_ok '... and boss2 with the same key' carctl --as admin key add boss2 --role admin --pubkey "$pk"
dispatch
t_ok 'admin revokes boss3' carctl --as admin key rm boss3
t_refuse 75 '... and itself: boss2 goes with boss3'"'"'s key' carctl --as admin key rm admin
# A fault reading the state is the fault, 74, not "not yet applied", even while an event
# naming the identity waits: the revoked keys' folder damaged, and alice's revocation
# waiting.
t_ok 'admin registers erin' carctl --as admin key add erin
dispatch
t_ok '... and revokes her' carctl --as admin key rm erin
dispatch
t_ok 'admin revokes alice (waiting)' carctl --as admin key rm alice
damage_object "$RENTAL_HOME/state/.git" "$(state_git rev-parse main:revoked)"
t_refuse 74 'alice reads her page: the state cannot be read' mypage --as alice
t_nomatch '... not "not yet applied"' "$ERR" 'not yet applied'
done_testing
