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
    /// sigtree's init (tini's PID 1) → sigtree: a pidfd of itself, sent
    /// before it starts its child.
    InitPidfd = b'I',
    /// sigtree → keeper: the terminal the TUI drew on, to restore after
    /// sigtree's death.
    Terminal = b'T',
    /// sigtree → keeper: the terminal was given back; forget it.
    TerminalReleased = b'U',
}

impl Tag {
    fn from_byte(byte: u8) -> Option<Self> {
        [
            Self::LeaderPidfd,
            Self::InitPidfd,
            Self::Terminal,
            Self::TerminalReleased,
        ]
        .into_iter()
        .find(|tag| *tag as u8 == byte)
    }
}

/// What a non-blocking receive found.
#[derive(Debug)]
pub enum Received {
    /// A message.
    Message(Message),
    /// Nothing waiting.
    Nothing,
    /// The other end is closed.
    Closed,
}

/// One message on the channel.
#[derive(Debug)]
pub struct Message {
    /// What it carries.
    pub tag: Tag,
    /// A number: a pid, or 0.
    pub number: i32,
    /// Bytes that go with it (a terminal's settings), at most [`MAX_PAYLOAD`].
    pub payload: Vec<u8>,
    /// The descriptor it carried, if any.
    pub fd: Option<OwnedFd>,
}

/// A message's header: its tag and a 32-bit number.
const HEADER_LEN: usize = 5;
/// The most bytes a message carries after its header.
pub const MAX_PAYLOAD: usize = 128;

/// A close-on-exec, message-preserving socket pair.
pub fn pair() -> io::Result<(OwnedFd, OwnedFd)> {
    Ok(socketpair(
        AddressFamily::UNIX,
        SocketType::SEQPACKET,
        SocketFlags::CLOEXEC,
        None,
    )?)
}

/// Sends `tag`, `number` and `payload` (at most [`MAX_PAYLOAD`] bytes),
/// with `fd` attached when given. Never blocks, never allocates: it may run
/// between fork and exec.
pub fn send(
    socket: BorrowedFd<'_>,
    tag: Tag,
    number: i32,
    payload: &[u8],
    fd: Option<BorrowedFd<'_>>,
) -> io::Result<()> {
    if payload.len() > MAX_PAYLOAD {
        return Err(io::Error::from_raw_os_error(libc::EMSGSIZE));
    }
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = SendAncillaryBuffer::new(&mut space);
    let fds: [BorrowedFd<'_>; 1];
    if let Some(fd) = fd {
        fds = [fd];
        if !control.push(SendAncillaryMessage::ScmRights(&fds)) {
            return Err(io::Error::from_raw_os_error(libc::ENOBUFS));
        }
    }
    let mut header = [0u8; HEADER_LEN];
    header[0] = tag as u8;
    header[1..].copy_from_slice(&number.to_ne_bytes());
    sendmsg(
        socket,
        &[IoSlice::new(&header), IoSlice::new(payload)],
        &mut control,
        SendFlags::DONTWAIT | SendFlags::NOSIGNAL,
    )?;
    Ok(())
}

/// Sends sigtree a pidfd of the calling process under `tag`, numbered
/// with its pid — or 0 when it lives in a pid namespace below sigtree's
/// (`in_namespace`), where its number means nothing to sigtree, which
/// reads the pidfd's own. Never allocates: it may run between fork and exec.
pub fn send_own_pidfd(socket: BorrowedFd<'_>, tag: Tag, in_namespace: bool) -> io::Result<()> {
    let me = rustix::process::getpid();
    let pidfd = rustix::process::pidfd_open(me, rustix::process::PidfdFlags::empty())?;
    let number = if in_namespace { 0 } else { me.as_raw_pid() };
    send(socket, tag, number, &[], Some(pidfd.as_fd()))
}

/// Takes the next message, if one is waiting. Never blocks.
pub fn receive(socket: impl AsFd) -> io::Result<Received> {
    let mut message = [0u8; HEADER_LEN + MAX_PAYLOAD];
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
    number.copy_from_slice(&message[1..HEADER_LEN]);
    let mut fd = None;
    for message in control.drain() {
        if let RecvAncillaryMessage::ScmRights(fds) = message {
            // More than one descriptor is never sent; extra ones are closed.
            fd = fds.into_iter().next().or(fd);
        }
    }
    match Tag::from_byte(message[0]) {
        Some(tag) if received.bytes >= HEADER_LEN => Ok(Received::Message(Message {
            tag,
            number: i32::from_ne_bytes(number),
            payload: message[HEADER_LEN..received.bytes].to_vec(),
            fd,
        })),
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
        send(
            ours.as_fd(),
            Tag::Terminal,
            42,
            b"settings",
            Some(write.as_fd()),
        )
        .expect("send");
        drop(write);
        let Ok(Received::Message(Message {
            tag: Tag::Terminal,
            number: 42,
            payload,
            fd: Some(passed),
        })) = receive(&theirs)
        else {
            panic!("the descriptor did not arrive");
        };
        assert_eq!(payload, b"settings");
        rustix::io::write(&passed, b"x").expect("the passed end writes into our pipe");
        let mut byte = [0u8; 1];
        assert_eq!(rustix::io::read(&read, &mut byte).expect("read"), 1);
        send(ours.as_fd(), Tag::TerminalReleased, 0, &[], None).expect("send");
        assert!(matches!(
            receive(&theirs),
            Ok(Received::Message(Message {
                tag: Tag::TerminalReleased,
                number: 0,
                fd: None,
                ..
            }))
        ));
        drop(ours);
        assert!(matches!(receive(&theirs), Ok(Received::Closed)));
    }
}
