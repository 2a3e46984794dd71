#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# run.sh -- the MPI pool's tests: tests/mpi/mpi_check.c under mpirun, on this machine, and on
# three simulated hosts.  Usage: run.sh BUILD_DIR
#
# Local: 4 ranks on localhost, oversubscribed: every call of the pool (forms), a remote task
# error (error), garbage chunk messages sent to a worker (corrupt), every call again with a
# local pool of 2 workers per rank, a worker rank SIGKILLed mid-map under mpirun
# --enable-recovery (kill: the map completes but for the killed rank's chunk) and without it
# (killdefault: mpirun ends the job within seconds, naming the rank).
#
# Hosts: three network namespaces made here (mph1-3 plus this run's pid), joined by veth pairs
# to a bridge in the first, with addresses 10.213.77.1-3 that only this test uses; a small
# agent in place of ssh starts each host's part of the job in its namespace, with a host name
# of its own.  Ranks are spread over the hosts (--map-by node); MPI and the liveness
# connections go over the veths, whose counters the test reads.  The namespaces (and with them
# the veths and the bridge) are removed at the end, whatever happens.
set -euo pipefail
build=$(cd "$1" && pwd)
prog=$build/tests/mpi_check
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# No MPI progress thread spinning on this small machine between the checks' calls.
export OMPI_MCA_mpi_yield_when_idle=1
failures=0
log=$(mktemp)
# Open MPI's shared-memory segments go to a directory of this run rather than /dev/shm: a rank
# the tests SIGKILL cannot leave one there for the leak check to find.
vader=$(mktemp -d)
export OMPI_MCA_btl_vader_backing_directory=$vader
trap 'rm -rf "$log" "$vader"' EXIT

# run NAME EXPECT_RC SECONDS CMD...: runs CMD with a time limit, checks its exit status and
# that it printed "OK <mode>" (unless EXPECT_RC is not 0), shows its output on failure.
run() {
  local name=$1 want=$2 limit=$3 rc=0
  shift 3
  local t0=$SECONDS
  timeout -k 5 "$limit" "$@" >"$log" 2>&1 || rc=$?
  local ok=1
  [ "$rc" = "$want" ] || ok=0
  if [ "$want" = 0 ] && ! grep -q "^OK " "$log"; then ok=0; fi
  if [ $ok = 1 ]; then
    echo "PASS $name ($((SECONDS - t0)) s)"
  else
    echo "FAIL $name: exit status $rc (wanted $want)"
    sed 's/^/  | /' "$log"
    failures=$((failures + 1))
  fi
  return 0
}

no_leftovers() {
  sleep 0.5
  if pgrep -f "$prog" >/dev/null; then
    echo "FAIL $1: ranks left behind:"
    pgrep -af "$prog" | sed 's/^/  | /'
    pkill -9 -f "$prog" || true
    failures=$((failures + 1))
  fi
}

local_np4=(mpirun --oversubscribe --bind-to none -np 4)
run "localhost: every pool call, 4 ranks" 0 120 "${local_np4[@]}" "$prog" forms
run "localhost: remote task error" 0 60 "${local_np4[@]}" "$prog" error
run "localhost: corrupt chunk messages" 0 60 "${local_np4[@]}" "$prog" corrupt
run "localhost: local pools of 2 per rank" 0 120 \
  mpirun --oversubscribe --bind-to none -x MP_MPI_LOCAL_PROCESSES=2 -np 3 "$prog" forms
run "localhost: rank SIGKILLed mid-map, --enable-recovery" 0 120 \
  "${local_np4[@]}" --enable-recovery "$prog" kill
grep -q "^lost 1 of 120 items with rank 3" "$log" || { echo "FAIL kill: no loss line"; failures=$((failures + 1)); }
t0=$SECONDS
run "localhost: rank SIGKILLed mid-map, default (job ends)" 137 60 "${local_np4[@]}" "$prog" killdefault
if ! grep -q "rank 3 .*exited on signal 9" "$log" || [ $((SECONDS - t0)) -gt 20 ]; then
  echo "FAIL killdefault: the lost rank is not named, or it took $((SECONDS - t0)) s"
  sed 's/^/  | /' "$log"
  failures=$((failures + 1))
fi
# the example of docs/scale-out.md
example=$build/examples/mpi_pool_map
if [ -x "$example" ]; then
  rc=0
  timeout -k 5 60 "${local_np4[@]}" "$example" >"$log" 2>&1 || rc=$?
  if [ $rc = 0 ] && grep -q "^4 MPI ranks: rank 0 and 3 pool slots$" "$log" &&
    grep -q "^square over ranks: 0 1 4 9 16 25 36 49 64 81$" "$log" &&
    grep -q "^halve over ranks: sum = 2499975000.0$" "$log"; then
    echo "PASS examples/mpi/mpi_pool_map.c"
  else
    echo "FAIL examples/mpi/mpi_pool_map.c: exit status $rc"
    sed 's/^/  | /' "$log"
    failures=$((failures + 1))
  fi
fi
no_leftovers localhost

# ---- three hosts in network namespaces ----
if ! command -v ip >/dev/null || ! ip netns list >/dev/null 2>&1 || ! command -v unshare >/dev/null; then
  echo "FAIL hosts: needs ip (iproute2) with netns and unshare, as root"
  exit 1
fi
tag=$$
ns=(mph1-$tag mph2-$tag mph3-$tag)
net=10.213.77
agent=$(mktemp)
hosts=$(mktemp)
cleanup() {
  for n in "${ns[@]}"; do ip netns del "$n" 2>/dev/null || true; done
  rm -rf "$agent" "$hosts" "$log" "$vader"
}
trap cleanup EXIT
for n in "${ns[@]}"; do ip netns add "$n"; ip -n "$n" link set lo up; done
ip -n "${ns[0]}" link add br77 type bridge
ip -n "${ns[0]}" link set br77 up
ip -n "${ns[0]}" addr add $net.1/24 dev br77
for i in 2 3; do
  # one veth pair per host, its far end in the host, its near end on the bridge
  ip link add "mpv$i-$tag" type veth peer name "mpb$i-$tag"
  ip link set "mpv$i-$tag" netns "${ns[$((i - 1))]}"
  ip link set "mpb$i-$tag" netns "${ns[0]}"
  ip -n "${ns[$((i - 1))]}" link set "mpv$i-$tag" name eth77
  ip -n "${ns[$((i - 1))]}" addr add $net.$i/24 dev eth77
  ip -n "${ns[$((i - 1))]}" link set eth77 up
  ip -n "${ns[0]}" link set "mpb$i-$tag" master br77
  ip -n "${ns[0]}" link set "mpb$i-$tag" up
done
# The agent mpirun runs instead of ssh: "agent [options] HOST COMMAND..."
cat >"$agent" <<AGENT
#!/bin/sh
while [ \$# -gt 0 ]; do case "\$1" in -*) shift ;; *) break ;; esac; done
host=\$1; shift
i=\${host##*.}
exec ip netns exec mph\$i-$tag unshare --uts sh -c "hostname h\$i; \$*"
AGENT
chmod +x "$agent"
printf '%s slots=2\n' $net.1 $net.2 $net.3 >"$hosts"
hosts_run=(ip netns exec "${ns[0]}" unshare --uts sh -c "hostname h1; exec \"\$0\" \"\$@\""
  mpirun --oversubscribe --bind-to none --hostfile "$hosts" --map-by node
  --mca plm_rsh_agent "$agent" --mca btl tcp,self --mca btl_tcp_if_include $net.0/24
  --mca oob_tcp_if_include $net.0/24)
rx_before=$(ip netns exec "${ns[1]}" cat /sys/class/net/eth77/statistics/rx_packets)
run "3 hosts: every pool call, 4 ranks" 0 180 "${hosts_run[@]}" -np 4 "$prog" forms
rx_after=$(ip netns exec "${ns[1]}" cat /sys/class/net/eth77/statistics/rx_packets)
if [ $((rx_after - rx_before)) -lt 100 ]; then
  echo "FAIL hosts: only $((rx_after - rx_before)) packets reached host 2"
  failures=$((failures + 1))
else
  echo "PASS hosts: $((rx_after - rx_before)) packets reached host 2 over its veth"
fi
run "3 hosts: remote task error" 0 60 "${hosts_run[@]}" -np 4 "$prog" error
run "3 hosts: rank on another host SIGKILLed mid-map" 0 120 \
  "${hosts_run[@]}" -np 4 --enable-recovery -x MPI_CHECK_VICTIM=1 "$prog" kill
grep -q "^lost 1 of 120 items with rank 1" "$log" || { echo "FAIL hosts kill: no loss line"; failures=$((failures + 1)); }
no_leftovers hosts

[ $failures = 0 ] && echo "mpi: all passed" || echo "mpi: $failures failed"
[ $failures = 0 ]
