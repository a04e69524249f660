#!/usr/bin/python3
"""PyTorch baseline for `speechtok bench lm-step` (run with Debian's /usr/bin/python3 + python3-torch 1.13).

Same shapes and workloads as our bench, random weights:
  pretrain  causal-LM loss; only the appended embedding rows get a gradient (tied input/output rows);
  full      full-parameter causal-LM step on the checkpoint vocabulary: every weight's gradient,
            clip_grad_norm_(1.0), torch.optim.AdamW (lr 1e-4, weight decay 0.1 except norms);
  finetune  LoRA(q, v; r 64, alpha 16, dropout 0.1) sequence classification at the last token + score head;
  infer     classification forward (pooled logits) under no_grad.
Prints one JSON line like ours: {"s_per_step":…, "cpu_s_per_step":…, "tokens_per_s":…, "peak_rss_mib":…}.
"""
import argparse, json, math, os, resource, time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import torch
import torch.nn as nn
import torch.nn.functional as F

SHAPES = {
    "smollm2-135m": dict(h=576, im=1536, layers=30, heads=9, kv=3, hd=64, vocab=49152, theta=100000.0),
    "builtin-lm": dict(h=256, im=768, layers=4, heads=4, kv=2, hd=64, vocab=8192, theta=10000.0),
    "llama3.2-1b": dict(h=2048, im=8192, layers=16, heads=32, kv=8, hd=64, vocab=128256, theta=500000.0),
    "llama3.2-3b": dict(h=3072, im=8192, layers=28, heads=24, kv=8, hd=128, vocab=128256, theta=500000.0),
}


class RMSNorm(nn.Module):
    def __init__(self, h):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(h))

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5))


class LoraLinear(nn.Module):
    def __init__(self, base, r, alpha):
        super().__init__()
        self.base = base
        self.A = nn.Parameter(torch.empty(r, base.in_features))
        nn.init.kaiming_uniform_(self.A, a=math.sqrt(5))
        self.B = nn.Parameter(torch.zeros(base.out_features, r))
        self.scale = alpha / r
        self.drop = nn.Dropout(0.1)

    def forward(self, x):
        return self.base(x) + (self.drop(x) @ self.A.t() @ self.B.t()) * self.scale


def rope(x, cos, sin):
    d = x.shape[-1] // 2
    rot = torch.cat((-x[..., d:], x[..., :d]), dim=-1)
    return x * cos + rot * sin


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        h, hd = c["h"], c["hd"]
        self.c = c
        self.q_proj = nn.Linear(h, c["heads"] * hd, bias=False)
        self.k_proj = nn.Linear(h, c["kv"] * hd, bias=False)
        self.v_proj = nn.Linear(h, c["kv"] * hd, bias=False)
        self.o_proj = nn.Linear(c["heads"] * hd, h, bias=False)
        self.gate_proj = nn.Linear(h, c["im"], bias=False)
        self.up_proj = nn.Linear(h, c["im"], bias=False)
        self.down_proj = nn.Linear(c["im"], h, bias=False)
        self.n1, self.n2 = RMSNorm(h), RMSNorm(h)

    def forward(self, x, cos, sin, mask):
        b, t, _ = x.shape
        c = self.c
        y = self.n1(x)
        q = self.q_proj(y).view(b, t, c["heads"], c["hd"]).transpose(1, 2)
        k = self.k_proj(y).view(b, t, c["kv"], c["hd"]).transpose(1, 2)
        v = self.v_proj(y).view(b, t, c["kv"], c["hd"]).transpose(1, 2)
        q, k = rope(q, cos, sin), rope(k, cos, sin)
        rep = c["heads"] // c["kv"]
        k, v = k.repeat_interleave(rep, 1), v.repeat_interleave(rep, 1)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(c["hd"]) + mask
        o = (att.softmax(-1) @ v).transpose(1, 2).reshape(b, t, -1)
        x = x + self.o_proj(o)
        y = self.n2(x)
        return x + self.down_proj(F.silu(self.gate_proj(y)) * self.up_proj(y))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--shape", default="smollm2-135m", choices=SHAPES)
    p.add_argument("--workload", default="finetune", choices=["pretrain", "full", "finetune", "infer"])
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--seq", type=int, default=128)
    p.add_argument("--min-seq", type=int, default=None)  # lengths evenly spaced from it to --seq, right-padded (as ours)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--new-rows", type=int, default=512)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(7)
    c = SHAPES[a.shape]
    vocab = c["vocab"] + (0 if a.workload == "full" else a.new_rows)
    emb = nn.Embedding(vocab, c["h"])
    layers = nn.ModuleList([Layer(c) for _ in range(c["layers"])])
    norm = RMSNorm(c["h"])
    for m in [emb, layers, norm]:
        for prm in m.parameters():
            prm.requires_grad_(False)
    params = []
    if a.workload == "finetune":
        for l in layers:
            l.q_proj = LoraLinear(l.q_proj, 64, 16)
            l.v_proj = LoraLinear(l.v_proj, 64, 16)
            params += [l.q_proj.A, l.q_proj.B, l.v_proj.A, l.v_proj.B]
    score = nn.Linear(c["h"], 2, bias=False)
    params.append(score.weight)
    if a.workload == "full":
        params = [prm for m in [emb, layers, norm] for prm in m.parameters()]
        with torch.no_grad():  # ours: uniform ±0.05, norms 1 (torch's N(0, 1) embedding makes tiny, denormal logit gradients)
            for prm in params:
                if prm.dim() > 1:
                    prm.uniform_(-0.05, 0.05)
        for prm in params:
            prm.requires_grad_(True)
        opt = torch.optim.AdamW([{"params": [q for q in params if q.dim() > 1], "weight_decay": 0.1},
                                 {"params": [q for q in params if q.dim() <= 1], "weight_decay": 0.0}], lr=1e-4)
    if a.workload == "pretrain":
        emb.weight.requires_grad_(True)
        keep = torch.zeros(vocab, 1)
        keep[c["vocab"]:] = 1
        emb.weight.register_hook(lambda g: g * keep)

    b, t = a.batch, a.seq
    min_t = a.min_seq or t
    ids = torch.randint(3, vocab, (b, t))
    labels = torch.arange(b) % 2
    # The same lengths as ours; HF's padded batch: pads are id 0, masked as keys, their targets ignored, and the
    # head reads the last real token. Every position is computed, as transformers does.
    lengths = torch.tensor([t if b == 1 else min_t + i * (t - min_t) // (b - 1) for i in range(b)])
    real = torch.arange(t)[None, :] < lengths[:, None]
    ids[~real] = 0
    targets = ids[:, 1:].masked_fill(~real[:, 1:], -100)
    last = lengths - 1
    inv = 1.0 / (c["theta"] ** (torch.arange(0, c["hd"], 2).float() / c["hd"]))
    fr = torch.outer(torch.arange(t).float(), inv)
    cos, sin = torch.cat((fr, fr), -1).cos(), torch.cat((fr, fr), -1).sin()
    mask = torch.full((t, t), float("-inf")).triu(1)[None, None] + torch.where(real, 0.0, float("-inf"))[:, None, None, :]

    def hidden():
        x = emb(ids)
        for l in layers:
            x = l(x, cos, sin, mask)
        return norm(x)

    def step():
        if a.workload == "infer":
            with torch.no_grad():
                score(hidden()[torch.arange(b), last])
            return
        h = hidden()
        if a.workload == "full":
            logits = h @ emb.weight.t()
            loss = F.cross_entropy(logits[:, :-1].reshape(-1, vocab), targets.reshape(-1))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            return
        if a.workload == "pretrain":
            logits = h @ emb.weight.t()
            loss = F.cross_entropy(logits[:, :-1].reshape(-1, vocab), targets.reshape(-1))
        else:
            loss = F.cross_entropy(score(h[torch.arange(b), last]), labels)
        loss.backward()
        emb.weight.grad = None
        for prm in params:
            prm.grad = None

    step()
    # CPU time too, as ours: on a shared machine wall time mostly measures the other tenants.
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(a.steps):
        step()
    secs = (time.perf_counter() - t0) / a.steps
    cpu = (time.process_time() - c0) / a.steps
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps({"backend": f"torch {torch.__version__}", "shape": a.shape, "workload": a.workload, "batch": b, "seq": t, "min_seq": min_t,
                      "threads": a.threads, "s_per_step": round(secs, 4), "cpu_s_per_step": round(cpu, 4), "tokens_per_s": round(int(lengths.sum()) / secs, 1),
                      "peak_rss_mib": round(rss, 1)}))


if __name__ == "__main__":
    main()
