#!/usr/bin/env bash
# Measures, in one run on one machine, the node plugin's and the webhook's images as scripts/build-test-images.sh
# builds them (deploy/*/Dockerfile on a runtime base made from Debian packages): each image's size, uncompressed and
# gzip-compressed (as a registry would store it), the base's share of it, and the node plugin's resident memory at
# idle, in podman as deploy/csi/daemonset.yaml runs it and, for reference, the same build run as a plain process.
# Prints a Markdown block for bench/RESULTS.md. Needs root (mmdebstrap, podman).
#
#   bench/images.sh
#   IDLE_SECONDS=60 bench/images.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
idle="${IDLE_SECONDS:-30}"
images_cache="${ORAS_ASSEMBLE_TEST_IMAGES:-${XDG_CACHE_HOME:-$HOME/.cache}/oras-assemble/test-images}"
work="$(mktemp -d "${TMPDIR:-/tmp}/oras-assemble-imagebench.XXXXXX")"
plain_pid=""
cleanup() {
  [ -n "$plain_pid" ] && kill "$plain_pid" 2>/dev/null || true
  if [ -f "$work/podman.env" ]; then
    # shellcheck disable=SC1091
    . "$work/podman.env"
    podman rm --force --time 0 bench-csi >/dev/null 2>&1 || true
  fi
  awk -v w="$work/" 'index($5, w) == 1 { print $5 }' /proc/self/mountinfo | sort -r | xargs -r -n 1 umount -l 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

bash "$root/scripts/install-test-deps.sh" >/dev/null
layout="$(bash "$root/scripts/build-test-images.sh" "$images_cache" | awk '$1 == "layout:" { print $2 }')"
base_layout="$(ls -d "$images_cache"/base-*/layout | head -n 1)"

# "<uncompressed bytes> <gzip bytes> <layers>" of the image <layout>:<tag>: a gzip layer as stored and unpacked, a plain
# tar layer as stored and compressed with gzip -6 (what a push with compression stores).
sizes() {
  local manifest
  manifest="$(jq -r --arg tag "$2" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $tag) | .digest' "$1/index.json")"
  local raw=0 gz=0 n=0
  while read -r media digest; do
    local blob="$1/blobs/sha256/${digest#sha256:}"
    case "$media" in
      *+gzip) gz=$((gz + $(stat -c %s "$blob"))); raw=$((raw + $(gzip -dc < "$blob" | wc -c))) ;;
      *) raw=$((raw + $(stat -c %s "$blob"))); gz=$((gz + $(gzip -6 -c < "$blob" | wc -c))) ;;
    esac
    n=$((n + 1))
  done < <(jq -r '.layers[] | "\(.mediaType) \(.digest)"' "$1/blobs/sha256/${manifest#sha256:}")
  echo "$raw $gz $n"
}
mib() { python3 -c "print(f'{$1 / 1048576:.1f}')"; }

read -r base_raw base_gz base_layers < <(sizes "$base_layout" base)
rows=("| base (mmdebstrap minbase + runtime libraries) | $(mib "$base_raw") | $(mib "$base_gz") | $base_layers |")
for tag in csi webhook; do
  read -r raw gz layers < <(sizes "$layout" "$tag")
  rows+=("| $tag | $(mib "$raw") | $(mib "$gz") | $layers |")
  rows+=("| $tag without the base | $(mib $((raw - base_raw))) | $(mib $((gz - base_gz))) | $((layers - base_layers)) |")
done

# podman with storage and settings of its own, as the container tests run it.
mkdir -p "$work/podman"
mount -t tmpfs -o size=2g,mode=0700 tmpfs "$work/podman"
cat > "$work/podman/storage.conf" <<CONF
[storage]
driver = "vfs"
runroot = "$work/podman/run"
graphroot = "$work/podman/graph"
CONF
echo 'unqualified-search-registries = []' > "$work/podman/registries.conf"
printf '[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n' > "$work/podman/containers.conf"
echo '{"default":[{"type":"insecureAcceptAnything"}]}' > "$work/podman/policy.json"
cat > "$work/podman.env" <<ENV
export CONTAINERS_STORAGE_CONF="$work/podman/storage.conf"
export CONTAINERS_REGISTRIES_CONF="$work/podman/registries.conf"
export CONTAINERS_CONF="$work/podman/containers.conf"
ENV
# shellcheck disable=SC1091
. "$work/podman.env"
skopeo --policy "$work/podman/policy.json" copy --quiet "oci:$layout:csi" "containers-storage:localhost/bench-csi:latest"

mkdir -p "$work/csi/plugin" "$work/csi/cache" "$work/csi/config" "$work/plain/cache"
cp "$root/deploy/csi/node-config.yaml" "$work/csi/config/config.yaml"
podman run -d --name bench-csi --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --privileged --network host \
  -v "$work/csi/plugin:/csi" -v "$work/csi/cache:/var/lib/oras-assemble" -v "$work/csi/config:/etc/oras-assemble:ro" \
  localhost/bench-csi:latest --endpoint=unix:///csi/csi.sock --node-id=bench-node --driver-name=csi.oras.land \
  --root=/var/lib/oras-assemble --config=/etc/oras-assemble/config.yaml --metrics-addr=127.0.0.1:0 >/dev/null

# The same published build, run as a process on the host: what the container adds, if anything.
unpacked="$work/unpacked"
umoci unpack --image "$layout:csi" "$unpacked" >/dev/null
entry="$(jq -r '.process.args[0]' "$unpacked/config.json")"
"$unpacked/rootfs$entry" --endpoint "unix://$work/plain/csi.sock" --node-id bench-node --root "$work/plain/cache" \
  --config "$work/csi/config/config.yaml" --metrics-addr 127.0.0.1:0 >"$work/plain.log" 2>&1 &
plain_pid=$!

for _ in $(seq 600); do [ -S "$work/csi/plugin/csi.sock" ] && [ -S "$work/plain/csi.sock" ] && break; sleep 0.1; done
[ -S "$work/csi/plugin/csi.sock" ] || { echo "the plugin's container did not open its socket:" >&2; podman logs bench-csi >&2; exit 1; }
[ -S "$work/plain/csi.sock" ] || { echo "the plain plugin did not open its socket:" >&2; cat "$work/plain.log" >&2; exit 1; }
container_pid="$(podman inspect --format '{{.State.Pid}}' bench-csi)"
rss() { awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }
threads() { awk '/^Threads:/ { print $2 }' "/proc/$1/status"; }
started_rss="$(rss "$container_pid") / $(rss "$plain_pid")"
sleep "$idle"
idle_rss="$(rss "$container_pid") / $(rss "$plain_pid")"
idle_threads="$(threads "$container_pid") / $(threads "$plain_pid")"

cat <<MD
### $(date -u +%Y-%m-%d) — $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr) — bench/images.sh

The images scripts/build-test-images.sh builds: deploy/csi/Dockerfile and deploy/webhook/Dockerfile on a self-contained
linux-x64 publish, over a base of \`mmdebstrap --variant=minbase bookworm\` with the runtime's libraries. gzip sizes are
what a registry stores (the layers as pushed with compression); uncompressed, what a node unpacks.

| image | MiB uncompressed | MiB gzip | layers |
| --- | --- | --- | --- |
$(printf '%s\n' "${rows[@]}")

The node plugin idle (deploy/csi/node-config.yaml, no volume published): in podman as deploy/csi/daemonset.yaml runs it
(privileged, host network) / the same binary as a plain process on the host. Load average $(cut -d' ' -f1-3 /proc/loadavg).

| | container / plain process |
| --- | --- |
| RSS MiB once serving | $started_rss |
| RSS MiB after ${idle}s idle | $idle_rss |
| threads after ${idle}s idle | $idle_threads |
MD
