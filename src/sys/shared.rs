//! A small block of shared memory (a memfd mapped by every process that
//! holds it): the stop event and the pool's task accounts live here, so that
//! reading them costs one atomic load and no system call.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::ptr::NonNull;
use std::sync::atomic::AtomicU32;

use rustix::fs::{MemfdFlags, ftruncate, memfd_create};
use rustix::mm::{MapFlags, ProtFlags, mmap, munmap};

/// A shared array of 32-bit atomic words.
#[derive(Debug)]
pub struct SharedWords {
    fd: OwnedFd,
    base: NonNull<AtomicU32>,
    len: usize,
}

// SAFETY: the mapping is only accessed through atomics, which are Sync.
unsafe impl Send for SharedWords {}
// SAFETY: as above: every access is an atomic operation.
unsafe impl Sync for SharedWords {}

impl SharedWords {
    /// Creates a zeroed block of `len` words in a new memfd (close-on-exec;
    /// see [`SharedWords::inheritable_fd`]).
    pub fn create(len: usize) -> io::Result<Self> {
        let fd = memfd_create("sigtree-shared", MemfdFlags::CLOEXEC)?;
        ftruncate(&fd, (len * 4) as u64)?;
        Self::map(fd, len)
    }

    /// Maps a block another process created and passed down as descriptor
    /// `fd` (taken over: nothing else in this process may use it).
    pub fn inherit(fd: RawFd, len: usize) -> io::Result<Self> {
        let fd = super::fds::take_inherited(fd)?;
        let size = rustix::fs::fstat(&fd)?.st_size;
        if (size as usize) < len * 4 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "shared block too small",
            ));
        }
        Self::map(fd, len)
    }

    fn map(fd: OwnedFd, len: usize) -> io::Result<Self> {
        // SAFETY: a fresh shared mapping of the whole file; the kernel picks
        // the address, nothing else in this process aliases it.
        let ptr = unsafe {
            mmap(
                std::ptr::null_mut(),
                len * 4,
                ProtFlags::READ | ProtFlags::WRITE,
                MapFlags::SHARED,
                &fd,
                0,
            )?
        };
        let base = NonNull::new(ptr.cast::<AtomicU32>())
            .ok_or_else(|| io::Error::other("mmap returned NULL"))?;
        Ok(Self { fd, base, len })
    }

    /// Word `index`; `None` past the end.
    pub fn word(&self, index: usize) -> Option<&AtomicU32> {
        // SAFETY: index < len words were mapped; AtomicU32 has the layout of
        // u32 and the mapping lives as long as `self`.
        (index < self.len).then(|| unsafe { &*self.base.as_ptr().add(index) })
    }

    /// Number of words.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the block has no words.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Clears close-on-exec so that a child can inherit the memfd, and
    /// returns its number.
    pub fn inheritable_fd(&self) -> io::Result<RawFd> {
        super::fds::set_inheritable(self.fd.as_fd())?;
        Ok(self.fd.as_raw_fd())
    }
}

impl AsFd for SharedWords {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl Drop for SharedWords {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping made in `map`; no reference
        // returned by `word` outlives `self`.
        let _ = unsafe { munmap(self.base.as_ptr().cast(), self.len * 4) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::Ordering;

    #[test]
    fn words_start_zeroed_and_are_shared_between_mappings() {
        let first = SharedWords::create(8).expect("memfd");
        let duplicate = rustix::io::fcntl_dupfd_cloexec(first.as_fd(), 0).expect("dup");
        let raw = std::os::fd::IntoRawFd::into_raw_fd(duplicate);
        let second = SharedWords::inherit(raw, 8).expect("maps again");
        assert_eq!(first.word(7).map(|w| w.load(Ordering::SeqCst)), Some(0));
        first.word(3).expect("in range").store(42, Ordering::SeqCst);
        assert_eq!(second.word(3).map(|w| w.load(Ordering::SeqCst)), Some(42));
        assert!(first.word(8).is_none());
    }
}
