#!/usr/bin/env bash
# Builds the node plugin and webhook images from this repository: publishes src/CsiNode and src/Webhook
# self-contained for linux-x64, then builds deploy/csi/Dockerfile and deploy/webhook/Dockerfile on those outputs
# with `buildah bud` (or `podman build` when buildah is missing).
#
#   scripts/build-images.sh [--tag TAG] [--repository PREFIX] [--base IMAGE] [--only csi|webhook] [--out DIR]
#
#   --tag TAG           the images' tag (default: dev, what deploy/csi and deploy/webhook deploy)
#   --repository PREFIX names the images PREFIX/oras-assemble-csi and PREFIX/oras-assemble-webhook, ready to push
#                       (default: no prefix, which buildah stores as localhost/oras-assemble-csi)
#   --base IMAGE        the runtime base both images start from (default: mcr.microsoft.com/dotnet/runtime-deps:10.0);
#                       it must provide glibc, libgcc, libstdc++, libssl3, zlib and CA certificates
#   --only csi|webhook  builds one of the two
#   --out DIR           where the publish outputs go, DIR/csi and DIR/webhook (default: a temporary directory, removed)
#
# Prints one line per image built, "image: <name>:<tag>". Push them with `buildah push <name>:<tag> docker://...`.
set -euo pipefail

usage() {
    sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
    exit "${1:-2}"
}

tag=dev
repository=""
base=mcr.microsoft.com/dotnet/runtime-deps:10.0
only=""
out=""

while [ $# -gt 0 ]; do
    case "$1" in
        --tag) tag="${2:?--tag needs a value}"; shift 2 ;;
        --repository) repository="${2:?--repository needs a value}"; shift 2 ;;
        --base) base="${2:?--base needs a value}"; shift 2 ;;
        --only) only="${2:?--only needs a value}"; shift 2 ;;
        --out) out="${2:?--out needs a value}"; shift 2 ;;
        -h|--help) usage 0 ;;
        *) echo "build-images.sh: unknown argument $1" >&2; usage ;;
    esac
done

# The tag grammar of the OCI distribution spec.
if ! [[ "$tag" =~ ^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$ ]]; then
    echo "build-images.sh: --tag \"$tag\" is not an image tag (letters, digits, _ . -, at most 128, not starting with . or -)" >&2
    exit 2
fi
if [ -n "$repository" ] && ! [[ "$repository" =~ ^[a-z0-9]([a-z0-9._:-]*[a-z0-9])?(/[a-z0-9]([a-z0-9._-]*[a-z0-9])?)*$ ]]; then
    echo "build-images.sh: --repository \"$repository\" is not a registry or repository prefix (e.g. registry.example/oras)" >&2
    exit 2
fi
case "$only" in
    "") images=(csi webhook) ;;
    csi|webhook) images=("$only") ;;
    *) echo "build-images.sh: --only takes csi or webhook, not \"$only\"" >&2; exit 2 ;;
esac

if command -v buildah >/dev/null 2>&1; then
    builder=(buildah bud)
elif command -v podman >/dev/null 2>&1; then
    builder=(podman build)
else
    echo "build-images.sh: neither buildah nor podman is installed" >&2
    exit 1
fi
command -v dotnet >/dev/null 2>&1 || { echo "build-images.sh: the .NET SDK (dotnet) is not on the PATH" >&2; exit 1; }

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -z "$out" ]; then
    out="$(mktemp -d "${TMPDIR:-/tmp}/oras-assemble-images.XXXXXX")"
    trap 'rm -rf "$out"' EXIT
else
    mkdir -p "$out"
    out="$(cd "$out" && pwd)"
fi

project_of() {
    case "$1" in
        csi) echo "$root/src/CsiNode/CsiNode.csproj" ;;
        webhook) echo "$root/src/Webhook/Webhook.csproj" ;;
    esac
}

for image in "${images[@]}"; do
    name="oras-assemble-$image"
    [ -z "$repository" ] || name="$repository/$name"
    publish="$out/$image"
    # A publish into a directory that held an older one would keep files the new one no longer has.
    rm -rf "$publish"
    echo "build-images.sh: publishing $(basename "$(project_of "$image")")" >&2
    dotnet publish "$(project_of "$image")" --nologo -v quiet -c Release -r linux-x64 --self-contained -o "$publish" >&2
    echo "build-images.sh: building $name:$tag on $base" >&2
    "${builder[@]}" --quiet --build-arg "BASE=$base" -f "$root/deploy/$image/Dockerfile" -t "$name:$tag" "$publish" >/dev/null
    echo "image: $name:$tag"
done
