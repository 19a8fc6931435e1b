"""The PDF's pagination: no paragraph or short table runs over a page's end.

Qt draws a paragraph whole on every page it touches and only clips it, so a paragraph across a
page end would sit, hidden, in the text of both pages: copied twice, found twice by a search.
"""

from PySide6.QtCore import QSizeF
from PySide6.QtGui import QTextDocument

from desktop.report.document import keep_together

PAGE = QSizeF(400, 300)


def crossing(document: QTextDocument) -> list[str]:
    layout, height = document.documentLayout(), PAGE.height()
    found = []
    block = document.begin()
    while block.isValid():
        rect = layout.blockBoundingRect(block)
        if int(rect.top() // height) != int((rect.bottom() - 1) // height):
            found.append(block.text()[:20])
        block = block.next()
    for frame in document.rootFrame().childFrames():
        rect = layout.frameBoundingRect(frame)
        if int(rect.top() // height) != int((rect.bottom() - 1) // height):
            found.append("table")
    return found


def alone_headings(document: QTextDocument) -> list[str]:
    layout, height = document.documentLayout(), PAGE.height()
    found = []
    block = document.begin()
    while block.isValid():
        following = block.next()
        if block.blockFormat().headingLevel() and following.isValid():
            if int(layout.blockBoundingRect(following).top() // height) > int(
                layout.blockBoundingRect(block).top() // height
            ):
                found.append(block.text())
        block = following
    return found


def test_paragraphs_and_tables_start_a_new_page_rather_than_cross_one(qapp) -> None:  # type: ignore[no-untyped-def]
    document = QTextDocument()
    paragraphs = "".join(f"<p>Paragraph {n}: " + "several words to wrap " * (3 + n % 5) + "</p>" for n in range(30))
    table = "<table border='1'>" + "".join(f"<tr><td>row {n}</td></tr>" for n in range(6)) + "</table>"
    items = (
        "<ul>" + "".join(f"<li>Item {n}: " + "a point of method " * (4 + n % 4) + "</li>" for n in range(25)) + "</ul>"
    )
    headed = "".join(f"<h2>Heading {n}</h2><p>Paragraph under heading {n}.</p>" for n in range(12))
    document.setHtml(paragraphs + table + headed + f"<ul>{items}</ul>" + paragraphs)
    document.setPageSize(PAGE)
    assert crossing(document)  # as Qt lays it out
    pages = document.pageCount()
    keep_together(document, PAGE.height())
    assert crossing(document) == []
    assert alone_headings(document) == []
    assert document.pageCount() >= pages
    assert document.toPlainText().count("Paragraph 29:") == 2  # nothing lost


def test_a_heading_goes_with_a_figure_pushed_to_the_next_page(qapp) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QColor, QImage

    document = QTextDocument()
    image = QImage(300, 200, QImage.Format.Format_RGB32)
    image.fill(QColor("#4477aa"))
    document.addResource(QTextDocument.ResourceType.ImageResource.value, QUrl("map.png"), image)
    words = "".join(f"<p>Paragraph {n}: several words.</p>" for n in range(6))
    document.setHtml(f"{words}<h2>Map</h2><p><img src='map.png' width='300' height='200'></p><p>Caption.</p>")
    document.setPageSize(PAGE)
    layout, height = document.documentLayout(), PAGE.height()

    def page_of(text: str) -> int:
        block = document.begin()
        while block.isValid() and not (block.text() == text or (not text and "\ufffc" in block.text())):
            block = block.next()
        lines = block.layout()
        return int((layout.blockBoundingRect(block).top() + lines.lineAt(0).y()) // height)

    assert page_of("Map") < page_of("")  # as Qt lays it out: the heading alone at the foot of page 1
    keep_together(document, height)
    assert page_of("Map") == page_of("") == 1
