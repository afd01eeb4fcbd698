#!/usr/bin/env python3
# Usage: Scripts/search-dump-metrics.py DUMP.jsonl QRELS.tsv HEAD_DEPTH
# Offline metrics of a `trellis eval search --dump` file (also partial runs), mirroring
# RetrievalMetrics and RankFusion.rerankHead: BM25-head reranking by b·ŝ_bm25 + q·ŝ_likelihood.
import json, math, sys
dump, qrels_path, depth = sys.argv[1], sys.argv[2], int(sys.argv[3])
qrels = {}
for i, line in enumerate(open(qrels_path)):
    parts = line.rstrip('\n').split('\t')
    if not parts[-1].strip().lstrip('-').isdigit(): continue
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
def norm(pairs):
    if not pairs: return {}
    s = [p['score'] for p in pairs]; lo, hi = min(s), max(s)
    return {p['key']: ((p['score'] - lo) / (hi - lo) if hi > lo else 1) for p in pairs}
rows = [json.loads(l) for l in open(dump)]
res = {}
for qi, r in enumerate(rows):
    rel = qrels[r['id']]
    bm = [p['key'] for p in r['bm25']]
    head = bm[:depth]
    nb = norm([p for p in r['bm25'] if p['key'] in head]); nq = norm(r['likelihood'])
    res.setdefault('bm25', [[], []])[qi % 2].append((ndcg(bm, rel), recall(bm, rel), mrr(bm, rel)))
    for b in range(11):
        w = b / 10
        order = sorted(head, key=lambda k: (-(w * nb.get(k, 0) + (1 - w) * nq.get(k, 0)), k))
        ranked = order + bm[depth:]
        res.setdefault(f'rerank b={w:.1f} q={1-w:.1f}', [[], []])[qi % 2].append((ndcg(ranked, rel), recall(ranked, rel), mrr(ranked, rel)))
print(f'{len(rows)} queries (fit = even positions {len(rows[::2])}, held-out = odd {len(rows[1::2])}); head {depth}')
print('variant                 nDCG@10 fit  held-out  all     Recall@100  MRR@10 (all)')
def avg(xs, j): return sum(x[j] for x in xs) / max(len(xs), 1)
for name, (f, h) in res.items():
    a = f + h
    print(f'{name:24s}  {avg(f,0):.4f}      {avg(h,0):.4f}    {avg(a,0):.4f}  {avg(a,1):.4f}      {avg(a,2):.4f}')
