"""The embedding service and its client: a stand-in model in a thread (fast), then the real
model in a process of its own (slow): the same vectors as in-process, no torch in the worker."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from ingest.embed_service import EmbeddingServer, EmbeddingService, RemoteEmbedder
from ingest.embedding import CachedEmbedder, load_embedder
from ingest.errors import BudgetQAError, EmbeddingServiceError
from ingest.settings import Settings
from tests.conftest import ROOT, SEED


class HashEmbedder(CachedEmbedder):
    """Stands in for the model: a vector from each text's hash, its calls counted."""

    def __init__(self, dim: int = 16) -> None:
        super().__init__()
        self.dim, self.calls = dim, [] 

    def _compute(self, texts: list[str], kind: str) -> np.ndarray:
        self.calls.append((kind, list(texts)))
        rows = [np.frombuffer(hashlib.sha256(f"{kind}:{t}".encode()).digest()[:self.dim], np.uint8) for t in texts]
        m = np.asarray(rows, dtype=np.float32) + 1
        return m / np.linalg.norm(m, axis=1, keepdims=True)


def start_server(embedder: CachedEmbedder, path: Path) -> EmbeddingServer:
    server = EmbeddingServer(embedder, path)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def socket_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Path(tmp_path_factory.mktemp("sock", numbered=True)) / "e.sock"


def test_the_client_gets_the_services_vectors_and_caches_them(socket_path: Path) -> None:
    model = HashEmbedder()
    server = start_server(model, socket_path)
    client = RemoteEmbedder(socket_path)
    texts = [f"段落{i}" for i in range(150)]  # more than one request's worth
    got = client.embed_documents(texts + texts[:3])
    want = HashEmbedder().embed_documents(texts + texts[:3])
    assert np.allclose(got, want)
    assert client.embed_query("问题") == pytest.approx(HashEmbedder().embed_query("问题"))
    assert client.embed_query("问题") != client.embed_documents(["问题"])[0]  # a query is not a passage
    asked = len(model.calls)
    client.embed_documents(texts[:10])
    client.embed_query("问题")
    assert len(model.calls) == asked  # answered from the client's cache
    assert client.embed_documents([]) == []
    server.close()


def test_concurrent_clients_are_answered_each_with_its_own(socket_path: Path) -> None:
    server = start_server(HashEmbedder(), socket_path)
    clients = [RemoteEmbedder(socket_path) for _ in range(4)]
    got: dict[int, list[list[float]]] = {}

    def ask(i: int) -> None:
        got[i] = clients[i % 4].embed_documents([f"文本{i}-{j}" for j in range(20)])

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    reference = HashEmbedder()
    for i in range(16):
        assert np.allclose(got[i], reference.embed_documents([f"文本{i}-{j}" for j in range(20)]))
    server.close()


def test_a_restarted_service_is_reconnected_and_a_dead_one_is_a_clear_error(socket_path: Path) -> None:
    server = start_server(HashEmbedder(), socket_path)
    client = RemoteEmbedder(socket_path, timeout=5)
    client.embed_query("一")
    server.close()
    with pytest.raises(EmbeddingServiceError, match="does not answer") as caught:
        client.embed_query("二")
    assert isinstance(caught.value, BudgetQAError)
    again = start_server(HashEmbedder(), socket_path)  # the same path, as serve restarts it
    assert client.embed_query("三") == pytest.approx(HashEmbedder().embed_query("三"))
    again.close()


def test_a_failing_model_is_reported_and_the_service_lives_on(socket_path: Path) -> None:
    class Failing(HashEmbedder):
        def _compute(self, texts: list[str], kind: str) -> np.ndarray:
            if "坏" in texts:
                raise RuntimeError("boom")
            return super()._compute(texts, kind)

    server = start_server(Failing(), socket_path)
    client = RemoteEmbedder(socket_path)
    with pytest.raises(EmbeddingServiceError, match="boom"):
        client.embed_query("坏")
    assert len(client.embed_query("好")) == 16
    server.close()


@pytest.fixture(scope="module")
def service() -> Iterator[EmbeddingService]:
    running = EmbeddingService(Settings())
    yield running
    running.stop()


@pytest.mark.slow
def test_the_service_gives_the_in_process_embedders_vectors(service: EmbeddingService) -> None:
    texts = ["三公经费为什么增加了？", "一般公共预算财政拨款支出主要用于基本支出。", "政府采购"]
    remote, local = RemoteEmbedder(service.socket), load_embedder(None, Settings().model_cache)
    assert np.allclose(remote.embed_documents(texts), local.embed_documents(texts), atol=1e-5)
    assert np.allclose(remote.embed_query(texts[0]), local.embed_query(texts[0]), atol=1e-5)


WORKER = """
import sys
from pathlib import Path
from ingest import Store, ingest_paths, open_store
from qa.engine import open_engine
from ingest.settings import Settings
settings = Settings(data_dir=Path(sys.argv[1]), embed_socket=sys.argv[2])
store = open_store(settings)
assert not [r.error for r in ingest_paths([Path(sys.argv[3])], store) if r.error]
store.close()
reply = open_engine(settings).answer("三公经费为什么增加了？")
print(reply.status, bool(reply.citations))
print(sorted(m for m in ("torch", "sentence_transformers", "transformers") if m in sys.modules))
"""


@pytest.mark.slow
def test_a_worker_answers_prose_without_importing_torch(service: EmbeddingService, tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", WORKER, str(tmp_path / "data"), str(service.socket), str(SEED)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    status, modules = done.stdout.strip().splitlines()[-2:]
    assert status == "answered True"
    assert modules == "[]"
