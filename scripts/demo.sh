#!/usr/bin/env bash
# The main job: builds the built-in espeak-ng speech dataset and runs every system of the paper on it
# with the built-in tokenizer and language model (nothing is downloaded).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
dotnet run --project src/SpeechTok.Cli -c Release -- demo "$@"
