#!/usr/bin/env bash
# Records aiwatch's reference captures from real clients and servers, inside private network
# namespaces that this script creates and deletes (run as root: sudo captures/record.sh).
#
# Topology: namespace awcap-lan holds a bridge; namespaces awcap-srv (all servers, several
# addresses), awcap-c21/c22/c23 (clients) hang off it through veth pairs whose both ends live in
# these namespaces. Only 10.77.0.0/24 is used; there is no route anywhere else, the host's
# interfaces are never touched. tcpdump runs in awcap-lan on the server's bridge port, so it sees
# every packet between clients and servers (like a span port).
# Afterwards captures/rewrite.py maps 10.77.0.x to the realistic addresses listed in the README
# (public addresses exist only in the files, never on the wire) and recomputes checksums.
#
# Environment: OUT=DIR (default: this folder) for the rewritten pcaps; RAW=DIR keeps the
# unrewritten ones; SKIP_CHROMIUM=1 skips the Chromium runs.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=${OUT:-$HERE}
PFX=awcap
NETS=(lan srv c21 c22 c23)
PY=${PYTHON:-python3}
WORK=$(mktemp -d /tmp/awcap.XXXXXX)
PIDS=()
TCPDUMP_PID=""

log() { printf '[record] %s\n' "$*" >&2; }
ns() { local n=$1; shift; ip netns exec "$PFX-$n" "$@"; }

teardown_net() {
    local n p
    for n in "${NETS[@]}"; do
        if ip netns list | grep -qw "$PFX-$n"; then
            # every process left in our own namespaces was started by this script
            for p in $(ip netns pids "$PFX-$n" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
        fi
    done
    sleep 0.3
    for n in "${NETS[@]}"; do
        if ip netns list | grep -qw "$PFX-$n"; then
            for p in $(ip netns pids "$PFX-$n" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
            ip netns del "$PFX-$n" 2>/dev/null || true
        fi
        rm -rf "/etc/netns/$PFX-$n"
    done
    rmdir /etc/netns 2>/dev/null || true  # only if empty (it may have been ours)
}

cleanup() {
    set +e
    local p
    [ -n "$TCPDUMP_PID" ] && kill -INT "$TCPDUMP_PID" 2>/dev/null
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${PIDS[@]}" $TCPDUMP_PID; do wait "$p" 2>/dev/null; done
    teardown_net
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" = 0 ] || { echo "run as root: sudo $0" >&2; exit 1; }
for tool in ip tcpdump dnsmasq openssl curl dig ethtool "$PY"; do
    command -v "$tool" >/dev/null || { echo "missing tool: $tool" >&2; exit 1; }
done
"$PY" -c 'import aioquic' 2>/dev/null && HAVE_AIOQUIC=1 || HAVE_AIOQUIC=0
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ "${SKIP_CHROMIUM:-0}" = 1 ] && CHROMIUM=""

# --- addresses (private, inside the namespaces only) -----------------------------------------
SRV_MAC=02:77:00:00:00:01
DNS_IP=10.77.0.53
SRV_IPS=(10.77.0.53 10.77.0.101 10.77.0.102 10.77.0.103 10.77.0.104 10.77.0.105 10.77.0.106 10.77.0.107 10.77.0.108)
declare -A CLIENT_IP=([c21]=10.77.0.21 [c22]=10.77.0.22 [c23]=10.77.0.23)

quiet_link() {  # no offloads: what tcpdump sees is what a wire would carry (MTU-sized segments)
    ns "$1" ethtool -K "$2" tx off tso off gso off gro off >/dev/null 2>&1 || true
}

setup_net() {
    teardown_net
    local n
    for n in "${NETS[@]}"; do
        ip netns add "$PFX-$n"
        ns "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
        ns "$n" ip link set lo up
    done
    ip -n "$PFX-lan" link add br0 type bridge mcast_snooping 0  # no IGMP from the bridge
    ip -n "$PFX-lan" link set br0 up
    quiet_link lan br0
    for n in srv c21 c22 c23; do
        ip -n "$PFX-lan" link add "v-$n" type veth peer name eth0 netns "$PFX-$n"
        ip -n "$PFX-lan" link set "v-$n" master br0 up
        quiet_link lan "v-$n"
        quiet_link "$n" eth0
    done
    ip -n "$PFX-srv" link set eth0 address "$SRV_MAC"
    local ip
    for ip in "${SRV_IPS[@]}"; do ip -n "$PFX-srv" addr add "$ip/24" dev eth0; done
    ip -n "$PFX-srv" link set eth0 up
    for n in c21 c22 c23; do
        ip -n "$PFX-$n" link set eth0 address "02:77:00:00:00:${n#c}"
        ip -n "$PFX-$n" addr add "${CLIENT_IP[$n]}/24" dev eth0
        ip -n "$PFX-$n" link set eth0 up
        # static neighbours: no ARP in the captures
        for ip in "${SRV_IPS[@]}"; do
            ip -n "$PFX-$n" neigh replace "$ip" lladdr "$SRV_MAC" dev eth0 nud permanent
        done
        ip -n "$PFX-srv" neigh replace "${CLIENT_IP[$n]}" lladdr "02:77:00:00:00:${n#c}" dev eth0 nud permanent
        # the clients' system resolver asks our dnsmasq (ip netns exec bind-mounts these files)
        mkdir -p "/etc/netns/$PFX-$n"
        echo "nameserver $DNS_IP" > "/etc/netns/$PFX-$n/resolv.conf"
        printf '127.0.0.1\tlocalhost\n' > "/etc/netns/$PFX-$n/hosts"
    done
}

# --- certificates and request bodies ----------------------------------------------------------
make_cert() {  # file-name  CN  SANs
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 825 \
        -subj "/CN=$2" -addext "subjectAltName=$3" \
        -keyout "$WORK/certs/$1.key" -out "$WORK/certs/$1.crt" 2>/dev/null
}

make_material() {
    mkdir -p "$WORK/certs" "$WORK/bodies" "$WORK/raw"
    make_cert deepseek.com api.deepseek.com "DNS:api.deepseek.com,DNS:chat.deepseek.com,DNS:*.deepseek.com"
    make_cert openai.com api.openai.com "DNS:api.openai.com,DNS:*.openai.com"
    make_cert anthropic.com api.anthropic.com "DNS:api.anthropic.com,DNS:*.anthropic.com"
    make_cert moonshot.cn api.moonshot.cn "DNS:api.moonshot.cn,DNS:*.moonshot.cn"
    make_cert mistral.ai api.mistral.ai "DNS:api.mistral.ai,DNS:*.mistral.ai"
    make_cert cdn.example x.cdn.example "DNS:*.cdn.example,DNS:chat.deepseek.com,DNS:api.mistral.ai"
    local size
    for size in 4000 6000 8000 9000 12000 24000 36000; do
        "$PY" - "$size" > "$WORK/bodies/$size.json" <<'PYEOF'
import sys
n = int(sys.argv[1])
head = '{"model":"chat","messages":[{"role":"user","content":"'
tail = '"}]}'
text = ("Summarise the quarterly figures for the board. " * (n // 40 + 1))[: n - len(head) - len(tail)]
sys.stdout.write(head + text + tail)
PYEOF
    done
}

# --- processes ----------------------------------------------------------------------------------
wait_for_line() {  # file text [tries]
    local i
    for i in $(seq 1 "${3:-100}"); do
        grep -q "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    log "timeout waiting for '$2' in $1"; cat "$1" >&2 || true; return 1
}

wait_port() {  # netns tcp|udp addr:port
    local i
    for i in $(seq 1 100); do
        ns "$1" ss -Hln"${2:0:1}" | grep -q " $3 " && return 0
        sleep 0.1
    done
    log "timeout waiting for $2 $3 in $1"; return 1
}

start_bg() {  # name netns cmd... (stdout+stderr to $WORK/name.log)
    local name=$1 n=$2; shift 2
    # ip netns exec execs the command: $! is the server's own pid (a shell function would not be)
    ip netns exec "$PFX-$n" "$@" > "$WORK/$name.log" 2>&1 &
    PIDS+=($!)
}

stop_servers() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    PIDS=()
}

start_dns() {  # extra dnsmasq record options...
    start_bg dnsmasq srv dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts \
        --no-poll --local=/#/ --listen-address="$DNS_IP" --bind-interfaces --local-ttl=300 --user=root \
        --group=root --pid-file="$WORK/dnsmasq.pid" --log-queries --log-facility=- "$@"
    wait_port srv udp "$DNS_IP:53"
    wait_port srv tcp "$DNS_IP:53"
}

start_https() {  # default-cert listen...
    start_bg servers srv "$PY" "$HERE/tools/servers.py" --certs "$WORK/certs" --default "$@"
    wait_for_line "$WORK/servers.log" ready
}

capture_start() {
    CAPTURE=$1
    log "capture $CAPTURE"
    ip netns exec "$PFX-lan" tcpdump -i v-srv -s 0 -U --immediate-mode -Z root -w "$WORK/raw/$CAPTURE.pcap" > "$WORK/tcpdump.log" 2>&1 &
    TCPDUMP_PID=$!
    wait_for_line "$WORK/tcpdump.log" "listening on"
    sleep 0.3
}

capture_stop() {
    sleep 1
    kill -INT "$TCPDUMP_PID"
    wait "$TCPDUMP_PID" || true
    TCPDUMP_PID=""
    grep -E "captured|dropped" "$WORK/tcpdump.log" >&2 || true
    stop_servers
    cp "$WORK/raw/$CAPTURE.pcap" "$WORK/raw/$CAPTURE.done.pcap"
}

pause() { sleep 0.4; }

curl_post() {  # netns url body-size [curl options...]
    local n=$1 url=$2 size=$3; shift 3
    ns "$n" curl -sS -k --max-time 15 -H 'Expect:' -H 'Content-Type: application/json' \
        -H 'Authorization: Bearer sk-capture-test' --data-binary "@$WORK/bodies/$size.json" \
        -o /dev/null -w "$n POST $url %{http_code} %{ssl_verify_result} up=%{size_upload}\n" "$@" "$url"
}

chromium_get() {  # netns url resolver-rules [extra flags...]
    local n=$1 url=$2 rules=$3; shift 3
    local profile
    profile=$(mktemp -d "$WORK/chromium.XXXXXX")
    HOME="$profile" timeout 60 ip netns exec "$PFX-$n" "$CHROMIUM" --headless=new --no-sandbox \
        --disable-gpu --disable-dev-shm-usage --disable-background-networking \
        --disable-component-update --disable-sync --no-first-run --no-default-browser-check \
        --disable-domain-reliability --disable-features=OptimizationHints,MediaRouter,AutofillServerCommunication \
        --user-data-dir="$profile" ${rules:+--host-resolver-rules="$rules"} --ignore-certificate-errors \
        "$@" --dump-dom "$url" > "$WORK/chromium-dom.log" 2> "$WORK/chromium.log" || true
    log "chromium $n $url: $(head -c 200 "$WORK/chromium-dom.log" | tr '\n' ' ')"
}

# --- the captures -------------------------------------------------------------------------------

rec_ai_tls_mix() {
    start_dns --address=/api.deepseek.com/10.77.0.101 --host-record=api.openai.com,10.77.0.102 \
        --host-record=api.moonshot.cn,10.77.0.103 --host-record=api.anthropic.com,10.77.0.104
    start_https deepseek.com 0.0.0.0:443:tls
    capture_start ai-tls-mix
    curl_post c21 https://api.deepseek.com/v1/chat/completions 12000; pause
    curl_post c22 https://api.deepseek.com/v1/chat/completions 24000; pause
    curl_post c23 https://api.openai.com/v1/chat/completions 36000; pause
    curl_post c21 https://api.moonshot.cn/v1/chat/completions 6000; pause
    curl_post c21 https://api.anthropic.com/v1/messages 9000
    capture_stop
}

rec_dns_no_sni() {
    start_dns --host-record=chat.deepseek.com,10.77.0.105 --host-record=api.mistral.ai,10.77.0.105
    start_bg s_server srv openssl s_server -accept 10.77.0.105:443 -cert "$WORK/certs/cdn.example.crt" \
        -key "$WORK/certs/cdn.example.key" -www -alpn http/1.1 -quiet
    wait_port srv tcp 10.77.0.105:443
    capture_start dns-no-sni
    printf 'GET / HTTP/1.0\r\nHost: chat.deepseek.com\r\n\r\n' |
        ns c21 timeout 15 openssl s_client -connect chat.deepseek.com:443 -noservername -quiet 2>/dev/null | head -1
    pause
    printf 'GET / HTTP/1.0\r\nHost: api.mistral.ai\r\n\r\n' |
        ns c22 timeout 15 openssl s_client -connect api.mistral.ai:443 -noservername -quiet 2>/dev/null | head -1
    capture_stop
}

rec_http_host() {
    start_dns --host-record=api.deepseek.com,10.77.0.101 --host-record=api.moonshot.cn,10.77.0.103
    start_https deepseek.com 10.77.0.101:80:plain 10.77.0.103:8080:plain
    capture_start http-host
    ns c21 curl -sS --max-time 15 -o /dev/null -w "c21 GET %{http_code}\n" http://api.deepseek.com/v1/models; pause
    curl_post c22 http://api.deepseek.com/v1/chat/completions 4000; pause
    curl_post c23 http://api.moonshot.cn:8080/v1/chat/completions 6000
    capture_stop
}

rec_dns_cname() {
    start_dns --cname=chat.deepseek.com,chat-deepseek.edge.cdn.example \
        --cname=chat-deepseek.edge.cdn.example,x.cdn.example \
        --host-record=x.cdn.example,10.77.0.106 --host-record=api.deepseek.com,10.77.0.101
    start_https cdn.example 0.0.0.0:443:tls
    capture_start dns-cname
    ns c21 curl -sS -k --max-time 15 -o /dev/null -w "c21 GET %{http_code}\n" https://chat.deepseek.com/; pause
    ns c22 dig +tcp +noall +answer @"$DNS_IP" api.deepseek.com A
    capture_stop
}

rec_tls_clients() {
    start_dns --host-record=api.deepseek.com,10.77.0.101 --host-record=api.openai.com,10.77.0.102 \
        --host-record=api.anthropic.com,10.77.0.104 --host-record=api.mistral.ai,10.77.0.107
    start_https openai.com 10.77.0.102:443:tls 10.77.0.104:443:tls 10.77.0.107:443:tls 10.77.0.108:443:tls
    start_bg s_server srv openssl s_server -accept 10.77.0.101:443 -cert "$WORK/certs/deepseek.com.crt" \
        -key "$WORK/certs/deepseek.com.key" -www -alpn http/1.1 -quiet
    wait_port srv tcp 10.77.0.101:443
    capture_start tls-clients
    ns c21 curl -sS -k --max-time 15 --tlsv1.3 -o /dev/null -w "c21 curl tls1.3 %{http_code}\n" https://api.openai.com/v1/models; pause
    ns c22 curl -sS -k --max-time 15 --tls-max 1.2 -o /dev/null -w "c22 curl tls1.2 %{http_code}\n" https://api.anthropic.com/v1/models; pause
    printf 'GET / HTTP/1.0\r\nHost: api.deepseek.com\r\n\r\n' |
        ns c23 timeout 15 openssl s_client -connect api.deepseek.com:443 -servername api.deepseek.com \
            -alpn h2,http/1.1 -quiet 2>/dev/null | head -1
    pause
    ns c21 "$PY" "$HERE/tools/tls_client.py" api.mistral.ai 443; pause
    if [ -n "$CHROMIUM" ]; then
        chromium_get c22 https://chat.deepseek.com/ "MAP chat.deepseek.com 10.77.0.108, MAP * ~NOTFOUND"
    else
        log "chromium not installed: skipped"
    fi
    capture_stop
}

rec_chromium_dns() {
    # Chromium resolves through dnsmasq itself (no resolver rules for the target); dnsmasq also
    # serves an HTTPS record (type 65): priority 1, target ".", alpn=h2, ipv4hint=10.77.0.108.
    start_dns --host-record=chat.deepseek.com,10.77.0.108 \
        --dns-rr=chat.deepseek.com,65,00010000010003026832000400040a4d006c
    start_https deepseek.com 10.77.0.108:443:tls
    capture_start chromium-dns
    chromium_get c23 https://chat.deepseek.com/ ""
    capture_stop
}

rec_quic() {
    start_dns --host-record=api.deepseek.com,10.77.0.101 --host-record=api.openai.com,10.77.0.102
    start_bg h3-deepseek srv "$PY" "$HERE/tools/h3.py" server 10.77.0.101 443 \
        "$WORK/certs/deepseek.com.crt" "$WORK/certs/deepseek.com.key"
    start_bg h3-openai srv "$PY" "$HERE/tools/h3.py" server 10.77.0.102 443 \
        "$WORK/certs/openai.com.crt" "$WORK/certs/openai.com.key"
    wait_for_line "$WORK/h3-deepseek.log" ready
    wait_for_line "$WORK/h3-openai.log" ready
    capture_start quic
    ns c21 timeout 20 "$PY" "$HERE/tools/h3.py" client api.deepseek.com 443 /v1/chat/completions 8000 || log "aioquic client failed"
    pause
    if [ -n "$CHROMIUM" ]; then
        local spki
        spki=$(openssl x509 -pubkey -noout -in "$WORK/certs/openai.com.crt" | openssl pkey -pubin -outform der |
            openssl dgst -sha256 -binary | base64)
        chromium_get c22 https://api.openai.com/v1/models "MAP api.openai.com 10.77.0.102, MAP * ~NOTFOUND" \
            --enable-quic --origin-to-force-quic-on=api.openai.com:443 --ignore-certificate-errors-spki-list="$spki"
    fi
    capture_stop
}

# --- main -----------------------------------------------------------------------------------------
ONLY=${*:-ai-tls-mix dns-no-sni http-host dns-cname tls-clients quic chromium-dns}
make_material
setup_net
for c in $ONLY; do
    case $c in
        ai-tls-mix) rec_ai_tls_mix ;;
        dns-no-sni) rec_dns_no_sni ;;
        http-host) rec_http_host ;;
        dns-cname) rec_dns_cname ;;
        tls-clients) rec_tls_clients ;;
        chromium-dns) if [ -n "$CHROMIUM" ]; then rec_chromium_dns; else log "no chromium: chromium-dns skipped"; fi ;;
        quic) if [ "$HAVE_AIOQUIC" = 1 ]; then rec_quic; else log "aioquic missing: quic skipped"; fi ;;
        *) echo "unknown capture $c" >&2; exit 2 ;;
    esac
done
teardown_net
mkdir -p "$OUT"
for c in $ONLY; do
    [ -f "$WORK/raw/$c.done.pcap" ] || continue
    [ -n "${RAW:-}" ] && mkdir -p "$RAW" && cp "$WORK/raw/$c.done.pcap" "$RAW/$c.pcap"
    "$PY" "$HERE/rewrite.py" "$WORK/raw/$c.done.pcap" "$OUT/$c.pcap"
done
log "done: $(cd "$OUT" && ls -l *.pcap | awk '{print $5, $9}' | tr '\n' ' ')"
