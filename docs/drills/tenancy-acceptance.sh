#!/usr/bin/env bash
# Issue 16 acceptance on a real daemon: two tenants with an operator token each; neither sees, reads or changes
# the other's VNFs, instances, events or audit records (CLI through the API); quota refusals on scale and run
# (exit 7); audit verify passes, then fails naming the record after one is edited in the SQLite file. Run as root
# from an empty directory (it writes web-a.yaml, web-b.yaml and serve logs there); removes everything it made.
set -u
export LIGHTNFV_STATE_DIR=/var/tmp/lnfv-drill16 LIGHTNFV_LAB=lnfv-drill16 LIGHTNFV_CGROUP=lnfv-drill16 LIGHTNFV_SUBNET=10.91.0.0/16
unset LIGHTNFV_SOCKET LIGHTNFV_TOKEN
L="$(cd "$(dirname "$0")/../.." && pwd)/lightnfv"
x() { echo "\$ lightnfv $*"; "$L" "$@"; echo "  -> exit $?"; }
for t in a b; do cat > web-$t.yaml <<Y
apiVersion: lightnfv/v1
kind: Vnf
metadata:
  name: web-$t
  tenant: team-$t
spec:
  technology: process
  app:
    builtin: tcp-echo
Y
done
"$L" serve > serve.log 2>&1 &
SP=$!
for i in $(seq 50); do [ -S $LIGHTNFV_STATE_DIR/lightnfv.sock ] && break; sleep 0.2; done
x tenant create team-a --max-instances 2
x tenant create team-b
A=$("$L" token create op-a --tenant team-a --role operator 2>/dev/null)
B=$("$L" token create op-b --tenant team-b --role operator 2>/dev/null)
x --token "$A" vnf create -f web-a.yaml
x --token "$B" vnf create -f web-b.yaml
x --token "$A" vnf instantiate web-a --replicas 2 --wait
x --token "$B" vnf instantiate web-b --wait
x --token "$A" vnf ls
x --token "$A" ps -A
BID=$("$L" ps -A -o json | python3 -c 'import json,sys; print([i["id"] for i in json.load(sys.stdin) if i.get("tenant")=="team-b"][0])')
x --token "$A" inspect "$BID"
x --token "$A" inspect ffffffffffff
x --token "$A" vnf terminate web-b --tenant team-b
x --token "$A" events -o json | grep -c team-b
x --token "$A" audit -o json | grep -c team-b
x --token "$A" vnf scale web-a 3 --wait
x --token "$A" run -f web-a.yaml
x audit verify
kill $SP; wait $SP 2>/dev/null
DB=$LIGHTNFV_STATE_DIR/lightnfv.db
python3 - "$DB" <<'P'
import sqlite3,sys
c=sqlite3.connect(sys.argv[1]); cols=[r[1] for r in c.execute("PRAGMA table_info(audit)")]; print("audit columns:",cols)
seq=c.execute("SELECT min(rowid) FROM audit").fetchone()[0]+2
c.execute("UPDATE audit SET tenant='team-zz' WHERE rowid=?",(seq,)); c.commit(); print("edited rowid",seq)
P
x audit verify
"$L" serve > serve2.log 2>&1 & SP=$!
for i in $(seq 50); do "$L" ps >/dev/null 2>&1 && break; sleep 0.2; done
"$L" vnf terminate web-a --tenant team-a --wait >/dev/null 2>&1; "$L" vnf terminate web-b --tenant team-b --wait >/dev/null 2>&1
kill $SP; wait $SP 2>/dev/null
"$L" down >/dev/null 2>&1
ip netns list | grep drill16 || echo "no drill netns left"
rm -rf $LIGHTNFV_STATE_DIR
