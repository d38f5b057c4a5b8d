# Passkey Desk: thin targets over go, .ci/deps and .ci/with-session.
# `make` or `make help` lists them.

SHELL := /bin/bash
GO ?= go
ARGS ?=
BENCH ?= .

FYNE_TOOL := fyne.io/tools/cmd/fyne@v1.7.4
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
VERSION := $(shell sed -n 's/^Version *= *"\(.*\)"/\1/p' FyneApp.toml)
PACKAGE := dist/passkeydesk-$(VERSION)-linux-$(shell $(GO) env GOARCH).tar.xz

.DEFAULT_GOAL := help

.PHONY: help
help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: deps
deps: ## install missing Debian/Ubuntu packages (silent when all are present)
	@.ci/deps

.PHONY: build
build: ## build bin/passkeydesk
	$(GO) build -o bin/passkeydesk ./cmd/passkeydesk

.PHONY: run
run: deps build ## build and start the app; flags through ARGS='--data-dir /tmp/pd'
	bin/passkeydesk $(ARGS)

.PHONY: server
server: ## build bin/passkeydesk-server and serve on SQLite at http://localhost:8787; flags through ARGS
	CGO_ENABLED=0 $(GO) build -o bin/passkeydesk-server ./cmd/passkeydesk-server
	bin/passkeydesk-server serve --data-dir bin/server-data $(ARGS)

.PHONY: vet
vet: ## go vet ./..., and the opt-in hardware tests, so they keep compiling
	$(GO) vet ./...
	$(GO) vet -tags hardware ./fido/libfido2 ./ui

.PHONY: fmt-check
fmt-check: ## fail on files gofmt would change
	@files=$$(gofmt -l $$(find . -name '*.go' -not -path './bin/*' -not -path './dist/*')); \
	if [[ -n "$$files" ]]; then echo "gofmt needed:"; echo "$$files"; exit 1; fi

# The UI's flow tests run a second time with the app on the HTTP client of
# a service on PostgreSQL, as on a server.
UI_FLOWS := TestFirstRun|TestSignUp|TestRecoveryCodes|TestChangePassword|TestChangeAuthenticator|TestSessionsScreen|TestSignIn|TestForgetsEndedSession|TestSecurityKey|TestThisComputer|TestPhone|TestApproval|TestRemove|TestPasskeySignIn|TestAddPasskey|TestTheAppOnAServer|TestMadePasskey|TestServer|TestStation

.PHONY: test
test: deps vet fmt-check ## vet, gofmt check, go test -race ./... under a D-Bus session with a keyring, then the UI flows over HTTP on PostgreSQL
	.ci/with-session $(GO) test -race -timeout 30m ./...
	PASSKEYDESK_UI_OVER_HTTP=1 PASSKEYDESK_UI_STORE=postgres .ci/with-session $(GO) test -race -timeout 30m -run '$(UI_FLOWS)' ./ui/

.PHONY: bench
bench: deps ## benchmarks (start-up vs the Fyne floor, ceremonies); BENCH=regexp to narrow
	.ci/with-session $(GO) test -run '^$$' -bench '$(BENCH)' -benchmem -timeout 30m ./...

.PHONY: lint
lint: vet fmt-check ## vet, gofmt check, staticcheck
	$(GO) run $(STATICCHECK) ./...

.PHONY: package
package: ## Linux .tar.xz (binary, .desktop file, icon) in dist/
	mkdir -p bin dist
	$(GO) build -ldflags='-s -w' -o bin/package/passkeydesk ./cmd/passkeydesk
	@# fyne package bumps Build in FyneApp.toml on every run; keep the committed one.
	cp FyneApp.toml bin/FyneApp.toml.saved
	rc=0; $(GO) run $(FYNE_TOOL) package -os linux --release --executable bin/package/passkeydesk || rc=$$?; \
	mv bin/FyneApp.toml.saved FyneApp.toml; exit $$rc
	mv 'Passkey Desk.tar.xz' $(PACKAGE)
	@echo "$(PACKAGE)"

.PHONY: clean
clean: ## remove bin/ and dist/
	rm -rf bin dist 'Passkey Desk.tar.xz'
