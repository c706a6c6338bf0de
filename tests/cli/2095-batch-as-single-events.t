#!/bin/sh
# 2095-batch-as-single-events.t: a batch decides as batches of one event each would
# (dispatch.c: each event admitted, then every context catching up with it). Rounds of
# random commands on a few bookings (pay, cancels, returns, ratings, price changes,
# removals, blocks, new bookings), sometimes with a context switched off, are applied
# twice from the same spool: in one batch, and one file a batch in the order the
# dispatcher takes them. Both give the same tree, log included, and a rebuild agrees.
# Seeds are fixed: a failure is the same on every run.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

ROUNDS=${ROUNDS:-4}
K=${K:-10}

# rnd N: R is a pseudo-random number in 0..N-1 (an LCG on seed).
rnd() {
	seed=$(((seed * 1103515245 + 12345) % 2147483648))
	R=$(((seed / 65536) % $1))
}
day() {
	date -u -d "+$1 days" +%F
}
# pick: a booking and its owner from $T_TMP/owned ("RES USER" lines), in r and u.
pick() {
	rnd "$(wc -l <"$T_TMP/owned")"
	set -- $(sed -n "$((R + 1))p" "$T_TMP/owned")
	r=$1 u=$2
}
# one_command: a random command on a random booking, car or user.
one_command() {
	pick
	rnd 3
	car=car0$((R + 1))
	rnd 11
	case $R in
	0 | 10) pay --as "$u" "$r" ;;
	1) reserve --as "$u" cancel "$r" ;;
	2) pay --as "$u" cancel "$r" ;;
	3) rent --as "$u" return "$r" ;;
	4) rnd 5 && rate --as "$u" "$r" --stars $((R + 1)) ;;
	5) rnd 5 && carctl --as admin set "$car" --rate $((1000 + R * 100)) ;;
	6) carctl --as admin rm "$car" ;;
	7)
		rnd 3
		who=$(echo alice bob carol | cut -d' ' -f$((R + 1)))
		rnd 6
		n=$(reserve --as "$who" "$car" --from "$(day $R)" --to "$(day $((R + 2)))") &&
			echo "$n $who" >>"$T_TMP/owned"
		;;
	8) rnd 6 && carctl --as admin block "$car" --from "$(day $R)" --to "$(day 7)" ;;
	9) carctl --as admin add "$car" --rate 1000 ;;
	esac >/dev/null 2>&1 </dev/null
	sleep 0.01 # each file its own tick, mostly: the order is then arrival's
}
tree() {
	git --git-dir="$1/state/.git" rev-parse 'main^{tree}'
}

for seed0 in 11 22 33; do
	seed=$seed0
	shop "home-$seed0"
	carctl --as admin add car03 --rate 1000 >/dev/null && dispatch
	: >"$T_TMP/owned"
	for round in $(seq "$ROUNDS"); do
		write_config
		for i in 1 2 3 4; do
			rnd 3
			who=$(echo alice bob carol | cut -d' ' -f$((R + 1)))
			rnd 3
			c=car0$((R + 1))
			rnd 6
			n=$(reserve --as "$who" "$c" --from "$(day $R)" --to "$(day $((R + 1)))" 2>/dev/null) &&
				echo "$n $who" >>"$T_TMP/owned"
		done
		dispatch
		off=
		rnd 3
		if [ "$R" = 0 ]; then
			rnd 6
			off=$(echo management reservation payment rental rating mypage | cut -d' ' -f$((R + 1)))
			write_config "$off=false"
		fi
		[ -s "$T_TMP/owned" ] || continue
		for i in $(seq "$K"); do one_command; done
		# The same home twice: one batch in a, a file a batch in b.
		a=$T_TMP/a b=$T_TMP/b
		rm -rf "$a" "$b" "$T_TMP/hold"
		cp -a "$H" "$a" && cp -a "$H" "$b" && mkdir "$T_TMP/hold"
		RENTAL_HOME=$a "$BIN/dispatcher" --once >/dev/null 2>&1
		order=$(cd "$b/spool/new" && python3 -c 'import os
n = os.listdir(".")
n.sort(key=lambda x: (os.stat(x).st_ctime_ns, x))
print("\n".join(n))')
		for f in $order; do mv "$b/spool/new/$f" "$T_TMP/hold/"; done
		for f in $order; do
			mv "$T_TMP/hold/$f" "$b/spool/new/"
			RENTAL_HOME=$b "$BIN/dispatcher" --once >/dev/null 2>&1
		done
		t_eq "seed $seed0, round $round (off: ${off:-none}): one batch = a batch an event" "$(tree "$a")" "$(tree "$b")"
		run env RENTAL_HOME="$a" "$BIN/dispatcher" --rebuild
		t_eq '... and a rebuild agrees' "$ERR" 'dispatcher: rebuild: 0 differences, state matches the log'
		rm -rf "$H" && cp -a "$a" "$H"
	done
done

done_testing
