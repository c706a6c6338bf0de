#!/bin/sh
# 1990-replica.t: `carctl init --replica URL DIR [--trust KEY]` makes a home that
# follows a primary (here by path): its dispatcher takes each new commit only once
# its signature and its log check out, so every reading command answers there as on
# the primary; a forged commit (unsigned, signed by another key, a forged event, a
# forged key) and a rewritten history are refused with the reason while the replica
# keeps its last good state; writing commands are refused (77) unless the settings
# name a spool, into which they then write. One host; 2000-replicas.t runs three.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

for tool in git openssl base64 ssh-keygen; do
	if ! command -v $tool >/dev/null 2>&1; then
		t_skip 'replicas follow their primary' "no $tool"
		done_testing
	fi
done

shop primary
P=$H
PG=$P/state/.git
R=$T_TMP/branch
res=$(book alice car01 2028-08-06 2028-08-08)
paid alice "$res" >/dev/null

# same_reads: what the reading commands print on the replica is what they print on
# the primary (t_eq each).
same_reads() {
	for _sr in 'carctl list --json' 'carctl show car01 --json' 'carctl key list --json' \
		'reserve --as admin list --json' 'rent --as admin list --json' 'mypage --as alice --json'; do
		t_eq "$1: $_sr" "$("$BIN/${_sr%% *}" --home "$R" ${_sr#* } 2>&1)" \
			"$("$BIN/${_sr%% *}" --home "$P" ${_sr#* } 2>&1)"
	done
}
main_of() { git --git-dir="$1/state/.git" rev-parse -q --verify main; }

run carctl init --replica "$P/state" "$R"
t_eq 'carctl init --replica PATH DIR' "$RC" 0
key=$(dispatcher --home "$P" --allowed-signers | cut -d' ' -f3,4)
t_eq '... says what it follows and the key it trusts, from the first commit' "$ERR" \
	"carctl: $R: a replica of $P/state, trusting the dispatcher key $key (the history's first commit)"
t_eq '... its main is the primary'"'"'s' "$(main_of "$R")" "$(main_of "$P")"
same_reads 'a new replica reads as the primary'
t_eq '--allowed-signers on the replica: the primary'"'"'s line' \
	"$(dispatcher --home "$R" --allowed-signers)" "$(dispatcher --home "$P" --allowed-signers)"
dispatcher --home "$R" --allowed-signers >"$T_TMP/signers"
t_eq 'stock git verifies every commit of the replica' \
	"$(git --git-dir="$R/state/.git" -c gpg.ssh.allowedSignersFile="$T_TMP/signers" log --format=%G? main | sort -u)" G
run carctl init --replica "$P/state" "$R"
t_eq 'init --replica on a home: exit 0' "$RC" 0
t_match '... nothing changed' "$ERR" 'already a home, nothing changed'

# Following.
book bob car02 2028-09-01 2028-09-04 >/dev/null
carctl --as admin add car03 --rate 70000 --model Ray >/dev/null && dispatch
run dispatcher --home "$R" --once
t_eq 'the replica'"'"'s dispatcher --once follows' "$RC" 0
t_match '... and says how many commits it checked' "$ERR" "^dispatcher: followed $P/state: 2 commits checked, main at $(main_of "$P" | cut -c1-12)$"
same_reads 'after following'
run dispatcher --home "$R" --once
t_match 'again: nothing new' "$ERR" "^dispatcher: $P/state: nothing new$"
carctl --as admin add car04 --rate 70000 >/dev/null && dispatch
run dispatcher --home "$R" --once --quiet
t_eq 'a replica'"'"'s --once --quiet follows and says nothing, for cron' "$RC:$ERR" 0:
t_eq '... main followed' "$(main_of "$R")" "$(main_of "$P")"
t_ok '--check on the replica: healthy' dispatcher --home "$R" --check

# Trust given with --trust: the allowed signers line, its key, or the base64 form.
t_ok 'init --replica --trust LINE' carctl init --replica "$P/state" "$T_TMP/r2" \
	--trust "$(dispatcher --home "$P" --allowed-signers)"
t_match '... trusts it (--trust)' "$ERR" '\(--trust\)$'
t_ok 'init --replica --trust BASE64 (as carctl key list shows keys)' carctl init --replica \
	"$P/state" "$T_TMP/r3" --trust "$(carctl key list --json | jrow name dispatcher | jget pubkey)"
t_exit 1 'init --replica --trust with another key: the history is refused' \
	carctl init --replica "$P/state" "$T_TMP/r4" --trust "$(carctl key list --json | jrow name alice | jget pubkey)"
t_match '... because its commits are signed by a key that is not the trusted one' "$ERR" \
	'not the trusted one'
t_exit 65 'init --replica --trust that is no key' carctl init --replica "$P/state" "$T_TMP/r5" --trust nokey
t_exit 64 'init --trust without --replica' carctl init "$T_TMP/r6" --trust "$key"
t_exit 75 'init --replica of a primary that does not answer: exit 75' \
	carctl init --replica "$T_TMP/nowhere" "$T_TMP/r7"
t_match '... saying there is no repository there' "$ERR" "$T_TMP/nowhere: fetch: no repository there: No such file or directory"
t_exit 75 '... nor does its dispatcher --once' dispatcher --home "$T_TMP/r7" --once
t_match '... whose main stays at no commit yet' "$ERR" 'main stays at no commit yet$'
# A history good for a commit, then refused: init says why, not what came before.
carctl init "$T_TMP/p2" >/dev/null 2>&1
g2="git --git-dir=$T_TMP/p2/state/.git"
$g2 update-ref refs/heads/main "$(echo forged | $g2 commit-tree "$($g2 rev-parse 'main^{tree}')" -p main)"
t_exit 1 'init --replica of a history refused after its first commit' carctl init --replica "$T_TMP/p2/state" "$T_TMP/r8"
t_match '... says why' "$ERR" 'refused the history of .*: commit [0-9a-f]+ is not signed'
# Until a replica has taken its first history, init may be run again, and is not
# taken for a home: another --trust for r4 (the key it pinned is forgotten), the
# right URL for r7.
t_ok 'init --replica again on r4, with the right key' carctl init --replica "$P/state" "$T_TMP/r4" \
	--trust "$(dispatcher --home "$P" --allowed-signers)"
t_nomatch '... is not taken for a home' "$ERR" 'already a home'
t_ok '... and r4 follows' dispatcher --home "$T_TMP/r4" --check
# A replica runs no batch: a failed batch's mark left in its repository (by an init
# of a primary that failed there first) is not its health.
echo 'a failed batch' >"$T_TMP/r4/state/.git/rental-failed"
t_ok '... a batch'"'"'s failure mark in a replica is not its health' dispatcher --home "$T_TMP/r4" --check
rm -f "$T_TMP/r4/state/.git/rental-failed"
t_ok 'init --replica again on r7, with a primary that answers' carctl init --replica "$P/state" "$T_TMP/r7"
t_ok '... and r7 follows' dispatcher --home "$T_TMP/r7" --once
t_eq '... to main' "$(main_of "$T_TMP/r7")" "$(main_of "$P")"

# Writing on a replica: refused without spool:, into the named spool with it.
cp "$P/keys/bob.key" "$P/keys/admin.key" "$R/keys/"
RENTAL_HOME=$R
t_refuse 77 'reserve on a replica whose settings name no spool' reserve --as bob car03 --from 2028-10-01 --to 2028-10-03
t_match '... says so' "$ERR" "^reserve: $R: a replica, .*spool: PATH"
t_refuse 77 'carctl key add there' carctl --as admin key add dave
t_refuse 77 'rent return there' rent --as bob return "$res"
t_exit 77 'dispatcher --rebuild there' dispatcher --rebuild
# ... before any check of the business, which a replica's own spool could never pass
# (a retry on 75 would go on for ever): it said 75 or 1 of these.
t_refuse 77 'pay of a reservation unknown there' pay --as bob res-0123456789abcdef
t_match '... says it is a replica' "$ERR" "^pay: $R: a replica, "
t_refuse 77 'rate of one not returned' rate --as alice "$res" --stars 3
t_refuse 77 'reserve cancel of an unknown one' reserve --as bob cancel res-0123456789abcdef
t_refuse 77 'reserve of nights taken' reserve --as bob car02 --from 2028-09-01 --to 2028-09-04
t_ok 'reserve --quote, which writes nothing, answers there' reserve --as bob car03 --from 2028-11-01 --to 2028-11-03 --quote
printf 'spool: %s/spool\n' "$P" >>"$R/config/rental.yaml"
run reserve --as bob car03 --from 2028-10-01 --to 2028-10-03
new=$OUT
t_eq 'with spool: naming the primary'"'"'s spool, reserve on the replica works' "$RC" 0
t_eq '... its event waits in the primary'"'"'s spool' "$(ls "$P/spool/new" | grep -c "$new")" 1
RENTAL_HOME=$P
dispatch
t_refuse 75 '... applied there, not yet followed here: pay on the replica is try again later' \
	pay --home "$R" --as bob "$new"
t_match '... saying the replica may not have followed it yet' "$ERR" "$new: unknown to this replica, .*not have followed"
dispatcher --home "$R" --once 2>/dev/null
t_eq '... applied there, followed here: RESERVED on the replica' \
	"$(reserve --home "$R" --as bob list --json | jrow reservation "$new" | jget status)" RESERVED

# Forgeries and rewrites: refused with the reason; the replica keeps its last good state.
good=$(main_of "$P")
openssh_key "$P/keys/dispatcher.key" "$T_TMP/dispatcher.ssh"
ssh-keygen -q -t ed25519 -N '' -C other -f "$T_TMP/other.ssh" </dev/null
head=$(state_cat log/head | sed 's/seq: //')
leaf=$(state_ls log/ | grep '\.yaml$' | tail -n 1 | sed 's|/[^/]*$||')
next=$(printf '%s/%012d.yaml' "$leaf" $((head + 1)))
entry=$(state_with_line log/ "id: $res")
forged=$(state_cat "$entry" | sed -e 's/^car: car01$/car: car02/' -e "s/^id: res-.*/id: res-00000000000000ff/")
# refused NAME REASON-REGEX: the replica's dispatcher refuses what the primary's main
# now is (exit 1, the reason), keeps its main and answers as before; --check says
# so; then the primary's main is put back and the replica follows it again.
refused() {
	run dispatcher --home "$R" --once
	t_eq "$1: refused (exit 1)" "$RC" 1
	t_match "... the reason: $2" "$ERR" "^dispatcher: refused the history of $P/state: .*$2.*; main stays at $(printf %.12s "$good")"
	t_eq '... its main stays' "$(main_of "$R")" "$good"
	t_eq '... its reads stay' "$(carctl --home "$R" list --json)" "$before"
	run dispatcher --home "$R" --check
	t_match '... --check exits 1 and says why' "$RC:$ERR" "^1:dispatcher: replica: refused the history of $P/state: .*$2"
	git --git-dir="$PG" update-ref refs/heads/main "$good"
	t_ok '... the primary put back, it follows again' dispatcher --home "$R" --once
}
before=$(carctl --home "$R" list --json)

forge_commit "$PG" "100644 $(blob_of "$PG" junk)	junk" >/dev/null
refused 'an unsigned commit' 'commit [0-9a-f]{12} is not signed'

forge_commit "$PG" "100644 $(blob_of "$PG" junk)	junk" "$T_TMP/other.ssh" >/dev/null
refused 'a commit signed by another key' 'signed by a key that is not the trusted one'

forge_commit "$PG" "100644 $(blob_of "$PG" "$forged")	$next
100644 $(blob_of "$PG" "seq: $((head + 1))")	log/head" "$T_TMP/dispatcher.ssh" >/dev/null
t_ok 'a forged event in a commit signed with the dispatcher'"'"'s own key: stock git verifies the commit' \
	git --git-dir="$PG" -c gpg.ssh.allowedSignersFile="$T_TMP/signers" verify-commit main
refused '... but the replica' "log entry $((head + 1)) \\(res-00000000000000ff\\): bad signature for key 'alice'"

forge_commit "$PG" "100644 $(blob_of "$PG" "$(state_cat "$entry")")	$next
100644 $(blob_of "$PG" "seq: $((head + 1))")	log/head" "$T_TMP/dispatcher.ssh" >/dev/null
refused 'an event logged twice' "log entry $((head + 1)) \\($res\\): logged twice"

mallory=$(state_ls keys/ | grep '/alice\.yaml$' | sed 's/alice/mallory/')
forge_commit "$PG" "100644 $(blob_of "$PG" "name: mallory
role: admin
pubkey: $(carctl key list --json | jrow name alice | jget pubkey)")	$mallory" "$T_TMP/dispatcher.ssh" >/dev/null
refused 'a key registered without its event in the log' "state/$mallory is not what its log makes"

forge_commit "$PG" "0 0000000000000000000000000000000000000000	$entry" "$T_TMP/dispatcher.ssh" >/dev/null
refused 'a log entry removed' "its log ends at entry|is not what its log makes"

forge_commit "$PG" "100644 $(blob_of "$PG" "seq: bogus")	log/head" "$T_TMP/dispatcher.ssh" >/dev/null
refused 'a log whose head does not read, signed with the dispatcher'"'"'s key' 'log/head'

# A signature whose armor is not base64 (the check freed its blob twice).
forge_commit "$PG" "100644 $(blob_of "$PG" junk)	junk" "$T_TMP/dispatcher.ssh" >/dev/null
bad=$(git --git-dir="$PG" cat-file commit main | awk '/-----BEGIN SSH SIGNATURE-----$/ { print; print " !!!!"; skip = 1; next }
	skip && /^ -----END SSH SIGNATURE-----$/ { skip = 0 } !skip' | git --git-dir="$PG" hash-object -t commit -w --stdin)
git --git-dir="$PG" update-ref refs/heads/main "$bad"
refused 'a commit whose signature is not base64' 'not an armored SSH signature'

# A copy of a real commit with a line after the armor of its signature: no signed
# byte changed, so the signature holds, but its id is another; taken, the primary's
# next commits would never descend from the replica's main again.
carctl --as admin add car08 --rate 1000 >/dev/null && dispatch
real=$(git --git-dir="$PG" rev-parse main)
copy=$(git --git-dir="$PG" cat-file commit main | sed 's/^ -----END SSH SIGNATURE-----$/&\n x/' |
	git --git-dir="$PG" hash-object -t commit -w --stdin)
git --git-dir="$PG" update-ref refs/heads/main "$copy"
refused 'a signed commit copied with a line after its armor' 'not in the form its signer writes'
git --git-dir="$PG" update-ref refs/heads/main "$real"
t_ok '... the real one is followed' dispatcher --home "$R" --once
t_eq '... main is the real one' "$(main_of "$R")" "$real"
good=$real
before=$(carctl --home "$R" list --json)

git --git-dir="$PG" update-ref refs/heads/main "$(git --git-dir="$PG" rev-parse main~2)"
rm -f "$PG/rental-logged" # on purpose: the primary goes on from there (1972)
carctl --as admin add car4b --rate 1000 >/dev/null && dispatch
refused 'a rewritten history (the primary reset and going on)' \
	'does not descend from this replica'"'"'s [0-9a-f]{12}: a rewritten history'

# The replica's account of its last round (not state): whatever it holds,
# the next round writes it anew.
printf 'checked_at: [1\n' >"$R/state/.git/rental-follow"
carctl --as admin add car07 --rate 1000 >/dev/null && dispatch
t_ok 'a round of following over an account that does not parse' dispatcher --home "$R" --once
t_eq '... follows' "$(main_of "$R")" "$(main_of "$P")"
t_ok '... and --check reads the account it wrote' dispatcher --home "$R" --check

# The replica's daemon follows as batches come.
"$BIN/dispatcher" --home "$R" 2>"$T_TMP/follow.err" </dev/null &
pid=$!
T_PIDS="$T_PIDS $pid"
for car in car05 car06; do
	carctl --as admin add $car --rate 1000 >/dev/null && dispatch
	t_wait "the daemon follows the batch adding $car" 10 sh -c "[ \"\$(git --git-dir='$R/state/.git' rev-parse main)\" = '$(main_of "$P")' ]"
done
same_reads 'after the daemon followed'
t_stop_daemon "$pid" 0 'replica: '
t_match '... it said what it followed' "$(cat "$T_TMP/follow.err")" "^dispatcher: followed $P/state: 1 commits checked"

# --check: a replica no one follows with for longer than max_lag_seconds lags.
printf 'replicate: {max_lag_seconds: 1}\n' >>"$R/config/rental.yaml"
sleep 2
run dispatcher --home "$R" --check
t_eq '--check on a replica not followed for 2 s (max_lag_seconds 1): exit 1' "$RC" 1
t_match '... says so' "$ERR" "replica: $P/state last followed [0-9]+ s ago \\(max_lag_seconds 1\\)"

# A home made before commits were signed: its unsigned commits pass at the start of a
# replica's history, vouched for by the first signed one (the upgrade's), which names
# them, once every event of its log checks out.
old_home legacy 2026-12-05
dispatcher --upgrade >/dev/null 2>&1
t_ok 'a replica of a home upgraded from an older release' carctl init --replica "$H/state" "$T_TMP/legacy-replica"
t_eq '... reads as it' "$(carctl --home "$T_TMP/legacy-replica" list --json)" "$(carctl list --json)"
t_eq '... at its main' "$(main_of "$T_TMP/legacy-replica")" "$(main_of "$H")"

# What a round of following found is written durably (fsynced): a power cut left it
# empty, and --check said "rental-follow:1: not a flat mapping" until the next round.
LR=$T_TMP/legacy-replica
if command -v strace >/dev/null 2>&1; then
	strace -f -y -e trace=fsync,fdatasync -o "$T_TMP/follow.strace" "$BIN/dispatcher" --home "$LR" --once >/dev/null 2>&1
	t_match "the round's record is fsynced" "$(cat "$T_TMP/follow.strace")" 'fsync\(.*rental-follow'
fi
# The primary's repository emptied or replaced by an empty one: the replica said "no
# history there yet" and stayed healthy for good. Refused, said, and --check says so.
mv "$H/state/.git" "$T_TMP/moved.git"
git init -q --bare "$H/state/.git"
run dispatcher --home "$LR" --once
t_eq "the primary's repository emptied: --once refuses (1)" "$RC" 1
t_match '... saying it has no main' "$ERR" 'it has no main, where this replica follows [0-9a-f]{12}'
t_exit 1 '... --check: unhealthy' dispatcher --home "$LR" --check
rm -rf "$H/state/.git"
mv "$T_TMP/moved.git" "$H/state/.git"
t_ok '... put back: followed again' dispatcher --home "$LR" --once
t_ok '... healthy' dispatcher --home "$LR" --check

# The primary's repository restored from an older copy: its main is behind the
# replica's, which said "a rewritten history" (and walked the whole history back each
# round to say it). It says the remote is behind; once the primary's main moves on, it
# follows again.
cp -r "$H/state/.git" "$T_TMP/older.git"
carctl --as admin add rw1 --rate 100 >/dev/null && dispatch
t_ok 'a replica follows a batch' dispatcher --home "$LR" --once
mv "$H/state/.git" "$T_TMP/newer.git"
cp -r "$T_TMP/older.git" "$H/state/.git"
run dispatcher --home "$LR" --once
t_eq 'the primary restored from an older copy: refused (1)' "$RC" 1
t_match '... saying its main is behind this replica' "$ERR" 'its main [0-9a-f]{12} is behind this replica.s [0-9a-f]{12}'
t_nomatch '... not a rewritten history' "$ERR" 'rewritten'
rm -rf "$H/state/.git"
mv "$T_TMP/newer.git" "$H/state/.git"
t_ok '... the newer one back: followed again' dispatcher --home "$LR" --once

# The primary's home given for its state repository: 75 (try again later) for a
# mistake no retry mends. Refused (65), naming the state repository it meant.
run carctl init --replica "$H" "$T_TMP/homeurl"
t_eq 'init --replica of a home, not its state: 65' "$RC" 65
t_match '... naming its state repository' "$ERR" "$H: a home, not its state repository: $H/state"
t_nofile '... and makes nothing' "$T_TMP/homeurl"
run carctl init --replica "file://$H" "$T_TMP/homeurl"
t_eq '... as a file:// URL: 65' "$RC" 65
t_nofile '... and makes nothing' "$T_TMP/homeurl"
run sh -c "cd '$H' && '$BIN/carctl' init --replica file://state/.git '$T_TMP/fileurl'"
t_eq 'init --replica file:// of a relative path (followed from the working folder): 65' "$RC" 65
t_match '... says file:// takes an absolute path' "$ERR" 'file://state/\.git: file:// takes an absolute path'
t_nofile '... and makes nothing' "$T_TMP/fileurl"

# A path is made absolute, as given: one not there yet (a mount to come) from where
# init ran, not from where the dispatcher runs; one through a symlink stays the
# link, so that a link moved to another copy (a failover) is followed there.
(cd "$T_TMP" && "$BIN/carctl" init --replica later.git "$T_TMP/relrep" >/dev/null 2>&1)
t_match 'init --replica of a relative path not there yet: kept absolute' \
	"$(grep '^url:' "$T_TMP/relrep/state/.git/rental-primary")" "url: \"?$T_TMP/later.git\"?\$"
git clone -q --bare "$H/state/.git" "$T_TMP/later.git"
(cd / && "$BIN/dispatcher" --home "$T_TMP/relrep" --once >/dev/null 2>&1)
t_eq '... followed from elsewhere once it is there' "$(git_main "$T_TMP/relrep/state/.git")" "$(git_main "$H/state/.git")"
mkdir "$T_TMP/work"
(cd "$T_TMP/work" && "$BIN/carctl" init --replica ../later.git "$T_TMP/uprep" >/dev/null 2>&1)
rmdir "$T_TMP/work"
t_match '... a path up from there: made plain (no folder it went through needed since)' \
	"$(grep '^url:' "$T_TMP/uprep/state/.git/rental-primary")" "url: \"?$T_TMP/later.git\"?\$"
mkdir -p "$T_TMP/real/sub" "$T_TMP/work"
ln -s "$T_TMP/real/sub" "$T_TMP/work/down"
git clone -q --bare "$H/state/.git" "$T_TMP/real/m.git"
(cd "$T_TMP/work" && "$BIN/carctl" init --replica down/../m.git "$T_TMP/downrep" >/dev/null 2>&1)
t_match '... up through a symlink: where the kernel takes it (not work/m.git)' \
	"$(grep '^url:' "$T_TMP/downrep/state/.git/rental-primary")" "url: \"?$T_TMP/real/m.git\"?\$"
ln -s "$T_TMP/later.git" "$T_TMP/link.git"
carctl init --replica "$T_TMP/link.git" "$T_TMP/linkrep" >/dev/null 2>&1
t_match 'a path through a symlink: the link is kept' \
	"$(grep '^url:' "$T_TMP/linkrep/state/.git/rental-primary")" "url: \"?$T_TMP/link.git\"?\$"

# A replica whose first round failed: --check said "no commit yet; run 'carctl init'"
# (it had) and "has not answered for 0 s" (it never had).
run carctl init --replica "$T_TMP/nowhere/state" "$T_TMP/never"
t_eq 'a replica of a primary that is not there: 75' "$RC" 75
run dispatcher --home "$T_TMP/never" --check
t_eq '... --check: unhealthy' "$RC" 1
t_match '... saying it has not followed yet' "$ERR" 'state: no commit yet: this replica has not followed its primary yet'
t_match '... which has never answered' "$ERR" "replica: $T_TMP/nowhere/state has never answered: "
t_nomatch "... not to run carctl init, nor that it did not answer for 0 s" "$ERR" "run 'carctl init'|for 0 s"
t_refuse 75 '... carctl list on it: try again later (it listed no car, 0)' carctl --home "$T_TMP/never" list --json
t_match '... saying it has taken no history yet' "$ERR" 'a replica that has taken no history from its primary yet'
t_refuse 75 '... reserve list (it said unknown identity, 77)' reserve --home "$T_TMP/never" --as admin list

# main removed by hand on a replica that had followed: its readers answered as an
# empty home until the next round; 74, naming it, as on a primary.
t_ok 'the replica follows' dispatcher --home "$R" --once
rm -f "$R/state/.git/refs/heads/main" "$R/state/.git/packed-refs"
run env RENTAL_HOME="$R" "$BIN/carctl" list
t_eq 'main removed on a replica: carctl list 74 (it listed no car)' "$RC" 74
t_match '... saying the replica had followed' "$ERR" 'main names no commit, though this replica followed its primary to'
run dispatcher --home "$R" --check
t_match '... --check says it (not "has not followed yet")' "$ERR" 'though this replica followed its primary to'
t_ok '... the next round sets it again' dispatcher --home "$R" --once
t_ok '... carctl list reads' env RENTAL_HOME="$R" "$BIN/carctl" list

# A primary of an older release (layout 6, its commits signed): its replica said "no
# commit of its history is signed", and one already following said "nothing new" while
# the primary went on: the layout is named, and upgrading the primary is said.
mkdir "$T_TMP/old6" && tar xzf "$T_TESTS/fixtures/home-2026-12-06b.tgz" -C "$T_TMP/old6"
run carctl init --replica "$T_TMP/old6/home/state" "$T_TMP/rep6"
t_eq 'a replica of a layout-6 primary: refused (1)' "$RC" 1
t_match '... naming the layout and the upgrade' "$ERR" "history is in layout 6, an older release's: .*'dispatcher --upgrade' there"
t_nomatch '... not "no commit of its history is signed"' "$ERR" 'is signed'
# A replica whose main is in that layout (taken by an older release): told to upgrade
# the primary, not itself (which it may not: 77).
git --git-dir="$T_TMP/rep6/state/.git" fetch -q "$T_TMP/old6/home/state" main:refs/heads/main
run carctl --home "$T_TMP/rep6" list
t_eq 'a replica in layout 6: 78' "$RC" 78
t_match '... told to upgrade its primary' "$ERR" "an older release's, as its primary's: upgrade the primary"
run dispatcher --home "$T_TMP/rep6" --check
t_match '... and by --check' "$ERR" "as its primary's: upgrade the primary"
t_ok 'the primary upgraded' dispatcher --home "$T_TMP/old6/home" --upgrade
t_ok '... the replica follows it' dispatcher --home "$T_TMP/rep6" --once
t_eq '... and answers as the primary does' "$(carctl --home "$T_TMP/rep6" list --json)" "$(carctl --home "$T_TMP/old6/home" list --json)"

done_testing
