//! The fast path's decoder: a spec-exact body read in one pass into the generated types,
//! without the buffering serde's `flatten` adds to the derived decoder (every key and value
//! of every item copied into an intermediate tree before it reaches its field).
//!
//! It accepts a subset of what the derived decoder accepts and, on that subset, builds the
//! very same value (the differential tests in `one_pass_tests.rs` hold it to that). Anything
//! unusual (a duplicate field, a wrong type, a missing envelope field, a raw control
//! character) makes it give up, and the body takes the generated decoder's path, then the
//! field-by-field rescue, exactly as before.

use std::fmt;

use keyapi_tiktok_openapi::types;
use serde::de::{self, Deserialize, Deserializer, Error as _, IgnoredAny, MapAccess, SeqAccess};
use serde_json::{Map, Value};

/// The body decoded as `types::VideoRankingResponse`, or `None` when it is anything the
/// one-pass decoder does not handle (the caller then uses the derived decoder).
pub(super) fn decode(bytes: &[u8]) -> Option<types::VideoRankingResponse> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let Envelope(envelope) = Envelope::deserialize(&mut deserializer).ok()?;
    deserializer.end().ok()?;
    Some(envelope)
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

struct Envelope(types::VideoRankingResponse);

impl<'de> Deserialize<'de> for Envelope {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
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
                        EnvelopeField::Data => once(&mut data, map.next_value::<Option<Items>>()?)?,
                        EnvelopeField::Message => once(&mut message, map.next_value::<String>()?)?,
                        EnvelopeField::RequestId => {
                            once(&mut request_id, map.next_value::<String>()?)?
                        }
                        EnvelopeField::Other => drop(map.next_value::<IgnoredAny>()?),
                    }
                }
                let missing = || A::Error::custom("a required envelope field is missing");
                Ok(Envelope(types::VideoRankingResponse {
                    code: code.ok_or_else(missing)?,
                    data: data.ok_or_else(missing)?.map(|Items(items)| items),
                    message: message.ok_or_else(missing)?,
                    request_id: request_id.ok_or_else(missing)?,
                }))
            }
        }
        deserializer.deserialize_map(Visitor)
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

struct Items(Vec<types::RankedVideo>);

impl<'de> Deserialize<'de> for Items {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> de::Visitor<'de> for Visitor {
            type Value = Items;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of items")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Items, A::Error> {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(10).min(100));
                while let Some(Item(item)) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Items(items))
            }
        }
        deserializer.deserialize_seq(Visitor)
    }
}

/// Declares the item's documented fields once: the key enum, its wire names, and how each
/// is stored in `types::RankedVideo`.
macro_rules! item_fields {
    ($($variant:ident => $field:ident: $ty:ty),+ $(,)?) => {
        /// A key of an item: one of the spec's fields, or an unknown one kept in `extra`.
        enum ItemKey {
            $($variant,)+
            Other(String),
        }

        #[derive(Clone, Copy)]
        #[repr(u32)]
        enum Documented {
            $($variant,)+
        }

        impl ItemKey {
            fn from_name(name: &str) -> ItemKey {
                match name {
                    $(stringify!($field) => ItemKey::$variant,)+
                    other => ItemKey::Other(other.to_owned()),
                }
            }
        }

        /// The wire names of the documented fields this decoder reads.
        #[cfg(test)]
        pub(super) const DOCUMENTED: &[&str] = &[$(stringify!($field)),+];

        fn blank_item() -> types::RankedVideo {
            types::RankedVideo { $($field: None,)+ extra: Map::new() }
        }

        /// Reads the value of `key` into `item`; `seen` tracks documented fields already set.
        fn read_value<'de, A: MapAccess<'de>>(
            map: &mut A,
            key: ItemKey,
            item: &mut types::RankedVideo,
            seen: &mut u32,
        ) -> Result<(), A::Error> {
            let documented = match key {
                ItemKey::Other(name) => {
                    let value = map.next_value::<Value>()?;
                    item.extra.insert(name, value);
                    return Ok(());
                }
                $(ItemKey::$variant => Documented::$variant,)+
            };
            let bit = 1u32 << (documented as u32);
            if *seen & bit != 0 {
                return Err(A::Error::custom("duplicate field"));
            }
            *seen |= bit;
            match documented {
                $(Documented::$variant => item.$field = map.next_value::<Option<$ty>>()?,)+
            }
            Ok(())
        }
    };
}

item_fields! {
    Avatar => avatar: String,
    Category => category: String,
    CreateTime => create_time: String,
    CreatedByAi => created_by_ai: String,
    Duration => duration: i64,
    NickName => nick_name: String,
    ProductCategoryList => product_category_list: String,
    ReflowCover => reflow_cover: String,
    Region => region: String,
    SalesFlag => sales_flag: i64,
    TotalCommentsCnt => total_comments_cnt: i64,
    TotalDiggCnt => total_digg_cnt: i64,
    TotalFavoritesCnt => total_favorites_cnt: i64,
    TotalSharesCnt => total_shares_cnt: i64,
    TotalVideoSaleCnt => total_video_sale_cnt: i64,
    TotalVideoSaleGmvAmt => total_video_sale_gmv_amt: i64,
    TotalViewsCnt => total_views_cnt: i64,
    UniqueId => unique_id: String,
    UserId => user_id: String,
    VideoDesc => video_desc: String,
    VideoId => video_id: String,
    VideoProducts => video_products: String,
}

impl<'de> Deserialize<'de> for ItemKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = ItemKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an item field name")
            }
            fn visit_str<E>(self, name: &str) -> Result<ItemKey, E> {
                Ok(ItemKey::from_name(name))
            }
        }
        deserializer.deserialize_identifier(Visitor)
    }
}

struct Item(types::RankedVideo);

impl<'de> Deserialize<'de> for Item {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> de::Visitor<'de> for Visitor {
            type Value = Item;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an item object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Item, A::Error> {
                let (mut item, mut seen) = (blank_item(), 0u32);
                while let Some(key) = map.next_key::<ItemKey>()? {
                    read_value(&mut map, key, &mut item, &mut seen)?;
                }
                Ok(Item(item))
            }
        }
        deserializer.deserialize_map(Visitor)
    }
}
