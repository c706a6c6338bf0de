# rental.bash: bash completion for the rental commands (carctl, reserve, pay, rent,
# rate, mypage, dispatcher): their subcommands and options, car ids, key names, and
# the reservation ids the user may act on, read from the home named on the line
# (--home, else $RENTAL_HOME, else the commands' own default) as the identity named
# on the line (--as, else $RENTAL_USER, else the login name).
#
# Source it from ~/.bashrc, or install it where bash-completion looks
# (make install puts it in $(PREFIX)/share/bash-completion/completions/).
# It needs bash alone: neither bash-completion nor jq.

# The options that take a value, in every command.
_rental_valued='--home --as --rate --model --weekly --monthly --late-fee --role --pubkey --from --to --reason --month --by --date --amount --stars --comment --customer --replica --trust'

# _rental_dequote WORD: WORD as the shell will pass it ('a b', "a b" or a\ b is
# a b), without running anything it holds.
_rental_dequote() {
	local w=$1
	case $w in
	\'*\') w=${w:1:${#w}-2} ;;
	\"*\") w=${w:1:${#w}-2} w=${w//\\\"/\"} ;;
	*\\*) w=$(printf '%s' "$w" | sed 's/\\\(.\)/\1/g') ;;
	esac
	printf '%s' "$w"
}

# _rental_run PROG ARGS...: run the rental program PROG beside the one being
# completed (bin/carctl for bin/reserve), on the home and as the identity of the
# line; its stdout only.
_rental_run() {
	local prog=$1 dir=
	shift
	case $_rental_cmd in
	*/*) dir=${_rental_cmd%/*}/ ;;
	esac
	dir=${dir/#\~\//$HOME/}
	"$dir$prog" ${_rental_home:+--home "$_rental_home"} ${_rental_as:+--as "$_rental_as"} \
		"$@" 2>/dev/null </dev/null
}

# _rental_field NAME: the string member NAME of each JSON line of stdin.
_rental_field() {
	sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p"
}

# _rental_cars: the registered car ids.
_rental_cars() {
	_rental_run carctl list --json | _rental_field car
}

# _rental_blocks: the ids of the blocks in force (the calendar's, as carctl ical
# gives them).
_rental_blocks() {
	_rental_run carctl ical | sed -n 's/^UID:\(blk-[0-9a-f]*\)@rental.*/\1/p'
}

# _rental_names [ROLE]: the registered names one may act as (admins and customers,
# not revoked), or those of ROLE.
_rental_names() {
	local role=${1:-'\(admin\|customer\)'}
	_rental_run carctl key list --json | sed -n "/\"role\":\"$role\".*\"revoked\":false/p" | _rental_field name
}

# _rental_reservations STATUS...: the ids of the user's reservations (an admin's:
# all) in one of the STATUSes, as `reserve list` shows them.
_rental_reservations() {
	local st pat=
	for st; do
		pat=${pat:+$pat\\|}$st
	done
	_rental_run reserve list --json | sed -n "/\"status\":\"\\($pat\\)\"/p" | _rental_field reservation
}

# _rental_unrated: the ids of the user's returned reservations not yet rated, as
# their page shows them.
_rental_unrated() {
	_rental_run mypage --json | sed -n '/"status":"RETURNED"/{/"stars":null/p;}' | _rental_field reservation
}

# _rental_reply WORDS: the WORDS that start with the word being completed.
_rental_reply() {
	local IFS=$' \t\n'
	COMPREPLY=($(compgen -W "$1" -- "$_rental_cur"))
}

# _rental_dirs: the folders that start with the word being completed.
_rental_dirs() {
	compopt -o filenames 2>/dev/null
	mapfile -t COMPREPLY < <(compgen -d -- "$_rental_cur")
}

# _rental_value OPTION: complete the value of OPTION.
_rental_value() {
	case $1 in
	--home | --replica) _rental_dirs ;;
	--as) _rental_reply "$(_rental_names)" ;;
	--customer) _rental_reply "$(_rental_names customer)" ;;
	--role) _rental_reply 'customer admin' ;;
	--stars) _rental_reply '1 2 3 4 5' ;;
	--from | --to | --date) _rental_reply "$(date -u +%F 2>/dev/null)" ;;
	--month) _rental_reply "$(date -u +%Y-%m 2>/dev/null)" ;;
	--by) _rental_reply 'car month' ;;
	*) COMPREPLY=() ;;
	esac
}

# _rental: the completion function of every rental command.
_rental() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev= i w opt= opts common='--home --as --help --version'
	local -a pos=()
	local _rental_cmd=${COMP_WORDS[0]} _rental_home= _rental_as= _rental_cur
	COMPREPLY=()

	# What is on the line before the word being completed: --home and --as, the
	# words that are not options (subcommand, car, reservation), and whether the word
	# being completed is the value of an option (--opt VALUE, or --opt=VALUE, which
	# bash splits into --opt, = and VALUE).
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if [[ -n $opt ]]; then
			[[ $w == = && -z $prev ]] && { prev==; continue; }
			[[ $opt == --home ]] && _rental_home=$(_rental_dequote "$w")
			[[ $opt == --as ]] && _rental_as=$(_rental_dequote "$w")
			opt= prev=
			continue
		fi
		case $w in
		--home=?*) _rental_home=$(_rental_dequote "${w#--home=}") ;;
		--as=?*) _rental_as=$(_rental_dequote "${w#--as=}") ;;
		--*=*) ;;
		-*) [[ " $_rental_valued " == *" $w "* ]] && opt=$w ;;
		*) pos+=("$w") ;;
		esac
	done
	_rental_home=${_rental_home/#\~\//$HOME/}
	if [[ -n $opt ]]; then
		[[ $cur == = ]] && cur=
		_rental_cur=$cur
		_rental_value "$opt"
		return 0
	fi
	if [[ $cur == --*=* ]]; then
		_rental_cur=${cur#*=}
		_rental_value "${cur%%=*}"
		return 0
	fi
	_rental_cur=$cur

	# The options and the words that may come next, by command and subcommand.
	local sub=${pos[0]} words=
	case ${_rental_cmd##*/} in
	carctl)
		local prices='--rate --model --weekly --monthly --late-fee'
		case $sub in
		'') opts="$common"; words='init key add set rm block unblock list show cal ical report' ;;
		init) opts="$common --replica --trust"; ((${#pos[@]} == 1)) && words=DIR ;;
		add) opts="$common $prices" ;;
		set) opts="$common $prices"; ((${#pos[@]} == 1)) && words=$(_rental_cars) ;;
		rm) opts="$common"; ((${#pos[@]} == 1)) && words=$(_rental_cars) ;;
		block) opts="$common --from --to --reason"; ((${#pos[@]} == 1)) && words=$(_rental_cars) ;;
		unblock) opts="$common"; ((${#pos[@]} == 1)) && words=$(_rental_blocks) ;;
		show) opts="$common --json --csv"; ((${#pos[@]} == 1)) && words=$(_rental_cars) ;;
		list) opts="$common --from --to --json --csv" ;;
		cal) opts="$common --month --json --csv"; words=$(_rental_cars) ;;
		ical) opts="$common"; words=$(_rental_cars) ;;
		report) opts="$common --from --to --by --json --csv" ;;
		key)
			case ${pos[1]} in
			'') opts="$common"; words='add gen rm list' ;;
			add) opts="$common --role --pubkey" ;;
			rm) opts="$common"; ((${#pos[@]} == 2)) && words=$(_rental_names) ;;
			list) opts="$common --json --csv" ;;
			*) opts="$common" ;;
			esac
			;;
		*) opts="$common" ;;
		esac
		;;
	reserve)
		case $sub in
		'') opts="$common"; words="cancel list $(_rental_cars)" ;;
		cancel) opts="$common"; ((${#pos[@]} == 1)) && words=$(_rental_reservations RESERVED) ;;
		list) opts="$common --json --csv" ;;
		*) opts="$common --from --to --quote" ;;
		esac
		;;
	pay)
		case $sub in
		'') opts="$common --amount"; words="cancel $(_rental_reservations RESERVED)" ;;
		cancel) opts="$common"; ((${#pos[@]} == 1)) && words=$(_rental_reservations RENTED) ;;
		*) opts="$common --amount" ;;
		esac
		;;
	rent)
		case $sub in
		'') opts="$common"; words='return list due receipt' ;;
		return) opts="$common"; ((${#pos[@]} == 1)) && words=$(_rental_reservations RENTED) ;;
		list) opts="$common --json --csv" ;;
		due) opts="$common --date --json --csv" ;;
		receipt) opts="$common --json --csv"
			((${#pos[@]} == 1)) && words=$(_rental_reservations RENTED RETURNED PAYMENT_CANCELED) ;;
		*) opts="$common" ;;
		esac
		;;
	rate)
		opts="$common --stars --comment"
		[[ -z $sub ]] && words=$(_rental_unrated)
		;;
	mypage) opts="$common --customer --json --csv" ;;
	dispatcher) opts="$common --once --quiet --check --rebuild --upgrade --push --allowed-signers" ;;
	*) return 0 ;;
	esac

	if [[ $cur == -* ]]; then
		_rental_reply "$opts"
	elif [[ $words == DIR ]]; then
		_rental_dirs
	else
		_rental_reply "$words"
	fi
	return 0
}

complete -F _rental carctl reserve pay rent rate mypage dispatcher
