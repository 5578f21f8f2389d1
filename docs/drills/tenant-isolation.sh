#!/bin/bash
# Acceptance drill for issue 17 (tenant networks): two tenants with a process, a container, a tinyx and a unikernel
# instance each (the iperf3 VNF). From the network namespace of every process and container instance (the guests have no
# shell to probe from) it probes every other instance: TCP to port 5201, ICMP echo, and ARP (the neighbour entry after a
# probe); prints one table row per pair with the expectation (same tenant: all pass; other tenant: all fail).
# Run as root from the repository: ./docs/drills/tenant-isolation.sh. It uses its own lab and removes it at the end.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export LIGHTNFV_STATE_DIR=/var/tmp/lnfv-isodrill LIGHTNFV_LAB=lnfv-isodrill LIGHTNFV_CGROUP=lnfv-isodrill LIGHTNFV_SUBNET=10.89.0.0/16
unset LIGHTNFV_SOCKET LIGHTNFV_TOKEN
lnfv() { "$root/lightnfv" "$@"; }
trap 'lnfv down >/dev/null 2>&1 || true; rm -rf "$LIGHTNFV_STATE_DIR"' EXIT
techs=(${ISO_TECHS:-process container tinyx unikernel})
for t in a b; do lnfv tenant create "iso-$t" >/dev/null; done
for t in a b; do
  for tech in "${techs[@]}"; do
    sed -e "s/^  name: iperf3/  name: $tech-$t\n  tenant: iso-$t/" -e "s/technology: process/technology: $tech/" \
      "$root/examples/iperf3.yaml" > "/tmp/iso-$tech-$t.yaml"
    lnfv run -f "/tmp/iso-$tech-$t.yaml" >/dev/null
    rm -f "/tmp/iso-$tech-$t.yaml"
  done
done
lnfv ps -A -o json > /tmp/iso-ps.json
mapfile -t rows < <(python3 -c '
import json
for i in json.load(open("/tmp/iso-ps.json")):
    print(i["name"], i["tenant"], i["technology"], i["address"], i.get("pid") or 0)')
echo "$(grep -c "\"id\"" /tmp/iso-ps.json) instance(s) listed" >&2; rm -f /tmp/iso-ps.json
ok=0; bad=0
printf '| from | to | same tenant | TCP 5201 | ICMP | ARP | as expected |\n|---|---|---|---|---|---|---|\n'
for src in "${rows[@]}"; do
  read -r sname stenant stech saddr spid <<< "$src"
  case $stech in process|container) ;; *) continue ;; esac
  for dst in "${rows[@]}"; do
    read -r dname dtenant dtech daddr dpid <<< "$dst"
    [ "$sname" = "$dname" ] && continue
    inns() { nsenter -t "$spid" -n "$@"; }
    dev=$(inns ip -o route get "$daddr" 2>/dev/null | sed -n 's/.* dev \([^ ]*\).*/\1/p' || true)
    [ -n "$dev" ] && inns ip neigh del "$daddr" dev "$dev" 2>/dev/null || true
    tcp=fail; inns timeout 3 bash -c "exec 3<>/dev/tcp/$daddr/5201" 2>/dev/null && tcp=pass
    icmp=fail; inns ping -c1 -W1 "$daddr" >/dev/null 2>&1 && icmp=pass
    arp=fail; inns ip neigh show "$daddr" 2>/dev/null | grep -q lladdr && arp=pass
    same=no; want=fail; [ "$stenant" = "$dtenant" ] && { same=yes; want=pass; }
    good=yes; for r in $tcp $icmp $arp; do [ "$r" = "$want" ] || good=NO; done
    [ $good = yes ] && ok=$((ok+1)) || bad=$((bad+1))
    printf '| %s (%s) | %s (%s) | %s | %s | %s | %s | %s |\n' "$sname" "$stenant" "$dname" "$dtenant" "$same" "$tcp" "$icmp" "$arp" "$good"
  done
done
echo; echo "$ok pair(s) as expected, $bad not"
[ $bad -eq 0 ]
