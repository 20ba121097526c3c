#!/usr/bin/env bash
# Runs every Go fuzz target in the module for the given time each.
#   internal/tools/fuzz.sh 10s        # every target, 10 s each (make fuzz FUZZTIME=10s)
#   internal/tools/fuzz.sh 2s         # the short pass of make test (make fuzz-short)
# A crash makes the script fail; Go saves the crashing input under the
# package's testdata/fuzz/<Target>/, where it stays as a regression seed
# that plain `go test` runs from then on. Fix the bug, keep the file.
set -euo pipefail
fuzztime=${1:-10s}
cd "$(dirname "$0")/../.."
logdir=$(mktemp -d)
trap 'rm -rf "$logdir"' EXIT
# seed_count prints how many saved inputs a target has.
seed_count() { if [ -d "$1" ]; then find "$1" -type f | wc -l; else echo 0; fi; }
found=0
start=$(date +%s)
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  targets=$(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u || true)
  for t in $targets; do
    found=1
    log="$logdir/$(echo "$pkg" | tr '/' '_')-$t.log"
    echo "fuzz $pkg $t ($fuzztime)"
    seeds="$dir/testdata/fuzz/$t"
    before=$(seed_count "$seeds")
    ok=0
    for _ in 1 2; do
      if go test -run '^$' -fuzz "^${t}\$" -fuzztime "$fuzztime" "$pkg" >"$log" 2>&1; then ok=1; break; fi
      # Go's fuzzing coordinator sometimes ends a run with "context
      # deadline exceeded" and no crasher when -fuzztime runs out mid
      # input. Only a failure that saved an input is a finding; try once
      # more otherwise.
      [ "$(seed_count "$seeds")" -gt "$before" ] && break
      grep -q 'context deadline exceeded' "$log" || break
      echo "  (fuzzing ended without a crasher: $(grep -m1 'deadline' "$log"); running again)"
    done
    if [ "$ok" = 0 ]; then
      cat "$log"
      echo "FAIL: $pkg $t; the crashing input is in $dir/testdata/fuzz/$t/ — fix the bug and keep the file as a regression seed" >&2
      exit 1
    fi
  done
done
[ "$found" = 1 ] || echo "no fuzz targets yet"
echo "fuzzing done in $(( $(date +%s) - start )) s"
