#!/usr/bin/env bash
# The test command: installs what the tests need, then runs the whole suite (unit + conformance).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
dotnet test SpeechTok.slnx -c Release --logger "console;verbosity=normal" "$@"
