//! The loopback HTTP/1.1 server the benches talk to: a ranking of realistic pages, each
//! page its own video ids, after an optional delay, counting the requests it answers.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use serde_json::Value;

use crate::common;

/// A loopback HTTP/1.1 server answering every request with the page its `page_num` asks
/// for, a thread per connection with blocking I/O: the delay is a plain `thread::sleep`,
/// which keeps to it within a fraction of a millisecond (tokio's timer rounds up to whole
/// milliseconds, 5 % of the 20 ms measured here). It stops accepting when dropped; each
/// connection's thread ends when its client closes the connection.
pub(crate) struct Server {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    requests: Arc<AtomicU64>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    /// A ranking with no end: every page is full.
    pub(crate) fn start(latency: Duration) -> Server {
        Server::ranking(None, latency)
    }

    /// A ranking of `videos` (or endless), ten a page, served after `latency`.
    pub(crate) fn ranking(videos: Option<u64>, latency: Duration) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("a local address");
        let pages = Arc::new(Pages::new(videos));
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(AtomicU64::new(0));
        let (stopped, counted) = (Arc::clone(&stop), Arc::clone(&requests));
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopped.load(Ordering::Acquire) {
                    break;
                }
                if let Ok(stream) = stream {
                    let (pages, counted) = (Arc::clone(&pages), Arc::clone(&counted));
                    std::thread::spawn(move || serve(stream, &pages, &counted, latency));
                }
            }
        });
        Server {
            addr,
            stop,
            requests,
            thread: Some(thread),
        }
    }

    pub(crate) fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The requests answered so far: each one a credit, as the API would charge.
    pub(crate) fn requests(&self) -> u64 {
        self.requests.load(Ordering::Acquire)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The responses, rendered once: for each item count (0 to 10), the whole HTTP response
/// and where its video ids sit, so a page is a copy and ten 19-digit overwrites.
struct Pages {
    videos: Option<u64>,
    /// Indexed by item count.
    templates: Vec<(Vec<u8>, Vec<usize>)>,
}

impl Pages {
    fn new(videos: Option<u64>) -> Pages {
        let page: Value = serde_json::from_slice(&common::realistic_page()).expect("JSON");
        let items = page["data"].as_array().cloned().unwrap_or_default();
        let templates = (0..=items.len())
            .map(|count| {
                let mut page = page.clone();
                page["data"] = Value::Array(items[..count].to_vec());
                let body = serde_json::to_vec(&page).expect("a page serialises");
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                    body.len()
                );
                let response = [head.as_bytes(), &body].concat();
                let offsets = items[..count]
                    .iter()
                    .map(|item| {
                        let id = format!("\"video_id\":\"{}\"", item["video_id"].as_str().unwrap_or(""));
                        let at = find(&response, id.as_bytes()).expect("the id is in the page");
                        at + id.len() - 20
                    })
                    .collect();
                (response, offsets)
            })
            .collect();
        Pages { videos, templates }
    }

    /// The response to a request for `page`: its items numbered by rank.
    fn response(&self, page: u64) -> Vec<u8> {
        let first = page.saturating_sub(1) * common::ITEMS;
        let count = match self.videos {
            None => common::ITEMS,
            Some(videos) => videos.saturating_sub(first).min(common::ITEMS),
        };
        let (template, offsets) = &self.templates[count as usize];
        let mut response = template.clone();
        for (i, at) in offsets.iter().enumerate() {
            // 19 digits, like a real id, distinct for every rank.
            let id = format!("76{:017}", first + i as u64 + 1);
            response[*at..*at + 19].copy_from_slice(id.as_bytes());
        }
        response
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The `page_num` of a request head (1 when absent).
fn page_num(head: &[u8]) -> u64 {
    let head = String::from_utf8_lossy(head);
    head.split(['?', '&', ' '])
        .find_map(|part| part.strip_prefix("page_num="))
        .and_then(|n| n.parse().ok())
        .unwrap_or(1)
}

/// One keep-alive connection: every request head (the clients send GETs without a body)
/// gets its page, after `latency`. Ends when the client closes the connection.
fn serve(mut stream: TcpStream, pages: &Pages, requests: &AtomicU64, latency: Duration) {
    let _ = stream.set_nodelay(true);
    let mut pending = Vec::with_capacity(4096);
    let mut chunk = [0_u8; 4096];
    loop {
        while let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
            let page = page_num(&pending[..end]);
            pending.drain(..end + 4);
            let response = pages.response(page);
            if !latency.is_zero() {
                std::thread::sleep(latency);
            }
            requests.fetch_add(1, Ordering::AcqRel);
            if stream.write_all(&response).is_err() {
                return;
            }
        }
        if pending.len() > 64 * 1024 {
            return; // Not one of our clients.
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => pending.extend_from_slice(&chunk[..n]),
        }
    }
}
