"""One Alt key, one place: no letter is underlined twice where both could be reached at once."""

from collections import Counter
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QAbstractButton, QLabel, QWidget

from desktop.window.main_window import MainWindow


def letter(text: str) -> str | None:
    text = text.replace("&&", "")
    at = text.find("&")
    return text[at + 1].lower() if 0 <= at < len(text) - 1 else None


def visible_letters(window: MainWindow) -> list[tuple[str, str]]:
    found = [(letter(window.menuBar().actions()[i].text()), "menu") for i in range(len(window.menuBar().actions()))]
    found += [(letter(window.tabs.tabText(i)), "tab") for i in range(window.tabs.count())]
    for widget in window.findChildren(QWidget):
        if not widget.isVisibleTo(window):
            continue
        if isinstance(widget, QLabel) and widget.buddy() is not None:
            found.append((letter(widget.text()), widget.text()))
        elif isinstance(widget, QAbstractButton) and not widget.parent().inherits("QToolBar"):
            found.append((letter(widget.text()), widget.text()))
    return [(key, where) for key, where in found if key]


def test_each_view_of_the_main_window_underlines_each_letter_once(qtbot, store, monitor, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    window = MainWindow(store, QSettings(str(tmp_path / "m.ini"), QSettings.Format.IniFormat), monitor)
    qtbot.addWidget(window)
    window.show()
    for tab in range(window.tabs.count()):
        window.tabs.setCurrentIndex(tab)
        found = visible_letters(window)
        twice = {key for key, count in Counter(key for key, _ in found).items() if count > 1}
        assert twice == set(), [(key, where) for key, where in found if key in twice]


def test_each_menu_underlines_each_letter_once(qtbot, store, monitor, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    window = MainWindow(store, QSettings(str(tmp_path / "m.ini"), QSettings.Format.IniFormat), monitor)
    qtbot.addWidget(window)
    for menu_action in window.menuBar().actions():
        texts = [a.text() for a in menu_action.menu().actions() if not a.isSeparator()]
        letters = [letter(t) for t in texts]
        assert len(set(letters)) == len(letters) and None not in letters, texts


def test_ctrl_3_puts_the_keyboard_in_the_review_queue(qtbot, store, supervisor, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt

    window = MainWindow(store, QSettings(str(tmp_path / "m.ini"), QSettings.Format.IniFormat), supervisor)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    window.filter_bar.period.setFocus()
    qtbot.waitUntil(window.filter_bar.period.hasFocus)
    qtbot.keyClick(window.filter_bar.period, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(window.review.table.hasFocus)
    assert window.tabs.currentWidget() is window.review
    qtbot.keyClick(window.review.table, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(window.table.hasFocus)
