#!/usr/bin/env python3
"""Pack a root filesystem directory into a docker-archive image tarball.

Nothing can be pulled here, so the lab builds its images from directories
(debootstrap output, a static binary) and writes the format that both
`docker load` and `ctr images import` read (manifest.json + config + one layer).

usage: mkimage.py ROOTFS OUTPUT.tar NAME:TAG [--entrypoint JSON] [--cmd JSON] [--env K=V ...]
"""
import argparse
import hashlib
import io
import json
import os
import subprocess
import tarfile
import tempfile


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def add_bytes(archive, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = 0
    archive.addfile(info, io.BytesIO(data))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("rootfs")
    parser.add_argument("output")
    parser.add_argument("tag")
    parser.add_argument("--entrypoint", type=json.loads, default=None)
    parser.add_argument("--cmd", type=json.loads, default=None)
    parser.add_argument("--env", action="append", default=["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"])
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(dir=os.path.dirname(os.path.abspath(args.output))) as work:
        layer = os.path.join(work, "layer.tar")
        # GNU tar keeps devices, hard links, xattrs and numeric owners as the rootfs has them.
        subprocess.run(["tar", "--numeric-owner", "--xattrs", "-C", args.rootfs, "-cf", layer, "."], check=True)
        layer_id = sha256_file(layer)
        config = {
            "architecture": "amd64",
            "os": "linux",
            "config": {"Env": args.env, "Entrypoint": args.entrypoint, "Cmd": args.cmd, "WorkingDir": "/"},
            "rootfs": {"type": "layers", "diff_ids": ["sha256:" + layer_id]},
            "history": [{"created_by": "kdebug lab mkimage.py"}],
        }
        config_bytes = json.dumps(config, sort_keys=True).encode()
        config_id = hashlib.sha256(config_bytes).hexdigest()
        manifest = [{"Config": config_id + ".json", "RepoTags": [args.tag], "Layers": [layer_id + "/layer.tar"]}]
        partial = args.output + ".partial"
        with tarfile.open(partial, "w") as archive:
            add_bytes(archive, config_id + ".json", config_bytes)
            archive.add(layer, arcname=layer_id + "/layer.tar")
            add_bytes(archive, "manifest.json", json.dumps(manifest).encode())
        os.replace(partial, args.output)


if __name__ == "__main__":
    main()
