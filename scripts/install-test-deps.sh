#!/usr/bin/env bash
# Installs the real programs the test suite runs: a CNCF Distribution registry (docker-registry)
# and htpasswd for its bcrypt password file. Safe to run again: it installs only what is missing.
set -euo pipefail

packages=()
command -v docker-registry >/dev/null 2>&1 || packages+=(docker-registry)
command -v htpasswd >/dev/null 2>&1 || packages+=(apache2-utils)

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
