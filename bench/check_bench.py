#!/usr/bin/env python
# -*- coding: utf-8 -*-
"""How long validating a fleet report's checks takes with jsonschema (plugins/module_utils/checks.py).

Issue 10 allows a hand-written validator only if jsonschema is measured too slow for a 1,000-check fleet report.
This prints, for lists of 1,000 and 10,000 checks shaped like the runbooks' (a target mapping, details, three
evidence items), the median of --runs runs of checks.validate_checks, with the validator made once before the
runs, as wall time and as this process's CPU time (the machine is shared: CPU time is the steadier figure).

    .venv/bin/python bench/check_bench.py --runs 7
"""

from __future__ import absolute_import, division, print_function

import argparse
import os
import statistics
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, ".collections"))

from ansible_collections.kdebug.toolkit.plugins.module_utils import checks  # noqa: E402  pylint: disable=wrong-import-position

STATUSES = ("pass", "fail", "error", "skipped")


def sample_check(i):
    """A check of the size the DNS runbook makes: target, details with a nested list, three evidence items."""
    return checks.make_check(
        "DNS name svc-%d.kdebug-demo.svc.cluster.local" % i, STATUSES[i % 4],
        "svc-%d: 10.96.0.%d from 10.96.0.10 in 4 ms" % (i, i % 250),
        {"namespace": "kdebug-demo", "pod": "web-%d" % (i // 10), "container": "web",
         "container_id": "containerd://0123abcd", "node": "kdebug-lab"},
        {"name": "svc-%d" % i, "kind": "service", "type": "A", "slow_ms": 500,
         "results": [{"nameserver": "10.96.0.10", "result": "NOERROR", "rcode": "NOERROR",
                      "addresses": ["10.96.0.1"], "latency_ms": 4}]},
        [{"label": "dig @10.96.0.10 svc A", "text": "x" * 300}, "raw output line",
         {"label": "capture", "path": "/tmp/kdebug/dns.pcap"}],
        4)


def median_of(runs, func):
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        func()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    checks.validate_checks([sample_check(0)])  # the validator is made once, here, not in the runs
    print("| checks | wall median (s) | CPU median (s) | per check (ms, CPU) |")
    print("| --- | --- | --- | --- |")
    for count in (1000, 10000):
        batch = [sample_check(i) for i in range(count)]
        wall, cpu = median_of(args.runs, lambda: checks.validate_checks(batch))  # pylint: disable=cell-var-from-loop
        print("| %d | %.3f | %.3f | %.3f |" % (count, wall, cpu, cpu * 1000.0 / count))


if __name__ == "__main__":
    main()
