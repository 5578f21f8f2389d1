#!/usr/bin/env bash
# Runs the whole test suite (unit and integration; integration tests need root and real namespaces) and
# prints the totals as one line: "N passed, N failed, N skipped".
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
dotnet test "$root/LightNfv.slnx" -c Release -nologo 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
read -r passed failed skipped < <(awk '
  /(Passed|Failed)! *- *Failed: *[0-9]+, *Passed: *[0-9]+, *Skipped: *[0-9]+/ {
    match($0, /Failed: *[0-9]+/);  f += substr($0, RSTART + 7, RLENGTH - 7)
    match($0, /Passed: *[0-9]+/);  p += substr($0, RSTART + 7, RLENGTH - 7)
    match($0, /Skipped: *[0-9]+/); s += substr($0, RSTART + 8, RLENGTH - 8)
  }
  END { printf "%d %d %d\n", p, f, s }' "$log")
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1 # the build or a test host failed before any test could report
fi
echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
