// The staff console. The token lives in sessionStorage only; every piece of document
// text is set with textContent, never parsed as HTML.
"use strict";

const TOKEN_KEY = "budgetqa-admin-token";
const $ = (id) => document.getElementById(id);
let facts = [];

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function token() {
  return sessionStorage.getItem(TOKEN_KEY) || "";
}

function authHeaders() {
  return token() ? { Authorization: "Bearer " + token() } : {};
}

function showAuth() {
  $("auth-state").textContent = token() ? "已保存令牌（仅在本标签页有效）。" : "尚未填写令牌：导入和删除需要令牌。";
}

async function detail(res) {
  const body = await res.json().catch(() => ({}));
  return body.detail || "出错了（" + res.status + "）";
}

// --- documents -----------------------------------------------------------------------------
async function loadDocuments() {
  const body = $("docs").querySelector("tbody");
  $("docs-state").textContent = "正在读取…";
  const res = await fetch("/api/documents");
  if (!res.ok) {
    $("docs-state").textContent = await detail(res);
    return;
  }
  const docs = await res.json();
  body.replaceChildren();
  for (const d of docs) {
    const row = el("tr");
    const title = el("td");
    title.appendChild(el("span", "", d.title));
    title.appendChild(el("div", "hint", d.sources.join("；")));
    row.appendChild(title);
    row.appendChild(el("td", "", d.unit));
    row.appendChild(el("td", "", d.year || ""));
    row.appendChild(el("td", "", d.kind));
    row.appendChild(el("td", "num", d.facts));
    const actions = el("td", "actions");
    const show = el("button", "small", "审计与数据");
    show.type = "button";
    show.addEventListener("click", () => showDocument(d));
    const remove = el("button", "small danger", "删除");
    remove.type = "button";
    remove.addEventListener("click", () => deleteDocument(d));
    actions.append(show, remove);
    row.appendChild(actions);
    body.appendChild(row);
  }
  $("docs-state").textContent = docs.length ? "共 " + docs.length + " 份文件。" : "还没有收录任何文件。";
}

async function deleteDocument(d) {
  if (!window.confirm("删除「" + d.title + "」及其全部数据？")) return;
  const res = await fetch("/api/documents/" + encodeURIComponent(d.doc_id), {
    method: "DELETE", headers: authHeaders(),
  });
  $("docs-state").textContent = res.ok ? "已删除「" + d.title + "」。" : await detail(res);
  if (res.ok) {
    $("detail").hidden = true;
    loadDocuments();
  }
}

async function showDocument(d) {
  const id = encodeURIComponent(d.doc_id);
  $("detail").hidden = false;
  $("detail-title").textContent = d.title;
  $("csv").href = "/api/documents/" + id + "/facts?format=csv";
  $("xlsx").href = "/api/documents/" + id + "/facts?format=xlsx";
  $("audit-xlsx").href = "/api/documents/" + id + "/audit?format=xlsx";
  const audit = $("audit");
  audit.replaceChildren(el("li", "hint", "正在读取…"));
  const [auditRes, factsRes] = await Promise.all([
    fetch("/api/documents/" + id + "/audit"), fetch("/api/documents/" + id + "/facts"),
  ]);
  audit.replaceChildren();
  const findings = auditRes.ok ? await auditRes.json() : [];
  findings.sort((a, b) => Number(a.ok) - Number(b.ok));
  for (const f of findings) {
    const item = el("li", f.ok ? "ok" : "problem");
    item.appendChild(el("span", "mark", f.ok ? "✓" : "!"));
    item.appendChild(el("span", "", "[" + f.check + "] " + f.message + (f.page ? "（第" + f.page + "页）" : "")));
    if (f.computation) item.appendChild(el("div", "hint", "计算：" + f.computation));
    audit.appendChild(item);
  }
  if (!findings.length) audit.appendChild(el("li", "hint", "没有审计结果。"));
  facts = factsRes.ok ? await factsRes.json() : [];
  $("filter").value = "";
  renderFacts();
  $("detail").scrollIntoView({ block: "start" });
}

function renderFacts() {
  const needle = $("filter").value.trim();
  const body = $("facts").querySelector("tbody");
  body.replaceChildren();
  const shown = facts.filter((f) => !needle ||
    [f.table, f.code, f.row, f.column, f.value, f.quote].some((x) => x && String(x).includes(needle)));
  for (const f of shown.slice(0, 2000)) {
    const row = el("tr");
    for (const [value, cls] of [[f.table, ""], [f.code || "", ""], [f.row, ""], [f.column, ""],
      [f.value, "num"], [f.unit, ""], [f.page || "", "num"], [f.quote, "quote-cell"]]) {
      row.appendChild(el("td", cls, value));
    }
    body.appendChild(row);
  }
  $("facts-state").textContent = "显示 " + Math.min(shown.length, 2000) + " / " + facts.length + " 条数据。";
}

// --- upload ------------------------------------------------------------------------------
// The server answers an upload at once (202) with a job; the page then follows the job.
function send(file, line) {
  return new Promise((resolve) => {
    const form = new FormData();
    form.append("file", file);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/documents");
    if (token()) xhr.setRequestHeader("Authorization", "Bearer " + token());
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) line.status.textContent = "上传中 " + Math.round((100 * e.loaded) / e.total) + "%";
    };
    xhr.upload.onload = () => { line.status.textContent = "已上传，排队等待导入…"; };
    xhr.onload = () => {
      let body = {};
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = {}; }
      resolve(xhr.status === 202 ? { job: body } : { error: body.detail || "出错了（" + xhr.status + "）" });
    };
    xhr.onerror = () => resolve({ error: "连接中断" });
    xhr.send(form);
  });
}

const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

async function follow(job, line) {
  while (job.status === "queued" || job.status === "running") {
    line.status.textContent = job.status === "queued" ? "排队等待导入…" :
      job.pages_total ? "正在导入：第 " + job.pages_done + " / " + job.pages_total + " 页" : "正在导入…";
    await sleep(500);
    const res = await fetch("/api/jobs/" + encodeURIComponent(job.job_id));
    if (!res.ok) return { error: await detail(res) };
    job = await res.json();
  }
  return job.status === "done" ? { result: job.result } : { error: job.error };
}

async function upload(file, line) {
  let outcome = await send(file, line);
  if (outcome.job) outcome = await follow(outcome.job, line);
  if (outcome.result) {
    const r = outcome.result;
    line.item.className = "done";
    line.status.textContent = r.unchanged ? "已收录过（未变化）" :
      "✓ " + r.title + "：" + r.tables + " 张表，" + r.facts + " 条数据，" + r.findings +
      " 项审计（" + r.problems + " 项问题），" + r.seconds + " 秒" + (r.encoding ? "，" + r.encoding : "") +
      (r.vectors_pending ? "；" + r.vectors_pending + " 个段落向量待补（budget-qa check --repair）" : "");
  } else {
    line.item.className = "failed";
    line.status.textContent = "✗ " + outcome.error;
  }
}

async function uploadAll(e) {
  e.preventDefault();
  const files = Array.from($("files").files);
  if (!files.length) return;
  const lines = files.map((file) => {
    const item = el("li", "pending");
    item.appendChild(el("span", "file", file.name));
    const status = el("span", "status", "等待中");
    item.appendChild(status);
    $("uploads").appendChild(item);
    return { file, item, status };
  });
  for (const line of lines) await upload(line.file, line);
  $("files").value = "";
  loadDocuments();
}

function setup() {
  $("token").value = token();
  showAuth();
  $("auth").addEventListener("submit", (e) => {
    e.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $("token").value.trim());
    showAuth();
  });
  $("forget").addEventListener("click", () => {
    sessionStorage.removeItem(TOKEN_KEY);
    $("token").value = "";
    showAuth();
  });
  $("upload").addEventListener("submit", uploadAll);
  $("refresh").addEventListener("click", loadDocuments);
  $("filter").addEventListener("input", renderFacts);
  loadDocuments();
}

document.addEventListener("DOMContentLoaded", setup);
