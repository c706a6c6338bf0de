#!/bin/sh
# 1930-display-width.t: tables for people line up by display width: a model in
# Hangul, with an emoji or a combining accent takes the columns a terminal gives it,
# and a value too wide for its column is cut between characters, never inside one.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

utf8=$(locale -a 2>/dev/null | grep -i -m1 -E '^c\.utf-?8$')
if [ -z "$utf8" ] || [ "$(printf '\352\260\200' | LC_ALL=$utf8 wc -L 2>/dev/null)" != 2 ]; then
	t_skip 'tables align by display width' 'no C.UTF-8 locale or wc -L that counts wide characters'
	done_testing
fi

# columns TEXT WORD...: for each line of TEXT, the display width of what precedes
# the first of the WORDs it holds; the distinct numbers, one a line (one if aligned).
columns() {
	_c_text=$1
	shift
	printf '%s\n' "$_c_text" | while IFS= read -r line; do
		for w; do
			case $line in
			*"$w"*) printf '%s\n' "${line%%"$w"*}" | LC_ALL=$utf8 wc -L; break ;;
			esac
		done
	done | sort -u
}

long=$(printf '가나다라마바사아자차카타파하%.0s' 1 2 3)
scratch_home
carctl --as admin add k1 --rate 5 --model '현대 아반떼' >/dev/null
carctl --as admin add k2 --rate 70000 --model '🚗 Fast' >/dev/null
carctl --as admin add k3 --rate 7 --model Plain >/dev/null
carctl --as admin add k4 --rate 7 --model "$(printf 'e\314\201tude')" >/dev/null
carctl --as admin add k5 --rate 7 --model "$long" >/dev/null
dispatch

t_ok 'carctl list' carctl list
t_eq 'a line per car and the header' "$(printf '%s\n' "$OUT" | wc -l | tr -d ' ')" 6
t_eq 'the STATUS column starts at one display column on every line' \
	"$(columns "$OUT" ' STATUS' ' AVAILABLE' | wc -l | tr -d ' ')" 1
t_eq 'so does the STARS column' "$(columns "$OUT" ' STARS' ' - ' | wc -l | tr -d ' ')" 1
# CAR is 12 columns and a space; MODEL its widest value, cut at 40, and a space.
t_eq '... and RATE, right after MODEL, 13 + 41 columns from the left' \
	"$(columns "$OUT" ' RATE' ' 5 ' ' 70000 ' ' 7 ')" 53
line=$(printf '%s\n' "$OUT" | grep '^k5 ')
t_match 'a model too wide for its column is cut, and says so' "$line" '가나다라.*\.\.\. '
t_eq '... between characters: the table is valid UTF-8' \
	"$(printf '%s\n' "$OUT" | iconv -f UTF-8 -t UTF-8 >/dev/null 2>&1 && echo valid)" valid
t_ok 'carctl list --json' carctl list --json
t_eq '--json keeps the whole model' "$(printf '%s\n' "$OUT" | jrow car k5 | jget model)" "$long"

t_ok 'carctl show of the car with the Hangul model' carctl show k1
t_eq 'its columns line up' "$(columns "$OUT" ' STATUS' ' AVAILABLE' | wc -l | tr -d ' ')" 1

done_testing
