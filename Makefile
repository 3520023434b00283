# monoctx — set-up and checks. `make demo` and `make test` do all set-up on a fresh machine.
GO      ?= go
BIN     := bin/monoctx
PKGS    := ./...

.PHONY: all build demo test check bench clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/monoctx

# Build monoctx and run it on the bundled example monorepo (testdata/example).
demo: build
	scripts/demo $(BIN)

# All tests. Starts a private Docker engine (installing Debian's docker.io and podman when missing)
# when none is reachable, and a private buildkitd (built once from the Go module proxy at the
# version go.mod pins, cached in ~/.cache/monoctx; runc from apt-get); with CI=true a test that
# needs Docker or buildkitd fails rather than skips.
test:
	scripts/with-dockerd scripts/with-buildkitd $(GO) test -count=1 $(PKGS)

# The presubmit: formatting, vet, tidy modules, race-enabled tests.
check:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go') $$(git ls-files --others --exclude-standard '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) mod tidy -diff
	scripts/with-dockerd $(GO) test -race -count=1 $(PKGS)

# Benchmarks: side-by-side figures against git, tar and plain docker build (see README, Performance).
bench:
	scripts/bench

clean:
	rm -rf bin .bench
