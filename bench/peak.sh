#!/usr/bin/env bash
# Prints the machine's FP32 FMA peak in GFLOP/s with THREADS threads, measured (bench/peak.c), not taken
# from a spec sheet. Usage: bench/peak.sh THREADS WORK_DIR
set -euo pipefail
gcc -O3 -march=native -fopenmp "$(dirname "$0")/peak.c" -o "$2/peak"
OMP_NUM_THREADS="$1" "$2/peak" 2>/dev/null
