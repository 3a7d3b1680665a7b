# Starting the lab's processes: host networking, containerd, Docker, etcd, the
# control plane, kubelet and kube-proxy. Sourced. Every daemon goes through
# start_daemon so lab/down can stop it by pid.

host_network() {
  step "host network (node IP $NODE_IP on lo, forwarding, bridge netfilter)"
  ip addr replace "$NODE_IP/32" dev lo || die "could not add the node IP $NODE_IP to lo"
  [ -e /proc/sys/net/bridge/bridge-nf-call-iptables ] || modprobe br_netfilter 2>/dev/null ||
    die "bridge netfilter (br_netfilter) is not available: kube-proxy needs it for Service IPs"
  sysctl -qw net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1 net.bridge.bridge-nf-call-ip6tables=1
}

# containerd_toml ROOT STATE SOCKET CNI_CONF_DIR [RUNC_ROOT]: a node's containerd configuration (every node's
# containerd reads this version 2 file; containerd 2 migrates it when it loads it).
containerd_toml() {
  local root=$1 state=$2 socket=$3 cni_conf_dir=$4 runc_root=${5:-}
  cat <<TOML
version = 2
root = "$root"
state = "$state"
[grpc]
  address = "$socket"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$IMAGE_PAUSE"
  # This machine withholds CAP_SYS_RESOURCE, so no process may lower its
  # oom_score_adj (kubelet asks -998 for pod sandboxes): clamp to containerd's own.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
TOML
  [ -z "$runc_root" ] || printf '        Root = "%s"\n' "$runc_root"
  cat <<TOML
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$cni_conf_dir"
  # Per registry host: its CA (the lab's private registry, lab/lib/registry.sh).
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "$CONTAINERD_HOSTS_DIR"
TOML
}

# cni_conflist SUBNET RANGE_END IPAM_DIR: a node's CNI network (bridge $CNI_BRIDGE in the node's network namespace).
# ipMasq off: nothing in the lab talks to the outside, and nothing should.
cni_conflist() {
  cat <<JSON
{
  "cniVersion": "0.4.0",
  "name": "kdebug",
  "plugins": [
    {
      "type": "bridge", "bridge": "$CNI_BRIDGE", "isGateway": true, "ipMasq": false, "hairpinMode": true,
      "ipam": {"type": "host-local", "ranges": [[{"subnet": "$1", "rangeEnd": "$2"}]], "routes": [{"dst": "0.0.0.0/0"}],
               "dataDir": "$3"}
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
JSON
}

write_configs() {
  local conf=$LAB_STATE/conf
  mkdir -p "$conf" "$LAB_STATE/cni/net.d" "$LAB_RUN/containerd"
  containerd_toml "$LAB_STATE/containerd" "$LAB_RUN/containerd/state" "$CONTAINERD_SOCK" "$LAB_STATE/cni/net.d" \
    >"$conf/containerd.toml"
  cni_conflist "$POD_CIDR" "$POD_RANGE_END" "$LAB_STATE/cni/ipam" >"$LAB_STATE/cni/net.d/10-kdebug.conflist"
  echo "nameserver $DNS_SERVICE_IP" >"$conf/resolv.conf"
  cat >"$conf/kubelet.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI/ca.crt}
authorization: {mode: Webhook}
cgroupDriver: cgroupfs
failCgroupV1: false
containerRuntimeEndpoint: unix://$CONTAINERD_SOCK
clusterDNS: [$DNS_SERVICE_IP]
clusterDomain: $CLUSTER_DOMAIN
resolvConf: $conf/resolv.conf
tlsCertFile: $PKI/kubelet-serving.crt
tlsPrivateKeyFile: $PKI/kubelet-serving.key
failSwapOn: false
oomScoreAdj: 0   # no CAP_SYS_RESOURCE here: a negative value cannot be set
# Images cannot be pulled again here: never garbage-collect them.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%"}
serializeImagePulls: false
maxPods: 150
podPidsLimit: -1
YAML
  update_file "$conf/kube-proxy.yaml" <<YAML
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
clusterCIDR: $POD_CIDR
hostnameOverride: $NODE_NAME
clientConnection: {kubeconfig: $PKI/kube-proxy.kubeconfig}
conntrack: {maxPerCore: 0}
metricsBindAddress: 127.0.0.1:10249
healthzBindAddress: 127.0.0.1:10256
YAML
  echo '{}' >"$conf/docker.json"
}

config_sum() { sha256sum "$1" | cut -c1-16; }

start_containerd() {
  step "containerd (socket $CONTAINERD_SOCK)"
  local conf=$LAB_STATE/conf/containerd.toml started_with=$LAB_RUN/containerd.conf.sum
  # A running containerd reads its config only at start: restart it when the config changed since. Its
  # containers (and so the pods) keep running in their shims; kubelet and dockerd reconnect.
  if pid_alive containerd && [ "$(cat "$started_with" 2>/dev/null)" != "$(config_sum "$conf")" ]; then
    log "    containerd.toml changed since containerd started: restarting containerd"
    stop_daemon containerd
  fi
  start_daemon containerd containerd --config "$conf"
  config_sum "$conf" >"$started_with"
  wait_for "containerd answers" 60 ctr_lab version || die "containerd did not come up" "$LAB_LOGS/containerd.log"
}

start_docker() {
  step "Docker engine (socket $DOCKER_SOCK)"
  start_daemon dockerd dockerd -H "unix://$DOCKER_SOCK" --config-file "$LAB_STATE/conf/docker.json" \
    --data-root "$LAB_STATE/docker" --exec-root "$LAB_RUN/docker" --pidfile "$LAB_RUN/dockerd.pid" \
    --containerd "$CONTAINERD_SOCK" --iptables=false --ip-masq=false --bridge=none --storage-driver=overlay2
  wait_for "dockerd answers" 60 docker_lab version || die "dockerd did not come up" "$LAB_LOGS/dockerd.log"
}

import_images() {
  step "images into containerd (k8s.io) and Docker"
  local image tar ref
  for image in pause busybox noshell coredns tools; do
    tar=$(image_tar "$image")
    ref=$(tar -xOf "$tar" manifest.json | jq -r '.[0].RepoTags[0]')
    if ctr_lab -n k8s.io images check "name==$ref" 2>/dev/null | grep -q "$ref"; then
      log "    $ref already in containerd"
    else
      ctr_lab -n k8s.io images import --no-unpack=false "$tar" >>"$LAB_LOGS/images.log" 2>&1 ||
        die "importing $ref into containerd failed" "$LAB_LOGS/images.log"
      log "    $ref imported into containerd"
    fi
    if docker_lab image inspect "$ref" >/dev/null 2>&1; then
      log "    $ref already in Docker"
    else
      docker_lab load -i "$tar" >>"$LAB_LOGS/images.log" 2>&1 || die "loading $ref into Docker failed" "$LAB_LOGS/images.log"
      log "    $ref loaded into Docker"
    fi
  done
  # Nothing can be pulled here: a run with no image option (diagnose.yml -e pod=... alone) works as on a cluster.
  tag_default_images ctr_lab "$NODE_NAME"
}

etcd_healthy() { curl -fsS http://127.0.0.1:2379/health | grep -q '"health":"true"'; }

start_etcd() {
  step "etcd $ETCD_VERSION"
  # --unsafe-no-fsync: a throwaway lab on a shared disk; speed over durability.
  start_daemon etcd "$LAB_BIN/etcd" --name lab --data-dir "$LAB_STATE/etcd" \
    --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
    --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
    --initial-cluster lab=http://127.0.0.1:2380 --unsafe-no-fsync --log-level warn
  wait_for "etcd healthy" 60 etcd_healthy || die "etcd did not become healthy" "$LAB_LOGS/etcd.log"
}

apiserver_ready() { kubectl_lab get --raw /readyz; }

# The API server's audit log: the requests that run something in a pod, at Metadata level (who, verb, the request
# URI: what an exec's command and arguments would leak into), nothing else; rotated at 10 MB, two old files kept.
# tests/integration/exec/test_env_secrets.py greps it for a planted secret.
AUDIT_LOG=$LAB_LOGS/kube-apiserver-audit.log
write_audit_policy() {
  cat >"$LAB_STATE/conf/audit-policy.yaml" <<YAML
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Metadata
  resources:
  - group: ""
    resources: [pods/exec, pods/attach, pods/ephemeralcontainers]
- level: None
YAML
}

# restart_if_changed NAME COMMAND...: stop NAME when it runs with other arguments than COMMAND (a lab/up that
# changed them), so the start_daemon that follows starts it anew; no-op otherwise.
restart_if_changed() {
  local name=$1
  shift
  pid_alive "$name" || return 0
  if [ "$(tr '\0' '\n' <"/proc/$(cat "$LAB_PIDS/$name.pid")/cmdline")" != "$(printf '%s\n' "$@")" ]; then
    log "    $name runs with other arguments: restarting it"
    stop_daemon "$name"
  fi
}

start_control_plane() {
  step "control plane (kube-apiserver, kube-controller-manager, kube-scheduler $KUBE_VERSION)"
  write_audit_policy
  local apiserver=("$LAB_BIN/kube-apiserver" \
    --advertise-address "$NODE_IP" --bind-address 0.0.0.0 --secure-port 6443 \
    --etcd-servers http://127.0.0.1:2379 --service-cluster-ip-range "$SERVICE_CIDR" \
    --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" --client-ca-file "$PKI/ca.crt" \
    --kubelet-client-certificate "$PKI/apiserver-kubelet-client.crt" --kubelet-client-key "$PKI/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority "$PKI/ca.crt" --kubelet-preferred-address-types InternalIP \
    --service-account-issuer "https://kubernetes.default.svc.$CLUSTER_DOMAIN" \
    --service-account-key-file "$PKI/sa.pub" --service-account-signing-key-file "$PKI/sa.key" \
    --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction --allow-privileged=true \
    --audit-policy-file "$LAB_STATE/conf/audit-policy.yaml" --audit-log-path "$AUDIT_LOG" \
    --audit-log-maxsize 10 --audit-log-maxbackup 2 \
    --profiling=false --v=1)
  restart_if_changed kube-apiserver "${apiserver[@]}"
  start_daemon kube-apiserver "${apiserver[@]}"
  wait_for "kube-apiserver ready" 120 apiserver_ready || die "kube-apiserver did not become ready" "$LAB_LOGS/kube-apiserver.log"
  start_daemon kube-controller-manager "$LAB_BIN/kube-controller-manager" \
    --kubeconfig "$PKI/controller-manager.kubeconfig" --authentication-kubeconfig "$PKI/controller-manager.kubeconfig" \
    --authorization-kubeconfig "$PKI/controller-manager.kubeconfig" --bind-address 127.0.0.1 \
    --service-account-private-key-file "$PKI/sa.key" --root-ca-file "$PKI/ca.crt" \
    --cluster-signing-cert-file "$PKI/ca.crt" --cluster-signing-key-file "$PKI/ca.key" \
    --use-service-account-credentials=true --leader-elect=false --profiling=false --v=1
  start_daemon kube-scheduler "$LAB_BIN/kube-scheduler" \
    --kubeconfig "$PKI/scheduler.kubeconfig" --authentication-kubeconfig "$PKI/scheduler.kubeconfig" \
    --authorization-kubeconfig "$PKI/scheduler.kubeconfig" --bind-address 127.0.0.1 --leader-elect=false --v=1
}

node_ready() {
  [ "$(kubectl_lab get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ]
}

start_node() {
  step "node $NODE_NAME (kubelet, kube-proxy $KUBE_VERSION)"
  mkdir -p "$LAB_STATE/kubelet"
  start_daemon kubelet "$LAB_BIN/kubelet" --config "$LAB_STATE/conf/kubelet.yaml" \
    --kubeconfig "$PKI/kubelet.kubeconfig" --hostname-override "$NODE_NAME" --node-ip "$NODE_IP" \
    --root-dir "$LAB_STATE/kubelet" --v=1
  start_daemon kube-proxy "$LAB_BIN/kube-proxy" --config "$LAB_STATE/conf/kube-proxy.yaml" --v=1
  wait_for "node $NODE_NAME Ready" 180 node_ready || die "node $NODE_NAME did not become Ready" "$LAB_LOGS/kubelet.log"
}
