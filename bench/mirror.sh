#!/usr/bin/env bash
# Measures, in one run on one machine, what a pull-through mirror saves a cluster: NODES node plugins (separate
# processes, roots and sockets) each start PODS pods of one uncached spec at once, against one upstream registry
# (CNCF Distribution on loopback), four ways:
#   none          the nodes read the registry themselves (the reference);
#   distribution  CNCF Distribution in proxy mode as the nodes' mirror;
#   nginx         the mirror deploy/mirror ships (nginx from deploy/mirror/server/mirror.conf.template);
#   nginx+distribution  that nginx in front of a Distribution proxy (the way to reach a token-auth upstream).
# For each: upstream GETs per blob (the most any blob was fetched, and all of them), bytes the upstream sent, bytes the
# mirror sent the nodes, and the time until every pod is mounted. Prints a Markdown block for bench/RESULTS.md.
# Needs root (real mounts).
#
#   bench/mirror.sh
#   NODES=5 PODS=20 LAYER_MIB=16 bench/mirror.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
nodes="${NODES:-5}"
pods="${PODS:-20}"
layer_mib="${LAYER_MIB:-16}"
modes="${MODES:-none distribution nginx nginx+distribution}"
work="$(mktemp -d "${TMPDIR:-/tmp}/oras-assemble-mirrorbench.XXXXXX")"
chmod 755 "$work" # nginx's workers run as nobody
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  awk -v w="$work/" 'index($5, w) == 1 { print $5 }' /proc/self/mountinfo | sort -r | xargs -r -n 1 umount -l 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

bash "$root/scripts/install-test-deps.sh" >/dev/null
dotnet build "$root/src/Assembler.Cli" -c Release -o "$work/cli" --nologo -v q >/dev/null
dotnet build "$root/src/CsiNode" -c Release -o "$work/csi" --nologo -v q >/dev/null
dotnet build "$root/bench/CsiBench" -c Release -o "$work/bench" --nologo -v q >/dev/null
cli() { dotnet "$work/cli/oras-assemble.dll" --plain-http "$@"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { for _ in $(seq 200); do curl -fs "$1" >/dev/null && return; sleep 0.05; done; echo "nothing answers $1" >&2; exit 1; }

# Starts a Distribution registry; $1 names it, $2 is an extra config section (e.g. proxy:). Sets $started to host:port.
start_registry() {
  local host="127.0.0.1:$(free_port)"
  cat > "$work/$1.yml" <<YAML
version: 0.1
log: { level: error, accesslog: { disabled: false } }
storage: { filesystem: { rootdirectory: $work/$1-storage } }
http: { addr: $host }
$2
YAML
  docker-registry serve "$work/$1.yml" >"$work/$1.log" 2>&1 &
  pids+=($!)
  wait_http "http://$host/v2/"
  started="$host"
}

# Starts nginx from the shipped template in front of $2 (http://host:port); $1 names it. Sets $started.
start_nginx() {
  local port; port="$(free_port)"
  mkdir -p "$work/$1/temp"
  sed -e "s|\${MIRROR_LISTEN}|127.0.0.1:$port|" -e "s|\${MIRROR_UPSTREAM}|$2|" -e 's|\${MIRROR_UPSTREAM_AUTHORIZATION}||' \
    -e "s|\${MIRROR_CACHE_DIR}|$work/$1/cache|" -e 's|\${MIRROR_CACHE_MAX_SIZE}|20g|' \
    "$root/deploy/mirror/server/mirror.conf.template" > "$work/$1/mirror.conf"
  if grep -q '\${MIRROR_[A-Z_]*}' "$work/$1/mirror.conf"; then echo "the template uses a variable this script does not set" >&2; exit 1; fi
  cat > "$work/$1/nginx.conf" <<CONF
daemon off;
worker_processes 2;
pid $work/$1/nginx.pid;
events { worker_connections 1024; }
http {
  client_body_temp_path $work/$1/temp/body;
  proxy_temp_path $work/$1/temp/proxy;
  fastcgi_temp_path $work/$1/temp/fastcgi;
  uwsgi_temp_path $work/$1/temp/uwsgi;
  scgi_temp_path $work/$1/temp/scgi;
  include $work/$1/mirror.conf;
}
CONF
  nginx -p "$work/$1" -e stderr -c "$work/$1/nginx.conf" >"$work/$1.log" 2>&1 &
  pids+=($!)
  wait_http "http://127.0.0.1:$port/healthz"
  started="127.0.0.1:$port"
}

# The upstream, with a spec over three file layers of LAYER_MIB, LAYER_MIB/2 and LAYER_MIB/4 MiB and a config folder.
start_registry upstream ""
upstream="$started"
mkdir -p "$work/src/conf"
head -c $((layer_mib * 1048576)) /dev/urandom > "$work/src/app.bin"
head -c $((layer_mib * 524288)) /dev/urandom > "$work/src/lib.bin"
head -c $((layer_mib * 262144)) /dev/urandom > "$work/src/data.bin"
printf 'greeting=hello\n' > "$work/src/conf/application.properties"
(cd "$work/src" && cli pack "$upstream/bench/app:1" app.bin lib.bin data.bin && cli pack "$upstream/bench/conf:1" conf) >/dev/null 2>&1
cat > "$work/spec.yaml" <<YAML
apiVersion: assemble.oras.land/v1
kind: Assembly
metadata: { name: mirror-bench }
sources:
  app: { ref: $upstream/bench/app:1 }
  conf: { ref: $upstream/bench/conf:1 }
steps:
  - copy: { from: app, include: ["*.bin"], to: /app/ }
  - copy: { from: conf, path: conf, to: /conf }
YAML
cli push "$work/spec.yaml" "$upstream/bench/spec:1" --no-pin-base >/dev/null
reference="$upstream/bench/spec:1"

# Blob GETs in a combined-format access log after its first $2 lines: "digest bytes", one a line.
blob_gets() { tail -n "+$(($2 + 1))" "$1" | python3 -c '
import re, sys
for line in sys.stdin:
    m = re.search(r"\"GET /v2/\S+/blobs/(sha256:[0-9a-f]{64}) HTTP/[0-9.]+\" (\d{3}) (\d+)", line)
    if m and m.group(2) in ("200", "206"):
        print(m.group(1), m.group(3))'; }
# Blob GETs the shipped nginx logged ("digest bytes"), in its own format.
nginx_blob_gets() { python3 -c '
import re, sys
for line in open(sys.argv[1]):
    m = re.search(r"\"GET /v2/\S+/blobs/(sha256:[0-9a-f]{64}) HTTP/[0-9.]+\" (\d{3}) (\d+) ", line)
    if m and m.group(2) in ("200", "206"):
        print(m.group(1), m.group(3))' "$1"; }

results=()
for mode in $modes; do
  echo "$mode: $nodes nodes x $pods pods..." >&2
  mirror=""
  mirror_log=""
  case "$mode" in
    none) ;;
    distribution)
      start_registry "$mode-proxy" "proxy: { remoteurl: http://$upstream }"
      mirror="$started"; mirror_log="$work/$mode-proxy.log" ;;
    nginx)
      start_nginx "$mode-nginx" "http://$upstream"
      mirror="$started"; mirror_log="$work/$mode-nginx.log" ;;
    nginx+distribution)
      start_registry "nginx-distribution-proxy" "proxy: { remoteurl: http://$upstream }"
      start_nginx "nginx-distribution-nginx" "http://$started"
      mirror="$started"; mirror_log="$work/nginx-distribution-nginx.log" ;;
    *) echo "unknown mode $mode" >&2; exit 2 ;;
  esac
  config="$work/$mode.node.yaml"
  if [ -n "$mirror" ]; then
    # As deploy/mirror/csi/node-config.yaml has it.
    printf 'registries:\n  "%s": { plainHttp: true, mirrors: ["%s"] }\n  "%s": { plainHttp: true, mirrorTimeout: 6m }\n' \
      "$upstream" "$mirror" "$mirror" > "$config"
  else
    printf 'registries:\n  "%s": { plainHttp: true }\n' "$upstream" > "$config"
  fi

  node_pids=()
  for n in $(seq "$nodes"); do
    dir="$work/$mode-node$n"
    dotnet "$work/csi/oras-assemble-csi.dll" --endpoint "unix://$dir/csi.sock" --node-id "bench-node-$n" \
      --root "$dir/cache" --metrics-addr "127.0.0.1:$(free_port)" --config "$config" >"$dir.log" 2>&1 &
    node_pids+=($!)
    pids+=($!)
  done
  for n in $(seq "$nodes"); do
    for _ in $(seq 400); do [ -S "$work/$mode-node$n/csi.sock" ] && break; sleep 0.05; done
    [ -S "$work/$mode-node$n/csi.sock" ] || { echo "node $n did not open its socket:" >&2; cat "$work/$mode-node$n.log" >&2; exit 1; }
  done

  upstream_lines="$(wc -l < "$work/upstream.log")"
  started_at="$(date +%s.%N)"
  fan_pids=()
  for n in $(seq "$nodes"); do
    dotnet "$work/bench/OrasAssemble.CsiBench.dll" fanout "$work/$mode-node$n/csi.sock" "$work/$mode-node$n/kubelet" "$reference" "$pods" \
      > "$work/$mode-fan$n.out" &
    fan_pids+=($!)
  done
  for pid in "${fan_pids[@]}"; do wait "$pid"; done
  wall="$(python3 -c "import time; print(f'{time.time() - $started_at:.2f}')")"
  mounted="$(cat "$work"/$mode-fan*.out | awk '$1 == "mounted" { s += $2 } END { print s }')"
  for pid in "${node_pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done

  blob_gets "$work/upstream.log" "$upstream_lines" > "$work/$mode.upstream"
  upstream_gets="$(wc -l < "$work/$mode.upstream")"
  distinct="$(cut -d' ' -f1 "$work/$mode.upstream" | sort -u | wc -l)"
  most="$(cut -d' ' -f1 "$work/$mode.upstream" | sort | uniq -c | sort -rn | awk 'NR == 1 { print $1 }')"
  upstream_mib="$(awk '{ s += $2 } END { printf "%.1f", s / 1048576 }' "$work/$mode.upstream")"
  mirror_mib="-"
  if [ -n "$mirror" ]; then
    case "$mode" in
      distribution) blob_gets "$mirror_log" 0 > "$work/$mode.mirror" ;;
      *) nginx_blob_gets "$mirror_log" > "$work/$mode.mirror" ;;
    esac
    mirror_mib="$(awk '{ s += $2 } END { printf "%.1f", s / 1048576 }' "$work/$mode.mirror") ($(wc -l < "$work/$mode.mirror") GETs)"
  fi
  results+=("| $mode | ${most:-0} | $upstream_gets for $distinct blobs | $upstream_mib | $mirror_mib | $wall s ($mounted of $((nodes * pods)) mounted) |")
done

spec_mib="$(python3 -c "print(f'{$layer_mib * 1.75:.1f}')")"
cat <<MD
### $(date -u +%Y-%m-%d) — $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr) — bench/mirror.sh

$nodes node plugins (separate processes) each starting $pods pods of one uncached spec at once (${spec_mib} MiB of
file layers: $layer_mib, $((layer_mib / 2)) and $((layer_mib / 4)) MiB, plus a config folder and the spec), one
upstream CNCF Distribution registry on loopback; a fresh mirror with an empty cache for each row.

| mirror | most upstream GETs of one blob | upstream blob GETs | MiB from upstream | MiB from the mirror | all pods mounted |
| --- | --- | --- | --- | --- | --- |
$(printf '%s\n' "${results[@]}")
MD
