# Shared settings and helpers for lab/up, lab/down and lab/status.
# Sourced, not run. Everything the lab builds is cached under $LAB_CACHE
# (kept across `lab/down`); everything it runs lives under $LAB_STATE and
# $LAB_RUN (removed by `lab/down`).

set -euo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPO_DIR=$(cd "$LAB_DIR/.." && pwd)

KUBE_VERSION=v1.34.12
ETCD_VERSION=v3.6.16
COREDNS_VERSION=v1.14.7
CONTAINERD2_VERSION=v2.2.9  # the second runtime (node kdebug-lab-w2); pinned in lab/src/containerd2/go.mod
IMAGES_VERSION=3  # bump when an image recipe in lab/images changes

LAB_CACHE=${KDEBUG_LAB_CACHE:-/var/cache/kdebug-lab}
LAB_STATE=${KDEBUG_LAB_STATE:-/var/lib/kdebug-lab}
LAB_RUN=${KDEBUG_LAB_RUN:-/run/kdebug-lab}
LAB_LOGS=$LAB_STATE/logs
LAB_PIDS=$LAB_RUN/pids
LAB_BIN=$LAB_CACHE/bin

NODE_NAME=kdebug-lab
NODE_IP=10.250.0.1          # on lo (this kernel has no dummy links), so the lab does not depend on eth0
POD_CIDR=10.244.0.0/24
CLUSTER_POD_CIDR=10.244.0.0/16  # every node's pod CIDR (workers: lab/lib/workers.sh)
POD_RANGE_END=10.244.0.249   # .250-.254 stay free: nothing answers there
UNREACHABLE_NAMESERVER=10.244.0.253
SERVICE_CIDR=10.96.0.0/16
KUBERNETES_SERVICE_IP=10.96.0.1
DNS_SERVICE_IP=10.96.0.10
CLUSTER_DOMAIN=cluster.local
CNI_BRIDGE=kdebug-cni0

CONTAINERD_SOCK=$LAB_RUN/containerd/containerd.sock
DOCKER_SOCK=$LAB_RUN/docker.sock
KUBECONFIG_ADMIN=$LAB_STATE/pki/admin.kubeconfig
REGISTRY_DIR=$LAB_STATE/registry
# A .dockerconfigjson for the registry (what `kubectl create secret docker-registry` makes): tests turn it into Secrets.
REGISTRY_AUTH_FILE=$REGISTRY_DIR/dockerconfig.json
# containerd's hosts directory (CRI registry config_path): which CA each registry host is trusted with.
CONTAINERD_HOSTS_DIR=$LAB_STATE/conf/certs.d

# Locally built images: nothing can be pulled here, so every pod says
# imagePullPolicy IfNotPresent/Never and uses these names.
IMAGE_PAUSE=kdebug.local/pause:3.10
IMAGE_BUSYBOX=kdebug.local/busybox:1.35
IMAGE_NOSHELL=kdebug.local/noshell:1
IMAGE_TOOLS=kdebug.local/tools:1
IMAGE_COREDNS=kdebug.local/coredns:$COREDNS_VERSION
# kdebug's default tools image, read from the one place that names it: the lab's tools image goes under that name too.
IMAGE_DEFAULT_TOOLS=$(sed -n 's/^DEFAULT_TOOLS_IMAGE = "\(.*\)"$/\1/p' "$REPO_DIR/plugins/module_utils/options.py")
# kdebug_fork's default image (the busybox copied into a fork whose image has no shell): the lab's busybox under it.
IMAGE_DEFAULT_FORK_TOOLS=$(sed -n 's/^DEFAULT_FORK_TOOLS_IMAGE = "\(.*\)"$/\1/p' "$REPO_DIR/plugins/module_utils/options.py")

# tag_default_images CTR WHERE: in the containerd that the function CTR talks to, the lab's tools and busybox images
# also answer to kdebug's default image names (nothing can be pulled here), so a run with no image option works as
# it does on a cluster that can pull them.
tag_default_images() {
  local ctr=$1 where=$2 pair local_ref default_ref
  for pair in "$IMAGE_TOOLS $IMAGE_DEFAULT_TOOLS" "$IMAGE_BUSYBOX $IMAGE_DEFAULT_FORK_TOOLS"; do
    read -r local_ref default_ref <<<"$pair"
    [ -n "$default_ref" ] || die "a default image name is missing from $REPO_DIR/plugins/module_utils/options.py"
    if ! "$ctr" -n k8s.io images check "name==$default_ref" 2>/dev/null | grep -q "$default_ref"; then
      "$ctr" -n k8s.io images tag --force "$local_ref" "$default_ref" >>"$LAB_LOGS/images.log" 2>&1 ||
        die "tagging $local_ref as $default_ref in the containerd of $where failed" "$LAB_LOGS/images.log"
      log "    $local_ref tagged $default_ref (a kdebug default image) in $where"
    fi
  done
}

# The lab's private registry (lab/lib/registry.sh): TLS from the lab CA, htpasswd
# authentication, on the node address. It holds the tools image under a private
# name that no node has locally, so a pod gets it only by pulling with credentials.
REGISTRY_PORT=5000
REGISTRY_HOST=$NODE_IP:$REGISTRY_PORT
REGISTRY_USER=kdebug-puller
IMAGE_TOOLS_PRIVATE=$REGISTRY_HOST/private/kdebug-tools:1

LAB_T0=${LAB_T0:-$(date +%s)}
export LAB_T0

log() { printf '[lab %4ss] %s\n' "$(( $(date +%s) - LAB_T0 ))" "$*" >&2; }
step() { log "==> $*"; }

# die MESSAGE [LOGFILE]: say what failed and where to look, then exit non-zero.
die() {
  log "ERROR: $1"
  if [ -n "${2:-}" ] && [ -f "$2" ]; then
    log "last lines of $2:"
    tail -n 25 "$2" | sed 's/^/    /' >&2
  fi
  exit 1
}

# wait_for DESCRIPTION TIMEOUT_SECONDS COMMAND...: poll a condition, never a blind sleep.
wait_for() {
  local what=$1 timeout=$2 deadline
  shift 2
  deadline=$(( $(date +%s) + timeout ))
  until "$@" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      return 1
    fi
    sleep 1
  done
  log "    $what (ok)"
}

kubectl_lab() { "$LAB_BIN/kubectl" --kubeconfig "$KUBECONFIG_ADMIN" "$@"; }
docker_lab() { docker -H "unix://$DOCKER_SOCK" "$@"; }
ctr_lab() { ctr --address "$CONTAINERD_SOCK" "$@"; }

# update_file FILE: write stdin to FILE only when that changes it. kube-proxy watches its configuration file and
# exits when the file is written, even with the same content: a lab/up that rewrote it would stop kube-proxy.
update_file() {
  local new
  new=$(cat)
  [ -f "$1" ] && [ "$(cat "$1")" = "$new" ] && return 0
  printf '%s\n' "$new" >"$1.partial"
  mv "$1.partial" "$1"
}

pid_alive() { [ -f "$LAB_PIDS/$1.pid" ] && kill -0 "$(cat "$LAB_PIDS/$1.pid")" 2>/dev/null; }

# start_daemon NAME COMMAND...: run in its own session, log to $LAB_LOGS/NAME.log,
# remember the pid so lab/down can stop exactly what we started.
start_daemon() {
  local name=$1
  shift
  if pid_alive "$name"; then
    log "    $name already running (pid $(cat "$LAB_PIDS/$name.pid"))"
    return 0
  fi
  mkdir -p "$LAB_LOGS" "$LAB_PIDS"
  log "    starting $name (log: $LAB_LOGS/$name.log)"
  # The daemon must inherit no descriptor but 0-2: an inherited lock would be held for the daemon's lifetime
  # (lab/up's own lock on fd 9, or the one of `flock LOCKFILE lab/up`, which hands its lock to the command).
  (close_inherited_fds && exec setsid "$@") >>"$LAB_LOGS/$name.log" 2>&1 </dev/null &
  echo $! >"$LAB_PIDS/$name.pid"
}

# close_inherited_fds: close every descriptor of this (sub)shell above 2.
close_inherited_fds() {
  local fd
  for fd in /proc/$BASHPID/fd/*; do
    fd=${fd##*/}
    [ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-"
  done
  return 0
}

# stop_pid PID: TERM, wait up to 15 s, then KILL.
stop_pid() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 1 30); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.5
  done
  kill -KILL "$pid" 2>/dev/null || true
}

stop_daemon() {
  local name=$1
  [ -f "$LAB_PIDS/$name.pid" ] || return 0
  local pid
  pid=$(cat "$LAB_PIDS/$name.pid")
  if kill -0 "$pid" 2>/dev/null; then
    log "    stopping $name (pid $pid)"
    stop_pid "$pid"
  fi
  rm -f "$LAB_PIDS/$name.pid"
}

# One lab/up or lab/down at a time: two would start or stop the same daemons.
take_lab_lock() {
  exec 9>"${LAB_LOCK:-/run/kdebug-lab.lock}"
  if ! flock -n 9; then
    log "waiting for another lab/up or lab/down to finish (lock ${LAB_LOCK:-/run/kdebug-lab.lock})"
    flock -w 900 9 || die "another lab/up or lab/down still holds ${LAB_LOCK:-/run/kdebug-lab.lock} after 15 minutes"
  fi
}
