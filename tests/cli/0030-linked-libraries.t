#!/bin/sh
# 0030-linked-libraries.t: the commands that read or write the desk do not link libgit2
# (issue 16: its start-up, with Debian's build parsing the CA bundle, cost more than a
# whole command), nor libcrypto: they read main's tree with lib/git.c alone. A change
# that made home.c call the remotes' code linked libgit2 into every command and
# doubled their time (mypage 1.3 ms -> 3.3 ms; carctl list 2.9 ms since init.c called it):
# the dispatcher alone pushes and fetches.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

if ! command -v ldd >/dev/null 2>&1; then
	t_skip 'the commands link no libgit2' 'no ldd'
	done_testing
fi
for cmd in carctl reserve pay rent rate mypage; do
	t_eq "$cmd links no libgit2 nor libcrypto" "$(ldd "$BIN/$cmd" | grep -cE 'libgit2|libcrypto')" 0
done
t_eq 'the dispatcher does (it pushes and fetches)' "$(ldd "$BIN/dispatcher" | grep -c libgit2)" 1
done_testing
