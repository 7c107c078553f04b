"""Ctrl-C (KeyboardInterrupt) cancels a running question through its own cancel token.

The question runs in a child Python process, which gets a real SIGINT (what Ctrl-C sends)
while it samples: the test is independent of the signal handlers other tests' libraries (Dask)
install in the test process.
"""

import os
import signal
import subprocess
import sys
import textwrap

CHILD = textwrap.dedent(
    """
    import sys, threading, time
    import whatif

    model = whatif.Model("rain ~ Bernoulli(0.2)\\nsprinkler ~ Bernoulli(0.4)\\nwet := rain or sprinkler")

    def announce():
        time.sleep(0.3)  # the question below is running by now, with the GIL released
        print("started", flush=True)

    threading.Thread(target=announce, daemon=True).start()
    start = time.monotonic()
    try:
        # Ten billion samples (the limit): minutes of work.
        model.ask("P(rain | wet)", samples=10_000_000_000, method="is", seed=1)
        print("finished", flush=True)
    except KeyboardInterrupt:
        print(f"interrupted after {time.monotonic() - start:.1f} s", flush=True)
    # The model is still usable, and the next call is not cancelled.
    print("next", model.ask("P(rain | wet)").value, flush=True)
    """
)


def test_ctrl_c_cancels_a_running_query():
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout.readline().strip() == "started"
        os.kill(child.pid, signal.SIGINT)
        out, err = child.communicate(timeout=120)
    finally:
        child.kill()
    assert child.returncode == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("interrupted after "), out
    # The engines stop at their next window of chunks, long before ten billion samples.
    assert float(lines[0].split()[2]) < 60
    assert lines[1].startswith("next "), out
    assert abs(float(lines[1].split()[1]) - 0.2 / (1 - 0.8 * 0.6)) < 1e-12
