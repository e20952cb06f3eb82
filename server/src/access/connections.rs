//! The per-address connection limit: the listener's accepted sockets, with those
//! beyond `max_per_address` open connections from one address (an IPv6 host by
//! its /64, as for rate limits) closed at once, before any TLS work is done.

use std::collections::HashMap;
use std::io;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use futures_util::Stream;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tonic::transport::server::{Connected, TcpConnectInfo, TcpIncoming};

use super::limits::address_key;

/// Open connections per address key.
#[derive(Clone, Default)]
struct OpenCounts(Arc<Mutex<HashMap<IpAddr, usize>>>);

impl OpenCounts {
    /// Counts a connection from `key` unless `max` are already open (0 = no limit).
    fn try_open(&self, key: IpAddr, max: usize) -> Option<OpenSlot> {
        let mut counts = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let open = counts.entry(key).or_insert(0);
        if max != 0 && *open >= max {
            return None;
        }
        *open += 1;
        Some(OpenSlot {
            counts: self.clone(),
            key,
        })
    }
}

/// One counted connection; dropping it (the connection closed) frees the slot.
struct OpenSlot {
    counts: OpenCounts,
    key: IpAddr,
}

impl Drop for OpenSlot {
    fn drop(&mut self) {
        let mut counts = self.counts.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(open) = counts.get_mut(&self.key) {
            *open = open.saturating_sub(1);
            if *open == 0 {
                counts.remove(&self.key);
            }
        }
    }
}

/// Accepted sockets within the per-address limit.
pub struct LimitedIncoming {
    inner: TcpIncoming,
    counts: OpenCounts,
    max_per_address: usize,
}

impl LimitedIncoming {
    pub fn new(inner: TcpIncoming, max_per_address: usize) -> Self {
        Self {
            inner,
            counts: OpenCounts::default(),
            max_per_address,
        }
    }
}

impl Stream for LimitedIncoming {
    type Item = io::Result<CountedStream>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            let stream = match Pin::new(&mut self.inner).poll_next(cx) {
                Poll::Ready(Some(Ok(stream))) => stream,
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            };
            // A socket whose peer is already gone has nothing to serve.
            let Ok(peer) = stream.peer_addr() else {
                continue;
            };
            let key = address_key(peer.ip());
            match self.counts.try_open(key, self.max_per_address) {
                Some(slot) => {
                    return Poll::Ready(Some(Ok(CountedStream {
                        inner: stream,
                        _slot: slot,
                    })))
                }
                // Dropping the socket closes it.
                None => tracing::debug!("connection refused: too many open from one address"),
            }
        }
    }
}

/// An accepted socket holding its address's slot until it is dropped.
pub struct CountedStream {
    inner: TcpStream,
    _slot: OpenSlot,
}

impl Connected for CountedStream {
    type ConnectInfo = TcpConnectInfo;

    fn connect_info(&self) -> TcpConnectInfo {
        self.inner.connect_info()
    }
}

impl AsyncRead for CountedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for CountedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_slot_is_freed_when_its_connection_is_dropped() {
        let counts = OpenCounts::default();
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let first = counts.try_open(a, 2).unwrap();
        let _second = counts.try_open(a, 2).unwrap();
        assert!(counts.try_open(a, 2).is_none(), "a third from one address");
        assert!(
            counts.try_open(b, 2).is_some(),
            "another address is unaffected"
        );
        drop(first);
        assert!(
            counts.try_open(a, 2).is_some(),
            "a closed connection frees its slot"
        );
    }

    #[test]
    fn zero_means_no_limit() {
        let counts = OpenCounts::default();
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let slots: Vec<_> = (0..1000).map(|_| counts.try_open(a, 0).unwrap()).collect();
        assert_eq!(slots.len(), 1000);
    }
}
