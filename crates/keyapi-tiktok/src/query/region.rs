//! [`Region`]: a two-letter region code, checked for shape only.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::Error;

/// A region code: two ASCII letters, upper case (`US`, `GB`, `UK`, `DE`, …).
///
/// Only the shape is checked: clients of the same upstream see both `UK` and `GB`, so a
/// fixed list would refuse codes the API accepts.
///
/// ```
/// use keyapi_tiktok::Region;
/// let region: Region = "us".parse().unwrap();
/// assert_eq!(region.as_str(), "US");
/// assert!("USA".parse::<Region>().is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "String")]
pub struct Region([u8; 2]);

impl Region {
    /// Validates and normalises a region code.
    ///
    /// ```
    /// assert_eq!(keyapi_tiktok::Region::new(" gb ").unwrap().as_str(), "GB");
    /// ```
    pub fn new(code: &str) -> Result<Region, Error> {
        match code.trim().as_bytes() {
            [a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => {
                Ok(Region([a.to_ascii_uppercase(), b.to_ascii_uppercase()]))
            }
            _ => Err(Error::invalid_input(
                "region",
                code,
                "two letters, such as US or GB",
            )),
        }
    }

    /// The upper-case code.
    ///
    /// ```
    /// assert_eq!(keyapi_tiktok::Region::new("de").unwrap().as_str(), "DE");
    /// ```
    pub fn as_str(&self) -> &str {
        // Both bytes are ASCII letters, checked in `new`.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }
}

impl FromStr for Region {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        Region::new(s)
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<Region> for String {
    fn from(region: Region) -> String {
        region.as_str().to_owned()
    }
}
