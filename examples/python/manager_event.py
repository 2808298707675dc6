"""A cooperative stop through a Manager().Event(): the graceful story.

Workers poll a shared stop event between short slices of work. The parent's
SIGTERM handler only sets that event; the parent waits in join().
`sigtree check --action term` sends SIGTERM to the parent alone: the handler
runs during the wait (Python 3.2+, bpo-8296, bpo-8844), the workers see the event and
return, the parent joins them and shuts the Manager down. sigtree check
reports: everyone "exit 0" -> verdict `graceful` (exit 0), in about a tenth
of a second (one work slice).

With `--action term-group` the story breaks: killpg reaches the Manager's
server process and the workers too; none has a SIGTERM handler (bpo-36368
made the Manager's server ignore SIGINT, not SIGTERM), so they die of it,
and the parent's handler finds the Manager gone and exits 1: leader
"exit 1", children "died of SIGTERM" -> verdict `terminated` (exit 4).
"""

import multiprocessing as mp
import signal
import sys
import time

WORKERS = 3


def worker(stop, started):
    started.release()
    for _ in range(600):  # up to 60 s of work in 0.1 s slices
        if stop.is_set():
            return  # clean up here; exit code 0
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

    def on_sigterm(signum, frame):
        try:
            stop.set()
        except (OSError, EOFError):  # the Manager is gone (term-group)
            # Not re-raised: join()'s waitpid swallows any OSError.
            sys.exit("stop event lost: the Manager is gone")  # exit 1

    # Installed after the forks, so the children keep the default SIGTERM.
    signal.signal(signal.SIGTERM, on_sigterm)
    print("ready", flush=True)
    for p in workers:
        p.join()  # the handler runs here, during the wait
    manager.shutdown()  # the server process exits 0


if __name__ == "__main__":
    mp.set_start_method("fork")  # 3.14 defaults to forkserver: another tree
    main()
