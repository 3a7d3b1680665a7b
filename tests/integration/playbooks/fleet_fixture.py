"""A fleet of pods for the fleet playbooks and their benchmark: healthy ones and a few whose DNS is broken.

Shared by tests/integration/playbooks/test_fleet.py and bench/fleet_bench.py, so
both measure the same fleet.
"""
import json
import os
import tempfile

HEALTHY = 28
BROKEN = 3
UNREACHABLE_NAMESERVER = "10.244.0.253"  # on the pod bridge, outside the IPAM range (lab/manifests/demo.yaml.in)
LAB_TAINT = "kdebug.io/lab-dedicated"  # the NoSchedule taint of the lab's worker kdebug-lab-w2 (lab/)


def _pod(name, image, broken):
    spec = {"terminationGracePeriodSeconds": 1, "enableServiceLinks": False,
            "containers": [{"name": "app", "image": image, "imagePullPolicy": "Never",
                            "command": ["sleep", "2147483647"],
                            "resources": {"requests": {"cpu": "1m", "memory": "4Mi"}}}],
            # spread over every node of the lab, the tainted worker included, as a real fleet is
            "tolerations": [{"key": LAB_TAINT, "operator": "Exists", "effect": "NoSchedule"}],
            "topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "kubernetes.io/hostname",
                                           "whenUnsatisfiable": "ScheduleAnyway",
                                           "labelSelector": {"matchLabels": {"fleet": "yes"}}}]}
    if broken:
        spec["dnsPolicy"] = "None"
        spec["dnsConfig"] = {"nameservers": [UNREACHABLE_NAMESERVER], "searches": ["svc.cluster.local"]}
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "labels": {"fleet": "yes", "dns": "broken" if broken else "ok"}},
            "spec": spec}


def fleet_names(healthy=HEALTHY, broken=BROKEN):
    return ["ok-%02d" % i for i in range(healthy)], ["broken-%02d" % i for i in range(broken)]


def create_fleet(lab, namespace, healthy=HEALTHY, broken=BROKEN, timeout=300):
    """Create the pods in ``namespace`` and wait until all are Ready; returns (healthy names, broken names)."""
    ok, bad = fleet_names(healthy, broken)
    items = [_pod(n, lab.busybox_image, False) for n in ok] + [_pod(n, lab.busybox_image, True) for n in bad]
    pod_list = {"apiVersion": "v1", "kind": "List", "items": items}
    lab.kubectl("apply", "-n", namespace, "-f", "-", input=json.dumps(pod_list))
    lab.kubectl("wait", "-n", namespace, "--for=condition=Ready", "pod", "-l", "fleet=yes",
                "--timeout=%ds" % timeout, timeout=timeout + 30)
    return ok, bad


def write_inventory(directory, namespace):
    """A kdebug.toolkit.pods inventory file for the fleet's namespace."""
    path = os.path.join(directory, "fleet.kdebug_pods.yml")
    with open(path, "w") as handle:
        handle.write("plugin: kdebug.toolkit.pods\nnamespaces: [%s]\nlabel_selector: fleet=yes\n" % namespace)
    return path


def temp_dir():
    return tempfile.mkdtemp(prefix="kdebug-fleet-")
