# kdebug.toolkit developer entry points. `make test` is what CI runs.
.PHONY: setup unit browser sanity lint lab-up lab-down lab-status integration install-test awx compat test demo

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

# The whole integration suite, the disruptive faults (marker `disruptive`) last; KDEBUG_TEST_SKIP_DISRUPTIVE=1 skips them.
integration: setup lab-up
	scripts/test-integration

# The README's "Use it on your cluster": the built tarball in a fresh virtualenv, its playbooks against the lab.
install-test: setup lab-up
	scripts/test-install

# The collection the way AWX runs it: the execution environment built with ansible-builder (scripts/build-ee, cached),
# AWX-shaped ansible-runner jobs in it against the lab. Part of `integration` too; this runs it alone.
awx: setup lab-up
	scripts/test-integration tests/integration/awx -q

# The smoke tests on the older ansible-core releases the collection claims (tests/compat/cores), each in a
# virtualenv of its own (cached in ~/.cache/kdebug-compat).
compat: setup lab-up
	scripts/test-compat

# Fast checks first, then the lab (which builds Kubernetes on a cold cache), then the older ansible-cores on it
# (the lab is up by then: `lab-up` brought it up), and the disruptive faults last of all: a paused kubelet or a
# stopped API server leaves true history behind (NodeNotReady events on the demo pods, kubelet log errors) that
# triage rightly reports for an hour, and the healthy-path tests before them expect the demo pods to pass.
# The compat virtualenvs are built in the background meanwhile (pip, mostly waiting on the package index).
# After `lab-up` the scripts are called directly: a second `$(MAKE) <target>` would run lab/up again (13 s).
test: setup
	@mkdir -p tests/output
	scripts/test-compat --prepare >tests/output/compat-prepare.log 2>&1 & prepare=$$!; \
	$(MAKE) unit browser sanity lint lab-up || exit 1; \
	scripts/test-integration -m "not disruptive" || exit 1; \
	scripts/test-install || exit 1; \
	wait $$prepare || { cat tests/output/compat-prepare.log; exit 1; }; \
	scripts/test-compat || exit 1; \
	scripts/test-integration -m disruptive

demo: setup lab-up
	scripts/demo
