"""Hybrid retrieval: dense + BM25 over Sudachi terms (from the index's store), fused by weighted RRF."""

from __future__ import annotations

import functools
import re
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from qa.config import Config, check_mode
from qa.country_names import with_deck_spellings
from qa.fusion import FusionParams, rrf
from qa.hubness import Hubness
from qa.index_check import check_vectors
from qa.indexing import Index, load_index
from qa.lexical import lucene_idf
from qa.line_layout import LINK
from qa.questions import clean_question, detect_language
from qa.records import Hit, Passage
from qa.segmenting import terms
from qa.synonyms import deck_terms

# Above this many sentences, the best-sentence ranking scans only the sentences of the
# SENTENCE_POOL passages nearest by passage vector: a scan of every sentence grows with the
# corpus (120k sentences at 100x the deck: ~90 ms a query here), the pool does not
# (eval/scale/README.md). The bundled deck (1,203 sentences) is always scanned whole.
SENTENCE_SCAN_LIMIT = 20_000
SENTENCE_POOL = 500


@dataclass(frozen=True)
class Ranked:
    """Per-method evidence for one query, used by fusion and by abstention."""

    dense: list[tuple[int, float]]  # (passage idx, cosine), best first
    bm25: list[tuple[int, float]]  # (passage idx, BM25 score), best first, score > 0 only
    query_terms: list[str]
    matched_terms: list[str]  # query terms found in the index vocabulary
    query_vec: np.ndarray | None = None
    # (passage idx, best cosine of one of its sentences): finer-grained than the passage vector
    sentence: list[tuple[int, float]] = field(default_factory=list)
    # English: (passage idx, BM25 score) of the question's words against the passages' glosses
    gloss: list[tuple[int, float]] = field(default_factory=list)
    # English: (passage idx, cosine) of the question's vector with the passages' embedded glosses
    gloss_dense: list[tuple[int, float]] = field(default_factory=list)
    # Japanese: (a word's own terms, the deck's terms for it) for words the deck writes otherwise
    synonyms: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = ()


class Retriever:
    """Searches one loaded index. Thread-safe: the model loads once, under a lock."""

    def __init__(self, index: Index, embedder_factory: Callable[[], object] | None = None,
                 fusion: FusionParams | None = None):
        self.index = index
        self.fusion = fusion or FusionParams()
        self._embedder_factory = embedder_factory
        self._embedder = None
        self._lock = threading.Lock()
        # BM25 posting lists in this process (FAISS store) or the engine's sparse vectors (Milvus store)
        self._bm25 = index.store.lexical(index.terms)
        self._vocab = self._bm25.vocab
        self.by_id = {p.id: p for p in index.passages}
        self._position = {p.id: i for i, p in enumerate(index.passages)}
        self.idf = lucene_idf(index.terms)
        self._unit_owner = np.repeat(np.arange(len(index.units)), [len(u) for u in index.units])
        # a link is no sentence: its words ("climateaction", "unfccc") would match questions about climate
        self._link_unit = np.array([bool(LINK.match(p.text[a - p.start:b - p.start]))
                                    for p, spans in zip(index.passages, index.units) for a, b in spans], bool)
        self._hubness: dict[bool, Hubness] = {}  # plain / titled sentence vectors, on first use
        self._gloss = None  # GlossBm25, built on the first English question

    @classmethod
    def load(cls, index_dir: str | Path | None = None, model: str | None = None, embedder=None,
             corpus_dir: str | Path | None = None, check_corpus: bool = True,
             fusion: FusionParams | None = None) -> Retriever:
        """Load the index (validated against the corpus and model); the model loads lazily."""
        cfg = Config.from_env(model=model)
        index_dir = Path(index_dir) if index_dir else cfg.index_dir
        corpus = Path(corpus_dir) if corpus_dir else cfg.corpus_dir
        model_id = embedder.model_id if embedder is not None else cfg.model
        index = load_index(index_dir, corpus if check_corpus else None, model_id)
        if embedder is not None:
            return cls(index, lambda: embedder, fusion)

        def factory():
            from qa.embedding import load_embedder

            return load_embedder(cfg.model)

        return cls(index, factory, fusion)

    @property
    def passages(self) -> list[Passage]:
        return self.index.passages

    @property
    def embedder(self):
        if self._embedder is None:
            with self._lock:
                if self._embedder is None:
                    if self._embedder_factory is None:
                        raise RuntimeError("this retriever has no embedding model")
                    emb = self._embedder_factory()
                    check_vectors(self.index, emb)
                    self._embedder = emb
        return self._embedder

    def warm_up(self) -> None:
        """Load the model and run one query, so the first user does not wait."""
        self.rank("warm up", need_dense=True)

    def query_terms(self, query: str, language: str, synonyms=None) -> list[str]:
        """BM25 terms of ``query``: its Sudachi terms and the deck's words for those it writes
        otherwise (``synonyms``, default ``synonyms_of``), or for an English question the Japanese
        terms of its phrases' dictionary translations (and the document's own Latin words)."""
        lexicon = self.index.lexicon
        if language == "en" and lexicon is not None:
            return lexicon.query_terms(query, self.fusion.bridge_headwords)
        own = with_deck_spellings(query, terms(query))
        found = self.synonyms_of(query, language) if synonyms is None else synonyms
        return own + [t for t in deck_terms(found) if t not in own]

    def synonyms_of(self, query: str, language: str) -> tuple:
        """``Synonyms.of`` for a Japanese question (none for English, or an index without them)."""
        table = self.index.synonyms
        return table.of(query) if table is not None and language != "en" else ()

    def rank(self, query: str, need_dense: bool = True, need_bm25: bool = True,
             language: str | None = None, need_gloss_dense: bool = True) -> Ranked:
        n = self.fusion.candidates
        dense: list[tuple[int, float]] = []
        sentence: list[tuple[int, float]] = []
        vec = None
        language = language or detect_language(query)
        # terms first: Sudachi's dictionary loads (and gives back its pages) before the model
        synonyms = self.synonyms_of(query, language) if need_bm25 else ()
        q_terms = self.query_terms(query, language, synonyms) if need_bm25 else []
        if need_dense:
            vec = self.embed_query(query)
            large = len(self.index.unit_vectors) > SENTENCE_SCAN_LIMIT
            pool = self.index.store.search(vec, max(n, SENTENCE_POOL) if large else n)
            dense = pool[:n]
            sentence = self._sentence_ranking(vec, n, [i for i, _ in pool] if large else None)
        matched = [t for t in q_terms if t in self._vocab]
        bm25: list[tuple[int, float]] = []
        if matched:
            bm25 = self._bm25.top(matched, n)
        gloss = self._gloss_index().top(query, n) if need_bm25 and self._uses_glosses(language) else []
        glossed = self.index.gloss_vectors
        gloss_dense = _top(glossed @ vec, n) if need_gloss_dense and vec is not None and glossed is not None \
            and self.fusion.gloss_dense_weight.get(language, 0.0) > 0 else []
        return Ranked(dense, bm25, q_terms, matched, vec, sentence, gloss, gloss_dense, synonyms)

    def _uses_glosses(self, language: str) -> bool:
        return self.index.lexicon is not None and self.fusion.gloss_weight.get(language, 0.0) > 0

    def _gloss_index(self):
        if self._gloss is None:
            with self._lock:
                if self._gloss is None:
                    from qa.gloss_index import GlossBm25

                    self._gloss = GlossBm25(self.index.terms, self.index.lexicon)
        return self._gloss

    def _sentence_ranking(self, vec: np.ndarray, n: int, pool: list[int] | None = None
                          ) -> list[tuple[int, float]]:
        """Passages ranked by their best-matching sentence (max-sim over sentence vectors); with
        ``pool``, only over the sentences of those passages (a large corpus, see SENTENCE_POOL)."""
        if pool is not None:
            return self._pooled_sentence_ranking(vec, n, pool)
        scores = np.where(self._link_unit, -1.0, self.index.unit_vectors @ vec)
        best = np.full(len(self.index.passages), -1.0, dtype=np.float32)
        np.maximum.at(best, self._unit_owner, scores)
        order = np.argsort(-best, kind="stable")[:n]
        return [(int(i), float(best[i])) for i in order if best[i] > -1.0]

    def best_line_cos(self, vec: np.ndarray) -> float:
        """The cosine of the line of the whole index closest to ``vec``: what a dense ranking
        reads off its best sentence, for answering when the search ran on BM25 alone."""
        ranking = self._sentence_ranking(vec, 1)
        return ranking[0][1] if ranking else 0.0

    def _pooled_sentence_ranking(self, vec: np.ndarray, n: int, pool: list[int]) -> list[tuple[int, float]]:
        offsets, units = self.index.unit_offsets, self.index.units
        rows = np.concatenate([np.arange(offsets[i], offsets[i] + len(units[i])) for i in pool])
        scores = np.where(self._link_unit[rows], -1.0, self.index.unit_vectors[rows] @ vec)
        starts = np.cumsum([0] + [len(units[i]) for i in pool[:-1]])
        best = np.maximum.reduceat(scores, starts)
        order = np.argsort(-best, kind="stable")[:n]
        return [(pool[int(j)], float(best[j])) for j in order]

    def embed_query(self, query: str) -> np.ndarray:
        return self.embedder.encode_queries([query])[0]

    def units(self, passage_id: str, titled: bool = False) -> tuple[list[tuple[int, int]], np.ndarray]:
        """The sentence spans of a passage and their vectors (embedded after the slide title)."""
        return self.index.passage_units(self._position[passage_id], titled)

    def lines(self, passage_id: str) -> tuple[Passage, list[tuple[int, int]], np.ndarray, np.ndarray]:
        """A passage, its line spans, and their vectors plain and after the slide title."""
        i = self._position[passage_id]
        spans, vecs = self.index.passage_units(i)
        _, titled = self.index.passage_units(i, titled=True)
        return self.index.passages[i], spans, vecs, titled

    def hubness(self, passage_id: str) -> tuple[np.ndarray, np.ndarray]:
        """The hubness (``qa.hubness``) of a passage's lines, plain and after the slide title."""
        i = self._position[passage_id]
        start, count = self.index.unit_offsets[i], len(self.index.units[i])
        out = []
        for titled in (False, True):
            if titled not in self._hubness:
                vectors = self.index.titled_vectors if titled else self.index.unit_vectors
                self._hubness[titled] = Hubness(vectors)
            out.append(self._hubness[titled].of(start, count))
        return out[0], out[1]

    def position(self, passage_id: str) -> int:
        return self._position[passage_id]

    def previous(self, passage_id: str) -> Passage | None:
        """The passage just above ``passage_id`` in the same slide, or None."""
        return self._neighbour(passage_id, -1)

    def following(self, passage_id: str) -> Passage | None:
        """The passage just below ``passage_id`` in the same slide, or None."""
        return self._neighbour(passage_id, 1)

    def _neighbour(self, passage_id: str, step: int) -> Passage | None:
        i = self._position[passage_id]
        j, passages = i + step, self.index.passages
        if not 0 <= j < len(passages) or passages[j].section != passages[i].section:
            return None
        return passages[j]

    @functools.cached_property
    def doc_year(self) -> int | None:
        """The year the corpus mostly speaks of (its most frequent 19xx/20xx), which dates
        its two-digit years (20年7月) for English answers."""
        text = " ".join(p.text for p in self.passages)
        years = Counter(re.findall(r"(?<!\d)(?:19|20)\d\d(?!\d)", text))
        return int(years.most_common(1)[0][0]) if years else None

    def passage_vector(self, passage_id: str) -> np.ndarray:
        return self.index.store.vector(self._position[passage_id])

    def terms_of(self, passage_id: str) -> list[str]:
        return self.index.terms[self._position[passage_id]]

    def fuse(self, ranked: Ranked, mode: str, language: str, answering: bool = False
             ) -> list[tuple[int, float]]:
        """The fused ranking; ``answering``: the passages the offline answerer reads, without the
        embedded glosses (with them its near misses find a figure to answer with more often:
        English withheld 0.408 -> 0.344 over five reshuffles, eval/README "Round 24")."""
        if mode == "dense":
            return ranked.dense
        if mode == "bm25":
            return ranked.bm25
        f = self.fusion
        weights = [f.dense_weight.get(language, 1.0), f.bm25_weight.get(language, 1.0),
                   f.sentence_weight.get(language, 0.0), f.gloss_weight.get(language, 0.0),
                   0.0 if answering else f.gloss_dense_weight.get(language, 0.0)]
        rankings = [[i for i, _ in ranking] for ranking in
                    (ranked.dense, ranked.bm25, ranked.sentence, ranked.gloss, ranked.gloss_dense)]
        return rrf(rankings, weights, f.rrf_k)

    def search(self, query: str, k: int = 5, mode: str = "hybrid") -> list[Hit]:
        """Top-``k`` passages for ``query`` (Japanese or English)."""
        hits, _ = self.search_with_evidence(query, k, mode)
        return hits

    def search_with_evidence(self, query: str, k: int = 5, mode: str = "hybrid", answering: bool = False
                             ) -> tuple[list[Hit], Ranked]:
        check_mode(mode)
        text = clean_question(query).text
        language = detect_language(text)
        ranked = self.rank(text, need_dense=mode != "bm25", need_bm25=True, language=language,
                           need_gloss_dense=not answering)
        fused = self.fuse(ranked, mode, language, answering)[: max(k, 0)]
        return [self._hit(i, s, r) for r, (i, s) in enumerate(fused, start=1)], ranked

    def _hit(self, idx: int, score: float, rank: int) -> Hit:
        p = self.index.passages[idx]
        return Hit(p.id, p.section, p.title, p.text, float(score), p.start, p.end, rank,
                   p.document, p.page)

    def passage(self, passage_id: str) -> Passage:
        return self.by_id[passage_id]

    def section_passages(self, section: str, document: str | None = None) -> list[Passage]:
        """The passages of one section (slide, page or heading), of ``document`` if given."""
        return [p for p in self.index.passages
                if p.section == section and (document is None or p.document == document)]

    def as_langchain(self, k: int = 5, mode: str = "hybrid"):
        """A LangChain ``BaseRetriever`` over this retriever."""
        from qa.lc_retriever import LangChainRetriever

        return LangChainRetriever(retriever=self, k=k, mode=mode)


def _top(scores: np.ndarray, n: int) -> list[tuple[int, float]]:
    order = np.argsort(-scores, kind="stable")[:n]
    return [(int(i), float(scores[i])) for i in order]
