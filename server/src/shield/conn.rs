//! The connection under TLS: a cap on concurrent connections (each accepted TCP connection holds
//! a permit until it closes; with none left, a new connection is closed at once, before its TLS
//! handshake), writes sent at once (`TCP_NODELAY`), and a lingering close.
//!
//! A lingering close (nginx's `lingering_close`, Apache's lingering close): when the server
//! closes a connection whose client is still sending (a body refused early as too large or
//! unauthorized), closing the socket with unread data makes the kernel answer with a TCP reset,
//! and the client may lose the answer it was sent. So when hyper shuts the connection down (after
//! TLS's `close_notify`), the write side is shut first (the client reads the whole answer and
//! then the end), and what the client still sends is read and thrown away until it closes its
//! side, up to [`LINGER_BYTES`] and [`LINGER_TIME`]; only then is the socket dropped.

use std::{
    future::Future,
    io,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll, ready},
    time::Duration,
};

use axum_server::accept::Accept;
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::TcpStream,
    sync::{OwnedSemaphorePermit, Semaphore},
    time::Sleep,
};

/// The most bytes read and thrown away while lingering.
pub const LINGER_BYTES: usize = 1024 * 1024;
/// The longest a connection lingers after its write side is shut.
pub const LINGER_TIME: Duration = Duration::from_secs(2);

/// Open files kept for everything but client connections: database connections and files, the
/// mail and webhook clients' sockets, a connection accepted past the cap until it is closed.
pub const RESERVED_FILES: u64 = 512;

/// The cap this process can keep: `max` connections, or fewer when its open-file limit (the soft
/// `RLIMIT_NOFILE`, as `/proc/self/limits` says) minus [`RESERVED_FILES`] is lower, so that
/// client connections never take the descriptors the database needs. Also the limit, if known.
pub fn cap_within_open_files(max: usize) -> (usize, Option<u64>) {
    let limit = std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|l| open_files(&l));
    let room = limit.map_or(usize::MAX, |n| {
        usize::try_from(n.saturating_sub(RESERVED_FILES)).unwrap_or(usize::MAX)
    });
    (max.min(room).max(1), limit)
}

/// The soft limit on open files in the text of `/proc/<pid>/limits` (`None` if unlimited).
fn open_files(limits: &str) -> Option<u64> {
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.trim_start_matches("Max open files")
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The acceptor that caps connections; its streams close with a linger.
#[derive(Clone)]
pub struct ConnectionCap {
    permits: Arc<Semaphore>,
}

impl ConnectionCap {
    /// A cap of `max` concurrent connections.
    pub fn new(max: usize) -> Self {
        ConnectionCap {
            permits: Arc::new(Semaphore::new(max)),
        }
    }
}

/// A connection and its permit.
pub struct Capped {
    stream: TcpStream,
    /// Set once the write side is shut: what is left to drain, and until when.
    linger: Option<Linger>,
    _permit: OwnedSemaphorePermit,
}

/// The state of a lingering close.
struct Linger {
    bytes_left: usize,
    deadline: Pin<Box<Sleep>>,
}

impl<S: Send + 'static> Accept<TcpStream, S> for ConnectionCap {
    type Stream = Capped;
    type Service = S;
    type Future = std::future::Ready<io::Result<(Capped, S)>>;

    /// A connection within the cap sends each write at once (`TCP_NODELAY`). With Nagle's
    /// algorithm a small write waits while an earlier one is unacknowledged, and a client with
    /// nothing to send acknowledges late (up to 40 ms on Linux): the bench's slowest check-in
    /// took about 50 ms with it, 17–25 ms without.
    fn accept(&self, stream: TcpStream, service: S) -> Self::Future {
        let Ok(permit) = self.permits.clone().try_acquire_owned() else {
            return std::future::ready(Err(io::Error::other("too many connections")));
        };
        std::future::ready(stream.set_nodelay(true).map(|()| {
            let capped = Capped {
                stream,
                linger: None,
                _permit: permit,
            };
            (capped, service)
        }))
    }
}

impl Linger {
    /// Reads and throws away what the client sends until it closes its side (or resets), the
    /// bytes run out or the time is up: then the socket can be dropped.
    fn poll_drain(&mut self, stream: &mut TcpStream, cx: &mut Context<'_>) -> Poll<()> {
        let mut scratch = [0u8; 8192];
        loop {
            if self.bytes_left == 0 || self.deadline.as_mut().poll(cx).is_ready() {
                return Poll::Ready(());
            }
            let len = scratch.len().min(self.bytes_left);
            let mut buf = ReadBuf::new(&mut scratch[..len]);
            match ready!(Pin::new(&mut *stream).poll_read(cx, &mut buf)) {
                Ok(()) if !buf.filled().is_empty() => self.bytes_left -= buf.filled().len(),
                // The end, or a reset: nothing more will come.
                Ok(()) | Err(_) => return Poll::Ready(()),
            }
        }
    }
}

impl AsyncRead for Capped {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Capped {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }
    /// Shuts the write side, then lingers (see the module's documentation).
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let linger = match &mut this.linger {
            Some(linger) => linger,
            None => {
                ready!(Pin::new(&mut this.stream).poll_shutdown(cx))?;
                this.linger.insert(Linger {
                    bytes_left: LINGER_BYTES,
                    deadline: Box::pin(tokio::time::sleep(LINGER_TIME)),
                })
            }
        };
        linger.poll_drain(&mut this.stream, cx).map(Ok)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_open_file_limit_is_read_from_proc() {
        let limits = "Limit                     Soft Limit           Hard Limit           Units     \n\
                      Max processes             127590               127590               processes \n\
                      Max open files            1024                 524288               files     \n";
        assert_eq!(open_files(limits), Some(1024));
        let unlimited =
            "Max open files            unlimited            unlimited            files     \n";
        assert_eq!(open_files(unlimited), None);
        let (cap, limit) = cap_within_open_files(usize::MAX);
        let limit = limit.expect("this machine's limit");
        assert_eq!(cap as u64, limit - RESERVED_FILES);
        assert_eq!(cap_within_open_files(10).0, 10);
    }

    #[tokio::test]
    async fn an_accepted_connection_sends_without_delay() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        let (client, accepted) = tokio::join!(TcpStream::connect(addr), listener.accept());
        let _client = client.expect("connect");
        let (stream, _) = accepted.expect("accept");
        assert!(!stream.nodelay().expect("TCP_NODELAY"));
        let (capped, ()) = ConnectionCap::new(1)
            .accept(stream, ())
            .await
            .expect("within the cap");
        assert!(capped.stream.nodelay().expect("TCP_NODELAY"));
    }
}
