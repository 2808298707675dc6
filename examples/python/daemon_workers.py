"""Daemonic workers: ended by the parent's normal exit, left by its death.

Story: the parent starts daemonic workers (daemon=True, like a Pool's) and
waits for them. Then it installs a SIGTERM handler that calls sys.exit(0).
It installs it *after* the forks on purpose: a handler installed before
would be inherited by the workers (signal(7), execve(2)), who would then exit 0 too.

- `sigtree check --action term`: the handler raises SystemExit in the
  parent's wait, the parent exits normally, and multiprocessing's exit hook
  sends SIGTERM to every daemonic child and joins it (the multiprocessing documentation; multiprocessing's atexit hook). The
  workers have no SIGTERM handler (the signal module's documentation) and die of it.
  sigtree check reports: leader "exit 0", children "died of SIGTERM" ->
  verdict `terminated` (exit 4), within a few milliseconds.
- `sigtree check --action kill`: SIGKILL runs no handler and no exit hook
  (multiprocessing's atexit hook): the workers are orphaned, re-parented to sigtree's keeper, and
  keep working until sigtree escalates to SIGKILL of the group.
  sigtree check reports: leader "died of SIGKILL" (the action itself),
  children "SIGKILL by escalation", orphaned -> verdict `forced` (exit 1).
"""

import multiprocessing as mp
import signal
import sys
import time

WORKERS = 2


def worker(started):
    started.release()
    time.sleep(60)  # a long task; no handler of its own


def main():
    started = mp.Semaphore(0)
    workers = [mp.Process(target=worker, args=(started,), daemon=True) for _ in range(WORKERS)]
    for p in workers:
        p.start()
    for _ in workers:
        started.acquire()
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    print("ready", flush=True)
    for p in workers:
        p.join()  # SystemExit is raised here; the exit hook ends the workers


if __name__ == "__main__":
    mp.set_start_method("fork")  # 3.14 defaults to forkserver: another tree
    main()
