#!/usr/bin/env bash
# Compares the gateway figures of an earlier commit with the working tree's, in one sitting:
#   bench/compare.sh <git-ref> [runs]
# On a shared VM the same build's figures move by tens of percent from one minute to the next,
# so builds are only comparable when their runs alternate. This checks <git-ref> out into a
# temporary worktree, gives it this tree's bench/ (the same instrument measures both), builds
# both with tsc (the benchmark runs the built relay, as `npm start` does) and runs
# `bench/gateway.ts` there and here in turn, `runs` times each (3 rounds of 3 s per run),
# printing each run's relay/proxy lines.
set -euo pipefail
ref=${1:?usage: bench/compare.sh <git-ref> [runs]}
runs=${2:-3}
here=$(git rev-parse --show-toplevel)
tmp=$(mktemp -d)
git -C "$here" worktree add --quiet --detach "$tmp/base" "$ref"
ln -s "$here/node_modules" "$tmp/base/node_modules"
trap 'git -C "$here" worktree remove --force "$tmp/base"; rm -rf "$tmp"' EXIT
rm -rf "$tmp/base/bench" && cp -r "$here/bench" "$tmp/base/bench"
for dir in "$tmp/base" "$here"; do (cd "$dir" && npx tsc -p tsconfig.build.json); done
for i in $(seq "$runs"); do
  for dir in "$tmp/base" "$here"; do
    label=$([ "$dir" = "$here" ] && echo "working tree" || echo "$ref")
    echo "== $label, run $i of $runs ($(date -u +%H:%M:%S) UTC, load $(cut -d' ' -f1 /proc/loadavg))"
    (cd "$dir" && npx tsx bench/gateway.ts --rounds 3 --seconds 3 | awk '/^CPU per request/ { show = 1 } /^$/ { show = 0 } show || /^relay\/proxy/')
  done
done
