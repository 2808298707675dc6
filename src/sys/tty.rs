//! A terminal's settings (termios) as bytes, to hand to another process
//! that restores them.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

/// The size of the settings in bytes.
pub const SETTINGS_LEN: usize = std::mem::size_of::<libc::termios>();

/// The settings of terminal `fd` now.
pub fn settings(fd: BorrowedFd<'_>) -> io::Result<[u8; SETTINGS_LEN]> {
    // SAFETY: termios is plain data; all zeroes is a valid value.
    let mut termios: libc::termios = unsafe { std::mem::zeroed() };
    // SAFETY: tcgetattr writes one termios into the buffer, which lives
    // across the call.
    if unsafe { libc::tcgetattr(fd.as_raw_fd(), &mut termios) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let mut bytes = [0u8; SETTINGS_LEN];
    // SAFETY: termios is plain data of exactly SETTINGS_LEN bytes; copying
    // them out reads initialised memory (it was zeroed, then filled).
    unsafe {
        std::ptr::copy_nonoverlapping(
            (&raw const termios).cast::<u8>(),
            bytes.as_mut_ptr(),
            SETTINGS_LEN,
        );
    }
    Ok(bytes)
}

/// Applies settings read by [`settings`] to terminal `fd`, at once.
pub fn apply(fd: BorrowedFd<'_>, bytes: &[u8]) -> io::Result<()> {
    if bytes.len() != SETTINGS_LEN {
        return Err(io::Error::from_raw_os_error(libc::EINVAL));
    }
    // SAFETY: termios is plain data: any bytes are a value of it.
    let mut termios: libc::termios = unsafe { std::mem::zeroed() };
    // SAFETY: both buffers are SETTINGS_LEN bytes and do not overlap.
    unsafe {
        std::ptr::copy_nonoverlapping(
            bytes.as_ptr(),
            (&raw mut termios).cast::<u8>(),
            SETTINGS_LEN,
        );
    }
    // SAFETY: tcsetattr reads the termios, which lives across the call.
    if unsafe { libc::tcsetattr(fd.as_raw_fd(), libc::TCSANOW, &termios) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
