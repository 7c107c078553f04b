#!/usr/bin/env bash
# Runs one fuzz target for SECONDS (default 600) with a corpus seeded from the project's models.
# Usage: fuzz/run.sh parse_check|compile_run|repl_lines [SECONDS]
set -euo pipefail
cd "$(dirname "$0")"
target=${1:?target: parse_check, compile_run or repl_lines}
seconds=${2:-600}
mkdir -p "corpus/$target"
cp ../examples/*.scm ../tests/data/ok/*.scm ../tests/data/err/*.scm ../tests/data/fuzz/*.scm "corpus/$target/"
extra=()
if [ "$target" = compile_run ]; then extra=(-timeout=10 -rss_limit_mb=4096); fi
cargo +nightly fuzz run "$target" -O -- -max_total_time="$seconds" -max_len=4096 "${extra[@]}" \
  -print_final_stats=1
