"""Index faults: broken, stale or hostile index files are refused with a message saying why,
nothing is unpickled, and a failed rebuild leaves the previous index usable."""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import resource
import signal
import struct
from pathlib import Path

import numpy as np
import pytest
from support import FAKE_ID, FakeEmbedder, edit_manifest, erofs, load, refused, snapshot

from qa import __version__
from qa.errors import CorpusError, IndexLoadError
from qa.indexing import FORMAT_VERSION, build_index
from qa.lexicon import BUILDER_VERSION


class Payload:
    """Unpickling this creates ``marker``: proof that something was unpickled."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return open, (self.marker, "w")



# --- index faults ----------------------------------------------------------------------


def test_missing_index_folder(tmp_path):
    msg = refused(tmp_path / "nowhere")
    assert msg == f"no index at {tmp_path / 'nowhere'}: build it with `qa index`"


def test_tiny_index_loads(tiny_index, tiny_corpus):
    index = load(tiny_index, tiny_corpus)
    assert [p.section for p in index.passages] == ["Ⅰ-1", "Ⅰ-2", "Ⅱ-1"]
    assert index.unit_vectors.shape == (sum(map(len, index.units)), 64)


@pytest.mark.parametrize("keep", [0, 10, 40, 0.5, -1])
def test_truncated_vectors(tiny_index, keep):
    path = tiny_index / "vectors.faiss"
    data = path.read_bytes()
    cut = int(len(data) * keep) if isinstance(keep, float) else keep % len(data)
    path.write_bytes(data[:cut])
    msg = refused(tiny_index)
    assert msg.startswith(f"{path} is truncated or corrupt (")
    assert msg.endswith("): rebuild with `qa index`")


@pytest.mark.parametrize("garbage", [b"\xff" * 813, b"not a faiss index at all", os.urandom(900)])
def test_corrupted_vectors(tiny_index, garbage):
    (tiny_index / "vectors.faiss").write_bytes(garbage)
    assert "vectors.faiss is truncated or corrupt" in refused(tiny_index)


def test_missing_vectors(tiny_index):
    (tiny_index / "vectors.faiss").unlink()
    assert refused(tiny_index) == f"{tiny_index / 'vectors.faiss'} is missing: rebuild with `qa index`"


@pytest.mark.parametrize("claimed", [2**30, 2**36])
def test_corrupt_vector_length_is_refused_without_allocating(tiny_index, claimed):
    """A flipped bit in the stored vector length made FAISS allocate (and zero) up to
    the claimed size, 4 GB and 8 s for 2**30, before failing; now it fails at once."""
    path = tiny_index / "vectors.faiss"
    data = bytearray(path.read_bytes())
    n_floats = 3 * 64  # tiny index: 3 passages x dim 64
    pos = data.index(struct.pack("<Q", n_floats), 16)
    data[pos:pos + 8] = struct.pack("<Q", claimed)
    path.write_bytes(bytes(data))
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert "vectors.faiss is truncated or corrupt" in refused(tiny_index)
    grown_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before
    assert grown_kb < 500_000


def test_missing_manifest(tiny_index):
    (tiny_index / "manifest.json").unlink()
    assert refused(tiny_index) == f"{tiny_index / 'manifest.json'} is missing: rebuild with `qa index`"


@pytest.mark.parametrize("content, expected", [
    (b"{not json", "manifest.json is unreadable or corrupt: rebuild with `qa index`"),
    (b"\x93\xfa\x96\x7b", "manifest.json is unreadable or corrupt: rebuild with `qa index`"),
    (b"", "manifest.json is unreadable or corrupt: rebuild with `qa index`"),
    (b"[1, 2, 3]", "manifest.json is not a manifest: rebuild with `qa index`"),
    (b'{"model_id": "x"}', "manifest is missing fields: chunker, corpus, dim, format_version"),
])
def test_garbage_manifest(tiny_index, content, expected):
    (tiny_index / "manifest.json").write_bytes(content)
    assert expected in refused(tiny_index)


def test_manifest_for_another_model(tiny_index, tiny_corpus):
    edit_manifest(tiny_index, model_id="intfloat/multilingual-e5-large")
    assert refused(tiny_index, tiny_corpus) == (
        f"index at {tiny_index} is stale: the index was built with model "
        f"'intfloat/multilingual-e5-large', not '{FAKE_ID}'. Rebuild with `qa index`")


def test_manifest_for_another_corpus(tiny_index, tiny_corpus):
    edit_manifest(tiny_index, corpus={"deck.txt": "0" * 64})
    assert refused(tiny_index, tiny_corpus) == (
        f"index at {tiny_index} is stale: the corpus changed since the index was built. "
        "Rebuild with `qa index`")


def test_corpus_edited_after_indexing(tiny_index, tiny_corpus):
    with (tiny_corpus / "deck.txt").open("a", encoding="utf-8") as fh:
        fh.write("追記された一文。\n")
    assert "the corpus changed since the index was built" in refused(tiny_index, tiny_corpus)
    assert load(tiny_index).passages  # without a corpus check it still loads


@pytest.mark.parametrize("changes, reason", [
    ({"package_version": "0.0.9"},
     f"built by version 0.0.9 (format {FORMAT_VERSION}); this is {__version__}"),
    ({"format_version": 1}, f"built by version {__version__} (format 1); this is {__version__}"),
])
def test_manifest_for_another_package_version(tiny_index, changes, reason):
    edit_manifest(tiny_index, **changes)
    assert refused(tiny_index) == (
        f"index at {tiny_index} is stale: the index was {reason}. Rebuild with `qa index`")


def test_manifest_for_another_segmenter(tiny_index):
    edit_manifest(tiny_index, segmenter={"library": "sudachipy", "dict": "full", "mode": "C"})
    assert refused(tiny_index) == (
        f"index at {tiny_index} is stale: the index was built with another segmenter setting. "
        "Rebuild with `qa index`")


@pytest.mark.parametrize("record", [{"sha256": "0" * 64}, {"builder_version": 1, "sha256": "0" * 64}],
                         ids=["before-builder-versions", "builder-1"])
def test_lexicon_of_an_older_builder_is_stale(tiny_index, record):
    edit_manifest(tiny_index, lexicon=record)
    assert refused(tiny_index) == (
        f"index at {tiny_index} is stale: its English lexicon was built by lexicon builder 1; "
        f"this is {BUILDER_VERSION}. Rebuild with `qa index`")


def test_passages_out_of_step_with_vectors(tiny_index):
    path = tiny_index / "passages.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:-1]), encoding="utf-8")
    assert refused(tiny_index) == (
        f"index at {tiny_index} is inconsistent: 2 passages, 3 vectors, manifest says 3. "
        "Rebuild with `qa index`")


@pytest.mark.parametrize("mangle, kind", [
    (lambda lines: lines[:1] + ["{broken json\n"] + lines[2:], "JSONDecodeError"),
    (lambda lines: [json.dumps({"id": "x"}) + "\n"] + lines[1:], "KeyError"),
    (lambda lines: lines + ["\n"], "JSONDecodeError"),
])
def test_corrupt_passages(tiny_index, mangle, kind):
    path = tiny_index / "passages.jsonl"
    path.write_text("".join(mangle(path.read_text(encoding="utf-8").splitlines(True))),
                    encoding="utf-8")
    assert refused(tiny_index) == f"{path} is corrupt ({kind}): rebuild with `qa index`"


@pytest.mark.parametrize("array, expected", [
    (np.zeros(19, dtype=np.float32), "has shape (19,) / float32"),
    (np.zeros((19, 64)), "has shape (19, 64) / float64"),
    (np.zeros((18, 64), dtype=np.float32), "sentences.npy is out of step with the passages"),
    (np.zeros((19, 32), dtype=np.float32), "sentences.npy is out of step with the passages"),
])
def test_sentence_vectors_of_wrong_shape(tiny_index, array, expected):
    n_units = sum(map(len, load(tiny_index).units))
    assert n_units == 19  # the shapes above are built around the tiny deck's 19 sentences
    np.save(tiny_index / "sentences.npy", array)
    assert expected in refused(tiny_index)


def test_passage_glosses_out_of_step_or_missing_are_refused(tiny_index):
    index = load(tiny_index)
    assert index.lexicon is not None and index.gloss_vectors.shape == (len(index.passages), 64)
    path = tiny_index / "passage_glosses.npy"
    np.save(path, np.zeros((len(index.passages) - 1, 64), dtype=np.float32))
    assert "passage_glosses.npy is out of step with the passages" in refused(tiny_index)
    path.unlink()
    assert refused(tiny_index) == f"{path} is missing: rebuild with `qa index`"


def test_synonyms_are_built_and_a_missing_or_corrupt_table_is_refused(tiny_index):
    assert load(tiny_index).synonyms.groups  # the tiny deck's words have Sudachi synonym groups
    path = tiny_index / "synonyms.json"
    path.write_text('{"12": ["not", "a", "table"]}', encoding="utf-8")
    assert refused(tiny_index) == f"{path} is missing or corrupt: rebuild with `qa index`"
    path.unlink()
    assert refused(tiny_index) == f"{path} is missing or corrupt: rebuild with `qa index`"


def test_missing_and_garbage_sentence_vectors(tiny_index):
    path = tiny_index / "sentences.npy"
    path.write_bytes(b"\x93NUMPY garbage")
    assert refused(tiny_index) == f"{path} is corrupt: rebuild with `qa index`"
    path.unlink()
    assert refused(tiny_index) == f"{path} is missing: rebuild with `qa index`"


def test_loading_never_unpickles(tiny_index, tmp_path):
    marker = tmp_path / "unpickled"
    evil = np.empty(19, dtype=object)
    evil[:] = [Payload(marker)] * 19
    np.save(tiny_index / "sentences.npy", evil, allow_pickle=True)
    assert refused(tiny_index) == f"{tiny_index / 'sentences.npy'} is corrupt: rebuild with `qa index`"
    for name in ("passages.jsonl", "vectors.faiss", "manifest.json"):
        (tiny_index / name).write_bytes(pickle.dumps(Payload(marker)))
        refused(tiny_index)
    assert not marker.exists()


def test_good_index_loads_without_pickle(tiny_index, monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("the index loader used pickle")

    for name in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, name, forbidden)
    assert len(load(tiny_index).passages) == 3


# --- rebuild faults: the previous index must survive -----------------------------------


def leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith(".index."))


@pytest.mark.parametrize("fail_call", [1, 2])
def test_rebuild_failing_at_the_swap_keeps_old_index(tiny_index, tiny_corpus, monkeypatch, fail_call):
    """Call 1 moves the old index aside, call 2 moves the new one in. Failing at call 2
    used to leave no index at all (the old one stranded in ``.index.old``)."""
    before = snapshot(tiny_index)
    real_replace, calls = os.replace, []

    def flaky_replace(src, dst):
        calls.append((src, dst))
        if len(calls) == fail_call:
            erofs()
        return real_replace(src, dst)

    monkeypatch.setattr("qa.indexing.os.replace", flaky_replace)
    with pytest.raises(IndexLoadError) as info:
        build_index(tiny_corpus, tiny_index, FakeEmbedder(), progress=False)
    assert str(info.value) == f"cannot write the index to {tiny_index}: Read-only file system"
    monkeypatch.undo()
    assert snapshot(tiny_index) == before
    assert len(load(tiny_index, tiny_corpus).passages) == 3
    assert leftovers(tiny_index.parent) == []


@pytest.mark.parametrize("target", ["numpy.save", "qa.store.FaissStore.save"])
def test_rebuild_failing_mid_write_keeps_old_index(tiny_index, tiny_corpus, monkeypatch, target):
    before = snapshot(tiny_index)
    monkeypatch.setattr(target, erofs)
    with pytest.raises(IndexLoadError, match="^cannot write the index to .*: Read-only file system$"):
        build_index(tiny_corpus, tiny_index, FakeEmbedder(), progress=False)
    monkeypatch.undo()
    assert snapshot(tiny_index) == before
    assert load(tiny_index, tiny_corpus).passages
    assert leftovers(tiny_index.parent) == []


@contextlib.contextmanager
def file_size_limit(max_bytes: int):
    """Writes past ``max_bytes`` fail with EFBIG, as on a full disk."""
    handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, handler)


def test_store_save_reports_a_short_write(tmp_path):
    """faiss.write_index only printed a failed close to stderr, leaving a truncated file."""
    from qa.store import FaissStore

    store = FaissStore.from_vectors(np.eye(8, dtype=np.float32))  # a 301-byte file
    with file_size_limit(100), pytest.raises(OSError, match="File too large"):
        store.save(tmp_path)


def test_rebuild_on_a_full_disk_keeps_old_index(tiny_index, tiny_corpus):
    before = snapshot(tiny_index)
    with file_size_limit(600), pytest.raises(IndexLoadError) as info:
        build_index(tiny_corpus, tiny_index, FakeEmbedder(), progress=False)
    assert str(info.value) == f"cannot write the index to {tiny_index}: File too large"
    assert snapshot(tiny_index) == before
    assert leftovers(tiny_index.parent) == []


def test_rebuild_with_no_room_for_a_temp_folder(tiny_index, tiny_corpus, monkeypatch):
    before = snapshot(tiny_index)
    monkeypatch.setattr("qa.indexing.tempfile.mkdtemp", erofs)
    with pytest.raises(IndexLoadError) as info:
        build_index(tiny_corpus, tiny_index, FakeEmbedder(), progress=False)
    assert str(info.value) == f"cannot write the index next to {tiny_index}: Read-only file system"
    monkeypatch.undo()
    assert snapshot(tiny_index) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores folder permissions (simulated above)")
def test_rebuild_in_read_only_folder(tiny_index, tiny_corpus):
    before = snapshot(tiny_index)
    tiny_index.parent.chmod(0o555)
    try:
        with pytest.raises(IndexLoadError, match="cannot write the index next to"):
            build_index(tiny_corpus, tiny_index, FakeEmbedder(), progress=False)
    finally:
        tiny_index.parent.chmod(0o755)
    assert snapshot(tiny_index) == before


class CrashingEmbedder(FakeEmbedder):
    def encode_passages(self, texts, progress=False):
        raise RuntimeError("embedding crashed half-way")


def test_crash_mid_build_keeps_old_index(tiny_index, tiny_corpus):
    before = snapshot(tiny_index)
    (tiny_corpus / "notes.md").write_text("# メモ\n新しい文書を追加する。\n", encoding="utf-8")
    with pytest.raises(RuntimeError, match="embedding crashed half-way"):
        build_index(tiny_corpus, tiny_index, CrashingEmbedder(), progress=False)
    assert snapshot(tiny_index) == before
    assert leftovers(tiny_index.parent) == []


def test_interrupt_mid_write_keeps_old_index(tiny_index, tiny_corpus, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    before = snapshot(tiny_index)
    monkeypatch.setattr("qa.indexing._passage_row", interrupted)
    with pytest.raises(KeyboardInterrupt):
        build_index(tiny_corpus, tiny_index, FakeEmbedder(), progress=False)
    monkeypatch.undo()
    assert snapshot(tiny_index) == before
    assert leftovers(tiny_index.parent) == []


def test_bad_corpus_leaves_index_alone(tiny_index, tiny_corpus):
    before = snapshot(tiny_index)
    (tiny_corpus / "deck.txt").write_bytes(b"")
    with pytest.raises(CorpusError, match="is empty"):
        build_index(tiny_corpus, tiny_index, FakeEmbedder(), progress=False)
    assert snapshot(tiny_index) == before


def test_rebuild_replaces_index(tiny_index, tiny_corpus):
    with (tiny_corpus / "deck.txt").open("a", encoding="utf-8") as fh:
        fh.write("\n Ⅱ－２．新しいスライド\n サプライチェーンの強靱化に取り組む。\n")
    build_index(tiny_corpus, tiny_index, FakeEmbedder(), progress=False)
    assert [p.section for p in load(tiny_index, tiny_corpus).passages][-1] == "Ⅱ-2"
    assert leftovers(tiny_index.parent) == []
