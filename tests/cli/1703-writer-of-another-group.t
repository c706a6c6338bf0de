#!/bin/sh
# 1703-writer-of-another-group.t: the dispatcher runs as a user of its own (the
# service's User=rental) and the customers' accounts write spool/ by its group, as
# rental(7) has it. An event file carried its writer's own group (and root's, for an
# admin's sudo): the dispatcher could not read it and quarantined an accepted booking
# ("Permission denied"), while the writer had said it was written. It is given new/'s
# group, whose read bit new/ grants.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

if ! command -v setpriv >/dev/null 2>&1 || [ "$(id -u)" != 0 ]; then
	t_skip 'writers by the spool'"'"'s group' 'needs root and setpriv'
	done_testing
	exit 0
fi
chmod 755 "$T_TMP"
shop
chown -R 65534:65534 "$H"
chmod -R o+rX "$H/state" "$H/config"
chmod 0770 "$H/spool/new" "$H/spool/tmp"
chown 65533 "$H/keys/bob.key"
chmod 0755 "$H/keys"
as_service() { run setpriv --reuid=65534 --regid=65534 --clear-groups "$BIN/dispatcher" "$@"; }
# bob's account: a user of its own, in the spool's group.
as_bob() { setpriv --reuid=65533 --regid=65533 --groups=65534 sh -c 'umask 077; exec "$@"' sh "$BIN/$@"; }

id=$(as_bob reserve --as bob car01 --from "$(day 3)" --to "$(day 5)")
t_match "bob's reserve, by the spool's group: written" "$id" '^res-'
t_eq '... its file has the group of spool/new' "$(stat -c %g "$H/spool/new/"*)" 65534
as_service --once
t_eq 'the service applies it (exit 0)' "$RC" 0
t_eq '... nothing quarantined' "$(ls "$H/spool/bad" | wc -l)" 0
t_match "... it is bob's booking" "$(mypage --as bob --json)" "\"reservation\":\"$id\""

id=$(sh -c 'umask 077; exec "$@"' sh "$BIN/carctl" --as admin add car03 --rate 100)
t_eq "root's event (an admin's sudo, umask 077): the group of spool/new" "$(stat -c %g "$H/spool/new/"*)" 65534
as_service --once
t_eq '... the service applies it' "$(carctl list --json | grep -c '"car":"car03"')" 1
done_testing
