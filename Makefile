# The two commands a new user needs, on a machine with Node 20, npm and make:
#   make demo   install, build, and build the example apps under one token pool
#   make test   install, build, and run the whole test suite
# pnpm is fetched by npx at the pinned version; nothing else is assumed.

PNPM ?= npx --yes pnpm@12.4.2
export TURBO_TELEMETRY_DISABLED := 1

.PHONY: demo test install build bench clean make44

VITEST_FLAGS ?=

install:
	$(PNPM) install --frozen-lockfile

build: install
	$(PNPM) run build

# make 4.4.1 (fifo-style jobserver) is built from Debian's source package when
# this machine can (root with apt); without it those tests are skipped, saying why.
test: build make44
	$(PNPM) exec vitest run $(VITEST_FLAGS)

make44:
	-@bash scripts/build-make44.sh || echo "make 4.4.1 could not be built here: its tests and demo step are skipped"

demo: build make44
	$(MAKE) --no-print-directory -C examples demo

bench: build
	node bench/run.mjs

clean:
	rm -rf node_modules packages/*/node_modules packages/*/dist .turbo
