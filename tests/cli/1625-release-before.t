#!/bin/sh
# 1625-release-before.t: a home of the release before, in this release's layout
# (tests/fixtures/home-2026-12-06c.tgz, made by the script beside it): this release
# reads it as it is, and its rebuild finds the state its log makes. Its log holds what
# that release let in and this one refuses from users now: a car's model with a C1
# control character (NEL) is still applied (a rebuild that refused it deleted the car),
# and shown escaped. Its layout, 7, is run as it is (no owner's table split deeper, no
# rules named in its log) until the home is upgraded, so the release before may still
# run it.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

old_home before 2026-12-06c
t_ok 'carctl list reads the home of the release before' carctl list
t_match '... with the model of car1, its C1 character escaped' "$OUT" '^car1 +Ray\\u0085X '
t_ok 'dispatcher --rebuild' dispatcher --rebuild
t_eq '... finds nothing to repair' "$ERR" 'dispatcher: rebuild: 0 differences, state matches the log'
t_match '... car1 is still there' "$(carctl list --json)" '"car":"car1"'
t_ok 'the home goes on: car1 gets a new rate' carctl --as admin set car1 --rate 1500
dispatch
t_eq '... applied, its model kept' "$(carctl show car1 --json | jq -c '[.rate, .model]')" "$(printf '[1500,"Ray\302\205X"]')"
t_refuse 65 '... a new model with a C1 character is refused' carctl --as admin set car2 --model "$(printf 'A\302\205')"
t_ok 'dispatcher --rebuild again' dispatcher --rebuild
t_eq '... nothing to repair' "$ERR" 'dispatcher: rebuild: 0 differences, state matches the log'
t_ok 'healthy' dispatcher --check
t_eq 'its layout record still names version 7, read as 8' "$(state_cat layout)" 'version: 7'
t_ok 'dispatcher --upgrade' dispatcher --upgrade
t_eq '... moves it to 10, moving nothing else' "$ERR" 'dispatcher: upgrade: layout 10, 1 records moved or rewritten'
t_eq '... which the layout record names' "$(state_cat layout)" 'version: 10'
t_ok '... and a rebuild finds nothing to repair' dispatcher --rebuild
t_eq '... as it says' "$ERR" 'dispatcher: rebuild: 0 differences, state matches the log'

done_testing
