//! A loopback TCP front for the wiremock server that relays HTTP/1.1 exchanges as they
//! are, and cuts the connection mid-body where the responder asks for it: wiremock (on
//! hyper) cannot send a truncated response itself.

use std::io;
use std::net::SocketAddr;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// The response header by which the responder asks the front to cut the connection.
pub(crate) const CUT_MARKER: &str = "x-keyapi-testkit-cut";

/// What a cut response sends before the connection closes: a head promising more body
/// than follows.
const CUT_RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 4096\r\n\r\n{\"code\":0,\"message\":\"success\",\"data\":[{\"video_id\":";

/// A request or response head larger than this is refused (the connection is closed).
const MAX_HEAD: usize = 64 * 1024;

/// Accepts connections on a loopback port and relays each to `backend`.
pub(crate) struct Front {
    pub(crate) addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Front {
    pub(crate) async fn start(backend: SocketAddr) -> io::Result<Front> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(async move {
                    // A client that goes away mid-exchange ends its relay; nothing to report.
                    let _ = relay(client, backend).await;
                });
            }
        });
        Ok(Front { addr, task })
    }
}

impl Drop for Front {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Relays one client connection, exchange by exchange, over one backend connection.
async fn relay(mut client: TcpStream, backend: SocketAddr) -> io::Result<()> {
    let mut upstream = TcpStream::connect(backend).await?;
    let (mut from_client, mut from_upstream) = (Vec::new(), Vec::new());
    loop {
        let Some(request) = read_message(&mut client, &mut from_client).await? else {
            return Ok(());
        };
        upstream.write_all(&request).await?;
        let Some(response) = read_message(&mut upstream, &mut from_upstream).await? else {
            return Ok(());
        };
        if has_header(&response, CUT_MARKER) {
            client.write_all(CUT_RESPONSE).await?;
            return client.shutdown().await;
        }
        client.write_all(&response).await?;
        if wants_close(&request) || wants_close(&response) {
            return client.shutdown().await;
        }
    }
}

/// Reads one HTTP/1.1 message (head, then a `content-length` body) from `stream`, keeping
/// what follows it in `buffer`; `None` when the stream ends between messages.
async fn read_message(
    stream: &mut (impl AsyncRead + Unpin),
    buffer: &mut Vec<u8>,
) -> io::Result<Option<Vec<u8>>> {
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        if buffer.len() > MAX_HEAD {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "head too large"));
        }
        if !read_more(stream, buffer).await? {
            return Ok(None);
        }
    };
    let length = content_length(&buffer[..head_end]);
    while buffer.len() < head_end + length {
        if !read_more(stream, buffer).await? {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
    }
    let rest = buffer.split_off(head_end + length);
    Ok(Some(std::mem::replace(buffer, rest)))
}

async fn read_more(
    stream: &mut (impl AsyncRead + Unpin),
    buffer: &mut Vec<u8>,
) -> io::Result<bool> {
    let mut chunk = [0u8; 8192];
    let n = stream.read(&mut chunk).await?;
    buffer.extend_from_slice(&chunk[..n]);
    Ok(n > 0)
}

fn header_lines(head: &[u8]) -> impl Iterator<Item = (&str, &str)> {
    std::str::from_utf8(head)
        .unwrap_or_default()
        .split("\r\n")
        .skip(1)
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim(), value.trim()))
}

fn content_length(head: &[u8]) -> usize {
    header_lines(head)
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.parse().ok())
        .unwrap_or(0)
}

fn head(message: &[u8]) -> &[u8] {
    let end = message
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(message.len());
    &message[..end]
}

fn has_header(message: &[u8], wanted: &str) -> bool {
    header_lines(head(message)).any(|(name, _)| name.eq_ignore_ascii_case(wanted))
}

/// `connection: close` on either side ends the relay after this exchange.
fn wants_close(message: &[u8]) -> bool {
    header_lines(head(message)).any(|(name, value)| {
        name.eq_ignore_ascii_case("connection") && value.eq_ignore_ascii_case("close")
    })
}
