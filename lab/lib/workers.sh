# The worker nodes: kdebug-lab-w1 and kdebug-lab-w2 beside the control-plane node kdebug-lab, on this one
# machine. Sourced. Each worker is a network namespace (veth to the root namespace, its node IP, its own
# iptables) holding its own containerd, CNI bridge, kubelet and kube-proxy; its containers live under its own
# cgroup root. They are added to a running control plane without touching it, so lab/up on a one-node lab adds
# them and lab/up on a three-node lab repairs what is not running.
#
# Each worker also has its own PID and mount namespaces: its pid 1 is the lab's pause binary (it reaps orphans),
# started by `unshare --pid --fork --mount-proc --propagation slave` inside the network namespace, and its
# containerd, kubelet and kube-proxy are entered into all three with `nsenter -t <that pid 1>`. So a hostPID pod
# on a worker sees that node's processes only, and `nsenter -t 1` from it lands in the node (its network, mounts
# and processes), as on a real node. Stopping that pid 1 ends every process of the node.

WORKERS=${KDEBUG_LAB_WORKERS-w1 w2}  # KDEBUG_LAB_WORKERS= (empty): the control-plane node alone

# worker_env W: the settings of worker W (w1 or w2), as W_* variables.
worker_env() {
  W=$1
  case $W in
    w1) W_IP=10.250.0.2 W_CIDR=10.244.1.0/24 W_RUNTIME=containerd1 ;;
    w2) W_IP=10.250.0.3 W_CIDR=10.244.2.0/24 W_RUNTIME=containerd2 ;;
    *) die "no lab worker $W (workers: $WORKERS)" ;;
  esac
  W_NAME=$NODE_NAME-$W
  W_NETNS=$W_NAME
  W_NSENTER=(nsenter "--net=/run/netns/$W_NETNS")
  W_VETH=kdebug-$W               # its root-namespace end; the worker's end is eth0
  W_STATE=$LAB_STATE/nodes/$W
  W_RUN=$LAB_RUN/nodes/$W
  W_SOCK=$W_RUN/containerd/containerd.sock
  W_CGROUP_ROOT=/$W_NAME
  W_STATIC_PODS=$W_STATE/manifests
  W_RANGE_END=${W_CIDR%.0/24}.249
  W_CTR=ctr
  W_CONTAINERD=containerd
  W_PATH=$PATH
  if [ "$W_RUNTIME" = containerd2 ]; then
    W_CTR=$LAB_BIN/containerd2/ctr
    W_CONTAINERD=$LAB_BIN/containerd2/containerd
    W_PATH=$LAB_BIN/containerd2:$PATH  # so it starts its own shim, not the Debian containerd's
  fi
}

# lab_nodes_json: every node's name, IP, pod CIDR, containerd socket, ctr and cgroup root, for tests (lab/env).
lab_nodes_json() {
  local w nodes
  nodes=$(jq -nc --arg name "$NODE_NAME" --arg ip "$NODE_IP" --arg cidr "$POD_CIDR" --arg socket "$CONTAINERD_SOCK" \
    '{($name): {ip: $ip, pod_cidr: $cidr, containerd_socket: $socket, ctr: "ctr", cgroup_root: "/"}}')
  for w in $WORKERS; do
    worker_env "$w"
    nodes=$(jq -c --arg name "$W_NAME" --arg ip "$W_IP" --arg cidr "$W_CIDR" --arg socket "$W_SOCK" --arg ctr "$W_CTR" \
      --arg root "$W_CGROUP_ROOT" '. + {($name): {ip: $ip, pod_cidr: $cidr, containerd_socket: $socket, ctr: $ctr,
      cgroup_root: $root}}' <<<"$nodes")
  done
  echo "$nodes"
}

# node_init_pid: the worker's pid 1, as the root PID namespace numbers it (empty when it does not run).
node_init_pid() {
  pid_alive "node-$W" && pgrep -P "$(cat "$LAB_PIDS/node-$W.pid")" -x pause
}

# The worker's daemons run as children of `nsenter -t <node pid 1>` (it forks to enter the PID namespace, and
# waits): its pid file names that nsenter, which does not pass signals on; stop the daemon itself, then it.
stop_node_daemon() {
  local name=$1 child
  if pid_alive "$name"; then
    child=$(pgrep -P "$(cat "$LAB_PIDS/$name.pid")" || true)
    if [ -n "$child" ]; then
      log "    stopping $name (pid $child)"
      stop_pid "$child"
    fi
  fi
  stop_daemon "$name"
}

# A worker that runs without its own PID namespace (started by an older lab/up) is stopped whole, with its
# containers, and started again in one: its kubelet recreates its pods.
stop_worker_outside_its_namespace() {
  pid_alive "node-$W" && return 0
  local name running=""
  for name in containerd kubelet kube-proxy; do pid_alive "$name-$W" && running+=" $name-$W"; done
  [ -n "$running" ] || return 0
  log "    $W_NAME runs without its own PID namespace ($running): stopping it and its containers to start it in one"
  stop_daemon "kube-proxy-$W"
  stop_daemon "kubelet-$W"
  kill_node_containers
  stop_daemon "containerd-$W"
}

kill_node_containers() {
  local controller=/sys/fs/cgroup/pids pids _ shims pid
  [ -d "$controller" ] || controller=/sys/fs/cgroup/memory
  for _ in 1 2 3; do
    pids=$(find "$controller$W_CGROUP_ROOT" -name cgroup.procs 2>/dev/null | xargs -r cat 2>/dev/null | sort -un || true)
    [ -z "$pids" ] && break
    kill -KILL $pids 2>/dev/null || true
    sleep 0.5
  done
  shims=$(pgrep -f "containerd-shim.*-address $W_SOCK" || true)
  for pid in $shims; do stop_pid "$pid"; done
}

start_node_init() {
  stop_worker_outside_its_namespace
  start_daemon "node-$W" "${W_NSENTER[@]}" unshare --pid --fork --mount-proc --propagation slave "$LAB_BIN/pause"
  wait_for "$W_NAME has its own PID namespace" 10 node_init_pid || die "the PID namespace of $W_NAME did not start" \
    "$LAB_LOGS/node-$W.log"
  W_ENTER=(nsenter -t "$(node_init_pid)" --pid --mount --net)
}

ctr_worker() { "$W_CTR" --address "$W_SOCK" "$@"; }
in_worker() { "${W_NSENTER[@]}" "$@"; }

worker_pki() {
  issue_cert "kubelet-$W" "system:node:$W_NAME" system:nodes "" clientAuth
  issue_cert "kubelet-serving-$W" "system:node:$W_NAME" system:nodes "DNS:$W_NAME,IP:$W_IP,IP:127.0.0.1" serverAuth
  write_kubeconfig "kubelet-$W" "kubelet-$W"
}

# The worker's network namespace: eth0 holds its node IP; the root namespace reaches it and its pod CIDR
# through the veth; it reaches everything else (the control-plane node 10.250.0.1: API server, registry, and the
# other nodes' pods) through the root namespace.
worker_network() {
  [ -e "/run/netns/$W_NETNS" ] || ip netns add "$W_NETNS" || die "could not create the network namespace $W_NETNS"
  if ! ip link show "$W_VETH" >/dev/null 2>&1; then
    in_worker ip link delete eth0 2>/dev/null || true
    ip link add "$W_VETH" type veth peer name eth0 netns "$W_NETNS" || die "could not create the veth $W_VETH for $W_NAME"
  fi
  ip link set "$W_VETH" up
  sysctl -qw "net.ipv4.conf.$W_VETH.forwarding=1"
  ip route replace "$W_IP/32" dev "$W_VETH" src "$NODE_IP"
  ip route replace "$W_CIDR" via "$W_IP" dev "$W_VETH" src "$NODE_IP"
  in_worker ip link set lo up
  in_worker ip addr replace "$W_IP/32" dev eth0
  in_worker ip link set eth0 up
  in_worker ip route replace "$NODE_IP/32" dev eth0 src "$W_IP"
  in_worker ip route replace default via "$NODE_IP" dev eth0 onlink src "$W_IP"
  [ -e /proc/sys/net/bridge/bridge-nf-call-iptables ] || modprobe br_netfilter 2>/dev/null || true
  in_worker sysctl -qw net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1 net.bridge.bridge-nf-call-ip6tables=1 ||
    die "could not set forwarding and bridge netfilter in the network namespace $W_NETNS"
}

# The worker's cgroup root in every v1 hierarchy (kubelet's cgroupRoot must exist); cpuset needs its cpus and mems.
worker_cgroups() {
  local controller
  for controller in /sys/fs/cgroup/*/; do
    mkdir -p "$controller${W_CGROUP_ROOT#/}"
  done
  if [ -d /sys/fs/cgroup/cpuset ]; then
    local dir=/sys/fs/cgroup/cpuset${W_CGROUP_ROOT}
    [ -n "$(cat "$dir/cpuset.cpus")" ] || cat /sys/fs/cgroup/cpuset/cpuset.cpus >"$dir/cpuset.cpus"
    [ -n "$(cat "$dir/cpuset.mems")" ] || cat /sys/fs/cgroup/cpuset/cpuset.mems >"$dir/cpuset.mems"
  fi
}

worker_configs() {
  local conf=$W_STATE/conf
  mkdir -p "$conf" "$W_STATE/cni/net.d" "$W_RUN/containerd" "$W_STATIC_PODS"
  containerd_toml "$W_STATE/containerd" "$W_RUN/containerd/state" "$W_SOCK" "$W_STATE/cni/net.d" "$W_RUN/runc" \
    >"$conf/containerd.toml"
  if [ "$W_RUNTIME" = containerd2 ]; then
    # NRI (on by default from containerd 2.0) would listen on the machine-wide /var/run/nri/nri.sock.
    printf '[plugins."io.containerd.nri.v1.nri"]\n  disable = true\n' >>"$conf/containerd.toml"
  fi
  cni_conflist "$W_CIDR" "$W_RANGE_END" "$W_STATE/cni/ipam" >"$W_STATE/cni/net.d/10-kdebug.conflist"
  # The control-plane node's kubelet configuration, with this node's runtime, address, certificates, cgroup
  # root, pod log directory and (w1) static pod directory.
  sed -e "s|^containerRuntimeEndpoint: .*|containerRuntimeEndpoint: unix://$W_SOCK|" \
    -e "s|^tlsCertFile: .*|tlsCertFile: $PKI/kubelet-serving-$W.crt|" \
    -e "s|^tlsPrivateKeyFile: .*|tlsPrivateKeyFile: $PKI/kubelet-serving-$W.key|" \
    "$LAB_STATE/conf/kubelet.yaml" >"$conf/kubelet.yaml"
  cat >>"$conf/kubelet.yaml" <<YAML
address: $W_IP
cgroupRoot: $W_CGROUP_ROOT
podLogsDir: $W_STATE/pod-logs
staticPodPath: $W_STATIC_PODS
YAML
  if [ "$W" = w2 ]; then
    cat >>"$conf/kubelet.yaml" <<YAML
registerWithTaints: [{key: kdebug.io/lab-dedicated, value: tools, effect: NoSchedule}]
YAML
  fi
  sed -e "s|^hostnameOverride: .*|hostnameOverride: $W_NAME|" -e "s|^clusterCIDR: .*|clusterCIDR: $CLUSTER_POD_CIDR|" \
    -e "s|^conntrack: .*|conntrack: {maxPerCore: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}|" \
    "$LAB_STATE/conf/kube-proxy.yaml" | update_file "$conf/kube-proxy.yaml"
  if [ "$W" = w1 ]; then
    render "$LAB_DIR/manifests/static-web.yaml.in" >"$W_STATIC_PODS/static-web.yaml.partial"
    mv "$W_STATIC_PODS/static-web.yaml.partial" "$W_STATIC_PODS/static-web.yaml"
  fi
}

start_worker_containerd() {
  local conf=$W_STATE/conf/containerd.toml started_with=$W_RUN/containerd.conf.sum
  if pid_alive "containerd-$W" && [ "$(cat "$started_with" 2>/dev/null)" != "$(config_sum "$conf")" ]; then
    log "    containerd.toml of $W_NAME changed since its containerd started: restarting it"
    stop_node_daemon "containerd-$W"
  fi
  start_daemon "containerd-$W" env "PATH=$W_PATH" "${W_ENTER[@]}" "$W_CONTAINERD" --config "$conf"
  config_sum "$conf" >"$started_with"
  wait_for "containerd of $W_NAME answers" 60 ctr_worker version ||
    die "the containerd of $W_NAME did not come up" "$LAB_LOGS/containerd-$W.log"
}

# The lab's images into the worker's containerd (only those it lacks: a warm lab/up checks, imports nothing).
worker_images() {
  local image tar ref
  for image in pause busybox noshell coredns tools; do
    tar=$(image_tar "$image")
    ref=$(tar -xOf "$tar" manifest.json | jq -r '.[0].RepoTags[0]')
    if ! ctr_worker -n k8s.io images check "name==$ref" 2>/dev/null | grep -q "$ref"; then
      ctr_worker -n k8s.io images import --no-unpack=false "$tar" >>"$LAB_LOGS/images.log" 2>&1 ||
        die "importing $ref into the containerd of $W_NAME failed" "$LAB_LOGS/images.log"
      log "    $ref imported into $W_NAME"
    fi
  done
  tag_default_images ctr_worker "$W_NAME"
}

start_worker_node() {
  mkdir -p "$W_STATE/kubelet"
  start_daemon "kubelet-$W" "${W_ENTER[@]}" "$LAB_BIN/kubelet" --config "$W_STATE/conf/kubelet.yaml" \
    --kubeconfig "$PKI/kubelet-$W.kubeconfig" --hostname-override "$W_NAME" --node-ip "$W_IP" \
    --root-dir "$W_STATE/kubelet" --v=1
  start_daemon "kube-proxy-$W" "${W_ENTER[@]}" "$LAB_BIN/kube-proxy" --config "$W_STATE/conf/kube-proxy.yaml" --v=1
}

worker_ready() {
  [ "$(kubectl_lab get node "$W_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ]
}

# start_workers: every worker up to Ready. Each worker's slow parts (its containerd's image imports on a cold
# lab) run while the next one starts.
start_workers() {
  local w
  for w in $WORKERS; do
    worker_env "$w"
    step "worker node $W_NAME ($W_IP, pods $W_CIDR, $W_RUNTIME, network namespace $W_NETNS, cgroup root $W_CGROUP_ROOT)"
    worker_pki
    worker_network
    worker_cgroups
    worker_configs
    start_node_init
    start_worker_containerd
    worker_images
    start_worker_node
  done
  for w in $WORKERS; do
    worker_env "$w"
    wait_for "node $W_NAME Ready" 180 worker_ready || die "node $W_NAME did not become Ready" "$LAB_LOGS/kubelet-$W.log"
  done
}

# stop_workers: stop what the workers run (lab/down; their containers' processes go with the other nodes').
stop_workers() {
  local w
  for w in $WORKERS; do
    worker_env "$w"
    stop_node_daemon "kube-proxy-$W"
    stop_node_daemon "kubelet-$W"
  done
}

# remove_workers: after their containers, the workers' shims, containerds, pid 1s, network namespaces (their
# veths, routes and iptables go with them) and cgroup roots (lab/down).
remove_workers() {
  local w controller
  for w in $WORKERS; do
    worker_env "$w"
    kill_node_containers
    stop_node_daemon "containerd-$W"
    stop_node_daemon "node-$W"  # its pid 1 (the child of unshare, which does not pass TERM on): ends the namespace
    ip netns delete "$W_NETNS" 2>/dev/null
    ip link delete "$W_VETH" 2>/dev/null
    for controller in /sys/fs/cgroup/*/; do
      [ -d "$controller${W_CGROUP_ROOT#/}" ] && find "$controller${W_CGROUP_ROOT#/}" -depth -type d -exec rmdir {} \; 2>/dev/null
    done
  done
  return 0
}
