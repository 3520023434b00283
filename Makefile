# monoctx — set-up and checks. `make demo` and `make test` do all set-up on a fresh machine.
GO      ?= go
BIN     ?= bin/monoctx
PKGS    := ./...
# The version `make build` stamps: the tag when HEAD has one, else dev. `make release` needs VERSION=vX.Y.Z.
VERSION ?= $(shell git describe --tags --exact-match --match 'v[0-9]*' 2>/dev/null || echo dev)
COMMIT  := $(shell git rev-parse HEAD 2>/dev/null)$(shell git status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo -dirty)
LDFLAGS := -s -w -buildid= -X github.com/monoctx/monoctx/cmd.version=$(VERSION) -X github.com/monoctx/monoctx/cmd.commit=$(COMMIT)
# Tools the checks install from the Go module proxy into bin/tools (never by hand).
TOOLS      := $(CURDIR)/bin/tools
ACTIONLINT_VERSION := v1.7.12
ACTIONLINT := $(TOOLS)/actionlint-$(ACTIONLINT_VERSION)/actionlint

.PHONY: all build release demo test check tools bench clean

all: build

# A static binary (no cgo, so no glibc), flags as in scripts/release.
build:
	CGO_ENABLED=0 $(GO) build -trimpath -buildvcs=false -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/monoctx

# dist/monoctx_<VERSION>_<os>_<arch>.tar.gz (.zip for windows) and the sha256 checksums; the same
# VERSION and commit give byte-identical archives.
release:
	GO=$(GO) scripts/release '$(VERSION)' dist

# Build monoctx and run it on the bundled example monorepo (testdata/example).
demo: build
	scripts/demo $(BIN)

# All tests. Starts a private Docker engine (installing Debian's docker.io and podman when missing)
# when none is reachable, and a private buildkitd (built once from the Go module proxy at the
# version go.mod pins, cached in ~/.cache/monoctx; runc from apt-get); with CI=true a test that
# needs Docker or buildkitd fails rather than skips.
# actionlint (from the Go module proxy) checks action.yml and the README's workflow.
test: $(ACTIONLINT)
	MONOCTX_ACTIONLINT=$(ACTIONLINT) scripts/with-dockerd scripts/with-buildkitd $(GO) test -count=1 -timeout 60m $(PKGS)

# The presubmit: formatting, vet, tidy modules, race-enabled tests, actionlint on action.yml and on
# the README's workflow (internal/packaging; MONOCTX_ACTIONLINT makes a missing actionlint fail).
check: $(ACTIONLINT)
	@unformatted=$$(gofmt -l $$(git ls-files '*.go') $$(git ls-files --others --exclude-standard '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) mod tidy -diff
	MONOCTX_ACTIONLINT=$(ACTIONLINT) scripts/with-dockerd scripts/with-buildkitd $(GO) test -race -count=1 -timeout 60m $(PKGS)

tools: $(ACTIONLINT)

$(ACTIONLINT):
	GOBIN=$(dir $(ACTIONLINT)) CGO_ENABLED=0 $(GO) install github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION)

# Benchmarks: side-by-side figures against git diff, go list, turbo and tar (see README, Performance;
# the suites and sizes are described in scripts/bench). The builds against plain docker build:
# MONOCTX_BENCH_SUITES=e2e make bench. A large Go monorepo clone: MONOCTX_BENCH_GOREPO=DIR.
bench:
	scripts/bench

clean:
	rm -rf bin .bench dist
