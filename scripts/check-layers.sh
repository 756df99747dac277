#!/usr/bin/env bash
# The import rule of the README's architecture table, checked on the source text:
#  - every module imports only modules of a lower layer (or itself);
#  - the stages (ingest, audit, kpis, score, proof, report, deliver) never import each other;
#  - the lake layout (`period=`, `month=`, `rev=` in paths) is formatted in src/lake/layout.rs only.
# Prints each violation with its file and line; exits 1 if there is any. Run from anywhere.
set -euo pipefail
cd "$(dirname "$0")/.."

# Layer of each top-level module of src/ (higher imports lower).
declare -A layer=(
  [exit]=0 [period]=0 [progress]=0 [net]=0 [cron]=0 [datasets]=0
  [sql]=1
  [config]=2
  [lake]=3 [document]=3
  [engine]=4
  [ingest]=5 [audit]=5 [kpis]=5 [score]=5 [proof]=5 [report]=5 [deliver]=5
  [close]=6 [validate]=6
  [error]=7
  [cli]=8 [lib]=9 [main]=9
)

module_of() { # src/close/plan.rs -> close, src/period.rs -> period
  local rel=${1#src/}
  rel=${rel%%/*}
  echo "${rel%.rs}"
}

violations=0
report() {
  echo "$1"
  violations=$((violations + 1))
}

while IFS= read -r file; do
  self=$(module_of "$file")
  own=${layer[$self]:-}
  if [ -z "$own" ]; then
    report "$file: module \`$self\` has no layer in scripts/check-layers.sh (add it, and to the README's architecture table)"
    continue
  fi
  # `crate::X` anywhere outside comments, including inside `use crate::{a, b}` groups.
  while IFS=: read -r line text; do
    for used in $(grep -oE 'crate::[a-z_]+' <<<"$text" | sed 's/crate:://' | sort -u); do
      [ "$used" = "$self" ] && continue
      theirs=${layer[$used]:-}
      if [ -z "$theirs" ]; then
        report "$file:$line: imports \`$used\`, which has no layer"
      elif [ "$theirs" -gt "$own" ]; then
        report "$file:$line: \`$self\` (layer $own) imports \`$used\` (layer $theirs), above it"
      elif [ "$theirs" -eq "$own" ] && [ "$own" -eq 5 ]; then
        report "$file:$line: stage \`$self\` imports stage \`$used\`: share a record of the lake layer instead"
      fi
    done
    # `use crate::{a::x, b::y}` groups name their modules without the prefix.
    if grep -qE '^\s*(pub )?use crate::\{' <<<"$text"; then
      for used in $(sed -E 's/.*use crate::\{//; s/[{}]//g' <<<"$text" | tr ',' '\n' | sed -E 's/^\s*([a-z_]+).*/\1/' | sort -u); do
        theirs=${layer[$used]:-}
        [ -n "$theirs" ] && [ "$theirs" -gt "$own" ] && report "$file:$line: \`$self\` imports \`$used\`, above it"
      done
    fi
  done < <(grep -nE 'crate::' "$file" | grep -vE '^[0-9]+:\s*//')
done < <(find src -name '*.rs' | sort)

# The layout's one home.
while IFS= read -r hit; do
  report "$hit: formats a lake path; use src/lake/layout.rs"
done < <(grep -rnE '"[^"]*(period=|month=|rev=)' src --include='*.rs' | grep -v '^src/lake/layout.rs:' | grep -vE '^[^:]+:[0-9]+:\s*//')

if [ "$violations" -gt 0 ]; then
  echo "$violations import(s) or path(s) break the layering (README, \"Architecture\")"
  exit 1
fi
echo "layers: every import points down; the lake layout is formatted in src/lake/layout.rs only"
