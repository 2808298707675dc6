"""Ctrl-C done right: workers spawned with SIGINT ignored.

Story: as in ctrl_c.py, Ctrl-C sends SIGINT to every process of the
foreground group (termios(3)). Here the parent sets SIGINT to SIG_IGN before it
forks the workers and restores its own handler afterwards. An ignored signal
stays ignored across fork (signal(7), execve(2)), and Python does not turn an ignored
SIGINT into KeyboardInterrupt (the signal module's documentation), so the workers do not react at
all. Only the parent gets KeyboardInterrupt: it sets the stop event, the
workers see it, finish their slice and return, and the parent joins them.

`sigtree check --action int-group` sends SIGINT to the group like Ctrl-C does.
sigtree check reports: everyone "exit 0" -> verdict `graceful` (exit 0).
"""

import multiprocessing as mp
import signal
import time

WORKERS = 3


def worker(stop, started):
    started.release()
    for _ in range(600):  # up to 60 s of work in 0.1 s slices
        if stop.is_set():
            return  # clean up here; exit code 0
        time.sleep(0.1)


def main():
    stop = mp.Event()
    started = mp.Semaphore(0)
    default = signal.signal(signal.SIGINT, signal.SIG_IGN)  # before the forks
    workers = [mp.Process(target=worker, args=(stop, started)) for _ in range(WORKERS)]
    for p in workers:
        p.start()
    signal.signal(signal.SIGINT, default)  # the parent alone reacts again
    for _ in workers:
        started.acquire()
    try:
        # Ready is said inside the try: Ctrl-C may come the moment it is read.
        print("ready", flush=True)
        for p in workers:
            p.join()
    except KeyboardInterrupt:
        stop.set()  # the workers see it within one slice
        for p in workers:
            p.join()


if __name__ == "__main__":
    mp.set_start_method("fork")  # 3.14 defaults to forkserver: another tree
    main()
