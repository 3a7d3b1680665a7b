from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.kdebug.toolkit.plugins.module_utils import procfs

CID = "3f4e" + "a" * 60
OTHER = "3f4e" + "b" * 60


def test_split_container_id():
    assert procfs.split_container_id("containerd://" + CID) == ("containerd", CID)
    assert procfs.split_container_id("docker://" + CID) == ("docker", CID)
    assert procfs.split_container_id("cri-o://" + CID) == ("cri-o", CID)
    for bad in ("", None, CID, "containerd://", "containerd://not-hex"):
        with pytest.raises(ValueError):
            procfs.split_container_id(bad)


def test_parse_stat_with_spaces_and_parens_in_comm():
    assert procfs.parse_stat("4242 (my (odd) proc) S 17 4242 4242 0 -1") == (4242, "my (odd) proc", 17)


def scan(*entries):
    out = []
    for pid, comm, ppid, cgroups in entries:
        out.append("@@ %d" % pid)
        out.append("%d (%s) S %d 1 1 0" % (pid, comm, ppid))
        out.append("NSpid:\t%d\t%d" % (pid, pid - 1000 if pid > 1000 else pid))
        out.extend(cgroups)
    return "\n".join(out) + "\n"


def test_containerd_cgroupfs_picks_the_init_not_its_children():
    cg = "4:memory:/kubepods/besteffort/pod1234/" + CID
    text = scan((900, "containerd-shim", 1, ["4:memory:/"]),
                (1001, "httpd", 900, [cg]),
                (1002, "httpd worker", 1001, [cg]))
    processes = procfs.parse_scan(text)
    assert [p["pid"] for p in processes] == [900, 1001, 1002]
    assert procfs.find_container_pid(processes, CID) == 1001
    assert procfs.find_container_process(processes, CID)["nspid"] == 1


def test_docker_and_crio_paths():
    docker = procfs.parse_scan(scan((77, "app", 70, ["12:pids:/docker/" + CID])))
    assert procfs.find_container_pid(docker, CID) == 77
    crio = procfs.parse_scan(scan((88, "app", 80, ["0::/kubepods.slice/crio-%s.scope" % CID])))
    assert procfs.find_container_pid(crio, CID) == 88


def test_a_prefix_of_another_id_does_not_match():
    processes = procfs.parse_scan(scan((55, "other", 1, ["4:memory:/kubepods/pod1/" + OTHER])))
    assert procfs.find_container_pid(processes, CID) is None
    assert procfs.find_container_pid(processes, OTHER) == 55


def test_nothing_found():
    assert procfs.find_container_pid([], CID) is None
    assert procfs.parse_scan("") == []


def test_many_ids_in_one_pass_each_its_own_init():
    """A node's targets at once: ids that are prefixes of one another, several cgroup layouts, an id nobody has."""
    short = CID[:12]
    text = scan((900, "containerd-shim", 1, ["4:memory:/"]),
                (1001, "web", 900, ["4:memory:/kubepods/pod1/" + CID, "0::/kubepods/pod1/" + CID]),
                (1002, "web worker", 1001, ["4:memory:/kubepods/pod1/" + CID]),
                (2001, "db", 901, ["0::/kubepods.slice/cri-containerd-%s.scope" % OTHER]),
                (3001, "short", 902, ["12:pids:/docker/" + short]))
    processes = procfs.parse_scan(text)
    found = procfs.find_container_processes(processes, [CID, OTHER, short, "f" * 64, ""])
    pids = {k: (v or {}).get("pid") for k, v in found.items()}
    assert pids == {CID: 1001, OTHER: 2001, short: 3001, "f" * 64: None, "": None}
    for container_id in (CID, OTHER, short):  # the same as one id at a time
        assert found[container_id] == procfs.find_container_process(processes, container_id)
    assert procfs.find_container_processes(processes, []) == {}
