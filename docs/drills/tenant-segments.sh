#!/bin/sh
# Drill behind issue 17 item 1: one bridge per tenant vs VLAN filtering on one bridge.
# Makes T tenant segments with P ports each (veth, instance end created in its own netns) in a scratch lab
# namespace, both ways, and reports the time per segment, per port and the kernel memory used (Slab + Percpu).
# "flat" is today's layout (every port on one bridge, T=1) for the per-port baseline.
# Run as root on a quiet machine: ./tenant-segments.sh [T] [P]. Everything it makes is deleted before it exits.
set -eu
T=${1:-8}; P=${2:-16}; LAB=lnfvdrill
ms() { date +%s%N; }
mem() { awk '/^(Slab|Percpu):/ {s+=$2} END {print s}' /proc/meminfo; }
cleanup() { for n in $(ip netns list | awk '{print $1}' | grep "^$LAB" || true); do ip netns del "$n"; done; }
trap cleanup EXIT
run() {
  mode=$1; cleanup; ip netns add $LAB; m0=$(mem)
  if [ $mode = vlan ] && ! ip -n $LAB link add br0 type bridge vlan_filtering 1 2>/dev/null; then
    echo "vlan: unsupported by this kernel (bridge vlan_filtering: Operation not supported; no 8021q link type)"; cleanup; return; fi
  [ $mode = vlan ] && ip -n $LAB link del br0
  b=/tmp/$LAB.batch; : > $b
  t0=$(ms)
  if [ $mode = vlan ]; then
    ip -n $LAB link add br0 type bridge vlan_filtering 1; ip -n $LAB link set br0 up
  fi
  for t in $(seq 1 $T); do
    if [ $mode = flat ] && [ $t -gt 1 ]; then :
    elif [ $mode != vlan ]; then
      echo "link add br$t type bridge" >> $b; echo "addr add 10.99.$t.1/24 dev br$t" >> $b; echo "link set br$t up" >> $b
    else
      echo "link add link br0 name br0.$t type vlan id $((t+1))" >> $b; echo "addr add 10.99.$t.1/24 dev br0.$t" >> $b; echo "link set br0.$t up" >> $b
    fi
  done
  ip -n $LAB -batch $b
  [ $mode = vlan ] && for t in $(seq 1 $T); do bridge -n $LAB vlan add dev br0 vid $((t+1)) self; done
  t1=$(ms); : > $b; bb=/tmp/$LAB.bridge; : > $bb
  for t in $(seq 1 $T); do for p in $(seq 1 $P); do ip netns add $LAB-$t-$p; done; done
  t2=$(ms)
  for t in $(seq 1 $T); do for p in $(seq 1 $P); do
    if [ $mode != vlan ]; then
      [ $mode = flat ] && br=br1 || br=br$t
      echo "link add v$t-$p master $br up type veth peer name eth0 netns $LAB-$t-$p" >> $b
    else
      echo "link add v$t-$p master br0 up type veth peer name eth0 netns $LAB-$t-$p" >> $b
      echo "vlan del dev v$t-$p vid 1" >> $bb; echo "vlan add dev v$t-$p vid $((t+1)) pvid untagged" >> $bb
    fi
  done; done
  ip -n $LAB -batch $b; [ $mode = vlan ] && bridge -n $LAB -batch $bb
  t3=$(ms); m1=$(mem)
  # Isolation check: segment 1's gateway must not answer from segment 2 (no forwarding), and does from segment 1.
  ip -n $LAB-1-1 addr add 10.99.1.2/24 dev eth0; ip -n $LAB-1-1 link set eth0 up
  ip -n $LAB-2-1 addr add 10.99.1.3/24 dev eth0; ip -n $LAB-2-1 link set eth0 up
  same=$(ip netns exec $LAB-1-1 ping -c1 -W1 10.99.1.1 >/dev/null 2>&1 && echo ok || echo FAIL)
  cross=$(ip netns exec $LAB-2-1 ping -c1 -W1 10.99.1.2 >/dev/null 2>&1 && echo LEAK || echo blocked)
  echo "$mode: $T segments in $(( (t1-t0)/1000 )) us ($(( (t1-t0)/1000/T )) us each); $((T*P)) ports in $(( (t3-t2)/1000 )) us ($(( (t3-t2)/1000/(T*P) )) us each); kernel memory +$((m1-m0)) KiB; same-segment $same, cross-segment $cross"
  cleanup
}
run flat; run bridge; run vlan; run flat; run bridge; run vlan
