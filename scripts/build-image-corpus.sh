#!/usr/bin/env bash
# Builds a corpus of real container images from Debian packages, for the tests that compare the executor's trees
# with `umoci unpack`. Usage: scripts/build-image-corpus.sh <dir>
#
# Result: <dir>/<key>/layout, one OCI image layout with these tags (printed on stdout when done):
#   minbase         `mmdebstrap --variant=minbase --mode=root bookworm` as one tar+gzip layer, exactly that tar
#                   (device nodes under dev/, bin -> usr/bin and the other usr-merge links, hard links).
#   openjdk         minbase + a second layer from `apt-get install openjdk-17-jre-headless` run by buildah
#                   (absolute links under etc/alternatives, whiteouts under var/lib/apt/lists).
#   openjdk-nodev   openjdk's two layers with the device nodes (only those) deleted from the first one: the same
#                   image for the executor as it is today, which refuses device nodes. Its second layer is openjdk's blob.
#   python          minbase + a second layer from `apt-get install python3`.
#   usrmerge-write  minbase + a layer holding only the entry bin/x, which lands on the lower layer's link bin -> usr/bin.
#   umoci-insert    minbase + a layer written by `umoci insert` (one file, etc/corpus/hello.txt, with no parent
#                   directory entries). umoci 0.4.7 ends that tar right after the file's data: no padding to 512
#                   bytes and no end-of-archive blocks (`tar tvf` lists the entry, then says "Unexpected EOF").
#   zstd            openjdk with every layer recompressed to tar+zstd by skopeo.
# <key> is a hash of this file's text: a changed script builds afresh, an unchanged one finds its result and
# stops at once. Work survives a failed or interrupted run in <dir>/<key>.partial (each finished step leaves a
# stamp), and only a complete corpus is renamed to <dir>/<key>; corpora of other keys are then removed.
#
# Network: only the Debian mirror (DEBIAN_MIRROR, default http://deb.debian.org/debian); no image registry.
# Needs root and mmdebstrap, buildah, skopeo, umoci and jq (scripts/install-test-deps.sh installs them).
# buildah and skopeo run with private storage (vfs), registries, containers and policy files in a temporary
# directory that is removed at the end, so the machine's own container configuration is neither read nor changed.
# How the second layers are made: buildah runs apt-get in a container from minbase and commits it to a scratch
# layout, and that commit's top layer (the changes apt-get made) is added to a copy of minbase with
# `umoci raw add-layer`, so every image shares minbase's layer blob as images built FROM one base do.
set -euo pipefail

if [ "$#" -ne 1 ]; then
    echo "usage: $0 <dir>" >&2
    exit 2
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "$0: must run as root (mmdebstrap --mode=root, device nodes, buildah with the vfs driver)" >&2
    exit 1
fi

for tool in mmdebstrap buildah skopeo umoci jq flock sha256sum; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "$0: '$tool' is missing; run scripts/install-test-deps.sh" >&2
        exit 1
    }
done

suite=bookworm
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
tags=(minbase openjdk openjdk-nodev python usrmerge-write umoci-insert zstd)

mkdir -p "$1"
base=$(cd "$1" && pwd)
key=$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-16)
final="$base/$key"
work="$base/$key.partial"
layout="$work/layout"

print_result() {
    echo "corpus: $final/layout"
    echo "tags: ${tags[*]}"
}

# One build at a time per directory; a second caller waits and then finds the result.
exec 9>"$base/.lock"
flock 9

if [ -d "$final/layout" ]; then
    print_result
    exit 0
fi

mkdir -p "$work"
state=$(mktemp -d "${TMPDIR:-/tmp}/image-corpus.XXXXXX")
trap 'rm -rf "$state"' EXIT

mkdir -p "$state/run" "$state/graph" "$state/home" "$state/xdg"
cat >"$state/storage.conf" <<EOF
[storage]
driver = "vfs"
runroot = "$state/run"
graphroot = "$state/graph"
EOF
echo 'unqualified-search-registries = []' >"$state/registries.conf"
echo '[engine]' >"$state/containers.conf"
echo '{"default":[{"type":"insecureAcceptAnything"}]}' >"$state/policy.json"
export CONTAINERS_STORAGE_CONF="$state/storage.conf"
export CONTAINERS_REGISTRIES_CONF="$state/registries.conf"
export CONTAINERS_CONF="$state/containers.conf"
export BUILDAH_ISOLATION=chroot
export HOME="$state/home"
export XDG_RUNTIME_DIR="$state/xdg"
export XDG_CONFIG_HOME="$state/home/.config"
export XDG_DATA_HOME="$state/home/.local/share"

done_step() { [ -e "$work/.done-$1" ]; }
mark_step() { touch "$work/.done-$1"; }
log() { echo "image corpus: $*" >&2; }

# Path of the blob named by a descriptor's digest in a layout.
blob() { echo "$1/blobs/${2%%:*}/${2#*:}"; }

# The manifest a tag of a layout points at.
manifest_of() {
    local digest
    digest=$(jq -r --arg tag "$2" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $tag) | .digest' "$1/index.json")
    [ -n "$digest" ] || { echo "$0: tag $2 is not in $1" >&2; return 1; }
    blob "$1" "$digest"
}

# Adds to tag $1 (a copy of minbase) a layer of the changes that `apt-get install $2` makes in a minbase container.
apt_layer() {
    local tag=$1 packages=$2 ctr scratch top
    # Under a name of its own: buildah would name an image read from oci:<path> after the path, which need not be
    # a valid reference (a ".cache" component is not).
    if ! buildah inspect --type image localhost/corpus-minbase >/dev/null 2>&1; then
        skopeo --policy "$state/policy.json" copy --quiet "oci:$layout:minbase" containers-storage:localhost/corpus-minbase
    fi
    ctr=$(buildah from --quiet --name "corpus-$tag" localhost/corpus-minbase)
    buildah run --isolation chroot --network host "$ctr" -- sh -c \
        "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $packages && apt-get clean && rm -rf /var/lib/apt/lists/*" \
        >"$state/$tag-apt.log" 2>&1 || {
        tail -n 30 "$state/$tag-apt.log" >&2
        return 1
    }
    scratch="$state/commit-$tag"
    buildah commit --signature-policy "$state/policy.json" --quiet "$ctr" "oci:$scratch:$tag" >/dev/null
    buildah rm "$ctr" >/dev/null
    top=$(jq -r '.layers[-1].digest' "$(manifest_of "$scratch" "$tag")")
    umoci tag --image "$layout:minbase" "$tag"
    umoci raw add-layer --image "$layout:$tag" --history.created_by "apt-get install -y --no-install-recommends $packages" \
        "$(blob "$scratch" "$top")"
    rm -rf "$scratch"
}

# Copies a tar from stdin to stdout without its character devices, block devices and FIFOs (with the pax or GNU
# long-name headers that belong to them); every other byte stays as it was. Needs only perl-base.
without_devices() {
    perl -e "$(cat <<'PERL'
use strict;
use warnings;
binmode STDIN;
binmode STDOUT;
sub take {
    my ($bytes) = @_;
    my $buffer = '';
    while (length($buffer) < $bytes) {
        my $got = read(STDIN, $buffer, $bytes - length($buffer), length($buffer));
        die "the tar ends in the middle of an entry\n" unless $got;
    }
    return $buffer;
}
my $pending = '';
while (1) {
    my $header = take(512);
    if ($header eq "\0" x 512) {
        print $pending, $header;
        my $rest;
        print $rest while read(STDIN, $rest, 65536);
        last;
    }
    my $field = substr($header, 124, 12);
    die "a size in base-256 is not handled\n" if ord($field) & 0x80;
    $field =~ s/[\0 ]+$//;
    my $size = oct($field);
    my $data = take(512 * int(($size + 511) / 512));
    my $type = substr($header, 156, 1);
    if ($type =~ /^[xLK]$/) {
        die "a pax size record is not handled\n" if $type eq 'x' && $data =~ /^\d+ size=/m;
        $pending .= $header . $data;
        next;
    }
    print $pending, $header, $data unless $type =~ /^[346]$/;
    $pending = '';
}
PERL
)"
}

started=$SECONDS

if ! done_step rootfs; then
    log "mmdebstrap --variant=minbase $suite"
    rm -f "$work/rootfs.tar"
    mmdebstrap --quiet --variant=minbase --mode=root "$suite" "$work/rootfs.tar" "$mirror"
    mark_step rootfs
fi

if ! done_step minbase; then
    log "minbase"
    rm -rf "$layout"
    umoci init --layout "$layout"
    umoci new --image "$layout:minbase"
    umoci raw add-layer --image "$layout:minbase" --history.created_by "mmdebstrap --variant=minbase --mode=root $suite" "$work/rootfs.tar"
    umoci config --image "$layout:minbase" --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --config.cmd bash
    mark_step minbase
fi

if ! done_step openjdk; then
    log "openjdk"
    apt_layer openjdk openjdk-17-jre-headless
    mark_step openjdk
fi

if ! done_step openjdk-nodev; then
    log "openjdk-nodev"
    # GNU tar 1.34's --delete drops further members from this archive, so the device entries are cut out here.
    without_devices <"$work/rootfs.tar" >"$state/nodev.tar"
    jre=$(jq -r '.layers[1].digest' "$(manifest_of "$layout" openjdk)")
    # umoci compresses the same tar to the same bytes, so this re-adds openjdk's own second blob.
    zcat "$(blob "$layout" "$jre")" >"$state/jre.tar"
    umoci new --image "$layout:openjdk-nodev"
    umoci raw add-layer --image "$layout:openjdk-nodev" --history.created_by "minbase without its device nodes" "$state/nodev.tar"
    umoci raw add-layer --image "$layout:openjdk-nodev" --history.created_by "openjdk's second layer" "$state/jre.tar"
    umoci config --image "$layout:openjdk-nodev" --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --config.cmd bash
    [ "$(jq -r '.layers[1].digest' "$(manifest_of "$layout" openjdk-nodev)")" = "$jre" ] || {
        echo "$0: openjdk-nodev's second layer is not openjdk's blob" >&2
        exit 1
    }
    rm -f "$state/nodev.tar" "$state/jre.tar"
    mark_step openjdk-nodev
fi

if ! done_step python; then
    log "python"
    apt_layer python python3
    mark_step python
fi

if ! done_step usrmerge-write; then
    log "usrmerge-write"
    mkdir -p "$state/usrmerge/bin"
    printf '#!/bin/sh\necho x\n' >"$state/usrmerge/bin/x"
    chmod 0755 "$state/usrmerge/bin/x"
    # Only the file's entry, no "bin/" directory entry: the lower layer's link bin -> usr/bin stays in place.
    tar --create --file "$state/usrmerge.tar" --no-recursion --owner=0 --group=0 --numeric-owner \
        --mtime=@1700000000 -C "$state/usrmerge" bin/x
    umoci tag --image "$layout:minbase" usrmerge-write
    umoci raw add-layer --image "$layout:usrmerge-write" --history.created_by "bin/x over bin -> usr/bin" "$state/usrmerge.tar"
    mark_step usrmerge-write
fi

if ! done_step umoci-insert; then
    log "umoci-insert"
    printf 'written by umoci insert\n' >"$state/hello.txt"
    umoci tag --image "$layout:minbase" umoci-insert
    umoci insert --image "$layout:umoci-insert" "$state/hello.txt" /etc/corpus/hello.txt
    mark_step umoci-insert
fi

if ! done_step zstd; then
    log "zstd"
    # Into a scratch layout first: copied straight into this one, skopeo reuses the gzip blobs already there.
    skopeo --policy "$state/policy.json" copy --quiet --dest-compress-format zstd "oci:$layout:openjdk" "oci:$state/zstd:zstd"
    skopeo --policy "$state/policy.json" copy --quiet "oci:$state/zstd:zstd" "oci:$layout:zstd"
    mark_step zstd
fi

umoci gc --layout "$layout"
rm -f "$work/rootfs.tar" "$work"/.done-*
mv "$work" "$final"

for old in "$base"/*; do
    name=$(basename "$old")
    if [ "$name" != "$key" ] && [[ "$name" =~ ^[0-9a-f]{16}(\.partial)?$ ]]; then
        rm -rf "$old"
    fi
done

log "built in $((SECONDS - started)) s, $(du -sh "$final" | cut -f1)"
print_result
