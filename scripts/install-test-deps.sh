#!/usr/bin/env bash
# Installs the real programs the test suite runs: a CNCF Distribution registry (docker-registry),
# htpasswd for its bcrypt password file, openssl for the webhook's certificate script, and podman with runc
# and a static busybox for the test that runs the example in real containers before and after a rebase, Go with
# grpc-go (GOPATH mode) for the real grpc-go client the CSI plugin's transport tests build (tests/csi-grpc-client),
# zstd, which compresses the zstd layers the extraction tests read, and what scripts/build-image-corpus.sh needs to
# build real images from Debian packages (mmdebstrap, buildah, skopeo, umoci, jq), umoci also being the reference
# extraction the executor's trees are compared with, and nginx (nginx-light), the pull-through mirror deploy/mirror
# ships, which the multi-node mirror tests and bench/mirror.sh run in front of a registry.
# Safe to run again: it installs only what is missing.
set -euo pipefail

packages=()
command -v docker-registry >/dev/null 2>&1 || packages+=(docker-registry)
command -v htpasswd >/dev/null 2>&1 || packages+=(apache2-utils)
command -v openssl >/dev/null 2>&1 || packages+=(openssl)
command -v podman >/dev/null 2>&1 || packages+=(podman)
command -v runc >/dev/null 2>&1 || packages+=(runc)
[ -x /bin/busybox ] || packages+=(busybox-static)
command -v go >/dev/null 2>&1 || packages+=(golang-go)
[ -d /usr/share/gocode/src/google.golang.org/grpc ] || packages+=(golang-google-grpc-dev)
command -v zstd >/dev/null 2>&1 || packages+=(zstd)
command -v mmdebstrap >/dev/null 2>&1 || packages+=(mmdebstrap)
command -v buildah >/dev/null 2>&1 || packages+=(buildah)
command -v skopeo >/dev/null 2>&1 || packages+=(skopeo)
command -v umoci >/dev/null 2>&1 || packages+=(umoci)
command -v jq >/dev/null 2>&1 || packages+=(jq)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || packages+=(nginx-light)

# kubectl is not a Debian package; the deploy manifest tests need it (with its built-in kustomize) on the PATH.
command -v kubectl >/dev/null 2>&1 || echo "warning: kubectl not found; the webhook deploy tests will fail" >&2

if [ "${#packages[@]}" -eq 0 ]; then
    echo "test dependencies already installed"
    exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
    sudo=(sudo)
fi

echo "installing ${packages[*]}"
"${sudo[@]}" apt-get update
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${packages[@]}"
