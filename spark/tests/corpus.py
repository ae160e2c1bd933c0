"""Small deterministic corpora for the Spark tests: random English-looking articles (words drawn
from data/background_en.tsv by frequency) and edited copies of some of them, so that there are
clusters of duplicates, trimmed copies and syndication chains, plus the awkward cases a driver
must get right: ids of different lengths in random order, ids repeated later in the input, very
short and empty texts, and boilerplate repeated many times."""

import json
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_VOCAB = None


def vocabulary(size=20000):
    """(words, cumulative weights) of the `size` most frequent words, damped so that the text is
    not all function words."""
    global _VOCAB
    if _VOCAB is None:
        words, weights = [], []
        with open(ROOT / "data" / "background_en.tsv", encoding="utf-8") as f:
            for line in f:
                word, _, count = line.rstrip("\n").partition("\t")
                if word.startswith("#") or not word.isalpha():
                    continue
                words.append(word)
                weights.append(int(count) ** 0.6)
                if len(words) == size:
                    break
        total, cumulative = 0.0, []
        for w in weights:
            total += w
            cumulative.append(total)
        _VOCAB = (words, cumulative)
    return _VOCAB


def sentence(rng):
    words, cumulative = vocabulary()
    n = rng.randint(6, 24)
    chosen = rng.choices(words, cum_weights=cumulative, k=n)
    return " ".join(chosen).capitalize() + "."


def article(rng):
    return [sentence(rng) for _ in range(rng.randint(4, 30))]


def edit(rng, sentences):
    """A copy of `sentences` with one to three edits."""
    words, cumulative = vocabulary()
    out = list(sentences)
    for _ in range(rng.randint(1, 3)):
        op = rng.choice(["subst", "delete", "insert", "truncate", "boiler", "lower"])
        if op == "subst":
            flat = " ".join(out).split(" ")
            for _ in range(max(1, len(flat) * rng.randint(1, 5) // 100)):
                flat[rng.randrange(len(flat))] = rng.choices(words, cum_weights=cumulative)[0]
            out = [" ".join(flat)]
        elif op == "delete" and len(out) > 2:
            del out[rng.randrange(len(out))]
        elif op == "insert":
            out.insert(rng.randrange(len(out) + 1), sentence(rng))
        elif op == "truncate" and len(out) > 3:
            out = out[: max(2, len(out) * rng.randint(50, 90) // 100)]
        elif op == "boiler":
            out = ["By Staff Reporter."] + out + ["Copyright all rights reserved. Advertisement."]
        elif op == "lower":
            out = [s.lower() for s in out]
    return out


def generate(
    path, docs, seed, repeated_ids=0, short=0, empty=0, boilerplate=0, ordered_ids=False, blank_first=0, wrapped=0
):
    """Writes a JSONL corpus of about `docs` documents to `path`; returns the number of lines.

    About 15% of the base articles get 1-4 edited copies (of the base or of an earlier copy),
    placed later in the file. `repeated_ids` later lines reuse an earlier id with another text
    (the first must win), `short` texts of two or three words come in a few identical groups,
    `empty` texts are "", `boilerplate` documents are one identical paragraph, `blank_first`
    documents come after a blank row under the same id (skipped, so the later row is the one
    kept), `wrapped` stories of 10 sentences come each with three articles 3, 5 and 8 times
    their length that hold them verbatim among other sentences. Ids are "n" plus a
    random number (so their string order is not their input order), or, with `ordered_ids`,
    increase along the file."""
    rng = random.Random(seed)
    texts = []  # (sentences) in output order, copies after their source
    pending = []  # (position, sentences) of copies still to place
    while len(texts) + len(pending) < docs:
        base = article(rng)
        texts.append(base)
        if rng.random() < 0.15:
            source = base
            for _ in range(rng.randint(1, 4)):
                copy = edit(rng, source if rng.random() < 0.7 else base)
                pending.append((len(texts) + rng.randint(0, 200), copy))
                source = copy
        ready = [p for p in pending if p[0] <= len(texts)]
        pending = [p for p in pending if p[0] > len(texts)]
        texts.extend(copy for _, copy in sorted(ready, key=lambda p: p[0]))
    texts.extend(copy for _, copy in pending)
    lines = [" ".join(s) for s in texts]
    for _ in range(wrapped):
        story = [sentence(rng) for _ in range(10)]
        lines.append(" ".join(story))
        for ratio in (3, 5, 8):
            filler = [sentence(rng) for _ in range(10 * (ratio - 1))]
            cut = rng.randrange(len(filler) + 1)
            lines.append(" ".join(filler[:cut] + story + filler[cut:]))
    shorts = ["Breaking news.", "Markets closed higher.", "No comment today."]
    for i in range(short):
        lines.insert(rng.randrange(len(lines) + 1), shorts[i % len(shorts)])
    boiler = " ".join(sentence(random.Random(seed * 7 + 1)) for _ in range(3))
    for _ in range(boilerplate):
        lines.insert(rng.randrange(len(lines) + 1), boiler)
    for _ in range(empty):
        lines.insert(rng.randrange(len(lines) + 1), "")
    if ordered_ids:
        ids = [f"d{i:06d}" for i in range(len(lines))]
    else:
        ids = [f"n{n}" for n in rng.sample(range(1, 20 * len(lines)), len(lines))]
    rows = [{"id": i, "text": t} for i, t in zip(ids, lines)]
    for _ in range(repeated_ids):
        first = rng.randrange(len(rows) // 2)
        at = rng.randrange(first + 1, len(rows) + 1)
        rows.insert(at, {"id": rows[first]["id"], "text": " ".join(article(rng))})
    for _ in range(blank_first):
        at = rng.randrange(len(rows))
        rows.insert(at, {"id": rows[at]["id"], "text": " \n\t "})
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row) + "\n")
    return len(rows)
