# kdebug.toolkit developer entry points. `make test` is what CI runs.
.PHONY: setup unit sanity lint lab-up lab-down lab-status integration test demo

setup:
	scripts/setup-dev

unit: setup
	scripts/test-unit

sanity: setup
	scripts/test-sanity

lint: setup
	scripts/test-lint

lab-up:
	lab/up

lab-down:
	lab/down

lab-status:
	lab/status

integration: setup lab-up
	scripts/test-integration

# Fast checks first, then the lab (which builds Kubernetes on a cold cache).
test: unit sanity lint integration

demo: setup lab-up
	scripts/demo
