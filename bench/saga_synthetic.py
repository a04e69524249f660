#!/usr/bin/python3
"""Side-by-side reference timing for `speechtok bench selection`: rebuilds the synthetic AFD-shaped
audio bag of tokens of tests/fixtures/l1-selection/synthetic.json from its integer generator (numpy,
vectorised), checks the checksums, makes sklearn's inner split (train_test_split, random_state=42,
stratify) and writes it as JSON for the C# bench (--split), then times sklearn's saga L1 fit at the
given C values with the reference call. Run with Debian's /usr/bin/python3 (python3-sklearn).

usage: /usr/bin/python3 bench/saga_synthetic.py SYNTHETIC_JSON SPLIT_OUT_JSON [C ...] [--text AFD_CSV]
"""
import hashlib, json, sys, time
import numpy as np
import scipy.sparse as sp

M64 = np.uint64(0xFFFFFFFFFFFFFFFF)
GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def mix(z):
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def x(seed, i):
    with np.errstate(over="ignore"):
        return mix(np.uint64(seed) + (i.astype(np.uint64) + np.uint64(1)) * GOLDEN)


def u32(seed, i):
    return x(seed, i) >> np.uint64(32)


def generate(p):
    n, P, L, K = p["N"], p["P_POS"], p["LAYERS"], p["CODES"]
    keys = x(p["SEED_LABEL"], np.arange(n))
    y = np.zeros(n, np.int8)
    y[np.argsort(keys, kind="stable")[:P]] = 1
    frames = p["T_MIN"] + ((u32(p["SEED_FRAMES"], np.arange(n)) * np.uint64(p["T_SPAN"])) >> np.uint64(32)).astype(np.int64)
    perm = np.stack([np.argsort(x(p["SEED_PERM"], np.arange(l * K, (l + 1) * K)), kind="stable") for l in range(L)])
    w = (p["WEIGHT_SCALE"] // (np.arange(K) + p["Q"])).astype(np.uint64)
    cum = np.cumsum(w)
    W = cum[-1]
    planted = [(j % L) * K + perm[j % L][p["PLANT_RANK0"] + p["PLANT_RANK_STEP"] * j] for j in range(p["N_PLANTED"])]
    by_layer = [[f - l * K for j, f in enumerate(planted) if j % L == l] for l in range(L)]
    rows, cols = [], []
    for r in range(n):
        t = np.arange(frames[r])
        for l in range(L):
            c = np.uint64((r * L + l) * K) + t.astype(np.uint64)
            target = (u32(p["SEED_TOK"], c) * W) >> np.uint64(32)
            code = perm[l][np.searchsorted(cum, target, side="right")]
            if y[r] == 1 and by_layer[l]:
                hit = u32(p["SEED_PLANT"], c) < np.uint64(p["EPS_NUM"])
                pick = ((u32(p["SEED_PICK"], c) * np.uint64(len(by_layer[l]))) >> np.uint64(32)).astype(np.int64)
                code = np.where(hit, np.asarray(by_layer[l])[pick], code)
            cols.append(l * K + code)
            rows.append(np.full(len(t), r))
    X = sp.csr_matrix((np.ones(sum(len(c) for c in cols), np.int32), (np.concatenate(rows), np.concatenate(cols))), shape=(n, L * K))
    X.sum_duplicates()
    X.sort_indices()
    return X, y.astype(np.int64), planted


def main():
    args = [a for a in sys.argv[1:]]
    text = None
    if "--text" in args:
        i = args.index("--text"); text = args[i + 1]; del args[i:i + 2]
    syn = json.load(open(args[0]))
    g = syn["generator"]
    t0 = time.time()
    X, y, planted = generate(g["params"])
    sums = {
        "nnz": int(X.nnz), "total_count": int(X.data.sum()),
        "sha256_indptr_int64le": hashlib.sha256(X.indptr.astype("<i8").tobytes()).hexdigest(),
        "sha256_indices_int32le": hashlib.sha256(X.indices.astype("<i4").tobytes()).hexdigest(),
        "sha256_data_int32le": hashlib.sha256(X.data.astype("<i4").tobytes()).hexdigest(),
        "sha256_y_int8": hashlib.sha256(y.astype(np.int8).tobytes()).hexdigest(),
    }
    ok = all(str(sums[k]) == str(g["checksums"][k]) for k in sums)
    print(json.dumps({"generate_s": round(time.time() - t0, 2), "checksums_ok": ok}), flush=True)
    if not ok:
        sys.exit("checksum mismatch: " + json.dumps(sums))
    from sklearn.model_selection import train_test_split
    from sklearn.feature_extraction.text import TfidfTransformer, CountVectorizer
    from sklearn.preprocessing import StandardScaler
    from sklearn.linear_model import LogisticRegression
    idx = np.arange(X.shape[0])
    tr, te = train_test_split(idx, test_size=0.2, random_state=42, stratify=y)
    with open(args[1], "w") as f:
        json.dump({"inner_train_idx": tr.tolist(), "inner_test_idx": te.tolist()}, f)
    Xf = X.astype(np.float64)
    if text:
        import csv
        with open(text, newline="", encoding="utf-8") as f:
            texts = [r["text"] for r in csv.DictReader(f) if r["split"] == "train"]
        Xf = sp.hstack([Xf, CountVectorizer().fit_transform(texts).astype(np.float64)]).tocsr()
    Xt = Xf[tr]
    Xs = StandardScaler(with_mean=False).fit_transform(TfidfTransformer().fit_transform(Xt))
    for C in [float(c) for c in args[2:]]:
        clf = LogisticRegression(penalty="l1", solver="saga", C=C, max_iter=1000, random_state=42, class_weight="balanced")
        c0, w0 = time.process_time(), time.time()
        clf.fit(Xs, y[tr])
        wall, cpu = time.time() - w0, time.process_time() - c0
        imp = np.abs(clf.coef_).sum(axis=0)
        sel = np.where(imp >= imp.mean())[0]
        print(json.dumps({"C": C, "saga_fit_wall_s": round(wall, 2), "saga_fit_cpu_s": round(cpu, 2), "n_iter": int(clf.n_iter_[0]),
                          "nnz": int((clf.coef_ != 0).sum()), "selected": int(len(sel)),
                          "planted_selected": int(len(set(sel.tolist()) & set(planted)))}), flush=True)


if __name__ == "__main__":
    main()
