#!/bin/sh
# 1910-install.t: make install PREFIX=... DESTDIR=... puts the commands, man pages,
# completions, systemd unit and cron line under $(DESTDIR)$(PREFIX); the installed
# commands default to the home /var/lib/rental while bin/ keeps the source tree;
# the unit passes systemd-analyze verify; make uninstall takes it all away.
T_LIB=$(dirname "$0")/../lib.sh
. "$T_LIB"

SRC=$(cd "$BIN/.." && pwd -P)
ROOT=$T_TMP/root
progs='carctl reserve pay rent rate mypage dispatcher'

if ! command -v make >/dev/null 2>&1; then
	t_skip 'make install' 'no make'
	done_testing
fi
t_ok 'make install DESTDIR=... PREFIX=/usr' make -C "$SRC" install DESTDIR="$ROOT" PREFIX=/usr
[ "$RC" -eq 0 ] || printf '%s\n' "$ERR" | tail -n 20 | sed 's/^/# /'

U=$ROOT/usr
for p in $progs; do
	t_eq "bin/$p, executable" "$([ -f "$U/bin/$p" ] && [ -x "$U/bin/$p" ] && echo yes)" yes
	t_file "share/man/man1/$p.1" "$U/share/man/man1/$p.1"
	t_eq "share/bash-completion/completions/$p: the bash completion" \
		"$(cmp -s "$U/share/bash-completion/completions/$p" "$SRC/completion/rental.bash" && echo same)" same
done
t_file 'share/man/man7/rental.7' "$U/share/man/man7/rental.7"
t_eq 'share/zsh/site-functions/_rental: the zsh completion' \
	"$(cmp -s "$U/share/zsh/site-functions/_rental" "$SRC/completion/_rental" && echo same)" same
UNIT=$U/lib/systemd/system/rental-dispatcher.service
CRON=$U/share/rental/rental.cron
t_file 'lib/systemd/system/rental-dispatcher.service' "$UNIT"
t_file 'share/rental/rental.cron' "$CRON"
t_eq 'nothing else is installed' "$(cd "$ROOT" && find . -type f -o -type l | wc -l | tr -d ' ')" 25
t_eq 'nothing outside DESTDIR/PREFIX' "$(ls -A "$ROOT")" usr
t_eq 'the man pages are readable by all' "$(ls -l "$U/share/man/man1/carctl.1" | cut -c1-10)" -rw-r--r--

# The unit and the cron line name the installed dispatcher and the home.
t_match 'the unit runs the installed dispatcher in the foreground' "$(cat "$UNIT")" '^ExecStart=/usr/bin/dispatcher$'
t_match '... restarted on failure' "$(cat "$UNIT")" '^Restart=on-failure$'
t_match '... on /var/lib/rental' "$(cat "$UNIT")" '^Environment=RENTAL_HOME=/var/lib/rental$'
t_match 'the cron line runs dispatcher --once --quiet every minute' "$(cat "$CRON")" \
	'^\* \* \* \* \* [a-z]+ /usr/bin/dispatcher --once --quiet$'
t_match '... on /var/lib/rental' "$(cat "$CRON")" '^RENTAL_HOME=/var/lib/rental$'

# The default home: /var/lib/rental installed, the source tree from bin/.
(
	unset RENTAL_HOME
	"$U/bin/carctl" --help >"$T_TMP/inst.help" 2>&1
	"$BIN/carctl" --help >"$T_TMP/bin.help" 2>&1
	"$U/bin/reserve" list >"$T_TMP/inst.out" 2>&1
)
t_eq 'the installed carctl works on /var/lib/rental by default' \
	"$(tail -n 1 "$T_TMP/inst.help")" 'home: /var/lib/rental (the built-in default)'
t_eq 'bin/carctl still on the source tree' "$(tail -n 1 "$T_TMP/bin.help")" "home: $SRC (the built-in default)"
if [ -e /var/lib/rental ]; then
	t_skip 'an installed command names /var/lib/rental when it is no home' '/var/lib/rental exists here'
else
	t_match 'an installed command names /var/lib/rental when it is no home' \
		"$(cat "$T_TMP/inst.out")" '/var/lib/rental'
fi
t_ok 'the installed commands work on a home given them' "$U/bin/carctl" --home "$T_TMP/h" init
t_ok '... and its dispatcher too' "$U/bin/dispatcher" --home "$T_TMP/h" --once

# systemd-analyze verify, on a unit installed without DESTDIR so that the dispatcher
# it names exists, with its man pages on MANPATH for Documentation=.
P=$T_TMP/prefix
if ! command -v systemd-analyze >/dev/null 2>&1; then
	t_skip 'systemd-analyze verify of the unit' 'no systemd-analyze'
else
	make -C "$SRC" install PREFIX="$P" >/dev/null 2>&1
	run env MANPATH="$P/share/man" systemd-analyze verify "$P/lib/systemd/system/rental-dispatcher.service"
	if [ "$RC" -ne 0 ] && printf '%s\n' "$ERR" | grep -q 'man '; then
		# no man(1) here to read Documentation=: verify the rest
		run systemd-analyze verify --man=no "$P/lib/systemd/system/rental-dispatcher.service"
	fi
	t_eq 'systemd-analyze verify of the unit' "$RC $ERR" '0 '
fi

# The cron line's command runs as cron runs it: prints nothing on a quiet home.
cmd=$(sed -n 's/^\* \* \* \* \* [a-z]* //p' "$P/share/rental/rental.cron" 2>/dev/null)
if ! "$BIN/dispatcher" --help | grep -q -e --quiet; then
	t_skip 'the cron line'"'"'s command prints nothing' 'this dispatcher has no --quiet yet'
else
	run env RENTAL_HOME="$T_TMP/h" sh -c "$cmd"
	t_eq 'the cron line'"'"'s command prints nothing' "$RC:$OUT$ERR" 0:
fi

# Under a strict umask the folders it makes are still readable by all (they were
# 0700: only root could read the man pages or load the completions).
(umask 077 && make -C "$SRC" install DESTDIR="$T_TMP/strict" PREFIX=/usr >/dev/null 2>&1)
t_eq 'under umask 077, every folder made is 755' \
	"$(find "$T_TMP/strict" -type d ! -perm 755 | sed "s|^$T_TMP/strict||")" ''
# Another home for the installed commands: they are built again for it (the build for
# the first one was kept, and the unit named a home the commands did not).
make -C "$SRC" install DESTDIR="$T_TMP/srv" PREFIX=/usr INSTALL_HOME=/srv/rental >/dev/null 2>&1
t_eq 'INSTALL_HOME=/srv/rental: the installed commands default to it' \
	"$(env -u RENTAL_HOME "$T_TMP/srv/usr/bin/carctl" --help | tail -n 1)" 'home: /srv/rental (the built-in default)'
t_match '... as the unit does' "$(cat "$T_TMP/srv/usr/lib/systemd/system/rental-dispatcher.service")" \
	'^Environment=RENTAL_HOME=/srv/rental$'

t_ok 'make uninstall DESTDIR=... PREFIX=/usr' make -C "$SRC" uninstall DESTDIR="$ROOT" PREFIX=/usr
t_eq '... leaves no file' "$(cd "$ROOT" && find . -type f -o -type l)" ''

done_testing
