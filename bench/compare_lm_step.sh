#!/usr/bin/env bash
# Alternating rounds of ours / PyTorch on the same `bench lm-step` shape and workload, so background load
# hits both alike. Both print s_per_step and cpu_s_per_step (CPU time is the steadier figure on a shared machine).
# Usage: bench/compare_lm_step.sh [rounds] [args for both, e.g. --shape builtin-lm --workload full --batch 16 --seq 256 --threads 2 --steps 2]
# torch is Debian's python3-torch 1.13 (/usr/bin/python3); it uses the system BLAS, so install libopenblas0-pthread
# first (with only the reference libblas, torch's matmuls run at ~3 GFLOP/s and the comparison means nothing).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}; shift || true
args=("$@")
st=src/SpeechTok.Cli/bin/Release/net10.0/speechtok
[ -x "$st" ] || dotnet build src/SpeechTok.Cli -c Release >/dev/null
for r in $(seq 1 "$rounds"); do
  echo "round $r ours  $("$st" bench lm-step "${args[@]}" --json)"
  echo "round $r torch $(OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/torch_lm_step.py "${args[@]}")"
done
