#!/usr/bin/env bash
# Builds HelloWorldServer.jar with the JDK alone (no Maven or Gradle). Output: build/HelloWorldServer.jar
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/build}"
rm -rf "$out/classes"
mkdir -p "$out/classes"
javac --release 17 -d "$out/classes" "$here/src/HelloWorldServer.java"
# A fixed timestamp for every entry makes the JAR byte-identical from build to build.
jar --create --file "$out/HelloWorldServer.jar" --main-class HelloWorldServer --date 2026-01-01T00:00:00Z -C "$out/classes" .
echo "$out/HelloWorldServer.jar"
