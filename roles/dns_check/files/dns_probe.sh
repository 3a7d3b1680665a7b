# shellcheck shell=sh
# kdebug.toolkit dns_check probe: POSIX sh (dash, busybox ash), run by kdebug_exec in the target's network
# namespace. It prints "@@@ " sections that the kdebug.toolkit.dns_check_results filter parses:
#
#   @@@ kdebug-dns-probe 1
#   @@@ params timeout=2 domain=cluster.local discover=1 search=1
#   @@@ resolv path=/proc/1/root/etc/resolv.conf     (then the file, at most 60 lines)
#   @@@ resolv-error path=...                        (then why it could not be read; nothing is asked)
#   @@@ names a b / search-names c / search-domains d e   (what is asked, after validation and limits)
#   @@@ addresses 10.244.0.7                         (the pod's addresses, for the reverse lookup)
#   @@@ services web.kdebug-demo.svc.cluster.local   (Services named by that reverse lookup)
#   @@@ primary 10.96.0.10                           (first nameserver that answered: the search list is tried there)
#   @@@ query id=1 kind=name type=A server=10.96.0.10 name=... exit=0   (then dig's trimmed output)
#   @@@ limit ...                                    (queries left out: at most MAX_QUERIES)
#   @@@ end
#
# Environment (set by the role; KDEBUG_TARGET_ROOT by kdebug_exec):
#   KDEBUG_DNS_NAMES         names asked of every nameserver, space separated
#   KDEBUG_DNS_SEARCH_NAMES  short names only resolved the way the pod's resolver would, through the search list
#   KDEBUG_DNS_TIMEOUT       seconds dig waits for an answer (one try)
#   KDEBUG_DNS_DOMAIN        the cluster domain, to recognise Service names in the reverse lookup
#   KDEBUG_DNS_DISCOVER      1: find the pod's Services by a reverse (PTR) lookup of its own addresses
#   KDEBUG_DNS_SEARCH        1 (default): replay each name through the search list; 0: ask the names as they are
#   KDEBUG_TARGET_ROOT       the target's root filesystem as seen from here (else /etc/resolv.conf is the pod's)
#
# Queries run as background jobs, so an unreachable nameserver costs one timeout, not one per query: first every
# name (and the reverse lookups) against every nameserver, then the Services found and the search-list variants.

set -u
set -f # no globbing: names and resolv.conf fields are split on blanks, never expanded
PATH="$PATH:/usr/sbin:/sbin:/usr/bin:/bin"
MAX_NS=3
MAX_SEARCH=8
MAX_NAMES=20
MAX_SERVICES=10
MAX_QUERIES=150
MAX_LINES=30

timeout_s=${KDEBUG_DNS_TIMEOUT:-2}
case $timeout_s in '' | *[!0-9]*) timeout_s=2 ;; esac
[ "$timeout_s" -ge 1 ] || timeout_s=1
[ "$timeout_s" -le 30 ] || timeout_s=30
domain=${KDEBUG_DNS_DOMAIN:-cluster.local}
domain=${domain%.}
discover=${KDEBUG_DNS_DISCOVER:-1}
replay=${KDEBUG_DNS_SEARCH:-1}
[ "$replay" = 0 ] || replay=1

echo "@@@ kdebug-dns-probe 1"
echo "@@@ params timeout=$timeout_s domain=$domain discover=$discover search=$replay"

# A DNS name as the role passes it: letters, digits, '-', '_' and dots, no empty label.
valid_name() {
    case $1 in
        '' | *[!A-Za-z0-9._-]* | .* | -* | *..*) return 1 ;;
    esac
    return 0
}

if ! command -v dig >/dev/null 2>&1; then
    echo "@@@ fatal dig is not installed in the tools image (the role needs dig, from bind-tools/dnsutils)"
    echo "@@@ end"
    exit 3
fi

conf="${KDEBUG_TARGET_ROOT:-}/etc/resolv.conf"
if [ -f "$conf" ] && [ -r "$conf" ]; then
    echo "@@@ resolv path=$conf"
    # At most 60 lines of at most 400 bytes, with builtins: a fleet run probes every pod of a node at once, and
    # each process a probe starts is CPU that the others wait for.
    shown=0
    while [ "$shown" -lt 60 ] && { IFS= read -r line || [ -n "$line" ]; }; do
        shown=$((shown + 1))
        printf '%.400s\n' "$line"
    done <"$conf"
else
    echo "@@@ resolv-error path=$conf"
    { cat "$conf" >/dev/null; } 2>&1 | head -n 3
    [ -e "$conf" ] || echo "no such file"
    echo "@@@ end"
    exit 0
fi

# The resolver's view: nameservers (the first MAX_NS are used), the last search/domain line.
nameservers=""
nscount=0
search=""
while IFS= read -r line || [ -n "$line" ]; do
    # shellcheck disable=SC2086
    set -- $line
    [ $# -ge 2 ] || continue
    case $1 in
        nameserver)
            case $2 in *[!0-9A-Za-z:.%]*) continue ;; esac
            nscount=$((nscount + 1))
            [ "$nscount" -le "$MAX_NS" ] && nameservers="$nameservers $2"
            ;;
        search)
            shift
            search="$*"
            ;;
        domain) search=$2 ;;
    esac
done <"$conf"

work=$(mktemp -d 2>/dev/null) || {
    work="/tmp/kdebug-dns.$$"
    mkdir -p "$work" || exit 4
}
trap 'rm -rf "$work"' EXIT
trap 'exit 143' INT TERM
: >"$work/index"

seq=0
seen=" "
limited=0

# query KIND TYPE SERVER NAME: one dig in the background, once per (server, name, type).
query() {
    key="$3/$4/$2"
    case $seen in *" $key "*) return 0 ;; esac
    if [ "$seq" -ge "$MAX_QUERIES" ]; then
        limited=$((limited + 1))
        return 0
    fi
    seen="$seen$key "
    seq=$((seq + 1))
    echo "$seq $1 $2 $3 $4" >>"$work/index"
    if [ "$2" = PTR ]; then
        qargs="-x $4"
    else
        qargs="-q $4 -t $2"
    fi
    # shellcheck disable=SC2086
    (
        dig +nosearch +time="$timeout_s" +tries=1 +noall +comments +answer +stats "@$3" $qargs >"$work/$seq.out" 2>&1
        echo $? >"$work/$seq.rc"
    ) &
}

names=""
count=0
for name in ${KDEBUG_DNS_NAMES:-}; do
    valid_name "$name" || continue
    count=$((count + 1))
    [ "$count" -le "$MAX_NAMES" ] && names="$names $name"
done
search_names=""
for name in ${KDEBUG_DNS_SEARCH_NAMES:-}; do
    valid_name "$name" && search_names="$search_names $name"
done
domains=""
count=0
for d in $search; do
    d=${d%.}
    valid_name "$d" || continue
    count=$((count + 1))
    [ "$count" -le "$MAX_SEARCH" ] && domains="$domains $d"
done

echo "@@@ names$names"
echo "@@@ search-names$search_names"
echo "@@@ search-domains$domains"

addresses=""
if [ "$discover" = 1 ]; then
    addresses=$(ip -o addr show scope global 2>/dev/null |
        sed -n 's/.* inet6\{0,1\} \([0-9A-Fa-f:.]*\)\/.*/\1/p' | head -n 4 | tr '\n' ' ')
    [ -n "$addresses" ] || addresses=$(hostname -i 2>/dev/null | cut -c 1-200)
    # shellcheck disable=SC2086
    set -- $addresses
    addresses="$*"
    echo "@@@ addresses${addresses:+ $addresses}"
fi

# Phase 1: every name and the reverse lookups, against every nameserver.
for ns in $nameservers; do
    for name in $names; do
        query name A "$ns" "$name"
    done
    for addr in $addresses; do
        case $addr in *[!0-9A-Fa-f:.]*) continue ;; esac
        query ptr PTR "$ns" "$addr"
    done
done
wait

# The Services the reverse lookup names: <ip-or-hostname>.<service>.<namespace>.svc.<domain>.
services=""
domain_re=$(printf '%s' "$domain" | sed 's/[.]/\\./g')
while read -r id _kind type _server _name; do
    [ "$type" = PTR ] || continue
    # shellcheck disable=SC2013
    for svc in $(sed -n "s/.*[[:space:]]PTR[[:space:]]\{1,\}[^.[:space:]]*\.\([a-z0-9-]*\)\.\([a-z0-9-]*\)\.svc\.$domain_re\.\$/\1.\2/p" "$work/$id.out"); do
        fqdn="$svc.svc.$domain"
        case " $services " in *" $fqdn "*) continue ;; esac
        # shellcheck disable=SC2086
        set -- $services
        [ $# -lt "$MAX_SERVICES" ] && services="$services $fqdn"
    done
done <"$work/index"
[ "$discover" = 1 ] && echo "@@@ services$services"

# The first nameserver that answered anything: the pod's resolver would get its answers there.
primary=""
for ns in $nameservers; do
    while read -r id _kind _type server _name; do
        [ "$server" = "$ns" ] || continue
        if grep -q 'status: ' "$work/$id.out" 2>/dev/null; then
            primary=$ns
            break
        fi
    done <"$work/index"
    [ -n "$primary" ] && break
done
echo "@@@ primary${primary:+ $primary}"

# Phase 2: the Services found against every nameserver; each name as the pod's resolver tries it (the name and
# the name under each search domain) against the primary nameserver.
for ns in $nameservers; do
    for name in $services; do
        query name A "$ns" "$name"
    done
done
if [ -n "$primary" ] && [ "$replay" = 1 ]; then
    for name in $names $services $search_names; do
        case $name in *.) continue ;; esac
        query search A "$primary" "$name"
        for d in $domains; do
            query search A "$primary" "$name.$d"
        done
    done
fi
wait

[ "$limited" -gt 0 ] && echo "@@@ limit $limited queries not run (at most $MAX_QUERIES)"
# Every query's section in one awk process (a cat, grep, head and cut per query made this the probe's biggest
# cost when a fleet run probes every pod of a node at once): its exit code, then dig's output without blank and
# noise lines, at most MAX_LINES lines of at most 300 characters.
awk -v work="$work" -v max_lines="$MAX_LINES" '
{
    rc = ""
    if ((getline rc < (work "/" $1 ".rc")) <= 0) rc = ""
    close(work "/" $1 ".rc")
    print "@@@ query id=" $1 " kind=" $2 " type=" $3 " server=" $4 " name=" $5 " exit=" (rc == "" ? "none" : rc)
    out = work "/" $1 ".out"
    kept = 0
    while (kept < max_lines && (getline line < out) > 0) {
        if (line == "" || line ~ /^(;; WARNING|;; You are currently|;; OPT PSEUDOSECTION|; EDNS|; COOKIE|;; WHEN|;; MSG SIZE|;; Got answer)/)
            continue
        print substr(line, 1, 300)
        kept++
    }
    close(out)
}' "$work/index"
echo "@@@ end"
