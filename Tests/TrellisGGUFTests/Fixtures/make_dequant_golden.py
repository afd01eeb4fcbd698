# Regenerates dequant_golden.json: seeded random blocks of every quantized type, dequantized by
# the gguf-py package (pip install gguf), an implementation independent of Trellis.
import json
import numpy as np
import gguf
from gguf import GGMLQuantizationType as T
from gguf.quants import dequantize

rng = np.random.default_rng(20261129)
def half(x): return np.array([x], dtype=np.float16).view(np.uint8).tobytes()
# type: (bytes per block, offsets of f16 scale fields that must hold finite values)
spec = {T.Q4_0: (18, [0]), T.Q4_1: (20, [0, 2]), T.Q5_0: (22, [0]), T.Q5_1: (24, [0, 2]),
        T.Q8_0: (34, [0]), T.Q4_K: (144, [0, 2]), T.Q5_K: (176, [0, 2]), T.Q6_K: (210, [208])}
cases = []
for t, (nb, offsets) in spec.items():
    blocks = bytearray(rng.integers(0, 256, size=nb * 3, dtype=np.uint8).tobytes())
    for b in range(3):
        for o in offsets:
            blocks[b * nb + o:b * nb + o + 2] = half(rng.uniform(-2, 2))
    raw = np.frombuffer(bytes(blocks), dtype=np.uint8)
    values = dequantize(raw.reshape(1, -1), t).reshape(-1)
    cases.append({"type": int(t), "name": t.name, "hex": bytes(blocks).hex(), "values": [float(v) for v in values]})
x = rng.normal(size=64).astype(np.float32)
for t, raw in ((T.F16, x.astype(np.float16).view(np.uint8)),
               (T.BF16, (x.view(np.uint32) >> 16).astype(np.uint16).view(np.uint8))):
    values = dequantize(raw.reshape(1, -1), t).reshape(-1)
    cases.append({"type": int(t), "name": t.name, "hex": raw.tobytes().hex(), "values": [float(v) for v in values]})
json.dump({"source": f"gguf-py {gguf.__version__ if hasattr(gguf, '__version__') else ''} gguf.quants.dequantize, seeded random blocks",
           "cases": cases}, open("dequant_golden.json", "w"))
print(len(cases), "cases")
