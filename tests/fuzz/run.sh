#!/bin/sh
# Builds the fuzz targets, then runs each one for SECONDS (default 600), all at once,
# growing its corpus in tests/fuzz/corpus/<name>/. Prints one summary line per target
# and exits non-zero if any target crashed (the crashing input is left in
# tests/fuzz/out/artifacts/; logs in tests/fuzz/out/<target>.log).
# Usage: tests/fuzz/run.sh [SECONDS [TARGET...]]   (default: every target)
# Environment: FUZZ_ARGS adds libFuzzer flags (e.g. FUZZ_ARGS=-seed=1);
# FUZZ_SKIP_KNOWN=1 makes fuzz_event look past the known kv_format bugs (fuzz_event.c).
set -u
secs=${1:-600}
case $secs in ''|*[!0-9]*) echo "usage: $0 [SECONDS [TARGET...]]" >&2; exit 64 ;; esac
[ $# -gt 0 ] && shift
targets=${*:-fuzz_event fuzz_config fuzz_apply}
here=$(cd "$(dirname "$0")" && pwd)
out="$here/out"
"$here/build.sh" $targets || exit 1
mkdir -p "$out/artifacts"

# target: its corpus and dictionary names, and its -timeout per input (fuzz_apply
# checks a rebuild of the whole log now and then, which takes longer as it grows).
corpus_of() { case $1 in fuzz_event) echo event ;; fuzz_config) echo config ;; fuzz_apply) echo apply ;; *) echo "${1#fuzz_}" ;; esac; }
timeout_of() { case $1 in fuzz_apply) echo 120 ;; *) echo 5 ;; esac; }

run_one() { # target
	c=$(corpus_of "$1")
	mkdir -p "$here/corpus/$c"
	rm -f "$out/$1.rc"
	# shellcheck disable=SC2086
	"$out/$1" -max_total_time="$secs" -max_len=8192 -timeout="$(timeout_of "$1")" -print_final_stats=1 \
		-dict="$here/$c.dict" -artifact_prefix="$out/artifacts/$1-" ${FUZZ_ARGS:-} \
		"$here/corpus/$c" >"$out/$1.log" 2>&1
	echo $? >"$out/$1.rc"
}

echo "fuzzing $targets for $secs s each (logs in $out)"
pids=
for t in $targets; do
	run_one "$t" &
	pids="$pids $!"
done
# shellcheck disable=SC2086
wait $pids

status=0
for t in $targets; do
	rc=$(cat "$out/$t.rc" 2>/dev/null || echo 1)
	execs=$(grep 'stat::number_of_executed_units' "$out/$t.log" | tail -n 1 | awk '{print $2}')
	if [ "$rc" = 0 ]; then
		verdict="no crash"
	else
		status=1
		art=$(grep -o "Test unit written to [^ ]*" "$out/$t.log" | tail -n 1 | sed 's/.* to //')
		what=$(grep -m 1 -E 'PROPERTY BROKEN|^==[0-9]+== ?ERROR|runtime error' "$out/$t.log")
		verdict="CRASHED (exit $rc): ${what:-see log}${art:+; input: $art}"
	fi
	printf '%s: %s executions, %s\n' "$t" "${execs:-?}" "$verdict"
done
exit $status
