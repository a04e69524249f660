"""A held-out multi-label set unlike `speechtok demo --labeling MultiLabel` (docs/experiments.md): other
sentences, voices and label meanings, same manifest format (a `labels` column and a label-names sidecar).

labels (any subset, some clips have none): 0 request (the words ask for something: "Could you ...?" vs a plain
statement), 1 deep voice (espeak-ng pitch 0-20 vs 35-99), 2 slow (95-125 vs 150-230 wpm), 3 halting (pauses
between words, -g 9-16 vs 0-2). The three voice labels are drawn independently, each for 30 % of the clips;
every sentence is said twice with its own draws, so the text tells nothing about them. 480 clips (or CLIPS, an even
number; 480 gives the documented set), 70/15/15 by sentence.
Usage: python3 make_multilabel.py OUT_DIR [CLIPS] (needs espeak-ng and sox), then
speechtok experiment --manifest OUT_DIR/manifest.csv --out RUN_DIR --preset quick
"""
import random, subprocess, os, sys, csv
out = sys.argv[1]
clips = int(sys.argv[2]) if len(sys.argv) > 2 else 480
if clips < 20 or clips % 2 or clips // 2 > 2048:
    sys.exit(f"CLIPS must be even, 20-4096 (got {clips}): each sentence is said twice, and there are 2048 sentences")
rng = random.Random(4242)
os.makedirs(out + '/clips', exist_ok=True)
things = ['the spare keys', 'the blue folder', 'the night train', 'the ferry schedule', 'the garden hose', 'the old radio',
          'the chess board', 'the kitchen scale', 'the library card', 'the winter boots', 'the rain jacket', 'the bread knife',
          'the parcel', 'the map of the city', 'the laptop charger', 'the guest list']
verbs = [('check', 'was checked'), ('bring', 'was brought in'), ('move', 'was moved'), ('find', 'was found'),
         ('clean', 'was cleaned'), ('return', 'was returned'), ('label', 'was labelled'), ('fix', 'was fixed')]
whens = ['this morning', 'before lunch', 'after the meeting', 'on Sunday', 'tonight', 'at noon', 'next week', 'yesterday']
sents = set()
while len(sents) < clips // 2:
    t, (v, pp), w = rng.choice(things), rng.choice(verbs), rng.choice(whens)
    sents.add((f"Could you {v} {t} {w}?", 1) if rng.random() < 0.5 else (f"{t[0].upper() + t[1:]} {pp} {w}.", 0))
sents = sorted(sents); rng.shuffle(sents)
voices = ['en-gb-scotland', 'en-us-nyc', 'en-029', 'en-gb-x-rp', 'en-us+Storm', 'en-gb-x-gbclan', 'en+Andy', 'en+Belinda']
names = ['request', 'deep-voice', 'slow', 'halting']
rows, cid, n = [], 0, len(sents)
for i, (text, request) in enumerate(sents):
    split = 'train' if i < int(n * .7) else ('val' if i < int(n * .85) else 'test')
    for _ in range(2):
        deep, slow, halting = (rng.random() < 0.3 for _ in range(3))
        p = rng.randint(0, 20) if deep else rng.randint(35, 99)
        s = rng.randint(95, 125) if slow else rng.randint(150, 230)
        g = rng.randint(9, 16) if halting else rng.randint(0, 2)
        a = rng.randint(60, 110)
        raw, wav = f"{out}/clips/r{cid}.wav", f"{out}/clips/c{cid:04d}.wav"
        subprocess.run(['espeak-ng', '-v', rng.choice(voices), '-p', str(p), '-s', str(s), '-g', str(g), '-a', str(a), '-w', raw, text], check=True)
        subprocess.run(['sox', '-D', '-q', raw, '-r', '16000', '-c', '1', '-b', '16', wav], check=True); os.remove(raw)
        labels = [c for c, on in enumerate([request, deep, slow, halting]) if on]
        rows.append((split, text, f"clips/c{cid:04d}.wav", ';'.join(map(str, labels)))); cid += 1
idx = {'train': 0, 'val': 0, 'test': 0}
with open(out + '/manifest.csv', 'w', newline='') as f:
    w = csv.writer(f); w.writerow(['split', 'index', 'text', 'audio_path_list', 'labels'])
    for split, t, pth, lab in sorted(rows, key=lambda r: ['train', 'val', 'test'].index(r[0])):
        w.writerow([split, idx[split], t, pth, lab]); idx[split] += 1
with open(out + '/manifest.label_names.txt', 'w') as f: f.write('\n'.join(names) + '\n')
print(cid, 'clips', idx)
