#!/bin/sh
# Builds the fuzz targets, then runs each one for SECONDS (default 600), both at once,
# growing its corpus in tests/fuzz/corpus/<target>/. Prints one summary line per target
# and exits non-zero if any target crashed (the crashing input is left in
# tests/fuzz/out/artifacts/; logs in tests/fuzz/out/<target>.log).
# Usage: tests/fuzz/run.sh [SECONDS]
# Environment: FUZZ_ARGS adds libFuzzer flags (e.g. FUZZ_ARGS=-seed=1);
# FUZZ_SKIP_KNOWN=1 makes fuzz_event look past the known kv_format bugs (fuzz_event.c).
set -u
secs=${1:-600}
case $secs in ''|*[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 64 ;; esac
here=$(cd "$(dirname "$0")" && pwd)
out="$here/out"
"$here/build.sh" || exit 1
mkdir -p "$out/artifacts"

run_one() { # target corpus-name dict
	mkdir -p "$here/corpus/$2"
	rm -f "$out/$1.rc"
	# shellcheck disable=SC2086
	"$out/$1" -max_total_time="$secs" -max_len=8192 -timeout=5 -print_final_stats=1 \
		-dict="$here/$3" -artifact_prefix="$out/artifacts/$1-" ${FUZZ_ARGS:-} \
		"$here/corpus/$2" >"$out/$1.log" 2>&1
	echo $? >"$out/$1.rc"
}

echo "fuzzing fuzz_event and fuzz_config for $secs s each (logs in $out)"
run_one fuzz_event event event.dict &
p1=$!
run_one fuzz_config config config.dict &
p2=$!
wait $p1 $p2

status=0
for t in fuzz_event fuzz_config; do
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
