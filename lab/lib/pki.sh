# Certificates and kubeconfigs for the lab cluster (openssl). Sourced.
# Made fresh by every lab/up after lab/down; kept while the lab runs.

PKI=$LAB_STATE/pki

# issue_cert NAME CN ORG SANS EXTKEYUSAGE: a key and a certificate signed by the lab CA.
issue_cert() {
  local name=$1 cn=$2 org=$3 sans=$4 usage=$5
  [ -f "$PKI/$name.crt" ] && return 0
  local subject="/CN=$cn"
  [ -n "$org" ] && subject="/O=$org/CN=$cn"
  openssl genrsa -out "$PKI/$name.key" 2048 2>/dev/null
  openssl req -new -key "$PKI/$name.key" -subj "$subject" -out "$PKI/$name.csr" 2>/dev/null
  {
    echo "basicConstraints=CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$usage"
    [ -n "$sans" ] && echo "subjectAltName=$sans"
  } >"$PKI/$name.ext"
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
    -days 3650 -sha256 -extfile "$PKI/$name.ext" -out "$PKI/$name.crt" 2>/dev/null
  rm -f "$PKI/$name.csr" "$PKI/$name.ext"
}

# write_kubeconfig NAME CERT_NAME: a kubeconfig that authenticates with a client certificate.
write_kubeconfig() {
  local file=$PKI/$1.kubeconfig cert=$2
  [ -f "$file" ] && return 0
  cat >"$file" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
- name: kdebug-lab
  cluster:
    server: https://$NODE_IP:6443
    certificate-authority-data: $(base64 -w0 <"$PKI/ca.crt")
users:
- name: $cert
  user:
    client-certificate-data: $(base64 -w0 <"$PKI/$cert.crt")
    client-key-data: $(base64 -w0 <"$PKI/$cert.key")
contexts:
- name: kdebug-lab
  context:
    cluster: kdebug-lab
    user: $cert
current-context: kdebug-lab
KUBECONFIG
  chmod 600 "$file"
}

make_pki() {
  step "certificates and kubeconfigs ($PKI)"
  mkdir -p "$PKI"
  chmod 700 "$PKI"
  if [ ! -f "$PKI/ca.crt" ]; then
    openssl genrsa -out "$PKI/ca.key" 2048 2>/dev/null
    openssl req -x509 -new -key "$PKI/ca.key" -subj "/CN=kdebug-lab-ca" -days 3650 -sha256 \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
      -out "$PKI/ca.crt" 2>/dev/null
  fi
  [ -f "$PKI/sa.key" ] || { openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null && openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null; }
  local api_sans="DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.$CLUSTER_DOMAIN"
  api_sans+=",DNS:localhost,IP:127.0.0.1,IP:$NODE_IP,IP:$KUBERNETES_SERVICE_IP"
  issue_cert apiserver kube-apiserver "" "$api_sans" serverAuth
  issue_cert apiserver-kubelet-client kube-apiserver-kubelet-client system:masters "" clientAuth
  issue_cert admin kubernetes-admin system:masters "" clientAuth
  issue_cert controller-manager system:kube-controller-manager "" "" clientAuth
  issue_cert scheduler system:kube-scheduler "" "" clientAuth
  issue_cert kube-proxy system:kube-proxy "" "" clientAuth
  issue_cert kubelet "system:node:$NODE_NAME" system:nodes "" clientAuth
  issue_cert kubelet-serving "system:node:$NODE_NAME" system:nodes "DNS:$NODE_NAME,IP:$NODE_IP,IP:127.0.0.1" serverAuth
  write_kubeconfig admin admin
  write_kubeconfig controller-manager controller-manager
  write_kubeconfig scheduler scheduler
  write_kubeconfig kube-proxy kube-proxy
  write_kubeconfig kubelet kubelet
}
