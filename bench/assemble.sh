#!/usr/bin/env bash
# Measures, in one run on one machine: a cold assemble of a multi-layer artifact from a local registry against
# curl downloading the same blobs (the practical limit), a warm assemble (cache hit), the assembler's peak RSS,
# and the cache's disk use when two specs share layers. Prints a Markdown block for bench/RESULTS.md.
#
#   bench/assemble.sh                 # 8 layers of 128 MiB (1 GiB)
#   LAYERS=4 LAYER_MB=16 bench/assemble.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
layers="${LAYERS:-8}"
layer_mb="${LAYER_MB:-128}"
parallel="${PARALLEL:-4}"
work="$(mktemp -d "${TMPDIR:-/tmp}/oras-assemble-bench.XXXXXX")"
registry_pid=""
cleanup() {
  [ -n "$registry_pid" ] && kill "$registry_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

bash "$root/scripts/install-test-deps.sh" >/dev/null
dotnet build "$root/src/Assembler.Cli" -c Release -o "$work/cli" --nologo -v q >/dev/null
cli() { dotnet "$work/cli/oras-assemble.dll" --plain-http "$@"; }

# A registry of our own on a free port, storage in the work dir.
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
host="127.0.0.1:$port"
cat > "$work/registry.yml" <<YAML
version: 0.1
log: { level: error, accesslog: { disabled: true } }
storage: { filesystem: { rootdirectory: $work/registry }, delete: { enabled: true } }
http: { addr: $host }
YAML
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 100); do curl -fs "http://$host/v2/" >/dev/null && break; sleep 0.1; done

now() { date +%s.%N; }
mib_per_s() { python3 -c "print(f'{$1 / 1048576 / ($3 - $2):.0f}')"; }
seconds() { python3 -c "print(f'{$2 - $1:.2f}')"; }

echo "making $layers layers of $layer_mb MiB..." >&2
mkdir -p "$work/data"
files=()
for i in $(seq "$layers"); do
  head -c "$((layer_mb * 1048576))" /dev/urandom > "$work/data/layer-$i.bin"
  files+=("$work/data/layer-$i.bin:application/octet-stream")
done
total=$((layers * layer_mb * 1048576))
cli pack "$host/bench/big:1" "${files[@]}" >/dev/null
# A second artifact sharing all but one layer, for the disk-use measurement.
head -c 1048576 /dev/urandom > "$work/data/extra.bin"
cli pack "$host/bench/big:2" "${files[@]:1}" "$work/data/extra.bin:application/octet-stream" >/dev/null

spec() {
  cat > "$work/$1.yaml" <<YAML
apiVersion: assemble.oras.land/v1
kind: Assembly
metadata: { name: bench-$1 }
sources:
  big: { ref: $host/bench/big:$1 }
steps:
  - copy: { from: big, path: /, to: /data/ }
YAML
}
spec 1
spec 2

echo "curl, $parallel at a time..." >&2
mkdir -p "$work/curl"
start="$(now)"
for i in $(seq "$layers"); do sha256sum "$work/data/layer-$i.bin" | cut -d' ' -f1; done \
  | xargs -P "$parallel" -I{} curl -fsS -o "$work/curl/{}" "http://$host/v2/bench/big/blobs/sha256:{}"
curl_end="$(now)"
curl_rate="$(mib_per_s "$total" "$start" "$curl_end")"
curl_secs="$(seconds "$start" "$curl_end")"
rm -rf "$work/curl"

echo "cold assemble..." >&2
start="$(now)"
/usr/bin/time -f "%M" -o "$work/rss" dotnet "$work/cli/oras-assemble.dll" --plain-http assemble "$work/1.yaml" --out "$work/out1" --cache "$work/cache" >/dev/null 2>"$work/cold.log"
cold_end="$(now)"
cold_rate="$(mib_per_s "$total" "$start" "$cold_end")"
cold_secs="$(seconds "$start" "$cold_end")"
rss_mib=$(( $(tail -n 1 "$work/rss") / 1024 ))

echo "warm assemble..." >&2
start="$(now)"
cli assemble "$work/1.yaml" --out "$work/out1-again" --cache "$work/cache" >/dev/null 2>&1
warm="$(seconds "$start" "$(now)")"

echo "second spec sharing layers..." >&2
cli assemble "$work/2.yaml" --out "$work/out2" --cache "$work/cache" >/dev/null 2>&1
cache_mib=$(( $(du -sk "$work/cache" | cut -f1) / 1024 ))
trees_mib=$(( ($(du -sk "$work/out1" | cut -f1) + $(du -sk "$work/out2" | cut -f1)) / 1024 ))

cmp -s "$work/data/layer-1.bin" "$work/out1/data/layer-1.bin" || { echo "assembled bytes differ" >&2; exit 1; }

cat <<MD
### $(date -u +%Y-%m-%d) — $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)

Artifact: $layers file layers × $layer_mb MiB = $((total / 1048576)) MiB, local CNCF Distribution registry on loopback, $parallel transfers at a time.

| measurement | result |
| --- | --- |
| curl, same blobs to disk (reference) | $curl_rate MiB/s ($curl_secs s) |
| cold assemble (download, verify, tree) | $cold_rate MiB/s ($cold_secs s) — $(python3 -c "print(f'{$cold_rate / $curl_rate:.2f}')")× curl |
| warm assemble (cache hit) | $warm s |
| peak RSS of the cold assemble | $rss_mib MiB |
| cache on disk after two specs sharing $((layers - 1)) of $layers layers | $cache_mib MiB (the two trees would be $trees_mib MiB as copies) |
MD
