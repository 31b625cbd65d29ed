"""One embedding model per server, in a process of its own, shared by every worker.

`budget-qa serve` starts the service (`EmbeddingService`) before its workers and restarts it if
it dies; a worker asks it through `RemoteEmbedder` and never imports torch, so N workers hold one
model between them. The service answers over a Unix socket: each message is a 4-byte big-endian
length and its payload. A request is JSON `{"kind": "query"|"passage", "texts": [...]}`; the
reply is JSON `{"rows": n, "dim": d}` followed by n × d little-endian float32, or JSON
`{"error": "..."}`. Connections get a thread each; one model thread embeds, taking every request
waiting at that moment in one batch.

    python -m ingest.embed_service SOCKET   (BUDGETQA_EMBEDDING_MODEL, _CACHE_DIR, _QUERY_THREADS)
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ingest.embedding import CachedEmbedder
from ingest.errors import EmbeddingServiceError
from ingest.settings import Settings

log = logging.getLogger(__name__)

KINDS = ("query", "passage")
MAX_MESSAGE = 64 * 1024 * 1024
REQUEST_TEXTS = 64  # texts a client sends at once: a long ingest does not hold up a question
BATCH_TEXTS = 256  # texts the model thread embeds in one call, gathered from waiting requests
BACKLOG = 512  # connections waiting to be accepted: every request thread of every worker may connect at once
CONNECT_TRIES = 20
_LENGTH = struct.Struct(">I")


def send_message(conn: socket.socket, payload: bytes) -> None:
    conn.sendall(_LENGTH.pack(len(payload)) + payload)


def receive_message(conn: socket.socket) -> bytes:
    (size,) = _LENGTH.unpack(_receive(conn, _LENGTH.size))
    if size > MAX_MESSAGE:
        raise ConnectionError(f"message of {size} bytes is over the limit")
    return _receive(conn, size)


def _receive(conn: socket.socket, size: int) -> bytes:
    buf = bytearray()
    while len(buf) < size:
        got = conn.recv(min(size - len(buf), 1 << 20))
        if not got:
            raise ConnectionError("connection closed")
        buf += got
    return bytes(buf)


@dataclass
class _Request:
    kind: str
    texts: list[str]
    done: threading.Event = field(default_factory=threading.Event)
    vectors: np.ndarray | None = None
    error: str = ""


class EmbeddingServer:
    """Answers embed requests on `path` with `embedder` (the model, loaded in this process)."""

    def __init__(self, embedder: CachedEmbedder, path: Path) -> None:
        self.embedder, self.path = embedder, Path(path)
        self._waiting: queue.Queue[_Request] = queue.Queue()
        # bound under another name and renamed once listening: a client that finds the path
        # finds the service ready (a restarted one replaces its predecessor's file)
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        ready = self.path.with_name(self.path.name + f".{os.getpid()}")
        ready.unlink(missing_ok=True)
        self._listener.bind(str(ready))
        self._listener.listen(BACKLOG)
        os.replace(ready, self.path)
        self._open: set[socket.socket] = set()
        self._closed = False
        threading.Thread(target=self._embed_forever, daemon=True, name="embed-model").start()

    def serve_forever(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                if self._closed:
                    return
                raise
            self._open.add(conn)
            threading.Thread(target=self._answer, args=(conn,), daemon=True, name="embed-client").start()

    def close(self) -> None:
        """No more requests: the listener and every connection closed, as when the process dies."""
        self._closed = True
        self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        for conn in list(self._open):
            with contextlib.suppress(OSError):  # closed by its thread meanwhile
                conn.shutdown(socket.SHUT_RDWR)

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            self._serve_connection(conn)
        self._open.discard(conn)

    def _serve_connection(self, conn: socket.socket) -> None:
        while True:
            try:
                message = receive_message(conn)
            except (ConnectionError, OSError):
                return  # the client went away
            try:
                request = _parse(message)
            except ValueError as exc:
                request = _Request("", [], error=f"bad request: {exc}")
                request.done.set()
            else:
                self._waiting.put(request)
            request.done.wait()
            try:
                if request.vectors is None:
                    send_message(conn, json.dumps({"error": request.error}).encode())
                    continue
                rows, dim = request.vectors.shape
                send_message(conn, json.dumps({"rows": rows, "dim": dim}).encode())
                send_message(conn, request.vectors.astype("<f4").tobytes())
            except OSError:
                return

    def _embed_forever(self) -> None:
        while True:
            batch = [self._waiting.get()]
            size = len(batch[0].texts)
            while size < BATCH_TEXTS:
                try:
                    batch.append(self._waiting.get_nowait())
                except queue.Empty:
                    break
                size += len(batch[-1].texts)
            for kind in KINDS:
                self._embed([r for r in batch if r.kind == kind], kind)

    def _embed(self, requests: list[_Request], kind: str) -> None:
        if not requests:
            return
        try:
            texts = [t for r in requests for t in r.texts]
            vectors = np.stack(self.embedder.vectors(texts, kind)) if texts else np.zeros((0, 0), "f4")
            at = 0
            for r in requests:
                r.vectors, at = vectors[at:at + len(r.texts)], at + len(r.texts)
        except Exception as exc:  # the model failed on these texts: said to each asker, the service lives on
            log.exception("embedding failed")
            for r in requests:
                r.error = f"the model failed: {type(exc).__name__}: {exc}"
        for r in requests:
            r.done.set()


def _parse(message: bytes) -> _Request:
    body = json.loads(message)
    kind, texts = body.get("kind"), body.get("texts")
    if kind not in KINDS or not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
        raise ValueError('want {"kind": "query"|"passage", "texts": [str, ...]}')
    return _Request(kind, texts)


class RemoteEmbedder(CachedEmbedder):
    """Embeddings asked of the service on `path` (its texts cached here, as the in-process
    embedder caches them). A connection the service broke (it was restarted) is replaced once;
    a service that does not answer raises EmbeddingServiceError."""

    def __init__(self, path: str | Path, timeout: float = 120.0) -> None:
        super().__init__()
        self.path, self.timeout = str(path), timeout
        self._idle: list[socket.socket] = []  # a connection per thread asking at once
        self._idle_lock = threading.Lock()

    def _compute(self, texts: list[str], kind: str) -> np.ndarray:
        parts = [self._ask(texts[i:i + REQUEST_TEXTS], kind) for i in range(0, len(texts), REQUEST_TEXTS)]
        return np.concatenate(parts)

    def _ask(self, texts: list[str], kind: str) -> np.ndarray:
        request = json.dumps({"kind": kind, "texts": texts}, ensure_ascii=False).encode()
        with self._idle_lock:
            conn = self._idle.pop() if self._idle else None
        reused = conn is not None
        while True:
            try:
                if conn is None:
                    conn = self._connect()
                send_message(conn, request)
                head = json.loads(receive_message(conn))
                vectors = None if "error" in head else \
                    np.frombuffer(receive_message(conn), "<f4").reshape(head["rows"], head["dim"])
            except (OSError, ConnectionError, ValueError) as exc:
                if conn is not None:
                    conn.close()
                conn = None
                if reused and not isinstance(exc, TimeoutError):
                    reused = False  # an idle connection of a service since restarted: once more, afresh
                    continue
                raise EmbeddingServiceError(f"the embedding service at {self.path} does not answer: {exc}") from exc
            with self._idle_lock:
                self._idle.append(conn)
            if vectors is None:
                raise EmbeddingServiceError(f"the embedding service refused: {head['error']}")
            return vectors

    def _connect(self) -> socket.socket:
        """A new connection; a full backlog (many workers' threads connecting at once makes
        connect fail with EAGAIN on a Unix socket, it does not wait) is tried again shortly."""
        for attempt in range(CONNECT_TRIES):
            conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            conn.settimeout(self.timeout)
            try:
                conn.connect(self.path)
                return conn
            except BlockingIOError:
                conn.close()
                if attempt == CONNECT_TRIES - 1:
                    raise
                time.sleep(0.01 * (attempt + 1))
            except OSError:
                conn.close()
                raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        with self._idle_lock:
            for conn in self._idle:
                conn.close()
            self._idle.clear()


class EmbeddingService:
    """The service process of a server: started, awaited, restarted when it dies, stopped.
    Its socket is in a temp dir of its own (a data dir's path can be too long for one)."""

    def __init__(self, settings: Settings, start_timeout: float = 300.0) -> None:
        self.settings, self.start_timeout = settings, start_timeout
        self.folder = Path(tempfile.mkdtemp(prefix="budgetqa-embed-"))
        self.socket = self.folder / "embed.sock"
        self.restarts = 0
        self._stopping = threading.Event()
        self._process = self._spawn()
        self._wait_ready()
        self._watcher = threading.Thread(target=self._watch, daemon=True, name="embed-service-watch")
        self._watcher.start()

    @property
    def pid(self) -> int:
        return self._process.pid

    def _spawn(self) -> subprocess.Popen[bytes]:
        s = self.settings
        env = {**os.environ, "BUDGETQA_EMBEDDING_MODEL": s.embedding_model,
               "BUDGETQA_CACHE_DIR": str(s.model_cache), "BUDGETQA_QUERY_THREADS": str(s.query_threads)}
        return subprocess.Popen([sys.executable, "-m", "ingest.embed_service", str(self.socket)],
                                env=env, stdin=subprocess.DEVNULL)

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline and not self._stopping.is_set():
            if self._process.poll() is not None:
                raise EmbeddingServiceError(f"the embedding service exited with {self._process.returncode}")
            try:
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
                    probe.connect(str(self.socket))
                return
            except OSError:
                time.sleep(0.1)
        raise EmbeddingServiceError(f"the embedding service did not start in {self.start_timeout:.0f} s")

    def _watch(self) -> None:
        while not self._stopping.is_set():
            code = self._process.wait()
            if self._stopping.is_set():
                return
            log.warning("the embedding service exited with %s: starting it again", code)
            self.restarts += 1
            time.sleep(min(10.0, 0.5 * self.restarts))  # a service that cannot start is not spun on
            self._process = self._spawn()
            try:
                self._wait_ready()
            except EmbeddingServiceError as exc:
                log.warning("%s", exc)

    def stop(self) -> None:
        self._stopping.set()
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def _exit_with_parent() -> None:
    """A service whose server is gone (killed without a word) has no one to serve."""
    parent = os.getppid()
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def main(argv: list[str] | None = None) -> int:
    from ingest.embedding import load_embedder, use_threads

    [path] = argv if argv is not None else sys.argv[1:]
    settings = Settings()
    embedder = load_embedder(settings.embedding_model or None, settings.model_cache)
    use_threads(settings.query_threads)
    embedder.embed_query("预算")  # the model's first pass is slow: not a citizen's wait
    threading.Thread(target=_exit_with_parent, daemon=True).start()
    EmbeddingServer(embedder, Path(path)).serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
