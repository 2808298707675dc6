"""A grandchild that calls os.setsid() escapes a stop "as a group".

Story: the parent starts a worker; the worker starts a helper of its own (a
grandchild) that calls os.setsid(), as daemonizing code does. setsid() makes
it the leader of a new session and a new process group, so it is no longer a
member of the group sigtree started (supervisord's documentation: supervisord's stopasgroup and
killasgroup miss it the same way; systemd's cgroup would not, systemd.kill(5)).
`sigtree check --action term-group` sends SIGTERM with killpg: the parent and
the worker have no SIGTERM handler and die of it (the signal module's documentation); the grandchild
gets nothing, is orphaned (re-parented to sigtree's keeper, a subreaper) and
keeps running. After the grace period sigtree's SIGKILL to the group misses
it too; only the SIGKILL by pidfd to every observed process still alive ends
it.

sigtree check reports: leader and child "died of SIGTERM", the descendant
"leaked", escaped the group -> verdict `leaked` (exit 3).
"""

import multiprocessing as mp
import os
import time


def grandchild(started):
    os.setsid()  # new session, new process group: out of the stop's reach
    started.release()
    time.sleep(60)


def worker(started):
    helper = mp.Process(target=grandchild, args=(started,))
    helper.start()
    started.release()
    helper.join()  # SIGTERM kills the worker here


def main():
    started = mp.Semaphore(0)
    mp.Process(target=worker, args=(started,)).start()
    for _ in range(2):  # the worker and the grandchild (after its setsid)
        started.acquire()
    print("ready", flush=True)
    time.sleep(60)  # SIGTERM kills the parent here


if __name__ == "__main__":
    mp.set_start_method("fork")  # 3.14 defaults to forkserver: another tree
    main()
