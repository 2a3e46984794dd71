# SPDX-License-Identifier: MIT
# pool_progress (not a seed twin): a 2000-element map drawn as a progress bar.  Its stdout is a
# pipe here, so the bar comes as plain lines: at least the first one and the final 100% one,
# done counts rising, then every square checked.
source "$(dirname "$0")/lib.sh"
run_example "$@"

bar='\[[#.]{40}\] +[0-9]+% +[0-9]+/2000'
expect_all_match "$bar|2000 squares in [0-9]+\.[0-9]+ s, 0 wrong"
expect_count 1 '2000 squares in [0-9]+\.[0-9]+ s, 0 wrong'
expect_eq "$(out_lines | tail -n 1 | sed -E 's/ in [0-9.]+ s//')" "2000 squares, 0 wrong" "the last line"
n=$(count_matching "$bar")
# The map takes at least 2000 x 1 ms / 4 workers, so a run shows its start and its end.
[ "$n" -ge 2 ] && [ "$n" -le 12 ] || fail "$n progress lines, expected 2 to 12"
expect_eq "$(out_lines | grep -E "^$bar\$" | tail -n 1)" "[$(printf '#%.0s' {1..40})] 100%  2000/2000" "the final bar"
done_counts=$(out_lines | grep -E "^$bar\$" | sed -E 's|.* ([0-9]+)/2000$|\1|')
prev=-1
for d in $done_counts; do
  [ "$d" -gt "$prev" ] || fail "done count $d after $prev: not rising"
  prev=$d
done
# The bar's width follows the count.
out_lines | grep -E "^$bar\$" | while read -r line; do
  hashes=$(printf '%s' "${line%%]*}" | tr -cd '#' | wc -c)
  d=$(printf '%s' "$line" | sed -E 's|.* ([0-9]+)/2000$|\1|')
  [ "$hashes" -eq $((d * 40 / 2000)) ] || fail "bar '$line': $hashes # for $d done"
done || exit 1
pass
