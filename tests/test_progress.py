"""Progress lines: k/N with the time left, never more often than asked, always the last one."""

import logging

from spatule.progress import Progress


def test_progress_says_how_far_and_how_long_and_always_the_end(caplog):
    caplog.set_level(logging.INFO, logger="spatule.test")
    log = logging.getLogger("spatule.test")
    quiet = Progress(100, "photos searched", log, every_s=3600)
    for _ in range(100):
        quiet.step()
    assert [r.getMessage().split(",")[0] for r in caplog.records] == ["photos searched 100/100"]
    caplog.clear()
    chatty = Progress(3, "tiles rendered", log, every_s=0)
    for _ in range(3):
        chatty.step(2)  # more than is left: counted up to the total, not past it
    lines = [r.getMessage() for r in caplog.records]
    assert [line.split(",")[0] for line in lines] == ["tiles rendered 2/3", "tiles rendered 3/3", "tiles rendered 3/3"]
    assert lines[0].endswith("left") and "0:00 left" in lines[-1]
