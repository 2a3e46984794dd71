#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# callgraph.sh -- which source file calls (or refers to) which, read from the object files of a
# build with nm: an edge a.c -> b.c means a.c uses a symbol that b.c defines.  Prints the edges
# whose two ends are both under PREFIX, then any loop among them (tsort finds those).
#   scripts/callgraph.sh build-dev src/manager    # the manager's files
#   scripts/callgraph.sh build-dev src            # every folder: use --dirs to fold files
#   scripts/callgraph.sh --dirs build-dev src     # folder -> folder edges (the layers)
# Exits 1 when there is a loop.
set -euo pipefail
dirs=0
if [ "${1:-}" = --dirs ]; then
  dirs=1
  shift
fi
build=${1:?build directory}
prefix=${2:-src}
objdir="$build/CMakeFiles/mp_objects.dir"
[ -d "$objdir" ] || { echo "callgraph: no objects under $objdir (build first)" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# One line per (file, symbol): D for a definition, U for a use.
find "$objdir/$prefix" -name '*.c.o' | sort | while read -r o; do
  src=${o#"$objdir"/}
  src=${src%.o}
  [ "$dirs" = 1 ] && src=$(dirname "$src")
  nm "$o" | awk -v f="$src" '$1 == "U" { print f, "U", $2; next }
                             $2 ~ /^[TDBR]$/ { print f, "D", $3 }'
done >"$tmp/syms"

awk '$2 == "D" { def[$3] = $1 }
     $2 == "U" { use[NR] = $1 " " $3 }
     END { for (i in use) { split(use[i], p, " ");
             if ((p[2] in def) && def[p[2]] != p[1]) print p[1], def[p[2]], p[2] } }' \
  "$tmp/syms" | sort -u >"$tmp/edges"

awk '{ k = $1 " -> " $2; if (k in s) s[k] = s[k] "," $3; else s[k] = $3 }
     END { for (k in s) print k "   (" s[k] ")" }' "$tmp/edges" | sort

awk '{ print $1, $2 }' "$tmp/edges" | sort -u >"$tmp/pairs"
if tsort "$tmp/pairs" >/dev/null 2>"$tmp/loops"; then
  echo "no loop"
else
  echo "loops:"
  awk '/input contains a loop/ { if (l != "") print "  " l; l = ""; next }
       { sub(/^tsort: /, ""); l = (l == "") ? $0 : l " -> " $0 }
       END { if (l != "") print "  " l }' "$tmp/loops"
  exit 1
fi
