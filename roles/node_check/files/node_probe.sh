#!/bin/sh
# node_check's probe: runs in a node's host namespaces (kdebug_exec node:, the host's own binaries) and prints
# what the node_check_results filter judges, in the probes' format (plugins/plugin_utils/probe.py). It only reads.
# Every tool is optional: what a host lacks is a section with missing=<tool>, never a failed probe.
# Input: NODE_CHECK_LOG_LINES (lines of each daemon log to scan, default 5000).
LOG_LINES=${NODE_CHECK_LOG_LINES:-5000}
has() { command -v "$1" >/dev/null 2>&1; }
# A command bounded in time when the host has timeout(1): df on a dead NFS mount would hang forever.
bounded() { if has timeout; then timeout 10 "$@"; else "$@"; fi; }
# Mark a copied line that would read as a section header (the probes' convention).
body() { sed 's/^@@kdebug /@@kdebug\\ /'; }

now=$(date +%s)
printf '@@kdebug time\tepoch=%s\tuptime=%s\tlocal=%s\tclk_tck=%s\n' "$now" "$(cut -d' ' -f1 /proc/uptime)" \
  "$(date +%Y%m%d%H%M%S)" "$(getconf CLK_TCK 2>/dev/null || echo 100)"

# The first process whose command name is $1 (this PID namespace's view of the node).
pid_of() {
  for dir in /proc/[0-9]*; do
    [ "$(cat "$dir/comm" 2>/dev/null)" = "$1" ] && { echo "${dir#/proc/}"; return 0; }
  done
  return 1
}
# Where a daemon logs: the systemd journal for its unit, else the regular file its stderr (or stdout) goes to.
log_source() {
  for fd in 2 1; do
    target=$(readlink "/proc/$1/fd/$fd" 2>/dev/null) || continue
    [ -f "$target" ] && { echo "file:$target"; return 0; }
  done
  if has journalctl && [ -d /run/systemd/system ]; then
    unit=$(sed -n 's|^0::.*/\([^/]*\.service\)$|\1|p; s|^1:name=systemd:.*/\([^/]*\.service\)$|\1|p' \
      "/proc/$1/cgroup" 2>/dev/null | head -n 1)
    [ -n "$unit" ] && { echo "journal:$unit"; return 0; }
  fi
  echo none
}
# The last LOG_LINES lines of a daemon's log that say error (klog's E and F lines, logfmt level=error/fatal), and
# the kubelet's own "Node became not ready".
log_errors() {
  case "$1" in
    file:*) tail -n "$LOG_LINES" "${1#file:}" 2>/dev/null ;;
    journal:*) journalctl -u "${1#journal:}" -n "$LOG_LINES" --no-pager -o cat 2>/dev/null ;;
  esac | grep -E '^[EF][0-9]{4} |level=(error|fatal)|Node became not ready' | tail -n 200 | cut -c1-400 | body
}
daemon() {  # name comm
  pid=$(pid_of "$2") || { printf '@@kdebug daemon\tname=%s\trunning=0\n' "$1"; return 0; }
  source=$(log_source "$pid")
  printf '@@kdebug daemon\tname=%s\trunning=1\tpid=%s\tcomm=%s\tstart_ticks=%s\tlog=%s\n' "$1" "$pid" "$2" \
    "$(sed 's/^.*) //' "/proc/$pid/stat" | cut -d' ' -f20)" "$source"
  tr '\0' '\n' <"/proc/$pid/cmdline" | body
  printf '@@kdebug log\tof=%s\n' "$1"
  log_errors "$source"
}

daemon kubelet kubelet
kubelet_pid=$(pid_of kubelet)
if [ -n "$kubelet_pid" ]; then
  # The kubelet's flags, then its configuration file: what the checks compare with.
  flag() { tr '\0' '\n' <"/proc/$kubelet_pid/cmdline" | sed -n "s/^--$1=//p; /^--$1\$/{n;p;}" | head -n 1; }
  config=$(flag config)
  if [ -n "$config" ] && [ -r "$config" ]; then
    printf '@@kdebug kubelet_config\tpath=%s\n' "$config"
    head -c 65536 "$config" | body
  fi
  conf_value() { [ -n "$config" ] && sed -n "s/^$1: *//p" "$config" 2>/dev/null | tr -d "\"'" | head -n 1; }
  port=$(flag healthz-port); [ -n "$port" ] || port=$(conf_value healthzPort); [ -n "$port" ] || port=10248
  bind=$(flag healthz-bind-address); [ -n "$bind" ] || bind=$(conf_value healthzBindAddress)
  [ -n "$bind" ] || bind=127.0.0.1
  url="http://$bind:$port/healthz"
  if has curl; then
    answer=$(curl -sS -m 5 -w '\n%{http_code}' "$url" 2>&1); rc=$?
    code=$(printf '%s\n' "$answer" | tail -n 1); answer=$(printf '%s\n' "$answer" | sed '$d')
  elif has wget; then
    answer=$(wget -q -T 5 -O - "$url" 2>&1); rc=$?; code=$([ $rc -eq 0 ] && echo 200 || echo 0)
  else
    answer=""; rc=""; code=""
  fi
  printf '@@kdebug healthz\turl=%s\trc=%s\tcode=%s\tmissing=%s\n' "$url" "$rc" "$code" \
    "$(has curl || has wget || echo curl)"
  printf '%s\n' "$answer" | head -n 5 | body
  endpoint=$(flag container-runtime-endpoint); [ -n "$endpoint" ] || endpoint=$(conf_value containerRuntimeEndpoint)
  [ -n "$endpoint" ] || endpoint=unix:///run/containerd/containerd.sock
  sock=${endpoint#unix://}
  printf '@@kdebug runtime\tendpoint=%s\tsocket=%s\n' "$endpoint" "$([ -S "$sock" ] && echo 1 || echo 0)"
  # The API server, from the kubelet's kubeconfig: its Date header against this node's clock.
  kubeconfig=$(flag kubeconfig)
  server=$([ -r "$kubeconfig" ] && sed -n 's/^ *server: *//p' "$kubeconfig" | head -n 1)
  if [ -n "$server" ] && has curl; then
    before=$(date +%s.%N)
    date_header=$(curl -sk -m 5 -o /dev/null -D - "$server/livez" 2>/dev/null | tr -d '\r' | sed -n 's/^[Dd]ate: //p')
    after=$(date +%s.%N)
    printf '@@kdebug clock\tserver=%s\tbefore=%s\tafter=%s\tdate=%s\n' "$server" "$before" "$after" "$date_header"
  else
    printf '@@kdebug clock\tserver=%s\tmissing=%s\n' "$server" "$([ -n "$server" ] && echo curl || echo server)"
  fi
fi
runtime_found=0
for runtime in containerd crio dockerd; do
  if pid_of "$runtime" >/dev/null; then daemon runtime "$runtime"; runtime_found=1; break; fi
done
[ "$runtime_found" = 1 ] || printf '@@kdebug daemon\tname=runtime\trunning=0\n'

printf '@@kdebug memory\t%s\n' "$(awk '/^(MemTotal|MemAvailable):/ {printf "%s=%s\t", $1, $2}' /proc/meminfo | tr -d ':')"
printf '@@kdebug pids\tpid_max=%s\tthreads_max=%s\tthreads=%s\n' "$(cat /proc/sys/kernel/pid_max)" \
  "$(cat /proc/sys/kernel/threads-max)" "$(cut -d' ' -f4 /proc/loadavg | cut -d/ -f2)"
if [ -r /proc/sys/net/netfilter/nf_conntrack_max ]; then
  printf '@@kdebug conntrack\tcount=%s\tmax=%s\n' "$(cat /proc/sys/net/netfilter/nf_conntrack_count)" \
    "$(cat /proc/sys/net/netfilter/nf_conntrack_max)"
else
  printf '@@kdebug conntrack\tloaded=0\n'
fi

printf '@@kdebug mounts\n'; body </proc/self/mounts
printf '@@kdebug df\tmissing=%s\n' "$(has df || echo df)"; bounded df -P -k 2>/dev/null | body
printf '@@kdebug df_inodes\n'; bounded df -P -i 2>/dev/null | body

count_rules() { "$@" 2>/dev/null | grep -c '^-A '; }
printf '@@kdebug firewall\tiptables=%s\tip6tables=%s\tnft=%s\n' \
  "$(has iptables-save && count_rules iptables-save)" "$(has ip6tables-save && count_rules ip6tables-save)" \
  "$(has nft && nft list ruleset 2>/dev/null | grep -cE '^[[:space:]]+[a-z].*(accept|drop|reject|jump|goto|dnat|snat|masquerade|return|counter)')"

# OOM kills: the kernel log, timestamps in seconds since boot (dmesg) or the journal's kernel messages.
if has dmesg && dmesg >/dev/null 2>&1; then
  printf '@@kdebug oom\tsource=dmesg\n'
  dmesg 2>/dev/null | grep -E 'Out of memory|oom-kill:|Killed process|Memory cgroup out of memory' | tail -n 50 | cut -c1-400 | body
elif has journalctl; then
  printf '@@kdebug oom\tsource=journal\n'
  journalctl -k -o short-monotonic --no-pager 2>/dev/null \
    | grep -E 'Out of memory|oom-kill:|Killed process|Memory cgroup out of memory' | tail -n 50 | cut -c1-400 | body
else
  printf '@@kdebug oom\tmissing=dmesg\n'
fi
printf '@@kdebug end\n'
