#!/usr/bin/env bash
# A node through a 1000-pod indexed job: PODS pods of one cached spec, in waves of WAVE published all at once (as
# kubelet does, a new connection per call) and then unpublished all at once, then IDLE seconds with nothing to do while
# the plugin's timers and cache collection (every 5 s here) run. Samples the plugin's resident memory, open file
# descriptors (and what they are), threads and the mounts under the bench's kubelet directory before the first wave
# (after one warm-up pod filled the cache), after each wave and after idling, with each wave's publish p50/p99, and the
# managed heap the last GC left, the memory the GC kept committed and the count of full collections (from the plugin's
# runtime metrics), which tell a growing heap from memory the runtime holds on to. Prints a Markdown block for
# bench/RESULTS.md, then exits non-zero naming the reason unless, after idling, the mounts are back to their value
# before the first wave, so are the descriptors other than the runtime's code files (an assembly is held open once
# first used, a symbol file once a stack trace is first formatted), and RSS grew by at most RSS_TOLERANCE_MIB from the
# middle wave to the last (a leak grows with every pod; warming up does not). Reports whether the last wave's publish
# p99 is within 20% of the first's. Needs root (real mounts).
#
#   bench/csi-soak.sh
#   PODS=200 WAVE=50 IDLE=10 bench/csi-soak.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
pods="${PODS:-1000}"
wave="${WAVE:-100}"
idle="${IDLE:-30}"
rss_tolerance_mib="${RSS_TOLERANCE_MIB:-8}"
work="$(mktemp -d "${TMPDIR:-/tmp}/oras-assemble-csisoak.XXXXXX")"
registry_pid=""
plugin_pid=""
cleanup() {
  if [ -n "$plugin_pid" ]; then
    kill "$plugin_pid" 2>/dev/null || true
    wait "$plugin_pid" 2>/dev/null || true
  fi
  [ -n "$registry_pid" ] && kill "$registry_pid" 2>/dev/null || true
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

host="127.0.0.1:$(free_port)"
cat > "$work/registry.yml" <<YAML
version: 0.1
log: { level: error, accesslog: { disabled: true } }
storage: { filesystem: { rootdirectory: $work/registry } }
http: { addr: $host }
YAML
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 100); do curl -fs "http://$host/v2/" >/dev/null && break; sleep 0.1; done

# The same application as bench/csi-publish.sh: a file artifact, a folder artifact, a spec over both.
mkdir -p "$work/src/conf"
head -c 262144 /dev/urandom > "$work/src/app.jar"
printf 'greeting=hello\n' > "$work/src/conf/application.properties"
printf 'level=info\n' > "$work/src/conf/logging.properties"
(cd "$work/src" && cli pack "$host/bench/app:1" app.jar:application/java-archive && cli pack "$host/bench/conf:1" conf) >/dev/null 2>&1
cat > "$work/spec.yaml" <<YAML
apiVersion: assemble.oras.land/v1
kind: Assembly
metadata: { name: csi-soak }
sources:
  app: { ref: $host/bench/app:1 }
  conf: { ref: $host/bench/conf:1 }
steps:
  - copy: { from: app, path: app.jar, to: /app.jar }
  - copy: { from: conf, path: conf, to: /conf }
YAML
cli push "$work/spec.yaml" "$host/bench/spec:1" --no-pin-base >/dev/null
printf 'registries:\n  "%s": { plainHttp: true }\ncache: { budget: 1Gi, gcInterval: 5s }\n' "$host" > "$work/node.yaml"

metrics_port="$(free_port)"
dotnet "$work/csi/oras-assemble-csi.dll" --endpoint "unix://$work/csi.sock" --node-id soak-node \
  --root "$work/cache" --metrics-addr "127.0.0.1:$metrics_port" --config "$work/node.yaml" >"$work/plugin.log" 2>&1 &
plugin_pid=$!
for _ in $(seq 200); do [ -S "$work/csi.sock" ] && break; sleep 0.05; done
[ -S "$work/csi.sock" ] || { echo "the plugin did not open its socket; its log:" >&2; cat "$work/plugin.log" >&2; exit 1; }

echo "$pods pods in waves of $wave, then ${idle}s idle..." >&2
load_before="$(cut -d ' ' -f 1-3 /proc/loadavg)"
dotnet "$work/bench/OrasAssemble.CsiBench.dll" soak "$work/csi.sock" "$work/kubelet" "$host/bench/spec:1" "$pods" "$wave" "$idle" "$plugin_pid" \
  "http://127.0.0.1:$metrics_port/metrics" > "$work/soak.out"
load_after="$(cut -d ' ' -f 1-3 /proc/loadavg)"
value() { awk -v k="$1" '$1 == k { print $2 }' "$work/soak.out"; }
# All of a line after its key (values with spaces).
text() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print }' "$work/soak.out"; }
waves="$(value waves)"
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
rows() {
  printf '| before the first wave | | | %s | %s | %s | %s | %s | %s | %s |\n' "$(mib "$(value before_rss_kib)")" "$(mib "$(value before_heap_kib)")" "$(mib "$(value before_committed_kib)")" "$(value before_gen2)" \
    "$(value before_fds)" "$(value before_threads)" "$(value before_mounts)"
  for w in $(seq "$waves"); do
    printf '| after wave %s (%s mounted at its peak) | %s ms | %s ms | %s | %s | %s | %s | %s | %s | %s |\n' "$w" "$(value "wave_${w}_peak_mounts")" \
      "$(value "wave_${w}_publish_p50_ms")" "$(value "wave_${w}_publish_p99_ms")" "$(mib "$(value "wave_${w}_rss_kib")")" \
      "$(mib "$(value "wave_${w}_heap_kib")")" "$(mib "$(value "wave_${w}_committed_kib")")" "$(value "wave_${w}_gen2")" \
      "$(value "wave_${w}_fds")" "$(value "wave_${w}_threads")" "$(value "wave_${w}_mounts")"
  done
  printf '| after %ss idle | | | %s | %s | %s | %s | %s | %s | %s |\n' "$idle" "$(mib "$(value idle_rss_kib)")" "$(mib "$(value idle_heap_kib)")" "$(mib "$(value idle_committed_kib)")" "$(value idle_gen2)" \
    "$(value idle_fds)" "$(value idle_threads)" "$(value idle_mounts)"
}
first_p99="$(value wave_1_publish_p99_ms)"
last_p99="$(value "wave_${waves}_publish_p99_ms")"
p99_verdict="$(python3 -c "print('within' if $last_p99 <= 1.2 * $first_p99 else 'NOT within')")"
rss_growth_kib=$(( $(value idle_rss_kib) - $(value before_rss_kib) ))
middle=$(( (waves + 1) / 2 ))
rss_late_kib=$(( $(value "wave_${waves}_rss_kib") - $(value "wave_${middle}_rss_kib") ))
other_fds_before=$(( $(value before_fds) - $(value before_code_fds) ))
other_fds_idle=$(( $(value idle_fds) - $(value idle_code_fds) ))
cat <<MD
### $(date -u +%Y-%m-%d) — $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr) — bench/csi-soak.sh

$pods pods of one cached spec (bench/csi-publish.sh's), in waves of $wave: each wave $wave concurrent NodePublishVolume
(a new connection per call, as kubelet makes), then $wave concurrent NodeUnpublishVolume; then ${idle}s idle with cache
collection every 5 s. Load average $load_before before, $load_after after.

| when | publish p50 | publish p99 | RSS MiB | managed heap MiB | GC committed MiB | gen2 GCs | fds | threads | mounts |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
$(rows)

Descriptors by kind before the first wave: $(text before_fd_kinds); after idling: $(text idle_fd_kinds).

Last wave's publish p99 ($last_p99 ms) is $p99_verdict 20% of the first wave's ($first_p99 ms). RSS grew by
$(mib "$rss_late_kib") MiB from wave $middle to wave $waves (tolerance ${rss_tolerance_mib} MiB), and after idling is
$(mib "$rss_growth_kib") MiB above its value before the first wave. Descriptors other than code files: $other_fds_before
before the first wave, $other_fds_idle after idling.
MD

failures=()
[ "$other_fds_idle" -le "$other_fds_before" ] || failures+=("open fds other than code files $other_fds_idle after idling, $other_fds_before before the first wave")
[ "$(value idle_mounts)" = "$(value before_mounts)" ] || failures+=("mounts $(value idle_mounts) after idling, $(value before_mounts) before the first wave")
[ "$rss_late_kib" -le $((rss_tolerance_mib * 1024)) ] || failures+=("RSS grew by $(mib "$rss_late_kib") MiB from wave $middle to wave $waves, more than ${rss_tolerance_mib} MiB")
if [ "${#failures[@]}" -gt 0 ]; then
  printf 'soak failed: %s\n' "${failures[@]}" >&2
  exit 1
fi
