#!/bin/sh
# kdebug.toolkit network_check probe: run by kdebug_exec (sh -c) in the tools container, inside the target's
# network namespace. POSIX sh only (dash, busybox ash); tools: ip, ss, dig, nc (OpenBSD), curl, date.
#
# Inputs (environment, set by the role):
#   KDEBUG_NET_ENDPOINTS        host:port words ([v6]:port for IPv6 literals), TCP-connected in parallel
#   KDEBUG_NET_URLS             http(s) URL words (no whitespace), fetched with GET in parallel
#   KDEBUG_NET_CONNECT_TIMEOUT  seconds per TCP connect and per DNS query (default 3)
#   KDEBUG_NET_HTTP_TIMEOUT     seconds per HTTP request, all included (default 5)
#   KDEBUG_NET_HTTP_INSECURE    1: do not verify TLS certificates
#   KDEBUG_TARGET_ROOT          the target's root filesystem (set by kdebug_exec): names are resolved with the
#                               pod's own /etc/hosts and /etc/resolv.conf, whatever the tools container has
#
# Output (stdout): the probes' format (plugins/plugin_utils/probe.py: "@@kdebug NAME<TAB>key=value..." lines, each
# followed by its body), parsed by the kdebug.toolkit.network_check_results filter:
#   @@kdebug network-probe  version=2
#   @@kdebug resolver       resolv_conf= hosts= nameservers= search= ndots= missing=   (no body)
#   @@kdebug addr           rc= bytes= truncated=0|1   then ip -j addr's output (likewise route, route6 and listen:
#                                                        ip -j route, ip -j -6 route, ss -H -l -t -u -n -p)
#   @@kdebug stderr         of=addr                    then that command's stderr, when it printed any
#   @@kdebug tcp            index= endpoint= host= port= address= resolved= resolve_note= resolve_ms= rc= connect_ms=
#                           message=                   (one per endpoint, no body)
#   @@kdebug http           index= url= ... rc= code= time_total= time_connect= remote_ip= message=   (one per URL)
#   @@kdebug end
# Every command's output is cut at KDEBUG_NET_MAX_BYTES (default 131072) bytes, so the output stays bounded.

CT=${KDEBUG_NET_CONNECT_TIMEOUT:-3}
HT=${KDEBUG_NET_HTTP_TIMEOUT:-5}
MAX=${KDEBUG_NET_MAX_BYTES:-131072}

# Scratch files: in fleet runs the driver's directory for this target (removed with the driver's), else our own.
if [ -n "${KDEBUG_SCRATCH:-}" ] && [ -d "$KDEBUG_SCRATCH" ] && [ -w "$KDEBUG_SCRATCH" ]; then
    T=$KDEBUG_SCRATCH
else
    T=$(mktemp -d 2>/dev/null) || { T=/tmp/kdebug-net.$$ && mkdir -p "$T"; } || exit 70
    trap 'rm -rf "$T"' EXIT
fi
trap 'exit 143' INT TERM

now_ms() {
    n=$(date +%s%N 2>/dev/null)
    case $n in
        '' | *[!0-9]*) n=$(date +%s); printf '%s000\n' "$n" ;;
        *) printf '%s\n' "${n%??????}" ;;
    esac
}

# One line, no tabs, at most 400 bytes.
clean() {
    tr '\t\r\n' '   ' | head -c 400
}

emit() { # name rc file-with-stdout file-with-stderr
    size=$(wc -c <"$3" | tr -d ' ')
    cut=0
    [ "$size" -gt "$MAX" ] && cut=1
    printf '@@kdebug %s\trc=%s\tbytes=%s\ttruncated=%s\n' "$1" "$2" "$size" "$cut"
    head -c "$MAX" "$3"
    printf '\n'
    if [ -s "$4" ]; then
        printf '@@kdebug stderr\tof=%s\n' "$1"
        head -c 4096 "$4"
        printf '\n'
    fi
}

run() { # name command...
    name=$1
    shift
    "$@" >"$T/$name.out" 2>"$T/$name.err"
    emit "$name" "$?" "$T/$name.out" "$T/$name.err"
}

# ------------------------------------------------------------------ name resolution, as the pod does it

ROOT=${KDEBUG_TARGET_ROOT:-}
RESOLV_FILE=/etc/resolv.conf
HOSTS_FILE=/etc/hosts
if [ -n "$ROOT" ] && [ -r "$ROOT/etc/resolv.conf" ]; then
    RESOLV_FILE=$ROOT/etc/resolv.conf
fi
if [ -n "$ROOT" ] && [ -r "$ROOT/etc/hosts" ]; then
    HOSTS_FILE=$ROOT/etc/hosts
fi
NAMESERVERS=$(awk '$1 == "nameserver" && n < 3 { print $2; n++ }' "$RESOLV_FILE" 2>/dev/null | tr '\n' ' ')
SEARCH=$(awk '$1 == "search" || $1 == "domain" { s = ""; for (i = 2; i <= NF; i++) s = s " " $i } END { print s }' \
    "$RESOLV_FILE" 2>/dev/null)
NDOTS=$(sed -n 's/^options.*ndots:\([0-9][0-9]*\).*/\1/p' "$RESOLV_FILE" 2>/dev/null | tail -n 1)
NDOTS=${NDOTS:-1}

# resolve NAME: sets R_ADDR (empty when it does not resolve), R_HOW (literal, hosts, dns, fail) and R_NOTE.
resolve() {
    R_ADDR=
    R_HOW=fail
    R_NOTE=
    case $1 in
        *:*) R_ADDR=$1; R_HOW=literal; return 0 ;;
        *[!0-9.]*) ;;
        *) R_ADDR=$1; R_HOW=literal; return 0 ;;
    esac
    a=$(awk -v h="$1" 'BEGIN { h = tolower(h); sub(/\.$/, "", h) }
        /^[ \t]*#/ { next }
        { for (i = 2; i <= NF; i++) { if ($i ~ /^#/) break; if (tolower($i) == h) { print $1; exit } } }' \
        "$HOSTS_FILE" 2>/dev/null)
    case $a in '' | *[!0-9A-Fa-f.:]*) a= ;; esac # an address, never an option for nc or curl
    if [ -n "$a" ]; then
        R_ADDR=$a
        R_HOW=hosts
        R_NOTE="$1 in $HOSTS_FILE"
        return 0
    fi
    if [ -z "$NAMESERVERS" ]; then
        R_NOTE="no nameserver in $RESOLV_FILE"
        return 1
    fi
    if ! command -v dig >/dev/null 2>&1; then
        R_NOTE="dig is not in the tools image"
        return 1
    fi
    dots=$(printf '%s' "$1" | tr -cd . | wc -c | tr -d ' ')
    case $1 in
        *.) cands=$1 ;;
        *)
            rel=
            for s in $SEARCH; do rel="$rel $1.$s."; done
            if [ "$dots" -ge "$NDOTS" ]; then cands="$1. $rel"; else cands="$rel $1."; fi
            ;;
    esac
    dead=
    R_NOTE="no answer"
    for c in $cands; do
        for ns in $NAMESERVERS; do
            case " $dead " in *" $ns "*) continue ;; esac
            if ! out=$(dig +tries=1 +time="$CT" +noall +comments +answer "@$ns" "$c" A 2>&1); then
                dead="$dead $ns"
                R_NOTE="nameserver $ns: $(printf '%s\n' "$out" | sed 's/^;; *//' | grep . | head -n 1 | clean)"
                continue
            fi
            st=$(printf '%s\n' "$out" | sed -n 's/.*status: \([A-Z]*\),.*/\1/p' | head -n 1)
            a=$(printf '%s\n' "$out" | awk '$1 !~ /^;/ && $4 == "A" { print $5; exit }')
            if [ -z "$a" ] && [ "$st" = NOERROR ]; then
                out=$(dig +tries=1 +time="$CT" +noall +answer "@$ns" "$c" AAAA 2>/dev/null)
                a=$(printf '%s\n' "$out" | awk '$1 !~ /^;/ && $4 == "AAAA" { print $5; exit }')
            fi
            case $a in '' | *[!0-9A-Fa-f.:]*) a= ;; esac
            if [ -n "$a" ]; then
                R_ADDR=$a
                R_HOW=dns
                R_NOTE="$c from nameserver $ns"
                return 0
            fi
            case $st in
                NXDOMAIN) R_NOTE="$c: NXDOMAIN from $ns"; break ;;
                NOERROR) R_NOTE="$c: no A or AAAA record at $ns"; break ;;
                *) R_NOTE="$c: ${st:-no status} from $ns" ;;
            esac
        done
    done
    return 1
}

# ------------------------------------------------------------------ probes (each writes its section line to a file)

# split_hostport HOST:PORT | [V6]:PORT -> H, P
split_hostport() {
    case $1 in
        \[*\]:*) H=${1%%\]:*}; H=${H#\[}; P=${1##*\]:} ;;
        \[*\]) H=${1#\[}; H=${H%\]}; P= ;;
        *:*) H=${1%:*}; P=${1##*:} ;;
        *) H=$1; P= ;;
    esac
}

tcp_probe() { # index endpoint
    split_hostport "$2"
    t0=$(now_ms)
    resolve "$H"
    t1=$(now_ms)
    rc=
    ms=
    msg=$R_NOTE
    if [ -n "$R_ADDR" ]; then
        nc -z -v -n -w "$CT" "$R_ADDR" "$P" >"$T/tcp.$1.log" 2>&1
        rc=$?
        t2=$(now_ms)
        ms=$((t2 - t1))
        msg=$(grep . "$T/tcp.$1.log" | tail -n 1 | clean)
    fi
    printf '@@kdebug tcp\tindex=%s\tendpoint=%s\thost=%s\tport=%s\taddress=%s\tresolved=%s\tresolve_note=%s\tresolve_ms=%s\trc=%s\tconnect_ms=%s\tmessage=%s\n' \
        "$1" "$2" "$H" "$P" "$R_ADDR" "$R_HOW" "$(printf '%s' "$R_NOTE" | clean)" "$((t1 - t0))" "$rc" "$ms" \
        "$(printf '%s' "$msg" | clean)" >"$T/tcp.$1"
}

http_probe() { # index url
    idx=$1
    url=$2
    rest=${url#*://}
    hostport=${rest%%/*}
    hostport=${hostport%%\?*}
    hostport=${hostport%%#*}
    hostport=${hostport##*@}
    split_hostport "$hostport"
    if [ -z "$P" ]; then
        case $url in [Hh][Tt][Tt][Pp][Ss]://*) P=443 ;; *) P=80 ;; esac
    fi
    t0=$(now_ms)
    resolve "$H"
    t1=$(now_ms)
    rc=
    w=
    msg=$R_NOTE
    if [ -n "$R_ADDR" ]; then
        set -- -sS -o /dev/null --noproxy '*' --connect-timeout "$CT" -m "$HT" \
            -w 'code=%{http_code}\ttime_total=%{time_total}\ttime_connect=%{time_connect}\tremote_ip=%{remote_ip}'
        if [ "${KDEBUG_NET_HTTP_INSECURE:-0}" = 1 ]; then
            set -- "$@" -k
        fi
        if [ "$R_HOW" != literal ]; then
            case $R_ADDR in
                *:*) set -- "$@" --resolve "$H:$P:[$R_ADDR]" ;;
                *) set -- "$@" --resolve "$H:$P:$R_ADDR" ;;
            esac
        fi
        w=$(curl "$@" "$url" 2>"$T/http.$idx.err")
        rc=$?
        msg=$(grep . "$T/http.$idx.err" | head -n 1 | clean)
    fi
    printf '@@kdebug http\tindex=%s\turl=%s\thost=%s\tport=%s\taddress=%s\tresolved=%s\tresolve_note=%s\tresolve_ms=%s\trc=%s\t%s\tmessage=%s\n' \
        "$idx" "$url" "$H" "$P" "$R_ADDR" "$R_HOW" "$(printf '%s' "$R_NOTE" | clean)" "$((t1 - t0))" "$rc" \
        "$(printf '%s' "$w" | tr '\r\n' '  ' | head -c 400)" "$(printf '%s' "$msg" | clean)" >"$T/http.$idx"
}

collect() { # kind count: the per-item sections, in the order asked
    j=1
    while [ "$j" -le "$2" ]; do
        if [ -f "$T/$1.$j" ]; then
            cat "$T/$1.$j"
        else
            printf '@@kdebug %s\tindex=%s\tmessage=the probe wrote no result\n' "$1" "$j"
        fi
        j=$((j + 1))
    done
}

# ------------------------------------------------------------------ main

# Tools the image lacks (nc counts as missing unless it is OpenBSD netcat, whose -z -v -n -w the probe uses).
MISSING=
for tool in ip ss dig nc curl; do
    command -v "$tool" >/dev/null 2>&1 || MISSING="$MISSING $tool"
done
case " $MISSING " in
    *" nc "*) ;;
    *) nc -z -v -n -w 1 127.0.0.1 1 2>&1 | grep -q -E '(port 1 |1 port )' || MISSING="$MISSING nc" ;;
esac

# Started first, in parallel: they take longest (connect and DNS timeouts). No globbing of the words.
set -f
n_tcp=0
for ep in ${KDEBUG_NET_ENDPOINTS:-}; do
    n_tcp=$((n_tcp + 1))
    tcp_probe "$n_tcp" "$ep" &
done
n_http=0
for url in ${KDEBUG_NET_URLS:-}; do
    n_http=$((n_http + 1))
    http_probe "$n_http" "$url" &
done

printf '@@kdebug network-probe\tversion=2\n'
printf '@@kdebug resolver\tresolv_conf=%s\thosts=%s\tnameservers=%s\tsearch=%s\tndots=%s\tmissing=%s\n' \
    "$RESOLV_FILE" "$HOSTS_FILE" "$NAMESERVERS" "$SEARCH" "$NDOTS" "$MISSING" | tr -s ' '

run addr ip -j addr show
run route ip -j route show
run route6 ip -j -6 route show
run listen ss -H -l -t -u -n -p

wait

collect tcp "$n_tcp"
collect http "$n_http"
printf '@@kdebug end\n'
