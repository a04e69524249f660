"""A robustness set unlike the demo: other sentences, voices and label semantics (docs/experiments.md).

label = 2·fast + topic: the topic (kitchen or garage objects) is in the words only, the speaking rate (100–150 vs
210–280 wpm) in the voice only; pitch and amplitude are drawn independently of the class. Every sentence is said
slowly and quickly. 240 clips, 70/15/15 by sentence. Usage: python3 make_rate.py OUT_DIR (needs espeak-ng and sox).
"""
import random, subprocess, os, sys, csv
out=sys.argv[1]; rng=random.Random(77)
os.makedirs(out+'/clips',exist_ok=True)
topics=[['the oven','the fridge','the kettle','the toaster','the sink','the blender','the spoons','the frying pan'],
        ['the drill','the ladder','the bicycle','the lawnmower','the toolbox','the spare tyre','the hammer','the paint cans']]
acts=['is next to the door','was cleaned yesterday','needs to be moved','belongs to my brother','is behind the box','was bought last week','should stay on the shelf','is still broken']
sents=[]
for t in range(2):
    s=set()
    while len(s)<60: s.add(f"{rng.choice(['','I think ','Maybe ','Look, '])}{rng.choice(topics[t])} {rng.choice(acts)}.")
    s=sorted(s); rng.shuffle(s); sents.append(s)
voices=['en-us+Mike','en-us+Steph','en-gb+Robert','en-gb+Andrea','en+Edward','en+Linda','en-us+Max','en+Annie']
rows=[]; cid=0
for t in range(2):
    n=len(sents[t])
    for i,txt in enumerate(sents[t]):
        txt=txt[0].upper()+txt[1:]
        split='train' if i<int(n*.7) else ('val' if i<int(n*.85) else 'test')
        for fast in range(2):
            v=rng.choice(voices); p=rng.randint(20,80); a=rng.randint(50,110)
            s=rng.randint(210,280) if fast else rng.randint(100,150)
            raw=f"{out}/clips/r{cid}.wav"; wav=f"{out}/clips/c{cid:04d}.wav"
            subprocess.run(['espeak-ng','-v',v,'-p',str(p),'-s',str(s),'-a',str(a),'-w',raw,txt],check=True)
            subprocess.run(['sox','-D','-q',raw,'-r','16000','-c','1','-b','16',wav],check=True); os.remove(raw)
            rows.append((split,txt,f"clips/c{cid:04d}.wav",2*fast+t)); cid+=1
rng.shuffle(rows)
idx={'train':0,'val':0,'test':0}
with open(out+'/manifest.csv','w',newline='') as f:
    w=csv.writer(f); w.writerow(['split','index','text','audio_path_list','label'])
    for split,t,pth,lab in sorted(rows,key=lambda r:['train','val','test'].index(r[0])):
        w.writerow([split,idx[split],t,pth,lab]); idx[split]+=1
print(cid,'clips',idx)
