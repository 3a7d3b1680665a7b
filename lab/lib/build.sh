# Building the lab's parts: Debian packages, Go binaries, images. Sourced.
# Outputs are cached under $LAB_CACHE keyed by version and recipe hash, so a
# warm lab/up builds nothing.

DEBIAN_PACKAGES=(
  containerd runc containernetworking-plugins docker.io
  iptables ipset conntrack socat ethtool iproute2 kmod procps
  debootstrap busybox-static openssl jq
  docker-registry apache2-utils curl
)

ensure_debian_packages() {
  step "Debian packages"
  local missing=() pkg
  for pkg in "${DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    log "    all present"
    return 0
  fi
  log "    installing: ${missing[*]}"
  mkdir -p "$LAB_CACHE"
  local apt_log=$LAB_CACHE/apt.log
  # No init system here: keep the packages' maintainer scripts from starting services.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
  fi
  apt-get update >"$apt_log" 2>&1 || die "apt-get update failed" "$apt_log"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >>"$apt_log" 2>&1 ||
    die "installing Debian packages ${missing[*]} failed" "$apt_log"
  for pkg in "${missing[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' ||
      die "Debian package $pkg is still not installed" "$apt_log"
  done
}

# recipe_hash DIR...: a short hash of the files that define a build.
# Relative paths only, so a checkout elsewhere (CI's fresh clone) hits the same cache.
recipe_hash() {
  local dir
  for dir in "$@"; do
    (cd "$dir" && find . -type f \( -name '*.go' -o -name 'go.mod' -o -name 'go.sum' -o -name '*.py' -o -name '*.sh' -o -name '*.txt' \) -print0 |
      sort -z | xargs -0 sha256sum)
  done | sha256sum | cut -c1-12
}

# go_build NAME SRC_DIR VERSION LDFLAGS PACKAGE: build once per version+recipe into the cache.
# A cold Kubernetes build compiles about 2000 packages for some twenty minutes: it says how far it is every
# $LAB_PROGRESS_SECONDS (default 30) from what `go build -v` has compiled so far, then that it links.
go_build() {
  local name=$1 src=$2 version=$3 ldflags=$4 package=$5 key out blog
  key=$name-$version-$(recipe_hash "$src")
  out=$LAB_CACHE/build/$key/$name
  if [ ! -x "$out" ]; then
    blog=$LAB_CACHE/build/$key.log
    mkdir -p "$(dirname "$out")"
    local t0 total main pid
    t0=$(date +%s)
    log "    building $name $version: listing its packages (go list -deps; downloads the modules on a cold cache)"
    total=$(cd "$src" && CGO_ENABLED=0 GOFLAGS=-buildvcs=false go list -deps "$package" 2>"$blog" | wc -l) ||
      die "listing the packages of $name $version failed" "$blog"
    main=$(cd "$src" && GOFLAGS=-buildvcs=false go list "$package" 2>>"$blog") ||
      die "listing the packages of $name $version failed" "$blog"
    log "    building $name $version: compiling up to $total packages (go build -v; log: $blog)"
    (cd "$src" && CGO_ENABLED=0 GOFLAGS=-buildvcs=false go build -v -trimpath -ldflags "$ldflags" -o "$out.partial" "$package") >"$blog" 2>&1 &
    pid=$!
    go_build_progress "$name" "$pid" "$blog" "$total" "$main" "$t0"
    wait "$pid" || die "building $name $version failed" "$blog"
    mv "$out.partial" "$out"
    log "    built $name in $(( $(date +%s) - t0 ))s"
  else
    log "    $name $version cached"
  fi
  mkdir -p "$LAB_BIN"
  ln -sfn "$out" "$LAB_BIN/$name"
}

# go_build_progress NAME PID LOG TOTAL MAIN T0: while PID runs, every $LAB_PROGRESS_SECONDS: how many packages
# `go build -v` has compiled (one line each in LOG; a package already in the Go build cache is not listed, so a
# warm build ends below TOTAL), the last one, and once the main package MAIN is compiled, that the linker runs.
go_build_progress() {
  local name=$1 pid=$2 blog=$3 total=$4 main=$5 t0=$6 every=${LAB_PROGRESS_SECONDS:-30} waited=0 done_pkgs last
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    waited=$((waited + 1))
    [ "$waited" -ge "$every" ] || continue
    waited=0
    kill -0 "$pid" 2>/dev/null || break
    done_pkgs=$(grep -cv '^go: ' "$blog" || true)
    last=$(grep -v '^go: ' "$blog" | tail -n1 || true)
    if [ "$last" = "$main" ]; then
      log "    $name: $done_pkgs/$total packages compiled, linking" \
        "($(( $(date +%s) - t0 ))s)"
    else
      log "    $name: $done_pkgs/$total packages compiled ($(( done_pkgs * 100 / (total > 0 ? total : 1) ))%," \
        "$(( $(date +%s) - t0 ))s; last: ${last:-none yet})"
    fi
  done
}

kube_version_ldflags() {
  local minor flags="-s -w" pkg
  minor=$(echo "$KUBE_VERSION" | cut -d. -f2)
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=" -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
  done
  echo "$flags"
}

build_binaries() {
  step "Go binaries (Kubernetes $KUBE_VERSION, etcd $ETCD_VERSION, CoreDNS $COREDNS_VERSION)"
  command -v go >/dev/null || die "go is not installed: the lab builds Kubernetes from the Go module proxy"
  go_build kube "$LAB_DIR/src/k8s" "$KUBE_VERSION" "$(kube_version_ldflags)" .
  local component
  for component in kube-apiserver kube-controller-manager kube-scheduler kube-proxy kubelet kubectl; do
    ln -sfn kube "$LAB_BIN/$component"
  done
  go_build etcd "$LAB_DIR/src/etcd" "$ETCD_VERSION" "-s -w" .
  go_build coredns "$LAB_DIR/src/coredns" "$COREDNS_VERSION" \
    "-s -w -X github.com/coredns/coredns/coremain.GitCommit=$COREDNS_VERSION" .
  build_containerd2
  go_build pause "$LAB_DIR/src/smallbins" v1 "-s -w" ./pause
  go_build demoapp "$LAB_DIR/src/smallbins" v1 "-s -w" ./demoapp
}

# containerd 2.x for the second runtime (node kdebug-lab-w2), from the Go module proxy (lab/src/containerd2 names
# its commands as go.mod tools). Linked into $LAB_BIN/containerd2/ under their own names, so that directory can
# lead that containerd's PATH and it finds its own shim.
build_containerd2() {
  local cmd pkg=github.com/containerd/containerd/v2/cmd
  local ldflags="-s -w -X github.com/containerd/containerd/v2/version.Version=$CONTAINERD2_VERSION"
  mkdir -p "$LAB_BIN/containerd2"
  for cmd in containerd containerd-shim-runc-v2 ctr; do
    go_build "containerd2-$cmd" "$LAB_DIR/src/containerd2" "$CONTAINERD2_VERSION" "$ldflags" "$pkg/$cmd"
    ln -sfn "../containerd2-$cmd" "$LAB_BIN/containerd2/$cmd"
  done
}

# --- images -----------------------------------------------------------------

debian_mirror() {
  # The mirror apt already uses on this machine: debootstrap needs one too.
  local uri
  uri=$(grep -hE '^(URIs:|deb )' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null |
    grep -v security | head -n1 | sed -E 's/^URIs: *//; s/^deb (\[[^]]*\] )?//' | awk '{print $1}')
  [ -n "$uri" ] || die "no Debian mirror found in /etc/apt sources (debootstrap needs one for the tools image)"
  echo "$uri"
}

image_tar() { echo "$LAB_CACHE/images/$1-$IMAGES_VERSION-$(recipe_hash "$LAB_DIR/images" "$LAB_DIR/src/smallbins").tar"; }

# rootfs_skeleton DIR: the few files every small image needs.
rootfs_skeleton() {
  mkdir -p "$1"/{etc,tmp,proc,sys,dev}
  chmod 1777 "$1/tmp"
  printf 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$1/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\n' >"$1/etc/group"
}

build_image_pause() {
  local root=$1
  rootfs_skeleton "$root"
  install -m 0755 "$LAB_BIN/pause" "$root/pause"
  python3 "$LAB_DIR/images/mkimage.py" "$root" "$2" "$IMAGE_PAUSE" --entrypoint '["/pause"]'
}

build_image_busybox() {
  local root=$1
  rootfs_skeleton "$root"
  mkdir -p "$root/bin" "$root/www"
  install -m 0755 /bin/busybox "$root/bin/busybox"
  "$root/bin/busybox" --install -s "$root/bin"
  # --install -s writes absolute links to the host path; point them at the image's busybox.
  find "$root/bin" -type l -exec ln -sfn /bin/busybox {} \;
  echo '<h1>kdebug demo web</h1>' >"$root/www/index.html"
  python3 "$LAB_DIR/images/mkimage.py" "$root" "$2" "$IMAGE_BUSYBOX" --cmd '["sh"]'
}

build_image_noshell() {
  local root=$1
  rootfs_skeleton "$root"
  install -m 0755 "$LAB_BIN/demoapp" "$root/demoapp"
  python3 "$LAB_DIR/images/mkimage.py" "$root" "$2" "$IMAGE_NOSHELL" --entrypoint '["/demoapp"]' --cmd '["serve"]'
}

build_image_coredns() {
  local root=$1
  rootfs_skeleton "$root"
  install -m 0755 "$LAB_BIN/coredns" "$root/coredns"
  python3 "$LAB_DIR/images/mkimage.py" "$root" "$2" "$IMAGE_COREDNS" --entrypoint '["/coredns"]'
}

TOOLS_PACKAGES=dnsutils,curl,tcpdump,iproute2,iputils-ping,procps,strace,util-linux,netcat-openbsd,ca-certificates,busybox-static,lsof

build_image_tools() {
  local root=$1 blog=$LAB_CACHE/images/debootstrap.log
  log "    debootstrap of Debian bookworm with $TOOLS_PACKAGES (log: $blog)"
  debootstrap --variant=minbase --include="$TOOLS_PACKAGES" bookworm "$root" "$(debian_mirror)" >"$blog" 2>&1 ||
    die "debootstrap of the tools image failed" "$blog"
  # Keep it lean: no docs, locales, apt lists or caches.
  rm -rf "$root"/usr/share/{doc,man,info,locale,lintian,linda} "$root"/var/cache/apt/* "$root"/var/lib/apt/lists/* \
    "$root"/var/log/* "$root"/var/cache/debconf/*-old
  python3 "$LAB_DIR/images/mkimage.py" "$root" "$2" "$IMAGE_TOOLS" --cmd '["bash"]'
}

build_images() {
  step "images (pause, busybox, noshell, coredns, tools)"
  mkdir -p "$LAB_CACHE/images"
  local image tar work
  for image in pause busybox noshell coredns tools; do
    tar=$(image_tar "$image")
    if [ -f "$tar" ]; then
      log "    image $image cached"
      continue
    fi
    local t0
    t0=$(date +%s)
    work=$(mktemp -d "$LAB_CACHE/images/$image.XXXXXX")
    "build_image_$image" "$work/rootfs" "$tar"
    rm -rf "$work"
    log "    built image $image in $(( $(date +%s) - t0 ))s ($(du -h "$tar" | cut -f1))"
  done
}
