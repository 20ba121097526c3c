# Two commands a newcomer needs: `make demo` (the main job) and `make test`.
GO       ?= go
BIN      := bin/arazzo
PKGS     := ./...
FUZZTIME ?= 10s
BENCHTIME ?= 1s
BENCH    ?= .

.PHONY: all build test test-race lint fuzz fuzz-short bench demo clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/arazzo

## test: the whole suite (unit, conformance, end-to-end, race on the concurrent packages, short fuzz)
test: lint
	$(GO) test -count=1 $(PKGS)
	$(MAKE) test-race
	$(MAKE) fuzz-short

test-race:
	$(GO) test -count=1 -race $$($(GO) list ./runner/... ./engine/... 2>/dev/null)

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

## fuzz: run every fuzz target for FUZZTIME each (make fuzz FUZZTIME=5m)
fuzz:
	@./internal/tools/fuzz.sh $(FUZZTIME)

## fuzz-short: every fuzz target for 2 s (about 45 s in all); part of make test
fuzz-short:
	@./internal/tools/fuzz.sh 2s

## bench: every benchmark, no tests (make bench BENCHTIME=5s BENCH=PollLoop); see docs/performance.md
bench:
	$(GO) test -run '^$$' -bench '$(BENCH)' -benchmem -benchtime $(BENCHTIME) -timeout 30m $(PKGS)

demo: build
	$(GO) run ./examples/demo

clean:
	rm -rf bin
