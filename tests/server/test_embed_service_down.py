"""The chat API while the embedding service is down: a prose question is a 503 with a message
in Chinese, a figure question is answered (it never needs the model)."""

from __future__ import annotations

import threading
from pathlib import Path

from ingest import Settings, ingest_paths, open_store
from ingest.embed_service import EmbeddingServer, RemoteEmbedder
from qa import Engine
from tests.conftest import SEED
from tests.ingest.test_embed_service import HashEmbedder
from tests.server.conftest import MakeClient

PROSE = "三公经费为什么增加了？"
FIGURES = ["卫生健康支出是多少？", "人员经费占基本支出的比例是多少？"]


def test_prose_waits_for_the_service_and_figures_do_not(tmp_path: Path, make_client: MakeClient) -> None:
    path = tmp_path / "e.sock"
    server = EmbeddingServer(HashEmbedder(), path)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    store = open_store(Settings(data_dir=tmp_path / "data"), embedder=RemoteEmbedder(path, timeout=5))
    assert not [r.error for r in ingest_paths([SEED], store) if r.error]
    client = make_client(tmp_path / "data", engine=Engine(store, store.vectors))
    assert client.post("/api/chat", json={"message": PROSE}).status_code == 200
    server.close()

    r = client.post("/api/chat", json={"message": "为什么要压减一般性支出？"})
    assert r.status_code == 503
    assert "检索服务暂时不可用" in r.json()["detail"]
    assert r.headers["retry-after"]
    r = client.post("/api/chat/stream", json={"message": "机关运行经费为什么减少？"})
    assert r.status_code == 503
    for question in FIGURES:
        r = client.post("/api/chat", json={"message": question})
        assert r.status_code == 200
        assert r.json()["status"] == "answered", r.json()
