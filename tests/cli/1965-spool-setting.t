#!/bin/sh
# 1965-spool-setting.t: `spool: PATH` in the settings names the spool folder (as an NFS
# mount of a primary's would be): every writing command writes there, the dispatcher
# applies from there and --check looks there; the home's own spool/ stays empty. A
# relative PATH is taken from the home. `replicate:` is read strictly, as the rest.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

shop
CFG=$H/config/rental.yaml
SP=$T_TMP/shared-spool
mkdir -p "$SP/tmp" "$SP/new" "$SP/bad"
printf 'spool: %s\n' "$SP" >>"$CFG"

run reserve --as alice car01 --from 2028-08-06 --to 2028-08-08
res=$OUT
t_ok 'reserve with spool: elsewhere' test "$RC" -eq 0
t_eq '... the event is in the named spool' "$(ls "$SP/new" | wc -l | tr -d ' ')" 1
t_eq '... not in the home'"'"'s own' "$(spool_count new)" 0
run pay --as alice "$res"
t_eq 'pay before it is applied: not yet applied (it looks in the named spool)' "$RC" 75
t_ok 'dispatcher --once applies the named spool' dispatcher --once
t_match '... applied 1' "$ERR" 'applied 1,'
t_eq '... which it emptied' "$(ls "$SP/new" | wc -l | tr -d ' ')" 0
t_eq '... the booking is RESERVED' "$(status_of "$res")" RESERVED
blk=$(carctl --as admin block car02 --from 2028-10-01 --to 2028-10-03)
run carctl --as admin unblock "$blk"
t_eq 'unblock before the block is applied: not yet applied (it looks in the named spool)' "$RC" 75
dispatcher --once >/dev/null 2>&1

# A file waiting long in the named spool makes --check unhealthy.
reserve --as bob car02 --from 2028-08-06 --to 2028-08-08 >/dev/null 2>&1
# two minutes later (the time since its rename into new/: faketime leaves stat alone)
run env NO_FAKE_STAT=1 faketime -f +120s "$BIN/dispatcher" --check
t_eq '--check looks at the named spool' "$RC" 1
t_match '... and says the events wait' "$ERR" 'spool: 1 events waiting'

# The daemon watches the named spool.
"$BIN/dispatcher" 2>"$T_TMP/d.err" </dev/null &
pid=$!
T_PIDS="$T_PIDS $pid"
t_wait 'the daemon applies what waits in the named spool' 20 sh -c "[ -z \"\$(ls '$SP/new')\" ]"
run reserve --as carol car01 --from 2028-09-01 --to 2028-09-03
t_wait '... and what arrives there' 20 sh -c "[ -z \"\$(ls '$SP/new')\" ]"
t_stop_daemon "$pid" 0
t_match '... watching the named spool' "$(cat "$T_TMP/d.err")" "watching $SP/new"

# A relative path is the home's.
mkdir -p "$H/other/tmp" "$H/other/new" "$H/other/bad"
sed -i "s|^spool: .*|spool: other|" "$CFG"
run carctl --as admin add car03 --rate 100
t_eq 'spool: other puts the event in HOME/other' "$(ls "$H/other/new" | wc -l | tr -d ' ')" 1
t_ok '... where the dispatcher finds it' dispatcher --once
t_eq '... car03 is registered' "$(car_status car03)" AVAILABLE
# A spool the setting names that is not there: the setting's fault, said so (it said
# "not a home ...; run 'carctl init'", which says it is a home already).
sed -i "s|^spool: .*|spool: /nonexistent/spool|" "$CFG"
t_refuse 78 'spool: a folder that is not there: dispatcher --once (78)' dispatcher --once
t_match '... names the settings and the folder' "$ERR" "rental\.yaml: spool: /nonexistent/spool has no new/"
sed -i "s|^spool: .*|spool: other|" "$CFG"

# The settings of replication, read strictly.
sed -i '/^spool:/d' "$CFG"
printf 'replicate: {remotes: [git://a/state, /srv/b.git], max_lag_seconds: 60}\n' >>"$CFG"
t_ok 'replicate: remotes and max_lag_seconds are accepted' carctl list --json
sed -i '/^replicate:/d' "$CFG"
printf 'replicate: {remotes: git://a/state}\n' >>"$CFG"
t_refuse 78 'replicate.remotes that is not a list' carctl --as admin add car09 --rate 100
t_match '... says a list is wanted, naming the line' "$ERR" 'rental\.yaml:12: replicate\.remotes: expected a list'
sed -i '/^replicate:/d' "$CFG"
printf 'replicate: {remotes: [], lag: 5}\n' >>"$CFG"
t_refuse 78 'an unknown key in replicate' carctl list
t_match '... names it' "$ERR" "unknown key 'lag' in replicate"
sed -i '/^replicate:/d' "$CFG"
printf 'replicate: {remotes: [/a, /a]}\n' >>"$CFG"
t_ok 'a remote named twice: no fault of the settings (it stopped every command)' carctl list
sed -i '/^replicate:/d' "$CFG"

# A remote's relative path is the home's too, as spool:'s (it was the working folder's:
# a daemon started from / pushed to /mirror.git, for ever failing).
if command -v git >/dev/null 2>&1; then
	git init -q --bare "$H/mirror.git"
	printf 'replicate: {remotes: [mirror.git], max_lag_seconds: 60}\n' >>"$CFG"
	t_ok 'remotes: [mirror.git]: dispatcher --push from /' sh -c "cd / && '$BIN/dispatcher' --push"
	t_eq '... reaches HOME/mirror.git' "$(git_main "$H/mirror.git")" "$(state_git rev-parse main)"
	t_nofile '... not /mirror.git' /mirror.git
	run sh -c "cd / && '$BIN/dispatcher' --check"
	t_eq '... and --check from / is healthy' "$RC" 0
	t_nomatch '... and finds it up to date' "$ERR$OUT" 'mirror\.git'
	# The home named another way (., a trailing slash) names the same remote: its record
	# is the one --push wrote (they looked in records of their own: never pushed).
	run sh -c "cd '$H' && '$BIN/dispatcher' --home . --check"
	t_nomatch '--home . finds it up to date too' "$ERR$OUT" 'mirror\.git'
	run env RENTAL_HOME="$H/" "$BIN/dispatcher" --check
	t_nomatch '... and RENTAL_HOME=HOME/' "$ERR$OUT" 'mirror\.git'
	sed -i '/^replicate:/d' "$CFG"
	# One repository named twice, each way: pushed to once, under its first name, and
	# --check says so; no command stops for it (a mirror's setting stopped the desk).
	ln -s "$H" "$T_TMP/link"
	for two in "mirror.git, \"$H/./mirror.git\"" "\"$H/mirror.git\", \"file://$H/mirror.git/\"" \
		"mirror.git, \"$T_TMP/link/mirror.git\""; do
		sed -i '/^replicate:/d' "$CFG"
		printf 'replicate: {remotes: [%s]}\n' "$two" >>"$CFG"
		t_ok "remotes [$two]: carctl list" carctl list
		carctl --as admin set car01 --rate 50001 >/dev/null
		t_ok '... dispatcher --once' dispatcher --once
		t_ok '... --push' dispatcher --push
		t_eq '... pushed to once' "$(printf '%s\n' "$ERR" | grep -c 'has main')" 1
		run dispatcher --check
		t_eq '... --check: healthy' "$RC" 0
		t_match '... saying the second name' "$ERR" "replicate\.remotes: '.*mirror\.git/?' names a repository named before it: pushed to once"
	done
	sed -i '/^replicate:/d' "$CFG"
	printf 'replicate: {remotes: ["file://mirror.git"]}\n' >>"$CFG"
	t_refuse 78 'file:// with a relative path (it followed the working folder)' dispatcher --push
	t_match '... says file:// takes an absolute one' "$ERR" 'file://mirror\.git: file:// takes an absolute path'
	t_refuse 78 '... every command refuses it' mypage --as alice
	sed -i '/^replicate:/d' "$CFG"
fi
printf 'spool: ""\n' >>"$CFG"
t_refuse 78 'an empty spool path' carctl list
t_match '... says so' "$ERR" 'spool: (an )?empty'
sed -i '/^spool:/d' "$CFG"

# Who may read a spool file is who may read spool/new, whatever the writer's umask:
# a writer with umask 077 does not make events its dispatcher (another user) cannot
# read.
N=$H/spool/new
chmod 0755 "$N"
rm -f "$N"/*
(umask 077 && "$BIN/carctl" --as admin add car10 --rate 100) >/dev/null
t_eq 'umask 077, spool/new 0755: the event file is 0644' "$(file_mode "$(ls -d "$N"/* | head -1)")" '-rw-r--r--'
rm -f "$N"/*
chmod 0750 "$N"
(umask 022 && "$BIN/carctl" --as admin add car11 --rate 100) >/dev/null
t_eq 'umask 022, spool/new 0750: 0640' "$(file_mode "$(ls -d "$N"/* | head -1)")" '-rw-r-----'
rm -f "$N"/*
chmod 0700 "$N"
(umask 000 && "$BIN/carctl" --as admin add car12 --rate 100) >/dev/null
t_eq 'umask 000, spool/new 0700: 0600' "$(file_mode "$(ls -d "$N"/* | head -1)")" '-rw-------'
chmod 0755 "$N"
t_ok '... and the dispatcher applies it' dispatcher --once

done_testing
