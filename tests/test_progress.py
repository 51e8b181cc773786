"""Progress lines: k/N with the time left, never more often than asked, always the last one."""

import io
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


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_a_bar_redrawn_in_place_and_a_log_file_only_lines(caplog):
    caplog.set_level(logging.INFO, logger="spatule.test")
    log = logging.getLogger("spatule.test")
    screen = Terminal()
    progress = Progress(4, "photos searched", log, every_s=0, terminal=screen)
    for _ in range(4):
        progress.step()
    drawn = screen.getvalue()
    assert drawn.count("\r[") == 4 and drawn.endswith("\n") and drawn.count("\n") == 1  # one line, redrawn
    assert "[" + "#" * 30 + "] photos searched 4/4" in drawn and "[" + "#" * 7 + "." * 23 + "]" in drawn
    assert [r.getMessage().split(",")[0] for r in caplog.records] == [f"photos searched {k}/4" for k in range(1, 5)]
    assert all("#" not in r.getMessage() for r in caplog.records)  # no bar in the log
    piped = io.StringIO()  # not a terminal: nothing but the log lines
    Progress(2, "tiles rendered", log, every_s=0, terminal=piped).step(2)
    assert piped.getvalue() == ""
