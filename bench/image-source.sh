#!/usr/bin/env bash
# Measures, in one run on one machine, a cold assemble (empty cache) of a real container image, the image corpus'
# openjdk (Debian bookworm minbase + openjdk-17-jre-headless, two tar+gzip layers), pushed to a local registry, against
# the two ways of unpacking it the container tools give:
#   - `skopeo copy docker://… oci:…` then `umoci unpack` (what a runtime without a daemon does), and
#   - `curl | tar xz` of each layer into its own directory, both layers at once (the practical limit: one read of
#     the bytes, no digest check, no whiteouts, no ordering).
# Rounds alternate the three so a drift in the machine's load hits them alike; each round starts from nothing on disk
# but the registry. Reports medians, the assembler's peak RSS (from /usr/bin/time -v), the load average, and whether
# the targets are met. Prints a Markdown block for bench/RESULTS.md.
#
# With FRESH_FS=1 every run writes to an ext4 file system of its own, made just before it (a sparse file on a loop
# device with direct I/O, so a flush still reaches the disk): a run then never pays for the inodes the run before it
# freed, which on ext4 slows the next allocations for minutes. Needs root.
#
#   bench/image-source.sh              # 5 rounds
#   ROUNDS=9 bench/image-source.sh
#   FRESH_FS=1 ROUNDS=3 bench/image-source.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
rounds="${ROUNDS:-5}"
work="$(mktemp -d "${TMPDIR:-/tmp}/oras-assemble-bench.XXXXXX")"
registry_pid=""
fresh_fs="${FRESH_FS:-0}"
dest="$work"
loop=""
# Unmounts the run's own file system, if there is one.
drop_fs() {
  if [ -n "$loop" ]; then
    umount "$work/fs" && losetup -d "$loop"
    loop=""
    rm -f "$work/fs.img"
  fi
}
cleanup() {
  drop_fs || true
  [ -n "$registry_pid" ] && kill "$registry_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

bash "$root/scripts/install-test-deps.sh" >/dev/null
corpus_root="${ORAS_ASSEMBLE_TEST_CORPUS:-${XDG_CACHE_HOME:-$HOME/.cache}/oras-assemble/test-corpus}"
layout="$(bash "$root/scripts/build-image-corpus.sh" "$corpus_root" | sed -n 's/^corpus: //p' | tail -n 1)"
[ -d "$layout" ] || { echo "the image corpus was not built" >&2; exit 1; }
dotnet build "$root/src/Assembler.Cli" -c Release -o "$work/cli" --nologo -v q >/dev/null

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

# skopeo with a policy of its own, so the machine's container configuration is neither read nor needed.
echo '{"default":[{"type":"insecureAcceptAnything"}]}' > "$work/policy.json"
skopeo_() { skopeo --policy "$work/policy.json" "$@"; }
image="$host/bench/openjdk:1"
skopeo_ copy -q --dest-tls-verify=false "oci:$layout:openjdk" "docker://$image"

manifest="$(curl -fsS -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$host/v2/bench/openjdk/manifests/1")"
mapfile -t layer_digests < <(jq -r '.layers[].digest' <<<"$manifest")
image_bytes="$(jq '[.layers[].size] | add' <<<"$manifest")"

cat > "$work/spec.yaml" <<YAML
apiVersion: assemble.oras.land/v1
kind: Assembly
metadata: { name: bench-image-source }
sources:
  jdk: { ref: $image, platform: linux/amd64 }
steps:
  - copy: { from: jdk, path: /, to: / }
YAML

now() { date +%s.%N; }
seconds() { python3 -c "print(f'{$2 - $1:.2f}')"; }

assemble_once() {
  local start end
  start="$(now)"
  /usr/bin/time -v -o "$work/time.txt" dotnet "$work/cli/oras-assemble.dll" --plain-http \
    assemble "$work/spec.yaml" --out "$dest/out" --cache "$dest/cache" >/dev/null 2>"$work/assemble.log" \
    || { cat "$work/assemble.log" >&2; exit 1; }
  end="$(now)"
  seconds "$start" "$end" >> "$work/assemble.times"
  awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt" >> "$work/assemble.rss"
}

skopeo_umoci_once() {
  local start end
  start="$(now)"
  skopeo_ copy -q --src-tls-verify=false "docker://$image" "oci:$dest/sk:img"
  umoci unpack --image "$dest/sk:img" "$dest/bundle" >/dev/null
  end="$(now)"
  seconds "$start" "$end" >> "$work/skopeo.times"
}

curl_tar_once() {
  local start end i=0 pids=()
  start="$(now)"
  for digest in "${layer_digests[@]}"; do
    i=$((i + 1))
    mkdir -p "$dest/tar/$i"
    (curl -fsS "http://$host/v2/bench/openjdk/blobs/$digest" | tar -xz -C "$dest/tar/$i") &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid"; done
  end="$(now)"
  seconds "$start" "$end" >> "$work/tar.times"
}

# Removes what a run wrote; with FRESH_FS=1, makes the next run's file system.
clean() {
  rm -rf "$dest/out" "$dest/cache" "$dest/sk" "$dest/bundle" "$dest/tar"
  sync
  if [ "$fresh_fs" = 1 ]; then
    drop_fs
    truncate -s 16G "$work/fs.img"
    mkfs.ext4 -q -F "$work/fs.img"
    loop="$(losetup --find --show --direct-io=on "$work/fs.img")"
    mkdir -p "$work/fs"
    mount "$loop" "$work/fs"
    dest="$work/fs"
  fi
}

clean
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
# One untimed round of each warms the page cache (registry storage, the CLI's assemblies) for all of them alike.
echo "warm-up round..." >&2
assemble_once; clean; skopeo_umoci_once; clean; curl_tar_once; clean
rm -f "$work"/*.times "$work/assemble.rss"
for round in $(seq "$rounds"); do
  echo "round $round of $rounds..." >&2
  # Rotate which goes first, so none always runs right after another's writeback.
  case $((round % 3)) in
    1) assemble_once; clean; skopeo_umoci_once; clean; curl_tar_once; clean ;;
    2) skopeo_umoci_once; clean; curl_tar_once; clean; assemble_once; clean ;;
    0) curl_tar_once; clean; assemble_once; clean; skopeo_umoci_once; clean ;;
  esac
done
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

median() { sort -n "$1" | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
all() { tr '\n' ' ' < "$1" | sed 's/ $//'; }
ours="$(median "$work/assemble.times")"
skopeo_umoci="$(median "$work/skopeo.times")"
curl_tar="$(median "$work/tar.times")"
rss_mib="$(python3 -c "print(f'{$(sort -n "$work/assemble.rss" | tail -n 1) / 1024:.0f}')")"
runs_ours="$(all "$work/assemble.times")"
runs_skopeo="$(all "$work/skopeo.times")"
runs_tar="$(all "$work/tar.times")"

# A last assemble, kept and not timed, to check the tree against umoci's unpack of the same image: same files, same bytes.
assemble_once; skopeo_umoci_once
(cd "$dest/out" && find . -type f -print0 | sort -z | xargs -0 sha256sum) > "$work/ours.sums"
(cd "$dest/bundle/rootfs" && find . -type f ! -path './dev/*' -print0 | sort -z | xargs -0 sha256sum) > "$work/umoci.sums"
cmp -s "$work/ours.sums" "$work/umoci.sums" || { diff "$work/umoci.sums" "$work/ours.sums" | head -20 >&2; echo "the assembled tree differs from umoci's" >&2; exit 1; }
files="$(wc -l < "$work/ours.sums")"

ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }
met() { python3 -c "print('met' if $1 <= $2 else 'not met')"; }

cat <<MD
### $(date -u +%Y-%m-%d) — $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr) — bench/image-source.sh

Image: the corpus' openjdk (bookworm minbase + openjdk-17-jre-headless), ${#layer_digests[@]} tar+gzip layers,
$((image_bytes / 1048576)) MiB compressed, $files regular files; local CNCF Distribution registry on loopback. Cold:
empty cache and output each time$([ "$fresh_fs" = 1 ] && echo ", each run on a fresh ext4 file system of its own (FRESH_FS=1: a loop device with direct I/O)"). $rounds rounds, the three rotated; medians. Load average $load_before before,
$load_after after.

| measurement | median | runs (s) |
| --- | --- | --- |
| oras-assemble assemble (resolve, download, verify, extract, clone to --out) | $ours s | $runs_ours |
| skopeo copy docker:// oci: + umoci unpack (reference) | $skopeo_umoci s | $runs_skopeo |
| curl \| tar xz, both layers at once (reference) | $curl_tar s | $runs_tar |
| peak RSS of oras-assemble (max over the runs) | $rss_mib MiB | |

| target | result | |
| --- | --- | --- |
| ≤ 0.7× skopeo + umoci | $(ratio "$ours" "$skopeo_umoci")× | $(met "$(ratio "$ours" "$skopeo_umoci")" 0.7) |
| ≤ 1.2× curl \| tar | $(ratio "$ours" "$curl_tar")× | $(met "$(ratio "$ours" "$curl_tar")" 1.2) |
| peak RSS ≤ 150 MiB | $rss_mib MiB | $(met "$rss_mib" 150) |
MD
