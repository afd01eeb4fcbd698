#!/usr/bin/env python3
# Usage: Scripts/search-fusion-grid.py DUMP.jsonl QRELS.tsv [DEPTHS] [--all]
# Offline fusion study of a `trellis eval search --dump` file: the BM25 head of each depth in
# DEPTHS (comma-separated, default 10,12,15,20,25,30, capped at the dump's rescored depth) is
# reordered by (1 - q)·n(bm25) + q·n(likelihood) for q in 0, 0.05, …, 1 and three per-query
# normalizations n over the head: min-max (the hybrid's), z-score, and reciprocal rank 1/(60 + r).
# The combination is chosen on the even-position queries (fit) by nDCG@10; the odd ones are held out.
import json, math, sys
dump, qrels_path = sys.argv[1], sys.argv[2]
depths = [int(d) for d in (sys.argv[3] if len(sys.argv) > 3 and not sys.argv[3].startswith('--') else '10,12,15,20,25,30').split(',')]
show_all = '--all' in sys.argv
qrels = {}
for line in open(qrels_path):
    parts = line.rstrip('\n').split('\t')
    if len(parts) < 3 or not parts[-1].strip().lstrip('-').isdigit(): continue
    qrels.setdefault(parts[0], {})[parts[1]] = int(parts[2])
def ndcg(ranked, rel):
    dcg = sum(rel.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:10]) if rel.get(d, 0) > 0)
    ideal = sorted([g for g in rel.values() if g > 0], reverse=True)[:10]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0
def recall(ranked, rel):
    r = {d for d, g in rel.items() if g > 0}
    return len([d for d in ranked[:100] if d in r]) / len(r) if r else 0
def mrr(ranked, rel):
    for i, d in enumerate(ranked[:10]):
        if rel.get(d, 0) > 0: return 1 / (i + 1)
    return 0
def normalize(scores, how):
    keys = list(scores)
    if not keys: return {}
    v = [scores[k] for k in keys]
    if how == 'minmax':
        lo, hi = min(v), max(v)
        return {k: (scores[k] - lo) / (hi - lo) if hi > lo else 1 for k in keys}
    if how == 'zscore':
        m = sum(v) / len(v); sd = math.sqrt(sum((x - m) ** 2 for x in v) / len(v))
        return {k: (scores[k] - m) / sd if sd > 0 else 0 for k in keys}
    order = sorted(keys, key=lambda k: (-scores[k], k))
    return {k: 1 / (60 + r + 1) for r, k in enumerate(order)}
rows = [json.loads(l) for l in open(dump)]
rescored = min(len(r['likelihood']) for r in rows)
depths = [d for d in depths if d <= rescored] or [rescored]
weights = [i / 20 for i in range(21)]
results = {}  # (depth, norm, q) -> [fit list, held list]
baseline = [[], []]
for qi, r in enumerate(rows):
    rel = qrels[r['id']]
    bm = [p['key'] for p in r['bm25']]
    bscore = {p['key']: p['score'] for p in r['bm25']}
    lscore = {p['key']: p['score'] for p in r['likelihood']}
    baseline[qi % 2].append((ndcg(bm, rel), recall(bm, rel), mrr(bm, rel)))
    for d in depths:
        head = bm[:d]
        for how in ('minmax', 'zscore', 'rank'):
            nb = normalize({k: bscore[k] for k in head}, how)
            nq = normalize({k: lscore[k] for k in head if k in lscore}, how)
            for q in weights:
                order = sorted(head, key=lambda k: (-((1 - q) * nb[k] + q * nq.get(k, 0)), k))
                ranked = order + bm[d:]
                results.setdefault((d, how, q), [[], []])[qi % 2].append((ndcg(ranked, rel), recall(ranked, rel), mrr(ranked, rel)))
def avg(xs, j=0): return sum(x[j] for x in xs) / max(len(xs), 1)
def line(name, f, h):
    a = f + h
    print(f'{name:34s} {avg(f):.4f}   {avg(h):.4f}    {avg(a):.4f}  {avg(a,1):.4f}      {avg(a,2):.4f}')
print(f'{len(rows)} queries (fit = even positions {len(rows[::2])}, held-out = odd {len(rows[1::2])}); likelihood scored to depth {rescored}')
print('variant                            nDCG@10 fit  held-out  all   Recall@100  MRR@10 (all)')
line('bm25', *baseline)
print('best weight per depth and normalization (chosen on fit):')
best = None
for d in depths:
    for how in ('minmax', 'zscore', 'rank'):
        k = max((key for key in results if key[0] == d and key[1] == how), key=lambda key: (avg(results[key][0]), -key[2]))
        line(f'depth {d:2d} {how:6s} q={k[2]:.2f}', *results[k])
        if best is None or avg(results[k][0]) > avg(results[best][0]): best = k
print(f'chosen on fit: depth {best[0]}, {best[1]}, q={best[2]:.2f}')
line('chosen', *results[best])
if show_all:
    for key in sorted(results): line(f'depth {key[0]:2d} {key[1]:6s} q={key[2]:.2f}', *results[key])
