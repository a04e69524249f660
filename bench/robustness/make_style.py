"""A robustness set unlike the demo: other sentences, voices and label semantics (docs/experiments.md).

label = speaking style (0 tired, 1 neutral, 2 alarmed), carried by the voice only (espeak-ng pitch, rate,
amplitude); every sentence is said in all three styles, so the text is uninformative. 360 clips, 70/15/15 by
sentence. Usage: python3 make_style.py OUT_DIR  (needs espeak-ng and sox), then
speechtok experiment --manifest OUT_DIR/manifest.csv --out RUN_DIR --preset quick
"""
import random, subprocess, os, sys, csv
out=sys.argv[1]
rng=random.Random(2024)
os.makedirs(out+'/clips',exist_ok=True)
nouns=['the shipment','the invoice','the printer','our server','the elevator','the parking lot','the budget report','the new intern','the quarterly review','the fire drill','the delivery truck','the conference call','the backup drive','the cafeteria','the night shift','the warehouse','the contract','the security badge','the coffee machine','the training session']
preds=['arrives at {t}','was moved to {t}','starts again at {t}','will be checked at {t}','closes at {t}','is scheduled for {t}','opens after {t}','needs attention before {t}']
times=['nine','ten thirty','noon','two o clock','four fifteen','six','midnight','eight forty five']
sents=set()
while len(sents)<120:
    n=rng.choice(nouns); p=rng.choice(preds).format(t=rng.choice(times)); sents.add(f"{n[0].upper()+n[1:]} {p}.")
sents=sorted(sents); rng.shuffle(sents)
voices=['en-us+Andy','en-us+Linda','en-gb+Paul','en-gb+Annie','en+Michael','en+Belinda','en-us+Gene','en+Alicia']
styles={0:dict(p=(5,35),s=(110,150),a=(40,75)),1:dict(p=(35,65),s=(150,185),a=(70,100)),2:dict(p=(60,95),s=(185,240),a=(90,140))}
rows=[]; cid=0
n=len(sents); ntr=int(n*0.7); nva=int(n*0.15)
for i,t in enumerate(sents):
    split='train' if i<ntr else ('val' if i<ntr+nva else 'test')
    for lab in range(3):
        st=styles[lab]; v=rng.choice(voices)
        p=rng.randint(*st['p']); s=rng.randint(*st['s']); a=rng.randint(*st['a'])
        raw=f"{out}/clips/r{cid}.wav"; wav=f"{out}/clips/c{cid:04d}.wav"
        subprocess.run(['espeak-ng','-v',v,'-p',str(p),'-s',str(s),'-a',str(a),'-w',raw,t],check=True)
        subprocess.run(['sox','-D','-q',raw,'-r','16000','-c','1','-b','16',wav],check=True); os.remove(raw)
        rows.append((split,t,f"clips/c{cid:04d}.wav",lab)); cid+=1
idx={'train':0,'val':0,'test':0}
with open(out+'/manifest.csv','w',newline='') as f:
    w=csv.writer(f); w.writerow(['split','index','text','audio_path_list','label'])
    for split,t,pth,lab in rows:
        w.writerow([split,idx[split],t,pth,lab]); idx[split]+=1
print(cid,'clips',idx)
