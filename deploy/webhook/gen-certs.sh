#!/usr/bin/env bash
# Makes the webhook's serving certificate with openssl, signed by a small CA of its own, and writes a kustomize
# overlay of this directory that deploys the webhook with it:
#
#   deploy/webhook/gen-certs.sh [--namespace NS] [--days N] OUT_DIR
#   kubectl apply -k OUT_DIR
#
# OUT_DIR then holds ca.crt, ca.key, tls.crt, tls.key and kustomization.yaml. The overlay puts tls.crt/tls.key in
# the secret the Deployment mounts and ca.crt in the MutatingWebhookConfiguration's caBundle. Run it again on the
# same OUT_DIR to renew the serving certificate: the CA found there is reused, so the caBundle stays valid while
# the webhook picks up the new files. Keep OUT_DIR private: ca.key and tls.key are secrets.
set -euo pipefail

service=oras-assemble-webhook
namespace=oras-assemble
days=365
out=""

usage() {
    sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
    exit "${1:-2}"
}

while [ $# -gt 0 ]; do
    case "$1" in
        --namespace) namespace="${2:?--namespace needs a value}"; shift 2 ;;
        --days) days="${2:?--days needs a value}"; shift 2 ;;
        -h|--help) usage 0 ;;
        -*) echo "gen-certs.sh: unknown option $1" >&2; usage ;;
        *) [ -z "$out" ] || { echo "gen-certs.sh: one output directory only" >&2; usage; }; out="$1"; shift ;;
    esac
done
[ -n "$out" ] || usage
if ! [[ "$namespace" =~ ^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$ ]]; then
    echo "gen-certs.sh: \"$namespace\" is not a namespace name" >&2
    exit 2
fi
if ! [[ "$days" =~ ^[1-9][0-9]*$ ]]; then
    echo "gen-certs.sh: --days must be a positive number" >&2
    exit 2
fi

base="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
umask 077
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if [ ! -s "$out/ca.key" ] || [ ! -s "$out/ca.crt" ]; then
    openssl req -x509 -new -nodes -newkey rsa:2048 -sha256 -days "$((days * 2))" \
        -subj "/CN=${service}-ca" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -keyout "$work/ca.key" -out "$work/ca.crt" 2>/dev/null
    mv "$work/ca.key" "$out/ca.key"
    mv "$work/ca.crt" "$out/ca.crt"
fi

# The API server calls the service by its cluster DNS name; every form of it is in the certificate.
cat > "$work/server.ext" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:${service},DNS:${service}.${namespace},DNS:${service}.${namespace}.svc,DNS:${service}.${namespace}.svc.cluster.local
EXT
openssl req -new -nodes -newkey rsa:2048 -sha256 -subj "/CN=${service}.${namespace}.svc" \
    -keyout "$work/tls.key" -out "$work/tls.csr" 2>/dev/null
openssl x509 -req -sha256 -days "$days" -in "$work/tls.csr" -CA "$out/ca.crt" -CAkey "$out/ca.key" \
    -set_serial "0x$(openssl rand -hex 16)" -extfile "$work/server.ext" -out "$work/tls.crt" 2>/dev/null
openssl verify -CAfile "$out/ca.crt" "$work/tls.crt" >/dev/null

# Written next to each other and moved in last, so a failed run leaves the previous pair whole.
mv "$work/tls.key" "$out/tls.key"
mv "$work/tls.crt" "$out/tls.crt"

relative_base="$(realpath --relative-to="$out" "$base")"
ca_bundle="$(base64 -w0 < "$out/ca.crt")"
{
    echo "# Written by deploy/webhook/gen-certs.sh: the webhook with its serving certificate. Apply with kubectl apply -k."
    echo "apiVersion: kustomize.config.k8s.io/v1beta1"
    echo "kind: Kustomization"
    echo "namespace: ${namespace}"
    echo "resources:"
    echo "  - ${relative_base}"
    echo "generatorOptions:"
    echo "  # A stable name: renewing updates the secret in place and the webhook reloads the files."
    echo "  disableNameSuffixHash: true"
    echo "secretGenerator:"
    echo "  - name: ${service}-tls"
    echo "    type: kubernetes.io/tls"
    echo "    files:"
    echo "      - tls.crt"
    echo "      - tls.key"
    echo "patches:"
    echo "  - target:"
    echo "      group: admissionregistration.k8s.io"
    echo "      kind: MutatingWebhookConfiguration"
    echo "      name: ${service}"
    echo "    patch: |-"
    echo "      - op: add"
    echo "        path: /webhooks/0/clientConfig/caBundle"
    echo "        value: ${ca_bundle}"
} > "$work/kustomization.yaml"
chmod 644 "$work/kustomization.yaml" "$out/ca.crt" "$out/tls.crt"
mv "$work/kustomization.yaml" "$out/kustomization.yaml"
echo "wrote $out: serving certificate for ${service}.${namespace}.svc, valid ${days} days; apply with: kubectl apply -k $out"
