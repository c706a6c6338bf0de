# Sourced by tests/lib.sh and tests/torture/kill.sh.
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
