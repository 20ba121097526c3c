#!/usr/bin/env bash
# Runs every Go fuzz target in the module for the given time each.
# Usage: internal/tools/fuzz.sh 10s
set -euo pipefail
fuzztime=${1:-10s}
cd "$(dirname "$0")/../.."
found=0
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  targets=$(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u || true)
  for t in $targets; do
    found=1
    echo "fuzz $pkg $t ($fuzztime)"
    go test -run '^$' -fuzz "^${t}\$" -fuzztime "$fuzztime" "$pkg" >/tmp/fuzz-$t.log 2>&1 || { cat /tmp/fuzz-$t.log; exit 1; }
  done
done
[ "$found" = 1 ] || echo "no fuzz targets yet"
