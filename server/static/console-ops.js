// The console's 问题, 教说法 and 操作记录 panels (uses $, el, token, authHeaders, detail of console.js).
"use strict";

const STATUS_NAMES = { answered: "已回答", clarify: "反问", not_understood: "没听懂", not_disclosed: "文件没说",
                       refused: "拒答", error: "出错" };
let groups = [];

function questionQuery() {
  const params = new URLSearchParams();
  for (const box of document.querySelectorAll("#q-filter input[name=status]:checked")) params.append("status", box.value);
  if ($("q-since").value) params.set("since", $("q-since").value);
  if ($("q-until").value) params.set("until", $("q-until").value);
  return params;
}

async function loadQuestions(e) {
  if (e) e.preventDefault();
  $("q-state").textContent = "正在读取…";
  const res = await fetch("/api/questions?" + questionQuery(), { headers: authHeaders() });
  if (!res.ok) {
    $("q-state").textContent = await detail(res);
    return;
  }
  groups = await res.json();
  const body = $("groups").querySelector("tbody");
  body.replaceChildren();
  groups.forEach((g, i) => {
    const row = el("tr");
    const pick = el("input");
    pick.type = "checkbox";
    pick.dataset.index = String(i);
    pick.setAttribute("aria-label", "选中：" + g.question);
    const cell = el("td");
    cell.appendChild(pick);
    row.appendChild(cell);
    const q = el("td");
    q.appendChild(el("div", "", g.question));
    if (g.wordings.length > 1) q.appendChild(el("div", "hint", "也这样问：" + g.wordings.slice(1).join("；")));
    for (const n of g.notes) q.appendChild(el("div", "hint note", "👎 " + n));
    row.appendChild(q);
    row.appendChild(el("td", "", STATUS_NAMES[g.status] || g.status));
    row.appendChild(el("td", "num", g.count));
    row.appendChild(el("td", "num", g.up + " / " + g.down));
    row.appendChild(el("td", "", g.last_seen.replace("T", " ").replace("Z", "")));
    row.appendChild(expectCell(i));
    body.appendChild(row);
  });
  $("q-state").textContent = groups.length ? "共 " + groups.length + " 组问题。" : "没有符合条件的问题。";
}

function expectCell(i) {
  const cell = el("td", "expect");
  const value = el("input");
  value.id = "value-" + i;
  value.placeholder = "数字";
  value.setAttribute("aria-label", "期望的数字");
  const unit = el("select");
  unit.id = "unit-" + i;
  unit.setAttribute("aria-label", "单位");
  for (const u of ["万元", "元", "亿元", "%"]) unit.appendChild(el("option", "", u));
  const words = el("input");
  words.id = "words-" + i;
  words.placeholder = "或关键词，用、分隔";
  words.setAttribute("aria-label", "期望的关键词");
  const none = el("label");
  const silent = el("input");
  silent.type = "checkbox";
  silent.id = "none-" + i;
  none.append(silent, " 文件没有说");
  cell.append(value, unit, words, none);
  return cell;
}

async function download(format) {
  const params = questionQuery();
  params.set("format", format);
  const res = await fetch("/api/questions/export?" + params, { headers: authHeaders() });
  if (!res.ok) {
    $("q-state").textContent = await detail(res);
    return;
  }
  const link = el("a");
  link.href = URL.createObjectURL(await res.blob());
  link.download = "questions." + format;
  link.click();
}

async function exportGold(e) {
  e.preventDefault();
  const items = [];
  for (const box of document.querySelectorAll("#groups input[type=checkbox][data-index]:checked")) {
    const i = box.dataset.index;
    const expected = {};
    if ($("none-" + i).checked) expected.not_found = true;
    else if ($("value-" + i).value.trim()) {
      expected.value = $("value-" + i).value.trim();
      expected.unit = $("unit-" + i).value;
    } else if ($("words-" + i).value.trim()) {
      expected.keywords = $("words-" + i).value.split(/[、,，]/).map((w) => w.trim()).filter(Boolean).map((w) => [w]);
    }
    const doc = groups[i].docs.length ? groups[i].docs[0] : null;
    items.push({ question: groups[i].question, doc, expected });
  }
  if (!items.length) {
    $("gold-state").textContent = "请先选中要导出的问题。";
    return;
  }
  const res = await fetch("/api/questions/gold", {
    method: "POST", headers: { ...authHeaders(), "Content-Type": "application/json" },
    body: JSON.stringify({ name: $("gold-name").value.trim(), items }),
  });
  if (!res.ok) {
    $("gold-state").textContent = await detail(res);
    return;
  }
  const link = el("a");
  link.href = URL.createObjectURL(await res.blob());
  link.download = $("gold-name").value.trim() + ".jsonl";
  link.click();
  $("gold-state").textContent = "已导出 " + items.length + " 个标准问题（也已加入本系统的标准问题集）。";
  loadActivity();
}

async function loadTaught() {
  const res = await fetch("/api/taught", { headers: authHeaders() });
  const list = $("taught");
  list.replaceChildren();
  if (!res.ok) return;
  for (const t of await res.json()) {
    const item = el("li", t.undone_at ? "hint" : "ok");
    item.appendChild(el("span", "", t.said + " → " + t.means + "（" + (t.kind === "unit" ? "单位" : "行") + "，" +
      t.who + (t.undone_at ? "；已由 " + t.undone_by + " 撤销" : "") + "）"));
    if (!t.undone_at) {
      const undo = el("button", "small danger", "撤销");
      undo.type = "button";
      undo.addEventListener("click", async () => {
        const r = await fetch("/api/taught/" + encodeURIComponent(t.id), { method: "DELETE", headers: authHeaders() });
        $("teach-state").textContent = r.ok ? "已撤销「" + t.said + "」。" : await detail(r);
        loadTaught();
        loadActivity();
      });
      item.appendChild(undo);
    }
    list.appendChild(item);
  }
}

async function teachWording(e) {
  e.preventDefault();
  $("teach-state").textContent = "正在检查标准问题的答案…";
  $("changed").replaceChildren();
  const res = await fetch("/api/taught", {
    method: "POST", headers: { ...authHeaders(), "Content-Type": "application/json" },
    body: JSON.stringify({ said: $("said").value.trim(), means: $("means").value.trim(), kind: $("kind").value }),
  });
  const body = await res.json().catch(() => ({}));
  if (res.ok) $("teach-state").textContent = "已采用：" + body.said + " → " + body.means;
  else $("teach-state").textContent = body.detail || "出错了（" + res.status + "）";
  for (const c of body.changed || []) {
    $("changed").appendChild(el("li", "problem", c.question + "：「" + c.before + "」→「" + c.after + "」"));
  }
  loadTaught();
  loadActivity();
}

async function loadActivity() {
  const res = await fetch("/api/activity", { headers: authHeaders() });
  const body = $("activity").querySelector("tbody");
  body.replaceChildren();
  if (!res.ok) return;
  for (const a of await res.json()) {
    const row = el("tr");
    for (const v of [a.at.replace("T", " ").replace("Z", ""), a.who, a.action, a.target, a.result]) {
      row.appendChild(el("td", "", v));
    }
    body.appendChild(row);
  }
}

function setupOperations() {
  $("q-filter").addEventListener("submit", loadQuestions);
  $("q-csv").addEventListener("click", () => download("csv"));
  $("q-xlsx").addEventListener("click", () => download("xlsx"));
  $("gold").addEventListener("submit", exportGold);
  $("teach").addEventListener("submit", teachWording);
  $("activity-refresh").addEventListener("click", loadActivity);
  $("auth").addEventListener("submit", () => { loadQuestions(); loadTaught(); loadActivity(); });
  if (token()) {
    loadQuestions();
    loadTaught();
    loadActivity();
  }
}

document.addEventListener("DOMContentLoaded", setupOperations);
