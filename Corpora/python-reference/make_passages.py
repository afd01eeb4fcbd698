# Builds passages.jsonl from the Python Language Reference topics that ship with CPython
# (Lib/pydoc_data/topics.py). Each topic is split at blank lines into passages of about 60-160
# words, titled by the topic's heading.
import json
import re
import pydoc_data.topics as topics

def heading(text):
    lines = text.strip().splitlines()
    return lines[0].strip() if lines else ""

out = []
for key in sorted(topics.topics):
    text = topics.topics[key]
    title = heading(text)
    # Drop reST underlines (lines of *, =, -, ~, ^) so headings read as plain text.
    text = "\n".join(l for l in text.splitlines() if not re.fullmatch(r"\s*[*=~^-]{3,}\s*", l))
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    chunk, words = [], 0
    part = 0
    for p in paragraphs:
        if set(p.replace("\n", "")) <= set("*=-~^ "):
            continue
        n = len(p.split())
        if words and words + n > 160:
            out.append({"id": f"{key}-{part}", "title": title, "text": "\n\n".join(chunk)})
            part += 1
            chunk, words = [], 0
        chunk.append(p)
        words += n
    if chunk:
        out.append({"id": f"{key}-{part}", "title": title, "text": "\n\n".join(chunk)})

with open("passages.jsonl", "w", encoding="utf-8") as f:
    for row in out:
        f.write(json.dumps(row, ensure_ascii=False) + "\n")
print(len(out), "passages")
