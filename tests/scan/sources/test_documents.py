"""Office documents: the text of Word, Excel, PowerPoint and OpenDocument files is scanned."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from desktop_audit.scan.sources.documents import (
    document_tables,
    is_text_part,
    sheet_table,
    xml_text,
)
from desktop_audit.scan.sources.files import FilesSource
from tests.scan.sources.conftest import collect, make_ctx
from tests.scan.sources.detection import run

# Made-up values in provider formats (they authenticate nowhere).
GITHUB = "ghp_" + "Xk7bR2mQ9vT4wL8nC3pZ6yH1jF5dS0aG2eUq"
STRIPE = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc9Q2w"
SLACK = "xoxb-" + "1234567890123-1234567890123-Zq8vR2mXp4TnW7yBcD5fG6hJ"

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def _zip(path: Path, parts: dict[str, str], compression: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, text in parts.items():
            archive.writestr(name, text.encode("utf-8"))
    return path


def _docx(path: Path, body: str) -> Path:
    return _zip(
        path,
        {
            "[Content_Types].xml": '<?xml version="1.0"?><Types/>',
            "word/document.xml": f'<?xml version="1.0"?><w:document {W}><w:body>{body}'
            "</w:body></w:document>",
            "word/styles.xml": f"<w:styles {W}><w:style>{STRIPE}</w:style></w:styles>",
        },
    )


def _container(path: str | None) -> str:
    """The document a location names (``.../notes.docx/word/document.xml`` -> notes.docx)."""
    suffixes = (".docx", ".xlsx", ".pptx", ".odt", ".ods")
    return next(p for p in Path(path or "").parts if p.endswith(suffixes))


def _runs(token: str) -> str:
    """A token as Word often stores it: split over runs (spell check, formatting)."""
    third = len(token) // 3
    pieces = [token[:third], token[third : 2 * third], token[2 * third :]]
    runs = "".join(
        f'<w:r><w:rPr><w:b w:val="{i}"/></w:rPr><w:t>{p}</w:t></w:r>' for i, p in enumerate(pieces)
    )
    return f"<w:p>{runs}</w:p>"


def test_xml_text_joins_runs_and_breaks_paragraphs_rows_and_cells() -> None:
    data = (
        b"<w:p><w:r><w:t>Hand</w:t></w:r><w:r><w:t>over</w:t></w:r></w:p>"
        b"<w:p><w:r><w:t>a &amp; b &lt;c&gt; &#x41;&#66;</w:t><w:br/><w:t>next</w:t></w:r></w:p>"
        b"<row><c><v>name</v></c><c><v>value</v></c></row>"
        b'<text:p>x<text:s text:c="2"/>y<text:tab/>z</text:p>'
    )
    assert xml_text(data) == b"Handover\na & b <c> AB\nnext\nname\tvalue\t\nx y\tz\n"


def test_only_the_parts_people_type_in_are_read() -> None:
    for name in (
        "word/document.xml",
        "word/header2.xml",
        "word/comments.xml",
        "xl/sharedStrings.xml",
        "ppt/slides/slide12.xml",
        "ppt/notesSlides/notesSlide3.xml",
        "content.xml",
    ):
        assert is_text_part(name), name
    for name in ("word/styles.xml", "xl/styles.xml", "docProps/core.xml", "word/media/x.png"):
        assert not is_text_part(name), name


def test_tokens_in_office_documents_are_found(tmp_path: Path) -> None:
    _docx(
        tmp_path / "Handover notes.docx",
        "<w:p><w:r><w:t>Staging:</w:t></w:r></w:p>" + _runs(GITHUB),
    )
    _zip(
        tmp_path / "accounts.xlsx",
        {
            "xl/sharedStrings.xml": f"<sst><si><t>stripe</t></si><si><t>{STRIPE}</t></si></sst>",
            "xl/worksheets/sheet1.xml": "<worksheet><row><c t='s'><v>0</v></c></row></worksheet>",
        },
    )
    _zip(
        tmp_path / "kickoff.pptx",
        {"ppt/slides/slide1.xml": f"<p:sld><a:p><a:r><a:t>bot {SLACK}</a:t></a:r></a:p></p:sld>"},
    )
    _zip(
        tmp_path / "notes.odt",
        {
            "mimetype": "application/vnd.oasis.opendocument.text",
            "content.xml": f"<office:text><text:p>token <text:span>{GITHUB[:9]}</text:span>"
            f"{GITHUB[9:]}</text:p></office:text>",
        },
    )
    ctx = make_ctx(tmp_path)
    located = run(FilesSource([tmp_path]), ctx, with_profile=False)
    found = {(_container(h.location.path), h.hit.rule_id.split(".")[0]) for h in located}
    assert ("Handover notes.docx", "github") in found
    assert ("accounts.xlsx", "stripe") in found
    assert ("kickoff.pptx", "slack") in found
    assert ("notes.odt", "github") in found
    docx = [h for h in located if _container(h.location.path) == "Handover notes.docx"]
    assert {h.hit.rule_id.split(".")[0] for h in docx} == {"github"}  # styles.xml is not read
    assert ctx.stat("files").counters["documents"] == 4
    for hit in located:  # previews only: the value itself is never kept
        assert GITHUB not in hit.hit.redacted and STRIPE not in hit.hit.redacted


def test_a_broken_document_is_reported_and_the_scan_goes_on(tmp_path: Path) -> None:
    (tmp_path / "truncated.docx").write_bytes(b"PK\x03\x04 not really a zip")
    (tmp_path / "plain.txt").write_text(f"token = {GITHUB}\n", encoding="utf-8")
    ctx = make_ctx(tmp_path)
    fragments = collect(FilesSource([tmp_path]), ctx)
    assert [f.origin.path.name for f in fragments if f.origin.path and f.data] == ["plain.txt"]
    assert any("truncated.docx" in str(e.path) for e in ctx.errors)


def _xlsx(path: Path) -> Path:
    """Row 1 empty, a header in row 2, passwords in rows 3 and 5 (shared and inline strings);
    the worksheet comes before the shared strings in the zip, as some writers order them."""
    sheet = (
        "<worksheet><sheetData>"
        '<row r="2"><c r="A2" t="s"><v>0</v></c><c r="C2" t="s"><v>1</v></c></row>'
        '<row r="3"><c r="A3" t="s"><v>2</v></c><c r="B3"><v>42</v></c>'
        '<c r="C3" t="s"><v>3</v></c></row>'
        '<row r="5"><c r="A5" t="inlineStr"><is><t>ci-bot</t></is></c>'
        '<c r="C5" t="inlineStr"><is><t>Hk3#pW8s&amp;Q1vZ</t></is></c></row>'
        "</sheetData></worksheet>"
    )
    shared = (
        "<sst><si><t>Account</t></si><si><r><t>Pass</t></r><r><t>word</t></r></si>"
        "<si><t>grafana admin</t></si><si><t>Gr4f@na-Adm1n-2026</t></si></sst>"
    )
    return _zip(path, {"xl/worksheets/sheet1.xml": sheet, "xl/sharedStrings.xml": shared})


def test_spreadsheet_password_columns_are_read_by_row(tmp_path: Path) -> None:
    _xlsx(tmp_path / "client accounts.xlsx")
    located = run(FilesSource([tmp_path]), make_ctx(tmp_path), with_profile=False)
    rows = sorted(
        (h.location.line, Path(h.location.path or "").name)
        for h in located
        if h.hit.rule_id == "generic.password-assignment"
    )
    assert rows == [(3, "sheet1.xml"), (5, "sheet1.xml")]
    for hit in located:
        assert "Gr4f@na" not in hit.hit.redacted and "Hk3#pW8s" not in hit.hit.redacted


def _word_table(rows: list[list[str]]) -> str:
    def cell(text: str) -> str:
        return f"<w:tc><w:tcPr/><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:tc>"

    body = "".join("<w:tr><w:trPr/>" + "".join(map(cell, row)) + "</w:tr>" for row in rows)
    return f"<w:tbl><w:tblPr/>{body}</w:tbl>"


def test_password_columns_of_word_and_opendocument_tables(tmp_path: Path) -> None:
    table = _word_table(
        [["Service", "User", "Password"], ["VPN", "jdoe", "Wq8#vR2m!Xp4Tn"], ["Wiki", "jdoe", ""]]
    )
    intro = "<w:p><w:r><w:t>Handover</w:t></w:r></w:p><w:p><w:r><w:t>Accounts:</w:t></w:r></w:p>"
    _docx(tmp_path / "handover.docx", intro + table)
    ods_rows = (
        '<table:table-row><table:table-cell office:value-type="string"><text:p>Account</text:p>'
        '</table:table-cell><table:table-cell table:number-columns-repeated="2"/>'
        "<table:table-cell><text:p>Passphrase</text:p></table:table-cell></table:table-row>"
        "<table:table-row><table:table-cell><text:p>build bot</text:p></table:table-cell>"
        '<table:table-cell table:number-columns-repeated="2"/><table:table-cell>'
        "<text:p>Hk3#pW8sQ1vZ</text:p></table:table-cell></table:table-row>"
    )
    _zip(
        tmp_path / "accounts.ods",
        {
            "content.xml": f'<office:spreadsheet><table:table table:name="S1">{ods_rows}'
            "</table:table></office:spreadsheet>"
        },
    )
    located = run(FilesSource([tmp_path]), make_ctx(tmp_path), with_profile=False)
    rows = sorted(
        (_container(h.location.path), h.location.line)
        for h in located
        if h.hit.rule_id == "generic.password-assignment"
    )
    # lines of the part's text: paragraphs (and, in the sheet, each cell's paragraph)
    assert rows == [("accounts.ods", 4), ("handover.docx", 6)]


def test_hostile_markup_is_read_in_one_pass_and_never_stops_the_source(tmp_path: Path) -> None:
    """Unclosed tags by the hundred thousand, absurd numbers: each part is read (or left) at
    once, and the files after the document are still scanned. Run in a child process with a
    generous bound: it guards against a hang, it measures nothing."""
    n = 200_000
    (tmp_path / "a").mkdir()
    _zip(
        tmp_path / "a" / "hostile.xlsx",
        {
            "xl/sharedStrings.xml": "<si>" * n,
            "xl/worksheets/sheet1.xml": '<row r="'
            + "9" * 5000
            + '"><c t="s"><v>'
            + "7" * 5000
            + "</v></c></row>"
            + "<row>" * n,
            "xl/worksheets/sheet2.xml": '<row r="100000"/>' * 50,
        },
        zipfile.ZIP_STORED,  # stored: no compression ratio for the bomb check to refuse
    )
    body = "<" * n + "<w:tbl>" * n
    _zip(tmp_path / "a" / "hostile.docx", {"word/document.xml": body}, zipfile.ZIP_STORED)
    (tmp_path / "z").mkdir()
    (tmp_path / "z" / ".env").write_text(f"GITHUB_TOKEN={GITHUB}\n", encoding="utf-8")
    code = (
        "import sys; from pathlib import Path\n"
        "from desktop_audit.scan.sources.files import FilesSource\n"
        "from tests.scan.sources.conftest import make_ctx\n"
        "from tests.scan.sources.detection import run\n"
        f"root = Path({str(tmp_path)!r}); ctx = make_ctx(root)\n"
        "hits = run(FilesSource([root]), ctx, with_profile=False)\n"
        "names = sorted({Path(h.location.path).name for h in hits})\n"
        "print(names, [e.message for e in ctx.errors])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True
    )
    assert done.stdout.strip() == "['.env'] []", done.stdout + done.stderr


def test_cells_repeating_a_huge_string_stop_at_the_table_budget() -> None:
    shared = ["x" * 1_000_000]
    row = "".join(f'<c r="{col}1" t="s"><v>0</v></c>' for col in ("A", "B", "C", "D", "E"))
    sheet = (
        "<worksheet>" + "".join(f'<row r="{r}">{row}</row>' for r in range(1, 400)) + "</worksheet>"
    ).encode()
    table = sheet_table(sheet, shared, max_bytes=3_000_000)
    assert 2_000_000 < len(table) < 3_100_000  # 2,000 MB of text unbudgeted
    repeated = (
        '<table:table><table:table-row><table:table-cell table:number-columns-repeated="256">'
        "<text:p>" + "y" * 100_000 + "</text:p></table:table-cell></table:table-row>"
        "</table:table>"
    ).encode()
    tables = document_tables(repeated, max_bytes=1_000_000)
    assert sum(len(t) for _, t in tables) < 1_100_000
