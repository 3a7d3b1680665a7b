# Cluster add-ons (CoreDNS) and the demo workloads. Sourced.

# render FILE.in: substitute @NAME@ with the lab variable NAME.
render() {
  local text
  text=$(cat "$1")
  local name
  for name in CLUSTER_DOMAIN DNS_SERVICE_IP IMAGE_COREDNS IMAGE_BUSYBOX IMAGE_NOSHELL IMAGE_TOOLS UNREACHABLE_NAMESERVER; do
    text=${text//@$name@/${!name}}
  done
  printf '%s\n' "$text"
}

dns_answers() {
  # Ask CoreDNS through the Service IP, from the host: proves kube-proxy and CoreDNS together.
  local ip
  ip=$("$LAB_BIN/kubectl" --kubeconfig "$KUBECONFIG_ADMIN" get endpointslices -n kube-system -l kubernetes.io/service-name=kube-dns \
    -o jsonpath='{.items[0].endpoints[?(@.conditions.ready==true)].addresses[0]}')
  [ -n "$ip" ]
}

deploy_dns() {
  step "cluster DNS (CoreDNS $COREDNS_VERSION behind kube-dns $DNS_SERVICE_IP)"
  render "$LAB_DIR/manifests/coredns.yaml.in" | kubectl_lab apply -f - >>"$LAB_LOGS/addons.log" 2>&1 ||
    die "applying the CoreDNS manifests failed" "$LAB_LOGS/addons.log"
  kubectl_lab -n kube-system rollout status deployment/coredns --timeout=180s >>"$LAB_LOGS/addons.log" 2>&1 ||
    die "CoreDNS did not become ready (kubectl -n kube-system describe pod -l k8s-app=kube-dns)" "$LAB_LOGS/addons.log"
  wait_for "kube-dns has a ready endpoint" 60 dns_answers || die "kube-dns has no ready endpoint" "$LAB_LOGS/addons.log"
}

crashy_crashlooping() {
  local restarts
  restarts=$(kubectl_lab -n kdebug-demo get pods -l app=crashy -o jsonpath='{.items[0].status.containerStatuses[0].restartCount}')
  [ "${restarts:-0}" -ge 1 ]
}

deploy_demo() {
  step "demo workloads (namespace kdebug-demo: web, crashy, noshell, dns-broken, multi; spread on every node, dedicated on w2)"
  render "$LAB_DIR/manifests/demo.yaml.in" | kubectl_lab apply -f - >>"$LAB_LOGS/addons.log" 2>&1 ||
    die "applying the demo manifests failed" "$LAB_LOGS/addons.log"
  kubectl_lab -n kdebug-demo rollout status deployment/web --timeout=120s >>"$LAB_LOGS/addons.log" 2>&1 ||
    die "demo web did not become ready" "$LAB_LOGS/addons.log"
  kubectl_lab -n kdebug-demo wait --for=condition=Ready pod/noshell pod/multi --timeout=120s >>"$LAB_LOGS/addons.log" 2>&1 ||
    die "demo pods noshell/multi did not become ready" "$LAB_LOGS/addons.log"
  kubectl_lab -n kdebug-demo wait --for=jsonpath='{.status.phase}'=Running pod/dns-broken --timeout=120s >>"$LAB_LOGS/addons.log" 2>&1 ||
    die "demo pod dns-broken is not running" "$LAB_LOGS/addons.log"
  kubectl_lab -n kdebug-demo rollout status deployment/spread --timeout=120s >>"$LAB_LOGS/addons.log" 2>&1 ||
    die "demo spread did not become ready" "$LAB_LOGS/addons.log"
  if [[ " $WORKERS " == *" w2 "* ]]; then
    kubectl_lab -n kdebug-demo wait --for=condition=Ready pod/dedicated --timeout=120s >>"$LAB_LOGS/addons.log" 2>&1 ||
      die "demo pod dedicated did not become ready on kdebug-lab-w2" "$LAB_LOGS/addons.log"
  fi
  wait_for "crashy is crashlooping as designed" 120 crashy_crashlooping || die "demo crashy did not crash and restart" "$LAB_LOGS/addons.log"
}

# The PodSecurity levels of the production-like namespaces (kdebug-<level>).
PSA_LEVELS="baseline restricted"

deploy_production() {
  step "production-like namespaces (PodSecurity enforce: kdebug-${PSA_LEVELS// /, kdebug-}; non-root web, noshell)"
  local level
  for level in $PSA_LEVELS; do
    render "$LAB_DIR/manifests/production.yaml.in" | sed "s/@PSA_LEVEL@/$level/g" |
      kubectl_lab apply -f - >>"$LAB_LOGS/addons.log" 2>&1 ||
      die "applying the production manifests to kdebug-$level failed" "$LAB_LOGS/addons.log"
  done
  for level in $PSA_LEVELS; do
    kubectl_lab -n "kdebug-$level" wait --for=condition=Ready pod/web pod/noshell --timeout=120s >>"$LAB_LOGS/addons.log" 2>&1 ||
      die "pods web/noshell in kdebug-$level did not become ready (kubectl -n kdebug-$level describe pods)" "$LAB_LOGS/addons.log"
  done
}
