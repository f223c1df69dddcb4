# osbuildkit — the README's commands are these targets.
SHELL := /bin/bash
GO ?= go
export OSBUILDKIT_CACHE ?= $(HOME)/.cache/osbuildkit
STATE ?= $(OSBUILDKIT_CACHE)/state
BIN := $(CURDIR)/bin

.PHONY: all build unit test test-slow integration env env-down frontend demo vm bench bench-lock repro lint fuzz clean

all: build

# osbuildkit-native, beside osbuildkit, is mounted with it into builds.
# BUILDROOT=BOOTSTRAP,HOST (what `osbuildkit buildroot` prints) makes those
# prebuilt images the binary's default buildroot; without it, builds make
# the buildroot from debian:bookworm.
BUILDROOT ?=
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-X github.com/osbuildkit/osbuildkit/frontend.DefaultBuildroot=$(BUILDROOT)" -o $(BIN)/ ./cmd/osbuildkit ./cmd/osbuildkit-native

# Unit tests: no daemon; the disk tests run the host's disk tools, which
# hack/host-packages.sh installs from Debian's apt when they are missing.
unit:
	@hack/host-packages.sh
	$(GO) test ./...

# Everything: set up the environment, then unit and integration tests.
test: lint
	@$(MAKE) -s env >/dev/null
	@hack/env.sh space
	$(MAKE) unit
	$(MAKE) integration

integration: build
	@eval "$$(hack/env.sh print)"; $(GO) test -tags integration -count=1 -timeout 75m -v ./integration/...

# Tests too slow for make test on a 2-core CI machine (build tag slow): the
# arm64 reference image, built under emulation (about 6 minutes cold) and
# booted under qemu-system-aarch64.
SLOW_TESTS ?= TestArm64ImageBoots
test-slow: build
	@hack/host-packages.sh
	@$(MAKE) -s env >/dev/null
	@eval "$$(hack/env.sh print)"; $(GO) test -tags integration,slow -count=1 -timeout 90m -v -run '^($(SLOW_TESTS))$$' ./integration/...

env:
	@hack/env.sh up

env-down:
	@hack/env.sh down

frontend: build
	@hack/env.sh up >/dev/null
	@hack/frontend.sh

demo: build
	@hack/env.sh up >/dev/null
	@hack/demo.sh

# Boots the demo image (or IMAGE=…) on the serial console; Ctrl-A X quits.
vm: build
	@bin/osbuildkit vm $(VMFLAGS) $(or $(IMAGE),out/demo/assembler/debian-bookworm.qcow2)

bench: build
	@hack/env.sh up >/dev/null
	@hack/bench.sh

# Locked builds of three images on two builders: the same bytes?
repro: build
	@hack/env.sh up >/dev/null
	@hack/repro.sh

# The locked-build rows of make bench alone (about 15 minutes).
bench-lock: build
	@hack/env.sh up >/dev/null
	@hack/bench-lock.sh

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: files above need formatting"; exit 1; }
	$(GO) vet ./...
	@hack/staticcheck.sh

# Each fuzz target for FUZZTIME (default 1m).
FUZZTIME ?= 1m
# Minimising a new input counts no executions; keep it short so the time fuzzes.
FUZZFLAGS ?= -fuzzminimizetime 500x
fuzz:
	$(GO) test ./manifest -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(FUZZTIME) $(FUZZFLAGS)
	$(GO) test ./manifest -run '^$$' -fuzz '^FuzzPythonJSON$$' -fuzztime $(FUZZTIME) $(FUZZFLAGS)
	$(GO) test ./manifest -run '^$$' -fuzz '^FuzzParseSize$$' -fuzztime $(FUZZTIME) $(FUZZFLAGS)
	$(GO) test ./manifest -run '^$$' -fuzz '^FuzzConvertV1$$' -fuzztime $(FUZZTIME) $(FUZZFLAGS)
	$(GO) test ./manifest -run '^$$' -fuzz '^FuzzParseLocation$$' -fuzztime $(FUZZTIME) $(FUZZFLAGS)
	$(GO) test ./llb -run '^$$' -fuzz '^FuzzCompile$$' -fuzztime $(FUZZTIME) $(FUZZFLAGS)
	$(GO) test ./llb -run '^$$' -fuzz '^FuzzCompileOptions$$' -fuzztime $(FUZZTIME) $(FUZZFLAGS)

clean:
	rm -rf $(BIN) out
