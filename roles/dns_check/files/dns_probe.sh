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
#   KDEBUG_SCRATCH           an empty directory for the probe's files (kdebug_exec targets give one), else mktemp's
#
# Each phase asks its queries through one dig per nameserver (see ask), the nameservers at once: first every name
# (and the reverse lookups) against every nameserver, then the Services found and the search-list variants, then
# a second measurement of the slow answers. A nameserver silent on its first query is asked nothing more.

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
MAX_BATCH=8 # queries one dig asks (one after the other): a nameserver that drops some costs a timeout each

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

TAB='	' # a tab (no $(printf) subshell)
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

# Scratch files: in fleet runs the driver's directory for this target (empty, removed with the driver's: no mktemp
# and no rm per pod), else a directory of our own.
if [ -n "${KDEBUG_SCRATCH:-}" ] && [ -d "$KDEBUG_SCRATCH" ] && [ -w "$KDEBUG_SCRATCH" ]; then
    work=$KDEBUG_SCRATCH
else
    work=$(mktemp -d 2>/dev/null) || {
        work="/tmp/kdebug-dns.$$"
        mkdir -p "$work" || exit 4
    }
    trap 'rm -rf "$work"' EXIT
fi
trap 'exit 143' INT TERM
: >"$work/index"

seq=0
seen=" "
limited=0
batch=0   # dig runs started: run N leaves bN.ids ("SERVER TAG ID..."), bN.out, bN.rc and bN.cs
pending=" "
dead=" "  # nameservers that let a query run to its timeout: asked nothing more

# now_cs: $now is the time since boot in centiseconds ('' when /proc/uptime cannot be read); builtins only.
now_cs() {
    now=""
    up=""
    { read -r up _ </proc/uptime; } 2>/dev/null
    case $up in [1-9]*.[0-9][0-9]) now=${up%.*}${up#*.} ;; esac
}

# query KIND TYPE SERVER NAME: a query, once per (server, name, type), queued for SERVER's next dig (see ask). A
# nameserver in $dead is not asked: its section says so, and its transport section says why.
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
    case $dead in
        *" $3 "*)
            echo "; not asked: nameserver $3 let an earlier query run to its ${timeout_s} s timeout" >"$work/$seq.out"
            echo 9 >"$work/$seq.rc"
            return 0
            ;;
    esac
    if [ "$2" = PTR ]; then
        echo "$seq -x $4" >>"$work/pending.$3"
    else
        echo "$seq -q $4 -t $2" >>"$work/pending.$3"
    fi
    case $pending in *" $3 "*) ;; *) pending="$pending$3 " ;; esac
}

# dig_run N SERVER DIG-ARGS: dig run N (see batch), timed.
dig_run() {
    now_cs
    start=$now
    # shellcheck disable=SC2086
    dig +yaml +nosearch +time="$timeout_s" +tries=1 +noall +answer "@$2" $3 >"$work/b$1.out" 2>&1
    echo $? >"$work/b$1.rc"
    now_cs
    [ -n "$start" ] && [ -n "$now" ] && echo $((now - start)) >"$work/b$1.cs"
}

# start_dig SERVER TAG IDS DIG-ARGS [fg]: a dig for the queries IDS (TAG: q, or again for a second measurement),
# in the background unless fg; it asks them one after the other and prints one +yaml item per query, in order.
start_dig() {
    batch=$((batch + 1))
    echo "$1 $2$3" >"$work/b$batch.ids"
    if [ "${5:-}" = fg ]; then
        dig_run "$batch" "$1" "$4"
    else
        dig_run "$batch" "$1" "$4" &
    fi
}

# hold SERVER IDS DIG-ARGS: the next dig of an ask; the one held before it starts now, in the background.
hold() {
    if [ -n "$held" ]; then
        start_dig "$held_server" "$tag" "$held_ids" "$held_args"
        held=bg
    else
        held=fg
    fi
    held_server=$1
    held_ids=$2
    held_args=$3
}

# ask [TAG]: every query queued since the last ask, one dig per nameserver (at most MAX_BATCH queries each), all
# nameservers at once; returns when they (and any other background job) have finished. One dig for many queries:
# a dig process costs the node far more CPU than a query to a nameserver that answers, and a fleet run probes
# every pod of a node at once. The only dig of an ask runs in the foreground (no subshell to fork).
ask() {
    tag=${1:-q}
    held=""
    for ns in $pending; do
        ids=""
        qargs=""
        n=0
        while read -r id args; do
            ids="$ids $id"
            qargs="$qargs $args"
            n=$((n + 1))
            if [ "$n" -ge "$MAX_BATCH" ]; then
                hold "$ns" "$ids" "$qargs"
                ids=""
                qargs=""
                n=0
            fi
        done <"$work/pending.$ns"
        [ -n "$ids" ] && hold "$ns" "$ids" "$qargs"
        : >"$work/pending.$ns"
    done
    pending=" "
    [ -n "$held" ] && start_dig "$held_server" "$tag" "$held_ids" "$held_args" "$held"
    wait
}

# The awk function that gives each query of a dig run its own files (ID.out and ID.rc; ID.again.out and
# ID.again.rc for a second measurement), as if it had been asked alone: dig prints one "- type:" item per query.
# An item's exit code is 0 for an answer (a MESSAGE), else dig's own (9: no reply); a query that dig never got to
# gets dig's exit code and no output (nor an exit code when dig was killed). It also notes, for the awk that
# includes it: answered[id], cs[id] (how long its dig ran), ptr[id] (its PTR records) and latency[id] (ms); and
# pick_slow(id, type) lists in slow_list the A queries slower than limit_ms (at most max_again of them).
# shellcheck disable=SC2016
SPLIT_AWK='
function clock(line,    parts) {
    sub(/.*T/, "", line)
    sub(/Z.*/, "", line)
    split(line, parts, ":")
    return parts[1] * 3600 + parts[2] * 60 + parts[3]
}
function pick_slow(id, type) {
    if (type == "A" && limit_ms > 0 && (id in latency) && latency[id] > limit_ms && slow_count < max_again) {
        slow_list = slow_list " " id
        slow_count++
    }
}
function split_run(n,    head, line, f, count, suffix, rc, took, item, lead, out, id, i) {
    head = work "/b" n
    if ((getline line < (head ".ids")) <= 0) return
    close(head ".ids")
    count = split(line, f, " ")
    suffix = (f[2] == "again") ? ".again" : ""
    rc = ""
    if ((getline rc < (head ".rc")) <= 0) rc = ""
    close(head ".rc")
    took = ""
    if ((getline took < (head ".cs")) <= 0) took = ""
    close(head ".cs")
    item = 0
    lead = ""
    out = ""
    while ((getline line < (head ".out")) > 0) {
        if (line ~ /^- type: / && item + 2 < count) {
            if (out != "") close(out)
            item++
            id = f[item + 2]
            out = work "/" id suffix ".out"
            code[id] = (line ~ /MESSAGE/) ? 0 : ((rc != "" && rc != 0) ? rc : 9)
            if (suffix == "") split_here[id] = 1
            if (lead != "") { print lead > out; lead = "" }
        } else if (item == 0) {
            lead = lead (lead == "" ? "" : "\n") line
            continue
        }
        print line > out
        if (suffix == "" && line ~ /^ *status: /) answered[id] = 1
        if (suffix == "" && line ~ /[ \t]PTR[ \t]/) ptr[id] = ptr[id] "\n" line
        if (suffix == "" && line ~ /^ *query_time: /) asked_at[id] = clock(line)
        if (suffix == "" && line ~ /^ *response_time: / && (id in asked_at)) {
            latency[id] = (clock(line) - asked_at[id]) * 1000
            if (latency[id] < 0) latency[id] += 86400000
        }
    }
    close(head ".out")
    if (out != "") close(out)
    if (item == 0 && lead != "" && count >= 3) {
        out = work "/" f[3] suffix ".out"
        print lead > out
        close(out)
    }
    for (i = 3; i <= count; i++) {
        id = f[i]
        cs[id] = took
        out = work "/" id suffix ".rc"
        if (i - 2 <= item) print code[id] > out
        else if (rc != "" && rc != 0) print rc > out
        else continue
        close(out)
    }
}
function split_runs(first, last,    n) {
    for (n = first; n <= last; n++) split_run(n)
}
'
split_done=0

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

# The pod's addresses (at most 4): the first inet/inet6 address of each line of ip -o, read with builtins.
addresses=""
if [ "$discover" = 1 ]; then
    ip -o addr show scope global >"$work/addrs" 2>/dev/null
    count=0
    while [ "$count" -lt 4 ] && IFS= read -r line; do
        # shellcheck disable=SC2086
        set -- $line
        while [ $# -ge 2 ]; do
            case $1 in
                inet | inet6)
                    addresses="$addresses ${2%%/*}"
                    count=$((count + 1))
                    break
                    ;;
            esac
            shift
        done
    done <"$work/addrs"
    [ -n "$addresses" ] || addresses=$(hostname -i 2>/dev/null | cut -c 1-200)
    # shellcheck disable=SC2086
    set -- $addresses
    addresses="$*"
    list addresses "$@"
fi

# phase1 [first]: every name and the reverse lookups against every nameserver; with "first", only the first of
# them against each nameserver.
phase1() {
    for ns in $nameservers; do
        for name in $names; do
            query name A "$ns" "$name"
            [ "${1:-}" = first ] && continue 2
        done
        for addr in $addresses; do
            case $addr in *[!0-9A-Fa-f:.]*) continue ;; esac
            query ptr PTR "$ns" "$addr"
            [ "${1:-}" = first ] && continue 2
        done
    done
}

# mark_silent FIRST: the nameservers that answered none of their queries in dig runs FIRST.. and let them run to
# a timeout join $dead.
mark_silent() {
    n=$1
    alive=" "
    silent=" "
    while [ "$n" -le "$batch" ]; do
        rc=""
        took=""
        { read -r rc <"$work/b$n.rc"; } 2>/dev/null
        { read -r took <"$work/b$n.cs"; } 2>/dev/null
        read -r server _ <"$work/b$n.ids"
        if answered_in "$work/b$n.out"; then
            alive="$alive$server "
        elif [ "${rc:-0}" != 0 ] && [ -n "$took" ] && [ "$took" -ge $((timeout_s * 100 - 20)) ]; then
            silent="$silent$server "
        fi
        n=$((n + 1))
    done
    for server in $silent; do
        case "$alive$dead" in *" $server "*) ;; *) dead="$dead$server " ;; esac
    done
}

# answered_in FILE: dig's output holds an answer (a status line); builtins only.
answered_in() {
    while IFS= read -r line; do
        case $line in *" status: "*) return 0 ;; esac
    done 2>/dev/null <"$1"
    return 1
}

# Phase 1: every name and reverse lookup against every nameserver. When there are more than two of them, first
# one query against every nameserver at once: a nameserver that lets it run to its timeout is asked nothing more
# (each query after it would wait as long, one after the other). Two are asked in one dig without that first
# step: a nameserver that never answers costs at most two timeouts, and a healthy pod one dig.
# shellcheck disable=SC2086
set -- $names $addresses
if [ $# -gt 2 ]; then
    phase1 first
    ask
    mark_silent 1
fi
phase1
ask
mark_silent 1 # from the first run again: a nameserver that answered the first query is not silent

# One awk reads every answer so far: the first nameserver that answered anything (the pod's resolver would get
# its answers there: the primary; the index lists the nameservers in resolv.conf's order), the nameservers that
# left a query unanswered, and which of those refused it at once ("fast": its dig ended before a timeout had
# passed; without a measured time every one counts as fast and is asked again); and the Services the reverse
# lookups name: <ip-or-hostname>.<service>.<namespace>.svc.<domain>.
awk -v work="$work" -v timeout_cs="$((timeout_s * 100 - 20))" -v dead="$dead" -v domain="$domain" \
    -v max_services="$MAX_SERVICES" -v runs="$batch" -v limit_ms="$((slow_ms / 4))" -v max_again="$MAX_AGAIN" \
    "$SPLIT_AWK"'
BEGIN { split_runs(1, runs) }
{
    id = $1
    pick_slow(id, $3)
    if (answered[id] && primary == "") primary = $4
    if (!answered[id] && !($4 in failed)) { failed[$4] = 1; order = order " " $4 }
    if (!answered[id] && index(dead, " " $4 " ") == 0 && (cs[id] == "" || cs[id] < timeout_cs)) fast[$4] = 1
    if ($3 != "PTR") next
    n = split(ptr[id], lines, "\n")
    suffix = ".svc." domain "."
    for (i = 1; i <= n; i++) {
        record = lines[i]
        sub(/.*[ \t]PTR[ \t]+/, "", record)
        sub(/'"'"'$/, "", record)
        if (length(record) <= length(suffix) || substr(record, length(record) - length(suffix) + 1) != suffix) continue
        if (split(substr(record, 1, length(record) - length(suffix)), labels, /\./) != 3) continue
        if (labels[1] == "" || labels[2] !~ /^[a-z0-9-]*$/ || labels[3] !~ /^[a-z0-9-]*$/) continue
        fqdn = labels[2] "." labels[3] ".svc." domain
        if (!(fqdn in found) && found_count < max_services) { found[fqdn] = 1; found_count++; services = services " " fqdn }
    }
}
END {
    printf "%s", (primary == "" ? "-" : primary)
    n = split(order, servers, " ")
    for (i = 1; i <= n; i++) printf " %s%s", servers[i], (servers[i] in fast ? "" : "@timeout")
    print ""
    print services
    print slow_list
}' "$work/index" >"$work/phase1"
split_done=$batch
line1=""
services=""
again=""
{
    read -r line1
    read -r services
    read -r again
} <"$work/phase1"
if [ "$discover" = 1 ]; then
    # shellcheck disable=SC2086
    list services $services
fi
# shellcheck disable=SC2086
set -- $line1
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
ask

# Phase 3: a second measurement. A node busy with a fleet run answers late: an answer that took more than a
# quarter of the threshold (a search-list walk adds several up) is asked once more, now that the burst is over,
# and the filter judges the faster of the two (and says so). Nothing more when every answer was quick. The awk
# above picked the slow ones of phase 1; one more picks those of phase 2, when it asked anything.
if [ "$slow_ms" -gt 0 ] && [ "$batch" -gt "$split_done" ]; then
    # shellcheck disable=SC2086
    set -- $again
    awk -v work="$work" -v limit_ms="$((slow_ms / 4))" -v max_again="$((MAX_AGAIN - $#))" \
        -v first="$((split_done + 1))" -v runs="$batch" "$SPLIT_AWK"'
BEGIN { split_runs(first, runs) }
$1 in split_here { pick_slow($1, $3) }
END { print slow_list }' "$work/index" >"$work/again"
    split_done=$batch
    more=""
    { read -r more <"$work/again"; } 2>/dev/null
    again="$again $more"
fi
if [ "$slow_ms" -gt 0 ] && [ -n "${again# }" ]; then
    while read -r id _kind _type server name; do
        case " $again " in
            *" $id "*)
                echo "$id -q $name -t A" >>"$work/pending.$server"
                case $pending in *" $server "*) ;; *) pending="$pending$server " ;; esac
                ;;
        esac
    done <"$work/index"
    ask again
fi

[ "$limited" -gt 0 ] && printf '@@kdebug limit\tskipped=%s\tmax=%s\n' "$limited" "$MAX_QUERIES"
# Every section in one awk process: each query with its exit code, then dig's YAML without the keys nobody reads,
# at most MAX_LINES lines; then why each unanswered nameserver did not answer.
awk -v work="$work" -v max_lines="$MAX_LINES" -v unanswered="$unanswered" -v again=" $again " -v tab="$TAB" \
    -v first="$((split_done + 1))" -v runs="$batch" "$SPLIT_AWK"'
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
BEGIN { split_runs(first, runs) }
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
