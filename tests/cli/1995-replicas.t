#!/bin/sh
# 1995-replicas.t: three hosts, each a network namespace that this test makes and
# removes, joined by veth links on addresses that exist only inside them:
#
#   branch-a 10.200.1.2 ---- 10.200.1.1 hq 10.200.2.1 ---- 10.200.2.2 branch-b
#
# hq is the primary: its dispatcher daemon applies the spool and pushes main to the
# mirror on branch-b (git://, a git daemon there takes pushes), and it serves its
# state with git daemon. branch-a's replica follows hq over git://; branch-b's
# follows the mirror beside it. Checked: every batch reaches both replicas, which
# read as the primary; a writer on branch-a writes through the shared spool (one
# file system stands for the NFS mount); a link cut delays no batch of the primary,
# --check names the remote that lags, and the replicas catch up once it is
# restored; a forged commit on the mirror and a forced rewrite on hq are refused.
# Skipped, saying why, where namespaces cannot be made.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

skip_all() {
	t_skip 'three hosts replicate' "$1"
	done_testing
}
[ "$(id -u)" = 0 ] || skip_all 'network namespaces need root'
for tool in ip git openssl base64 ssh-keygen; do
	command -v $tool >/dev/null 2>&1 || skip_all "no $tool"
done
[ -x "$(git --exec-path)/git-daemon" ] || skip_all 'no git daemon'

NS_HQ=rnt$$hq NS_A=rnt$$a NS_B=rnt$$b
NSES=
ns_cleanup() {
	for _ns in $NSES; do
		ip netns pids "$_ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "$_ns" 2>/dev/null
	done
}
trap 'ns_cleanup; _t_cleanup' EXIT
# host NAME ADDRESS...: a namespace with loopback up.
host() {
	ip netns add "$1" 2>"$T_TMP/.ns.err" || return 1
	NSES="$NSES $1"
	ip -n "$1" link set lo up
}
# link NS1 ADDR1 NS2 ADDR2 NAME: a veth pair NAME0 in NS1 and NAME1 in NS2, with /24s.
link() {
	ip link add "${5}0" netns "$1" type veth peer name "${5}1" netns "$3" &&
		ip -n "$1" addr add "$2/24" dev "${5}0" && ip -n "$1" link set "${5}0" up &&
		ip -n "$3" addr add "$4/24" dev "${5}1" && ip -n "$3" link set "${5}1" up
}
if ! host "$NS_HQ" || ! host "$NS_A" || ! host "$NS_B" ||
	! link "$NS_HQ" 10.200.1.1 "$NS_A" 10.200.1.2 "rv$$a" ||
	! link "$NS_HQ" 10.200.2.1 "$NS_B" 10.200.2.2 "rv$$b"; then
	skip_all "network namespaces cannot be made here: $(head -n 1 "$T_TMP/.ns.err" 2>/dev/null)"
fi
on() { _on=$1; shift; ip netns exec "$_on" "$@"; }

# bg NS CMD...: runs CMD in NS in the background, killed at the end.
bg() {
	_bg=$1
	shift
	ip netns exec "$_bg" "$@" </dev/null &
	T_PIDS="$T_PIDS $!"
	LAST_PID=$!
}

# ---- hq, its git daemon, the mirror on branch-b ----
shop hq
P=$H
mkdir -p "$T_TMP/b"
git init -q --bare "$T_TMP/b/mirror.git"
MIRROR=git://10.200.2.2/mirror.git
printf 'replicate: {remotes: ["%s"], max_lag_seconds: 4}\n' "$MIRROR" >>"$P/config/rental.yaml"
bg "$NS_HQ" git daemon --export-all --reuseaddr --listen=10.200.1.1 --base-path="$T_TMP" "$T_TMP" 2>"$T_TMP/gd-hq.err"
bg "$NS_B" git daemon --export-all --enable=receive-pack --reuseaddr --listen=10.200.2.2 \
	--base-path="$T_TMP/b" "$T_TMP/b" 2>"$T_TMP/gd-b.err"
t_wait 'hq serves its state with git daemon' 10 on "$NS_A" git ls-remote git://10.200.1.1/hq/state main
t_wait 'branch-b'"'"'s git daemon answers' 10 on "$NS_HQ" git ls-remote "$MIRROR"
t_ok 'hq pushes main to the mirror on branch-b' on "$NS_HQ" "$BIN/dispatcher" --home "$P" --push

# ---- the replicas ----
A=$T_TMP/branch-a
B=$T_TMP/branch-b
t_ok 'branch-a: carctl init --replica git://hq/state' on "$NS_A" "$BIN/carctl" init --replica \
	git://10.200.1.1/hq/state "$A"
t_ok 'branch-b: carctl init --replica of the mirror beside it, trusting hq'"'"'s key' on "$NS_B" \
	"$BIN/carctl" init --replica "$T_TMP/b/mirror.git" "$B" --trust "$(dispatcher --home "$P" --allowed-signers)"
printf 'replicate: {max_lag_seconds: 4}\n' >>"$A/config/rental.yaml"
printf 'replicate: {max_lag_seconds: 4}\n' >>"$B/config/rental.yaml"
bg "$NS_HQ" "$BIN/dispatcher" --home "$P" 2>"$T_TMP/hq.err"
HQ_PID=$LAST_PID
bg "$NS_A" "$BIN/dispatcher" --home "$A" 2>"$T_TMP/a.err"
bg "$NS_B" "$BIN/dispatcher" --home "$B" 2>"$T_TMP/b.err"

main_of() { git --git-dir="$1/state/.git" rev-parse -q --verify main; }
drained() { [ -z "$(ls "$P/spool/new")" ]; }
# applied CMD...: runs CMD on hq (its output in OUT), then waits for hq's daemon to
# apply it: ms the time it took.
applied() {
	_ap0=$(date +%s%N)
	run "$@"
	while ! drained; do sleep 0.05; done
	ms=$((($(date +%s%N) - _ap0) / 1000000))
}
# caught_up DESC HOME [SECONDS]: waits for HOME's main to be hq's.
caught_up() {
	t_wait "$1" "${3:-15}" sh -c '[ "$(git --git-dir="$1/state/.git" rev-parse main)" = "$(git --git-dir="$2/state/.git" rev-parse main)" ]' - "$2" "$P"
}
same_reads() {
	for _sr in 'carctl list --json' 'carctl key list --json' 'reserve --as admin list --json' \
		'rent --as admin list --json' 'mypage --as alice --json'; do
		t_eq "$1: $_sr" "$(on "$2" "$BIN/${_sr%% *}" --home "$3" ${_sr#* } 2>&1)" \
			"$("$BIN/${_sr%% *}" --home "$P" ${_sr#* } 2>&1)"
	done
}

# ---- every batch reaches both replicas ----
RENTAL_HOME=$P
commits=
for car in car03 car04 car05; do
	applied carctl --as admin add $car --rate 40000 --model "Ray $car"
	commits="$commits $(main_of "$P")"
done
applied reserve --as alice car03 --from 2028-03-01 --to 2028-03-04
res=$OUT
commits="$commits $(main_of "$P")"
applied pay --as alice "$res"
commits="$commits $(main_of "$P")"
caught_up 'branch-a follows every batch' "$A"
caught_up 'branch-b follows every batch (through the mirror)' "$B"
for c in $commits; do
	t_ok "batch $(printf %.12s "$c") is in branch-a's history" git --git-dir="$A/state/.git" merge-base --is-ancestor "$c" main
	t_ok "... and in branch-b's" git --git-dir="$B/state/.git" merge-base --is-ancestor "$c" main
done
same_reads 'branch-a reads as hq' "$NS_A" "$A"
same_reads 'branch-b reads as hq' "$NS_B" "$B"
dispatcher --allowed-signers >"$T_TMP/signers"
t_eq 'stock git verifies branch-b'"'"'s history' \
	"$(git --git-dir="$B/state/.git" -c gpg.ssh.allowedSignersFile="$T_TMP/signers" log --format=%G? main | sort -u)" G
t_ok 'hq is healthy' on "$NS_HQ" "$BIN/dispatcher" --home "$P" --check
t_ok 'branch-a is healthy' on "$NS_A" "$BIN/dispatcher" --home "$A" --check

# ---- a writer on branch-a, through the shared spool ----
cp "$P/keys/bob.key" "$A/keys/"
run on "$NS_A" "$BIN/reserve" --home "$A" --as bob car04 --from 2028-04-01 --to 2028-04-03
t_eq 'bob on branch-a without spool: is refused (77)' "$RC" 77
printf 'spool: %s/spool\n' "$P" >>"$A/config/rental.yaml"
run on "$NS_A" "$BIN/reserve" --home "$A" --as bob car04 --from 2028-04-01 --to 2028-04-03
bres=$OUT
t_eq 'with spool: naming hq'"'"'s spool (as an NFS mount would), bob reserves on branch-a' "$RC" 0
t_wait '... hq applies it, branch-a shows it RESERVED' 15 sh -c \
	'"$1" --home "$2" --as bob list --json | grep -q "\"reservation\":\"$3\".*\"status\":\"RESERVED\""' - "$BIN/reserve" "$A" "$bres"
caught_up '... and branch-b has it too' "$B"

# ---- the link to branch-b cut: hq never waits, --check names the remote ----
ip -n "$NS_B" link set "rv$$b1" down
slow=0
for car in car06 car07 car08; do
	applied carctl --as admin add $car --rate 40000
	[ "$ms" -lt 2000 ] || slow="$slow $car:${ms}ms"
done
t_eq 'link to branch-b cut: each batch on hq is applied at once (under 2 s)' "$slow" 0
t_wait 'hq --check fails once the mirror lags more than 4 s' 20 sh -c '! ip netns exec "$1" "$2" --home "$3" --check 2>/dev/null' \
	- "$NS_HQ" "$BIN/dispatcher" "$P"
run on "$NS_HQ" "$BIN/dispatcher" --home "$P" --check
t_match '... naming it' "$ERR" "replicate: git://10\\.200\\.2\\.2/mirror\\.git lags [0-9]+ s behind main"
caught_up '... while branch-a keeps up' "$A"
ip -n "$NS_B" link set "rv$$b1" up
caught_up 'the link restored, branch-b catches up' "$B" 30
t_wait '... and hq is healthy again' 15 on "$NS_HQ" "$BIN/dispatcher" --home "$P" --check

# ---- the link to branch-a cut: its replica says so, then catches up ----
ip -n "$NS_A" link set "rv$$a1" down
applied carctl --as admin add car09 --rate 40000
t_eq 'link to branch-a cut: hq applies at once' "$((ms < 2000))" 1
t_wait 'branch-a --check fails once hq has not answered for 4 s' 20 sh -c '! ip netns exec "$1" "$2" --home "$3" --check 2>/dev/null' \
	- "$NS_A" "$BIN/dispatcher" "$A"
run on "$NS_A" "$BIN/dispatcher" --home "$A" --check
t_match '... saying hq does not answer' "$ERR" "replica: git://10\\.200\\.1\\.1/hq/state has not answered for [0-9]+ s"
ip -n "$NS_A" link set "rv$$a1" up
caught_up 'the link restored, branch-a catches up' "$A" 30
same_reads 'branch-a reads as hq again' "$NS_A" "$A"

# ---- a forged commit on the mirror: branch-b refuses it ----
good=$(main_of "$P")
forge_commit "$T_TMP/b/mirror.git" "100644 $(blob_of "$T_TMP/b/mirror.git" junk)	junk" >/dev/null
t_wait 'a forged commit on the mirror: branch-b refuses it' 15 sh -c \
	'ip netns exec "$1" "$2" --home "$3" --check 2>&1 | grep -q "refused the history of .*: commit [0-9a-f]* is not signed"' \
	- "$NS_B" "$BIN/dispatcher" "$B"
t_eq '... and keeps its last good state' "$(main_of "$B")" "$good"
same_reads '... from which it answers' "$NS_B" "$B"
git --git-dir="$T_TMP/b/mirror.git" update-ref refs/heads/main "$good"
applied carctl --as admin add car10 --rate 40000
caught_up '... the mirror put right, branch-b follows again' "$B" 30

# ---- a forced rewrite on hq: branch-a refuses it, and the mirror will not take it ----
t_stop_daemon "$HQ_PID" 0 'hq: '
good=$(main_of "$P")
state_git update-ref refs/heads/main "$(state_git rev-parse main~2)"
rm -f "$P/state/.git/rental-logged" # on purpose: hq goes on from there (1972)
carctl --as admin add car11 --rate 1 >/dev/null 2>&1
t_ok 'hq rewritten: main reset two batches back, and a batch on it' on "$NS_HQ" "$BIN/dispatcher" --home "$P" --once
t_wait 'branch-a refuses the rewritten history' 15 sh -c \
	'ip netns exec "$1" "$2" --home "$3" --check 2>&1 | grep -q "a rewritten history"' - "$NS_A" "$BIN/dispatcher" "$A"
t_eq '... and keeps its last good state' "$(main_of "$A")" "$good"
run on "$NS_HQ" "$BIN/dispatcher" --home "$P" --push
t_eq 'the mirror refuses the rewrite (not a fast forward): --push exits 1' "$RC" 1
t_eq '... branch-b keeps the good history' "$(main_of "$B")" "$good"

# The link cut, and (if hq looked at the mirror meanwhile: every 2 s) the forged
# commit on it: each said once when it began, and once when it ended.
failed=$(grep -c 'mirror.git: push' "$T_TMP/hq.err")
again=$(grep -c 'mirror.git: has main .*, answering again' "$T_TMP/hq.err")
t_eq "hq's log says once that the mirror failed, and once that it answers again ($failed, $again)" \
	"$([ "$failed" -ge 1 ] && [ "$failed" -le 2 ] && [ "$failed" = "$again" ] && echo yes)" yes
done_testing
