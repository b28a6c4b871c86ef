//! A fake KeyAPI server for tests: point a `keyapi-tiktok` client (or any HTTP client) at
//! it, script how it fails, and check what it was asked, without spending a credit.
//!
//! # A downstream test
//!
//! ```
//! use futures::TryStreamExt;
//! use keyapi_tiktok::{Client, Period, RankField, RetryPolicy, VideoRankingQuery};
//! use keyapi_tiktok_testkit::{FakeKeyApi, Reply};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), keyapi_tiktok::Error> {
//! let fake = FakeKeyApi::start().await; // a ranking of 30 realistic videos
//! fake.script([Reply::RateLimited { retry_after_secs: 1 }]); // the first request gets a 429
//!
//! let client = Client::builder()
//!     .api_key("test-key")
//!     .base_url(fake.base_url())
//!     .retry(RetryPolicy::no_delay(3)) // retries without waiting, Retry-After included
//!     .build()?;
//! let query = VideoRankingQuery::new(jiff::civil::date(2026, 11, 23), "US".parse()?, RankField::Views, Period::Daily);
//! let videos: Vec<_> = client.video_ranking(query).limit(25).items().try_collect().await?;
//!
//! assert_eq!(videos.len(), 25);
//! assert_eq!(fake.pages_requested(), [1, 1, 2, 3]); // page 1 was retried after the 429
//! assert_eq!(fake.credits_spent(), 3); // a refused request costs nothing
//! # Ok(()) }
//! ```
//!
//! # What it serves
//!
//! `GET /v1/tiktok/video/ranking/analytics`, as the vendored spec describes it: the
//! envelope `{code, message, data, requestId}` around the items of the page asked for
//! (`page_num`, `page_size`), in the upstream's stringly wire shape (see [`video`]). A
//! request without `Authorization: Bearer …` gets a 401, one with a missing or invalid
//! parameter a 400; neither costs a credit. Each other request for a page given to
//! [`FakeKeyApi::on_page`] gets that page's reply; the others take the next [`Reply`] from
//! the script, or [`Reply::Page`] once the script is used up.

mod front;
mod videos;

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde_json::{Value, json};
use wiremock::matchers::{method as http_method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::front::{CUT_MARKER, Front};
pub use videos::{spec_example_item, video, videos};

/// The path of the ranking endpoint (`/v1/tiktok/video/ranking/analytics`).
pub const ENDPOINT: &str = keyapi_tiktok_spec::VIDEO_RANKING.path;

/// How many videos [`FakeKeyApi::start`] ranks.
pub const DEFAULT_VIDEOS: usize = 30;

/// What the fake server answers to one request.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Reply {
    /// The page asked for (`code` 0), which costs a credit.
    Page,
    /// HTTP 429 with `Retry-After` and the envelope `{"code":429,"message":"qps limit exceeded"}`.
    RateLimited {
        /// The `Retry-After` header, in seconds.
        retry_after_secs: u64,
    },
    /// HTTP 200 whose envelope says 429, as this API is seen doing.
    EnvelopeRateLimited,
    /// HTTP 401, an invalid key.
    Unauthorized,
    /// HTTP 402, credits exhausted.
    CreditsExhausted,
    /// HTTP 500 with an error envelope.
    ServerError,
    /// HTTP 502 with an HTML page, as a proxy in front of the API sends.
    HtmlBadGateway,
    /// A 200 head, then the connection closes in the middle of the body. It costs a
    /// credit: KeyAPI charges what it accepted, whatever happens to the body.
    CutConnection,
    /// The page asked for, after a delay (for timeouts).
    Slow(Duration),
    /// The page asked for, with `field` set to `value` in every item (`json!("1200")`
    /// for a count sent as a string, `json!(446.13)` for a decimal GMV, a new field…).
    Drifted {
        /// The item field.
        field: String,
        /// Its value.
        value: Value,
    },
}

impl Reply {
    /// Whether upstream charges a credit for this reply: every 2xx head without a failure
    /// `code` is charged, the moment the request is accepted, even when the body is then
    /// cut or the client has stopped listening.
    pub fn is_charged(&self) -> bool {
        matches!(
            self,
            Reply::Page | Reply::Slow(_) | Reply::Drifted { .. } | Reply::CutConnection
        )
    }
}

/// One request the fake server received.
#[derive(Clone, Debug, PartialEq)]
pub struct Received {
    /// `page_num`, when it was a number.
    pub page_num: Option<u64>,
    /// `page_size`, when it was a number.
    pub page_size: Option<u64>,
    /// Every query parameter, by name.
    pub query: BTreeMap<String, String>,
    /// What the server answered; `None` for a request refused before the script (no or
    /// invalid key, invalid parameters).
    pub reply: Option<Reply>,
}

/// A fake KeyAPI server on a loopback port, serving one ranking.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use keyapi_tiktok_testkit::{FakeKeyApi, video};
/// let fake = FakeKeyApi::with_items(vec![video(1), video(2)]).await;
/// assert!(fake.base_url().starts_with("http://127.0.0.1:"));
/// assert!(fake.received().is_empty());
/// # }
/// ```
pub struct FakeKeyApi {
    front: Front,
    // Kept alive for as long as the front relays to it.
    _server: MockServer,
    state: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    items: Vec<Value>,
    script: VecDeque<Reply>,
    by_page: BTreeMap<u64, Reply>,
    received: Vec<Received>,
    requests: u64,
}

impl FakeKeyApi {
    /// Starts a server ranking [`DEFAULT_VIDEOS`] realistic videos.
    ///
    /// # Panics
    ///
    /// When no loopback port can be bound (as wiremock's `MockServer::start` does).
    pub async fn start() -> FakeKeyApi {
        FakeKeyApi::with_items(videos(DEFAULT_VIDEOS)).await
    }

    /// Starts a server ranking `n` realistic videos ([`video`]`(1)` to `video(n)`).
    pub async fn with_videos(n: usize) -> FakeKeyApi {
        FakeKeyApi::with_items(videos(n)).await
    }

    /// Starts a server ranking these items, in this order, sent as given.
    ///
    /// # Panics
    ///
    /// When no loopback port can be bound.
    pub async fn with_items(items: Vec<Value>) -> FakeKeyApi {
        let server = MockServer::start().await;
        let state = Arc::new(Mutex::new(State {
            items,
            ..State::default()
        }));
        Mock::given(http_method(keyapi_tiktok_spec::VIDEO_RANKING.method))
            .and(path(ENDPOINT))
            .respond_with(Responder(Arc::clone(&state)))
            .mount(&server)
            .await;
        let front = Front::start(*server.address())
            .await
            .unwrap_or_else(|error| panic!("the fake KeyAPI cannot bind a loopback port: {error}"));
        FakeKeyApi {
            front,
            _server: server,
            state,
        }
    }

    /// The base URL to give a client (`http://127.0.0.1:PORT`).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.front.addr)
    }

    /// Queues replies for the next requests, in order, after those already queued; once
    /// the script is used up, requests get [`Reply::Page`].
    ///
    /// ```
    /// # use keyapi_tiktok_testkit::*;
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let fake = FakeKeyApi::start().await;
    /// fake.script([Reply::HtmlBadGateway, Reply::Page, Reply::CreditsExhausted]);
    /// # }
    /// ```
    pub fn script(&self, replies: impl IntoIterator<Item = Reply>) {
        self.lock().script.extend(replies);
    }

    /// Answers every request for page `page_num` with `reply`, ahead of the script (which
    /// it leaves alone): a page that always fails or is always slow, whenever a concurrent
    /// client asks for it. A later call for the same page replaces its reply.
    ///
    /// ```
    /// # use keyapi_tiktok_testkit::*;
    /// # use std::time::Duration;
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let fake = FakeKeyApi::with_videos(95).await;
    /// fake.on_page(3, Reply::ServerError);
    /// fake.on_page(4, Reply::Slow(Duration::from_millis(500)));
    /// # }
    /// ```
    pub fn on_page(&self, page_num: u64, reply: Reply) {
        self.lock().by_page.insert(page_num, reply);
    }

    /// Every request received, in order.
    pub fn received(&self) -> Vec<Received> {
        self.lock().received.clone()
    }

    /// The `page_num` of every request received, in order (0 when it was not a number).
    pub fn pages_requested(&self) -> Vec<u64> {
        self.lock()
            .received
            .iter()
            .map(|received| received.page_num.unwrap_or(0))
            .collect()
    }

    /// The credits these requests would have cost upstream: one per request answered with
    /// a 2xx head and no failure `code` (see [`Reply::is_charged`]), counted when the
    /// request arrives, so a request the client dropped before its answer counts too.
    pub fn credits_spent(&self) -> u64 {
        self.lock()
            .received
            .iter()
            .filter(|received| received.reply.as_ref().is_some_and(Reply::is_charged))
            .count() as u64
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl std::fmt::Debug for FakeKeyApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeKeyApi")
            .field("base_url", &self.base_url())
            .finish_non_exhaustive()
    }
}

/// Answers each request from the shared state.
struct Responder(Arc<Mutex<State>>);

impl Respond for Responder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut state = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        state.requests += 1;
        let request_id = format!("fake-{:08}", state.requests);
        let query: BTreeMap<String, String> = request.url.query_pairs().into_owned().collect();
        let number = |name: &str| query.get(name).and_then(|v| v.parse::<u64>().ok());
        let (page_num, page_size) = (number("page_num"), number("page_size"));
        let refusal = refusal(request, &query, page_num, page_size, &request_id);
        let reply = match refusal {
            Some(_) => None,
            None => match page_num.and_then(|page| state.by_page.get(&page)) {
                Some(reply) => Some(reply.clone()),
                None => Some(state.script.pop_front().unwrap_or(Reply::Page)),
            },
        };
        state.received.push(Received {
            page_num,
            page_size,
            query: query.clone(),
            reply: reply.clone(),
        });
        if let Some(refusal) = refusal {
            return refusal;
        }
        let (page, size) = (page_num.unwrap_or(1), page_size.unwrap_or(10));
        let start = usize::try_from((page - 1).saturating_mul(size)).unwrap_or(usize::MAX);
        let end = start.saturating_add(usize::try_from(size).unwrap_or(usize::MAX));
        let items = state.items.get(start..end.min(state.items.len()));
        let mut items = items.unwrap_or_default().to_vec();
        drop(state);
        match reply.unwrap_or(Reply::Page) {
            Reply::Page => page_response(items, &request_id),
            Reply::Slow(delay) => page_response(items, &request_id).set_delay(delay),
            Reply::Drifted { field, value } => {
                for item in &mut items {
                    if let Value::Object(item) = item {
                        item.insert(field.clone(), value.clone());
                    }
                }
                page_response(items, &request_id)
            }
            Reply::RateLimited { retry_after_secs } => {
                error_response(429, 429, "qps limit exceeded", &request_id)
                    .insert_header("retry-after", retry_after_secs.to_string().as_str())
            }
            Reply::EnvelopeRateLimited => error_response(200, 429, "qps limit exceeded", &request_id),
            Reply::Unauthorized => error_response(401, 401, "apiKey is invalid", &request_id),
            Reply::CreditsExhausted => {
                error_response(402, 402, "apiKey quota is not enough", &request_id)
            }
            Reply::ServerError => error_response(500, 500, "internal server error", &request_id),
            Reply::HtmlBadGateway => ResponseTemplate::new(502).set_body_raw(
                "<html><head><title>502 Bad Gateway</title></head>\n<body><center><h1>502 Bad Gateway</h1></center></body></html>\n",
                "text/html",
            ),
            // The front in front of wiremock sees the marker and cuts the connection.
            Reply::CutConnection => ResponseTemplate::new(200).insert_header(CUT_MARKER, "1"),
        }
    }
}

/// The answer to a request refused before the script: no key (401), or a missing or
/// invalid parameter (400).
fn refusal(
    request: &Request,
    query: &BTreeMap<String, String>,
    page_num: Option<u64>,
    page_size: Option<u64>,
    request_id: &str,
) -> Option<ResponseTemplate> {
    let bearer = request
        .headers
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .is_some_and(|key| !key.trim().is_empty());
    if !bearer {
        return Some(error_response(401, 401, "apiKey is required", request_id));
    }
    let missing = ["date", "region", "video_rank_field", "rank_type"]
        .into_iter()
        .find(|name| query.get(*name).is_none_or(|v| v.is_empty()));
    let problem = match (missing, page_num, page_size) {
        (Some(name), _, _) => format!("{name} is required"),
        (_, None | Some(0), _) => "page_num must be a number from 1".to_owned(),
        (_, _, None | Some(0)) | (_, _, Some(11..)) => "page_size must be 1 to 10".to_owned(),
        _ => return None,
    };
    Some(error_response(400, 400, &problem, request_id))
}

fn page_response(items: Vec<Value>, request_id: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "code": 0,
        "message": "success",
        "data": items,
        "requestId": request_id,
    }))
}

fn error_response(status: u16, code: u16, message: &str, request_id: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "code": code,
        "message": message,
        "data": null,
        "requestId": request_id,
    }))
}

/// The README's code blocks, compiled and run as doctests (`cargo test --doc`).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
mod readme_doctests {}
