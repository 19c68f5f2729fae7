#!/usr/bin/env python3
# tools/fusion_cv.py - 10-fold cross-validation of the logistic score fusion inside one
# pair list (LFW View 1 DevTrain), from `facekit eval verify --json` outputs of the same pairs
# (one per embedder/alignment). Mirrors src/eval/score_fusion.cc (impostor z-scores, Newton,
# ridge 0.01, accuracy-maximising threshold on the training folds); folds are pair index mod 10.
# Prints the pooled cross-validated accuracy, then the self-fit accuracy and AUC on all pairs.
# Usage: tools/fusion_cv.py mfn.json resnet.json [more.json]; plain Python 3, no packages.
import json, sys, math
def load(p):
    d = json.load(open(p)); return [x[0] for x in d['scores']], [x[1] for x in d['scores']]
cols = [load(p) for p in sys.argv[1:]]
y = cols[0][1]
for s, yy in cols: assert yy == y
n = len(y); K = len(cols)
S = [[cols[j][0][i] for j in range(K)] for i in range(n)]
def solve(A, b):
    m = len(b); M = [A[r][:] + [b[r]] for r in range(m)]
    for c in range(m):
        p = max(range(c, m), key=lambda r: abs(M[r][c])); M[c], M[p] = M[p], M[c]
        for r in range(m):
            if r != c:
                q = M[r][c] / M[c][c]
                for k in range(c, m + 1): M[r][k] -= q * M[c][k]
    return [M[r][m] / M[r][r] for r in range(m)]
def fit(S, y, ridge=0.01):
    imp = [s for s, l in zip(S, y) if l == 0]
    mu = [sum(s[j] for s in imp) / len(imp) for j in range(K)]
    sd = [math.sqrt(sum((s[j] - mu[j]) ** 2 for s in imp) / len(imp)) for j in range(K)]
    X = [[(s[j] - mu[j]) / sd[j] for j in range(K)] + [1.0] for s in S]; w = [0.0] * (K + 1)
    for _ in range(100):
        g = [0.0] * (K + 1); H = [[0.0] * (K + 1) for _ in range(K + 1)]
        for x, l in zip(X, y):
            t = sum(a * b for a, b in zip(w, x)); p = 1 / (1 + math.exp(-t))
            for r in range(K + 1):
                g[r] += (p - l) * x[r]
                for c in range(K + 1): H[r][c] += p * (1 - p) * x[r] * x[c]
        for r in range(K): g[r] += ridge * w[r]; H[r][r] += ridge
        H[K][K] += 1e-9
        d = solve(H, g); w = [a - b for a, b in zip(w, d)]
        if max(abs(v) for v in d) < 1e-10: break
    return mu, sd, w
def apply(m, S):
    mu, sd, w = m; return [sum(w[j] * (s[j] - mu[j]) / sd[j] for j in range(K)) + w[K] for s in S]
def best_thr(f, y):
    o = sorted(zip(f, y)); P = sum(y); N = len(y) - P
    best = (N / len(y), o[0][0] - 1); neg_below = 0; pos_below = 0
    for i, (v, l) in enumerate(o):
        if l: pos_below += 1
        else: neg_below += 1
        if i + 1 < len(o) and o[i + 1][0] == v: continue
        acc = (neg_below + P - pos_below) / len(y)
        t = (v + o[i + 1][0]) / 2 if i + 1 < len(o) else v + 1
        if acc > best[0]: best = (acc, t)
    return best[1], best[0]
def auc(f, y):
    o = sorted(zip(f, y)); neg = 0; s = 0; P = sum(y); N = len(y) - P
    for v, l in o:
        if l: s += neg
        else: neg += 1
    return s / (P * N)
def tar(f, y):
    m = max(v for v, l in zip(f, y) if not l); return sum(1 for v, l in zip(f, y) if l and v > m) / sum(y)
errs = 0
for k in range(10):
    tr = [i for i in range(n) if i % 10 != k]; te = [i for i in range(n) if i % 10 == k]
    m = fit([S[i] for i in tr], [y[i] for i in tr]); t, _ = best_thr(apply(m, [S[i] for i in tr]), [y[i] for i in tr])
    errs += sum(1 for i, v in zip(te, apply(m, [S[i] for i in te])) if (v > t) != bool(y[i]))
m = fit(S, y); f = apply(m, S); t, a = best_thr(f, y)
print('%s: cv10 acc %.4f (%d errors)  self-fit acc %.4f auc %.5f tar@0FA %.4f  w %s' % (
    ' + '.join(p.split('/')[-1] for p in sys.argv[1:]), 1 - errs / n, errs, a, auc(f, y), tar(f, y), [round(v, 3) for v in m[2]]))
for i in range(K):
    col = [s[i] for s in S]; t, a = best_thr(col, y); print('  alone', sys.argv[1 + i].split('/')[-1], 'acc %.4f auc %.5f tar@0FA %.4f' % (a, auc(col, y), tar(col, y)))
