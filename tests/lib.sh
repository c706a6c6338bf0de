# lib.sh: TAP helpers for the command-line tests (tests/cli/*.t).
#
# A test is a POSIX sh script that sources this file:
#
#	T_LIB=$(dirname "$0")/../lib.sh
#	. "$T_LIB"
#	scratch_home
#	t_ok 'carctl list works' carctl list
#	done_testing
#
# Every assertion prints one TAP line, `ok N - DESC` or `not ok N - DESC`,
# followed on failure by `# ` lines saying what the command did. done_testing
# prints the plan `1..N` (or use `plan N` first) and exits 1 if anything failed.
#
# BIN is the folder of the programs: by default ../bin relative to this file.
# Each scratch home lives in a temporary folder removed on exit (T_KEEP=1
# keeps it). Commands run under timeout(1) when it exists (T_TIMEOUT seconds).

: "${T_LIB:=$(dirname "$0")/../lib.sh}"
T_TESTS=$(cd "$(dirname "$T_LIB")" && pwd -P) || exit 99
: "${BIN:=$(cd "$T_TESTS/.." && pwd -P)/bin}"
case $BIN in
/*) ;;
*) BIN=$(cd "$BIN" 2>/dev/null && pwd -P || printf '%s/%s' "$PWD" "$BIN") ;;
esac
export BIN
. "$T_TESTS/worktree.sh"

# Under AddressSanitizer (make check SANITIZE=1), a command run by faketime(1) has
# libfaketime preloaded before ASan's runtime: let it be.
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
export ASAN_OPTIONS
# ... and LeakSanitizer passes over what libgit2 and libssh2 keep (tests/lsan.supp).
LSAN_OPTIONS=${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$T_TESTS/lsan.supp
export LSAN_OPTIONS
# Nothing from the caller's environment may choose the home or the identity.
unset RENTAL_HOME RENTAL_USER
LC_ALL=C
export LC_ALL
# A permissive umask, so that a key file created without an explicit
# mode 0600 shows up as such.
umask 022

: "${T_TIMEOUT:=60}"
T_N=0
T_FAILED=0
T_PLANNED=
T_PIDS=
T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/rental-test.XXXXXX") || exit 99

_t_cleanup() {
	for _t_pid in $T_PIDS; do
		kill -9 "$_t_pid" 2>/dev/null
	done
	if [ -n "$T_KEEP" ]; then
		printf '# kept %s\n' "$T_TMP"
	else
		rm -rf "$T_TMP"
	fi
}
trap _t_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# plan N: announce N assertions (optional: done_testing prints the plan if not).
plan() {
	T_PLANNED=$1
	printf '1..%d\n' "$1"
}

# done_testing: print the plan if none was given; exit 1 if anything failed.
done_testing() {
	[ -n "$T_PLANNED" ] || printf '1..%d\n' "$T_N"
	[ "$T_FAILED" -eq 0 ] || exit 1
	exit 0
}

# diag TEXT...: print TEXT as TAP diagnostic lines.
diag() {
	printf '%s\n' "$*" | sed 's/^/# /'
}

# _t_report STATUS DESC: one TAP line; STATUS 0 is a pass.
_t_report() {
	T_N=$((T_N + 1))
	if [ "$1" -eq 0 ]; then
		printf 'ok %d - %s\n' "$T_N" "$2"
	else
		T_FAILED=$((T_FAILED + 1))
		printf 'not ok %d - %s\n' "$T_N" "$2"
	fi
}

# _t_bin NAME ARGS...: run the program NAME from BIN, under $T_WRAP if set
# (make check VALGRIND=1 sets it to valgrind).
# The command's stack, its arguments and environment counted in, is limited to T_STACK
# KiB (soft and hard, for what it starts too): past the 128 KiB the kernel maps below
# the arguments at exec, a stack grows as memory is allocated, and where there is none
# (ulimit -v) that is a SIGSEGV, not an error a command can say (doc/CONVENTIONS.md,
# "The stack"). Not under AddressSanitizer, whose frames are larger, nor under a
# T_WRAP. Commands a test runs as "$BIN/..." are not limited.
_t_bin() {
	_t_bin_name=$1
	shift
	(
		[ -z "$T_STACK" ] || ulimit -s "$T_STACK"
		if command -v timeout >/dev/null 2>&1; then
			exec timeout "$T_TIMEOUT" ${T_WRAP:-} "$BIN/$_t_bin_name" "$@"
		else
			exec ${T_WRAP:-} "$BIN/$_t_bin_name" "$@"
		fi
	)
}

carctl() { _t_bin carctl "$@"; }
reserve() { _t_bin reserve "$@"; }
pay() { _t_bin pay "$@"; }
rent() { _t_bin rent "$@"; }
rate() { _t_bin rate "$@"; }
mypage() { _t_bin mypage "$@"; }
dispatcher() { _t_bin dispatcher "$@"; }

# run CMD...: run CMD with stdin from /dev/null; sets OUT, ERR (without the
# trailing newline) and RC. Never fails itself.
run() {
	"$@" >"$T_TMP/.out" 2>"$T_TMP/.err" </dev/null
	RC=$?
	OUT=$(cat "$T_TMP/.out")
	ERR=$(cat "$T_TMP/.err")
	return 0
}

# _t_show CMD...: diagnostics about the last run of CMD.
_t_show() {
	diag "command: $*"
	diag "exit status: $RC"
	[ -z "$OUT" ] || printf '%s\n' "$OUT" | sed 's/^/# stdout: /'
	[ -z "$ERR" ] || printf '%s\n' "$ERR" | sed 's/^/# stderr: /'
}

# t_exit CODE DESC CMD...: CMD exits with CODE.
t_exit() {
	_t_x_want=$1
	_t_x_desc=$2
	shift 2
	run "$@"
	if [ "$RC" -eq "$_t_x_want" ]; then
		_t_report 0 "$_t_x_desc"
	else
		_t_report 1 "$_t_x_desc"
		diag "wanted exit status $_t_x_want"
		_t_show "$@"
	fi
}

# t_ok DESC CMD...: CMD succeeds (exit 0).
t_ok() {
	_t_ok_desc=$1
	shift
	t_exit 0 "$_t_ok_desc" "$@"
}

# t_fail DESC CMD...: CMD fails in an orderly way (1..123: not found,
# timed out or killed by a signal are not refusals).
t_fail() {
	_t_f_desc=$1
	shift
	run "$@"
	if [ "$RC" -gt 0 ] && [ "$RC" -lt 124 ]; then
		_t_report 0 "$_t_f_desc"
	else
		_t_report 1 "$_t_f_desc"
		diag "wanted a failure exit status"
		_t_show "$@"
	fi
}

# snapshot: a fingerprint of what commands may write in the current home
# (the spool's tmp/ and new/, and keys/).
snapshot() {
	(cd "$RENTAL_HOME" 2>/dev/null && ls -lA spool/new spool/tmp keys 2>&1) | cksum
}

# t_refuse CODE DESC CMD...: CMD exits with CODE, says why on stderr and
# writes nothing (two assertions).
t_refuse() {
	_t_r_want=$1
	_t_r_desc=$2
	shift 2
	_t_r_before=$(snapshot)
	run "$@"
	_t_r_after=$(snapshot)
	if [ "$RC" -eq "$_t_r_want" ] && [ -n "$ERR" ]; then
		_t_report 0 "$_t_r_desc: exit $_t_r_want"
	else
		_t_report 1 "$_t_r_desc: exit $_t_r_want"
		diag "wanted exit status $_t_r_want and a message on stderr"
		_t_show "$@"
	fi
	if [ "$RC" -ge 124 ]; then
		_t_report 1 "$_t_r_desc: writes nothing"
		diag "the command did not run to an end (exit status $RC)"
	elif [ "$_t_r_before" = "$_t_r_after" ]; then
		_t_report 0 "$_t_r_desc: writes nothing"
	else
		_t_report 1 "$_t_r_desc: writes nothing"
		diag "spool/new, spool/tmp or keys/ changed:"
		(cd "$RENTAL_HOME" && ls -lA spool/new spool/tmp keys 2>&1) | sed 's/^/#   /'
	fi
}

# t_eq DESC GOT WANT: two strings are equal.
t_eq() {
	if [ "$2" = "$3" ]; then
		_t_report 0 "$1"
	else
		_t_report 1 "$1"
		printf '%s\n' "$2" | sed 's/^/# got:  /'
		printf '%s\n' "$3" | sed 's/^/# want: /'
	fi
}

# t_id DESC GOT WANT: GOT is the id WANT, which is not empty.
t_id() {
	if [ -n "$3" ] && [ "$2" = "$3" ]; then
		_t_report 0 "$1"
	else
		_t_report 1 "$1"
		printf '%s\n' "$2" | sed 's/^/# got:  /'
		printf '%s\n' "${3:-(no id to compare with)}" | sed 's/^/# want: /'
	fi
}

# t_match DESC TEXT REGEX: some line of TEXT matches the extended REGEX.
t_match() {
	if printf '%s\n' "$2" | grep -Eq -e "$3"; then
		_t_report 0 "$1"
	else
		_t_report 1 "$1"
		diag "no line matches: $3"
		printf '%s\n' "$2" | sed 's/^/# text: /'
	fi
}

# t_nomatch DESC TEXT REGEX: no line of TEXT matches the extended REGEX.
t_nomatch() {
	if printf '%s\n' "$2" | grep -Eq -e "$3"; then
		_t_report 1 "$1"
		diag "a line matches: $3"
		printf '%s\n' "$2" | sed 's/^/# text: /'
	else
		_t_report 0 "$1"
	fi
}

# t_file DESC PATH / t_nofile DESC PATH: PATH exists / does not exist.
t_file() {
	if [ -e "$2" ]; then _t_report 0 "$1"; else _t_report 1 "$1"; diag "missing: $2"; fi
}
t_nofile() {
	if [ -e "$2" ] || [ -L "$2" ]; then _t_report 1 "$1"; diag "exists: $2"; else _t_report 0 "$1"; fi
}

# t_skip DESC REASON: a skipped assertion.
t_skip() {
	T_N=$((T_N + 1))
	printf 'ok %d - %s # SKIP %s\n' "$T_N" "$1" "$2"
}

# t_asan: whether the commands are built with AddressSanitizer (make check SANITIZE=1),
# which has its own malloc and maps terabytes at start: no memory limit is for them.
t_asan() {
	grep -q __asan_init "$BIN/dispatcher"
}

if [ -z "${T_STACK+set}" ]; then
	T_STACK=120
	if [ -n "${T_WRAP:-}" ] || t_asan; then
		T_STACK=
	fi
fi

# t_needs WHAT TOOL...: the whole test (WHAT) is skipped unless every TOOL is there.
t_needs() {
	_t_what=$1
	shift
	for _t_tool; do
		command -v "$_t_tool" >/dev/null 2>&1 || { t_skip "$_t_what" "no $_t_tool"; done_testing; }
	done
}

# t_stop_daemon PID ALIVE [PREFIX]: SIGTERM the foreground dispatcher PID (ALIVE is 0
# if it was seen running just before) and wait up to 20 s: two assertions, that it
# ends and that its exit status is 0. PREFIX starts both descriptions.
t_stop_daemon() {
	_sd_pid=$1 _sd_alive=$2 _sd_p=${3:-} _sd_n=0
	kill -TERM "$_sd_pid" 2>/dev/null
	while kill -0 "$_sd_pid" 2>/dev/null && [ "$_sd_n" -lt 100 ]; do
		sleep 0.2 2>/dev/null || sleep 1
		_sd_n=$((_sd_n + 1))
	done
	if kill -0 "$_sd_pid" 2>/dev/null; then
		t_eq "${_sd_p}the daemon ends on SIGTERM" running ended
		kill -9 "$_sd_pid" 2>/dev/null
		wait "$_sd_pid" 2>/dev/null
		t_eq "${_sd_p}with exit status 0" killed 0
	else
		t_eq "${_sd_p}the daemon ends on SIGTERM" ended ended
		wait "$_sd_pid"
		_sd_rc=$?
		[ "$_sd_alive" -eq 0 ] || _sd_rc="$_sd_rc (it had ended before SIGTERM)"
		t_eq "${_sd_p}with exit status 0" "$_sd_rc" 0
	fi
}

# t_wait DESC SECONDS CMD...: poll CMD until it succeeds, at most SECONDS.
t_wait() {
	_t_w_desc=$1
	_t_w_left=$(($2 * 5))
	shift 2
	while :; do
		run "$@"
		[ "$RC" -eq 0 ] && break
		_t_w_left=$((_t_w_left - 1))
		[ "$_t_w_left" -gt 0 ] || break
		sleep 0.2 2>/dev/null || sleep 1
	done
	if [ "$RC" -eq 0 ]; then
		_t_report 0 "$_t_w_desc"
	else
		_t_report 1 "$_t_w_desc"
		diag "still failing after the timeout"
		_t_show "$@"
	fi
}

# scratch_home [NAME]: create a fresh home with `carctl init`, export
# RENTAL_HOME and set H to it.
scratch_home() {
	H=$T_TMP/${1:-home}
	RENTAL_HOME=$H
	export RENTAL_HOME
	if ! _t_bin carctl init "$H" >"$T_TMP/.init.out" 2>"$T_TMP/.init.err" </dev/null; then
		diag "carctl init $H failed:"
		sed 's/^/# stderr: /' "$T_TMP/.init.err"
	fi
}

# old_home [DIR] [RELEASE]: unpack the home written by an older release (tests/fixtures/
# home-RELEASE.tgz; default 2026-11-24, layout 1; 2026-12-05 is layout 4, 2026-12-06
# layout 5, 2026-12-06b layout 6) into
# $T_TMP/DIR (default .); export RENTAL_HOME, set H, S, and X, the folder of what that
# release's commands printed for it (NAME.json: mypage-USER, reserve-list-USER, ...).
old_home() {
	mkdir -p "$T_TMP/${1:-.}"
	tar xzf "$T_TESTS/fixtures/home-${2:-2026-11-24}.tgz" -C "$T_TMP/${1:-.}"
	H=$T_TMP/${1:-.}/home
	RENTAL_HOME=$H
	export RENTAL_HOME
	S=$H/state
	X=$T_TMP/${1:-.}/expected
}

# dispatch: run `dispatcher --once` on the current home. The summary line
# is left in DISPATCH_ERR, the exit status in DISPATCH_RC. Diagnostics on
# stderr, so that dispatch can run inside $(...).
dispatch() {
	_t_bin dispatcher --once >/dev/null 2>"$T_TMP/.dispatch.err" </dev/null
	DISPATCH_RC=$?
	DISPATCH_ERR=$(cat "$T_TMP/.dispatch.err")
	if [ "$DISPATCH_RC" -ne 0 ]; then
		{
			diag "dispatcher --once exited $DISPATCH_RC"
			printf '%s\n' "$DISPATCH_ERR" | sed 's/^/# stderr: /'
		} >&2
	fi
	return "$DISPATCH_RC"
}

# spool_count DIR: how many files are in spool/DIR of the current home
# ("missing" if there is no such folder).
spool_count() {
	if [ -d "$RENTAL_HOME/spool/$1" ]; then
		ls -A "$RENTAL_HOME/spool/$1" | wc -l | tr -d ' '
	else
		echo missing
	fi
}

# spool_files DIR: the names of the files in spool/DIR, one a line.
spool_files() {
	ls -A "$RENTAL_HOME/spool/$1" 2>/dev/null
}

# spool_drop FILE [NAME]: put FILE into spool/new as NAME (default its own
# name) the maildir way: write in spool/tmp, then rename.
spool_drop() {
	_t_d_name=${2:-$(basename "$1")}
	cp "$1" "$RENTAL_HOME/spool/tmp/$_t_d_name" &&
		mv "$RENTAL_HOME/spool/tmp/$_t_d_name" "$RENTAL_HOME/spool/new/$_t_d_name"
}

# spool_together: the files waiting in spool/new renamed in again by one process, one
# after the other (in name order): within one tick of the file system's clock, most
# often, so that one batch takes them and cannot tell which came first. Prints how
# many ticks they took (1, unless the clock turned between two renames).
spool_together() {
	python3 -c 'import os, sys
new, tmp = sys.argv[1] + "/new/", sys.argv[1] + "/tmp/"
names = sorted(os.listdir(new))
for n in names: os.rename(new + n, tmp + n)
for n in names: os.rename(tmp + n, new + n)
print(len({os.stat(new + n).st_ctime_ns for n in names}))' "$RENTAL_HOME/spool"
}

# ---- the state: the tree of branch main in state/.git ----
# The state files are the files of the last commit on main (CONTRACT, "Home,
# identity, keys"): these helpers read them with git, never from files beside
# state/.git, and state_put/state_rm change them as a test's own commit on main.
# All work on the current home ($RENTAL_HOME).

# state_git ARGS...: git ARGS in the state repository of the current home.
state_git() {
	git --git-dir="$RENTAL_HOME/state/.git" "$@"
}

# git_main GITDIR: the commit main names in the repository GITDIR ("" none).
git_main() {
	git --git-dir="$1" rev-parse -q --verify main
}

# damage_object GITDIR OBJ: overwrites bytes inside OBJ's deflated stream in every pack
# of GITDIR that holds it (a bad sector under a good id).
damage_object() {
	for _do_idx in "$1"/objects/pack/*.idx; do
		_do_at=$(git show-index <"$_do_idx" | awk -v o="$2" '$2 == o { print $1 }')
		[ -z "$_do_at" ] || printf 'XXXXXXXX' |
			dd of="${_do_idx%.idx}.pack" bs=1 seek="$((_do_at + 4))" conv=notrunc 2>/dev/null
	done
}

# state_ls [PATH]: the paths of the files in main's tree, one a line, in git's
# order; with PATH (a file, or a folder such as log/), only those at or under it.
state_ls() {
	state_git ls-tree -r --name-only main -- ${1+"$1"}
}

# state_find FOLDER NAME: the paths of the files under FOLDER in main's tree
# whose last component is NAME (as find FOLDER -name NAME, without patterns).
state_find() {
	state_ls "$1" | _sf_name=$2 awk '{ n = $0; sub(/.*\//, "", n) } n == ENVIRON["_sf_name"]'
}

# state_has PATH: main's tree holds a file at PATH.
state_has() {
	[ -n "$1" ] && [ "$(state_git cat-file -t "main:$1" 2>/dev/null)" = blob ]
}

# state_cat PATH...: the bytes of each file PATH of main's tree, one after the
# other; fails at the first that is not a file there.
state_cat() {
	for _sc_path; do
		state_git cat-file blob "main:$_sc_path" || return 1
	done
}

# state_grep PATHSPEC GREP-ARGS...: git grep GREP-ARGS (options, then -e
# PATTERN...) in the files of main's tree that PATHSPEC names ("." all of them,
# log/ the log, ':!log/' all but the log), printed as grep -r prints them: the
# paths relative to the tree, without git's "main:". git grep has no -x: anchor
# the pattern (^...$), or see state_with_line.
state_grep() {
	_sg_spec=$1
	shift
	state_git grep "$@" main -- "$_sg_spec" | sed 's/^main://'
}

# state_with_line PATHSPEC LINE: the paths of the files that PATHSPEC names in
# main's tree holding a line that is LINE exactly (as grep -rlxF LINE), one a line.
state_with_line() {
	state_grep "$1" -F -e "$2" | _sw_line=$2 awk '{
		i = index($0, ":")
		if (substr($0, i + 1) == ENVIRON["_sw_line"] && substr($0, 1, i - 1) != last)
			print last = substr($0, 1, i - 1)
	}'
}

# log_count_id ID: how many entries of the log (files under log/ in main's
# tree) hold the line `id: ID`.
log_count_id() {
	state_with_line log/ "id: $1" | wc -l | tr -d ' '
}

# state_put PATH [CONTENT]: make PATH hold CONTENT (exactly those bytes; without
# CONTENT, what stdin holds) in a new commit on main, everything else as before,
# signed with the home's dispatcher key: a test's own change (damage, or its repair)
# of the committed state, as a fault of the dispatcher's would make it.
state_put() {
	_state_blob "$@" && _state_commit "put $1" "100644 $_sp_blob	$1" sign
}

# state_put_by_hand PATH [CONTENT]: the same, in a commit a person makes: unsigned.
state_put_by_hand() {
	_state_blob "$@" && _state_commit "put $1" "100644 $_sp_blob	$1"
}

# state_rm_by_hand PATH: remove PATH in a commit a person makes: unsigned.
state_rm_by_hand() {
	_state_commit "rm $1" "0 0000000000000000000000000000000000000000	$1"
}

_state_blob() {
	if [ $# -ge 2 ]; then
		_sp_blob=$(printf '%s' "$2" | state_git hash-object -w --stdin)
	else
		_sp_blob=$(state_git hash-object -w --stdin)
	fi
}

# state_rm PATH: remove the file PATH in a new commit on main, signed as state_put's.
state_rm() {
	state_has "$1" || { diag "state_rm: main has no file $1" >&2; return 1; }
	_state_commit "rm $1" "0 0000000000000000000000000000000000000000	$1" sign
}

# _state_commit WHAT INDEX-INFO [sign]: commit on main (its parent) main's tree changed
# by the line INDEX-INFO of git update-index --index-info, made with plumbing in
# a throwaway index: git objects and the branch change, no file beside .git does,
# and main moves only if nothing else moved it meanwhile. With sign, the commit is
# signed with keys/dispatcher.key through stock git. No dispatcher may run.
_state_commit() {
	_scm_git=$RENTAL_HOME/state/.git
	_scm_idx=$T_TMP/.state-index
	_scm_key=$T_TMP/.dispatcher.ssh
	rm -f "$_scm_idx"
	if [ -n "$3" ] && ! openssh_key "$RENTAL_HOME/keys/dispatcher.key" "$_scm_key"; then
		diag "state: cannot make an OpenSSH key of keys/dispatcher.key" >&2
		return 1
	fi
	_scm_old=$(git --git-dir="$_scm_git" rev-parse --verify -q main) &&
		env GIT_INDEX_FILE="$_scm_idx" git --git-dir="$_scm_git" read-tree "$_scm_old" &&
		printf '%s\n' "$2" | env GIT_INDEX_FILE="$_scm_idx" git --git-dir="$_scm_git" update-index --index-info &&
		_scm_tree=$(env GIT_INDEX_FILE="$_scm_idx" git --git-dir="$_scm_git" write-tree) &&
		_scm_new=$(printf 'test: %s\n' "$1" | env GIT_AUTHOR_NAME=test GIT_AUTHOR_EMAIL=test@rental.invalid \
			GIT_COMMITTER_NAME=test GIT_COMMITTER_EMAIL=test@rental.invalid \
			git --git-dir="$_scm_git" -c gpg.format=ssh -c user.signingkey="$_scm_key" \
			commit-tree ${3:+-S} "$_scm_tree" -p "$_scm_old") &&
		git --git-dir="$_scm_git" update-ref refs/heads/main "$_scm_new" "$_scm_old"
	_scm_rc=$?
	rm -f "$_scm_idx"
	[ "$_scm_rc" -eq 0 ] || diag "state: could not commit on main: $1" >&2
	return "$_scm_rc"
}

# jget FIELD: the value of the first "FIELD": in the first line of stdin, a
# compact JSON object; strings without their quotes, other values as written.
jget() {
	awk -v k="\"$1\":" 'NR == 1 {
		i = index($0, k)
		if (i == 0) exit 1
		s = substr($0, i + length(k))
		if (substr(s, 1, 1) == "\"") {
			s = substr(s, 2)
			print substr(s, 1, index(s, "\"") - 1)
		} else {
			match(s, /^[^],}]*/)
			print substr(s, 1, RLENGTH)
		}
		exit
	}'
}

# jrow KEY VALUE: the lines of stdin holding the string member "KEY":"VALUE".
jrow() {
	grep -F "\"$1\":\"$2\""
}

# field TEXT KEY VALUE FIELD: FIELD of the line of TEXT where KEY is VALUE.
field() {
	printf '%s\n' "$1" | jrow "$2" "$3" | jget "$4"
}

# file_mode PATH: the permission bits as ls shows them (-rw-------).
file_mode() {
	ls -ld "$1" 2>/dev/null | cut -c1-10
}

# write_config [KEY=VALUE...]: write config/rental.yaml of the current home
# as in the contract, with KEY (a context name, max_pending,
# consecutive_errors or open_seconds) set to VALUE.
write_config() {
	_c_management=true _c_reservation=true _c_payment=true
	_c_rental=true _c_rating=true _c_mypage=true
	_c_max_pending=100 _c_consecutive_errors=5 _c_open_seconds=30
	for _c_kv; do
		eval "_c_${_c_kv%%=*}=\${_c_kv#*=}"
	done
	cat >"$RENTAL_HOME/config/rental.yaml.tmp" <<EOF
region: {country: korea, region: seoul}
currency: KRW
payment:
  breaker: {max_pending: $_c_max_pending, consecutive_errors: $_c_consecutive_errors, open_seconds: $_c_open_seconds}
contexts:
  management: {enabled: $_c_management}
  reservation: {enabled: $_c_reservation}
  payment: {enabled: $_c_payment}
  rental: {enabled: $_c_rental}
  rating: {enabled: $_c_rating}
  mypage: {enabled: $_c_mypage}
EOF
	mv "$RENTAL_HOME/config/rental.yaml.tmp" "$RENTAL_HOME/config/rental.yaml"
}

# customers NAME...: register customer keys (admin acts; dispatch after).
customers() {
	for _t_c in "$@"; do
		carctl --as admin key add "$_t_c" >/dev/null 2>"$T_TMP/.cust.err" </dev/null ||
			{ diag "key add $_t_c failed:"; sed 's/^/# stderr: /' "$T_TMP/.cust.err"; } >&2
	done
}

# shop: a scratch home with customers alice, bob and carol, and the cars
# car01 (Avante, 50000 a day) and car02 (Morning, 30000 a day), all applied.
# tmpfs_home SIZE WHAT: a new home ($RENTAL_HOME) on a tmpfs of SIZE mounted at M
# ($T_TMP/disk), unmounted at the end; the test (WHAT) is skipped where no tmpfs can be
# mounted (not root).
tmpfs_home() {
	M=$T_TMP/disk
	mkdir -p "$M"
	if ! mount -t tmpfs -o size="$1" tmpfs "$M" 2>/dev/null; then
		t_skip "$2" 'cannot mount a tmpfs here (not root?)'
		done_testing
	fi
	trap 'umount "$M" 2>/dev/null; _t_cleanup' EXIT
	_t_bin carctl init "$M/h" >/dev/null 2>&1
	RENTAL_HOME=$M/h
	export RENTAL_HOME
}

shop() {
	scratch_home "${1:-home}"
	customers alice bob carol
	dispatch
	carctl --as admin add car01 --rate 50000 --model Avante >/dev/null 2>&1 </dev/null ||
		diag "carctl add car01 failed" >&2
	carctl --as admin add car02 --rate 30000 --model Morning >/dev/null 2>&1 </dev/null ||
		diag "carctl add car02 failed" >&2
	dispatch
}

# book USER CAR FROM TO: reserve as USER, dispatch, print the reservation id.
book() {
	_t_b_id=$(reserve --as "$1" "$2" --from "$3" --to "$4" 2>"$T_TMP/.book.err" </dev/null) ||
		{ diag "reserve $* failed:"; sed 's/^/# stderr: /' "$T_TMP/.book.err"; } >&2
	dispatch
	printf '%s\n' "$_t_b_id"
}

# paid USER RES: pay RES as USER, dispatch, print the payment id.
paid() {
	_t_p_id=$(pay --as "$1" "$2" 2>"$T_TMP/.paid.err" </dev/null) ||
		{ diag "pay $* failed:"; sed 's/^/# stderr: /' "$T_TMP/.paid.err"; } >&2
	dispatch
	printf '%s\n' "$_t_p_id"
}

# returned USER RES: return the car of RES as USER, dispatch.
returned() {
	rent --as "$1" return "$2" >/dev/null 2>"$T_TMP/.ret.err" </dev/null ||
		{ diag "rent return $* failed:"; sed 's/^/# stderr: /' "$T_TMP/.ret.err"; } >&2
	dispatch
}

# has_faketime: whether faketime(1) is here and works (Debian package faketime): the
# tests of days that pass run the commands under it.
has_faketime() {
	command -v faketime >/dev/null 2>&1 && faketime -f '+1d' true 2>/dev/null
}

# dispatch_later N: `dispatcher --once` as if N days from now (what it applies is
# admitted that day). Diagnostics on stderr.
dispatch_later() {
	faketime -f "+${1}d" "$BIN/dispatcher" --once >/dev/null 2>"$T_TMP/.later.err" </dev/null ||
		{ diag "dispatcher --once (+$1 days) failed:"; sed 's/^/# stderr: /' "$T_TMP/.later.err"; } >&2
}

# day N: the date N days after today (UTC; N may be negative), YYYY-MM-DD. A stay to
# be returned starts today at the latest: a car is not returned before its stay.
day() {
	date -u -d "+$1 days" +%F
}

# status_of RES: the status of RES in `reserve list --json` as admin.
status_of() {
	reserve --as admin list --json 2>/dev/null </dev/null | jrow reservation "$1" | jget status
}

# car_status CAR: the status of CAR in `carctl list --json`.
car_status() {
	carctl list --json 2>/dev/null </dev/null | jrow car "$1" | jget status
}

# ---- forged histories (replication tests) ----

# openssh_key KEYFILE OUT: the ed25519 key of KEYFILE (a file of keys/: the base64 of
# its seed) as the OpenSSH private key file OUT, so that ssh-keygen and git's SSH
# signing can sign with it. Needs openssl and base64.
openssh_key() {
	_ok=$T_TMP/.openssh-key
	rm -rf "$_ok" && mkdir -p "$_ok" || return 1
	base64 -d <"$1" >"$_ok/seed" || return 1
	{ printf '\060\056\002\001\000\060\005\006\003\053\145\160\004\042\004\040'; cat "$_ok/seed"; } >"$_ok/der"
	openssl pkey -inform DER -in "$_ok/der" -pubout -outform DER | tail -c 32 >"$_ok/pk" || return 1
	printf ssh-ed25519 >"$_ok/type"
	printf rental >"$_ok/comment"
	printf none >"$_ok/none"
	: >"$_ok/empty"
	cat "$_ok/seed" "$_ok/pk" >"$_ok/sk"
	{ _ok_str "$_ok/type"; _ok_str "$_ok/pk"; } >"$_ok/pub"
	{ _ok_u32 7; _ok_u32 7; _ok_str "$_ok/type"; _ok_str "$_ok/pk"; _ok_str "$_ok/sk"; _ok_str "$_ok/comment"; } >"$_ok/priv"
	_ok_i=1
	while [ $(($(wc -c <"$_ok/priv") % 8)) -ne 0 ]; do
		printf "\\$(printf %03o "$_ok_i")" >>"$_ok/priv"
		_ok_i=$((_ok_i + 1))
	done
	{
		printf 'openssh-key-v1\000'
		_ok_str "$_ok/none"
		_ok_str "$_ok/none"
		_ok_str "$_ok/empty"
		_ok_u32 1
		_ok_str "$_ok/pub"
		_ok_str "$_ok/priv"
	} >"$_ok/blob"
	{
		echo '-----BEGIN OPENSSH PRIVATE KEY-----'
		base64 <"$_ok/blob" | tr -d '\n' | fold -w 70
		echo
		echo '-----END OPENSSH PRIVATE KEY-----'
	} >"$2" && chmod 600 "$2"
}
_ok_u32() {
	printf "\\$(printf %03o $(($1 >> 24 & 255)))\\$(printf %03o $(($1 >> 16 & 255)))\\$(printf %03o $(($1 >> 8 & 255)))\\$(printf %03o $(($1 & 255)))"
}
_ok_str() {
	_ok_u32 "$(wc -c <"$1" | tr -d ' ')"
	cat "$1"
}

# forge_commit GITDIR INDEX-INFO [SIGNKEY]: a commit on top of main of the repository
# GITDIR whose tree is main's changed by the lines INDEX-INFO (as git update-index
# --index-info reads them), signed with the OpenSSH private key file SIGNKEY through
# stock git if given, unsigned otherwise; main moves to it. Prints its id.
forge_commit() {
	_fc_idx=$T_TMP/.forge-index
	rm -f "$_fc_idx"
	_fc_old=$(git --git-dir="$1" rev-parse --verify -q main) &&
		GIT_INDEX_FILE=$_fc_idx git --git-dir="$1" read-tree "$_fc_old" &&
		printf '%s\n' "$2" | GIT_INDEX_FILE=$_fc_idx git --git-dir="$1" update-index --index-info &&
		_fc_tree=$(GIT_INDEX_FILE=$_fc_idx git --git-dir="$1" write-tree) &&
		_fc_new=$(echo 'dispatcher forged batch' | env GIT_AUTHOR_NAME=dispatcher \
			GIT_AUTHOR_EMAIL=dispatcher@rental GIT_COMMITTER_NAME=dispatcher \
			GIT_COMMITTER_EMAIL=dispatcher@rental git --git-dir="$1" -c gpg.format=ssh \
			-c user.signingkey="${3:-none}" commit-tree ${3:+-S} "$_fc_tree" -p "$_fc_old") &&
		git --git-dir="$1" update-ref refs/heads/main "$_fc_new" "$_fc_old" &&
		printf '%s\n' "$_fc_new"
}

# blob_of GITDIR TEXT: the id of a blob holding TEXT and a newline, written into GITDIR.
blob_of() {
	printf '%s\n' "$2" | git --git-dir="$1" hash-object -w --stdin
}
