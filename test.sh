#!/usr/bin/env bash
# Runs the whole test suite (unit and integration; integration tests need root and real namespaces), lists every
# skipped test's reason once, grouped, and ends with the totals as one line: "N passed, N failed, N skipped".
# A test that lacks a capability here (root, /dev/kvm, a cgroup version, dockerd) is skipped, never passed.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# The totals come from each test project's summary line; the skip reasons from its TRX file.
dotnet test "$root/LightNfv.slnx" -c Release -nologo --logger "trx;LogFilePrefix=lightnfv" --results-directory "$work/trx" 2>&1 | tee "$work/log"
status=${PIPESTATUS[0]}
python3 - "$work/trx" "$status" "$work/log" <<'EOF'
import collections, glob, re, sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
skipped = collections.defaultdict(list)
for path in sorted(glob.glob(sys.argv[1] + "/*.trx")):
    for r in ET.parse(path).getroot().iterfind(".//t:UnitTestResult", ns):
        if r.get("outcome") == "NotExecuted":
            reason = (r.findtext("t:Output/t:ErrorInfo/t:Message", "", ns) or "no reason given").strip()
            skipped[reason].append(r.get("testName"))
if skipped:
    print("\nSkipped tests, by reason:")
    for reason, tests in sorted(skipped.items(), key=lambda kv: -len(kv[1])):
        print(f"  {len(tests)} x {reason}")
        for name in sorted(tests):
            print(f"      {name}")
totals = collections.Counter()
for line in open(sys.argv[3], errors="replace"):
    m = re.search(r"(?:Passed|Failed|Skipped)! *- *Failed: *(\d+), *Passed: *(\d+), *Skipped: *(\d+)", line)
    if m:
        totals.update(failed=int(m[1]), passed=int(m[2]), skipped=int(m[3]))
# The build or a test host that failed before any test could report is one failure, not zero.
failed = totals["failed"] or (1 if sys.argv[2] != "0" else 0)
print(f"\n{totals['passed']} passed, {failed} failed, {totals['skipped']} skipped")
EOF
exit "$status"
