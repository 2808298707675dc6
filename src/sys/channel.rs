//! The control channel between sigtree and its keeper: a Unix socket pair
//! that carries descriptors (SCM_RIGHTS) with a one-byte tag, and whose
//! close tells the keeper that sigtree has ended.

use std::io::{self, IoSlice, IoSliceMut};
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rustix::net::{
    AddressFamily, RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, SendAncillaryBuffer,
    SendAncillaryMessage, SendFlags, SocketFlags, SocketType, recvmsg, sendmsg, socketpair,
};

/// What a message on the channel carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Tag {
    /// the leader → sigtree: a pidfd of itself, sent between its fork and
    /// its exec (so before the command runs), with its pid.
    LeaderPidfd = b'L',
    /// sigtree → keeper: the terminal the TUI drew on, to restore after
    /// sigtree's death.
    Terminal = b'T',
    /// sigtree → keeper: the terminal was given back; forget it.
    TerminalReleased = b'U',
}

impl Tag {
    fn from_byte(byte: u8) -> Option<Self> {
        [Self::LeaderPidfd, Self::Terminal, Self::TerminalReleased]
            .into_iter()
            .find(|tag| *tag as u8 == byte)
    }
}

/// What a non-blocking receive found.
#[derive(Debug)]
pub enum Received {
    /// A message: its tag, its number (a pid, or 0), and the descriptor it
    /// carried, if any.
    Message(Tag, i32, Option<OwnedFd>),
    /// Nothing waiting.
    Nothing,
    /// The other end is closed.
    Closed,
}

/// A message's length: its tag and a 32-bit number.
const MESSAGE_LEN: usize = 5;

/// A close-on-exec, message-preserving socket pair.
pub fn pair() -> io::Result<(OwnedFd, OwnedFd)> {
    Ok(socketpair(
        AddressFamily::UNIX,
        SocketType::SEQPACKET,
        SocketFlags::CLOEXEC,
        None,
    )?)
}

/// Sends `tag` and `number`, with `fd` attached when given. Never blocks,
/// never allocates: it may run between fork and exec.
pub fn send(
    socket: BorrowedFd<'_>,
    tag: Tag,
    number: i32,
    fd: Option<BorrowedFd<'_>>,
) -> io::Result<()> {
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = SendAncillaryBuffer::new(&mut space);
    let fds: [BorrowedFd<'_>; 1];
    if let Some(fd) = fd {
        fds = [fd];
        if !control.push(SendAncillaryMessage::ScmRights(&fds)) {
            return Err(io::Error::from_raw_os_error(libc::ENOBUFS));
        }
    }
    let mut message = [0u8; MESSAGE_LEN];
    message[0] = tag as u8;
    message[1..].copy_from_slice(&number.to_ne_bytes());
    sendmsg(
        socket,
        &[IoSlice::new(&message)],
        &mut control,
        SendFlags::DONTWAIT | SendFlags::NOSIGNAL,
    )?;
    Ok(())
}

/// Takes the next message, if one is waiting. Never blocks.
pub fn receive(socket: impl AsFd) -> io::Result<Received> {
    let mut message = [0u8; MESSAGE_LEN];
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = RecvAncillaryBuffer::new(&mut space);
    let received = match recvmsg(
        socket.as_fd(),
        &mut [IoSliceMut::new(&mut message)],
        &mut control,
        RecvFlags::DONTWAIT | RecvFlags::CMSG_CLOEXEC,
    ) {
        Ok(received) => received,
        Err(rustix::io::Errno::AGAIN) => return Ok(Received::Nothing),
        Err(rustix::io::Errno::CONNRESET) => return Ok(Received::Closed),
        Err(error) => return Err(error.into()),
    };
    if received.bytes == 0 {
        return Ok(Received::Closed);
    }
    let mut number = [0u8; 4];
    number.copy_from_slice(&message[1..]);
    let mut fd = None;
    for message in control.drain() {
        if let RecvAncillaryMessage::ScmRights(fds) = message {
            // More than one descriptor is never sent; extra ones are closed.
            fd = fds.into_iter().next().or(fd);
        }
    }
    match Tag::from_byte(message[0]) {
        Some(tag) if received.bytes == MESSAGE_LEN => {
            Ok(Received::Message(tag, i32::from_ne_bytes(number), fd))
        }
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("malformed control message {:#x}", message[0]),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_descriptor_crosses_with_its_tag_and_a_close_is_seen() {
        let (ours, theirs) = pair().expect("socketpair");
        assert!(matches!(receive(&theirs), Ok(Received::Nothing)));
        let (read, write) = crate::sys::fds::pipe().expect("pipe");
        send(ours.as_fd(), Tag::Terminal, 42, Some(write.as_fd())).expect("send");
        drop(write);
        let Ok(Received::Message(Tag::Terminal, 42, Some(passed))) = receive(&theirs) else {
            panic!("the descriptor did not arrive");
        };
        rustix::io::write(&passed, b"x").expect("the passed end writes into our pipe");
        let mut byte = [0u8; 1];
        assert_eq!(rustix::io::read(&read, &mut byte).expect("read"), 1);
        send(ours.as_fd(), Tag::TerminalReleased, 0, None).expect("send");
        assert!(matches!(
            receive(&theirs),
            Ok(Received::Message(Tag::TerminalReleased, 0, None))
        ));
        drop(ours);
        assert!(matches!(receive(&theirs), Ok(Received::Closed)));
    }
}
