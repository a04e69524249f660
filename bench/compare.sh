#!/usr/bin/env bash
# Alternating rounds of ours / torch.mm / OpenBLAS on the same shape, so background load hits all alike.
# Usage: bench/compare.sh [rounds] [extra speechtok/torch args, e.g. --m 2048 --n 2048 --k 2048 --threads 2]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}; shift || true
args=("$@")
st=src/SpeechTok.Cli/bin/Release/net10.0/speechtok
[ -x "$st" ] || dotnet build src/SpeechTok.Cli -c Release >/dev/null
for r in $(seq 1 "$rounds"); do
  echo "round $r ours     $("$st" bench gemm "${args[@]}" | tr "\n" " ")"
  echo "round $r torch    $(OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/torch_gemm.py "${args[@]}" | tr "\n" " ")"
  echo "round $r openblas $("$st" bench gemm "${args[@]}" --backend openblas | tr "\n" " ")"
done
