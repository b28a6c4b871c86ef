//! One attempt at a page: in-flight permit, rate slot, credit, one HTTP request through the
//! generated client with a capped body, and its outcome mapped to a page or an [`Error`].

use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use keyapi_tiktok_openapi as openapi;
use openapi::{ResponseHead, ResponseWatch, types};
use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap};
use url::Url;

use crate::VideoRankingQuery;
use crate::client::Turn;
use crate::client::redact::KeyRedactor;
use crate::client::{Client, Inner};
use crate::error::{ApiFailure, Error};
use crate::page::{Page, decode_body, failure_from_body, page_from_envelope};
use crate::retry::parse_retry_after;

/// A page, and its body as received when a cache will store it.
pub(crate) type Fetched = (Page, Option<Vec<u8>>);

impl Client {
    /// One HTTP request, counted as a credit from the moment it is sent until its answer
    /// proves it was not charged.
    /// `keep_body`: return the body as received too (for a cache or a conformance report);
    /// `turn` is passed once the credit is reserved (or refused).
    pub(crate) async fn attempt(
        &self,
        query: &VideoRankingQuery,
        keep_body: bool,
        turn: &mut Turn,
    ) -> Result<Fetched, Error> {
        let inner = self.inner();
        let credit = reserve_credit(inner);
        turn.pass();
        let credit = credit?;
        // The permit first, then the slot: requests the semaphore releases together still
        // leave one slot apart.
        let _permit = match &inner.in_flight {
            Some(semaphore) => Some(semaphore.acquire().await.map_err(|_| {
                Error::invalid_input("max_in_flight", "closed", "an open request limit")
            })?),
            None => None,
        };
        if let Some(limiter) = &inner.rate_limit {
            limiter.acquire().await;
        }
        // The success body is diverted past progenitor's typed decode: `decode_body` decodes
        // it in one pass, and with the generated types only when that gives up.
        let watch = ResponseWatch::new(inner.max_response_bytes)
            .with_authorization(inner.authorization.clone())
            .diverting_success_bodies();
        let charge = Charge::sent(inner, &watch, credit);
        let (date, region) = (query.date().to_string(), query.region());
        let call = inner.api.get_api_v3_echotik_video_ranklist(
            query
                .ai_filter()
                .map(|ai| if ai { "true" } else { "false" }),
            &date,
            i64::from(query.page_number()),
            i64::from(query.size()),
            query.category_id(),
            query.period().code(),
            region.as_str(),
            query.rank_field().code(),
        );
        let result = watch.run(call).await;
        let head = watch.head();
        let result = match head.as_ref().filter(|head| head.status.is_redirection()) {
            Some(head) => Err(redirect(head, &inner.base_url)),
            None => match result {
                // Not reached while success bodies are diverted (progenitor is handed an
                // empty body, which never decodes); the typed envelope would still be a page,
                // with no body as received to cache.
                Ok(response) => page_from_response(response, query),
                Err(error) => {
                    let key = &inner.redactor;
                    map_generated_error(error, head, &watch, key, query, keep_body).await
                }
            },
        };
        // Upstream text that did not come through `redacted` (an envelope the
        // generated types decoded, a redirect's host) loses the key here.
        let result = result.map_err(|error| error.redacted(&inner.redactor));
        charge.settle(&result);
        result
    }
}

/// A spec-exact response as a page, or the error its envelope `code` reports.
fn page_from_response(
    response: openapi::ResponseValue<types::VideoRankingResponse>,
    query: &VideoRankingQuery,
) -> Result<Fetched, Error> {
    let status = response.status().as_u16();
    let retry_after = retry_after(response.headers());
    let page = page_from_envelope(response.into_inner(), Some(status), query)
        .map_err(|error| error.with_retry_after(retry_after))?;
    Ok((page, None))
}

fn reserve_credit(inner: &Inner) -> Result<Reservation<'_>, Error> {
    let Some(budget) = inner.credit_budget else {
        return Ok(Reservation { counter: None });
    };
    let reserved = &inner.credits_reserved;
    reserved
        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
            (n < budget).then_some(n + 1)
        })
        .map_err(|_| Error::BudgetExhausted { budget })?;
    Ok(Reservation {
        counter: Some(reserved),
    })
}

/// A credit of the budget held for a request under way; released on drop unless kept.
struct Reservation<'a> {
    counter: Option<&'a AtomicU64>,
}

impl Reservation<'_> {
    /// Keeps the credit spent: the request was, or may have been, charged.
    fn keep(mut self) {
        self.counter = None;
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        if let Some(counter) = self.counter {
            counter.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

/// The credit of one request, from the moment it is sent: counted in `credits_spent` and
/// its reservation kept until the answer proves the request was not charged. Dropped
/// unsettled (the caller stopped waiting: a ranking ended, failed or was dropped with it in
/// flight), it stays counted unless a non-2xx head had already arrived: the API may have
/// charged it, and waiting for an answer nobody reads would only hold the caller up.
struct Charge<'a> {
    inner: &'a Inner,
    watch: &'a ResponseWatch,
    credit: Option<Reservation<'a>>,
}

impl<'a> Charge<'a> {
    /// Counts a request about to be sent.
    fn sent(inner: &'a Inner, watch: &'a ResponseWatch, credit: Reservation<'a>) -> Charge<'a> {
        // Sent before spent, spent before charged: `Client::usage` reads them the other way
        // round, so it never shows more credits charged than spent, nor spent than sent.
        inner.requests_sent.fetch_add(1, Ordering::SeqCst);
        inner.credits_spent.fetch_add(1, Ordering::SeqCst);
        Charge {
            inner,
            watch,
            credit: Some(credit),
        }
    }

    /// Settles the credit by what the request's outcome proves.
    fn settle(mut self, result: &Result<Fetched, Error>) {
        let proof = Proof::of(self.watch.status(), Some(result));
        self.finish(proof);
    }

    fn finish(&mut self, proof: Proof) {
        let Some(credit) = self.credit.take() else {
            return;
        };
        match proof {
            Proof::Charged => {
                credit.keep();
                self.inner.credits_charged.fetch_add(1, Ordering::SeqCst);
            }
            Proof::MayHaveBeenCharged => credit.keep(),
            // Dropping the reservation hands its credit back to the budget.
            Proof::NotCharged => {
                self.inner.credits_spent.fetch_sub(1, Ordering::SeqCst);
            }
        }
    }
}

impl Drop for Charge<'_> {
    fn drop(&mut self) {
        let proof = Proof::of(self.watch.status(), None);
        self.finish(proof);
    }
}

/// What the answer to a request proves about its credit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Proof {
    /// A 2xx read whole, not reporting a failure `code`: the API charges what it accepts.
    Charged,
    /// A non-2xx head, an envelope failure `code` (`{"code": 429, …}`), or no connection
    /// made: nothing was charged.
    NotCharged,
    /// Anything else: a 2xx whose body was cut, timed out or was too large, no head at all,
    /// or no outcome (the request was dropped in flight).
    MayHaveBeenCharged,
}

impl Proof {
    /// From the response's status, when a head arrived, and the outcome, when there is one.
    fn of(status: Option<StatusCode>, outcome: Option<&Result<Fetched, Error>>) -> Proof {
        match (status, outcome) {
            (Some(status), _) if !status.is_success() => Proof::NotCharged,
            (Some(_), Some(Ok(_) | Err(Error::Decode { .. }))) => Proof::Charged,
            (Some(_), Some(Err(error))) if error.api_failure().is_some() => Proof::NotCharged,
            (None, Some(Err(Error::Transport { source, .. }))) if source.is_connect() => {
                Proof::NotCharged
            }
            _ => Proof::MayHaveBeenCharged,
        }
    }
}

/// The error for a 3xx: its status and the host it pointed to, never the rest of the URL.
fn redirect(head: &ResponseHead, base_url: &str) -> Error {
    let location_host = head
        .headers
        .get(header::LOCATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|location| Url::parse(base_url).ok()?.join(location).ok())
        .and_then(|url| {
            url.host_str()
                .map(|host| crate::error::bounded(host.to_owned(), 253))
        });
    Error::Redirect {
        status: head.status.as_u16(),
        location_host,
    }
}

/// `body` as received with the key removed, before anything reads it: pages, cache entries,
/// errors and conformance reports are all made from it.
fn redacted<B: AsRef<[u8]> + From<Vec<u8>>>(key: &KeyRedactor, body: B) -> B {
    match key.redact_bytes(body.as_ref()) {
        Cow::Borrowed(_) => body,
        Cow::Owned(redacted) => B::from(redacted),
    }
}

/// Maps what the generated client reports to this crate's errors; a body that did not fit
/// the spec's types is rescued by the drift decoder instead.
async fn map_generated_error(
    error: openapi::Error<types::ErrorEnvelope>,
    head: Option<ResponseHead>,
    watch: &ResponseWatch,
    key: &KeyRedactor,
    query: &VideoRankingQuery,
    keep_body: bool,
) -> Result<Fetched, Error> {
    use openapi::Error as E;
    match error {
        E::ErrorResponse(response) => {
            let status = response.status().as_u16();
            let retry_after = retry_after(response.headers());
            let envelope = response.into_inner();
            Err(ApiFailure {
                status: Some(status),
                code: envelope.code,
                message: envelope.message.unwrap_or_default(),
                request_id: envelope.request_id,
                retry_after,
            }
            .into_error())
        }
        E::UnexpectedResponse(response) => {
            let status = response.status().as_u16();
            let retry_after = retry_after(response.headers());
            let body = match response.bytes().await {
                Ok(body) => redacted(key, watch.take_success_body().unwrap_or(body)),
                Err(source) => return Err(body_failure(source, head.as_ref())),
            };
            if (200..300).contains(&status) {
                return Err(Error::decode(
                    Some(status),
                    "undocumented success status",
                    &body,
                ));
            }
            Err(failure_from_body(status, retry_after, &body))
        }
        // A diverted success body (see `attempt`), or one the spec's types could not
        // decode: a drifted page, an envelope error, or a proxy's page on a documented status.
        E::InvalidResponsePayload(body, _) => {
            let body = redacted(key, watch.take_success_body().unwrap_or(body));
            let status = head.as_ref().map(|head| head.status.as_u16());
            let retry_after = head.and_then(|head| retry_after(&head.headers));
            match status {
                Some(status) if !(200..300).contains(&status) => {
                    Err(failure_from_body(status, retry_after, &body))
                }
                // Copied only for a cache or a report: this is every success body's path.
                _ => decode_body(&body, status, query)
                    .map(|page| (page, keep_body.then(|| body.to_vec())))
                    .map_err(|error| error.with_retry_after(retry_after)),
            }
        }
        E::ResponseBodyError(source) => Err(body_failure(source, head.as_ref())),
        E::CommunicationError(source) | E::InvalidUpgrade(source) => Err(Error::Transport {
            timeout: source.is_timeout(),
            source,
        }),
        E::InvalidRequest(message) | E::Custom(message) => Err(Error::invalid_input(
            "request",
            message,
            "a request the generated client can build",
        )),
    }
}

/// A body that could not be read whole: too large, or else decided by the status when it
/// is a failure (a cut 401 is still an authentication failure), or else a transport error.
fn body_failure(source: reqwest::Error, head: Option<&ResponseHead>) -> Error {
    let status = head.map(|head| head.status.as_u16());
    if let Some(limit) = too_large(&source) {
        return Error::ResponseTooLarge { status, limit };
    }
    match head {
        Some(head) if !head.status.is_success() => ApiFailure {
            status,
            code: None,
            message: if source.is_timeout() {
                "the body timed out".to_owned()
            } else {
                "the body was cut short".to_owned()
            },
            request_id: None,
            retry_after: retry_after(&head.headers),
        }
        .into_error(),
        _ => Error::Transport {
            timeout: source.is_timeout(),
            source,
        },
    }
}

/// The cap a body crossed, when that is why reading it failed.
fn too_large(error: &reqwest::Error) -> Option<u64> {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = cause {
        if let Some(too_large) = current.downcast_ref::<openapi::BodyTooLarge>() {
            return Some(too_large.limit);
        }
        cause = current.source();
    }
    None
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?;
    parse_retry_after(value, SystemTime::now())
}
