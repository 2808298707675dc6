"""A Pool whose parent is blocked in Pool.join() when SIGTERM comes.

Story: the parent hands long tasks to a multiprocessing.Pool, closes it and
waits in pool.join(). `sigtree check --action term` sends SIGTERM to the
parent alone. Python 3 installs no SIGTERM handler (the signal module's documentation), so the parent
dies of SIGTERM at once, wait or no wait. Its pool workers are daemonic, but
the atexit hook that would terminate them runs only at a normal exit
(multiprocessing's atexit hook): nobody tells them, they are orphaned (re-parented to sigtree's
keeper) and keep running their tasks, until the grace period ends and sigtree
escalates to SIGKILL of the group.

sigtree check reports: leader "died of SIGTERM", every child "SIGKILL by
escalation", orphaned -> verdict `forced` (exit 1).

Python 2 told a different story (bpo-8296, bpo-8844): its lock waits could not be
interrupted, so a parent that *did* install a SIGTERM handler only ran it
after pool.join() returned -- a deferred handler (sigtree's
`deferred-handler` scenario). Python 3.2+ runs the handler during the wait.
"""

import multiprocessing as mp
import time

WORKERS = 3
# Inherited by the workers through fork: each releases it once busy.
started = None


def task(n):
    started.release()
    for _ in range(600):  # 60 s of "work", far longer than the test
        time.sleep(0.1)
    return n


def main():
    global started
    started = mp.Semaphore(0)
    pool = mp.Pool(WORKERS)  # the workers fork here and inherit `started`
    pool.map_async(task, range(WORKERS))
    for _ in range(WORKERS):
        started.acquire()
    print("ready", flush=True)  # every worker is busy with a task
    pool.close()
    pool.join()  # the parent is blocked here when SIGTERM arrives


if __name__ == "__main__":
    mp.set_start_method("fork")  # 3.14 defaults to forkserver: another tree
    main()
