#!/bin/sh
# mpi-two-namespaces.sh — two "hosts" on one machine for MPI over TCP: network namespaces
# NAME-a (10.231.X.1) and NAME-b (10.231.X.2) joined by a veth pair, and an rsh agent that starts
# Open MPI's daemon inside the namespace of the host it is asked for (mpirun's plm_rsh_agent).
#
#   Scripts/mpi-two-namespaces.sh up NAME X     make the namespaces (X: 0–255, the subnet)
#   Scripts/mpi-two-namespaces.sh run NAME X N -- PROGRAM ARGS…
#                                               mpirun -np N (ranks alternate between the two
#                                               hosts) from inside NAME-a, MPI over TCP on the veth only
#   Scripts/mpi-two-namespaces.sh down NAME     remove them
#   Scripts/mpi-two-namespaces.sh agent HOST COMMAND…   (called by mpirun)
#
# Needs root (or CAP_NET_ADMIN) and iproute2. The agent is a local child of mpirun, so every rank
# inherits mpirun's environment. Used by the MPI tests (MPITwoHostsTests).
set -eu
action=$1; shift
case "$action" in
up)
    name=$1 net=$2
    ip netns add "$name-a"
    ip netns add "$name-b"
    ip link add "$name-va" type veth peer name "$name-vb"
    ip link set "$name-va" netns "$name-a"
    ip link set "$name-vb" netns "$name-b"
    ip -n "$name-a" addr add "10.231.$net.1/24" dev "$name-va"
    ip -n "$name-b" addr add "10.231.$net.2/24" dev "$name-vb"
    for side in a b; do
        ip -n "$name-$side" link set lo up
        ip -n "$name-$side" link set "$name-v$side" up
    done
    ;;
run)
    name=$1 net=$2 ranks=$3; shift 4
    root=""
    [ "$(id -u)" = 0 ] && root="--allow-run-as-root"
    exec ip netns exec "$name-a" env DICEKIT_NETNS="$name" DICEKIT_NETNS_NET="$net" \
        mpirun $root --oversubscribe --bind-to none -np "$ranks" \
        --host "10.231.$net.1:$ranks,10.231.$net.2:$ranks" --map-by node \
        --mca plm_rsh_agent "$(cd "$(dirname "$0")" && pwd)/mpi-two-namespaces.sh agent" \
        --mca btl tcp,self --mca btl_tcp_if_include "10.231.$net.0/24" --mca oob_tcp_if_include "10.231.$net.0/24" \
        "$@"
    ;;
agent)
    host=$1; shift
    case "$host" in
    *.2) side=b ;;
    *) side=a ;;
    esac
    exec ip netns exec "$DICEKIT_NETNS-$side" sh -c "$*"
    ;;
down)
    name=$1
    ip netns del "$name-a" 2>/dev/null || true
    ip netns del "$name-b" 2>/dev/null || true
    ;;
*)
    echo "usage: $0 up NAME X | run NAME X N -- PROGRAM ARGS… | down NAME" >&2
    exit 2
    ;;
esac
