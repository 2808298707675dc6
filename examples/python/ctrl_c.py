"""Ctrl-C reaches every worker, not just the parent.

Story: the parent waits for its workers and, on Ctrl-C, wants to set a stop
event so they finish their slice of work and exit cleanly. But Ctrl-C is
SIGINT from the terminal to every process of the foreground process group,
directly (termios(3)): the forked workers are in the parent's group, inherited
Python's SIGINT handler across fork (signal(7), execve(2); the signal module's documentation), and get a
KeyboardInterrupt in the middle of their sleep. They die of it first, with a
traceback, before the parent has set the event: multiprocessing turns the
uncaught exception into exit code 1. The parent then catches its own
KeyboardInterrupt, sets the event (too late) and joins them.

`sigtree check --action int-group` sends SIGINT to the group like Ctrl-C does.
sigtree check reports: workers "exit 1", leader "exit 0" -> verdict
`unclean` (exit 5). ctrl_c_ignored.py shows the fix.
"""

import multiprocessing as mp
import time

WORKERS = 3


def worker(stop, started):
    started.release()
    for _ in range(600):  # up to 60 s of work in 0.1 s slices
        if stop.is_set():
            return  # clean up here; exit code 0
        time.sleep(0.1)  # KeyboardInterrupt is raised here


def main():
    stop = mp.Event()
    started = mp.Semaphore(0)
    workers = [mp.Process(target=worker, args=(stop, started)) for _ in range(WORKERS)]
    for p in workers:
        p.start()
    for _ in workers:
        started.acquire()
    try:
        # Ready is said inside the try: Ctrl-C may come the moment it is read.
        print("ready", flush=True)
        for p in workers:
            p.join()
    except KeyboardInterrupt:
        stop.set()  # the workers are already dying of their own KeyboardInterrupt
        for p in workers:
            p.join()


if __name__ == "__main__":
    mp.set_start_method("fork")  # 3.14 defaults to forkserver: another tree
    main()
