#!/bin/sh
# 1000-config.t: errors in config/rental.yaml (unknown key, wrong type,
# missing file, not YAML) exit 78 with a message naming the file and line,
# and write nothing.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

shop
res=$(book alice car01 2028-08-06 2028-08-08)
CFG=$H/config/rental.yaml

# The settings of the contract, one line each:
#  1 region  2 currency  3 payment  4 breaker  5 contexts
#  6 management  7 reservation  8 payment  9 rental  10 rating  11 mypage
std_config() {
	cat <<'YAML'
region: {country: korea, region: seoul}
currency: KRW
payment:
  breaker: {max_pending: 100, consecutive_errors: 5, open_seconds: 30}
contexts:
  management: {enabled: true}
  reservation: {enabled: true}
  payment: {enabled: true}
  rental: {enabled: true}
  rating: {enabled: true}
  mypage: {enabled: true}
YAML
}
# insert_line N TEXT: the standard settings with TEXT as line N.
insert_line() {
	std_config | awk -v n="$1" -v l="$2" 'NR == n { print l } { print } END { if (NR < n) print l }' >"$CFG"
}
# replace_line N TEXT: the standard settings with line N replaced by TEXT.
replace_line() {
	std_config | awk -v n="$1" -v l="$2" 'NR == n { print l; next } { print }' >"$CFG"
}
# names_line N: a regex for a message naming rental.yaml and line N.
names_line() {
	printf 'rental\\.yaml.*(:|line )%d([^0-9]|$)' "$1"
}

std_config >"$CFG"
t_ok 'the settings of the contract are accepted' carctl --as admin list --json
t_ok 'so says --check' dispatcher --check

# An unknown key at the top.
insert_line 3 'colour: blue'
t_refuse 78 'an unknown key: carctl add' carctl --as admin add car09 --rate 100
t_match '... names the file and line 3' "$ERR" "$(names_line 3)"
t_match '... names the key' "$ERR" 'colour'
t_match '... as carctl: ...' "$ERR" '^carctl: '
t_refuse 78 'an unknown key: carctl list' carctl --as admin list --json
t_refuse 78 'an unknown key: reserve' reserve --as bob car02 --from 2028-08-06 --to 2028-08-08
t_match '... names the file and line 3' "$ERR" "$(names_line 3)"
t_refuse 78 'an unknown key: pay' pay --as alice "$res"
t_refuse 78 'an unknown key: rent list' rent --as alice list --json
t_refuse 78 'an unknown key: rate' rate --as alice "$res" --stars 3
t_refuse 78 'an unknown key: mypage' mypage --as alice --json
t_refuse 78 'an unknown key: dispatcher --once' dispatcher --once
t_match '... names the file and line 3' "$ERR" "$(names_line 3)"
t_exit 78 'an unknown key: dispatcher --check' dispatcher --check
t_match '... names the file and line 3' "$ERR" "$(names_line 3)"

# An unknown key inside a mapping.
replace_line 4 '  breaker: {max_pending: 100, consecutive_error: 5, open_seconds: 30}'
t_refuse 78 'a misspelt breaker key' carctl --as admin add car09 --rate 100
t_match '... names the file and line 4' "$ERR" "$(names_line 4)"
t_match '... names the key' "$ERR" 'consecutive_error'

# An unknown context.
insert_line 12 '  billing: {enabled: true}'
t_refuse 78 'an unknown context' reserve --as bob car02 --from 2028-08-06 --to 2028-08-08
t_match '... names the file and line 12' "$ERR" "$(names_line 12)"
t_match '... names the key' "$ERR" 'billing'

# Wrong types.
replace_line 4 '  breaker: {max_pending: lots, consecutive_errors: 5, open_seconds: 30}'
t_refuse 78 'max_pending that is not a number' pay --as alice "$res"
t_match '... names the file and line 4' "$ERR" "$(names_line 4)"
t_match '... names the key' "$ERR" 'max_pending'
replace_line 10 '  rating: {enabled: maybe}'
t_refuse 78 'enabled that is not a boolean' carctl --as admin add car09 --rate 100
t_match '... names the file and line 10' "$ERR" "$(names_line 10)"
t_exit 78 '... also for dispatcher --check' dispatcher --check
replace_line 4 '  breaker: 5'
t_refuse 78 'a number where a mapping belongs' carctl --as admin add car09 --rate 100
t_match '... names the file and line 4' "$ERR" "$(names_line 4)"
replace_line 2 'currency: [KRW, USD]'
t_refuse 78 'a list where a scalar belongs' carctl --as admin add car09 --rate 100
t_match '... names the file and line 2' "$ERR" "$(names_line 2)"

# A value that is no text: empty, or cut short by a NUL.
replace_line 2 'currency:'
t_refuse 78 'an empty currency' carctl --as admin add car09 --rate 100
t_match '... names the file and line 2' "$ERR" "$(names_line 2)"
{ std_config | sed -n 1p; printf 'currency: "K\\0W"\n'; std_config | sed -n '3,$p'; } >"$CFG"
t_refuse 78 'a currency holding a NUL' carctl --as admin add car09 --rate 100
t_match '... names the file and line 2' "$ERR" "$(names_line 2)"

# A second document after the settings: they are one.
{ std_config; printf -- '---\nbogus: 1\n'; } >"$CFG"
t_refuse 78 'a second YAML document' carctl --as admin add car09 --rate 100
t_match '... names the file and the line it starts on, 12' "$ERR" "$(names_line 12)"

# Not YAML at all.
replace_line 4 '  breaker: {max_pending: 100, consecutive_errors: 5'
t_refuse 78 'a YAML syntax error' carctl --as admin add car09 --rate 100
t_match '... names the file' "$ERR" 'rental\.yaml'

# No file.
rm -f "$CFG"
t_refuse 78 'a missing settings file: carctl add' carctl --as admin add car09 --rate 100
t_match '... names the file' "$ERR" 'rental\.yaml'
t_refuse 78 'a missing settings file: reserve' reserve --as bob car02 --from 2028-08-06 --to 2028-08-08
t_refuse 78 'a missing settings file: dispatcher --once' dispatcher --once
t_exit 78 'a missing settings file: dispatcher --check' dispatcher --check
t_match '... names the file' "$ERR" 'rental\.yaml'

# Back to good settings: nothing was written meanwhile.
std_config >"$CFG"
t_ok 'good settings again: dispatcher --once' dispatcher --once
t_eq '... had nothing to apply' "$ERR" 'dispatcher: applied 0, skipped 0, quarantined 0, held 0'
t_nomatch 'no car09 anywhere' "$(carctl --as admin list --json)" 'car09'
t_eq 'the reservation is untouched' "$(status_of "$res")" RESERVED

# A setting printed as it is holds no C1 control character.
cp "$H/config/rental.yaml" "$T_TMP/cfg.keep"
sed -i '/^currency:/d' "$H/config/rental.yaml"
printf 'currency: "K\\x85W"\n' >>"$H/config/rental.yaml"
t_refuse 78 'currency with a C1 control character' carctl list
t_match '... names it' "$ERR" 'currency: too long or not text'
cp "$T_TMP/cfg.keep" "$H/config/rental.yaml"

# Settings nested past reason are refused at once (libyaml's time grows with the
# square of the nesting: every command would wait).
cp "$H/config/rental.yaml" "$T_TMP/cfg.keep"
python3 -c "print('x: '+'['*20000+']'*20000)" >"$H/config/rental.yaml"
T_TIMEOUT=5 t_refuse 78 'settings with 20,000 nested [: refused at once' carctl list
t_match '... saying why' "$ERR" 'more than 1000\): not settings'
cp "$T_TMP/cfg.keep" "$H/config/rental.yaml"

# A scalar tagged as another type is no setting's text.
cp "$H/config/rental.yaml" "$T_TMP/cfg.keep"
sed -i '/^currency:/d' "$H/config/rental.yaml"
printf 'currency: !!binary S1JX\n' >>"$H/config/rental.yaml"
t_refuse 78 'currency: !!binary S1JX' carctl list
t_match '... expected a string' "$ERR" 'currency: expected a string'
cp "$T_TMP/cfg.keep" "$H/config/rental.yaml"

# ... and a value tagged as another type than the setting's is refused.
for bad in 'currency: !!int KRW' 'currency: !!bool true' 'currency: !!float 1.5' \
	'payment: {breaker: {max_pending: !!bool 100}}' 'payment: {breaker: {open_seconds: !!float 30}}' \
	'contexts: {rating: {enabled: !!int true}}'; do
	printf '%s\n' "$bad" >"$H/config/rental.yaml"
	t_refuse 78 "$bad: refused" carctl list
	t_match '... expected its type' "$ERR" '(expected a string|expected a whole number|expected true or false)$'
done
cp "$T_TMP/cfg.keep" "$H/config/rental.yaml"

# A core schema tag of the right type is taken.
cp "$H/config/rental.yaml" "$T_TMP/cfg.keep"
sed -i '/^currency:/d' "$H/config/rental.yaml"
printf 'currency: !!str KRW\n' >>"$H/config/rental.yaml"
t_ok 'currency: !!str KRW is taken' carctl list
printf 'payment: {breaker: {max_pending: !!int 100}}\ncontexts: {rating: {enabled: !!bool true}}\n' >"$H/config/rental.yaml"
t_ok 'max_pending: !!int 100, enabled: !!bool true are taken' carctl list
cp "$T_TMP/cfg.keep" "$H/config/rental.yaml"

done_testing
