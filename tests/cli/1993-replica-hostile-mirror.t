#!/bin/sh
# 1993-replica-hostile-mirror.t: what a replica fetches costs it a bounded share of its
# machine. Whoever can write the mirror a replica follows can make it send anything:
# here a blob of a few KiB in its pack that is 1 GiB when read (a delta of copies).
# The fetch runs in a child process that may take half the machine's memory, or what
# the dispatcher may take if less: over that the round fails with the reason, the
# dispatcher itself stays small, main stays where it was, and the next round, once
# the mirror is mended, follows. A daemon stopped while its child fetches ends then,
# and its child with it, where it used to finish the fetch first (12 s here).
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

for tool in git python3 prlimit; do
	if ! command -v $tool >/dev/null 2>&1; then
		t_skip 'a hostile mirror costs a replica bounded memory' "no $tool"
		done_testing
	fi
done

# peak_kib CMD...: runs CMD, setting OUT, ERR and RC as run does, and KIB to the peak
# memory, in KiB, of the largest process it made (itself or one of its children).
peak_kib() {
	python3 -c 'import resource, subprocess, sys
rc = subprocess.call(sys.argv[2:], stdin=subprocess.DEVNULL, stdout=open(sys.argv[1] + ".out", "w"), stderr=open(sys.argv[1] + ".err", "w"))
open(sys.argv[1] + ".rc", "w").write("%d" % rc)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$T_TMP/.peak" "$@" >"$T_TMP/.peak.kib"
	KIB=$(cat "$T_TMP/.peak.kib") RC=$(cat "$T_TMP/.peak.rc")
	OUT=$(cat "$T_TMP/.peak.out") ERR=$(cat "$T_TMP/.peak.err")
}

shop primary
P=$H
M=$T_TMP/mirror.git
R=$T_TMP/branch
book alice car01 2028-08-06 2028-08-08 >/dev/null
git clone -q --bare "$P/state/.git" "$M"
t_ok 'a replica of a mirror' carctl init --replica "$M" "$R"
good=$(git_main "$M")

bomb=$(python3 "$T_TESTS/fixtures/pack-bomb.py" "$M/objects/pack" 1)
t_eq 'the mirror holds a blob of 1 GiB in a few KiB' "$(git --git-dir="$M" cat-file -s "$bomb")" 1073741824
forge_commit "$M" "100644 $bomb	bomb" >/dev/null

# The dispatcher may take 512 MiB: so may its fetch. (AddressSanitizer maps terabytes
# at start: a limit is not for its builds.)
if t_asan; then
	t_skip 'a round fetching more than a fetch may take' 'built with AddressSanitizer'
else
	peak_kib prlimit --data=536870912 "$BIN/dispatcher" --home "$R" --once
	t_eq 'a round fetching more than a fetch may take fails: exit 75' "$RC" 75
	t_match '... saying why' "$ERR" "^dispatcher: $M: fetch: Out of memory \\(what the remote sent needs more than the 512 MiB a fetch may take\\); main stays at ${good%"${good#????????????}"}$"
	t_eq '... no process it made took more than it may' \
		"$([ "$KIB" -lt 524288 ] && echo less || echo "$KIB KiB")" less
	t_eq '... main stays where it was' "$(git_main "$R/state/.git")" "$good"
	t_match '--check names the reason' "$(dispatcher --home "$R" --check 2>&1)" 'Out of memory'
fi

# A daemon stopped while it fetches the blob (a child of 1 GiB).
"$BIN/dispatcher" --home "$R" 2>"$T_TMP/daemon.err" </dev/null &
pid=$!
t_wait 'the daemon follows' 10 grep -q '^dispatcher: following' "$T_TMP/daemon.err"
sleep 1
t_stop_daemon "$pid" 0
t_match '... its fetch stopped with it' "$(cat "$T_TMP/daemon.err")" "^dispatcher: $M: fetch: stopped; main stays"
t_nomatch '... not finished first' "$(cat "$T_TMP/daemon.err")" 'not signed'
t_eq '... and no fetch left running' "$(ps -eo args | grep -c "^$BIN/dispatcher --home $R$")" 0

# The mirror mended: the next round follows.
book bob car02 2028-09-01 2028-09-03 >/dev/null
git --git-dir="$M" fetch -q "$P/state/.git" +main:main
run dispatcher --home "$R" --once
t_eq 'the mirror mended, the next round follows' "$RC:$(git_main "$R/state/.git")" "0:$(git_main "$M")"

# A mirror that stops answering half way through its pack (served over HTTP by git
# upload-pack, cut after 6,000 bytes): the fetch's child is ended when the remote has
# been silent for the idle time, and what it had written of the pack is swept at once,
# not left to pile up round after round until the dispatcher starts again.
i=0
while [ $i -lt 20 ]; do
	carctl --home "$P" --as admin add "c$i" --rate 100 --model "$(head -c 600 /dev/urandom | base64 -w0 | head -c 200)" >/dev/null
	i=$((i + 1))
done
dispatch
git --git-dir="$M" fetch -q "$P/state/.git" +main:main
python3 -c 'import http.server, socket, subprocess, sys, time
repo = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    def log_message(self, *a): pass
    def do_GET(self):
        out = subprocess.run(["git", "upload-pack", "--stateless-rpc", "--advertise-refs", repo], capture_output=True).stdout
        self.send_response(200)
        self.send_header("Content-Type", "application/x-git-upload-pack-advertisement")
        self.end_headers()
        self.wfile.write(b"001e# service=git-upload-pack\n0000" + out)
    def do_POST(self):
        req = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        out = subprocess.run(["git", "upload-pack", "--stateless-rpc", repo], input=req, capture_output=True).stdout
        self.send_response(200)
        self.send_header("Content-Type", "application/x-git-upload-pack-result")
        self.end_headers()
        self.wfile.write(out[:6000])
        self.wfile.flush()
        time.sleep(60)
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()' "$M" >"$T_TMP/port" 2>/dev/null &
server=$!
t_wait 'a mirror over HTTP that stalls' 10 test -s "$T_TMP/port"
cp "$R/state/.git/rental-primary" "$T_TMP/primary.keep"
sed -i "s|^url:.*|url: http://127.0.0.1:$(cat "$T_TMP/port")/|" "$R/state/.git/rental-primary"
cp "$R/config/rental.yaml" "$T_TMP/settings.keep"
printf 'replicate: {max_lag_seconds: 2}\n' >>"$R/config/rental.yaml" # silent for 1 s: no answer
run dispatcher --home "$R" --once
t_eq 'a round whose mirror stalls mid-pack: no answer (75)' "$RC" 75
t_match '... saying so' "$ERR" 'fetch: no answer for 1 s'
t_eq '... nothing of its pack left behind' "$(ls "$R/state/.git/objects/pack" | grep -c '^pack_git2_\|^tmp_')" 0
kill "$server" 2>/dev/null
wait "$server" 2>/dev/null
cp "$T_TMP/primary.keep" "$R/state/.git/rental-primary"
cp "$T_TMP/settings.keep" "$R/config/rental.yaml"

# A dispatcher that is process 1 of its namespace (a container's only process): its
# fetch's child knows its parent by pid, not by its parent not being process 1.
book carol car01 2028-10-01 2028-10-03 >/dev/null
git --git-dir="$M" fetch -q "$P/state/.git" +main:main
if unshare --pid --fork --mount-proc true 2>/dev/null; then
	run unshare --pid --fork --mount-proc "$BIN/dispatcher" --home "$R" --once
	t_eq 'a replica'"'"'s dispatcher as process 1 follows' "$RC:$(git_main "$R/state/.git")" "0:$(git_main "$M")"
else
	t_skip 'a replica'"'"'s dispatcher as process 1 follows' 'no pid namespace here (unshare --pid)'
fi

done_testing
