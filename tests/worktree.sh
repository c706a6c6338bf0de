# Sourced by tests/lib.sh and tests/torture/kill.sh: what is in state/ beside .git.
# worktree_diff STATE: how the files in STATE differ from its last commit, as
# `git status --porcelain` prints it (empty: the same, nothing untracked). The
# dispatcher keeps no git index (state/.git is bare), so a throwaway one is read
# from HEAD.
worktree_diff() {
	_wd_idx=$(mktemp "${TMPDIR:-/tmp}/rental-index.XXXXXX")
	rm -f "$_wd_idx"
	GIT_INDEX_FILE=$_wd_idx git --git-dir="$1/.git" --work-tree="$1" read-tree HEAD 2>&1 &&
		GIT_INDEX_FILE=$_wd_idx git --git-dir="$1/.git" --work-tree="$1" \
			status --porcelain --untracked-files=all 2>&1
	rm -f "$_wd_idx"
}

# state_checkout [STATE]: every path under STATE (default: the current home's
# state/) other than STATE/.git and what it holds, one a line, relative to STATE:
# files checked out or left beside the repository (empty: nothing but .git).
state_checkout() {
	_sk_dir=${1:-$RENTAL_HOME/state}
	(cd "$_sk_dir" && find . ! -name . \( -path ./.git -prune -o -print \)) 2>&1 | sed 's|^\./||'
}
