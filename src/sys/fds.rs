//! File descriptor flags and pipes for passing channels to child processes.

use std::io;
use std::os::fd::{BorrowedFd, OwnedFd};

use rustix::io::{FdFlags, fcntl_getfd, fcntl_setfd};
use rustix::pipe::{PipeFlags, pipe_with};

/// Clears FD_CLOEXEC so that `fd` survives exec into a child.
pub fn set_inheritable(fd: BorrowedFd<'_>) -> io::Result<()> {
    let flags = fcntl_getfd(fd)?;
    fcntl_setfd(fd, flags - FdFlags::CLOEXEC)?;
    Ok(())
}

/// Sets FD_CLOEXEC, so that `fd` is not passed further down.
pub fn set_cloexec(fd: BorrowedFd<'_>) -> io::Result<()> {
    let flags = fcntl_getfd(fd)?;
    fcntl_setfd(fd, flags | FdFlags::CLOEXEC)?;
    Ok(())
}

/// A close-on-exec pipe: (read end, write end).
pub fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    Ok(pipe_with(PipeFlags::CLOEXEC)?)
}

/// Makes writes (or reads) on `fd` return EAGAIN instead of blocking. The
/// flag belongs to the open file, so every process sharing it sees it.
pub fn set_nonblocking(fd: BorrowedFd<'_>) -> io::Result<()> {
    let flags = rustix::fs::fcntl_getfl(fd)?;
    rustix::fs::fcntl_setfl(fd, flags | rustix::fs::OFlags::NONBLOCK)?;
    Ok(())
}

/// Takes ownership of descriptor `fd`, inherited from the parent under a
/// number it passed down. Fails (EBADF) when no such descriptor is open.
/// The caller must be the only one in this process to take `fd`.
pub fn take_inherited(fd: std::os::fd::RawFd) -> io::Result<OwnedFd> {
    // SAFETY: F_GETFD only reads the descriptor's flags.
    if fd < 0 || unsafe { libc::fcntl(fd, libc::F_GETFD) } == -1 {
        return Err(io::Error::from_raw_os_error(libc::EBADF));
    }
    // SAFETY: the descriptor is open, and the caller takes it once.
    Ok(unsafe { std::os::fd::FromRawFd::from_raw_fd(fd) })
}
