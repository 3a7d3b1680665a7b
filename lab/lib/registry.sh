# The lab's private image registry (Debian's docker-registry, the CNCF
# distribution server) on the node address: TLS from the lab CA, htpasswd
# authentication, anonymous pulls refused. It holds the tools image under a
# private name (IMAGE_TOOLS_PRIVATE) that is never imported into the node, so a
# pod gets it only by pulling with credentials (imagePullSecrets). containerd
# trusts the lab CA for it through its hosts directory (CRI registry
# config_path, containerd 1.5 and later). Sourced.

registry_password() { cat "$REGISTRY_DIR/password"; }

# The credentials, made once per lab (lab/down removes them with the state).
registry_credentials() {
  mkdir -p "$REGISTRY_DIR/data"
  chmod 700 "$REGISTRY_DIR"
  if [ ! -s "$REGISTRY_DIR/password" ]; then
    (umask 077 && openssl rand -hex 16 >"$REGISTRY_DIR/password")
  fi
  if [ ! -s "$REGISTRY_DIR/htpasswd" ]; then
    # The distribution server reads bcrypt entries only.
    htpasswd -Bbn "$REGISTRY_USER" "$(registry_password)" >"$REGISTRY_DIR/htpasswd.partial" ||
      die "htpasswd could not write the registry's password file"
    mv "$REGISTRY_DIR/htpasswd.partial" "$REGISTRY_DIR/htpasswd"
  fi
  if [ ! -s "$REGISTRY_AUTH_FILE" ]; then
    local auth
    auth=$(printf '%s:%s' "$REGISTRY_USER" "$(registry_password)" | base64 -w0)
    (umask 077 && jq -n --arg host "$REGISTRY_HOST" --arg user "$REGISTRY_USER" --arg password "$(registry_password)" \
      --arg auth "$auth" '{auths: {($host): {username: $user, password: $password, auth: $auth}}}' >"$REGISTRY_AUTH_FILE")
  fi
}

write_registry_config() {
  issue_cert registry kdebug-lab-registry "" "IP:$NODE_IP,DNS:localhost,IP:127.0.0.1" serverAuth
  registry_credentials
  cat >"$REGISTRY_DIR/config.yml" <<YAML
version: 0.1
log: {level: warn, accesslog: {disabled: true}}
storage:
  filesystem: {rootdirectory: $REGISTRY_DIR/data}
  delete: {enabled: true}
http:
  addr: $REGISTRY_HOST
  tls: {certificate: $PKI/registry.crt, key: $PKI/registry.key}
auth:
  htpasswd: {realm: kdebug-lab-registry, path: $REGISTRY_DIR/htpasswd}
YAML
  # Read on every pull: a change here needs no containerd restart (only config_path in containerd.toml does).
  mkdir -p "$CONTAINERD_HOSTS_DIR/$REGISTRY_HOST"
  cat >"$CONTAINERD_HOSTS_DIR/$REGISTRY_HOST/hosts.toml" <<TOML
server = "https://$REGISTRY_HOST"

[host."https://$REGISTRY_HOST"]
  capabilities = ["pull", "resolve", "push"]
  ca = "$PKI/ca.crt"
TOML
}

# registry_status [CURL_ARGS...]: the HTTP status of the registry's API root (401 without credentials).
registry_status() {
  curl -sS -o /dev/null -w '%{http_code}' --cacert "$PKI/ca.crt" "$@" "https://$REGISTRY_HOST/v2/"
}

registry_refuses_anonymous() { [ "$(registry_status)" = 401 ]; }

start_registry() {
  step "private registry ($REGISTRY_HOST: TLS from the lab CA, htpasswd, holds $IMAGE_TOOLS_PRIVATE)"
  write_registry_config
  start_daemon registry docker-registry serve "$REGISTRY_DIR/config.yml"
  wait_for "registry answers, and refuses anonymous requests" 60 registry_refuses_anonymous ||
    die "the registry on $REGISTRY_HOST did not come up refusing anonymous requests (HTTP $(registry_status))" \
      "$LAB_LOGS/registry.log"
  [ "$(registry_status -u "$REGISTRY_USER:$(registry_password)")" = 200 ] ||
    die "the registry on $REGISTRY_HOST refuses the lab's own credentials" "$LAB_LOGS/registry.log"
}

# The digest of a manifest in the registry, empty when it is not there.
registry_digest() {
  local ref=$1 repo tag
  repo=${ref#"$REGISTRY_HOST"/}
  tag=${repo##*:}
  repo=${repo%:*}
  curl -sS -I --cacert "$PKI/ca.crt" -u "$REGISTRY_USER:$(registry_password)" \
    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    "https://$REGISTRY_HOST/v2/$repo/manifests/$tag" 2>/dev/null |
    awk 'tolower($1) == "docker-content-digest:" {print $2}' | tr -d '\r'
}

local_digest() { ctr_lab -n k8s.io images ls "name==$1" | awk 'NR == 2 {print $3}'; }

# Push the tools image under its private name, only when the registry holds another digest (warm lab/up: one HEAD).
push_private_images() {
  local want have plog=$LAB_LOGS/registry-push.log
  want=$(local_digest "$IMAGE_TOOLS")
  [ -n "$want" ] || die "the tools image $IMAGE_TOOLS is not in containerd: nothing to push"
  have=$(registry_digest "$IMAGE_TOOLS_PRIVATE")
  if [ "$have" = "$want" ]; then
    log "    $IMAGE_TOOLS_PRIVATE up to date ($want)"
    return 0
  fi
  log "    pushing $IMAGE_TOOLS as $IMAGE_TOOLS_PRIVATE (registry had ${have:-nothing}, log: $plog)"
  ctr_lab -n k8s.io images tag --force "$IMAGE_TOOLS" "$IMAGE_TOOLS_PRIVATE" >>"$plog" 2>&1 ||
    die "tagging $IMAGE_TOOLS as $IMAGE_TOOLS_PRIVATE failed" "$plog"
  local rc=0
  ctr_lab -n k8s.io images push --hosts-dir "$CONTAINERD_HOSTS_DIR" --user "$REGISTRY_USER:$(registry_password)" \
    "$IMAGE_TOOLS_PRIVATE" >>"$plog" 2>&1 || rc=$?
  # The node must not hold the private name: a pod would get it without credentials (IfNotPresent).
  ctr_lab -n k8s.io images rm "$IMAGE_TOOLS_PRIVATE" >>"$plog" 2>&1
  [ "$rc" = 0 ] || die "pushing $IMAGE_TOOLS_PRIVATE failed" "$plog"
  [ "$(registry_digest "$IMAGE_TOOLS_PRIVATE")" = "$want" ] || die "the registry does not hold $want after the push" "$plog"
}
