//! What a report of one ranking reads ([`Store::report`]): its top videos, each with its
//! rank over the periods before, and its movers; every read through an index.

use std::collections::HashMap;

use serde::Serialize;

use crate::queries::{signed, unsigned};
use crate::{MoverStatus, Movers, RankingKey, Store, StoreError, StoredRanking};

/// The most periods a report reads (a year of days and then some); more are clamped.
pub const MAX_REPORT_PERIODS: u32 = 400;

/// One period of a report's span: the ranking of that period, and what the store holds of
/// it (`None`: not stored, a sync of `key` would fetch it).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReportPeriod {
    /// The ranking of that period (the report's ranking, earlier).
    pub key: RankingKey,
    /// Its row in the store, when it is stored.
    pub stored: Option<StoredRanking>,
}

/// One video of a report's top: its entry in the ranking, its move since the period
/// before, and its rank in each period of the span.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TopEntry {
    /// Its rank.
    pub rank: u64,
    /// The video.
    pub video_id: String,
    /// The creator's display name.
    pub nick_name: Option<String>,
    /// The creator's handle.
    pub unique_id: Option<String>,
    /// The caption.
    pub description: Option<String>,
    /// The cover image, as upstream sent it (checked `http(s)://` when stored).
    pub cover_url: Option<String>,
    /// Views in the period.
    pub views: Option<u64>,
    /// Estimated units sold in the period.
    pub units_sold: Option<u64>,
    /// Estimated sales value in the period.
    pub gmv: Option<f64>,
    /// How it moved since the period before: new, up, down or same; `None` when the
    /// previous ranking is not stored.
    pub status: Option<MoverStatus>,
    /// Its rank one period earlier, when it was in that ranking.
    pub previous_rank: Option<u64>,
    /// Its rank in each period of [`Report::periods`], oldest first; `None` where the
    /// ranking is not stored or the video is not in it.
    pub ranks: Vec<Option<u64>>,
}

/// A ranking's top videos with their ranks over the periods before, and its movers.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// The ranking.
    pub ranking: RankingKey,
    /// Its row in the store (when it was fetched, how much of it is stored).
    pub stored: StoredRanking,
    /// The span, oldest first: the ranking and the `periods - 1` before it.
    pub periods: Vec<ReportPeriod>,
    /// Its first `top` videos in rank order.
    pub top: Vec<TopEntry>,
    /// All its videos against the period before ([`Store::movers`]).
    pub movers: Movers,
}

impl Report {
    /// The periods of the span that are not stored, oldest first.
    pub fn missing(&self) -> impl Iterator<Item = &RankingKey> {
        self.periods
            .iter()
            .filter(|period| period.stored.is_none())
            .map(|period| &period.key)
    }
}

impl Store {
    /// A report of a stored ranking: its first `top` videos, each with its rank in the
    /// ranking of each of the last `periods` periods (this one included, at most
    /// [`MAX_REPORT_PERIODS`]), and its [`movers`](Store::movers). Fails with
    /// [`StoreError::NotStored`] when the ranking is not stored.
    ///
    /// Index-backed: each period's ranking through the `rankings_key` index, its entries
    /// through the entries' primary key (each of the `periods` rankings read once, so the
    /// cost does not grow with how long the store has known a video).
    ///
    /// ```no_run
    /// # fn run(store: keyapi_tiktok_store::Store, key: keyapi_tiktok_store::RankingKey) -> Result<(), keyapi_tiktok_store::StoreError> {
    /// let report = store.report(&key, 10, 30)?;
    /// for video in &report.top {
    ///     println!("#{} {} {:?}", video.rank, video.video_id, video.ranks);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn report(
        &self,
        ranking: &RankingKey,
        top: u64,
        periods: u32,
    ) -> Result<Report, StoreError> {
        let movers = self.movers(ranking)?;
        let Some(stored) = self.stored(ranking)? else {
            return Err(StoreError::NotStored {
                ranking: Box::new(ranking.clone()),
            });
        };
        let span = self.span(ranking, periods.clamp(1, MAX_REPORT_PERIODS))?;
        let previous_ranks: HashMap<&str, Option<u64>> = movers
            .movers
            .iter()
            .map(|mover| (mover.video_id.as_str(), mover.previous_rank))
            .collect();
        let mut entries = self.top(stored.id, top)?;
        let row_of: HashMap<String, usize> = entries
            .iter()
            .enumerate()
            .map(|(row, entry)| (entry.video_id.clone(), row))
            .collect();
        for entry in &mut entries {
            entry.ranks = vec![None; span.len()];
        }
        // Each stored period's ranking read whole, once: K rankings, however long the
        // store's history of each video.
        for (index, period) in span.iter().enumerate() {
            let Some(stored) = &period.stored else {
                continue;
            };
            for (rank, video_id) in self.period_ranks(stored.id)? {
                if let Some(&row) = row_of.get(&video_id) {
                    entries[row].ranks[index] = Some(rank);
                }
            }
        }
        for entry in &mut entries {
            if movers.previous_stored {
                entry.previous_rank = previous_ranks
                    .get(entry.video_id.as_str())
                    .copied()
                    .flatten();
                let change = entry
                    .previous_rank
                    .map(|before| signed(before) - signed(entry.rank));
                entry.status = Some(match change {
                    None => MoverStatus::New,
                    Some(0) => MoverStatus::Same,
                    Some(change) if change > 0 => MoverStatus::Up,
                    Some(_) => MoverStatus::Down,
                });
            }
        }
        Ok(Report {
            ranking: ranking.clone(),
            stored,
            periods: span,
            top: entries,
            movers,
        })
    }

    /// The ranking and the `periods - 1` before it, oldest first, each as stored or not.
    fn span(&self, ranking: &RankingKey, periods: u32) -> Result<Vec<ReportPeriod>, StoreError> {
        let mut span = Vec::new();
        let mut key = Some(ranking.clone());
        while let Some(current) = key.take() {
            if span.len() >= periods as usize {
                break;
            }
            key = current.previous();
            span.push(ReportPeriod {
                stored: self.stored(&current)?,
                key: current,
            });
        }
        span.reverse();
        Ok(span)
    }

    /// A ranking's first `top` entries, in rank order.
    fn top(&self, ranking: i64, top: u64) -> Result<Vec<TopEntry>, StoreError> {
        let failed = || StoreError::sqlite("read", &self.path);
        let mut statement = self.connection.prepare_cached(TOP).map_err(failed())?;
        let rows = statement
            .query_map([ranking, signed(top)], |row| {
                Ok(TopEntry {
                    rank: unsigned(row.get(0)?).unwrap_or(0),
                    video_id: row.get(1)?,
                    nick_name: row.get(2)?,
                    unique_id: row.get(3)?,
                    description: row.get(4)?,
                    cover_url: row.get(5)?,
                    views: unsigned(row.get(6)?),
                    units_sold: unsigned(row.get(7)?),
                    gmv: row.get(8)?,
                    status: None,
                    previous_rank: None,
                    ranks: Vec::new(),
                })
            })
            .map_err(failed())?;
        rows.collect::<Result<_, _>>().map_err(failed())
    }

    /// `(rank, video id)` of every entry of a ranking.
    fn period_ranks(&self, ranking: i64) -> Result<Vec<(u64, String)>, StoreError> {
        let failed = || StoreError::sqlite("read", &self.path);
        let mut statement = self
            .connection
            .prepare_cached(PERIOD_RANKS)
            .map_err(failed())?;
        let rows = statement
            .query_map([ranking], |row| {
                Ok((unsigned(row.get(0)?).unwrap_or(0), row.get(1)?))
            })
            .map_err(failed())?;
        rows.collect::<Result<_, _>>().map_err(failed())
    }
}

/// A ranking's first entries, for `report`.
pub(crate) const TOP: &str =
    "SELECT rank, video_id, nick_name, unique_id, description, cover_url, views, units_sold, gmv
    FROM entries WHERE ranking = ?1 AND rank <= ?2 ORDER BY rank";

/// Each video's rank in one period's ranking, for `report`'s sparklines.
pub(crate) const PERIOD_RANKS: &str = "SELECT rank, video_id FROM entries WHERE ranking = ?1";
