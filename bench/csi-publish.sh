#!/usr/bin/env bash
# Measures, in one run on one machine, the CSI node plugin as kubelet meets it: warm NodePublishVolume latency over
# PUBLISHES publishes of a cached spec (after untimed ones until the plugin's JIT has settled), interleaved with as many
# bare read-only bind mounts (the plugin's own mount(2) calls, timed the same way) as the reference; then as many
# publishes again, each broken down into its parts (the gRPC round trip of a NodeGetInfo on the same connection, the
# phases the plugin times in its publish_phase_seconds metric, and the rest); the registry requests all of them made;
# then PODS concurrent publishes of that spec against a fresh, empty plugin root, timed until every pod is mounted,
# with the blob GETs the registry saw meanwhile. The timed rounds run twice: from a .NET client, and from the grpc-go
# client of the plugin's tests (kubelet's client stack; built with Debian's golang-go and golang-google-grpc-dev).
# Prints a Markdown block for bench/RESULTS.md. Needs root (real mounts).
#
#   bench/csi-publish.sh
#   PUBLISHES=50 PODS=20 bench/csi-publish.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
publishes="${PUBLISHES:-200}"
pods="${PODS:-100}"
work="$(mktemp -d "${TMPDIR:-/tmp}/oras-assemble-csibench.XXXXXX")"
registry_pid=""
plugin_pid=""
stop_plugin() {
  if [ -n "$plugin_pid" ]; then
    kill "$plugin_pid" 2>/dev/null || true
    wait "$plugin_pid" 2>/dev/null || true
    plugin_pid=""
  fi
}
cleanup() {
  stop_plugin
  [ -n "$registry_pid" ] && kill "$registry_pid" 2>/dev/null || true
  # Any mount left under the work dir, deepest first, before the files go.
  awk -v w="$work/" 'index($5, w) == 1 { print $5 }' /proc/self/mountinfo | sort -r | xargs -r -n 1 umount -l 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

bash "$root/scripts/install-test-deps.sh" >/dev/null
dotnet build "$root/src/Assembler.Cli" -c Release -o "$work/cli" --nologo -v q >/dev/null
dotnet build "$root/src/CsiNode" -c Release -o "$work/csi" --nologo -v q >/dev/null
dotnet build "$root/bench/CsiBench" -c Release -o "$work/bench" --nologo -v q >/dev/null
# The grpc-go client the plugin's tests use, kubelet's client stack, with Debian's Go and grpc-go.
(cd "$root/tests/csi-grpc-client" && GO111MODULE=off GOPATH="$work/gopath:/usr/share/gocode" GOCACHE="$work/gocache" GOFLAGS="" \
  go build -o "$work/csi-grpc-client" .)
cli() { dotnet "$work/cli/oras-assemble.dll" --plain-http "$@"; }
bench() { dotnet "$work/bench/OrasAssemble.CsiBench.dll" "$@"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# A registry of our own on a free port, storage in the work dir; its access log counts the blob GETs.
host="127.0.0.1:$(free_port)"
cat > "$work/registry.yml" <<YAML
version: 0.1
log: { level: error, accesslog: { disabled: false } }
storage: { filesystem: { rootdirectory: $work/registry } }
http: { addr: $host }
YAML
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 100); do curl -fs "http://$host/v2/" >/dev/null && break; sleep 0.1; done
# Blob GETs in the registry's access log after its first $1 lines, one digest a line.
blob_gets_after() { tail -n "+$(($1 + 1))" "$work/registry.log" | grep -o '"GET /v2/[^ ]*/blobs/sha256:[0-9a-f]*' | sed 's/.*sha256://' || true; }

# A small application: a JAR-like file artifact, a config folder artifact, and a spec over both.
mkdir -p "$work/src/conf"
head -c 262144 /dev/urandom > "$work/src/app.jar"
printf 'greeting=hello\n' > "$work/src/conf/application.properties"
printf 'level=info\n' > "$work/src/conf/logging.properties"
(cd "$work/src" && cli pack "$host/bench/app:1" app.jar:application/java-archive && cli pack "$host/bench/conf:1" conf) >/dev/null 2>&1
cat > "$work/spec.yaml" <<YAML
apiVersion: assemble.oras.land/v1
kind: Assembly
metadata: { name: csi-bench }
sources:
  app: { ref: $host/bench/app:1 }
  conf: { ref: $host/bench/conf:1 }
steps:
  - copy: { from: app, path: app.jar, to: /app.jar }
  - copy: { from: conf, path: conf, to: /conf }
YAML
cli push "$work/spec.yaml" "$host/bench/spec:1" --no-pin-base >/dev/null
reference="$host/bench/spec:1"
printf 'registries:\n  "%s": { plainHttp: true }\n' "$host" > "$work/node.yaml"

# Starts the plugin on a socket and cache root of its own ($1 names both).
start_plugin() {
  metrics="127.0.0.1:$(free_port)"
  dotnet "$work/csi/oras-assemble-csi.dll" --endpoint "unix://$work/$1/csi.sock" --node-id bench-node \
    --root "$work/$1/cache" --metrics-addr "$metrics" --config "$work/node.yaml" >"$work/$1.log" 2>&1 &
  plugin_pid=$!
  for _ in $(seq 200); do [ -S "$work/$1/csi.sock" ] && return; sleep 0.05; done
  echo "the plugin did not open its socket; its log:" >&2
  cat "$work/$1.log" >&2
  exit 1
}
metric() { curl -fs "http://$metrics/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }

echo "warm publishes and bare binds, $publishes each..." >&2
mkdir -p "$work/bare-source"
cp -r "$work/src/." "$work/bare-source/"
start_plugin warm
bench warm "$work/warm/csi.sock" "$work/warm/kubelet" "$reference" "$publishes" "$work/bare-source" \
  "http://$metrics/metrics" "$work/registry.log" > "$work/warm.out"
# The same rounds from grpc-go, on the plugin the rounds above warmed.
log_lines="$(wc -l < "$work/registry.log")"
"$work/csi-grpc-client" -socket "$work/warm/csi.sock" -kubelet "$work/warm/kubelet" -reference "$reference" \
  -bench "$publishes" -bare-source "$work/bare-source" > "$work/go.out"
go_requests="$(tail -n "+$((log_lines + 1))" "$work/registry.log" | grep -c ' /v2/.*HTTP/' || true)"
stop_plugin
value() { awk -v k="$1" '$1 == k { print $2 }' "$2"; }

echo "$pods pods of one uncached spec at once..." >&2
start_plugin fanout
log_lines="$(wc -l < "$work/registry.log")"
bench fanout "$work/fanout/csi.sock" "$work/fanout/kubelet" "$reference" "$pods" > "$work/fanout.out"
gets="$(blob_gets_after "$log_lines" | grep -c . || true)"
distinct="$(blob_gets_after "$log_lines" | sort -u | grep -c . || true)"
fetched="$(metric oras_assemble_csi_fetched_bytes_total)"
stop_plugin

over="$(python3 -c "print(f'{$(value publish_p50_ms "$work/warm.out") - $(value bare_p50_ms "$work/warm.out"):.2f}')")"
go_over="$(python3 -c "print(f'{$(value publish_p50_ms "$work/go.out") - $(value bare_p50_ms "$work/go.out"):.2f}')")"
go_ratio="$(python3 -c "print(f'{$(value publish_p50_ms "$work/go.out") / max($(value bare_p50_ms "$work/go.out"), 0.01):.1f}')")"
row() { printf '%s ms | %s ms | %s ms | %s ms' "$(value "$1_p50_ms" "$2")" "$(value "$1_p90_ms" "$2")" "$(value "$1_p99_ms" "$2")" "$(value "$1_max_ms" "$2")"; }
parts() {
  for part in transport validate lookup credentials resolve tree tenancy record mount rest; do
    printf '| %s | %s ms | %s ms |\n' "$part" "$(value "part_${part}_p50_ms" "$work/warm.out")" "$(value "part_${part}_p99_ms" "$work/warm.out")"
  done
}
ratio="$(python3 -c "print(f'{$(value publish_p50_ms "$work/warm.out") / max($(value bare_p50_ms "$work/warm.out"), 0.01):.1f}')")"
cat <<MD
### $(date -u +%Y-%m-%d) — $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)

Spec artifact over two sources (a 256 KiB file artifact and a two-file folder artifact), local CNCF Distribution
registry on loopback, plugin and client talking gRPC over the plugin's unix socket. Untimed publishes first (the
first fills the cache) until the plugin's JIT compiled nothing new for 3 s, as a plugin that has served pods has its hot
path compiled: $(value warmup_publishes "$work/warm.out") publishes in $(value warmup_s "$work/warm.out") s (settled: $(value jit_settled "$work/warm.out")). Then
$publishes timed rounds of a NodeGetInfo, a publish and its unpublish, and a bare bind, from a .NET client (Grpc.Net.Client);
$publishes more publishes with the plugin's metrics read before and after each, for the breakdown; then the same timed
rounds from a grpc-go client (tests/csi-grpc-client), kubelet's client stack, on one connection. Load average $(cut -d' ' -f1-3 /proc/loadavg) at the end.

| measurement | p50 | p90 | p99 | max |
| --- | --- | --- | --- | --- |
| warm NodePublishVolume, $publishes pods (cache hit), .NET client | $(row publish "$work/warm.out") |
| bare read-only bind, mount(2) bind + remount (reference), .NET client's rounds | $(row bare "$work/warm.out") |
| NodeGetInfo round trip, .NET client | $(row part_transport "$work/warm.out") |
| warm NodePublishVolume, $publishes pods (cache hit), grpc-go client | $(row publish "$work/go.out") |
| bare read-only bind (reference), grpc-go client's rounds | $(row bare "$work/go.out") |
| NodeGetInfo round trip, grpc-go client | $(row transport "$work/go.out") |

Warm publish p50 / bare bind p50: ${ratio}× (.NET client), ${go_ratio}× (grpc-go); p50 − bare p50: ${over} ms (.NET
client), ${go_over} ms (grpc-go). Registry requests during the timed and breakdown publishes: $(value registry_requests "$work/warm.out")
(.NET client), $go_requests (grpc-go).

| part of a warm publish | p50 | p99 |
| --- | --- | --- |
$(parts)

| cold fan-out | result |
| --- | --- |
| $pods concurrent NodePublishVolume of one uncached spec, until all are mounted | $(value fanout_wall_s "$work/fanout.out") s ($(value mounted "$work/fanout.out") of $pods mounted) |
| blob GETs the registry saw during it | $gets, for $distinct distinct blobs ($fetched bytes fetched, plugin metric) |
MD
