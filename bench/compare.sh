#!/usr/bin/env bash
# Alternating rounds on the same shape, so background load hits every backend alike:
#   gemm (default): ours / torch.mm / OpenBLAS;   lm-step: ours / PyTorch (bench/torch_lm_step.py).
# Usage: bench/compare.sh [rounds] [lm-step] [extra args for both sides]
#   e.g. bench/compare.sh 3 --m 2048 --n 2048 --k 2048 --threads 2
#        bench/compare.sh 3 lm-step --shape builtin-lm --workload full --batch 16 --seq 256 --threads 2 --steps 2
# torch is Debian's python3-torch 1.13 (/usr/bin/python3) on the system BLAS: install libopenblas0-pthread first
# (with only the reference libblas its matmuls run at ~3 GFLOP/s and the comparison means nothing).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}; shift || true
what=gemm
if [ "${1:-}" = lm-step ]; then what=lm-step; shift; fi
args=("$@")
st=src/SpeechTok.Cli/bin/Release/net10.0/speechtok
[ -x "$st" ] || dotnet build src/SpeechTok.Cli -c Release >/dev/null
for r in $(seq 1 "$rounds"); do
  if [ "$what" = gemm ]; then
    echo "round $r ours     $("$st" bench gemm "${args[@]}" | tr "\n" " ")"
    echo "round $r torch    $(OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/torch_gemm.py "${args[@]}" | tr "\n" " ")"
    echo "round $r openblas $("$st" bench gemm "${args[@]}" --backend openblas | tr "\n" " ")"
  else
    echo "round $r ours  $("$st" bench lm-step "${args[@]}" --json)"
    echo "round $r torch $(OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/torch_lm_step.py "${args[@]}")"
  fi
done
