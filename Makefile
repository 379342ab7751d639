# Drover's entry points. `make up` and `make test` work on a fresh machine:
# they install what they need (as root, with apt-get) and start it.

SHELL    := /bin/bash
GO       ?= go
BIN      := bin/drover
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS  := -X main.version=$(VERSION) -X main.commit=$(COMMIT)
TESTBED  := deploy/local/testbed.sh
RUN_DIR  ?= /var/tmp/drover-up
MANAGER  ?= 127.0.0.1:4000

.PHONY: build up down test test-unit test-e2e bench bench-scale bench-run vet fmt

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/drover

# up: three real engines and one manager with an embedded etcd on $(MANAGER).
up: build
	@$(TESTBED) up 3
	@deploy/local/manager.sh up $(MANAGER) $(RUN_DIR)

down:
	@deploy/local/manager.sh down $(MANAGER) $(RUN_DIR) || true
	@$(TESTBED) down

# test: unit tests, then the end-to-end suite against real engines.
test: vet test-unit test-e2e

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l cmd internal e2e)" || { gofmt -l cmd internal e2e; echo "gofmt needed"; exit 1; }

test-unit:
	$(GO) test -race -count=1 ./internal/... ./cmd/...

test-e2e: build
	@$(TESTBED) up 3
	DROVER_BIN=$(CURDIR)/$(BIN) $(GO) test -count=1 -timeout 15m -v ./e2e/... 2>&1 | tee e2e.out | grep -E '^(=== RUN|--- |PASS|FAIL|ok|panic)' ; test $${PIPESTATUS[0]} -eq 0

# bench: placement benchmarks on one core.
bench:
	$(GO) test -run '^$$' -bench . -benchmem -cpu 1 ./internal/placement/

# bench-scale: create and start through a whole manager in front of 10, 100
# and 500 hollow engines (internal/engine/hollow).
bench-scale:
	$(GO) test -run '^$$' -bench BenchmarkCreateThroughManager -benchtime 200x -benchmem ./cmd/drover/

# bench-run: `docker run -d busybox true` through the manager vs straight to an engine.
bench-run: build
	@$(TESTBED) up 3
	@deploy/local/bench-run.sh 20
