# The two quick-start commands: `make demo` and `make test`.
CAPTURE ?= captures/ai-tls-mix.pcap

.PHONY: demo test build lint bench

# Replays a capture bundled in captures/ (installs libpcap's dev package when missing).
demo:
	@scripts/ensure-deps.sh build
	cargo build --release --quiet
	./target/release/aiwatch replay $(CAPTURE)

# The whole test suite: formatting, lints, unit, integration and conformance tests.
test:
	@scripts/ensure-deps.sh test
	cargo fmt --check
	cargo clippy --all-targets --quiet -- -D warnings
	cargo test --all-targets
	cargo test --all-targets --features ja4plus

build:
	@scripts/ensure-deps.sh build
	cargo build --release

bench:
	@scripts/ensure-deps.sh build
	scripts/bench.sh
