//! A raw HTTP/1.1 loopback server for what wiremock cannot do: bodies cut short, endless
//! bodies, bytes that are not HTTP or TLS at all.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the server does with connection number `n` (from 0) once its request has arrived.
#[derive(Clone, Debug)]
pub(crate) enum Reply {
    /// Writes these bytes, then closes the connection.
    Close(Vec<u8>),
    /// Writes these bytes, then keeps the connection open without writing more.
    Hang(Vec<u8>),
    /// Writes these bytes without reading anything, then closes: not HTTP, not TLS.
    Garbage(Vec<u8>),
    /// Writes these bytes, then an endless body in 64 KiB chunks until the client leaves.
    Endless(Vec<u8>),
}

/// A running raw server: its base URL, connections accepted and body bytes written.
pub(crate) struct RawServer {
    pub(crate) url: String,
    pub(crate) accepted: Arc<AtomicUsize>,
    pub(crate) written: Arc<AtomicU64>,
}

/// A response head with `status` and a `content-length` that may lie.
pub(crate) fn head(status: &str, content_length: Option<usize>) -> Vec<u8> {
    let mut head = format!("HTTP/1.1 {status}\r\ncontent-type: application/json\r\n");
    if let Some(length) = content_length {
        head.push_str(&format!("content-length: {length}\r\n"));
    }
    head.push_str("connection: close\r\n\r\n");
    head.into_bytes()
}

/// A complete response: `status` with `body` and its true length.
pub(crate) fn full(status: &str, body: &str) -> Vec<u8> {
    let mut bytes = head(status, Some(body.len()));
    bytes.extend_from_slice(body.as_bytes());
    bytes
}

/// A response that announces `announced` bytes and closes after `body`.
pub(crate) fn cut(status: &str, body: &str, announced: usize) -> Vec<u8> {
    let mut bytes = head(status, Some(announced));
    bytes.extend_from_slice(body.as_bytes());
    bytes
}

/// Starts a server answering connection `n` with `reply(n)`.
pub(crate) async fn start(reply: impl Fn(usize) -> Reply + Send + Sync + 'static) -> RawServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let url = format!("http://{}", listener.local_addr().expect("an address"));
    let accepted = Arc::new(AtomicUsize::new(0));
    let written = Arc::new(AtomicU64::new(0));
    let (count, bytes) = (Arc::clone(&accepted), Arc::clone(&written));
    let reply = Arc::new(reply);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let n = count.fetch_add(1, Ordering::SeqCst);
            let (reply, bytes) = (Arc::clone(&reply), Arc::clone(&bytes));
            tokio::spawn(async move {
                let reply = reply(n);
                if !matches!(reply, Reply::Garbage(_)) {
                    read_request_head(&mut socket).await;
                }
                match reply {
                    Reply::Garbage(bytes) => {
                        let _ = socket.write_all(&bytes).await;
                        let _ = socket.shutdown().await;
                    }
                    Reply::Close(response) => {
                        let _ = socket.write_all(&response).await;
                        let _ = socket.shutdown().await;
                    }
                    Reply::Hang(response) => {
                        let _ = socket.write_all(&response).await;
                        tokio::time::sleep(Duration::from_secs(60)).await;
                    }
                    Reply::Endless(response) => {
                        let _ = socket.write_all(&response).await;
                        let chunk = vec![b' '; 64 * 1024];
                        while socket.write_all(&chunk).await.is_ok() {
                            bytes.fetch_add(chunk.len() as u64, Ordering::SeqCst);
                        }
                    }
                }
            });
        }
    });
    RawServer {
        url,
        accepted,
        written,
    }
}

/// Reads until the end of the request head (or the connection), returning what it read.
pub(crate) async fn read_request_head(socket: &mut TcpStream) -> Vec<u8> {
    let mut head = Vec::new();
    let mut buffer = [0; 4096];
    while !head.windows(4).any(|window| window == b"\r\n\r\n") {
        match socket.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&buffer[..n]),
        }
    }
    head
}
