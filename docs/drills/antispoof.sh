#!/bin/sh
# Drill for issue 17 item 2 (kept as the measurement that led to the design in the code, PortGuard: named sets changed
# over nfnetlink, not rules per port): checks on this kernel that nftables bridge-family rules in the lab
# namespace drop a port's frames with another MAC, IPv4 source or ARP sender, count them per port, and can be
# added and removed per port without rule handles (a verdict map keyed by port name, one chain and one named
# counter per port). Prints the cost of adding and removing one port's rules with nft(8). Cleans up after itself.
set -eu
LAB=lnfvspoof; A=$LAB-a; B=$LAB-b
cleanup() { for n in $LAB $A $B; do ip netns del $n 2>/dev/null || true; done; }
trap cleanup EXIT; cleanup
ip netns add $LAB; ip netns add $A; ip netns add $B
ip -n $LAB link add br1 type bridge; ip -n $LAB link set br1 up
for x in a b; do
  ip -n $LAB link add pa$x master br1 up type veth peer name eth0 netns $LAB-$x
  ip -n $LAB-$x link set eth0 address 02:4e:00:00:00:0$( [ $x = a ] && echo 2 || echo 3 ) up
done
ip -n $A addr add 10.99.0.2/24 dev eth0; ip -n $B addr add 10.99.0.3/24 dev eth0
nft() { ip netns exec $LAB nft "$@"; }
nft -f - <<NFT
table bridge lnfv {
  map ports { type ifname : verdict; }
  chain guard { type filter hook prerouting priority -200; policy accept; iifname vmap @ports; }
}
NFT
guard() { # port mac ip
  nft -f - <<NFT
add counter bridge lnfv spoof_$1
add chain bridge lnfv p_$1
add rule bridge lnfv p_$1 ether saddr != $2 counter name spoof_$1 drop
add rule bridge lnfv p_$1 ether type ip ip saddr != $3 counter name spoof_$1 drop
add rule bridge lnfv p_$1 ether type arp arp saddr ether != $2 counter name spoof_$1 drop
add rule bridge lnfv p_$1 ether type arp arp saddr ip != $3 counter name spoof_$1 drop
add element bridge lnfv ports { "$1" : jump p_$1 }
NFT
}
t0=$(date +%s%N); guard paa 02:4e:00:00:00:02 10.99.0.2; t1=$(date +%s%N); guard pab 02:4e:00:00:00:03 10.99.0.3
ip netns exec $A ping -c1 -W1 10.99.0.3 >/dev/null && echo "honest ping a -> b: ok"
# Spoofed source IP: a claims 10.99.0.9.
ip -n $A addr add 10.99.0.9/32 dev eth0
ip netns exec $A ping -c2 -W1 -I 10.99.0.9 10.99.0.3 >/dev/null 2>&1 && echo "spoofed ping: LEAKED" || echo "spoofed source IP: dropped"
# Spoofed ARP reply: a claims b's address (gratuitous reply with sender ip 10.99.0.3).
ip netns exec $A python3 - <<'PY'
import socket, struct
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); s.bind(("eth0", 0))
me = bytes.fromhex("024e00000002"); bc = b"\xff" * 6
arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 2) + me + socket.inet_aton("10.99.0.3") + bc + socket.inet_aton("10.99.0.3")
s.send(bc + me + b"\x08\x06" + arp)
PY
echo "counter of a's port:"; nft list counter bridge lnfv spoof_paa | grep packets
t2=$(date +%s%N)
nft -f - <<NFT
delete element bridge lnfv ports { "paa" }
delete chain bridge lnfv p_paa
delete counter bridge lnfv spoof_paa
NFT
t3=$(date +%s%N)
echo "add one port's rules: $(( (t1-t0)/1000 )) us, remove them: $(( (t3-t2)/1000 )) us (nft(8) spawn included)"
nft delete table bridge lnfv
