//! Connections a handler can cut without answering, for [`Reply::Dropped`].
//!
//! hyper offers a handler no way to close its connection: whatever the handler returns is sent
//! as a response (a body that fails still goes out after the status line and headers). So the
//! server accepts through [`CuttableListener`], whose connections carry a [`Cutter`] that the
//! router hands to each request as [`ConnectInfo`](axum::extract::ConnectInfo). Once a
//! handler calls [`Cutter::cut`], every further read and write on that socket fails; hyper
//! then gives up on the connection before a byte of the response reaches the socket and drops
//! it, which closes the socket. The client sees the connection close with no HTTP answer at
//! all, the way a crashed proxy or a reset connection looks. No panic is involved, so nothing
//! is printed.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

#[cfg(doc)]
use crate::script::Reply;

/// A TCP listener whose connections can be cut by the handler serving them.
pub(crate) struct CuttableListener(pub TcpListener);

impl Listener for CuttableListener {
    type Io = CuttableStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        // axum's own accept loop retries (and paces) failed accepts.
        let (stream, addr) = Listener::accept(&mut self.0).await;
        // Stream events go out as they are written (no Nagle delay), as real servers send them.
        let _ = stream.set_nodelay(true);
        (CuttableStream { inner: stream, cutter: Cutter::default() }, addr)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.0.local_addr()
    }
}

/// The switch that cuts one connection; clones share it.
#[derive(Clone, Debug, Default)]
pub(crate) struct Cutter(Arc<AtomicBool>);

impl Cutter {
    /// Makes every further read and write on the connection fail, so that it is closed without
    /// sending anything more.
    pub fn cut(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    fn is_cut(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

impl Connected<IncomingStream<'_, CuttableListener>> for Cutter {
    fn connect_info(stream: IncomingStream<'_, CuttableListener>) -> Self {
        stream.io().cutter.clone()
    }
}

/// A TCP stream that fails every operation once its [`Cutter`] has fired.
pub(crate) struct CuttableStream {
    inner: TcpStream,
    cutter: Cutter,
}

fn cut_error() -> io::Error {
    io::Error::new(io::ErrorKind::ConnectionAborted, "connection dropped by the script")
}

impl AsyncRead for CuttableStream {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        if self.cutter.is_cut() {
            return Poll::Ready(Err(cut_error()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for CuttableStream {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        if self.cutter.is_cut() {
            return Poll::Ready(Err(cut_error()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if self.cutter.is_cut() {
            return Poll::Ready(Err(cut_error()));
        }
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.cutter.is_cut() {
            return Poll::Ready(Err(cut_error()));
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.cutter.is_cut() {
            return Poll::Ready(Err(cut_error()));
        }
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
