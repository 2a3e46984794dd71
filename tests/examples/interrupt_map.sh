# SPDX-License-Identifier: MIT
# interrupt_map: SIGINT during a long pool map makes the blocked get() return -EINTR; the
# program reports its progress, terminates the pool and exits 130, well before the map's 10 s.
set -u
prog=$1
out=$(mktemp)
trap 'rm -f "$out"' EXIT
fail() {
  echo "FAIL interrupt_map: $*" >&2
  sed 's/^/  | /' "$out" >&2
  exit 1
}
t0=$(date +%s%N)
"$prog" >"$out" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q "press Ctrl-C" "$out" && break; sleep 0.05; done
grep -q "press Ctrl-C" "$out" || fail "the program did not start its map"
sleep 0.5 # a few tasks run
kill -INT "$pid"
wait "$pid"
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$rc" -eq 130 ] || fail "exit status $rc, expected 130"
grep -Eq "^interrupted after [0-9]+ of 200 tasks; terminating the pool$" "$out" ||
  fail "no 'interrupted after' line"
done=$(sed -n 's/^interrupted after \([0-9]*\) of.*/\1/p' "$out")
[ "$done" -gt 0 ] && [ "$done" -lt 200 ] || fail "$done tasks done at the interrupt"
grep -q "^the pool is stopped$" "$out" || fail "the pool was not stopped"
[ "$ms" -lt 8000 ] || fail "took $ms ms: the interrupt did not stop the map"
echo "PASS interrupt_map ($done tasks done, $ms ms)"
