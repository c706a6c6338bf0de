#!/bin/sh
# 1702-folder-of-another-user.t: a dispatcher that runs as a user of its own (the
# service's User=rental) may not move into spool/bad/ a folder another user made in
# spool/new/ (moving a folder needs the right to write it, for its ".."): every batch
# stopped there (74) and the home waited for good (DESIGN 8: no event stops the home).
# The folder is set aside in new/ as .stuck-NS-N, which needs the right to write new/
# alone, said, skipped from then on, and named by --check; the batch goes on.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

if ! command -v setpriv >/dev/null 2>&1 || [ "$(id -u)" != 0 ]; then
	t_skip 'a folder of another user in spool/new' 'needs root and setpriv'
	done_testing
	exit 0
fi
chmod 755 "$T_TMP"
shop
chown -R 65534:65534 "$H"
as_service() { run setpriv --reuid=65534 --regid=65534 --clear-groups "$BIN/dispatcher" "$@"; }

mkdir "$H/spool/new/00000000000000000001.x" # root's, 0755
carctl --as admin add car09 --rate 100 >/dev/null
as_service --once
t_eq "a folder in spool/new the service may not move: the batch goes on (exit 0)" "$RC" 0
t_match '... the event after it is applied' "$(carctl list --json)" '"car":"car09"'
t_match '... the folder is said, with what to do' "$ERR" \
	"00000000000000000001\\.x: a folder the dispatcher may not move \\(Permission denied\\): left as spool/new/\\.stuck-[0-9]{20}-0; remove it by hand"
t_eq '... set aside in new/' "$(ls -A "$H/spool/new" | grep -c '^\.stuck-')" 1
t_nofile '... under its name no more' "$H/spool/new/00000000000000000001.x"

carctl --as admin add car10 --rate 100 >/dev/null
as_service --once
t_eq 'the next batch: exit 0' "$RC" 0
t_nomatch '... does not meet the folder again' "$ERR" 'stuck'
t_match '... and applies its event' "$(carctl list --json)" '"car":"car10"'
as_service --check
t_eq '--check: healthy (exit 0): nothing waits' "$RC" 0
t_match '... names the folder left aside' "$ERR" \
	'spool/new: 1 folder the dispatcher may not move, left as \.stuck-NS-N: remove it by hand'
t_nomatch '... not as an event waiting' "$ERR" 'events waiting'

# A file named so is no folder set aside: quarantined as any stray file is.
printf 'x\n' >"$H/spool/tmp/.stuck-junk" && mv "$H/spool/tmp/.stuck-junk" "$H/spool/new/.stuck-junk"
chown 65534:65534 "$H/spool/new/.stuck-junk"
as_service --once
t_eq 'a file named .stuck-: exit 0' "$RC" 0
t_nofile '... quarantined' "$H/spool/new/.stuck-junk"

# A name too long to take .stuck- before it, and folders of .stuck- names made
# beforehand: neither stops the batch (the first set-aside took .stuck-NAME, the next
# the first of a thousand numbers free, and either stopped every batch again).
long=00000000000000000002.$(printf 'x%.0s' $(seq 230))
mkdir "$H/spool/new/$long" "$H/spool/new/.stuck-1"
: >"$H/spool/new/.stuck-1/f"
carctl --as admin add car11 --rate 100 >/dev/null
as_service --once
t_eq 'a folder of a long name, and .stuck-1 taken: exit 0' "$RC" 0
t_match '... the event after it applied' "$(carctl list --json)" '"car":"car11"'
t_match '... set aside under a name of its own' "$ERR" 'left as spool/new/\.stuck-[0-9]{20}-0;'
t_file '... .stuck-1 kept as it was' "$H/spool/new/.stuck-1/f"

# The folders removed by hand: --check says nothing of them.
rm -rf "$H/spool/new/.stuck-"*
as_service --check
t_nomatch 'removed by hand: --check no longer names it' "$ERR" 'stuck'
# Parts of state/.git the service may not write (a restore done as root): --check said
# healthy, and the next batch failed (74), or every batch (the lock file).
chown 0:0 "$H/state/.git/objects/pack"
as_service --check
t_eq 'objects/pack root'"'"'s: --check unhealthy' "$RC" 1
t_match '... naming it' "$ERR" 'state/\.git/objects/pack: cannot be written'
chown 65534:65534 "$H/state/.git/objects/pack"
chown 0:0 "$H/state/.git/refs/heads"
as_service --check
t_match 'refs/heads root'"'"'s: named' "$ERR" 'state/\.git/refs/heads: cannot be written'
chown 65534:65534 "$H/state/.git/refs/heads"
chown 0:0 "$H/state/.git/rental.lock" && chmod 644 "$H/state/.git/rental.lock"
as_service --check
t_eq 'the lock file root'"'"'s: --check unhealthy' "$RC" 1
t_match '... naming it' "$ERR" 'rental\.lock: Permission denied'
chown 65534:65534 "$H/state/.git/rental.lock"
as_service --check
t_eq '... all given back: healthy' "$RC" 0

# spool/served-by made by a run as root, which the service may not open, or a spool
# folder it may not write: it went on holding nothing, and a copy of the home beside it
# (run as root) took the events. It holds the spool's new/ as well, as every
# dispatcher does: the copy is refused while the service runs.
cp -a "$H" "$T_TMP/copy"
mv "$H/spool" "$T_TMP/spool" && chown 0:0 "$T_TMP/spool" && chmod 755 "$T_TMP/spool"
rm -f "$T_TMP/spool/served-by"
printf 'spool: %s\n' "$T_TMP/spool" >>"$H/config/rental.yaml"
printf 'spool: %s\n' "$T_TMP/spool" >>"$T_TMP/copy/config/rental.yaml"
setpriv --reuid=65534 --regid=65534 --clear-groups "$BIN/dispatcher" 2>"$T_TMP/svc.err" </dev/null &
svc=$!
T_PIDS="$T_PIDS $svc"
t_wait 'the service'"'"'s daemon, a spool folder it may not write: holds new/' 10 \
	sh -c "! flock -n '$T_TMP/spool/new' true"
run dispatcher --home "$T_TMP/copy" --once
t_eq '... a copy of the home (root, who may make served-by): refused (78)' "$RC" 78
carctl --as admin add car12 --rate 100 >/dev/null
t_wait '... the service applies the event' 15 sh -c "'$BIN/carctl' list --json | grep -q '\"car\":\"car12\"'"
t_stop_daemon "$svc" 0
: >"$T_TMP/spool/served-by" && chmod 600 "$T_TMP/spool/served-by" # root's, unreadable
carctl --as admin add car13 --rate 100 >/dev/null
as_service --once
t_eq 'spool/served-by root'"'"'s, unreadable: the batch goes on (new/ held)' "$RC" 0
t_match '... applied' "$(carctl list --json)" '"car":"car13"'
rm -f "$T_TMP/spool/served-by"
mv "$T_TMP/spool" "$H/spool" && chown 65534:65534 "$H/spool"
sed -i '/^spool:/d' "$H/config/rental.yaml"

# A state/.git the service may not read (a restore done as root): said so (74), not
# taken for a repository whose making did not finish (78, "carctl init finishes it").
chown 0:0 "$H/state/.git" && chmod 700 "$H/state/.git"
run setpriv --reuid=65534 --regid=65534 --clear-groups "$BIN/carctl" list
t_eq 'state/.git root'"'"'s, 0700: a reader says 74' "$RC" 74
t_match '... Permission denied' "$ERR" 'Permission denied'
t_nomatch '... not that init finishes it' "$ERR" 'carctl init'
chown 65534:65534 "$H/state/.git" && chmod 755 "$H/state/.git"

done_testing
