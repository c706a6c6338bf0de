#!/bin/sh
# 0210-keys-durable.t: a key file is made durable with its name: the file and the
# keys/ folder are fsynced before the command says it is done, key add's after the new
# key took its name (strace shows it).
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

scratch_home
if ! command -v strace >/dev/null 2>&1; then
	t_skip 'key add fsyncs keys/' 'no strace'
	t_skip 'key gen fsyncs keys/' 'no strace'
	done_testing
fi
# fsynced_dir CMD...: the fds fsynced by CMD that were opened on the keys folder.
fsynced_dir() {
	strace -f -e trace=openat,fsync,close,rename,renameat,renameat2 -o "$T_TMP/trace" "$BIN/carctl" "$@" >/dev/null 2>&1 </dev/null
	awk -v dir="$H/keys" '
		/openat\(/ { split($0, a, "= "); fd[a[2] + 0] = index($0, "\"" dir "\"") > 0 }
		/close\(/ { sub(/.*close\(/, ""); sub(/\).*/, ""); fd[$0 + 0] = 0 }
		/rename/ && index($0, dir "/") { n = 0 }
		/fsync\(/ { sub(/.*fsync\(/, ""); sub(/\).*/, ""); if (fd[$0 + 0]) n++ }
		END { print n + 0 }' "$T_TMP/trace"
}
t_eq 'carctl key add fsyncs keys/ after its key file takes its name' "$(fsynced_dir --as admin key add bob)" 1
t_eq 'carctl key gen fsyncs keys/ after making its key file' "$(fsynced_dir key gen carol)" 1
done_testing
