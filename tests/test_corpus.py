"""Corpus faults: unreadable, binary, huge or linked-out files are refused with a clear message."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np
import pytest
from support import one_file_corpus

from qa.config import DEFAULT_MAX_CORPUS_MB as MAX_FILE_MB
from qa.corpus import load_corpus, read_corpus_file
from qa.errors import CorpusError

# --- corpus faults ---------------------------------------------------------------------


@pytest.mark.parametrize("data, expected", [
    (b"", "is empty"),
    (" \n\t\r\n\u3000\n".encode(), "is empty"),
    ("\ufeff\n".encode(), "is empty"),
    (b"abc\x00\x01\x02 binary", "looks binary (it contains NUL bytes), not UTF-8 text"),
    ("貿易政策の資料です。".encode("shift_jis"),
     "is not valid UTF-8 (byte 0): convert it, e.g. iconv -f SHIFT_JIS -t UTF-8"),
    ("通商白書".encode() + "です".encode("shift_jis"),
     "is not valid UTF-8 (byte 12): convert it, e.g. iconv -f SHIFT_JIS -t UTF-8"),
])
def test_unreadable_corpus_files(tmp_path, data, expected):
    folder = one_file_corpus(tmp_path, data)
    with pytest.raises(CorpusError) as info:
        load_corpus(folder)
    assert str(info.value) == f"{folder / 'doc.txt'} {expected}"


def test_huge_file_is_refused_before_reading(tmp_path, monkeypatch):
    folder = tmp_path / "corpus"
    folder.mkdir()
    path = folder / "huge.txt"
    with path.open("wb") as fh:
        fh.truncate(50 * 1024 * 1024)  # sparse: 50 MB on paper, instant to make

    def no_reading(self):
        raise AssertionError(f"{self} was read before its size was checked")

    monkeypatch.setattr(Path, "read_bytes", no_reading)
    with pytest.raises(CorpusError) as info:
        load_corpus(folder)
    assert str(info.value) == (f"{path} is 50.0 MB, over the {MAX_FILE_MB:g} MB limit "
                               "(set QA_MAX_CORPUS_MB to raise it)")


def test_one_megabyte_line_is_chunked(tmp_path):
    from qa.chunking import ChunkParams, chunk
    from qa.segmenting import MAX_PIECE_CHARS, pieces

    words = ["経済安全保障", "と", "サプライチェーン", "の", "強靱化", "WTO", "2021", "に関する", "取組", " "]
    rng = np.random.default_rng(0)
    line = "".join(words[i] for i in rng.integers(0, len(words), 250_000))[:1_000_000]
    text = "Ⅰ．長い一行\n" + line + "\n"
    folder = one_file_corpus(tmp_path, text.encode())
    assert load_corpus(folder)[0].text == text

    cut = list(pieces(line))
    assert "".join(p for _, p in cut) == line
    assert max(len(p.encode()) for _, p in cut) <= MAX_PIECE_CHARS * 4 < 49_000

    params = ChunkParams()
    passages = chunk(text, "doc.txt", params)
    covered = np.zeros(len(text), dtype=bool)
    for p in passages:
        assert p.text == text[p.start:p.end]
        assert len(p.clean_text) <= params.max_chars + params.min_chars
        covered[p.start:p.end] = True
    lost = [i for i, ch in enumerate(text) if not ch.isspace() and not covered[i]]
    assert lost == []


def test_txt_path_that_is_a_folder(tmp_path):
    folder = tmp_path / "corpus"
    (folder / "notes.txt").mkdir(parents=True)
    with pytest.raises(CorpusError) as info:
        load_corpus(folder)
    assert str(info.value) == f"{folder / 'notes.txt'} is a folder, not a text file"


def test_symlink_outside_corpus(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("private text", encoding="utf-8")
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "deck.txt").symlink_to(secret)
    with pytest.raises(CorpusError) as info:
        load_corpus(folder)
    assert str(info.value) == f"{folder / 'deck.txt'} links outside the corpus folder ({secret}): refused"


def test_symlink_loop(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a.txt").symlink_to(folder / "b.txt")
    (folder / "b.txt").symlink_to(folder / "a.txt")
    with pytest.raises(CorpusError, match="a.txt is a link that cannot be followed"):
        load_corpus(folder)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_named_pipe_does_not_hang(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    fifo = folder / "pipe.txt"
    os.mkfifo(fifo)
    errors: list[str] = []

    def read():
        try:
            load_corpus(folder)
        except CorpusError as exc:
            errors.append(str(exc))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(5)
    if reader.is_alive():  # release the blocked reader before failing
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        reader.join(5)
        pytest.fail("reading a named pipe in the corpus folder hung")
    assert errors == [f"{fifo} is not a regular file: refused"]


@pytest.mark.parametrize("setup, expected", [
    (lambda p: None, "corpus folder not found: {p}"),
    (lambda p: p.write_text("x"), "corpus path is not a folder: {p}"),
    (lambda p: (p.mkdir(), (p / "readme.rst").write_text("x")),
     "no .txt, .md or .pdf files in corpus folder {p}"),
])
def test_missing_or_empty_corpus_folder(tmp_path, setup, expected):
    path = tmp_path / "corpus"
    setup(path)
    with pytest.raises(CorpusError) as info:
        load_corpus(path)
    assert str(info.value) == expected.format(p=path)


def test_unreadable_file_is_a_corpus_error(tmp_path):
    with pytest.raises(CorpusError, match="cannot read .*gone.txt: No such file or directory"):
        read_corpus_file(tmp_path / "gone.txt")
