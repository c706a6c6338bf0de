#!/bin/sh
# 1900-completion.t: shell completion. The bash file is sourced in bash and its
# function called as bash calls it (COMP_WORDS, COMP_CWORD) on a real home: the
# subcommands and options of every command, car ids, key names and the user's
# reservation ids, from the home and as the identity named on the line. Every usage
# line of every command's --help is walked, so a subcommand or option added to a
# command and not to its completion fails here. The zsh file is checked by zsh -n.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

SRC=$(cd "$BIN/.." && pwd -P)
BASHCOMP=$SRC/completion/rental.bash
ZSHCOMP=$SRC/completion/_rental
progs='carctl reserve pay rent rate mypage dispatcher'

if command -v zsh >/dev/null 2>&1; then
	t_ok 'zsh -n completion/_rental' zsh -n "$ZSHCOMP"
else
	t_skip 'zsh -n completion/_rental' 'zsh is not installed'
fi
t_match 'completion/_rental is for every command' "$(head -n 1 "$ZSHCOMP")" "^#compdef $progs\$"

# zcomp LINE: what zsh's completion offers at the end of LINE, one a line, sorted: an
# interactive zsh on a pseudo-terminal (zsh/zpty) with compinit and _rental on its
# fpath, whose compadd also prints what it adds.
cat >"$T_TMP/zcomp.zsh" <<'EOF'
zmodload zsh/zpty || exit 2
zpty z ${commands[zsh]} -f -i || exit 2
zpty -w z "module_path=(${(j: :)${(@q)module_path}}); fpath=(${(q)1} ${(j: :)${(@q)fpath}})"
zpty -w z 'PS1= RPS1= PS2=; bindkey -e; bindkey "^I" complete-word; autoload -U compinit; compinit -u -D'
zpty -w z 'compprefuncs=(_t_nolist); _t_nolist() { compstate[list]= }'
zpty -w z 'compadd() { if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return; fi
local -a hits; builtin compadd -A hits "$@"; (( $#hits )) && print -rl -- ${hits/#/HIT:}; builtin compadd "$@"; }'
zpty -w z 'echo READY-$((40 + 2))'
zpty -r z out '*READY-42*' || exit 2
zpty -n -w z "$2"$'\t\C-u'"echo DONE-\$((40 + 2))"$'\n'
zpty -r z out '*DONE-42*' || exit 2
print -r -- "${out//$'\r'/}" | sed -n 's/^.*HIT://p' | sort -u
zpty -d z
EOF
zcomp() {
	PATH=$BIN:$PATH timeout 30 zsh -f "$T_TMP/zcomp.zsh" "$SRC/completion" "$1" 2>&1
}
# zoffers DESC WANT LINE: completing the end of LINE in zsh offers exactly WANT.
zoffers() {
	t_eq "$1" "$(zcomp "$3")" "$(printf '%s\n' "$2" | tr ' ' '\n' | sort)"
}
ZSH_COMP=
if ! command -v zsh >/dev/null 2>&1; then
	ZSH_COMP='zsh is not installed'
elif ! zsh -fc 'zmodload zsh/zpty' 2>/dev/null; then
	ZSH_COMP='zsh has no zsh/zpty module'
elif ! command -v timeout >/dev/null 2>&1; then
	ZSH_COMP='no timeout(1) to bound a pseudo-terminal'
fi

if ! command -v bash >/dev/null 2>&1; then
	t_skip 'bash completion' 'bash is not installed'
	done_testing
fi
t_ok 'bash -n completion/rental.bash' bash -n "$BASHCOMP"

# comp WORD...: what completing the last WORD offers, one a line, sorted (the first
# WORD is the command as typed). Run in bash with the programs on PATH.
cat >"$T_TMP/comp.bash" <<'EOF'
. "$1" || exit 1
shift
COMP_WORDS=("$@")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMP_LINE="$*"
COMP_POINT=${#COMP_LINE}
_rental || exit 1
printf '%s\n' "${COMPREPLY[@]}" | sort
EOF
comp() {
	PATH=$BIN:$PATH bash "$T_TMP/comp.bash" "$BASHCOMP" "$@" 2>&1
}
# offers DESC WANT WORD...: completing WORD... offers exactly the lines of WANT.
offers() {
	_o_desc=$1 _o_want=$2
	shift 2
	t_eq "$_o_desc" "$(comp "$@")" "$(printf '%s\n' "$_o_want" | tr ' ' '\n' | sort)"
}
# includes DESC WANT WORD...: ... offers WANT among others.
includes() {
	_i_desc=$1 _i_want=$2
	shift 2
	_i_got=$(comp "$@")
	if printf '%s\n' "$_i_got" | grep -qxF -e "$_i_want"; then
		_t_report 0 "$_i_desc"
	else
		_t_report 1 "$_i_desc"
		diag "not offered: $_i_want"
		printf '%s\n' "$_i_got" | sed 's/^/# offered: /'
	fi
}

day() {
	date -u -d "+$1 days" +%F
}

shop
r1=$(book alice car01 "$(day 10)" "$(day 12)")
r2=$(book bob car02 "$(day 10)" "$(day 12)")
r3=$(book alice car01 "$(day 20)" "$(day 22)")
paid alice "$r3" >/dev/null
r4=$(book alice car02 "$(day 0)" "$(day 1)")
paid alice "$r4" >/dev/null
returned alice "$r4"
t_eq 'the scene: RESERVED, RESERVED, RENTED, RETURNED' \
	"$(status_of "$r1") $(status_of "$r2") $(status_of "$r3") $(status_of "$r4")" \
	'RESERVED RESERVED RENTED RETURNED'

# Subcommands and options.
offers 'carctl: its subcommands' 'init key add set rm block unblock list show cal ical report' carctl ''
offers 'carctl key: its subcommands' 'add gen rm list' carctl key ''
offers 'carctl k: key' 'key' carctl k
offers 'carctl --: the common options' '--home --as --help --version' carctl --
offers 'carctl add: its options' '--home --as --help --version --rate --model --weekly --monthly --late-fee' carctl add car09 --
offers 'carctl list --j: --json' '--json' carctl list --j
offers 'carctl key add NAME --role: its values' 'customer admin' carctl key add dave --role ''
offers 'rent: its subcommands' 'return list due receipt' rent ''
includes 'reserve CAR: --from' --from reserve car01 --
offers 'reserve CAR --from D --t: --to' --to reserve car01 --from 2031-01-01 --t
offers 'rate --stars: 1 to 5' '1 2 3 4 5' rate "$r4" --stars ''
offers 'mypage: its options' '--home --as --help --version --customer --json --csv' mypage --
includes 'dispatcher: --once' --once dispatcher --
includes 'dispatcher: --quiet (for cron)' --quiet dispatcher --o --
includes 'a command typed with its path' init "$BIN/carctl" ''

# Car ids, from the home of the line.
offers 'carctl show: the car ids' 'car01 car02' carctl show ''
offers 'carctl cal: the car ids, several' 'car01 car02' carctl cal car01 ''
carctl --as admin key add eve >/dev/null && dispatch && carctl --as admin key rm eve >/dev/null && dispatch
offers 'carctl key rm: the names, not a revoked one' 'admin alice bob carol' carctl key rm ''
offers 'carctl --as: the same' 'admin alice bob carol' carctl --as ''
offers 'carctl cal --month: this month' "$(date -u +%Y-%m)" carctl cal --month ''
offers 'carctl rm c: the car ids' 'car01 car02' carctl --as admin rm c
offers 'reserve: cancel, list and the car ids' 'cancel list car01 car02' reserve ''
offers 'reserve car0: the car ids' 'car01 car02' reserve car0
offers 'carctl show CAR: nothing more' '' carctl show car01 ''
blk=$(carctl --as admin block car02 --from 2029-03-01 --to 2029-03-04)
dispatch
offers 'carctl unblock: the blocks in force' "$blk" carctl unblock ''
other=$T_TMP/other
carctl init "$other" >/dev/null 2>&1
carctl --home "$other" --as admin add van7 --rate 9 >/dev/null
dispatcher --home "$other" --once 2>/dev/null
offers 'carctl --home OTHER show: the cars of that home' 'van7' carctl --home "$other" show ''
offers 'carctl --home=OTHER show (as bash splits it)' 'van7' carctl --home = "$other" show ''
offers '--home after the subcommand counts too' 'van7' carctl show --home "$other" ''
offers 'RENTAL_HOME names the home without --home' 'car01 car02' carctl show ''
spaced="$T_TMP/my home"
cp -a "$other" "$spaced"
offers 'carctl --home '"'"'A HOME'"'"' show: a quoted home, as typed' 'van7' carctl --home "'$spaced'" show ''
offers 'carctl --home "A HOME" show: double quotes' 'van7' carctl --home "\"$spaced\"" show ''
offers 'carctl --home A\ HOME show: a backslash' 'van7' carctl --home "$(printf '%s' "$spaced" | sed 's/ /\\ /')" show ''
offers 'carctl init --replica URL DIR: folders' "$other" carctl init --replica "$H/state" "${other%?}"
offers 'carctl init --trust KEY DIR: folders' "$other" carctl init --replica "$H/state" --trust abc "${other%?}"

# Reservation ids: the user's own (--as, else RENTAL_USER), those the command can act on.
offers 'reserve --as alice cancel: her RESERVED ones' "$r1" reserve --as alice cancel ''
offers 'reserve --as bob cancel: his' "$r2" reserve --as bob cancel ''
offers 'reserve --as admin cancel: all RESERVED ones' "$r1 $r2" reserve --as admin cancel ''
offers 'pay --as alice: cancel and her RESERVED ones' "cancel $r1" pay --as alice ''
offers 'pay --as alice cancel: her RENTED ones' "$r3" pay --as alice cancel ''
offers 'rent --as alice return: her RENTED ones' "$r3" rent --as alice return ''
offers 'rate --as alice: her RETURNED ones not yet rated' "$r4" rate --as alice ''
offers 'an identity without reservations: none' '' reserve --as carol cancel ''
RENTAL_USER=alice
export RENTAL_USER
offers 'RENTAL_USER names the identity without --as' "$r1" reserve cancel ''
unset RENTAL_USER
offers '--as=NAME (as bash splits it)' "$r2" reserve --as = bob cancel ''
offers 'reserve --home OTHER --as admin cancel: none there' '' reserve --home "$other" --as admin cancel ''

# Names and folders.
offers '--as: the admins and customers' 'admin alice bob carol' mypage --as ''
offers '--customer: the customers' 'alice bob carol' mypage --as admin --customer ''
offers '--home: folders' "$H" carctl --home "${H%?}"
offers 'carctl init: folders' "$other" carctl init "${other%?}"

# The same in zsh: subcommands, options, car ids from the home on the line,
# reservations of the identity on the line.
if [ -n "$ZSH_COMP" ]; then
	t_skip 'zsh completion offers subcommands, options, cars and reservations' "$ZSH_COMP"
else
	zoffers 'zsh: carctl: its subcommands' 'init key add set rm block unblock list show cal ical report' 'carctl '
	zoffers 'zsh: carctl key: its subcommands' 'add gen rm list' 'carctl key '
	zoffers 'zsh: rate --stars: 1 to 5' '1 2 3 4 5' "rate $r4 --stars "
	zoffers 'zsh: reserve k1 --f: --from' '--from' 'reserve car01 --f'
	zoffers 'zsh: dispatcher --q: --quiet' '--quiet' 'dispatcher --once --q'
	zoffers 'zsh: carctl show: the car ids' 'car01 car02' 'carctl show '
	zoffers 'zsh: carctl unblock: the blocks in force' "$blk" 'carctl unblock '
	zoffers 'zsh: carctl key rm: the names, not a revoked one' 'admin alice bob carol' 'carctl key rm '
	zoffers 'zsh: carctl --home OTHER show: that home'"'"'s' 'van7' "carctl --home $other show "
	zoffers 'zsh: carctl show --home=OTHER: that home'"'"'s' 'van7' "carctl show --home=$other "
	zoffers 'zsh: reserve --as alice cancel: hers' "$r1" 'reserve --as alice cancel '
	zoffers 'zsh: pay --as alice cancel: her RENTED ones' "$r3" 'pay --as alice cancel '
	zoffers 'zsh: rent --as bob return: none' '' 'rent --as bob return '
	zoffers 'zsh: rate --as alice: her unrated ones' "$r4" 'rate --as alice '
	zoffers 'zsh: mypage --customer: the customers' 'alice bob carol' 'mypage --as admin --customer '
	# Each subcommand's own options, as bash offers them.
	zoffers 'zsh: carctl list --: its options' '--as --csv --from --help --home --json --to --version' 'carctl list --'
	zoffers 'zsh: carctl add CAR --: its options' '--as --help --home --late-fee --model --monthly --rate --version --weekly' 'carctl add car09 --'
	zoffers 'zsh: carctl key add NAME --: its options' '--as --help --home --pubkey --role --version' 'carctl key add dave --'
	zoffers 'zsh: reserve list --: its options' '--as --csv --help --home --json --version' 'reserve list --'
	zoffers 'zsh: reserve CAR --: its options' '--as --from --help --home --quote --to --version' 'reserve car01 --'
	zoffers 'zsh: rent return RES --: its options' '--as --help --home --version' "rent return $r3 --"
	zoffers 'zsh: rent due --: its options' '--as --csv --date --help --home --json --version' 'rent due --'
	zoffers 'zsh: carctl cal CAR CAR: more car ids' 'car01 car02' 'carctl cal car01 car02 '
	zoffers 'zsh: carctl --home '"'"'A HOME'"'"' show: that home'"'"'s' 'van7' "carctl --home '$spaced' show "
	zoffers 'zsh: carctl --home A\ HOME show: that home'"'"'s' 'van7' "carctl --home $(printf '%s' "$spaced" | sed 's/ /\\ /') show "
fi

# Every usage line of every --help, walked word by word: each literal subcommand is
# offered where it stands, each option after the words before it, and a car or
# reservation where the line has CAR or RES (except the new car of `add`).
sample() {
	case $1 in
	CAR) echo car01 ;;
	RES) echo "$r1" ;;
	NAME) echo alice ;;
	DIR) echo "$H" ;;
	N) echo 1 ;;
	YYYY-MM-DD) day 5 ;;
	*\|*) echo "${1%%|*}" ;;
	*) echo x ;;
	esac
}
for p in $progs; do
	"$BIN/$p" --help | sed 's/^usage: //; s/[][]//g; s/ | / /g' >"$T_TMP/usage"
	while read -r first rest; do
		[ "$first" = "$p" ] || continue
		set -- "$p"
		prev=
		for w in $rest; do
			case $w in
			COMMAND | ...) break ;;
			--*)
				o=${w%%=*}
				includes "$p: '$*' offers $o" "$o" "$@" "$(printf '%s' "$o" | cut -c1-3)"
				set -- "$@" "$o"
				;;
			CAR)
				[ "$prev" = add ] ||
					includes "$p: '$*' offers a car" car01 "$@" ''
				set -- "$@" car01
				;;
			RES)
				case $* in
				*--as*) ;;
				*) set -- "$@" --as alice ;;
				esac
				t_match "$p: '$*' offers a reservation" "$(comp "$@" '')" '^res-[0-9a-f]{16}$'
				set -- "$@" "$r1"
				;;
			*[a-z]*)
				# a literal (a subcommand), unless it is an option's value
				case $prev in
				--*) set -- "$@" "$(sample "$w")" ;;
				*)
					includes "$p: '$*' offers $w" "$w" "$@" ''
					set -- "$@" "$w"
					;;
				esac
				;;
			*) set -- "$@" "$(sample "$w")" ;;
			esac
			prev=$w
		done
	done <"$T_TMP/usage"
done

rate --as alice "$r4" --stars 4 >/dev/null && dispatch
offers 'rate: a reservation once rated is offered no more' '' rate --as alice ''

done_testing
