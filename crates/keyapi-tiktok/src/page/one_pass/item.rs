//! One item of a spec-exact body, read straight into a [`RankedVideo`] by the normaliser's
//! own field rules, giving up on the first value one of them would record as an issue.

use std::fmt;

use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, Error as _, MapAccess};
use serde_json::Map;
use serde_json::value::RawValue;

use super::keys::{Field, ItemKey, KeyOrder, KeySeed};
use crate::page::lenient;
use crate::page::normalise::{
    HISTORY_FIELDS, Issues, Total, ai_flag, count, created_at, decimal_total, fits, gmv,
    history_totals, non_empty, parse_categories, parse_product_ids, parse_url, required_video_id,
};
use crate::page::{HistoryTotals, RankedVideo, SalesMethod};

/// Reads an item straight into a new last video of `videos`, learning the key order.
pub(super) struct ItemSeed<'a> {
    pub(super) videos: &'a mut Vec<RankedVideo>,
    pub(super) order: &'a mut KeyOrder,
}

impl<'de> DeserializeSeed<'de> for ItemSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> de::Visitor<'de> for ItemSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an item object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let ItemSeed { videos, order } = self;
        // Filled where it stays: a video is a few hundred bytes, not moved again.
        videos.push(blank_video());
        let Some(video) = videos.last_mut() else {
            return Err(A::Error::custom("no video"));
        };
        let (mut video_id, mut totals) = (None, [None; HISTORY_FIELDS.len()]);
        let (mut issues, mut seen, mut unknown_bytes) = (Issues::default(), 0u32, 0usize);
        order.start_item();
        while let Some(key) = map.next_key_seed(KeySeed(order))? {
            if let Some(bit) = key.bit() {
                first_time(&mut seen, bit)?;
            }
            match key {
                ItemKey::Field(field) => {
                    read_field(&mut map, field, (video, &mut video_id, &mut issues))?;
                }
                ItemKey::History(index) => {
                    let total = map.next_value::<TotalSeen>()?.0;
                    if total.is_some_and(|total| !fits(index, total)) {
                        return Err(A::Error::custom("a field issue"));
                    }
                    totals[index] = total;
                }
                ItemKey::Other(name) => {
                    // Read as the rescue reads it; anything it would record gives up.
                    let raw = map.next_value::<&RawValue>()?;
                    unknown_bytes =
                        unknown_bytes.saturating_add(lenient::unknown_bytes(&name, raw));
                    if unknown_bytes > lenient::MAX_UNKNOWN_BYTES {
                        return Err(A::Error::custom("a field issue"));
                    }
                    let (value, caveats) = lenient::value(raw);
                    let Some(value) = value.filter(|_| !caveats.any()) else {
                        return Err(A::Error::custom("a field issue"));
                    };
                    if video.extra.insert(name, value).is_some() {
                        return Err(A::Error::custom("duplicate field"));
                    }
                }
            }
        }
        video.video_id = required_video_id(video_id, &mut issues);
        video.history = history_totals(totals);
        if !issues.0.is_empty() {
            // The normaliser records it: that is the other path's work.
            return Err(A::Error::custom("a field issue"));
        }
        Ok(())
    }
}

/// Marks a key as seen; a second occurrence gives up (the derived decoder keeps the last
/// one, the rescue may see either).
fn first_time<E: de::Error>(seen: &mut u32, bit: u32) -> Result<(), E> {
    let bit = 1u32 << bit;
    if *seen & bit != 0 {
        return Err(E::custom("duplicate field"));
    }
    *seen |= bit;
    Ok(())
}

/// Reads the value of one documented field into the video, by the normaliser's rule for it.
fn read_field<'de, A: MapAccess<'de>>(
    map: &mut A,
    field: Field,
    (video, video_id, issues): (&mut RankedVideo, &mut Option<String>, &mut Issues),
) -> Result<(), A::Error> {
    let mut count_of = |wire: &str| -> Result<Option<u64>, A::Error> {
        Ok(count(wire, map.next_value::<Option<i64>>()?, issues))
    };
    match field {
        Field::Duration => video.duration_secs = count_of("duration")?,
        Field::TotalCommentsCnt => video.comments = count_of("total_comments_cnt")?,
        Field::TotalDiggCnt => video.likes = count_of("total_digg_cnt")?,
        Field::TotalFavoritesCnt => video.favorites = count_of("total_favorites_cnt")?,
        Field::TotalSharesCnt => video.shares = count_of("total_shares_cnt")?,
        Field::TotalVideoSaleCnt => video.units_sold = count_of("total_video_sale_cnt")?,
        Field::TotalViewsCnt => video.views = count_of("total_views_cnt")?,
        Field::TotalVideoSaleGmvAmt => video.gmv = map.next_value::<Option<i64>>()?.map(gmv),
        Field::SalesFlag => {
            video.sales_method = map.next_value::<Option<i64>>()?.map(SalesMethod::from_code)
        }
        Field::Avatar => video.avatar_url = parse_url("avatar", map.next_value()?, issues),
        Field::ReflowCover => {
            video.cover_url = parse_url("reflow_cover", map.next_value()?, issues)
        }
        Field::Category => video.category = non_empty(map.next_value()?),
        Field::Region => video.region = non_empty(map.next_value()?),
        Field::UniqueId => video.unique_id = non_empty(map.next_value()?),
        Field::UserId => video.user_id = non_empty(map.next_value()?),
        Field::NickName => video.nick_name = map.next_value()?,
        Field::VideoDesc => video.description = map.next_value()?,
        Field::VideoId => *video_id = map.next_value()?,
        Field::CreateTime => {
            video.created_at = map
                .next_value_seed(Parse(|s: &str| created_at(s, issues)))?
                .flatten()
        }
        Field::CreatedByAi => {
            video.created_by_ai = map
                .next_value_seed(Parse(|s: &str| ai_flag(s, issues)))?
                .flatten()
        }
        Field::VideoProducts => {
            video.product_ids = map
                .next_value_seed(Parse(|s: &str| parse_product_ids(Some(s), issues)))?
                .unwrap_or_default()
        }
        Field::ProductCategoryList => {
            video.product_categories = map
                .next_value_seed(Parse(|s: &str| parse_categories(Some(s), issues)))?
                .unwrap_or_default()
        }
    }
    Ok(())
}

fn blank_video() -> RankedVideo {
    RankedVideo {
        rank: 0,
        video_id: String::new(),
        user_id: None,
        unique_id: None,
        nick_name: None,
        region: None,
        category: None,
        description: None,
        created_at: None,
        duration_secs: None,
        created_by_ai: None,
        sales_method: None,
        views: None,
        likes: None,
        comments: None,
        shares: None,
        favorites: None,
        units_sold: None,
        gmv: None,
        product_ids: Vec::new(),
        product_categories: Vec::new(),
        cover_url: None,
        avatar_url: None,
        history: HistoryTotals::default(),
        extra: Map::new(),
        issues: Vec::new(),
    }
}

/// A string field that is only parsed (or null): the string is handed to the parse
/// function where serde_json holds it (in the body, or its scratch buffer when escaped),
/// never copied into a `String`. Accepts exactly what `Option<String>` accepts.
struct Parse<F>(F);

impl<'de, T, F: FnOnce(&str) -> T> DeserializeSeed<'de> for Parse<F> {
    type Value = Option<T>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<T>, D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de, T, F: FnOnce(&str) -> T> de::Visitor<'de> for Parse<F> {
    type Value = Option<T>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or null")
    }
    fn visit_none<E>(self) -> Result<Option<T>, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<T>, D::Error> {
        deserializer.deserialize_str(ParseStr(self.0)).map(Some)
    }
}

struct ParseStr<F>(F);

impl<T, F: FnOnce(&str) -> T> de::Visitor<'_> for ParseStr<F> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E>(self, s: &str) -> Result<T, E> {
        Ok((self.0)(s))
    }
}

/// An all-time total read as a number, by the normaliser's rule (whole numbers exactly);
/// null is absent, anything else (a string, a negative number) gives up.
struct TotalSeen(Option<Total>);

impl<'de> Deserialize<'de> for TotalSeen {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = TotalSeen;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a non-negative number or null")
            }
            fn visit_unit<E>(self) -> Result<TotalSeen, E> {
                Ok(TotalSeen(None))
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<TotalSeen, E> {
                Ok(TotalSeen(Some(Total::Whole(n))))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<TotalSeen, E> {
                match u64::try_from(n) {
                    Ok(n) => self.visit_u64(n),
                    Err(_) => Err(E::custom("a field issue")),
                }
            }
            fn visit_f64<E: de::Error>(self, n: f64) -> Result<TotalSeen, E> {
                match decimal_total(n) {
                    Some(total) => Ok(TotalSeen(Some(total))),
                    None => Err(E::custom("a field issue")),
                }
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}
