#!/usr/bin/env bash
# The main job on the embedded default store, with no registry and no cluster: build the example's JAR, pack it
# and its configuration as ORAS artifacts into a local OCI image layout, push the assembly spec there, assemble
# the tree, start the application from the assembled tree and show the greeting it serves.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="${EXAMPLE_DIR:-$root/out/example}"
example="$root/examples/java-app"

rm -rf "$work"
mkdir -p "$work"
echo "==> building the oras-assemble CLI"
dotnet build "$root/src/Assembler.Cli" -c Release -o "$work/cli" --nologo -v q >/dev/null
cli() { dotnet "$work/cli/oras-assemble.dll" --store "$work/store" "$@"; }

echo "==> building HelloWorldServer.jar with javac and jar"
jar="$("$example/build.sh" "$work/build")"

echo "==> packing the artifacts into the local store ($work/store)"
cli pack registry.example/apps/hello-jar:1.0 "$jar:application/java-archive"
cli pack registry.example/apps/hello-conf:1.0 "$example/config/prod.properties:text/x-java-properties"

echo "==> pushing the assembly spec"
# The store holds no openjdk image to pin the base by, so the spec keeps base.image as written; pushed to a
# registry that has the base, leave out --no-pin-base and the artifact records its digest.
cli push "$example/assembly.yaml" registry.example/apps/hello-spec:1.0 --lock --no-pin-base

echo "==> assembling"
cli assemble registry.example/apps/hello-spec:1.0 --out "$work/tree" --cache "$work/cache"
find "$work/tree" -mindepth 1 | sed "s|^$work/tree|    /app|" | sort

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
echo "==> java -jar /app/HelloWorldServer.jar (port $port)"
java -Dport="$port" -jar "$work/tree/HelloWorldServer.jar" &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  if greeting="$(curl -fsS "http://127.0.0.1:$port/" 2>/dev/null)"; then
    echo "==> GET / answered: $greeting"
    exit 0
  fi
  sleep 0.1
done
echo "the application did not answer on port $port" >&2
exit 1
