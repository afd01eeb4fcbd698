#!/usr/bin/env python3
# Usage: Scripts/search-fusion-sources.py DUMP.jsonl QRELS.tsv [--depth 20] [--limit N] [--step 0.05]
#          [--norm minmax|zscore] [--ql NAME=CACHE.jsonl#CONFIGPREFIX ...] [--run NAME=RUN.jsonl:FIELD ...]
# Offline fusion of several score sources over the BM25 head of a `trellis eval search --dump` file.
# Sources: the dump's BM25 scores; query-likelihood caches (`--likelihood-cache` files; the lines whose
# config starts with CONFIGPREFIX, e.g. "64+64|" for 64 head + 64 tail tokens); other runs as JSONL
# lines {"id": query id, FIELD: [[passage key, score], ...]}. The head (BM25 top depth) of each query
# is reordered by Σ_i w_i·n_i(d), n_i the per-query normalization of source i over the head (a
# passage without a score from source i gets 0), for every weight vector on the simplex in steps of
# `step`. Weights are chosen on the even-position queries (fit) by nDCG@10; odd ones are held out.
import collections, itertools, json, math, sys

args = sys.argv[1:]
if len(args) < 2: raise SystemExit(__doc__ or 'usage: see the header')
dump_path, qrels_path = args[0], args[1]
depth, limit, step, norm = 20, None, 0.05, 'minmax'
likelihood_specs, run_specs = {}, {}
i = 2
while i < len(args):
    flag, value = args[i], args[i + 1] if i + 1 < len(args) else None
    if value is None: raise SystemExit(f'{flag} needs a value')
    if flag == '--ql':
        name, spec = value.split('=', 1); path, _, prefix = spec.partition('#'); likelihood_specs[name] = (path, prefix)
    elif flag == '--run':
        name, spec = value.split('=', 1); path, field = spec.rsplit(':', 1); run_specs[name] = (path, field)
    elif flag == '--depth': depth = int(value)
    elif flag == '--limit': limit = int(value)
    elif flag == '--step': step = float(value)
    elif flag == '--norm': norm = value
    else: raise SystemExit('unknown option ' + flag)
    i += 2

qrels = {}
for line in open(qrels_path):
    p = line.rstrip('\n').split('\t')
    if len(p) >= 3 and p[-1].strip().isdigit(): qrels.setdefault(p[0], {})[p[1]] = int(p[2])

def ndcg(ranked, rel):
    dcg = sum(rel.get(d, 0) / math.log2(r + 2) for r, d in enumerate(ranked[:10]) if rel.get(d, 0) > 0)
    ideal = sorted([g for g in rel.values() if g > 0], reverse=True)[:10]
    idcg = sum(g / math.log2(r + 2) for r, g in enumerate(ideal))
    return dcg / idcg if idcg else 0

def normalize(scores):
    if not scores: return {}
    v = list(scores.values())
    if norm == 'zscore':
        m = sum(v) / len(v); sd = math.sqrt(sum((x - m) ** 2 for x in v) / len(v))
        return {k: (s - m) / sd if sd > 0 else 0 for k, s in scores.items()}
    lo, hi = min(v), max(v)
    return {k: (s - lo) / (hi - lo) if hi > lo else 1 for k, s in scores.items()}

sources = {}
for name, (path, prefix) in likelihood_specs.items():
    table = collections.defaultdict(dict)
    for line in open(path):
        x = json.loads(line)
        if x['config'].startswith(prefix): table[x['query']][x['key']] = x['score']
    sources[name] = table
for name, (path, field) in run_specs.items():
    sources[name] = {x['id']: {k: s for k, s in x[field]} for x in map(json.loads, open(path))}
names = ['bm25'] + list(sources)

rows = [json.loads(l) for l in open(dump_path)]
if limit: rows = rows[:limit]
queries, missing = [], collections.Counter()
for position, r in enumerate(rows):
    ranked = [p['key'] for p in r['bm25']]
    head = ranked[:depth]
    normalized = [normalize({p['key']: p['score'] for p in r['bm25'][:depth]})]
    for name, table in sources.items():
        got = {k: table.get(r['id'], {})[k] for k in head if k in table.get(r['id'], {})}
        missing[name] += len(head) - len(got)
        normalized.append(normalize(got))
    queries.append((position % 2, r['id'], ranked, head, normalized))
print(f'{len(queries)} queries (fit = even positions, held-out = odd), head {depth}, {norm}; head passages without a score: {dict(missing)}')

steps = int(round(1 / step))
results = {}
for w in itertools.product(range(steps + 1), repeat=len(names)):
    if sum(w) != steps: continue
    weights = [x / steps for x in w]
    halves = ([], [])
    for half, qid, ranked, head, normalized in queries:
        order = sorted(head, key=lambda k: (-sum(wi * n.get(k, 0) for wi, n in zip(weights, normalized)), k))
        halves[half].append(ndcg(order + ranked[depth:], qrels[qid]))
    results[w] = tuple(sum(h) / max(len(h), 1) for h in halves) + ((sum(halves[0]) + sum(halves[1])) / len(queries),)

def show(w, note=''):
    fit, held, both = results[w]
    label = ' '.join(f'{n}={x / steps:.2f}' for n, x in zip(names, w))
    print(f'{label:56s} fit {fit:.4f}  held-out {held:.4f}  all {both:.4f}  {note}')

show(tuple([steps] + [0] * (len(names) - 1)), '(BM25 alone)')
for j in range(1, len(names)):
    pair = [w for w in results if all(w[k] == 0 for k in range(1, len(names)) if k != j)]
    show(max(pair, key=lambda w: (results[w][0], w)), f'(best BM25 + {names[j]} on fit)')
print('best 8 by fit nDCG@10:')
for w in sorted(results, key=lambda w: (-results[w][0], w))[:8]: show(w)
