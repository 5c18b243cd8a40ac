"""Hubness of sentence vectors (CSLS's correction) and its use for English questions' lines."""

from __future__ import annotations

import numpy as np

from qa.hubness import Hubness


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def test_hubness_is_the_mean_cosine_of_the_nearest_other_sentences():
    v = _unit(np.random.default_rng(0).normal(size=(40, 8)))
    sims = v @ v.T
    np.fill_diagonal(sims, -np.inf)
    expected = np.sort(sims, axis=1)[:, -3:].mean(axis=1)
    hub = Hubness(v, neighbours=3)
    assert np.allclose(hub.of(0, 40), expected, atol=1e-6)
    assert np.allclose(hub.of(7, 4), expected[7:11], atol=1e-6)  # any slice, same values


def test_a_sentence_near_many_others_is_a_hub():
    rng = np.random.default_rng(1)
    centre = rng.normal(size=8)
    v = _unit(np.vstack([centre + 0.1 * rng.normal(size=(10, 8)), rng.normal(size=(10, 8)) * 3]))
    generic = _unit(centre[None, :])
    hub = Hubness(np.vstack([v, generic]), neighbours=5)
    values = hub.of(0, 21)
    assert values[20] > np.median(values[10:20])  # the centre line sits near the whole cluster


def test_a_large_corpus_is_measured_against_a_fixed_sample():
    v = _unit(np.random.default_rng(2).normal(size=(300, 8)))
    sampled = Hubness(v, neighbours=5, reference_rows=50).of(0, 300)
    assert sampled.shape == (300,) and np.isfinite(sampled).all()


def test_tiny_corpora():
    v = _unit(np.array([[1.0, 0.0], [0.6, 0.8]]))
    assert Hubness(v[:1]).of(0, 1).tolist() == [0.0]
    assert np.allclose(Hubness(v).of(0, 2), [0.6, 0.6])
