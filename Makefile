# Plain make: build the commands in bin/, the library in lib/, run tests, bench, demo.
.POSIX:
.SUFFIXES:

VERSION   = 0.1.0
PREFIX    = /usr/local
MANPREFIX = $(PREFIX)/share/man
CC        = cc
PKGS      = libsodium yaml-0.1 libgit2 jansson zlib
# What building needs (all, install), and what the tests and the demo need besides.
BUILDDEBS = build-essential pkg-config libsodium-dev libyaml-dev libgit2-dev libjansson-dev zlib1g-dev
DEBS      = git openssl libcmocka-dev strace jq openssh-client zsh faketime python3-icalendar xfsprogs mandoc
SANFLAGS  = $$(if [ "$(SANITIZE)" = 1 ]; then echo -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined; fi)
CFLAGS    = -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Wshadow -Wno-unused-parameter -Wno-missing-field-initializers
ALLCFLAGS = $(CFLAGS) $(SANFLAGS) -Ilib -DRENTAL_VERSION='"$(VERSION)"' -DRENTAL_DEFAULT_HOME='"$(CURDIR)"' $$(pkg-config --cflags $(PKGS))
LIBS      = -Wl,--as-needed $$(pkg-config --libs $(PKGS)) -lpthread
# A command is a short-lived process: loading shared libraries was ~0.24 ms of its
# ~2 ms. The commands take libsodium, libyaml and jansson from their static archives
# (Debian's -dev packages ship them), where there are any; the rest stays shared.
STATIC    = $$(for l in sodium yaml jansson; do a=$$($(CC) -print-file-name=lib$$l.a); [ -f "$$a" ] && printf '%s ' "$$a"; done)

CMDS = bin/carctl bin/reserve bin/pay bin/rent bin/rate bin/mypage bin/dispatcher
LIBSRC = lib/util.c lib/limit.c lib/kv.c lib/sign.c lib/event.c lib/spool.c lib/config.c lib/sha1.c lib/git.c lib/gitsig.c lib/store.c lib/records.c lib/price.c lib/init.c \
         lib/ledger.c lib/context.c lib/management.c lib/reservation.c lib/payment.c lib/rental.c \
         lib/rating.c lib/mypage.c lib/dispatch.c lib/home.c lib/format.c \
         lib/url.c lib/transport.c lib/remote.c lib/replicate.c lib/replica.c
LIBOBJ = $(LIBSRC:.c=.o)
UNITS  = tests/unit/test_kv tests/unit/test_sign tests/unit/test_rules tests/unit/test_store tests/unit/test_price \
         tests/unit/test_format

all: builddeps $(CMDS)

# Install the Debian packages that are missing (sudo where not root).
INSTALL = missing=""; for p in $$pkgs; do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then s=; else s=sudo; fi; \
	  $$s apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$s apt-get install -y -qq $$missing >/dev/null || exit 1; \
	fi
FUZZDEBS  = clang libclang-rt-14-dev
BENCHDEBS = libsqlite3-dev

builddeps: .builddeps-ok
.builddeps-ok: Makefile
	@pkgs="$(BUILDDEBS)"; $(INSTALL); touch .builddeps-ok
deps: builddeps .deps-ok
.deps-ok: Makefile
	@pkgs="$(DEBS)"; $(INSTALL); touch .deps-ok

# libFuzzer on the event and settings parsers and on the whole apply path (signed
# events through real batches), FUZZ_SECONDS each, all at once; FUZZ_TARGETS: some.
FUZZ_SECONDS = 600
FUZZ_TARGETS = fuzz_event fuzz_config fuzz_apply
fuzz: all
	@pkgs="$(FUZZDEBS)"; $(INSTALL)
	tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

lib/librental.a: $(LIBOBJ)
	rm -f $@.tmp; ar rcs $@.tmp $(LIBOBJ) && mv -f $@.tmp $@

.SUFFIXES: .c .o
.c.o:
	$(CC) $(ALLCFLAGS) -c -o $@ $<

$(LIBOBJ): lib/*.h Makefile
$(CMDS): lib/librental.a lib/*.h
bin/carctl: bin/carctl.c
bin/reserve: bin/reserve.c
bin/pay: bin/pay.c
bin/rent: bin/rent.c
bin/rate: bin/rate.c
bin/mypage: bin/mypage.c
bin/dispatcher: bin/dispatcher.c
$(CMDS): bin/cli.h
	$(CC) $(ALLCFLAGS) -o $@.tmp $@.c lib/librental.a $(STATIC) $(LIBS) && mv -f $@.tmp $@

$(UNITS): lib/librental.a lib/*.h
tests/unit/test_kv: tests/unit/test_kv.c
tests/unit/test_sign: tests/unit/test_sign.c
tests/unit/test_rules: tests/unit/test_rules.c
tests/unit/test_store: tests/unit/test_store.c
tests/unit/test_price: tests/unit/test_price.c
tests/unit/test_format: tests/unit/test_format.c
$(UNITS):
	$(CC) $(ALLCFLAGS) -o $@ $@.c lib/librental.a $(LIBS) -lcmocka

# SANITIZE=1 builds into the same tree: start clean so no plain object is linked.
check: deps
	@if [ "$(SANITIZE)" = 1 ]; then $(MAKE) clean >/dev/null; fi
	$(MAKE) $(CMDS) $(UNITS) SANITIZE=$(SANITIZE)
	@if [ "$(VALGRIND)" = 1 ]; then \
	  T_WRAP="valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99"; \
	  T_TIMEOUT=600; export T_WRAP T_TIMEOUT; fi; tests/run

# The dispatcher SIGKILLed at random instants, TORTURE_KILLS times (1000).
torture: deps all
	tests/torture/kill.sh $${TORTURE_KILLS:-1000}
	tests/torture/power.sh $${TORTURE_CUTS:-100}

demo: deps all
	./demo.sh

# The figures beside their limits (bench/README.md); GROWTH_EVENTS sets the large
# history (100000 reservations; 1000000 is the goal's size).
bench: all
	@pkgs="$(BENCHDEBS)"; $(INSTALL)
	$(MAKE) -C bench

# make install: everything under $(DESTDIR)$(PREFIX). The commands are built again
# into $(INSTDIR) with the default home $(INSTALL_HOME); bin/ keeps the source tree
# as its default. The library sources that name RENTAL_DEFAULT_HOME are compiled
# into $(INSTDIR) and linked ahead of lib/librental.a, so the linker leaves out the
# archive's own copies of them. The unit and the cron line name the installed
# dispatcher and home. INSTALL_HOME=DIR installs for another home: the commands are
# built for each home in a folder of its own. The folders it makes are 755 whatever
# the umask: the man pages and completions are for every user.
INSTALL_HOME = /var/lib/rental
INSTDIR      = build/install$(subst /,-,$(INSTALL_HOME))
INSTCFLAGS   = $(ALLCFLAGS) -URENTAL_DEFAULT_HOME -DRENTAL_DEFAULT_HOME='"$(INSTALL_HOME)"'
BASHCOMPDIR  = $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR   = $(PREFIX)/share/zsh/site-functions
UNITDIR      = $(PREFIX)/lib/systemd/system
SHAREDIR     = $(PREFIX)/share/rental
CONTRIBSED   = sed -e 's|/usr/local/bin/|$(PREFIX)/bin/|g' -e 's|/var/lib/rental|$(INSTALL_HOME)|g'

$(INSTDIR)/.built: lib/librental.a lib/*.h lib/*.c bin/*.c bin/cli.h Makefile
	rm -rf $(INSTDIR) && mkdir -p $(INSTDIR)
	objs=; for s in $$(grep -l RENTAL_DEFAULT_HOME $(LIBSRC)); do \
	  o=$(INSTDIR)/$$(basename $$s .c).o; objs="$$objs $$o"; \
	  $(CC) $(INSTCFLAGS) -c -o $$o $$s || exit 1; \
	done; \
	for c in $(CMDS); do \
	  $(CC) $(INSTCFLAGS) -o $(INSTDIR)/$${c#bin/} $$c.c $$objs lib/librental.a $(STATIC) $(LIBS) || exit 1; \
	done
	touch $@

install: all $(INSTDIR)/.built
	umask 022 && mkdir -p $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(MANPREFIX)/man1 $(DESTDIR)$(MANPREFIX)/man7 \
	  $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SHAREDIR)
	for c in $(CMDS); do n=$${c#bin/}; \
	  cp -f $(INSTDIR)/$$n $(DESTDIR)$(PREFIX)/bin/$$n && chmod 755 $(DESTDIR)$(PREFIX)/bin/$$n || exit 1; \
	done
	install -m 644 man/*.1 $(DESTDIR)$(MANPREFIX)/man1/
	install -m 644 man/*.7 $(DESTDIR)$(MANPREFIX)/man7/
	cp -f completion/rental.bash $(DESTDIR)$(BASHCOMPDIR)/carctl
	for c in $(CMDS); do n=$${c#bin/}; \
	  [ $$n = carctl ] || ln -sf carctl $(DESTDIR)$(BASHCOMPDIR)/$$n || exit 1; \
	done
	cp -f completion/_rental $(DESTDIR)$(ZSHCOMPDIR)/_rental
	$(CONTRIBSED) contrib/rental-dispatcher.service >$(DESTDIR)$(UNITDIR)/rental-dispatcher.service
	$(CONTRIBSED) contrib/rental.cron >$(DESTDIR)$(SHAREDIR)/rental.cron
	chmod 644 $(DESTDIR)$(BASHCOMPDIR)/carctl $(DESTDIR)$(ZSHCOMPDIR)/_rental \
	  $(DESTDIR)$(UNITDIR)/rental-dispatcher.service $(DESTDIR)$(SHAREDIR)/rental.cron

uninstall:
	for c in $(CMDS); do n=$${c#bin/}; \
	  rm -f $(DESTDIR)$(PREFIX)/bin/$$n $(DESTDIR)$(MANPREFIX)/man1/$$n.1 $(DESTDIR)$(BASHCOMPDIR)/$$n; \
	done
	rm -f $(DESTDIR)$(MANPREFIX)/man7/rental.7 $(DESTDIR)$(ZSHCOMPDIR)/_rental \
	  $(DESTDIR)$(UNITDIR)/rental-dispatcher.service $(DESTDIR)$(SHAREDIR)/rental.cron
	-rmdir $(DESTDIR)$(SHAREDIR)

clean:
	rm -f $(CMDS) $(LIBOBJ) lib/librental.a $(UNITS)
	rm -rf build

.PHONY: all builddeps deps check demo bench fuzz torture install uninstall clean
