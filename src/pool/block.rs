//! The pool's shared block: the stop event and the task accounts, one
//! memfd mapped by the monitor and every pool process.

use std::io;
use std::sync::atomic::{AtomicU32, Ordering};

use super::scenario::Tasks;
use crate::sys::shared::SharedWords;

/// Word indices in the block.
const STOP_EVENT: usize = 0;
const NEXT_TASK: usize = 1;
const TOTAL_TASKS: usize = 2;
const COMPLETED: usize = 3;
const WORKERS_EXITED: usize = 4;
const DROPPED_REPORTS: usize = 5;
/// 1 when the queue is endless: `TOTAL_TASKS` then means nothing.
const ENDLESS: usize = 6;
/// Then one word per worker: 1 while it holds a task, else 0.
const FIRST_SLOT: usize = 7;

/// The most workers a pool may have.
pub const MAX_WORKERS: u32 = 1024;

/// Task accounts, as the spec's `tasks` object reports them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Accounts {
    /// Tasks finished.
    pub completed: u32,
    /// Tasks taken by a worker that ended without finishing them.
    pub lost: u32,
    /// Tasks nobody took.
    pub queued: u32,
}

/// The shared block of one pool.
#[derive(Debug)]
pub struct PoolBlock {
    words: SharedWords,
}

impl PoolBlock {
    /// A new block for `workers` workers handing out `tasks` (the
    /// monitor's side).
    pub fn create(workers: u32, tasks: Tasks) -> io::Result<Self> {
        let words = SharedWords::create(FIRST_SLOT + workers as usize)?;
        let block = Self { words };
        match tasks {
            Tasks::Endless => block.word(ENDLESS).store(1, Ordering::SeqCst),
            Tasks::Count(total) => block.word(TOTAL_TASKS).store(total, Ordering::SeqCst),
        }
        Ok(block)
    }

    /// Whether the queue never runs dry.
    pub fn endless(&self) -> bool {
        self.word(ENDLESS).load(Ordering::SeqCst) != 0
    }

    /// Maps the block passed down as descriptor `fd` (a pool process's side).
    pub fn inherit(fd: i32, workers: u32) -> io::Result<Self> {
        // Left inheritable: this process's children map it too.
        let words = SharedWords::inherit(fd, FIRST_SLOT + workers as usize)?;
        Ok(Self { words })
    }

    /// Lets children inherit the block; returns the descriptor number.
    pub fn inheritable_fd(&self) -> io::Result<i32> {
        self.words.inheritable_fd()
    }

    fn word(&self, index: usize) -> &AtomicU32 {
        // Every index used here is below the length the block was made with;
        // a worker slot past it falls back to the dropped-reports word,
        // which only miscounts, never crashes.
        self.words
            .word(index)
            .or_else(|| self.words.word(DROPPED_REPORTS))
            .unwrap_or_else(|| unreachable!("a block always has its header words"))
    }

    /// Whether the stop event is set.
    pub fn stop_requested(&self) -> bool {
        self.word(STOP_EVENT).load(Ordering::Acquire) != 0
    }

    /// Sets the stop event: every pool process sees it at its next poll.
    pub fn request_stop(&self) {
        self.word(STOP_EVENT).store(1, Ordering::Release);
    }

    /// Takes the next task for worker `index` (1-based); `None` when a
    /// counted queue is empty. An endless queue always has one (its numbers
    /// wrap around after 2^32 tasks).
    pub fn take_task(&self, index: u32) -> Option<u32> {
        let task = self.word(NEXT_TASK).fetch_add(1, Ordering::SeqCst);
        if !self.endless() && task >= self.word(TOTAL_TASKS).load(Ordering::SeqCst) {
            return None;
        }
        self.slot(index).store(1, Ordering::SeqCst);
        Some(task)
    }

    /// Marks worker `index`'s current task finished.
    pub fn finish_task(&self, index: u32) {
        self.word(COMPLETED).fetch_add(1, Ordering::SeqCst);
        self.slot(index).store(0, Ordering::SeqCst);
    }

    /// Counts a worker that exited by its own decision.
    pub fn worker_exited(&self) {
        self.word(WORKERS_EXITED).fetch_add(1, Ordering::SeqCst);
    }

    /// Workers that exited by their own decision so far.
    pub fn workers_exited(&self) -> u32 {
        self.word(WORKERS_EXITED).load(Ordering::SeqCst)
    }

    /// Counts a report that could not be written (the monitor did not read).
    pub fn report_dropped(&self) {
        self.word(DROPPED_REPORTS).fetch_add(1, Ordering::Relaxed);
    }

    /// Reports dropped so far.
    pub fn dropped_reports(&self) -> u32 {
        self.word(DROPPED_REPORTS).load(Ordering::Relaxed)
    }

    /// The accounts; `alive(index)` tells whether worker `index` still runs
    /// (a task held by a worker that ended is lost). An endless queue has
    /// no count to tell: its `queued` is 0 (see [`Self::endless`]).
    pub fn accounts(&self, alive: impl Fn(u32) -> bool) -> Accounts {
        let total = self.word(TOTAL_TASKS).load(Ordering::SeqCst);
        let taken = self.word(NEXT_TASK).load(Ordering::SeqCst).min(total);
        let workers = (self.words.len() - FIRST_SLOT) as u32;
        let lost = (1..=workers)
            .filter(|&i| self.slot(i).load(Ordering::SeqCst) != 0 && !alive(i))
            .count() as u32;
        Accounts {
            completed: self.word(COMPLETED).load(Ordering::SeqCst),
            lost,
            queued: total - taken,
        }
    }

    fn slot(&self, index: u32) -> &AtomicU32 {
        self.word(FIRST_SLOT + index.saturating_sub(1) as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tasks_are_handed_out_once_and_accounted() {
        let block = PoolBlock::create(2, Tasks::Count(3)).expect("memfd");
        assert_eq!(block.take_task(1), Some(0));
        assert_eq!(block.take_task(2), Some(1));
        block.finish_task(1);
        assert_eq!(block.take_task(1), Some(2));
        assert_eq!(block.take_task(1), None, "the queue is empty");
        // Worker 2 died holding task 1; worker 1 still works on task 2.
        let accounts = block.accounts(|i| i == 1);
        assert_eq!(
            accounts,
            Accounts {
                completed: 1,
                lost: 1,
                queued: 0
            }
        );
    }

    #[test]
    fn an_endless_queue_never_runs_dry() {
        let block = PoolBlock::create(2, Tasks::Endless).expect("memfd");
        assert!(block.endless());
        // Far more than any counted queue the scenarios use.
        for expected in 0..10_000 {
            assert_eq!(block.take_task(1 + expected % 2), Some(expected));
            block.finish_task(1 + expected % 2);
        }
        // Worker 2 died holding a task; worker 1 still works on its own.
        assert_eq!(block.take_task(1), Some(10_000));
        assert_eq!(block.take_task(2), Some(10_001));
        let accounts = block.accounts(|i| i == 1);
        assert_eq!(
            accounts,
            Accounts {
                completed: 10_000,
                lost: 1,
                queued: 0
            }
        );
        // And a counted queue is not endless.
        assert!(
            !PoolBlock::create(1, Tasks::Count(5))
                .expect("memfd")
                .endless()
        );
    }

    #[test]
    fn endless_task_numbers_wrap_around_without_ending() {
        let block = PoolBlock::create(1, Tasks::Endless).expect("memfd");
        block.word(NEXT_TASK).store(u32::MAX, Ordering::SeqCst);
        assert_eq!(block.take_task(1), Some(u32::MAX));
        assert_eq!(block.take_task(1), Some(0), "wraps, never runs dry");
        assert_eq!(block.accounts(|_| false).lost, 1, "the slot still counts");
    }

    #[test]
    fn the_stop_event_is_one_shared_flag() {
        let block = PoolBlock::create(1, Tasks::Count(1)).expect("memfd");
        assert!(!block.stop_requested());
        block.request_stop();
        assert!(block.stop_requested());
    }
}
