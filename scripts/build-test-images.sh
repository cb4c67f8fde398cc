#!/usr/bin/env bash
# Builds the node plugin and webhook images for the tests that run them, on a runtime base made from Debian packages
# (no image registry is needed). Usage: scripts/build-test-images.sh <dir>
#
# Result: one OCI image layout, <dir>/images-<key>/layout, with the tags (printed on stdout when done):
#   csi       deploy/csi/Dockerfile built by scripts/build-images.sh on that base
#   webhook   deploy/webhook/Dockerfile, likewise
# The base, <dir>/base-<key>/layout tag base, is `mmdebstrap --variant=minbase bookworm` with what a self-contained
# .NET app loads (libc6, libgcc-s1, libstdc++6, libssl3, zlib1g, ca-certificates; globalization is invariant, so no
# libicu), as one layer. Its key is a hash of this file's text; the images' key is a hash of the base's key and of
# every file a publish reads (src/Assembler, src/CsiNode, src/Webhook, src/Hosting, schemas/, the build props, global.json) and
# of scripts/build-images.sh and the Dockerfiles. An unchanged key finds its result and stops at once; a changed
# one builds afresh and then removes results of other keys. The publish runs on a copy of exactly the hashed
# files, so what is built is what the key names, and the work tree's own bin/ and obj/ are left alone.
#
# Network: only the Debian mirror (DEBIAN_MIRROR, default http://deb.debian.org/debian) and NuGet for the publish.
# Needs root and mmdebstrap, buildah, skopeo, umoci, jq and the .NET SDK. buildah and skopeo run with private
# storage (vfs) and configuration in a temporary directory that is removed at the end.
set -euo pipefail

if [ "$#" -ne 1 ]; then
    echo "usage: $0 <dir>" >&2
    exit 2
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "$0: must run as root (mmdebstrap --mode=root, buildah with the vfs driver)" >&2
    exit 1
fi

for tool in mmdebstrap buildah skopeo umoci jq flock sha256sum dotnet; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "$0: '$tool' is missing; run scripts/install-test-deps.sh" >&2
        exit 1
    }
done

suite=bookworm
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
libraries=libc6,libgcc-s1,libstdc++6,libssl3,zlib1g,ca-certificates
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

mkdir -p "$1"
cache=$(cd "$1" && pwd)
log() { echo "test images: $*" >&2; }

# The files a publish of both projects reads, relative to the repository root, in a fixed order.
inputs() {
    (cd "$repo" && {
        find src/Assembler src/CsiNode src/Webhook src/Hosting schemas -type f -not -path '*/bin/*' -not -path '*/obj/*'
        printf '%s\n' Directory.Build.props Directory.Packages.props global.json scripts/build-images.sh \
            deploy/csi/Dockerfile deploy/webhook/Dockerfile
    } | LC_ALL=C sort)
}

base_key=$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-16)
images_key=$( { echo "base $base_key"; (cd "$repo" && inputs | tr '\n' '\0' | xargs -0 sha256sum); } | sha256sum | cut -c1-16)
base_layout="$cache/base-$base_key/layout"
final="$cache/images-$images_key"

print_result() {
    echo "layout: $final/layout"
    echo "tags: csi webhook"
}

# One build at a time per directory; a second caller waits and then finds the result.
exec 9>"$cache/.lock"
flock 9

if [ -d "$final/layout" ]; then
    print_result
    exit 0
fi

state=$(mktemp -d "${TMPDIR:-/tmp}/test-images.XXXXXX")
trap 'rm -rf "$state"' EXIT
mkdir -p "$state/run" "$state/graph" "$state/home" "$state/xdg"
cat >"$state/storage.conf" <<CONF
[storage]
driver = "vfs"
runroot = "$state/run"
graphroot = "$state/graph"
CONF
echo 'unqualified-search-registries = []' >"$state/registries.conf"
echo '[engine]' >"$state/containers.conf"
echo '{"default":[{"type":"insecureAcceptAnything"}]}' >"$state/policy.json"
export CONTAINERS_STORAGE_CONF="$state/storage.conf"
export CONTAINERS_REGISTRIES_CONF="$state/registries.conf"
export CONTAINERS_CONF="$state/containers.conf"
export BUILDAH_ISOLATION=chroot
export XDG_RUNTIME_DIR="$state/xdg"
export XDG_CONFIG_HOME="$state/home/.config"
export XDG_DATA_HOME="$state/home/.local/share"

started=$SECONDS

if [ ! -d "$base_layout" ]; then
    log "base: mmdebstrap --variant=minbase $suite with $libraries"
    partial="$cache/base-$base_key.partial"
    rm -rf "$partial"
    mkdir -p "$partial"
    mmdebstrap --quiet --variant=minbase --mode=root --include="$libraries" \
        --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' \
        "$suite" "$state/rootfs.tar" "$mirror"
    umoci init --layout "$partial/layout"
    umoci new --image "$partial/layout:base"
    umoci raw add-layer --image "$partial/layout:base" \
        --history.created_by "mmdebstrap --variant=minbase --include=$libraries $suite" "$state/rootfs.tar"
    umoci config --image "$partial/layout:base" --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
    rm -f "$state/rootfs.tar"
    mv "$partial" "$cache/base-$base_key"
fi

log "images $images_key"
base_image="localhost/oras-assemble-test-base:$base_key"
skopeo --policy "$state/policy.json" copy --quiet "oci:$base_layout:base" "containers-storage:$base_image"
mkdir -p "$state/src"
(cd "$repo" && inputs | tr '\n' '\0' | xargs -0 cp --parents -t "$state/src")
bash "$state/src/scripts/build-images.sh" --base "$base_image" --tag "$images_key" --out "$state/publish" >&2

partial="$cache/images-$images_key.partial"
rm -rf "$partial"
mkdir -p "$partial"
for image in csi webhook; do
    # Uncompressed: the tests unpack these on every run, and gzip would cost more time than the disk space saves.
    buildah push --signature-policy "$state/policy.json" --quiet --disable-compression \
        "localhost/oras-assemble-$image:$images_key" "oci:$partial/layout:$image" >/dev/null
done
mv "$partial" "$final"

for old in "$cache"/*; do
    name=$(basename "$old")
    if [[ "$name" =~ ^(base|images)-[0-9a-f]{16}(\.partial)?$ ]] && [ "$name" != "base-$base_key" ] && [ "$name" != "images-$images_key" ]; then
        rm -rf "$old"
    fi
done

log "built in $((SECONDS - started)) s, $(du -sh "$final" | cut -f1)"
print_result
