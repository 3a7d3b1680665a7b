# A second identity and context on the lab's API server, for the tests that prove a task reaches the cluster its
# host was listed in (docs/authentication.md): user kdebug-limited (a client certificate from the lab CA), allowed
# by RBAC into namespace kdebug-limited only. Sourced.
#
#   $PKI/limited.kubeconfig    context kdebug-limited only
#   $PKI/contexts.kubeconfig   contexts kdebug-lab (admin) and kdebug-limited, current-context kdebug-limited

LIMITED_USER=kdebug-limited
LIMITED_NAMESPACE=kdebug-limited

# kubeconfig_user CERT_NAME USER: a kubeconfig users: item that authenticates with a lab client certificate.
kubeconfig_user() {
  cat <<USER
- name: $2
  user:
    client-certificate-data: $(base64 -w0 <"$PKI/$1.crt")
    client-key-data: $(base64 -w0 <"$PKI/$1.key")
USER
}

make_contexts() {
  step "second context ($LIMITED_USER, namespace $LIMITED_NAMESPACE only)"
  issue_cert limited "$LIMITED_USER" "" "" clientAuth
  local cluster="clusters:
- name: kdebug-lab
  cluster:
    server: https://$NODE_IP:6443
    certificate-authority-data: $(base64 -w0 <"$PKI/ca.crt")"
  if [ ! -f "$PKI/limited.kubeconfig" ]; then
    printf 'apiVersion: v1\nkind: Config\n%s\nusers:\n%s\ncontexts:\n- name: %s\n  context: {cluster: kdebug-lab, user: %s, namespace: %s}\ncurrent-context: %s\n' \
      "$cluster" "$(kubeconfig_user limited "$LIMITED_USER")" "$LIMITED_USER" "$LIMITED_USER" "$LIMITED_NAMESPACE" \
      "$LIMITED_USER" >"$PKI/limited.kubeconfig"
    chmod 600 "$PKI/limited.kubeconfig"
  fi
  if [ ! -f "$PKI/contexts.kubeconfig" ]; then
    printf 'apiVersion: v1\nkind: Config\n%s\nusers:\n%s\n%s\ncontexts:\n- name: kdebug-lab\n  context: {cluster: kdebug-lab, user: admin}\n- name: %s\n  context: {cluster: kdebug-lab, user: %s, namespace: %s}\ncurrent-context: %s\n' \
      "$cluster" "$(kubeconfig_user admin admin)" "$(kubeconfig_user limited "$LIMITED_USER")" "$LIMITED_USER" \
      "$LIMITED_USER" "$LIMITED_NAMESPACE" "$LIMITED_USER" >"$PKI/contexts.kubeconfig"
    chmod 600 "$PKI/contexts.kubeconfig"
  fi
}

deploy_contexts() {
  kubectl_lab apply -f - >>"$LAB_LOGS/addons.log" 2>&1 <<YAML || die "applying the $LIMITED_USER RBAC failed" "$LAB_LOGS/addons.log"
apiVersion: v1
kind: Namespace
metadata: {name: $LIMITED_NAMESPACE}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: $LIMITED_USER, namespace: $LIMITED_NAMESPACE}
rules:
- {apiGroups: [""], resources: [pods], verbs: [get, list, watch]}
- {apiGroups: [""], resources: [pods/exec], verbs: [get, create]}
- {apiGroups: [""], resources: [pods/ephemeralcontainers], verbs: [get, patch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: $LIMITED_USER, namespace: $LIMITED_NAMESPACE}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: $LIMITED_USER}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: $LIMITED_USER}
YAML
  wait_for "$LIMITED_USER may list pods in $LIMITED_NAMESPACE only" 30 limited_user_scoped ||
    die "$LIMITED_USER is not scoped to $LIMITED_NAMESPACE (kubectl auth can-i --list --as $LIMITED_USER)"
}

limited_user_scoped() {
  local kc=$PKI/limited.kubeconfig
  [ "$("$LAB_BIN/kubectl" --kubeconfig "$kc" auth can-i list pods -n "$LIMITED_NAMESPACE")" = yes ] &&
    [ "$("$LAB_BIN/kubectl" --kubeconfig "$kc" auth can-i list pods -n kdebug-demo)" = no ]
}
