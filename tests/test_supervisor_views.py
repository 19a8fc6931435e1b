"""The supervisor's views answer the same question the same way the command line does."""

import re

import pytest

from desktop.cli import main
from desktop.filter_bar import FilterBar


def test_last_30_days_in_trends_is_the_period_of_truceline_stats(
    qtbot, store, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    bar = FilterBar(store)
    qtbot.addWidget(bar)
    bar.period.setCurrentIndex(bar.period.findData("30d"))
    first, last = bar.period_days()
    assert "to yesterday" in bar.period.currentText()
    store.close()
    assert main(["stats"]) == 0
    period = re.search(r"Period: (\S+) to (\S+) \(30 days", capsys.readouterr().out)
    assert period is not None, "stats printed no period"
    assert (str(first), str(last)) == period.groups()


def test_split_by_sector_draws_all_ten_sectors_and_the_rest_without_other() -> None:
    from desktop.timeline_series import OTHER, fold

    sectors = {f"DMZ-{n:02d}": [n, 1] for n in range(1, 11)} | {None: [5, 5]}
    shown = fold(sectors, {})
    assert len(shown) == 11 and OTHER not in {s.key for s in shown}  # DMZ-10 is drawn, not folded
    twelve = sectors | {"EXTRA": [0, 1]}
    folded = fold(twelve, {})
    assert len(folded) == 11 and folded[-1].key == OTHER and folded[-1].label == "Other (2)"
