// The web chat. Every piece of user input and document text is set with textContent,
// never parsed as HTML.
"use strict";

const state = { conversationId: null, docId: "", documents: [], busy: false };
const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

// --- documents and suggestions -------------------------------------------------------
async function loadDocuments() {
  try {
    const res = await fetch("/api/documents");
    if (!res.ok) return;
    state.documents = await res.json();
  } catch (e) {
    return;
  }
  const select = $("doc");
  for (const d of state.documents) {
    const label = [d.unit || d.title, d.year ? d.year + "年" : "", d.kind].filter(Boolean).join(" · ");
    const option = el("option", "", label);
    option.value = d.doc_id;
    option.title = d.title;
    select.appendChild(option);
  }
  if (state.documents.length === 1) {
    select.value = state.documents[0].doc_id;
    chooseDocument(select.value);
  }
}

async function chooseDocument(docId) {
  state.docId = docId;
  // The picker's line may be cut on a phone; the full title below it wraps.
  const chosen = state.documents.find((d) => d.doc_id === docId);
  $("doc-title").textContent = chosen ? chosen.title : "";
  const box = $("suggest-box");
  const list = $("suggestions");
  list.replaceChildren();
  if (!docId) {
    box.hidden = true;
    return;
  }
  try {
    const res = await fetch("/api/documents/" + encodeURIComponent(docId) + "/suggestions");
    const questions = res.ok ? await res.json() : [];
    for (const q of questions) {
      const item = el("li");
      const button = el("button", "suggestion", q);
      button.type = "button";
      button.addEventListener("click", () => ask(q));
      item.appendChild(button);
      list.appendChild(item);
    }
    box.hidden = questions.length === 0;
  } catch (e) {
    box.hidden = true;
  }
}

// --- asking ----------------------------------------------------------------------------
async function ask(question) {
  question = question.trim();
  if (!question || state.busy) return;
  state.busy = true;
  $("send").disabled = true;
  $("empty").hidden = true;
  const turn = addTurn(question);
  try {
    const res = await fetch("/api/chat/stream", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "text/event-stream", "X-BudgetQA-Channel": "web" },
      body: JSON.stringify({ message: question, conversation_id: state.conversationId,
                             doc_id: state.docId || null }),
    });
    if (!res.ok) {
      const body = await res.json().catch(() => ({}));
      showError(turn, body.detail || "出错了（" + res.status + "），请稍后再试。");
      return;
    }
    await readEvents(res, (event, data) => {
      if (event === "delta") turn.text.textContent += data.text;
      else if (event === "reply") showReply(turn, data);
      reveal(turn.article);
    });
  } catch (e) {
    showError(turn, "连接中断，请稍后再试。");
  } finally {
    turn.article.setAttribute("aria-busy", "false");
    state.busy = false;
    $("send").disabled = false;
    reveal(turn.article);
  }
}

// Scrolls the page so that `node` is seen whole between the top of the window and the input
// bar fixed at its bottom (scrollIntoView would leave its end behind the bar); a node taller
// than that room is shown from its start, so the question and the answer's first lines stay.
function reveal(node) {
  const room = $("ask").getBoundingClientRect().top - 8;
  const box = node.getBoundingClientRect();
  let dy = 0;
  if (box.height > room - 8 || box.top < 0) dy = box.top - 8;
  else if (box.bottom > room) dy = box.bottom - room;
  if (dy) window.scrollBy(0, dy);
}

// Server-Sent Events over fetch: events are separated by a blank line.
async function readEvents(res, onEvent) {
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const raw = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = "message";
      const data = [];
      for (const line of raw.split("\n")) {
        if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
      }
      if (data.length) onEvent(event, JSON.parse(data.join("\n")));
    }
  }
}

function addTurn(question) {
  const article = el("article", "turn");
  article.setAttribute("aria-busy", "true");
  article.appendChild(el("p", "question", question));
  const answer = el("div", "answer");
  const text = el("p", "answer-text");
  answer.appendChild(text);
  article.appendChild(answer);
  $("log").appendChild(article);
  reveal(article);
  return { article, answer, text };
}

function showError(turn, message) {
  turn.answer.classList.add("error");
  turn.text.textContent = message;
}

function showReply(turn, reply) {
  state.conversationId = reply.conversation_id || state.conversationId;
  turn.text.textContent = reply.answer;
  turn.answer.classList.add("status-" + reply.status);
  if (reply.calculation) turn.answer.appendChild(renderCalculation(reply.calculation));
  if (reply.chart) turn.answer.appendChild(renderChart(reply.chart));
  if (reply.table) turn.answer.appendChild(renderListing(reply.table));
  if (reply.candidates && reply.candidates.length) {
    turn.answer.appendChild(renderCandidates(reply.question, reply.candidates));
  }
  if (reply.citations && reply.citations.length) turn.answer.appendChild(renderCitations(reply.citations));
  if (reply.message_id) turn.answer.appendChild(renderFeedback(reply.message_id));
}

// --- feedback: 👍 / 👎 under every answer, a short note with 👎 -----------------------------
async function sendFeedback(messageId, rating, note) {
  try {
    const res = await fetch("/api/feedback", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ message_id: messageId, rating, note: note || null }),
    });
    if (res.ok) return "";
    const body = await res.json().catch(() => ({}));
    return body.detail || "没有发送成功（" + res.status + "）";
  } catch (e) {
    return "连接中断，没有发送成功";
  }
}

function renderFeedback(messageId) {
  const box = el("div", "feedback");
  box.setAttribute("role", "group");
  box.setAttribute("aria-label", "这个回答有帮助吗？");
  const up = el("button", "vote", "👍");
  const down = el("button", "vote", "👎");
  up.type = down.type = "button";
  up.setAttribute("aria-label", "回答有用");
  down.setAttribute("aria-label", "回答不对");
  const status = el("span", "hint");
  status.setAttribute("role", "status");
  const form = el("form", "feedback-note");
  form.hidden = true;
  const label = el("label", "", "哪里不对？（可不填）");
  const note = el("textarea");
  note.id = "note-" + messageId;
  label.htmlFor = note.id;
  note.maxLength = 500;
  note.rows = 2;
  const send = el("button", "small", "发送");
  send.type = "submit";
  form.append(label, note, send);
  const done = (text) => {
    up.disabled = down.disabled = true;
    status.textContent = text;
  };
  up.addEventListener("click", async () => {
    up.setAttribute("aria-pressed", "true");
    const error = await sendFeedback(messageId, "up", "");
    done(error || "谢谢！");
  });
  down.addEventListener("click", () => {
    down.setAttribute("aria-pressed", "true");
    up.disabled = down.disabled = true;
    form.hidden = false;
    note.focus();
  });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    send.disabled = true;
    const error = await sendFeedback(messageId, "down", note.value.trim());
    form.hidden = !error;
    send.disabled = false;
    done(error || "谢谢，工作人员会查看这个回答。");
  });
  box.append(up, down, status, form);
  return box;
}

// --- reply parts -------------------------------------------------------------------------
function number(value, unit) {
  const money = unit === "%" || unit.endsWith("元");
  return (money ? Number(value).toFixed(2) : String(value)) + (unit === "%" ? "%" : " " + unit);
}

function renderCalculation(calc) {
  const box = el("div", "calc");
  box.appendChild(el("p", "formula", "算式：" + calc.expression + " = " + number(calc.result, calc.unit)));
  const list = el("ul", "operands");
  for (const o of calc.operands) list.appendChild(el("li", "", o.label + "：" + number(o.value, o.unit)));
  box.appendChild(list);
  return box;
}

function renderListing(listing) {
  const box = el("details", "listing");
  box.appendChild(el("summary", "", "全部 " + listing.rows.length + " 项（表格）"));
  const download = el("a", "csv", "下载 CSV");
  download.href = URL.createObjectURL(new Blob(["\ufeff" + listing.csv], { type: "text/csv" }));
  download.download = "ranking.csv";
  box.appendChild(download);
  const table = el("table");
  const head = el("tr");
  for (const c of listing.columns) head.appendChild(el("th", "", c));
  table.appendChild(head);
  for (const row of listing.rows) {
    const tr = el("tr");
    for (const cell of row) tr.appendChild(el("td", "", cell));
    table.appendChild(tr);
  }
  box.appendChild(table);
  return box;
}

function renderCandidates(question, candidates) {
  const box = el("div", "candidates");
  box.appendChild(el("p", "hint", "请选择文件："));
  for (const title of candidates) {
    const button = el("button", "suggestion", title);
    button.type = "button";
    const doc = state.documents.find((d) => d.title === title);
    button.addEventListener("click", () => {
      if (doc) {
        $("doc").value = doc.doc_id;
        chooseDocument(doc.doc_id);
      }
      ask(question);
    });
    box.appendChild(button);
  }
  return box;
}

let citeCount = 0;

function renderCitations(citations) {
  const box = el("div", "citations");
  box.appendChild(el("span", "cite-label", "来源"));
  const seen = new Set();
  for (const c of citations) {
    const key = [c.doc_id, c.table, c.page, c.quote].join("|");
    if (seen.has(key)) continue;
    seen.add(key);
    const id = "cite-" + ++citeCount;
    const chip = el("button", "chip", chipLabel(c));
    chip.type = "button";
    chip.setAttribute("aria-expanded", "false");
    chip.setAttribute("aria-controls", id);
    const panel = el("div", "quote");
    panel.id = id;
    panel.hidden = true;
    panel.appendChild(el("p", "quote-source", [c.title, c.table || "正文", c.page ? "第" + c.page + "页" : ""]
      .filter(Boolean).join(" · ")));
    panel.appendChild(el("blockquote", "", c.quote));
    const cells = c.columns && c.columns.length ? renderCells(c.quote, c.columns) : null;
    if (cells) panel.appendChild(cells);
    chip.addEventListener("click", () => {
      const open = chip.getAttribute("aria-expanded") !== "true";
      chip.setAttribute("aria-expanded", String(open));
      panel.hidden = !open;
      if (open) reveal(panel);
    });
    box.appendChild(chip);
    box.appendChild(panel);
  }
  return box;
}

// A quoted table row is its label and then one figure per column ("合计 308.44 297.64 10.80");
// with the table's column names the figures are shown under them. When the row has fewer
// figures than columns (a text extract drops blank cells) they cannot be placed: the names
// are listed, the figures are not guessed.
const FIGURE = /^[-+]?[\d,]*\.?\d+%?$|^[-—－]$/;

function renderCells(quote, columns) {
  const tokens = quote.trim().split(/\s+/);
  let figures = 0;
  while (figures < tokens.length && FIGURE.test(tokens[tokens.length - 1 - figures])) figures++;
  if (figures !== columns.length) return el("p", "quote-source", "本表各列：" + columns.join("、"));
  const table = el("table", "quote-cells");
  const label = tokens.slice(0, tokens.length - figures).join(" ");
  if (label) table.appendChild(el("caption", "", label));
  columns.forEach((name, i) => {
    const tr = el("tr");
    const head = el("th", "", name);
    head.scope = "row";
    tr.appendChild(head);
    tr.appendChild(el("td", "", tokens[tokens.length - figures + i]));
    table.appendChild(tr);
  });
  return table;
}

function chipLabel(c) {
  const table = c.table ? c.table.split(" ")[0] : "正文";
  return table + (c.page ? " · 第" + c.page + "页" : "");
}

function renderChart(chart) {
  const figure = el("figure", "chart");
  const width = Math.max(280, Math.min(680, $("log").clientWidth - 32));
  const rowHeight = 44;
  const values = chart.items.map((i) => Math.abs(Number(i.value)));
  const max = Math.max(...values, 0) || 1;
  const image = svg("svg", { width, height: chart.items.length * rowHeight + 4, role: "img",
                             viewBox: `0 0 ${width} ${chart.items.length * rowHeight + 4}` });
  image.setAttribute("aria-label", chart.title + "（" + chart.unit + "）");
  chart.items.forEach((item, i) => {
    const y = i * rowHeight;
    const bar = Math.max(2, ((width - 110) * values[i]) / max);
    image.appendChild(svg("text", { x: 0, y: y + 15, class: "bar-label" }, item.label));
    image.appendChild(svg("rect", { x: 0, y: y + 21, width: bar, height: 14, rx: 3, class: "bar" }));
    image.appendChild(svg("text", { x: bar + 6, y: y + 33, class: "bar-value" }, item.value + " " + chart.unit));
  });
  figure.appendChild(image);
  figure.appendChild(el("figcaption", "", chart.title + "（" + chart.table + "，" + chart.column +
    (chart.page ? "，第" + chart.page + "页" : "") + "）"));
  return figure;
}

// --- the form ------------------------------------------------------------------------------
function setup() {
  const form = $("ask");
  const input = $("q");
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const q = input.value;
    if (!q.trim()) return;
    input.value = "";
    updateCount();
    ask(q);
  });
  input.addEventListener("keydown", (e) => {
    // Enter submits; Shift+Enter is a new line; Enter that ends an IME composition is not a submit.
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  input.addEventListener("input", updateCount);
  $("doc").addEventListener("change", (e) => chooseDocument(e.target.value));
  loadDocuments();
}

function updateCount() {
  $("count").textContent = $("q").value.length + " / 500 字";
}

document.addEventListener("DOMContentLoaded", setup);
