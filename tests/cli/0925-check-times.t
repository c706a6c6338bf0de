#!/bin/sh
# 0925-check-times.t: dispatcher --check judges by what no one sets by mistake: a
# spool folder that is not a folder is unhealthy (a writable file passed access(2));
# how long an event has waited in spool/new is the age of the older of its two
# times: a writer sets its mtime (touch, cp -p: one dated ahead hid a stuck spool),
# and a link or a chmod its ctime (a backup of hard links taken each minute hid it as
# well); a settings file copied in with an older mtime (cp -p) is a change of the
# settings all the same (its ctime). A probe of another --check is no file being
# written.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

shop
t_ok 'healthy' dispatcher --check

rmdir "$H/spool/tmp" && : >"$H/spool/tmp"
t_exit 74 'spool/tmp a file: a writer fails' carctl --as admin add car09 --rate 5
t_exit 1 '--check: unhealthy' dispatcher --check
t_match '... naming it' "$ERR" 'spool/tmp: not a folder'
rm "$H/spool/tmp" && mkdir "$H/spool/tmp"
t_ok 'a folder again: healthy' dispatcher --check

# An event written yesterday, linked into a backup now (its ctime now): it waits.
t_ok 'an event' carctl --as admin add car09 --rate 5
touch -m -d '-1 day' "$H"/spool/new/*
mkdir "$T_TMP/backup" && ln "$H"/spool/new/* "$T_TMP/backup/"
t_exit 1 'written a day ago, its ctime refreshed by a link: it has waited, unhealthy' dispatcher --check
t_match '... the event has waited a day' "$ERR" 'spool: 1 events waiting, the oldest for 86[0-9]{3} s'
if has_faketime; then
	touch -m -d '+1 day' "$H"/spool/new/*
	run env NO_FAKE_STAT=1 faketime -f +120s "$BIN/dispatcher" --check # faketime shifts what stat says unless told not to
	t_eq 'an mtime of tomorrow, two minutes later with no dispatcher: unhealthy' "$RC" 1
	t_match '... the event has waited' "$ERR" 'spool: 1 events waiting, the oldest for 1[0-9][0-9] s'
else
	t_skip 'an mtime of tomorrow' 'faketime is missing (Debian package faketime)'
	t_skip '... the event has waited' 'faketime is missing (Debian package faketime)'
fi
dispatch

# What another --check writes to see that the spool has room is not a writer's file.
: >"$H/spool/tmp/.rental-probe.tmpAbC123"
t_ok 'a probe of another --check in spool/tmp: healthy' dispatcher --check
t_nomatch '... and not a file being written' "$ERR" 'files being written'
rm "$H/spool/tmp/.rental-probe.tmpAbC123"

# rating switched off, a batch, then switched on again by copying in the settings of
# an hour ago (cp -p): no batch has run since, so rating is not failing yet.
cp -p "$H/config/rental.yaml" "$T_TMP/on.yaml"
touch -m -d '-1 hour' "$T_TMP/on.yaml"
write_config rating=false
book alice car01 2028-08-06 2028-08-08 >/dev/null
cp -p "$T_TMP/on.yaml" "$H/config/rental.yaml"
t_ok 'rating switched on by cp -p of older settings, before a batch: healthy' dispatcher --check
dispatch
t_ok '... after one it has caught up: healthy' dispatcher --check
done_testing
