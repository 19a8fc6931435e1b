"""Guard against PySide6 6.12.0's None-refcount bug (ARCHITECTURE.md §11).

On the broken version every call of a void method decrements the refcount of None; CPython 3.11
aborts with ``none_dealloc`` after a few hundred repaints. A short suite passes regardless, so
this test measures the refcount directly.
"""

import sys

from PySide6.QtWidgets import QLabel


def test_void_calls_do_not_decrement_the_refcount_of_none(qapp) -> None:  # type: ignore[no-untyped-def]
    label = QLabel()
    before = sys.getrefcount(None)
    for i in range(1000):
        label.setText(f"x{i % 3}")
    after = sys.getrefcount(None)
    assert after >= before - 10, f"refcount of None fell by {before - after} over 1000 void calls"
