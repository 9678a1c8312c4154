# The README's two commands: `make run` (set up and start the app; ARGS="scan --format json"
# passes CLI arguments) and `make test` (set up and run every check and the whole test suite).
ARGS ?=

.PHONY: run test setup
run:
	./scripts/run.sh $(ARGS)

test:
	./scripts/test.sh

setup:
	./scripts/setup.sh
