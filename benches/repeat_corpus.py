#!/usr/bin/env python3
"""Builds a corpus N times the size of a generated one, for scale runs: each repetition gets new
ids (r<k>-<id>) and its texts' ASCII letters rotated by k places (both cases alike, so that
lower-casing maps equal words to equal words): repetition k holds exactly the source's duplicate
structure (the same shingle Jaccards), and nothing matches across repetitions. A scan of the
result finds N times the source's pairs, up to LSH's chance misses near the threshold (signatures
differ between repetitions).

usage: repeat_corpus.py SOURCE.jsonl N OUT.jsonl
"""
import json
import sys

LOWER = "abcdefghijklmnopqrstuvwxyz"


def table(k):
    """Rotation of the letters by k places; texts are translated decoded, then re-escaped."""
    lower = LOWER[k:] + LOWER[:k]
    return str.maketrans(LOWER + LOWER.upper(), lower + lower.upper())


def main():
    source, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if n > len(LOWER):
        sys.exit(f"at most {len(LOWER)} repetitions")
    scan = json.decoder.scanstring
    with open(out, "w", encoding="utf-8") as w:
        for k in range(n):
            t = table(k)
            with open(source, encoding="utf-8") as r:
                for line in r:
                    # Only the id and the text change; the rest of the line is kept as it is.
                    i = line.index('"id": "') + 7
                    ident, j = scan(line, i)
                    s = line.index('"text": "', j) + 9
                    text, e = scan(line, s)
                    w.write(line[:i - 1] + json.dumps(f"r{k}-{ident}") + line[j:s - 1]
                            + json.dumps(text.translate(t)) + line[e:])
    print(f"wrote {out}: {n} repetitions of {source}")


if __name__ == "__main__":
    main()
