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
if [ "$target" = compile_run ]; then extra=(-timeout=30 -rss_limit_mb=4096); fi
# -detect_leaks=0: LeakSanitizer reports glibc's thread-local bookkeeping of rayon's threads,
# not a leak of whatif's. nice: the fuzzer yields to everything else on the machine (so the
# timeout, wall-clock time, allows 30 s: an input that slow at nice 19 is looked at alone).
nice -n 19 cargo +nightly fuzz run "$target" -O -- -max_total_time="$seconds" -max_len=4096 \
  -detect_leaks=0 "${extra[@]}" -print_final_stats=1
