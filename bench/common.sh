# bench/common.sh: what run and growth share (sourced): the commands, the statistics,
# and how a home of the benchmarks is made.
bin=$here/../bin

# stats: "min median max" of the numbers on stdin.
stats() { sort -g | awk '{ v[NR] = $1 } END { printf "%g %g %g\n", v[1], v[int((NR + 1) / 2)], v[NR] }'; }
# col N FILE: column N of FILE's lines (timed: 1 wall ns, 2 peak KiB, 3 user us, 4 system us).
col() { awk -v c="$1" '{ print $c }' "$2"; }
# us: "min / median / max" of nanoseconds on stdin, in microseconds.
us() { stats | awk '{ printf "%.1f / %.1f / %.1f", $1 / 1000, $2 / 1000, $3 / 1000 }'; }
# ratios A B: "min / median / max" of A's lines divided by B's, line by line (a round each).
ratios() { paste "$1" "$2" | awk '{ print $1 / $2 }' | stats | awk '{ printf "%.2f / %.2f / %.2f", $1, $2, $3 }'; }
median() { stats | awk '{ print $2 }'; }
# per N: each line's first number divided by N (a batch's time, an event's).
per() { awk -v n="$1" '{ print $1 / n }'; }
day() { date -u -d "$1 days" +%Y-%m-%d; }

# home_new HOME CUSTOMERS CARS: a home with the keys c0.. and the cars car0.. (rate
# 100), and a probe customer with three stays of a probe car, all applied.
home_new() {
	"$bin/carctl" init "$1" >/dev/null 2>&1
	(
		export RENTAL_HOME="$1" RENTAL_USER=admin
		for c in $(seq 0 $(($2 - 1))); do "$bin/carctl" key add "c$c" >/dev/null; done
		for c in $(seq 0 $(($3 - 1))); do "$bin/carctl" add "car$c" --rate 100 >/dev/null; done
		"$bin/carctl" key add probe >/dev/null
		"$bin/carctl" add probecar --rate 100 >/dev/null
	)
	apply "$1"
	for d in 10 40 70; do
		RENTAL_HOME=$1 RENTAL_USER=probe "$bin/reserve" probecar --from "$(day $d)" --to "$(day $((d + 2)))" >/dev/null
	done
	apply "$1"
}

# apply HOME: `dispatcher --once` until it has applied the spool. A dispatcher killed
# by a signal is counted in $work/crashes and run again: the design makes that safe
# (nothing applied twice or lost), and a crash is a bug the figures then name.
apply() {
	until RENTAL_HOME=$1 "$bin/dispatcher" --once --quiet; do
		rc=$?
		[ "$rc" -ge 128 ] || return "$rc"
		echo "$rc" >>"$work/crashes"
	done
}

# timed_apply HOME FILE: `dispatcher --once` timed into FILE; 2 if it was killed by a
# signal (counted, and its batch then applied untimed).
timed_apply() {
	rc=0
	RENTAL_HOME=$1 "$here/timed" -o "$2" "$bin/dispatcher" --once --quiet || rc=$?
	[ "$rc" -ge 128 ] || return "$rc"
	echo "$rc" >>"$work/crashes"
	apply "$1"
	return 2
}

# crashes: how many runs of the dispatcher a signal killed.
crashes() { cat "$work/crashes" 2>/dev/null | wc -l; }

# log_head HOME: how many events the home's log holds.
log_head() { git -C "$1/state" cat-file blob main:log/head | sed 's/seq: //'; }

# applied_batch HOME EVENTS: fails, saying why, unless the last batch accepted EVENTS
# reservations and left nothing in the spool: a figure over rejected or quarantined
# events would measure less work.
applied_batch() {
	n=$(git -C "$1/state" log -1 --format=%B main | grep -c ' reservation\.accepted ' || true)
	left=$(find "$1/spool/new" "$1/spool/bad" -type f | wc -l)
	[ "$n" = "$2" ] && [ "$left" = 0 ] && return 0
	echo "bench: $1: the batch accepted $n of $2 reservations, $left files left in the spool" >&2
	return 1
}
