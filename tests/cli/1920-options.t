#!/bin/sh
# 1920-options.t: an option given without its value, with a value it does not take,
# or unknown, is a usage error (64) that names the option as the user typed it, in
# every command (it once named --home and --as by a stray byte, "option -\350").
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

scratch_home

# plain TEXT: 0 if TEXT is printable ASCII lines only (no stray byte).
plain() {
	[ -z "$(printf '%s' "$1" | LC_ALL=C tr -d '\n -~')" ]
}

# value_options PROG: the options of PROG that take a value, besides --home and --as.
value_options() {
	case $1 in
	carctl) echo rate model role pubkey ;;
	reserve) echo from to ;;
	pay) echo amount ;;
	rate) echo stars comment ;;
	mypage) echo customer ;;
	esac
}

for p in carctl reserve pay rent rate mypage dispatcher; do
	for o in home as $(value_options $p); do
		t_refuse 64 "$p --$o without its value" $p --$o
		t_match "... says '$p: --$o: missing its value'" "$ERR" "^$p: --$o: missing its value\$"
		plain "$ERR"
		t_eq '... in plain ASCII' $? 0
	done
	t_refuse 64 "$p --json=1" $p --json=1
	t_match "... says --json takes no value" "$ERR" "^$p: --json: takes no value\$"
	t_refuse 64 "$p --no-such-option" $p --no-such-option
	t_match '... names it' "$ERR" "^$p: --no-such-option: unknown option\$"
	t_refuse 64 "$p -z (no short options)" $p -z
	t_match '... names it' "$ERR" "^$p: -z: unknown option\$"
done

# Abbreviations as getopt_long takes them: named in full, or said to be ambiguous.
t_refuse 64 'carctl --ho (an abbreviation) without its value' carctl list --ho
t_match '... named in full' "$ERR" '^carctl: --home: missing its value$'
t_refuse 64 'carctl --r=1 (--rate or --role)' carctl --as admin add car01 --r=1
t_match '... is ambiguous' "$ERR" '^carctl: --r=1: ambiguous option$'
# A short option in a cluster after a long one is named, not the long one.
t_refuse 64 'carctl --json -xy' carctl list --json -xy
t_match '... names -x' "$ERR" '^carctl: -x: unknown option$'
# A control character typed in an option is shown escaped.
t_refuse 64 'an unknown option with a control character' carctl "$(printf -- '--a\033b')"
t_match '... escaped' "$ERR" '^carctl: --a\\x1bb: unknown option$'

# An option of another subcommand is an error that names it, not passed over.
only() { # PROG WHAT OPTION ARGS...: PROG ARGS is 64, saying "WHAT: --OPTION does not apply"
	_o_p=$1 _o_w="$2: " _o_o=$3 # WHAT -: the command's own form, named once
	[ "$2" != - ] || _o_w=
	shift 3
	t_refuse 64 "$_o_p $*: --$_o_o is another subcommand's" $_o_p "$@"
	t_match '... names it' "$ERR" "^$_o_p: $_o_w--$_o_o does not apply\$"
}
only carctl rm rate --as admin rm car01 --rate abc
only carctl key role --as admin key gen zed --role admin
only carctl list month --as admin list --month 2028-01
only carctl show from --as admin show car01 --from 2028-01-01
only pay cancel amount --as alice cancel res-0123456789abcdef --amount 12
only reserve list from --as alice list --from 2028-01-01
only reserve cancel quote --as alice cancel res-0123456789abcdef --quote
only rent list date --as alice list --date 2028-01-01
# The dispatcher prints no listing: --json and --csv were taken and passed over, and
# with no mode a script's `dispatcher --json` became the daemon, never to end.
for m in '' --once --check --allowed-signers; do
	t_refuse 64 "dispatcher $m --json" dispatcher $m --json
	t_match '... says so' "$ERR" '^dispatcher: --json does not apply$'
done
t_refuse 64 'dispatcher --once --csv' dispatcher --once --csv
t_match '... says so' "$ERR" '^dispatcher: --csv does not apply$'
# An empty --home is no home: it was read as /, "/config/rental.yaml: missing".
t_refuse 64 "carctl --home '' list" carctl --home '' list
t_match '... says so' "$ERR" '^carctl: the home is an empty name$'
t_refuse 64 "mypage --home=''" mypage --home= --as alice
t_match '... says so' "$ERR" '^mypage: the home is an empty name$'
t_refuse 64 "dispatcher --home '' --once" dispatcher --home '' --once
t_refuse 64 "carctl init --home ''" carctl --home '' init
# --help still answers, and says the home is no name (it printed "home:  (--home)").
run carctl --home '' --help
t_eq "carctl --home '' --help: exit 0" "$RC" 0
t_match '... the home line says it is empty' "$OUT" '^home: none: --home is an empty name$'
t_refuse 64 'dispatcher --upgrade=7: it takes no value' dispatcher --upgrade=7
SRC=$(cd "$BIN/.." && pwd -P)
syn=$(sed -n '/^\.Sh SYNOPSIS/,/^\.Sh DESCRIPTION/p' "$SRC/man/dispatcher.1")
t_match 'the synopsis has --upgrade' "$syn" 'upgrade'
t_nomatch '... with no value' "$syn" 'upgrade Ns'
t_match 'the zsh completion has it, with no value' "$(cat "$SRC/completion/_rental")" '\)--upgrade\['
t_refuse 64 'dispatcher --once --check: two modes' dispatcher --once --check
t_match '... names the second' "$ERR" '^dispatcher: --check: does not go with the options before it$'
# --json and --csv are for listings: a writing command refuses them, and writes nothing.
only carctl add json --as admin add car05 --rate 5 --json
only carctl rm csv --as admin rm car01 --csv
only carctl key json --as admin key gen zed --json
only carctl ical json ical --json
only reserve - csv --as alice car01 --from 2028-01-01 --to 2028-01-02 --csv
only reserve cancel json --as alice cancel res-0123456789abcdef --json
only pay - json --as alice res-0123456789abcdef --json
only pay cancel csv --as alice cancel res-0123456789abcdef --csv
only rent return json --as alice return res-0123456789abcdef --json
only rate - json --as alice res-0123456789abcdef --stars 5 --json # "rate: rate: --json" before
t_eq '... and nothing was written' "$(spool_count new)" 0
t_ok 'a listing takes --json' carctl list --json
t_ok '... and --csv' reserve --as admin list --csv

t_refuse 64 'carctl lst --json: an unknown command' carctl lst --json
t_match '... said as such, not as an option that does not apply' "$ERR" '^carctl: lst: unknown command$'
# A word a command takes no more of is named, one way in every command.
for c in 'carctl list' 'carctl report' 'carctl key list' 'reserve list' 'rent list' 'rent due'; do
	t_refuse 64 "$c foo: an argument it does not take" $c foo
	t_match '... names it, not the command as unknown' "$ERR" "^${c%% *}: ${c#* }: unexpected argument 'foo'\$"
done
for c in mypage dispatcher; do
	t_refuse 64 "$c foo" $c foo
	t_match '... names it' "$ERR" "^$c: unexpected argument 'foo'\$"
done

# A listing whose reader has gone ends as cat does, by SIGPIPE, saying nothing (the
# pages say so; 74 is a full disk's).
for c in 'carctl list' 'reserve list' 'rent list' 'carctl key list'; do
	{ sleep 0.3; RENTAL_USER=admin "$BIN"/$c 2>"$T_TMP/pipe.err"; echo $? >"$T_TMP/pipe.rc"; } | true
	t_eq "$c | (a reader gone): killed by SIGPIPE" "$(cat "$T_TMP/pipe.rc")" 141
	t_eq '... without a message' "$(cat "$T_TMP/pipe.err")" ''
done

done_testing
