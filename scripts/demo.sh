#!/usr/bin/env bash
# The main job: builds the built-in espeak-ng speech dataset and runs every system of the paper on it
# with the built-in tokenizer and language model (no model or data file is downloaded; system packages that are
# missing are installed with apt-get).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --demo
dotnet run --project src/SpeechTok.Cli -c Release -- demo "$@"
