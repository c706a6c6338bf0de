# bench/peer.sh: how bench/run calls the SQLite peer for figure 5 (issue 4): the same
# verify-and-apply work as `dispatcher --once`, with SQLite (WAL, synchronous=FULL) as
# the store, and the ratio of the two. A POSIX sh fragment to paste into bench/run; it
# relies on run's $here, $work, now() and stats().
#
# The peer: `peer HOME DB` takes what waits in HOME/spool/new (at most 1000 files, in
# name order, as the dispatcher does), verifies, logs and decides each reserve event in
# one SQLite transaction, unlinks the taken files and fsyncs spool/new; it prints the
# number of events applied on stdout. Keys and cars come from HOME/state (the
# dispatcher applied key.add and car.add), so run the setup and one `dispatcher --once`
# before the first round, as run does already. Any other event type in the spool is an
# error (exit 70), so it must run on a spool holding only gen's reservations.
#
# Build (Makefile rule, beside gen; add peer to `all` and `clean`):
#   peer: peer.c $(TOP)/lib/librental.a
#   	$(CC) $(CFLAGS) -I$(TOP)/lib $$(pkg-config --cflags $(PKGS) sqlite3) -o $@ peer.c \
#   		$(TOP)/lib/librental.a $$(pkg-config --libs $(PKGS) sqlite3) -lpthread
#
# A round: gen the batch, time the dispatcher on it; gen the same nights again (gen makes
# new ids each time) and time the peer on them. The peer keeps its own database across
# rounds ($work/peer.db, on the same disk as the home), so both sides carry the history
# of the rounds before; its nights never meet the dispatcher's, they are in another
# store. Both are alternated in the round so that the disk's drift falls on both.
#
#   : >"$work/p.ev"
#   for r in $(seq "$ROUNDS"); do
#   	... (figure 2's round, which spools and times the dispatcher) ...
#   	"$here/gen" "$home" c car "$EVENTS" $(((r - 1) * EVENTS)) 100 50
#   	peer_round "$home" "$work/peer.db" "$EVENTS" | awk '{ printf "%.0f\n", $1 * 1000 }' >>"$work/p.ev"
#   done
#   set -- $(stats <"$work/p.ev"); peer=$2; peer_s="$(us $1) / $(us $2) / $(us $3)"
#   echo
#   echo "5. SQLite peer, per applied event (us), batches of $EVENTS"
#   printf '   peer (SQLite WAL, sync FULL)    %s\n' "$peer_s"
#   printf '   dispatcher --once               %s   ratio %sx the peer\n' "$ev_s" "$(ratio "$ev" "$peer")"
#
# (stats rounds to whole numbers, so the awk above turns peer_round's microseconds
# into nanoseconds, the unit run's other figures keep until us() prints them.)

# peer_round HOME DB EVENTS: runs the peer once on what waits in HOME/spool/new and
# prints the wall time per event in microseconds (one decimal). Fails, saying why, if
# the peer fails or applies other than EVENTS events: a figure over skipped or
# quarantined files would flatter the peer.
peer_round() {
	_pr_t0=$(date +%s%N)
	_pr_n=$("$here/peer" "$1" "$2") || { echo "peer_round: the peer failed" >&2; return 1; }
	_pr_t1=$(date +%s%N)
	if [ "$_pr_n" != "$3" ]; then
		echo "peer_round: applied $_pr_n events, expected $3" >&2
		return 1
	fi
	awk -v ns=$((_pr_t1 - _pr_t0)) -v n="$3" 'BEGIN { printf "%.1f\n", ns / n / 1000 }'
}
