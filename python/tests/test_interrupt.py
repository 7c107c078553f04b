"""Ctrl-C (KeyboardInterrupt) cancels a running question through its own cancel token."""

import _thread
import threading
import time

import pytest

import whatif
from conftest import P_RAIN_GIVEN_WET


def test_keyboard_interrupt_cancels_a_running_query(sprinkler):
    # Ten billion samples (the limit) take minutes; the interrupt comes after 0.3 s, the same
    # way Ctrl-C arrives: as a SIGINT the main thread's handler turns into KeyboardInterrupt.
    timer = threading.Timer(0.3, _thread.interrupt_main)
    timer.start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        sprinkler.ask("P(rain | wet)", samples=10_000_000_000, method="is", seed=1)
    timer.join()
    # The engines stop at their next window of chunks: well before the query would finish.
    assert time.monotonic() - started < 60
    # The model is still usable, and the next call is not cancelled.
    assert sprinkler.ask("P(rain | wet)").value == pytest.approx(P_RAIN_GIVEN_WET)
