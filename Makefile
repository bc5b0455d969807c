# duodhcp — see README.md. All targets are phony; variables follow GNU conventions.
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
SYSCONFDIR ?= /etc
DESTDIR ?=
CARGO ?= cargo
CARGO_FLAGS ?= --locked
BIN := target/release/duodhcp

.PHONY: all build run test check fuzz bench bench-quick install uninstall clean

all: build

build:
	$(CARGO) build --release $(CARGO_FLAGS)

# Serve a demo namespace/veth pair created for the purpose (needs root); nothing else is served.
run: build
	scripts/demo.sh $(BIN) etc/demo.conf

# Install the packages the interop tests use (when missing), then every test.
test:
	scripts/install-deps.sh
	$(CARGO) build $(CARGO_FLAGS)
	$(CARGO) test $(CARGO_FLAGS) -- --test-threads=4

check:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy $(CARGO_FLAGS) --all-targets -- -D warnings

# Coverage-guided fuzzing of the decoders (needs cargo-fuzz; time-boxed).
FUZZ_SECONDS ?= 60
fuzz:
	scripts/fuzz.sh $(FUZZ_SECONDS)

bench: build
	scripts/bench.sh full

bench-quick: build
	scripts/bench.sh quick

install: build
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(SYSCONFDIR)/init.d
	install -m 755 $(BIN) $(DESTDIR)$(SBINDIR)/duodhcp
	install -m 644 etc/duodhcp.conf $(DESTDIR)$(SYSCONFDIR)/duodhcp.conf.example
	install -m 755 etc/init.d/duodhcp $(DESTDIR)$(SYSCONFDIR)/init.d/duodhcp

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/duodhcp $(DESTDIR)$(SYSCONFDIR)/duodhcp.conf.example $(DESTDIR)$(SYSCONFDIR)/init.d/duodhcp

clean:
	$(CARGO) clean

# Longer crash campaign: 200 kill -9 rounds per durability mode.
.PHONY: soak
soak:
	CRASH_ROUNDS=200 $(CARGO) test $(CARGO_FLAGS) --test journal_crash -- --nocapture
