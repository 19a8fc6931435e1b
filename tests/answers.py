"""Answering the message boxes a test provokes, as a user would: by the button's text."""

import pytest
from PySide6.QtWidgets import QMessageBox


def answer(monkeypatch: pytest.MonkeyPatch, button_text: str, seen: list[str]) -> None:
    """Message boxes opened with exec() are answered by the button whose text starts with ``button_text``."""

    def exec_(box: QMessageBox) -> int:
        seen.append(box.text())
        (button,) = [b for b in box.buttons() if b.text().replace("&", "").startswith(button_text)]
        button.click()
        return 0

    monkeypatch.setattr(QMessageBox, "exec", exec_)
