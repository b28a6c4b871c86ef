//! The keys of an item: the field each names, found with one comparison while the items of
//! a page send their keys in the same order (upstream's do), else by name.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer};

use crate::page::normalise::HISTORY_FIELDS;

/// Declares the item's documented fields once: the enum and their wire names.
macro_rules! documented_fields {
    ($($variant:ident => $wire:literal),+ $(,)?) => {
        /// A documented field of an item.
        #[derive(Clone, Copy)]
        pub(super) enum Field {
            $($variant,)+
        }

        const FIELDS: &[Field] = &[$(Field::$variant),+];
        const DOCUMENTED: &[&str] = &[$($wire),+];

        /// The index of a documented field's wire name.
        fn documented_index(name: &str) -> Option<usize> {
            match name {
                $($wire => Some(Field::$variant as usize),)+
                _ => None,
            }
        }
    };
}

documented_fields! {
    Avatar => "avatar",
    Category => "category",
    CreateTime => "create_time",
    CreatedByAi => "created_by_ai",
    Duration => "duration",
    NickName => "nick_name",
    ProductCategoryList => "product_category_list",
    ReflowCover => "reflow_cover",
    Region => "region",
    SalesFlag => "sales_flag",
    TotalCommentsCnt => "total_comments_cnt",
    TotalDiggCnt => "total_digg_cnt",
    TotalFavoritesCnt => "total_favorites_cnt",
    TotalSharesCnt => "total_shares_cnt",
    TotalVideoSaleCnt => "total_video_sale_cnt",
    TotalVideoSaleGmvAmt => "total_video_sale_gmv_amt",
    TotalViewsCnt => "total_views_cnt",
    UniqueId => "unique_id",
    UserId => "user_id",
    VideoDesc => "video_desc",
    VideoId => "video_id",
    VideoProducts => "video_products",
}

/// How many keys are recognised (each has a bit in a `u32` of keys seen).
pub(super) const KEY_COUNT: usize = DOCUMENTED.len() + HISTORY_FIELDS.len();

// Each key has a bit in the `u32` of keys seen, and an index in a `u8`.
const _: () = assert!(KEY_COUNT <= 32);

/// The wire names recognised, by index: the documented fields, then the all-time totals.
pub(crate) const KEYS: [&str; KEY_COUNT] = {
    let mut keys = [""; KEY_COUNT];
    let mut i = 0;
    while i < KEY_COUNT {
        keys[i] = if i < DOCUMENTED.len() {
            DOCUMENTED[i]
        } else {
            HISTORY_FIELDS[i - DOCUMENTED.len()]
        };
        i += 1;
    }
    keys
};

/// A key of an item: a documented field, an all-time total (its index in
/// [`HISTORY_FIELDS`]), or an unknown one kept in `extra`.
pub(super) enum ItemKey {
    Field(Field),
    History(usize),
    Other(String),
}

impl ItemKey {
    fn at(index: usize) -> ItemKey {
        match FIELDS.get(index) {
            Some(&field) => ItemKey::Field(field),
            None => ItemKey::History(index - FIELDS.len()),
        }
    }

    /// The bit of the key among the keys seen (`None` for an unknown one).
    pub(super) fn bit(&self) -> Option<u32> {
        match self {
            ItemKey::Field(field) => Some(*field as u32),
            ItemKey::History(index) => Some((FIELDS.len() + index) as u32),
            ItemKey::Other(_) => None,
        }
    }
}

/// The order keys came in, learnt as the page is read: which key followed each one.
pub(super) struct KeyOrder {
    /// By key index (and [`KEY_COUNT`] for an item's start or an unknown key), the index
    /// of the key that followed it last ([`KEY_COUNT`]: none yet).
    after: [u8; KEY_COUNT + 1],
    previous: usize,
}

impl KeyOrder {
    pub(super) fn new() -> KeyOrder {
        KeyOrder {
            after: [KEY_COUNT as u8; KEY_COUNT + 1],
            previous: KEY_COUNT,
        }
    }

    pub(super) fn start_item(&mut self) {
        self.previous = KEY_COUNT;
    }

    /// The key `name` names: the one that followed the previous key last time, when it
    /// is that, else looked up by name.
    fn key(&mut self, name: &str) -> ItemKey {
        let guess = usize::from(self.after[self.previous]);
        let index = match KEYS.get(guess) {
            Some(&key) if key == name => Some(guess),
            _ => documented_index(name).or_else(|| {
                let total = HISTORY_FIELDS.iter().position(|&total| total == name)?;
                Some(DOCUMENTED.len() + total)
            }),
        };
        let Some(index) = index else {
            self.previous = KEY_COUNT;
            return ItemKey::Other(name.to_owned());
        };
        self.after[self.previous] = index as u8;
        self.previous = index;
        ItemKey::at(index)
    }
}

/// Reads one key of an item, by the page's [`KeyOrder`].
pub(super) struct KeySeed<'a>(pub(super) &'a mut KeyOrder);

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = ItemKey;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<ItemKey, D::Error> {
        deserializer.deserialize_identifier(self)
    }
}

impl de::Visitor<'_> for KeySeed<'_> {
    type Value = ItemKey;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an item field name")
    }
    fn visit_str<E>(self, name: &str) -> Result<ItemKey, E> {
        Ok(self.0.key(name))
    }
}
