"""What the web processes share about their own life: the drain flag `/readyz` reports.

gunicorn.conf.py imports this module in the master before it forks the workers, so the one shared page
below is the same memory in every worker: the master sets the flag on SIGTERM, and every worker's
`/readyz` answers 503 at once, while it still serves everything else.
"""

import mmap

_flag = mmap.mmap(-1, 1)  # anonymous and shared: inherited by every forked worker


def draining() -> bool:
    """True once the server has been told to stop: balancers should send new requests elsewhere."""
    return _flag[0] == 1


def drain_start() -> None:
    _flag[0] = 1
