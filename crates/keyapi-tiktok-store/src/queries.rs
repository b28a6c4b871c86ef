//! The zero-credit questions a store answers: [`Store::history`] of a video and
//! [`Store::movers`] of a ranking against the period before.

use std::collections::HashMap;

use jiff::civil::Date;
use keyapi_tiktok::{Period, RankField};
use serde::Serialize;

use crate::{RankingKey, Store, StoreError};

/// One stored entry of a video: where it ranked, and its counts in that period.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HistoryEntry {
    /// The ranking's date.
    pub date: Date,
    /// The ranking's period.
    pub period: Period,
    /// What the ranking is sorted by.
    pub field: RankField,
    /// The ranking's region.
    pub region: String,
    /// The ranking's product category filter, if any.
    pub category: Option<String>,
    /// The ranking's AI-generated filter, if any.
    pub ai: Option<bool>,
    /// The video's rank.
    pub rank: u64,
    /// Views in the period.
    pub views: Option<u64>,
    /// Likes in the period.
    pub likes: Option<u64>,
    /// Estimated units sold in the period.
    pub units_sold: Option<u64>,
    /// Estimated sales value in the period.
    pub gmv: Option<f64>,
}

/// How a video moved between a ranking and the same ranking one period earlier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MoverStatus {
    /// In this ranking, not in the previous one.
    New,
    /// Ranked higher (a smaller rank) than before.
    Up,
    /// Ranked lower than before.
    Down,
    /// The same rank.
    Same,
    /// In the previous ranking, not in this one.
    Left,
}

/// One video of [`Movers`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Mover {
    /// The video.
    pub video_id: String,
    /// How it moved.
    pub status: MoverStatus,
    /// Its rank now (`None` when it left).
    pub rank: Option<u64>,
    /// Its rank one period earlier (`None` when new).
    pub previous_rank: Option<u64>,
    /// Places gained (positive) or lost (negative), when it is in both.
    pub change: Option<i64>,
    /// The creator's display name, as last stored in either ranking.
    pub nick_name: Option<String>,
    /// The creator's handle.
    pub unique_id: Option<String>,
    /// The caption.
    pub description: Option<String>,
}

/// A ranking against the same ranking one period earlier.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Movers {
    /// The ranking.
    pub ranking: RankingKey,
    /// The ranking one period earlier ([`RankingKey::previous`]).
    pub previous: Option<RankingKey>,
    /// Whether the previous ranking is stored; when it is not, `movers` is empty and
    /// a sync of `previous` would fetch it.
    pub previous_stored: bool,
    /// The ranking's videos in rank order, then those that left in their previous order.
    /// Only the ranks stored of both rankings are compared: a video ranked 60th is "new"
    /// when only 50 of the previous ranking are stored.
    pub movers: Vec<Mover>,
}

/// What `movers` reads of one entry.
struct Ranked {
    rank: u64,
    video_id: String,
    nick_name: Option<String>,
    unique_id: Option<String>,
    description: Option<String>,
}

impl Store {
    /// Every stored entry of a video, by date, then period, field and region. Uses the
    /// `entries_video` index; a video never stored gives an empty list.
    ///
    /// ```no_run
    /// # fn run(store: keyapi_tiktok_store::Store) -> Result<(), keyapi_tiktok_store::StoreError> {
    /// for entry in store.history("7601397977986501919")? {
    ///     println!("{} {} {} by {}: #{}", entry.date, entry.period, entry.region, entry.field, entry.rank);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn history(&self, video_id: &str) -> Result<Vec<HistoryEntry>, StoreError> {
        let failed = || StoreError::sqlite("read", &self.path);
        let mut statement = self.connection.prepare_cached(HISTORY).map_err(failed())?;
        let rows = statement
            .query_map([video_id], |row| {
                Ok(HistoryEntry {
                    date: parsed(row, 0)?,
                    period: parsed(row, 1)?,
                    field: parsed(row, 2)?,
                    region: row.get(3)?,
                    category: row.get(4)?,
                    ai: row.get(5)?,
                    rank: unsigned(row.get(6)?).unwrap_or(0),
                    views: unsigned(row.get(7)?),
                    likes: unsigned(row.get(8)?),
                    units_sold: unsigned(row.get(9)?),
                    gmv: row.get(10)?,
                })
            })
            .map_err(failed())?;
        let entries = rows.collect::<Result<_, _>>().map_err(failed())?;
        Ok(entries)
    }

    /// Each video of a stored ranking against the same ranking one period earlier: new,
    /// up, down, same, or left, with both ranks and the change. Fails with
    /// [`StoreError::NotStored`] when the ranking itself is not stored; says so in
    /// [`Movers::previous_stored`] when the previous one is not. Reads each ranking through
    /// its primary key.
    pub fn movers(&self, ranking: &RankingKey) -> Result<Movers, StoreError> {
        let Some(current) = self.stored(ranking)? else {
            return Err(StoreError::NotStored {
                ranking: Box::new(ranking.clone()),
            });
        };
        let previous_key = ranking.previous();
        let previous = match &previous_key {
            Some(key) => self.stored(key)?,
            None => None,
        };
        let mut movers = Movers {
            ranking: ranking.clone(),
            previous: previous_key,
            previous_stored: previous.is_some(),
            movers: Vec::new(),
        };
        let Some(previous) = previous else {
            return Ok(movers);
        };
        let now = self.ranked(current.id)?;
        let before = self.ranked(previous.id)?;
        let before_ranks: HashMap<&str, u64> = before
            .iter()
            .map(|entry| (entry.video_id.as_str(), entry.rank))
            .collect();
        let mut present = std::collections::HashSet::new();
        for entry in &now {
            present.insert(entry.video_id.as_str());
            let previous_rank = before_ranks.get(entry.video_id.as_str()).copied();
            let change = previous_rank.map(|before| signed(before) - signed(entry.rank));
            let status = match change {
                None => MoverStatus::New,
                Some(0) => MoverStatus::Same,
                Some(change) if change > 0 => MoverStatus::Up,
                Some(_) => MoverStatus::Down,
            };
            movers.movers.push(mover(
                entry,
                status,
                Some(entry.rank),
                previous_rank,
                change,
            ));
        }
        for entry in &before {
            if !present.contains(entry.video_id.as_str()) {
                movers.movers.push(mover(
                    entry,
                    MoverStatus::Left,
                    None,
                    Some(entry.rank),
                    None,
                ));
            }
        }
        Ok(movers)
    }

    /// A ranking's entries in rank order.
    fn ranked(&self, ranking: i64) -> Result<Vec<Ranked>, StoreError> {
        let failed = || StoreError::sqlite("read", &self.path);
        let mut statement = self.connection.prepare_cached(RANKED).map_err(failed())?;
        let rows = statement
            .query_map([ranking], |row| {
                Ok(Ranked {
                    rank: unsigned(row.get(0)?).unwrap_or(0),
                    video_id: row.get(1)?,
                    nick_name: row.get(2)?,
                    unique_id: row.get(3)?,
                    description: row.get(4)?,
                })
            })
            .map_err(failed())?;
        rows.collect::<Result<_, _>>().map_err(failed())
    }
}

/// A ranking's entries, for `movers`.
pub(crate) const RANKED: &str = "SELECT rank, video_id, nick_name, unique_id, description
    FROM entries WHERE ranking = ?1 ORDER BY rank";

/// A video's entries, for `history`.
pub(crate) const HISTORY: &str = "SELECT r.date, r.period, r.field, r.region, r.category, r.ai,
        e.rank, e.views, e.likes, e.units_sold, e.gmv
    FROM entries e JOIN rankings r ON r.id = e.ranking
    WHERE e.video_id = ?1
    ORDER BY r.date, r.period, r.field, r.region, r.category, r.ai";

fn mover(
    entry: &Ranked,
    status: MoverStatus,
    rank: Option<u64>,
    previous_rank: Option<u64>,
    change: Option<i64>,
) -> Mover {
    Mover {
        video_id: entry.video_id.clone(),
        status,
        rank,
        previous_rank,
        change,
        nick_name: entry.nick_name.clone(),
        unique_id: entry.unique_id.clone(),
        description: entry.description.clone(),
    }
}

/// A text column read into its type (the columns' CHECK constraints keep them readable).
fn parsed<T>(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<T>
where
    T: std::str::FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    let text: String = row.get(index)?;
    text.parse().map_err(|error| {
        rusqlite::Error::FromSqlConversionFailure(
            index,
            rusqlite::types::Type::Text,
            Box::new(error),
        )
    })
}

/// A stored count (never negative: written saturated from a `u64`).
pub(crate) fn unsigned(value: Option<i64>) -> Option<u64> {
    value.and_then(|n| u64::try_from(n).ok())
}

/// A rank as a signed number for differences (ranks are at most 1,000,000).
pub(crate) fn signed(rank: u64) -> i64 {
    i64::try_from(rank).unwrap_or(i64::MAX)
}
