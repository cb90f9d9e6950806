//! The connection under TLS: a cap on concurrent connections (each accepted TCP connection holds
//! a permit until it closes; with none left, a new connection is closed at once, before its TLS
//! handshake), and a lingering close.
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

    fn accept(&self, stream: TcpStream, service: S) -> Self::Future {
        std::future::ready(match self.permits.clone().try_acquire_owned() {
            Ok(permit) => Ok((
                Capped {
                    stream,
                    linger: None,
                    _permit: permit,
                },
                service,
            )),
            Err(_) => Err(io::Error::other("too many connections")),
        })
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
