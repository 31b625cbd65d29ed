"""The FastAPI app: chat API, health, documents; built by create_app(settings)."""


import threading
import uuid
from collections import OrderedDict
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse

from ingest.errors import BudgetQAError, QuestionError, StoreError
from ingest.settings import Settings
from qa.engine import Conversation, Engine
from server.schemas import ChatRequest, ChatResponse, Health

MAX_CONVERSATIONS = 1000

PAGE = """<!doctype html><html lang="zh"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>预算问答</title></head>
<body><main><h1>预算公开问答</h1><form id="f"><label for="q">问题</label>
<input id="q" maxlength="500" autocomplete="off"><button>提问</button></form>
<div id="out" aria-live="polite"></div></main>
<script>
const out=document.getElementById('out');let cid=null;
document.getElementById('f').onsubmit=async e=>{e.preventDefault();
const q=document.getElementById('q').value;const r=await fetch('/api/chat',{method:'POST',
headers:{'Content-Type':'application/json'},body:JSON.stringify({message:q,conversation_id:cid})});
const j=await r.json();cid=j.conversation_id||cid;const p=document.createElement('p');
p.textContent=(j.answer||j.detail||'出错了');out.appendChild(p);};
</script></body></html>"""


class Conversations:
    """Server-side conversations, bounded: the oldest are dropped first."""

    def __init__(self, limit: int = MAX_CONVERSATIONS) -> None:
        self.limit = limit
        self._items: OrderedDict[str, Conversation] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, cid: str | None) -> tuple[str, Conversation]:
        with self._lock:
            if cid and cid in self._items:
                self._items.move_to_end(cid)
                return cid, self._items[cid]
            cid = uuid.uuid4().hex
            self._items[cid] = Conversation()
            while len(self._items) > self.limit:
                self._items.popitem(last=False)
            return cid, self._items[cid]


def create_app(settings: Settings, engine: Engine | None = None) -> FastAPI:
    app = FastAPI(title="budget-qa", description="预算/决算公开问答：每个数字都有出处")
    state: dict[str, Engine] = {}
    conversations = Conversations()

    def get_engine() -> Engine:
        if "engine" not in state:
            if engine is not None:
                state["engine"] = engine
            else:
                from ingest import open_store

                store = open_store(settings)
                state["engine"] = Engine(store, store.vectors)
        return state["engine"]

    EngineDep = Annotated[Engine, Depends(get_engine)]

    @app.exception_handler(BudgetQAError)
    async def budget_error(_: Request, exc: BudgetQAError) -> JSONResponse:
        code = 503 if isinstance(exc, StoreError) else 422 if isinstance(exc, QuestionError) \
            else 400
        return JSONResponse({"detail": str(exc)}, status_code=code)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        msgs = "; ".join(f"{'.'.join(str(x) for x in e['loc'][1:])}: {e['msg']}"
                         for e in exc.errors())
        return JSONResponse({"detail": f"请求无效：{msgs}"}, status_code=422)

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": "服务器内部错误，请稍后再试"}, status_code=500)

    @app.get("/api/health")
    def health(engine: EngineDep) -> Health:
        return Health(status="ok", documents=len(engine.documents),
                      facts=len(engine.table_facts) + len(engine.prose_facts))

    @app.post("/api/chat")
    def chat(req: ChatRequest, engine: EngineDep) -> ChatResponse:
        if not req.message.strip():
            raise QuestionError("问题不能为空")
        cid, conv = conversations.get(req.conversation_id)
        reply = engine.answer(req.message.strip(), conv)
        return ChatResponse(**reply.to_json(), conversation_id=cid)

    @app.get("/api/documents")
    def documents(engine: EngineDep) -> list[dict[str, object]]:
        return [{"doc_id": d.doc_id, "title": d.title, "unit": d.unit, "year": d.year,
                 "kind": d.kind, "pages": d.pages} for d in engine.documents]

    @app.get("/", response_class=HTMLResponse)
    def page() -> str:
        return PAGE

    return app
