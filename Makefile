# The two commands a new user needs, on a machine with Node 20, npm and make:
#   make demo   install, build, and build the example apps under one token pool
#   make test   install, build, and run the whole test suite
# pnpm is fetched by npx at the pinned version; nothing else is assumed.

PNPM ?= npx --yes pnpm@12.4.2

.PHONY: demo test install build bench clean

install:
	$(PNPM) install --frozen-lockfile

build: install
	$(PNPM) run build

test: build
	$(PNPM) exec vitest run

demo: build
	$(MAKE) -C examples demo

bench: build
	node bench/run.mjs

clean:
	rm -rf node_modules packages/*/node_modules packages/*/dist .turbo
