"""A Manager left running when its owner dies of a signal.

Story: the parent starts a multiprocessing Manager (a server process that
holds shared objects) and workers that poll a Manager().Event(). It has no
SIGTERM handler. `sigtree check --action term` sends SIGTERM to the parent:
Python installs no SIGTERM handler (the signal module's documentation), so it dies of it at once.
manager.shutdown() and the Manager's finalizer run only at a normal exit
(multiprocessing's atexit hook, the story of sigtree's `manager-linger` scenario): the server
process is never told to stop, nor are the workers, which keep polling an
event nobody will set. All of them linger, orphaned and re-parented to
sigtree's keeper, until sigtree escalates to SIGKILL after the grace period.

sigtree check reports: leader "died of SIGTERM", the Manager and the workers
"SIGKILL by escalation", orphaned -> verdict `forced` (exit 1).
"""

import multiprocessing as mp
import time

WORKERS = 2


def worker(stop, started):
    started.release()
    for _ in range(600):  # up to 60 s of work in 0.1 s slices
        if stop.is_set():
            return
        time.sleep(0.1)


def main():
    manager = mp.Manager()  # forks the Manager's server process
    stop = manager.Event()
    started = mp.Semaphore(0)
    workers = [mp.Process(target=worker, args=(stop, started)) for _ in range(WORKERS)]
    for p in workers:
        p.start()
    for _ in workers:
        started.acquire()
    print("ready", flush=True)
    try:
        for p in workers:
            p.join()  # SIGTERM kills the parent here
    finally:
        stop.set()  # never reached on SIGTERM: no exception, no unwinding
    manager.shutdown()


if __name__ == "__main__":
    mp.set_start_method("fork")  # 3.14 defaults to forkserver: another tree
    main()
