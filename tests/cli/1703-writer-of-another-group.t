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

# A file the service may not read all the same (a mode set by hand): quarantined, as
# it was, but said as the home's fault, with the way back.
carctl --as admin add car04 --rate 100 >/dev/null
f=$(ls "$H/spool/new")
chmod 0600 "$H/spool/new/$f"
as_service --once
t_match 'a file the service may not read: quarantined, saying why and what to do' "$ERR" \
	"quarantined $f: the dispatcher's user may not read it; once it may, move it back into spool/new"
chown 65534 "$H/spool/bad/$f"
mv "$H/spool/bad/$f" "$H/spool/new/"
as_service --once
t_eq '... moved back once it may: applied' "$(carctl list --json | grep -c '"car":"car04"')" 1

# An admin's dispatcher run as root (sudo, umask 077) on the service's home wrote packs,
# refs, the lock and push records only root could read or write: the service and every
# reader failed after it (74) until a chown by hand. Root acts as the owner of
# state/.git, with the umask of the owner's last write of main.
as_root() { sh -c 'umask 077; exec "$@"' sh "$BIN/dispatcher" "$@"; }
git init -q --bare "$T_TMP/mirror.git" && chown -R 65534:65534 "$T_TMP/mirror.git"
printf 'replicate:\n  remotes: [%s]\n' "$T_TMP/mirror.git" >>"$H/config/rental.yaml"
rm -f "$H/state/.git/rental.lock"
carctl --as admin add car05 --rate 100 >/dev/null
as_root --once 2>/dev/null
t_eq "root's dispatcher --once, umask 077, on the service's home: exit 0" "$?" 0
as_root --push >/dev/null 2>&1
t_eq '... what it made is the service'"'"'s: the lock, the push records, the packs' \
	"$(find "$H/state/.git" "$H/spool" ! -user 65534 | wc -l)" 0
t_eq '... a folder it made may be searched by whom main may be read' \
	"$(find "$H/state/.git/rental-replicate" -maxdepth 0 -perm -0055 | wc -l)" 1
carctl --as admin add car06 --rate 100 >/dev/null
as_service --once
t_eq '... the service goes on after it (exit 0)' "$RC" 0
as_service --push
t_eq '... and pushes (exit 0)' "$RC" 0
run setpriv --reuid=65533 --regid=65533 --clear-groups "$BIN/carctl" list --json
t_eq '... a reader of another account reads the state' "$RC:$(printf '%s\n' "$OUT" | grep -c '"car":"car0[56]"')" 0:2
# The service writes for itself alone (its umask 077: main 0600, nothing for others):
# root's run does as it does, no wider.
chmod -R go-rwx "$H/state"
carctl --as admin add car07 --rate 100 >/dev/null
as_root --once 2>/dev/null
t_eq 'a state/.git for its owner alone: root'"'"'s --once, exit 0' "$?" 0
t_eq '... no file it wrote readable by others' "$(find "$H/state/.git" -perm /044 -type f | wc -l)" 0
as_service --once
t_eq '... the service goes on after it' "$RC" 0
done_testing
