#!/bin/sh
# kill.sh [N]: SIGKILL torture of the dispatcher (DESIGN.md invariants 1, 2 and 4).
#
# In a scratch home, registers 5 customers and 5 cars, then plays rounds. Each round
# writes a spool of mixed valid events with the real commands (new reservations, some
# of them clashing with one written just before in the same round, payments, cancels,
# returns, payment cancels, ratings, car and key registrations, car changes and
# removals, blocks and their ends, key revocations), planned from a model of the
# applied state so that every command's early check passes. A car is returned once
# its stay has begun: the stays to return are booked from today on a car of their
# own (car0), one at a time, paid the next round and returned the one after. The
# round is then drained by `dispatcher --once` while a loop kills it: start it in the
# background, sleep a random 0..W ms, kill -9, and again, until a run exits on its own
# with status 0. The kills are counted; rounds go on until at least N kills happened
# (default 1000) and at least KILL_MIN_ROUNDS rounds were played.
#
# After the last round, checks:
#   - every event a command wrote (a printed id, or for cars, keys, cancels and returns
#     the type line and its car/name/reservation) is in exactly one file of the log, log/
#     in the tree of main (the state is that tree, read with git: CONTRACT "Home,
#     identity, keys"; the same count as log_count_id of tests/lib.sh), no id is in the
#     log twice, and the log holds no event that no command wrote;
#   - spool/new and spool/bad are empty;
#   - every reservation has the status the model expects (clashes REJECTED, ...);
#   - the state (main's tree) equals, byte for byte, that of a reference home fed the
#     same spool files and drained without kills ("after restart the state is what it
#     would have been");
#   - state/ holds nothing but .git (state_checkout, from tests/worktree.sh) and `git -C state fsck --strict` is clean;
#   - `dispatcher --rebuild` exits 0 (the state is what the log gives) and --check is 0.
# Prints the figures (kills survived, events checked, rounds); exits 1 on any violation,
# 2 on a usage or setup problem.
#
# The kill window W: a batch commits all or nothing, so a run killed before its commit
# has done nothing, and a window shorter than a run never lets a round end (here a
# batch cost about 100 ms whatever its size on a young home, and seconds after a few
# hundred batches). So each round's window is the larger of KILL_MAX_MS (50) ms and
# KILL_WINDOW_PCT (125) percent of the time the reference home (below) took to drain
# the same spool without kills; and after KILL_STALL (8) kills in a row that moved
# nothing (log head and spool/new unchanged) it grows by half. The figures say how
# large it got.
#
# Environment: BIN (programs, default ../../bin from here), KILL_NEW (new reservations
# per round, default 8; a round holds about 3 times as many events), KILL_MAX_MS,
# KILL_WINDOW_PCT, KILL_STALL, KILL_ROUND_MAX (kills in one round before it counts as
# a livelock, 400), KILL_MIN_ROUNDS (rounds played at least, however soon the kills
# are counted: 3, so that later rounds meet the state the killed ones left), KILL_SEED (random seed), KILL_KEEP=1 (keep the scratch folder; it
# is always kept on a violation), KILL_KEEP_GOING=1 (after a dispatcher run that fails because a kill
# left a stale libgit2 lock file, .git/index.lock or .git/refs/heads/main.lock, remove
# it and go on, to look for more; the run still fails), KILL_VERBOSE=1, TMPDIR.

N=${1:-1000}
case $N in '' | *[!0-9]*) echo "usage: kill.sh [N]" >&2; exit 2 ;; esac
here=$(cd "$(dirname "$0")" && pwd -P) || exit 2
: "${BIN:=$here/../../bin}"
BIN=$(cd "$BIN" && pwd -P) || exit 2
. "$here/../worktree.sh"
: "${KILL_NEW:=8}" "${KILL_MAX_MS:=50}" "${KILL_WINDOW_PCT:=125}" "${KILL_STALL:=8}"
: "${KILL_ROUND_MAX:=400}" "${KILL_MIN_ROUNDS:=3}"
unset RENTAL_HOME RENTAL_USER
LC_ALL=C
export LC_ALL

for p in carctl reserve pay rent rate dispatcher; do
	[ -x "$BIN/$p" ] || { echo "kill.sh: $BIN/$p: not built (run make)" >&2; exit 2; }
done
sleep 0.001 2>/dev/null || { echo "kill.sh: sleep does not take fractions of a second" >&2; exit 2; }
if command -v timeout >/dev/null 2>&1; then TO="timeout 300"; else TO=; fi

W_DIR=$(mktemp -d "${TMPDIR:-/tmp}/rental-kill.XXXXXX") || exit 2
H=$W_DIR/home
REF=$W_DIR/ref
violations=0
dpid=
cleanup() {
	[ -n "$dpid" ] && kill -9 "$dpid" 2>/dev/null
	if [ "$violations" -gt 0 ] || [ -n "$KILL_KEEP" ]; then
		echo "kill.sh: scratch folder kept: $W_DIR" >&2
	else
		rm -rf "$W_DIR"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

violation() {
	violations=$((violations + 1))
	printf 'kill.sh: VIOLATION: %s\n' "$*" >&2
}

# A linear congruential generator: RND is the next number in 0..2^31-1.
seed=${KILL_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
RND=$((seed % 2147483648))
rand() {
	RND=$(((RND * 1103515245 + 12345) % 2147483648))
}
# msec MS: MS milliseconds as sleep(1) takes them.
msec() {
	printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000))
}

# ---- setup: the home, a reference copy, customers and cars ----

if ! "$BIN/carctl" init "$H" >/dev/null 2>"$W_DIR/init.err"; then
	cat "$W_DIR/init.err" >&2
	exit 2
fi
# The reference home: the same keys and genesis; it gets a copy of every round's spool
# and drains it without kills.
cp -pR "$H" "$REF" || exit 2
export RENTAL_HOME="$H"

: >"$W_DIR/expect"  # one line per event a command wrote: "id ID" or "TYPE KEY"
: >"$W_DIR/model"   # res car customer from to expected-status flag
: >"$W_DIR/cars.x"  # extra cars registered (applied), oldest first
printf 'c1\nc2\nc3\nc4\nc5\n' >"$W_DIR/customers"
printf 'car1\ncar2\ncar3\ncar4\ncar5\n' >"$W_DIR/cars"
: >"$W_DIR/blocks" # blocks in force (applied), oldest first
# New bookings start next year: a stay starts at most 1,096 days ahead, so the two
# years after this one hold 2 x 108 x 5 of them (KILL_NEW a round: 135 rounds of 8).
Y0=$(($(date -u +%Y) + 1))
slot=0 dc=0 nblk=0 round=0 kills=0 events=0 win=$KILL_MAX_MS win_max=0 win_min=0 grew=0 ref_ms=0 wedged=0
cmd_failures=0

# do_cmd WHAT PROG ARGS...: run a writing command; on success append its expectation
# and a result line for the model, else count a violation (the plan said it is valid).
# WHAT is the result line (with @ for the printed id); the expectation is derived.
do_cmd() {
	_what=$1
	shift
	_out=$("$@" 2>"$W_DIR/cmd.err" </dev/null)
	_rc=$?
	if [ "$_rc" -ne 0 ] || [ -z "$_out" ]; then
		cmd_failures=$((cmd_failures + 1))
		violation "round $round: $* exited $_rc, though the model says it is valid: $(cat "$W_DIR/cmd.err")"
		return 1
	fi
	_what=$(printf '%s' "$_what" | sed "s/@/$_out/")
	printf '%s\n' "$_what" >>"$W_DIR/results"
	set -- $_what
	case $1 in
	reserve | clash | pay | rate | block) echo "id $2" ;;
	unblock) echo "car.unblock $2" ;;
	carset) echo "car.set $2" ;;
	keyrm) echo "key.rm $2" ;;
	cancel) echo "reserve.cancel $2" ;;
	paycancel) echo "pay.cancel $2" ;;
	return) echo "rent.return $2" ;;
	caradd) echo "car.add $2" ;;
	carrm) echo "car.rm $2" ;;
	keyadd) echo "key.add $2" ;;
	esac >>"$W_DIR/expect"
	events=$((events + 1))
	return 0
}

# plan: the actions of this round from the model (one a line, see execute).
plan() {
	awk -v round="$round" -v nnew="$KILL_NEW" -v slot="$slot" -v dc="$dc" -v y0="$Y0" \
		-v today="$(date -u +%F)" -v tomorrow="$(date -u -d '+1 day' +%F)" \
		-v custfile="$W_DIR/customers" -v carfile="$W_DIR/cars" -v statefile="$W_DIR/plan.state" '
	BEGIN {
		while ((getline l < custfile) > 0) cust[++nc] = l
		while ((getline l < carfile) > 0) car[++ncar] = l
	}
	# Reservations applied before this round: pay, cancel, return, rate ...
	$2 == "car0" {
		# A stay from today: paid, then returned, then rated or not.
		res = $1; who = $3; st = $6; flag = $7
		if (st == "RESERVED") { print "pay", res, who; busy = 1 }
		else if (st == "RENTED") { print "return", res, who; busy = 1 }
		else if (st == "RETURNED" && flag == "-") {
			if (dc % 4 == 3) print "norate", res
			else print "rate", res, who, 1 + dc % 5
			dc++
		}
		next
	}
	{
		res = $1; who = $3; st = $6; flag = $7
		actor = (dc % 5 == 4) ? "admin" : who
		if (st == "RENTED") {
			# Its stay has not begun: it cannot be returned yet.
			print "paycancel", res, actor
			dc++
		} else if (st == "RETURNED" && flag == "-") {
			if (dc % 4 == 3) print "norate", res
			else print "rate", res, who, 1 + dc % 5
			dc++
		} else if (st == "RESERVED" && flag == "new") {
			d = dc % 4
			if (d <= 1) print "pay", res, who
			else if (d == 2) print "cancel", res, actor
			else print "hold", res
			dc++
		}
	}
	function pad(n) { return n < 10 ? "0" n : n }
	END {
		# ... and new bookings, each in its own two nights of one car, from next
		# year on, 108 a car a year; every fourth is followed by a clashing one of
		# another customer. Once the two years a stay may start in are full (a long
		# run on a slow machine), rounds go on without new ones.
		for (i = 0; i < nnew; i++) {
			c = car[1 + slot % ncar]
			s = int(slot / ncar)
			if (s >= 216)
				break
			y = y0 + int(s / 108)
			m = 1 + int((s % 108) / 9)
			d = 1 + 3 * (s % 9)
			k = (slot + int(slot / ncar)) % nc
			from = y "-" pad(m) "-" pad(d)
			print "reserve", c, cust[1 + k], from, y "-" pad(m) "-" pad(d + 2)
			# the same nights, or shifted by one (still one night in common)
			sh = slot % 8 == 7 ? 1 : 0
			if (slot % 4 == 3)
				print "clash", c, cust[1 + (k + 1) % nc], y "-" pad(m) "-" pad(d + sh), y "-" pad(m) "-" pad(d + 2 + sh)
			slot++
		}
		if (!busy)
			print "reserve", "car0", cust[1 + round % nc], today, tomorrow
		print slot, dc > statefile
	}' "$W_DIR/model"
}

# execute: run the planned actions (stdin), in an order that mixes the event types.
execute() {
	while read -r a x y z u v; do
		case $a in
		reserve) do_cmd "reserve @ $x $y $z $u RESERVED new" "$BIN/reserve" --as "$y" "$x" --from "$z" --to "$u" ;;
		clash) do_cmd "clash @ $x $y $z $u REJECTED -" "$BIN/reserve" --as "$y" "$x" --from "$z" --to "$u" ;;
		pay) do_cmd "pay @ $x" "$BIN/pay" --as "$y" "$x" ;;
		cancel) do_cmd "cancel $x" "$BIN/reserve" --as "$y" cancel "$x" ;;
		return) do_cmd "return $x" "$BIN/rent" --as "$y" return "$x" ;;
		paycancel) do_cmd "paycancel $x" "$BIN/pay" --as "$y" cancel "$x" ;;
		rate) do_cmd "rate @ $x" "$BIN/rate" --as "$y" "$x" --stars "$z" --comment "round $round, $z stars" ;;
		hold | norate) echo "$a $x" >>"$W_DIR/results" ;;
		block) do_cmd "block @ $x" "$BIN/carctl" --as admin block "$x" --from "$y" --to "$z" --reason "round $round" ;;
		unblock) do_cmd "unblock $x" "$BIN/carctl" --as admin unblock "$x" ;;
		esac
	done
}

# update: the model after this round, from the results of the commands.
update() {
	awk 'FNR == NR {
		if ($1 == "reserve" || $1 == "clash") { add[++na] = $3 " " $4 " " $5 " " $6 " " $7 " " $8; addid[na] = $2; next }
		if ($1 == "pay") { st[$3] = "RENTED"; fl[$3] = "-" }
		else if ($1 == "cancel") st[$2] = "RESERVATION_CANCELED"
		else if ($1 == "return") { st[$2] = "RETURNED"; fl[$2] = "-" }
		else if ($1 == "paycancel") st[$2] = "PAYMENT_CANCELED"
		else if ($1 == "rate") fl[$3] = "rated"
		else if ($1 == "hold") fl[$2] = "hold"
		else if ($1 == "norate") fl[$2] = "norate"
		next
	}
	{
		if ($1 in st) $6 = st[$1]
		if ($1 in fl) $7 = fl[$1]
		else if ($7 == "new") $7 = "-"
		print
	}
	END { for (i = 1; i <= na; i++) print addid[i], add[i] }' "$W_DIR/results" "$W_DIR/model" >"$W_DIR/model.new" &&
		mv "$W_DIR/model.new" "$W_DIR/model"
}

log_head() {
	git --git-dir="$H/state/.git" cat-file blob main:log/head 2>/dev/null
	ls "$H/spool/new" 2>/dev/null | wc -l
}

now_ms() {
	_t=$(date +%s%N 2>/dev/null)
	case $_t in *[!0-9]* | '') echo 0 ;; *) echo $((_t / 1000000)) ;; esac
}

# drain_killing: drain the home with `dispatcher --once`, killed at random instants
# until a run ends on its own. Returns 1 on a violation that stops the rounds.
drain_killing() {
	rk=0 stall=0
	win=$((ref_ms * KILL_WINDOW_PCT / 100))
	[ "$win" -lt "$KILL_MAX_MS" ] && win=$KILL_MAX_MS
	[ "$win_min" -eq 0 ] || [ "$win" -lt "$win_min" ] && win_min=$win
	[ "$win" -gt "$win_max" ] && win_max=$win
	while :; do
		before=$(log_head)
		"$BIN/dispatcher" --once >/dev/null 2>"$W_DIR/run.err" </dev/null &
		dpid=$!
		rand
		sleep "$(msec $((RND % (win + 1))))"
		kill -9 "$dpid" 2>/dev/null
		wait "$dpid" 2>/dev/null
		rc=$?
		dpid=
		case $rc in
		0) break ;;
		137)
			kills=$((kills + 1))
			rk=$((rk + 1))
			if [ "$(log_head)" = "$before" ]; then
				stall=$((stall + 1))
				if [ "$stall" -ge "$KILL_STALL" ]; then
					win=$((win + win / 2))
					[ "$win" -gt "$win_max" ] && win_max=$win
					grew=$((grew + 1))
					stall=0
				fi
			else
				stall=0
			fi
			;;
		*)
			violation "round $round: dispatcher --once exited $rc after $rk kills in this round (no kill: it failed on its own): $(cat "$W_DIR/run.err")"
			locks=$(find "$H/state/.git" -name '*.lock' ! -name rental.lock)
			if [ -n "$KILL_KEEP_GOING" ] && [ -n "$locks" ] && [ "$violations" -lt 50 ]; then
				echo "kill.sh: removing the stale" $locks "and going on (KILL_KEEP_GOING)" >&2
				rm -f $locks
				wedged=$((wedged + 1))
				continue
			fi
			return 1
			;;
		esac
		if [ "$rk" -ge "$KILL_ROUND_MAX" ] || [ "$win" -gt 60000 ]; then
			violation "round $round: no run got through after $rk kills (window ${win} ms): livelock or hang"
			return 1
		fi
	done
	return 0
}

# feed_reference: copy what waits in spool/new into the reference home (the maildir
# way) and drain it there without kills.
feed_reference() {
	for f in "$H"/spool/new/*; do
		[ -e "$f" ] || continue
		b=${f##*/}
		cp "$f" "$REF/spool/tmp/$b" && mv "$REF/spool/tmp/$b" "$REF/spool/new/$b"
	done
	_t0=$(now_ms)
	$TO "$BIN/dispatcher" --home "$REF" --once >/dev/null 2>"$W_DIR/ref.err" </dev/null ||
		violation "round $round: the reference dispatcher (no kills) exited $?: $(cat "$W_DIR/ref.err")"
	ref_ms=$(($(now_ms) - _t0))
}

# ---- the rounds ----

echo "kill.sh: seed $seed, aiming at $N kills, scratch $W_DIR" >&2
while [ "$kills" -lt "$N" ] || [ "$round" -lt "$KILL_MIN_ROUNDS" ]; do
	round=$((round + 1))
	: >"$W_DIR/results"
	if [ "$round" -eq 1 ]; then
		for c in $(cat "$W_DIR/customers"); do
			do_cmd "keyadd $c" "$BIN/carctl" --as admin key add "$c"
		done
		r=10000
		for c in $(cat "$W_DIR/cars") car0; do
			do_cmd "caradd $c" "$BIN/carctl" --as admin add "$c" --rate "$r" --model "Model $c"
			r=$((r + 7000))
		done
	else
		plan >"$W_DIR/plan"
		read -r slot dc <"$W_DIR/plan.state"
		# Interleave: the new bookings, and between them what acts on older ones.
		awk '$1 == "reserve" || $1 == "clash" { n[++a] = $0; next } { o[++b] = $0 }
		END { i = j = 1; while (i <= a || j <= b) { if (i <= a) print n[i++]; if (j <= b) print o[j++]; if (j <= b) print o[j++] } }' \
			"$W_DIR/plan" >"$W_DIR/plan.mixed"
		# Every other round a block of a night no booking takes (the 27th: stays
		# take the 1st to the 26th), within the two years a block may start in, and
		# the end of the oldest block in force.
		if [ $((round % 2)) -eq 0 ]; then
			bm=$((nblk / 5))
			if [ "$bm" -lt 24 ]; then
				bc=$(sed -n "$((1 + nblk % 5))p" "$W_DIR/cars")
				by=$((Y0 + bm / 12)) bmo=$(printf '%02d' $((1 + bm % 12)))
				echo "block $bc $by-$bmo-27 $by-$bmo-28" >>"$W_DIR/plan.mixed"
				nblk=$((nblk + 1))
			fi
			[ -s "$W_DIR/blocks" ] && echo "unblock $(head -n 1 "$W_DIR/blocks")" >>"$W_DIR/plan.mixed"
		fi
		execute <"$W_DIR/plan.mixed" # not in a pipeline: its counts must stay
		# Now and then the fleet and the customers change too.
		if [ $((round % 3)) -eq 0 ]; then
			do_cmd "caradd x$round" "$BIN/carctl" --as admin add "x$round" --rate 5000
			if [ -s "$W_DIR/cars.x" ]; then
				old=$(head -n 1 "$W_DIR/cars.x")
				do_cmd "carrm $old" "$BIN/carctl" --as admin rm "$old" &&
					sed 1d "$W_DIR/cars.x" >"$W_DIR/cars.x.new" && mv "$W_DIR/cars.x.new" "$W_DIR/cars.x"
			fi
		fi
		# A car changed once, the round after it is registered.
		[ $((round % 3)) -eq 1 ] && [ "$round" -gt 3 ] &&
			do_cmd "carset x$((round - 1))" "$BIN/carctl" --as admin set "x$((round - 1))" --rate $((5000 + round)) --weekly 30000
		[ $((round % 5)) -eq 0 ] && do_cmd "keyadd n$round" "$BIN/carctl" --as admin key add "n$round" &&
			do_cmd "keyadd z$round" "$BIN/carctl" --as admin key add "z$round"
		# A key revoked the round after it is registered.
		[ $((round % 5)) -eq 1 ] && [ "$round" -gt 5 ] &&
			do_cmd "keyrm z$((round - 1))" "$BIN/carctl" --as admin key rm "z$((round - 1))"
	fi
	[ "$cmd_failures" -gt 20 ] && break
	feed_reference
	drain_killing || break
	[ "$round" -gt 1 ] && update
	# The blocks in force: those made this round in, the one ended out.
	sed -n 's/^block \([^ ]*\) .*/\1/p' "$W_DIR/results" >>"$W_DIR/blocks"
	if grep -q '^unblock ' "$W_DIR/results"; then
		sed 1d "$W_DIR/blocks" >"$W_DIR/blocks.new" && mv "$W_DIR/blocks.new" "$W_DIR/blocks"
	fi
	[ $((round % 3)) -eq 0 ] && echo "x$round" >>"$W_DIR/cars.x"
	[ $((round % 5)) -eq 0 ] && echo "n$round" >>"$W_DIR/customers"
	[ -n "$KILL_VERBOSE" ] && echo "kill.sh: round $round: $kills kills, $events events, window $win ms" >&2
done

# ---- the checks ----

cd "$H" || exit 2
# One run without kills: there must be nothing left to do.
$TO "$BIN/dispatcher" --once >/dev/null 2>"$W_DIR/last.err" </dev/null ||
	violation "a last dispatcher --once exited $?: $(cat "$W_DIR/last.err")"
n=$(ls -A spool/new | wc -l)
[ "$n" -eq 0 ] || violation "spool/new still holds $n files"
n=$(ls -A spool/bad | wc -l)
[ "$n" -eq 0 ] || violation "spool/bad holds $n files: $(cat spool/bad/*.reason 2>/dev/null | head -n 5)"

# The log, one line per file: id type actor key (key: the car, name or reservation
# the expectations name for events whose id no command prints). git grep of the empty
# pattern prints every line of the log's files, each as main:PATH:LINE.
git --git-dir=state/.git grep -a -e '' main -- 'log/*.yaml' | awk '
function emit() {
	if (f == "") return
	k = "-"
	if (type == "car.add" || type == "car.rm" || type == "car.set") k = car
	else if (type == "key.add" || type == "key.rm") k = name
	else if (type == "reserve.cancel" || type == "pay.cancel" || type == "rent.return") k = res
	else if (type == "car.unblock") k = blk
	print (id == "" ? "-" : id), type, actor, k
	f = id = type = actor = car = name = res = blk = ""
}
{ sub(/^main:/, ""); i = index($0, ":"); p = substr($0, 1, i - 1); $0 = substr($0, i + 1) }
p != f { emit(); f = p }
/^id: / { id = substr($0, 5) }
/^type: / { type = substr($0, 7) }
/^actor: / { actor = substr($0, 8) }
/^car: / { car = substr($0, 6) }
/^name: / { name = substr($0, 7) }
/^reservation: / { res = substr($0, 14) }
/^block: / { blk = substr($0, 8) }
END { emit() }' >"$W_DIR/logindex"

# Each expectation exactly once; no id twice; nothing that no command wrote.
awk -v expfile="$W_DIR/expect" '
{ n["id " $1]++; if ($4 != "-") n[$2 " " $4]++; if ($3 != "dispatcher") client++ }
END {
	bad = 0
	while ((getline l < expfile) > 0) {
		want++
		if (n[l] != 1) { printf "%s: in %d files of the log, not 1\n", l, n[l]; if (++bad > 20) break }
	}
	for (k in n)
		if (k ~ /^id / && n[k] > 1) { printf "%s: in %d files of the log\n", k, n[k]; if (++bad > 40) break }
	if (client != want + 2)
		printf "the log holds %d events written by clients, the commands wrote %d (+2 of carctl init)\n", client, want
}' "$W_DIR/logindex" >"$W_DIR/once.err"
[ -s "$W_DIR/once.err" ] && violation "exactly once: $(cat "$W_DIR/once.err")"
checked=$(wc -l <"$W_DIR/expect" | tr -d ' ')

# The statuses the model expects.
"$BIN/reserve" --as admin list --json >"$W_DIR/list.json" 2>"$W_DIR/list.err" ||
	violation "reserve --as admin list --json failed: $(cat "$W_DIR/list.err")"
sed -n 's/.*"reservation":"\([^"]*\)".*"status":"\([^"]*\)".*/\1 \2/p' "$W_DIR/list.json" >"$W_DIR/status"
awk 'FNR == NR { got[$1] = $2; listed++; next }
	{ total++; if (got[$1] != $6) { printf "%s (%s %s..%s): status %s, expected %s\n", $1, $2, $4, $5, got[$1] == "" ? "missing" : got[$1], $6; if (++bad > 20) exit } }
	END { if (total != listed) printf "%d reservations listed, %d made\n", listed, total }' \
	"$W_DIR/status" "$W_DIR/model" >"$W_DIR/status.err"
[ -s "$W_DIR/status.err" ] && violation "statuses: $(cat "$W_DIR/status.err")"
reservations=$(wc -l <"$W_DIR/model" | tr -d ' ')

# The same bytes as the reference home that was never killed: main's tree, every
# file's mode, blob and path, the same in both.
if git --git-dir=state/.git ls-tree -r main >"$W_DIR/tree.home" 2>"$W_DIR/tree.err" &&
	git --git-dir="$REF/state/.git" ls-tree -r main >"$W_DIR/tree.ref" 2>>"$W_DIR/tree.err"; then
	diff "$W_DIR/tree.ref" "$W_DIR/tree.home" >"$W_DIR/ref.diff" 2>&1 ||
		violation "state/ differs from the reference home drained without kills: $(head -n 10 "$W_DIR/ref.diff")"
else
	violation "state/ differs from the reference home: no tree of main to compare: $(head -n 10 "$W_DIR/tree.err")"
fi

st=$(state_checkout state)
[ -z "$st" ] || violation "work tree: state/ holds more than .git: $(printf '%s\n' "$st" | head -n 10)"
git -C state fsck --strict >"$W_DIR/fsck.out" 2>&1 ||
	violation "git fsck --strict in state/ failed: $(head -n 10 "$W_DIR/fsck.out")"
$TO "$BIN/dispatcher" --rebuild >/dev/null 2>"$W_DIR/rebuild.err" ||
	violation "dispatcher --rebuild exited $?: $(head -n 10 "$W_DIR/rebuild.err")"
"$BIN/dispatcher" --check >/dev/null 2>"$W_DIR/check.err" ||
	violation "dispatcher --check exited $?: $(cat "$W_DIR/check.err")"

echo "kills survived: $kills"
echo "events checked: $checked"
echo "rounds: $round"
echo "reservations: $reservations"
echo "kill window: $win_min..$win_max ms (grown $grew times after $KILL_STALL kills without progress)"
[ "$wedged" -gt 0 ] && echo "stale lock files removed (KILL_KEEP_GOING): $wedged"
echo "violations: $violations"
[ "$violations" -eq 0 ]
