#!/usr/bin/env python3
"""Debate transcripts for continued pre-training (`speechtok lm train --init-from`), from MM-USED-fallacy's AFD CSV.

One UTF-8 file per debate (e.g. `13_1988.txt`), its sentences in clip order, one per line: every AFD sentence of
the 35 debates of 1960–2020 (AFD's train and val splits; its test split is the 2024 debates, which are AFC's test
too), except those of 15 characters or more that occur in an AFC val or test snippet, so that no sentence AFC is
validated or tested on is in the corpus (shorter ones, "Thank you.", would match by chance and are kept). For the AFC task this is unlabeled text; it is not a corpus for AFD, whose val sentences it holds. Usage:

    python3 bench/afc/make_debate_corpus.py tests/data/mmused-fallacy OUT_DIR
"""
import csv
import os
import sys


def norm(s):
    return " ".join(s.split())


def main(data, out):
    with open(os.path.join(data, "dataset_combined_afd.csv"), newline="", encoding="utf-8") as f:
        afd = list(csv.DictReader(f))
    with open(os.path.join(data, "dataset_combined_afc.csv"), newline="", encoding="utf-8") as f:
        afc = list(csv.DictReader(f))
    held_out = "\n".join(norm(r["text"]) for r in afc if r["split"] in ("val", "test"))
    debates, dropped = {}, 0
    for line, r in enumerate(afd, start=2):
        if r["split"] == "test":
            continue
        text = norm(r["text"])
        if not text:
            continue
        if len(text) >= 15 and text in held_out:  # shorter ones ("Thank you.") would match by chance
            dropped += 1
            continue
        parts = r["audio_path_list"].split("|")[0].split("/")
        if len(parts) != 4 or not parts[3].endswith(".wav"):
            sys.exit(f"dataset_combined_afd.csv line {line}: unexpected audio_path_list {r['audio_path_list']!r}")
        debates.setdefault(parts[2], []).append((int(parts[3][:-4]), r["text"].strip()))
    os.makedirs(out, exist_ok=True)
    total = 0
    for debate, sentences in sorted(debates.items()):
        sentences.sort()
        body = "\n".join(t for _, t in sentences) + "\n"
        total += len(body.encode("utf-8"))
        with open(os.path.join(out, debate + ".txt"), "w", encoding="utf-8") as f:
            f.write(body)
    print(f"{len(debates)} debates, {sum(len(s) for s in debates.values())} sentences, {total} bytes "
          f"({dropped} sentences left out as AFC val/test text) -> {out}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
