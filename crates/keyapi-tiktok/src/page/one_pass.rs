//! The fast path's decoder: a spec-exact body read in one pass straight into [`Page`], with
//! neither the generated types in between nor the buffering serde's `flatten` adds to their
//! derived decoder (every key and value of every item copied into an intermediate tree).
//!
//! It accepts a subset of what the generated types accept (within the first page of items:
//! those past the page size are skipped unread) and, on that subset, builds the very same
//! page as the rescue and the generated types (the differential tests in
//! `one_pass_tests.rs` hold it to that). Anything unusual (a duplicate field, a wrong type,
//! a missing envelope field, a raw control character, any value the normaliser or the
//! lenient reader would record as a [`FieldIssue`](super::FieldIssue)) makes it give up,
//! and the body takes the field-by-field rescue.

mod item;
mod keys;

use std::fmt;

use serde::de::{
    self, Deserialize, DeserializeSeed, Deserializer, Error as _, IgnoredAny, MapAccess, SeqAccess,
};

use super::{Page, RankedVideo, page_or_failure};
use crate::VideoRankingQuery;
use crate::error::Error;
use item::ItemSeed;
#[cfg(test)]
pub(super) use keys::KEYS;
use keys::KeyOrder;

/// The body decoded as the page (or the failure its envelope reports), or `None` when it
/// holds anything the one-pass decoder does not handle (the caller then takes the
/// generated types' path).
pub(super) fn decode(
    bytes: &[u8],
    status: Option<u16>,
    query: &VideoRankingQuery,
) -> Option<Result<Page, Error>> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let page_size = usize::from(query.size());
    let envelope = EnvelopeSeed(page_size)
        .deserialize(&mut deserializer)
        .ok()?;
    deserializer.end().ok()?;
    let Envelope {
        code,
        message,
        request_id,
        data,
        received,
    } = envelope;
    if received > page_size {
        super::warn_over_long(query, received);
    }
    Some(page_or_failure(
        code,
        message,
        request_id,
        data,
        status,
        query,
        |mut videos: Vec<RankedVideo>, ranks| {
            for (video, rank) in videos.iter_mut().zip(ranks) {
                video.rank = rank;
            }
            videos
        },
    ))
}

/// The envelope's fields, as `types::VideoRankingResponse` names them on the wire.
#[derive(Clone, Copy)]
enum EnvelopeField {
    Code,
    Data,
    Message,
    RequestId,
    Other,
}

impl<'de> Deserialize<'de> for EnvelopeField {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = EnvelopeField;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an envelope field name")
            }
            fn visit_str<E>(self, name: &str) -> Result<EnvelopeField, E> {
                Ok(match name {
                    "code" => EnvelopeField::Code,
                    "data" => EnvelopeField::Data,
                    "message" => EnvelopeField::Message,
                    "requestId" => EnvelopeField::RequestId,
                    _ => EnvelopeField::Other,
                })
            }
        }
        deserializer.deserialize_identifier(Visitor)
    }
}

/// The envelope with its items already normalised (ranks not yet set), at most a page of
/// them; `received` counts those sent.
struct Envelope {
    code: i64,
    message: String,
    request_id: String,
    data: Option<Vec<RankedVideo>>,
    received: usize,
}

/// Reads the envelope, keeping at most this many items.
struct EnvelopeSeed(usize);

impl<'de> DeserializeSeed<'de> for EnvelopeSeed {
    type Value = Envelope;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Envelope, D::Error> {
        struct Visitor(usize);
        impl<'de> de::Visitor<'de> for Visitor {
            type Value = Envelope;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a KeyAPI envelope")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Envelope, A::Error> {
                let (mut code, mut data, mut message, mut request_id) = (None, None, None, None);
                while let Some(field) = map.next_key::<EnvelopeField>()? {
                    match field {
                        EnvelopeField::Code => once(&mut code, map.next_value::<i64>()?)?,
                        EnvelopeField::Data => {
                            once(&mut data, map.next_value_seed(ItemsSeed(self.0))?)?
                        }
                        EnvelopeField::Message => once(&mut message, map.next_value::<String>()?)?,
                        EnvelopeField::RequestId => {
                            once(&mut request_id, map.next_value::<String>()?)?
                        }
                        EnvelopeField::Other => drop(map.next_value::<IgnoredAny>()?),
                    }
                }
                let missing = || A::Error::custom("a required envelope field is missing");
                let (data, received) = match data.ok_or_else(missing)? {
                    Some(Items { videos, received }) => (Some(videos), received),
                    None => (None, 0),
                };
                Ok(Envelope {
                    code: code.ok_or_else(missing)?,
                    data,
                    received,
                    message: message.ok_or_else(missing)?,
                    request_id: request_id.ok_or_else(missing)?,
                })
            }
        }
        deserializer.deserialize_map(Visitor(self.0))
    }
}

/// Sets a field seen for the first time; a second occurrence gives up (the derived decoder
/// rejects duplicates).
fn once<T, E: de::Error>(slot: &mut Option<T>, value: T) -> Result<(), E> {
    if slot.is_some() {
        return Err(E::custom("duplicate field"));
    }
    *slot = Some(value);
    Ok(())
}

/// A page's items, at most a page of them built; `received` counts those sent.
struct Items {
    videos: Vec<RankedVideo>,
    received: usize,
}

/// Reads `data` (a list or null), building at most this many items: the others are
/// skipped as they are read, never built.
struct ItemsSeed(usize);

impl<'de> DeserializeSeed<'de> for ItemsSeed {
    type Value = Option<Items>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<Items>, D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de> de::Visitor<'de> for ItemsSeed {
    type Value = Option<Items>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of items or null")
    }
    fn visit_none<E>(self) -> Result<Option<Items>, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<Items>, D::Error> {
        deserializer.deserialize_seq(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Option<Items>, A::Error> {
        let page_size = self.0;
        let mut videos = Vec::with_capacity(seq.size_hint().unwrap_or(10).min(page_size));
        let mut order = KeyOrder::new();
        while videos.len() < page_size {
            let seed = ItemSeed {
                videos: &mut videos,
                order: &mut order,
            };
            if seq.next_element_seed(seed)?.is_none() {
                break;
            }
        }
        let mut received = videos.len();
        while seq.next_element::<IgnoredAny>()?.is_some() {
            received += 1;
        }
        Ok(Some(Items { videos, received }))
    }
}
