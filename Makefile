# kdebug.toolkit developer entry points. `make test` is what CI runs.
.PHONY: setup unit browser sanity lint lab-up lab-down lab-status integration test demo

setup:
	scripts/setup-dev

unit: setup
	scripts/test-unit

# The HTML report in headless chromium (installs Debian's chromium when missing; no lab).
browser: setup
	scripts/test-browser

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
test: unit browser sanity lint integration

demo: setup lab-up
	scripts/demo
