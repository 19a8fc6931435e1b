"""Writing the report: PDF through Qt (QTextDocument on a QPdfWriter), one self-contained HTML file, or DOCX.

The PDF is A4 with the report's own page furniture: the classification marking at the top of
every page and "page N of M" at the bottom, which QTextDocument's own printing cannot give.
Its fonts carry Cyrillic (:mod:`desktop.report.fonts`) and Qt embeds the subsets used. Both
formats are rendered in memory and written through :func:`db.core.atomic_file.write_atomically`,
so a failure never leaves half a report under the chosen name.
"""

import base64
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QRectF, QSizeF, Qt, QUrl
from PySide6.QtGui import (
    QColor,
    QPageLayout,
    QPageSize,
    QPaintDevice,
    QPainter,
    QPdfWriter,
    QPen,
    QTextBlock,
    QTextBlockFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
    QTextFrameFormat,
    QTextTable,
)

from db.core.atomic_file import write_atomically
from db.core.identity import APP_NAME, VERSION
from db.report.content import Report
from desktop.report.figures import Figures, png_bytes
from desktop.report.fonts import report_font
from desktop.report.html_layout import report_html

FORMATS = ("pdf", "html", "docx")
RESOLUTION = 300  # dots per inch of the PDF's layout: text positions are exact to 1/300 inch
MARGINS_MM = QMarginsF(18, 20, 18, 18)  # left, top, right, bottom: room for the marking and page numbers
PLAN_ROUNDS = 6  # layouts to plan page ends on (keep_together); each plan goes on until it is unsure


def html_document(report: Report, figures: Figures) -> str:
    """One HTML file carrying its images as data URIs: it opens anywhere, offline, as one attachment."""
    sources = {
        name: "data:image/png;base64," + base64.b64encode(png_bytes(image)).decode("ascii")
        for name, image in figures.images.items()
    }
    return report_html(report, images=sources, standalone=True)


def text_document(report: Report, figures: Figures, device: QPaintDevice | None = None) -> QTextDocument:
    """The report as a QTextDocument with its images as resources, laid out for ``device`` (the PDF
    writer; None: the screen, for the preview)."""
    document = QTextDocument()
    if device is not None:
        document.documentLayout().setPaintDevice(device)
        document.setDocumentMargin(0)
    document.setDefaultFont(report_font())
    for name, image in figures.images.items():
        document.addResource(QTextDocument.ResourceType.ImageResource.value, QUrl(name), image)
    sources = {name: name for name in figures.images}
    document.setHtml(report_html(report, images=sources, marking_in_body=device is None))
    return document


def pdf_bytes(report: Report, figures: Figures) -> tuple[bytes, int]:
    """The PDF file's content and its number of pages."""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setResolution(RESOLUTION)
    writer.setPageLayout(
        QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Portrait, QMarginsF(0, 0, 0, 0))
    )
    writer.setTitle(f"{report.title}, {report.period_text}")
    writer.setCreator(f"{APP_NAME} {VERSION}")
    document = text_document(report, figures, writer)
    dots = RESOLUTION / 25.4
    page = writer.pageLayout().fullRectPixels(RESOLUTION)
    left, top = MARGINS_MM.left() * dots, MARGINS_MM.top() * dots
    # Whole dots: the layout keeps positions in 1/64ths, and a page height it cannot represent exactly
    # leaves the first line of a page a hair above the page's top.
    width = int(page.width() - left - MARGINS_MM.right() * dots)
    body = QSizeF(width, int(page.height() - top - MARGINS_MM.bottom() * dots))
    document.setPageSize(body)
    keep_together(document, body.height())
    pages = document.pageCount()
    painter = QPainter(writer)
    try:
        for index in range(pages):
            if index:
                writer.newPage()
            painter.save()
            painter.translate(left, top - index * body.height())
            # Half a dot inside the page on each side: the layout's fixed-point positions put a line that
            # opens a page a hair above its top, and a line merely touching the clip would be drawn (hidden,
            # but still in the text a reader copies) on the page before too.
            page_rect = QRectF(0, index * body.height() + 0.5, body.width(), body.height() - 1)
            document.drawContents(painter, page_rect)
            painter.restore()
            _furniture(painter, report, index + 1, pages, QRectF(left, 0, body.width(), page.height()), dots)
    finally:
        painter.end()
    buffer.close()
    return bytes(data.data()), pages


def keep_together(document: QTextDocument, page_height: float) -> None:
    """Start on a new page every table shorter than a page, and every paragraph outside tables, that
    would run over a page's end; then keep headings with what follows them.

    Qt draws a paragraph whole on every page it touches and only clips it, so the lines of another
    page would sit hidden in the PDF's text: copied with the visible ones, found twice by a search.
    Moving such paragraphs (a few lines each) avoids that and keeps them readable in one piece.
    A table is judged as a whole at its first cell: moving it moves the paragraphs in its cells.

    Every change of a format lays the document out again (a tenth of a second or more for a month's
    fifty pages), so the page ends are first found all at once, by where each thing would move
    (:func:`_planned_breaks`), and set together; the exact pass that follows finds what that missed.
    """
    for _ in range(PLAN_ROUNDS):
        cursor = QTextCursor(document)
        cursor.beginEditBlock()
        changed = [_set_break_before(target) for target in _planned_breaks(document, page_height)]
        cursor.endEditBlock()
        if not any(changed):
            break
    _keep_together_exactly(document, page_height)


_Breakable = QTextBlock | QTextTable


def _planned_breaks(document: QTextDocument, page_height: float) -> list[_Breakable]:
    """The paragraphs, short tables and headings to start a page, judged in reading order on one layout.

    Moving one thing to the next page moves everything after it by as much (``shift``), until a page
    already started on purpose takes the shift up; a thing that would then run over a page's end moves
    too, or the heading just before it goes with it. The plan ends, once something moved, at a table
    longer than a page or a line (an image) that would cross a page's end: Qt moves those rows and
    lines itself, so where they end is known only from a new layout.
    """
    layout = document.documentLayout()
    planned: list[_Breakable] = []
    shift = 0.0
    last_bottom = 0.0  # where the previous thing ends, moved
    heading: tuple[QTextBlock, float] | None = None  # the heading just before (not already starting a page), moved top
    seen_tables: set[int] = set()

    def page_top_after(y: float) -> float:
        return (int(y // page_height) + 1) * page_height

    block = document.begin()
    while block.isValid():
        table = QTextCursor(block).currentTable()
        if table is not None and table.firstPosition() in seen_tables:
            block = block.next()
            continue
        if table is not None:
            seen_tables.add(table.firstPosition())
            rect, fmt = layout.frameBoundingRect(table), table.frameFormat()
            movable = rect.height() < page_height
        else:
            rect, fmt = layout.blockBoundingRect(block), block.blockFormat()
            movable = block.layout().lineCount() > 1
        starts_page = fmt.pageBreakPolicy() == QTextFormat.PageBreakFlag.PageBreak_AlwaysBefore
        if starts_page:
            # A page started on purpose: what came before either still ends above it or pushes it one page on.
            shift = 0.0 if last_bottom <= rect.top() else page_top_after(last_bottom - 1) - rect.top()
            movable = False
        top, bottom = rect.top() + shift, rect.bottom() + shift
        crosses = int(top // page_height) != int((bottom - 1) // page_height)
        if shift and not movable and (table is not None or crosses):
            break  # where Qt puts it (its rows, its line, an image) is known only from a new layout
        if (
            heading is not None
            and table is None
            and not shift
            and _first_line_page(block, top, page_height) > int(heading[1] // page_height)
        ):
            planned.append(heading[0])  # an image pushed to the next page within its block: its heading follows
            break
        if movable and crosses:
            if heading is not None and int(heading[1] // page_height) == int(top // page_height):
                planned.append(heading[0])  # the heading goes with it
                shift += page_top_after(heading[1]) - heading[1]
            else:
                planned.append(table if table is not None else block)
                shift += page_top_after(top) - top
            top, bottom = rect.top() + shift, rect.bottom() + shift
        last_bottom = bottom
        is_heading = table is None and bool(block.blockFormat().headingLevel())
        heading = (block, top) if is_heading and not starts_page else None
        block = block.next()
    return planned


def _first_line_page(block: QTextBlock, top: float, page_height: float) -> int:
    """The page ``block``'s first line is drawn on: an image too tall for the page's rest is pushed to the
    next page within its block, whose own top stays on this one."""
    lines = block.layout()
    pushed = lines.lineAt(0).y() if lines is not None and lines.lineCount() else 0.0
    return int((top + pushed) // page_height)


def _set_break_before(target: _Breakable) -> bool:
    """Make ``target`` start a page; False if it already did."""
    if isinstance(target, QTextTable):
        table_format = target.frameFormat()
        if _break_before(table_format):
            target.setFrameFormat(table_format)
            return True
        return False
    fmt = target.blockFormat()
    if _break_before(fmt):
        QTextCursor(target).setBlockFormat(fmt)
        return True
    return False


def _keep_together_exactly(document: QTextDocument, page_height: float) -> None:
    """Each page end in turn, laid out again after every change: exact, and quick when little is left to do."""
    layout = document.documentLayout()

    def crosses(top: float, bottom: float) -> bool:
        return int(top // page_height) != int((bottom - 1) // page_height)

    for _ in range(5):  # one pass in reading order fixes each page end in turn; a second one checks
        moved = False
        seen_tables: set[int] = set()
        block = document.begin()
        while block.isValid():
            cursor = QTextCursor(block)
            table = cursor.currentTable()
            if table is not None:
                if table.firstPosition() not in seen_tables:  # judged once, at its first cell
                    seen_tables.add(table.firstPosition())
                    rect = layout.frameBoundingRect(table)
                    table_format = table.frameFormat()
                    short = rect.height() < page_height
                    if short and crosses(rect.top(), rect.bottom()) and _break_before(table_format):
                        table.setFrameFormat(table_format)
                        moved = True
            else:
                rect = layout.blockBoundingRect(block)
                fmt = block.blockFormat()
                multi_line = block.layout().lineCount() > 1
                if multi_line and crosses(rect.top(), rect.bottom()) and _break_before(fmt):
                    cursor.setBlockFormat(fmt)
                    moved = True
            block = block.next()
        moved |= _keep_headings_with_what_follows(document, page_height)
        if not moved:
            break


def _break_before(fmt: QTextBlockFormat | QTextFrameFormat) -> bool:
    """Ask ``fmt`` to start a page; False when it already does (so a pass that changes nothing ends)."""
    if fmt.pageBreakPolicy() == QTextFormat.PageBreakFlag.PageBreak_AlwaysBefore:
        return False
    fmt.setPageBreakPolicy(QTextFormat.PageBreakFlag.PageBreak_AlwaysBefore)
    return True


def _keep_headings_with_what_follows(document: QTextDocument, page_height: float) -> bool:
    """A heading left alone at the foot of a page (what it heads began the next one) moves down too;
    True if one did."""
    layout = document.documentLayout()
    moved = False
    block = document.begin()
    while block.isValid():
        following = block.next()
        if block.blockFormat().headingLevel() and following.isValid():
            here = int(layout.blockBoundingRect(block).top() // page_height)
            fmt = block.blockFormat()
            starts = _first_line_page(following, layout.blockBoundingRect(following).top(), page_height)
            if starts > here and _break_before(fmt):
                QTextCursor(block).setBlockFormat(fmt)
                moved = True
                # What follows was moved to start a page: the heading now does that for both.
                after = QTextCursor(following)
                table = after.currentTable()
                always = QTextFormat.PageBreakFlag.PageBreak_AlwaysBefore
                if table is not None and table.format().pageBreakPolicy() == always:
                    table_format = table.format()
                    table_format.setPageBreakPolicy(QTextFormat.PageBreakFlag.PageBreak_Auto)
                    table.setFormat(table_format)
                elif table is None and following.blockFormat().pageBreakPolicy() == always:
                    following_format = following.blockFormat()
                    following_format.setPageBreakPolicy(QTextFormat.PageBreakFlag.PageBreak_Auto)
                    after.setBlockFormat(following_format)
        block = following
    return moved


def _furniture(painter: QPainter, report: Report, number: int, pages: int, column: QRectF, dots: float) -> None:
    """The marking centred at the top and bottom, the title and "page N of M" at the bottom, with thin rules."""
    painter.save()
    painter.setPen(QPen(QColor("#9aa5b1"), max(1.0, dots * 0.15)))
    top_rule, bottom_rule = MARGINS_MM.top() * dots * 0.72, column.height() - MARGINS_MM.bottom() * dots * 0.7
    painter.drawLine(int(column.left()), int(top_rule), int(column.right()), int(top_rule))
    painter.drawLine(int(column.left()), int(bottom_rule), int(column.right()), int(bottom_rule))
    if report.marking:
        painter.setFont(report_font(9, bold=True))
        painter.setPen(QColor("#a01c1c"))
        band = QRectF(column.left(), MARGINS_MM.top() * dots * 0.3, column.width(), MARGINS_MM.top() * dots * 0.4)
        painter.drawText(band, Qt.AlignmentFlag.AlignCenter, report.marking)
    painter.setFont(report_font(8))
    painter.setPen(QColor("#555555"))
    # Two lines under the rule: the title and the page number, then the marking (it may be long).
    band = QRectF(column.left(), bottom_rule + dots * 1.5, column.width(), dots * 4)
    top = Qt.AlignmentFlag.AlignTop
    painter.drawText(band, Qt.AlignmentFlag.AlignLeft | top, f"{report.title}, {report.period_text}")
    painter.drawText(band, Qt.AlignmentFlag.AlignRight | top, f"Page {number} of {pages}")
    if report.marking:
        painter.setFont(report_font(8, bold=True))
        painter.setPen(QColor("#a01c1c"))
        painter.drawText(band.translated(0, dots * 4), Qt.AlignmentFlag.AlignHCenter | top, report.marking)
    painter.restore()


def write_report(report: Report, figures: Figures, path: Path, fmt: str) -> int:
    """Write ``report`` to ``path`` as ``fmt`` (pdf, html or docx); returns the pages written (1 for the others,
    whose pages the reader's program lays out)."""
    if fmt == "pdf":
        data, pages = pdf_bytes(report, figures)
        write_atomically(path, data)
        return pages
    if fmt == "html":
        write_atomically(path, html_document(report, figures).encode("utf-8"))
        return 1
    if fmt == "docx":
        from desktop.report.docx_writer import docx_bytes  # python-docx loads only when a DOCX is asked for

        write_atomically(path, docx_bytes(report, figures))
        return 1
    raise ValueError(f"cannot write a report as {fmt!r}: choose one of {', '.join(FORMATS)}")
