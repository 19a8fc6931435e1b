"""The report as a Word document (DOCX), for missions that edit the report before sending it.

Written with python-docx: Office Open XML is a zip of several XML parts with numbering, styles,
relationships and fields, which a well-kept library gets right and hand-written XML would not.
The content and its words are those of the PDF (:mod:`desktop.report.wording`); the page is A4
with the marking in the header and footer and "Page N of M" from Word's own fields.
"""

import io
import re

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.table import Table, _Row
from docx.text.paragraph import Paragraph

from db.report.content import Report
from desktop.report.figures import Figures, png_bytes
from desktop.report.html_layout import MAP_IMAGE, TIMELINE_IMAGE
from desktop.report.wording import (
    AREA_SECTIONS,
    FURTHER_COLUMNS,
    NO_NOTABLE,
    PROVENANCE_LEAD,
    SUBTITLE,
    TIMELINE_CAPTION,
    areas_of,
    by_reference_heading,
    change_words,
    counted_note,
    empty_note,
    further_heading,
    further_row,
    in_full_note,
    incident_head,
    incident_rows,
    map_caption,
    notable_heading,
    notable_tiers,
    provenance_rows,
    reference_lines,
    references_text,
    summary_lines,
    title_rows,
)

MARKING_RED = RGBColor(0xA0, 0x1C, 0x1C)
MUTED = RGBColor(0x55, 0x55, 0x55)
# XML 1.0 refuses these characters; text typed on another laptop could hold them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def docx_bytes(report: Report, figures: Figures) -> bytes:
    """The DOCX file's content."""
    document = Document()
    _page(document, report)
    normal = document.styles["Normal"]
    normal.font.name = "Arial"  # every office suite has it or a metric twin, with Cyrillic
    normal.font.size = Pt(10)

    document.add_heading(clean(report.title), level=0)
    _muted(document.add_paragraph(SUBTITLE))
    _table(document, title_rows(report))
    if report.scope:
        document.add_paragraph(clean(report.scope))

    _summary(document, report)
    _areas(document, report)
    _figures(document, report, figures)
    _notable(document, report)
    _methods_and_provenance(document, report)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _summary(document: DocxDocument, report: Report) -> None:
    document.add_heading("Summary", level=1)
    document.add_paragraph().add_run(clean(report.summary.sentence)).bold = True
    for line in summary_lines(report):
        document.add_paragraph(clean(line))
    if report.is_empty:
        bold, advice = empty_note(report)
        paragraph = document.add_paragraph()
        paragraph.add_run(bold).bold = True
        paragraph.add_run(advice)
    elif report.counted.incidents:
        _muted(document.add_paragraph(counted_note(report)))


def _areas(document: DocxDocument, report: Report) -> None:
    document.add_heading("Areas, ranked by change", level=1)
    for title, section in AREA_SECTIONS:
        document.add_heading(title, level=2)
        active, quiet = areas_of(report, section)
        for area in active:
            paragraph = document.add_paragraph(clean(area.line) + " ", style="List Number")
            _muted_run(paragraph, change_words(area))
        if quiet:
            _muted(document.add_paragraph(clean(quiet)))


def _figures(document: DocxDocument, report: Report, figures: Figures) -> None:
    for name, heading, caption in (
        (TIMELINE_IMAGE, "Timeline", TIMELINE_CAPTION),
        (MAP_IMAGE, "Map", map_caption(report)),
    ):
        if name in figures.images:
            document.add_heading(heading, level=1)
            document.add_picture(io.BytesIO(png_bytes(figures.images[name])), width=Mm(174))
            _muted(document.add_paragraph(clean(caption)))


def _notable(document: DocxDocument, report: Report) -> None:
    document.add_heading(notable_heading(report), level=1)
    if not report.notable:
        document.add_paragraph(NO_NOTABLE)
    full, one_line, by_reference = notable_tiers(report)
    if note := in_full_note(report):
        _muted(document.add_paragraph(note))
    for incident in full:
        table = _table(document, incident_rows(incident), head=incident_head(incident))
        table.style = "Table Grid"
        document.add_paragraph()
    if one_line:
        document.add_heading(further_heading(len(one_line)), level=2)
        table = document.add_table(rows=1, cols=len(FURTHER_COLUMNS), style="Table Grid")
        for cell, text in zip(table.rows[0].cells, FURTHER_COLUMNS, strict=True):
            cell.paragraphs[0].add_run(text).bold = True
        for incident in one_line:
            for cell, text in zip(table.add_row().cells, further_row(incident), strict=True):
                cell.text = clean(text)
    if by_reference:
        document.add_heading(by_reference_heading(len(by_reference)), level=2)
        _monospace(document, reference_lines([n.ref for n in by_reference]))


def _methods_and_provenance(document: DocxDocument, report: Report) -> None:
    document.add_heading("Methods", level=1)
    for line in report.methods:
        document.add_paragraph(clean(line), style="List Bullet")

    document.add_heading("Provenance", level=1)
    _table(document, provenance_rows(report))
    document.add_paragraph(PROVENANCE_LEAD)
    lines, is_list = references_text(report)
    if lines:
        document.add_heading("References of the entries counted", level=2)
        if is_list:
            _monospace(document, lines)
        else:
            document.add_paragraph(clean(lines[0]))


def _page(document: DocxDocument, report: Report) -> None:
    """A4 portrait with the report's margins; the marking above and below, the page number in the footer."""
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(18)
    section.top_margin, section.bottom_margin = Mm(20), Mm(18)
    if report.marking:
        header = section.header.paragraphs[0]
        header.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _marking_run(header, report.marking)
    footer = section.footer.paragraphs[0]
    footer.add_run(clean(f"{report.title}, {report.period_text}") + "\t\tPage ")
    _field(footer, "PAGE")
    footer.add_run(" of ")
    _field(footer, "NUMPAGES")
    if report.marking:
        line = section.footer.add_paragraph()
        line.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _marking_run(line, report.marking)


def _marking_run(paragraph: Paragraph, marking: str) -> None:
    run = paragraph.add_run(clean(marking))
    run.bold = True
    run.font.color.rgb = MARKING_RED


def _field(paragraph: Paragraph, name: str) -> None:
    """A Word field (PAGE, NUMPAGES) that the word processor fills in when it lays the pages out."""
    for kind in ("begin", "instruction", "separate", "result", "end"):
        if kind == "instruction":
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = f" {name} "
        elif kind == "result":
            element = OxmlElement("w:t")
            element.text = "1"
        else:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        paragraph.add_run()._r.append(element)  # one run each, as Word writes them


def _table(document: DocxDocument, rows: list[tuple[str, str]], head: str = "") -> Table:
    """Label and value rows (labels bold), under a bold heading row spanning both columns if ``head``."""
    table = document.add_table(rows=0, cols=2)
    if head:
        cells = table.add_row().cells
        merged = cells[0].merge(cells[1])
        merged.paragraphs[0].add_run(clean(head)).bold = True
    for label, value in rows:
        cells = table.add_row().cells
        cells[0].paragraphs[0].add_run(label).bold = True
        cells[1].text = clean(value)
    # Word reads the cells' widths, LibreOffice the table grid's: both are set, or the labels take half the page.
    table.autofit = False
    table.columns[0].width, table.columns[1].width = Mm(36), Mm(138)
    for n, row in enumerate(table.rows):
        row.cells[0].width = Mm(36)
        row.cells[-1].width = Mm(138)
        _keep_together(row, with_next=n < len(table.rows) - 1)
    return table


def _keep_together(row: _Row, *, with_next: bool) -> None:
    """A row never split over two pages, and kept on the page of the next: an incident's card stays whole
    (a page break would otherwise leave its last row alone on the next page)."""
    properties = row._tr.get_or_add_trPr()
    properties.append(OxmlElement("w:cantSplit"))
    if with_next:
        for cell in row.cells:
            for paragraph in cell.paragraphs:
                paragraph.paragraph_format.keep_with_next = True


def _monospace(document: DocxDocument, lines: list[str]) -> None:
    for line in lines:
        run = document.add_paragraph().add_run(clean(line))
        run.font.name = "Courier New"
        run.font.size = Pt(8)


def _muted(paragraph: Paragraph) -> None:
    for run in paragraph.runs:
        run.font.color.rgb = MUTED


def _muted_run(paragraph: Paragraph, text: str) -> None:
    paragraph.add_run(clean(text)).font.color.rgb = MUTED
