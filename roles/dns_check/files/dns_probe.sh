# shellcheck shell=sh
# kdebug.toolkit dns_check probe: POSIX sh (dash, busybox ash), run by kdebug_exec in the target's network
# namespace. It prints the probes' format (plugins/plugin_utils/probe.py: "@@kdebug NAME<TAB>key=value..." lines,
# each followed by its body) that the kdebug.toolkit.dns_check_results filter parses:
#
#   @@kdebug dns-probe version=2 timeout=2 domain=cluster.local discover=1 search=1
#   @@kdebug resolv path=/proc/1/root/etc/resolv.conf    (then the file, at most 60 lines)
#   @@kdebug resolv-error path=...                       (then why it could not be read; nothing is asked)
#   @@kdebug names / search-names / search-domains       (then what is asked, one a line, after validation and limits)
#   @@kdebug addresses                                   (then the pod's addresses, for the reverse lookup)
#   @@kdebug services                                    (then the Services named by that reverse lookup)
#   @@kdebug primary server=10.96.0.10                   (first nameserver that answered: the search list is tried there)
#   @@kdebug query id=1 kind=name type=A server=10.96.0.10 name=... exit=0   (then dig +yaml's output, trimmed)
#   @@kdebug transport server=10.244.0.253 exit=9        (then dig's own words on why that nameserver did not answer:
#                                                         +yaml leaves them out: a nameserver whose query failed at
#                                                         once (refused, no route) is asked once more without it; one
#                                                         that let it run to its timeout did not answer, which is said
#                                                         in dig's words without asking again)
#   @@kdebug again id=7 exit=0                           (then dig +yaml's output for query 7 asked once more, after
#                                                         the others: an answer slower than a quarter of
#                                                         KDEBUG_DNS_SLOW_MS may be the node's load, not DNS)
#   @@kdebug limit skipped=3 max=150                     (queries left out)
#   @@kdebug fatal message=...                           (the probe cannot run)
#   @@kdebug end
#
# Environment (set by the role; KDEBUG_TARGET_ROOT by kdebug_exec):
#   KDEBUG_DNS_NAMES         names asked of every nameserver, space separated
#   KDEBUG_DNS_SEARCH_NAMES  short names only resolved the way the pod's resolver would, through the search list
#   KDEBUG_DNS_TIMEOUT       seconds dig waits for an answer (one try)
#   KDEBUG_DNS_DOMAIN        the cluster domain, to recognise Service names in the reverse lookup
#   KDEBUG_DNS_DISCOVER      1: find the pod's Services by a reverse (PTR) lookup of its own addresses
#   KDEBUG_DNS_SEARCH        1 (default): replay each name through the search list; 0: ask the names as they are
#   KDEBUG_DNS_SLOW_MS       the role's latency threshold: an A query slower than a quarter of it is asked once
#                            more when the others are done (0: never)
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
MAX_LINES=40
MAX_AGAIN=12

timeout_s=${KDEBUG_DNS_TIMEOUT:-2}
case $timeout_s in '' | *[!0-9]*) timeout_s=2 ;; esac
[ "$timeout_s" -ge 1 ] || timeout_s=1
[ "$timeout_s" -le 30 ] || timeout_s=30
domain=${KDEBUG_DNS_DOMAIN:-cluster.local}
domain=${domain%.}
discover=${KDEBUG_DNS_DISCOVER:-1}
replay=${KDEBUG_DNS_SEARCH:-1}
[ "$replay" = 0 ] || replay=1
slow_ms=${KDEBUG_DNS_SLOW_MS:-0}
case $slow_ms in '' | *[!0-9]*) slow_ms=0 ;; esac

TAB=$(printf '\t')
printf '@@kdebug dns-probe\tversion=2\ttimeout=%s\tdomain=%s\tdiscover=%s\tsearch=%s\tslow=%s\n' "$timeout_s" \
    "$domain" "$discover" "$replay" "$slow_ms"

# list NAME WORDS...: a section with one word a line (builtins only).
list() {
    echo "@@kdebug $1"
    shift
    for word in "$@"; do echo "$word"; done
}

# A DNS name as the role passes it: letters, digits, '-', '_' and dots, no empty label.
valid_name() {
    case $1 in
        '' | *[!A-Za-z0-9._-]* | .* | -* | *..*) return 1 ;;
    esac
    return 0
}

if ! command -v dig >/dev/null 2>&1; then
    printf '@@kdebug fatal\tmessage=%s\n@@kdebug end\n' \
        "dig is not installed in the tools image (the role needs dig, from bind-tools/dnsutils)"
    exit 3
fi

conf="${KDEBUG_TARGET_ROOT:-}/etc/resolv.conf"
if [ -f "$conf" ] && [ -r "$conf" ]; then
    printf '@@kdebug resolv\tpath=%s\n' "$conf"
    # At most 60 lines of at most 400 bytes, with builtins: a fleet run probes every pod of a node at once, and
    # each process a probe starts is CPU that the others wait for. A line that would read as a section line is
    # shifted by a blank (the resolver ignores it either way).
    shown=0
    while [ "$shown" -lt 60 ] && { IFS= read -r line || [ -n "$line" ]; }; do
        shown=$((shown + 1))
        case $line in '@@kdebug '*) line=" $line" ;; esac
        printf '%.400s\n' "$line"
    done <"$conf"
else
    printf '@@kdebug resolv-error\tpath=%s\n' "$conf"
    { cat "$conf" >/dev/null; } 2>&1 | head -n 3
    [ -e "$conf" ] || echo "no such file"
    echo "@@kdebug end"
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

# When phase 1 started (epoch seconds): a failed query that ended before its timeout was refused or found no route
# (dig +yaml says neither), one that ended at its timeout was not answered. One date process per probe, and one
# per failed query: nothing more when every nameserver answers.
started=$(date +%s 2>/dev/null) || started=""

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
        dig +yaml +nosearch +time="$timeout_s" +tries=1 +noall +answer "@$3" $qargs >"$work/$seq.out" 2>&1
        rc=$?
        echo $rc >"$work/$seq.rc"
        [ "$rc" = 0 ] || date +%s >"$work/$seq.end" 2>/dev/null
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

# shellcheck disable=SC2086
list names $names
# shellcheck disable=SC2086
list search-names $search_names
# shellcheck disable=SC2086
list search-domains $domains

addresses=""
if [ "$discover" = 1 ]; then
    addresses=$(ip -o addr show scope global 2>/dev/null |
        sed -n 's/.* inet6\{0,1\} \([0-9A-Fa-f:.]*\)\/.*/\1/p' | head -n 4 | tr '\n' ' ')
    [ -n "$addresses" ] || addresses=$(hostname -i 2>/dev/null | cut -c 1-200)
    # shellcheck disable=SC2086
    set -- $addresses
    addresses="$*"
    list addresses "$@"
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
    for svc in $(sed -n "s/.*[[:space:]]PTR[[:space:]]\{1,\}[^.[:space:]]*\.\([a-z0-9-]*\)\.\([a-z0-9-]*\)\.svc\.$domain_re\.'\{0,1\}\$/\1.\2/p" "$work/$id.out"); do
        fqdn="$svc.svc.$domain"
        case " $services " in *" $fqdn "*) continue ;; esac
        # shellcheck disable=SC2086
        set -- $services
        [ $# -lt "$MAX_SERVICES" ] && services="$services $fqdn"
    done
done <"$work/index"
if [ "$discover" = 1 ]; then
    # shellcheck disable=SC2086
    list services $services
fi

# One awk reads every answer so far: the first nameserver that answered anything (the pod's resolver would get
# its answers there: the primary; the index lists the nameservers in resolv.conf's order), the nameservers that
# left a query unanswered, and which of those refused it at once ("fast": a failed query that ended before its
# timeout; without a start time every one counts as fast and is asked again).
# shellcheck disable=SC2046
set -- $(awk -v work="$work" -v started="$started" -v timeout_s="$timeout_s" '
{
    out = work "/" $1 ".out"
    answered = 0
    while ((getline line < out) > 0) if (line ~ /^ *status: /) answered = 1
    close(out)
    if (answered && primary == "") primary = $4
    if (!answered && !($4 in failed)) { failed[$4] = 1; order = order " " $4 }
    if (!answered) {
        ended = ""
        end_file = work "/" $1 ".end"
        if ((getline ended < end_file) <= 0) ended = ""
        close(end_file)
        if (started == "" || ended == "" || ended - started < timeout_s) fast[$4] = 1
    }
}
END {
    printf "%s", (primary == "" ? "-" : primary)
    n = split(order, servers, " ")
    for (i = 1; i <= n; i++) printf " %s%s", servers[i], (servers[i] in fast ? "" : "@timeout")
    print ""
}' "$work/index")
primary=${1:--}
[ "$primary" = - ] && primary=""
[ $# -gt 0 ] && shift
unanswered=""
timed_out=""
for ns in "$@"; do
    case $ns in
        *@timeout) timed_out="$timed_out ${ns%@timeout}"; unanswered="$unanswered ${ns%@timeout}" ;;
        *) unanswered="$unanswered $ns" ;;
    esac
done
printf '@@kdebug primary\tserver=%s\n' "$primary"

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
# dig +yaml says only "no servers could be reached" when a nameserver does not answer; dig without it says why
# (timed out, connection refused, network unreachable). A nameserver that let its queries run to their timeout did
# not answer: that is said in dig's own words, without waiting for it once more. One that failed at once is asked
# once more without +yaml, beside phase 2 (a refusal or a missing route comes back at once again).
first_name=${names# }
first_name=${first_name%% *}
for ns in $unanswered; do
    case " $timed_out " in
        *" $ns "*)
            printf ';; communications error to %s#53: timed out\n;; no servers could be reached\n' "$ns" \
                >"$work/transport.$ns"
            echo 9 >"$work/transport.$ns.rc"
            ;;
        *)
            (
                dig +nosearch +time=1 +tries=1 +noall "@$ns" "${first_name:-.}" A >"$work/transport.$ns" 2>&1
                echo $? >"$work/transport.$ns.rc"
            ) &
            ;;
    esac
done
wait

# Phase 3: a second measurement. Every query above ran at once with the others, on a node that may be busy: an
# answer that took more than a quarter of the threshold (a search-list walk adds several up) is asked once more,
# now that the burst is over, and the filter judges the faster of the two (and says so). Nothing more when every
# answer was quick.
again=""
if [ "$slow_ms" -gt 0 ]; then
    again=$(awk -v work="$work" -v limit_ms="$((slow_ms / 4))" -v max="$MAX_AGAIN" '
function seconds(line,    parts) {
    sub(/.*T/, "", line)
    sub(/Z.*/, "", line)
    split(line, parts, ":")
    return parts[1] * 3600 + parts[2] * 60 + parts[3]
}
$3 == "A" && count < max {
    out = work "/" $1 ".out"
    asked = ""
    answered = ""
    while ((getline line < out) > 0) {
        if (line ~ /^ *query_time: /) asked = seconds(line)
        else if (line ~ /^ *response_time: /) answered = seconds(line)
    }
    close(out)
    if (asked == "" || answered == "") next
    ms = (answered - asked) * 1000
    if (ms < 0) ms += 86400000
    if (ms > limit_ms) { printf " %s", $1; count++ }
}' "$work/index")
    while read -r id _kind _type server name; do
        case "$again " in
            *" $id "*)
                (
                    dig +yaml +nosearch +time="$timeout_s" +tries=1 +noall +answer "@$server" -q "$name" -t A \
                        >"$work/$id.again.out" 2>&1
                    echo $? >"$work/$id.again.rc"
                ) &
                ;;
        esac
    done <"$work/index"
    wait
fi

[ "$limited" -gt 0 ] && printf '@@kdebug limit\tskipped=%s\tmax=%s\n' "$limited" "$MAX_QUERIES"
# Every section in one awk process (a cat, grep, head and cut per query made this the probe's biggest cost when a
# fleet run probes every pod of a node at once): each query with its exit code, then dig's YAML without the keys
# nobody reads, at most MAX_LINES lines; then why each unanswered nameserver did not answer.
awk -v work="$work" -v max_lines="$MAX_LINES" -v unanswered="$unanswered" -v again="$again " -v tab="$TAB" '
function rc_of(file,    rc) {
    rc = ""
    if ((getline rc < file) <= 0) rc = ""
    close(file)
    return rc == "" ? "none" : rc
}
function body(out,    line, kept) {
    kept = 0
    while (kept < max_lines && (getline line < out) > 0) {
        if (line == "" || line ~ /^ *(message_size|socket_family|socket_protocol|response_port|query_address|query_port): /)
            continue
        print substr(line, 1, 512)
        kept++
    }
    close(out)
}
{
    print "@@kdebug query" tab "id=" $1 tab "kind=" $2 tab "type=" $3 tab "server=" $4 tab "name=" $5 tab \
        "exit=" rc_of(work "/" $1 ".rc")
    body(work "/" $1 ".out")
    if (index(again, " " $1 " ")) {
        print "@@kdebug again" tab "id=" $1 tab "exit=" rc_of(work "/" $1 ".again.rc")
        body(work "/" $1 ".again.out")
    }
}
END {
    n = split(unanswered, servers, " ")
    for (i = 1; i <= n; i++) {
        out = work "/transport." servers[i]
        print "@@kdebug transport" tab "server=" servers[i] tab "exit=" rc_of(out ".rc")
        kept = 0
        while (kept < 5 && (getline line < out) > 0)
            if (line != "") { print substr(line, 1, 300); kept++ }
        close(out)
    }
}' "$work/index"
echo "@@kdebug end"
