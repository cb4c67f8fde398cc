#!/usr/bin/env bash
# Runs one benchmark on two builds in one run, the working tree's and an earlier revision's, so that a change is
# judged against the build before it on the same machine under the same load. Each build runs the benchmark script
# of its own revision; the earlier one first, then this one, then the earlier one again, so a drift in the machine's
# load over the run shows as a difference between the two runs of the earlier build. Passes the environment through
# (LAYERS, PUBLISHES, ...). Prints the Markdown blocks of the three runs, each headed by the build it measured.
#
#   bench/compare.sh <revision> assemble.sh
#   PUBLISHES=100 PODS=20 bench/compare.sh main~3 csi-publish.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
[ $# -eq 2 ] || { echo "usage: bench/compare.sh <revision> <script in bench/>" >&2; exit 2; }
revision="$(git -C "$root" rev-parse --short "$1^{commit}")"
script="$2"
[ -f "$root/bench/$script" ] || { echo "no bench/$script" >&2; exit 2; }
current="$(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD -- src bench || echo '+changes')"
earlier="$(mktemp -d "${TMPDIR:-/tmp}/oras-assemble-compare.XXXXXX")"
cleanup() { git -C "$root" worktree remove --force "$earlier" >/dev/null 2>&1 || rm -rf "$earlier"; }
trap cleanup EXIT
git -C "$root" worktree add --detach "$earlier" "$revision" >/dev/null 2>&1

run() {
  echo "running bench/$script on $2..." >&2
  echo "#### build $2"
  echo
  bash "$1/bench/$script" | sed '1{/^### /d}' | sed '1{/^$/d}'
  echo
}
echo "### $(date -u +%Y-%m-%d) — $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr) — bench/$script, $revision against $current"
echo
run "$earlier" "$revision (earlier)"
run "$root" "$current"
run "$earlier" "$revision (earlier, again)"
