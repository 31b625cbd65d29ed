"""The web chat and the console in a real browser (Debian's chromium, driven by Playwright)
against the real app served by uvicorn over a data dir with the seed ingested."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from eval.synth import scale_figures
from ingest import Store, ingest_paths
from qa import Engine
from server.app import create_app
from server.settings import ServerSettings
from tests.conftest import SEED

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
TOKEN = "browser-test-token"
SHARE = "人员经费占基本支出的比例是多少？"
OTHER_UNITS = ("和硕县社会保险中心", "和静县教育局", "新和县财政局")


def _need_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} is missing: apt-get install chromium (the browser tests need it)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _need_chromium()
    data_dir = tmp_path_factory.mktemp("web-data")
    store = Store(data_dir)
    [result] = ingest_paths([SEED], store)
    assert not result.error
    yield from _serve(data_dir, store)


@pytest.fixture(scope="module")
def many_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The seed and three units more, each with its figures times k, for answers over units."""
    _need_chromium()
    folder = tmp_path_factory.mktemp("web-many")
    for k, name in enumerate(OTHER_UNITS, start=2):
        (folder / f"{k}.txt").write_text(scale_figures(SEED.read_text(encoding="utf-8"), k, 0)
                                         .replace("和静县社会保险中心", name), encoding="utf-8")
    store = Store(folder / "data")
    assert not [r.error for r in ingest_paths([SEED, folder], store) if r.error]
    yield from _serve(folder / "data", store)


def _serve(data_dir: Path, store: Store) -> Iterator[str]:
    app = create_app(ServerSettings(data_dir=data_dir, admin_token=TOKEN, rate_limit_per_minute=0),
                     engine=Engine(store, None))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser(base_url: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


def _screenshot_path(tmp_path: Path) -> Path:
    return Path(os.environ.get("BUDGETQA_SCREENSHOT") or tmp_path / "chat.png")


def test_ask_see_the_streamed_answer_and_expand_a_citation(
        browser, base_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1000, "height": 1300}, locale="zh-CN")
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(base_url + "/")
    expect(page.locator("#doc")).not_to_have_value("")  # the only document is chosen
    expect(page.locator("#suggestions button").first).to_be_visible()

    page.get_by_label("您的问题").fill("卫生健康支出是多少？")
    page.keyboard.press("Enter")
    first = page.locator(".turn").nth(0)
    expect(first).to_have_attribute("aria-busy", "false", timeout=15_000)
    expect(first.locator(".answer-text")).to_contain_text("16.91")
    expect(first.locator(".chart svg rect").first).to_be_visible()

    page.get_by_label("您的问题").fill(SHARE)
    page.get_by_label("您的问题").press("Enter")
    turn = page.locator(".turn").nth(1)
    expect(turn).to_have_attribute("aria-busy", "false", timeout=15_000)
    expect(turn.locator(".answer-text")).to_contain_text("96.50")
    expect(turn.locator(".calc .formula")).to_contain_text("297.64 / 308.44 * 100")
    expect(turn.locator(".calc .operands li")).to_have_count(2)
    chip = turn.locator("button.chip").first
    expect(chip).to_contain_text("表6")
    expect(chip).to_have_attribute("aria-expanded", "false")
    chip.click()
    expect(chip).to_have_attribute("aria-expanded", "true")
    quote = turn.locator(".quote").first
    expect(quote).to_be_visible()
    expect(quote).to_contain_text("308.44")
    expect(quote).to_contain_text("第7页")
    expect(quote).to_contain_text("和静县社会保险中心")

    shot = _screenshot_path(tmp_path)
    shot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    assert not errors, errors
    page.close()


def test_user_text_is_shown_as_text_never_as_markup(browser, base_url: str) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    page = browser.new_page()
    page.goto(base_url + "/")
    attack = '<img src=x onerror="document.title=\'pwned\'">三公经费是多少？'
    page.get_by_label("您的问题").fill(attack)
    page.get_by_label("您的问题").press("Enter")
    expect(page.locator(".turn")).to_have_attribute("aria-busy", "false", timeout=15_000)
    expect(page.locator(".turn .question")).to_have_text(attack)
    assert page.locator(".log img").count() == 0 and page.title() != "pwned"
    page.close()


def test_the_chat_fits_a_phone_screen(browser, base_url: str) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 375, "height": 700}, is_mobile=True, has_touch=True)
    page.goto(base_url + "/")
    page.get_by_label("您的问题").fill("社会保障和就业支出是多少？")
    page.get_by_role("button", name="提问").tap()
    expect(page.locator(".turn")).to_have_attribute("aria-busy", "false", timeout=15_000)
    expect(page.locator(".turn .answer-text")).to_contain_text("345.12")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than the phone"
    page.close()


def test_console_lists_documents_with_audit_and_facts(browser, base_url: str) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    page = browser.new_page()
    page.goto(base_url + "/console")
    page.locator("#token").fill(TOKEN)
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#auth-state")).to_contain_text("已保存")
    assert page.evaluate("sessionStorage.getItem('budgetqa-admin-token')") == TOKEN
    expect(page.locator("#docs tbody tr")).to_have_count(1)
    page.get_by_role("button", name="审计与数据").click()
    expect(page.locator("#audit li.problem").first).to_be_visible()
    expect(page.locator("#facts tbody tr").first).to_be_visible()
    page.get_by_label("筛选").fill("2101103")
    expect(page.locator("#facts tbody tr").first).to_contain_text("4.62")
    assert page.locator("#csv").get_attribute("href").endswith("/facts?format=csv")

    bad = page.locator("#files")
    bad.set_input_files(files=[{"name": "fake.pdf", "mimeType": "application/pdf",
                                "buffer": b"%PDF-1.4 garbage"}])
    page.get_by_role("button", name="导入").click()
    expect(page.locator("#uploads li.failed")).to_contain_text("未导入")
    expect(page.locator("#docs tbody tr")).to_have_count(1)
    page.close()


def test_console_exports_facts_and_audit_as_excel(browser, base_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The two 导出 Excel buttons download real workbooks: the facts a sheet per table type in
    the document's columns, the audit with its cited places."""
    import openpyxl
    from playwright.sync_api import expect

    page = browser.new_page(accept_downloads=True)
    page.goto(base_url + "/console")
    page.get_by_role("button", name="审计与数据").click()
    expect(page.locator("#facts tbody tr").first).to_be_visible()
    with page.expect_download() as facts_download:
        page.locator("#xlsx").click()
    facts_path = tmp_path / facts_download.value.suggested_filename
    facts_download.value.save_as(facts_path)
    with page.expect_download() as audit_download:
        page.locator("#audit-xlsx").click()
    audit_path = tmp_path / audit_download.value.suggested_filename
    audit_download.value.save_as(audit_path)
    page.close()

    assert facts_path.suffix == ".xlsx" and audit_path.suffix == ".xlsx"
    book = openpyxl.load_workbook(facts_path)
    assert {"支出总表", "三公经费表", "正文"} <= set(book.sheetnames)
    spending = book["支出总表"]
    head = [c.value for c in spending[1]]
    assert {"科目编码", "行", "合计", "基本支出", "项目支出", "单位", "页", "原文"} <= set(head)
    line = next(r for r in spending.iter_rows(min_row=2, values_only=True) if r[head.index("科目编码")] == "2101103")
    assert float(line[head.index("合计")]) == 4.62
    audit = openpyxl.load_workbook(audit_path)["审计"]
    rows = list(audit.iter_rows(min_row=2, values_only=True))
    problems = [r for r in rows if r[2] == "问题" and r[1] != "parse"]  # parse: what could not be read
    assert problems and all(r[4] and r[7] for r in problems)  # its computation and its first place's page
    assert any("395.83" in (r[3] or "") and "395.84" in (r[3] or "") for r in problems)


def test_a_ranking_over_units_shows_its_top_and_a_table_of_all(browser, many_url: str) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1000, "height": 1300}, locale="zh-CN")
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(many_url + "/")
    page.get_by_label("您的问题").fill("三公经费最多的2个单位")
    page.keyboard.press("Enter")
    turn = page.locator(".turn").nth(0)
    expect(turn).to_have_attribute("aria-busy", "false", timeout=15_000)
    text = turn.locator(".answer-text")
    expect(text).to_contain_text("前 2 名")
    expect(text).to_contain_text("新和县财政局")  # figures times 4: the most
    expect(text).not_to_contain_text("3. ")
    listing = turn.locator("details.listing")
    listing.locator("summary").click()
    expect(listing.locator("tr")).to_have_count(5)  # the header and all four units
    expect(listing.locator("tr").nth(4)).to_contain_text("和静县社会保险中心")
    expect(listing.locator("a.csv")).to_have_attribute("download", "ranking.csv")
    assert not errors, errors
    page.close()


FIVE = ("三公经费是多少？", "公务接待费呢？", SHARE, "社会保障和就业支出是多少？", "卫生健康支出是多少？")
SCREENS = {"desktop": {"viewport": {"width": 1280, "height": 800}},
           "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}}
# Where the newest answer is, against the input bar fixed at the bottom of the window.
WHERE = """() => {
  const turns = document.querySelectorAll('.turn');
  const a = turns[turns.length - 1].querySelector('.answer').getBoundingClientRect();
  return {top: a.top, bottom: a.bottom, bar: document.getElementById('ask').getBoundingClientRect().top};
}"""


@pytest.mark.parametrize("screen", sorted(SCREENS))
def test_the_newest_answer_is_in_view_after_each_question(
        browser, base_url: str, tmp_path: Path, screen: str) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    page = browser.new_page(locale="zh-CN", **SCREENS[screen])
    page.goto(base_url + "/")
    expect(page.locator("#doc")).not_to_have_value("")
    for i, question in enumerate(FIVE):
        page.get_by_label("您的问题").fill(question)
        page.get_by_label("您的问题").press("Enter")
        turn = page.locator(".turn").nth(i)
        expect(turn).to_have_attribute("aria-busy", "false", timeout=15_000)
        expect(turn.locator(".answer-text")).not_to_be_empty()
        at = page.evaluate(WHERE)
        room = at["bar"]
        assert 0 <= at["top"] < room, (question, at)  # its start is seen, above the bar
        if at["bottom"] - at["top"] < room - 16:  # and all of it, when it fits
            assert at["bottom"] <= room, (question, at)
    assert page.evaluate("window.scrollY") > 0  # five answers do not fit: the page did scroll
    shot = _screenshot_path(tmp_path)
    shot = shot.with_name(f"{shot.stem}-{screen}{shot.suffix}")
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    page.close()


def test_a_phone_shows_the_picker_and_the_hint_uncut(browser, base_url: str) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    page = browser.new_page(locale="zh-CN", **SCREENS["phone"])
    page.goto(base_url + "/")
    expect(page.locator("#doc")).not_to_have_value("")
    expect(page.locator("#doc-title")).to_contain_text("和静县社会保险中心2024年单位预算公开")
    # The text shown in a control, drawn in the control's font, against the room inside it.
    fits = """([id, text]) => {
      const box = document.getElementById(id), style = getComputedStyle(box);
      const ctx = document.createElement('canvas').getContext('2d');
      ctx.font = style.fontSize + ' ' + style.fontFamily;
      const room = box.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
      return [ctx.measureText(text).width, room - (box.tagName === 'SELECT' ? 24 : 0)];
    }"""
    chosen = page.evaluate("document.getElementById('doc').selectedOptions[0].textContent")
    for control, text in (("doc", chosen), ("q", page.get_attribute("#q", "placeholder") or "")):
        width, room = page.evaluate(fits, [control, text])
        assert text and width <= room, (control, text, width, room)
    expect(page.locator("#keys")).to_be_hidden()  # no Shift+回车 on a phone
    page.close()


def test_a_quoted_row_shows_its_figures_under_their_column_names(
        browser, base_url: str) -> None:  # type: ignore[no-untyped-def]
    """A citation that carries its table's `columns`: the quote's figures are shown under
    them; a row with fewer figures than columns (blanks lost) lists the names only."""
    import json

    from playwright.sync_api import expect

    cited = [{"doc_id": "d", "title": "某单位2024年单位预算公开", "page": 7, "table": "表6 一般公共预算基本支出情况表",
              "quote": "合计 308.44 297.64 10.80", "columns": ["合计", "人员经费", "公用经费"]},
             {"doc_id": "d", "title": "某单位2024年单位预算公开", "page": 8, "table": "表7 一般公共预算项目支出情况表",
              "quote": "社会保障和就业支出 81.89 5.00", "columns": ["项目支出合计", "工资福利支出", "商品和服务支出"]}]
    reply = {"question": "q", "answer": "人员经费为297.64万元。", "status": "answered", "citations": cited,
             "calculation": None, "candidates": [], "table": None, "chart": None, "conversation_id": "c"}
    body = f"event: reply\ndata: {json.dumps(reply, ensure_ascii=False)}\n\n"
    page = browser.new_page(locale="zh-CN")
    page.route("**/api/chat/stream", lambda route: route.fulfill(
        status=200, headers={"Content-Type": "text/event-stream; charset=utf-8"}, body=body))
    page.goto(base_url + "/")
    page.get_by_label("您的问题").fill("人员经费是多少？")
    page.get_by_label("您的问题").press("Enter")
    turn = page.locator(".turn").nth(0)
    expect(turn).to_have_attribute("aria-busy", "false", timeout=15_000)
    chips = turn.locator("button.chip")
    chips.nth(0).click()
    cells = turn.locator(".quote").nth(0).locator("table.quote-cells tr")
    expect(cells).to_have_count(3)
    assert [cells.nth(i).inner_text().split() for i in range(3)] == [
        ["合计", "308.44"], ["人员经费", "297.64"], ["公用经费", "10.80"]]
    expect(turn.locator(".quote").nth(0).locator("caption")).to_have_text("合计")
    chips.nth(1).click()
    second = turn.locator(".quote").nth(1)
    expect(second.locator("table")).to_have_count(0)
    expect(second).to_contain_text("本表各列：项目支出合计、工资福利支出、商品和服务支出")
    page.close()
def test_a_thumbs_down_with_a_note_is_seen_on_the_questions_page(
        browser, base_url: str) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")  # a phone
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(base_url + "/")
    page.get_by_label("您的问题").fill("机关运行经费是多少？")
    page.keyboard.press("Enter")
    turn = page.locator(".turn").last
    expect(turn).to_have_attribute("aria-busy", "false", timeout=15_000)
    down = turn.get_by_role("button", name="回答不对")
    box = down.bounding_box()
    assert box is not None and box["width"] >= 44 and box["height"] >= 44  # a thumb's size
    down.focus()
    page.keyboard.press("Enter")  # the keyboard works as a click
    note = turn.get_by_label("哪里不对？（可不填）")
    expect(note).to_be_focused()
    note.fill("数字和文件第9页对不上")
    turn.get_by_role("button", name="发送").click()
    expect(turn.locator(".feedback [role=status]")).to_contain_text("谢谢")
    expect(turn.get_by_role("button", name="回答有用")).to_be_disabled()

    console = browser.new_page(viewport={"width": 1200, "height": 1400}, locale="zh-CN")
    console.on("pageerror", lambda e: errors.append(str(e)))
    console.goto(base_url + "/console")
    console.locator("#token").fill(TOKEN)
    console.locator("#auth button[type=submit]").click()
    row = console.locator("#groups tbody tr").filter(has_text="机关运行经费是多少")
    expect(row).to_have_count(1, timeout=10_000)
    expect(row).to_contain_text("数字和文件第9页对不上")
    expect(row).to_contain_text("0 / 1")
    expect(console.get_by_role("heading", name="操作记录")).to_be_visible()
    assert not errors, errors
    page.close()
    console.close()
