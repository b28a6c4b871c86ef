//! Built without the `cache` feature: a cache that cannot exist, so the client's cache
//! paths compile to nothing.

use std::time::Duration;

use crate::{Page, VideoRankingQuery};

/// Uninhabited: no write is ever made.
pub(crate) enum CacheWrite {}

impl CacheWrite {
    pub(crate) fn queue(self) {
        match self {}
    }
}

/// Uninhabited: `Option<Cache>` is always `None`.
#[derive(Clone, Debug)]
pub(crate) enum Cache {}

impl Cache {
    pub(crate) async fn get(&self, _base_url: &str, _query: &VideoRankingQuery) -> Option<Page> {
        match *self {}
    }

    pub(crate) fn write_for(
        &self,
        _base_url: &str,
        _query: &VideoRankingQuery,
        _body: Vec<u8>,
        _page: &Page,
    ) -> Option<CacheWrite> {
        match *self {}
    }

    pub(crate) async fn flush(&self, _timeout: Duration) -> bool {
        match *self {}
    }
}
