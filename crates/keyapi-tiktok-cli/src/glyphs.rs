//! Sparklines and move arrows for the terminal tables: Unicode (`▁▂▃▄▅▆▇█`, `▲ 3`) where
//! the locale says UTF-8, ASCII (`_.-=^`, `+3`) where it does not.

/// Which characters the tables may print.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Glyphs {
    /// Block elements and triangles.
    Unicode,
    /// Printable ASCII only.
    Ascii,
}

/// The sparkline's levels, lowest first.
const BLOCKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
const ASCII_LEVELS: [char; 5] = ['_', '.', '-', '=', '^'];

impl Glyphs {
    /// What the environment's locale allows: the first non-empty of `LC_ALL`, `LC_CTYPE`
    /// and `LANG` (the order POSIX gives them) naming UTF-8 (`en_US.UTF-8`, `C.utf8`) means
    /// Unicode, any other value ASCII. With none set, Unix means the "C" locale (ASCII);
    /// Windows writes to its console in UTF-16, so Unicode.
    pub(crate) fn from_env() -> Glyphs {
        Glyphs::from_locale(|name| std::env::var(name).ok(), cfg!(windows))
    }

    fn from_locale(var: impl Fn(&str) -> Option<String>, windows: bool) -> Glyphs {
        let locale = ["LC_ALL", "LC_CTYPE", "LANG"]
            .into_iter()
            .find_map(|name| var(name).filter(|value| !value.is_empty()));
        match locale {
            Some(locale) => {
                let lower = locale.to_ascii_lowercase();
                if lower.contains("utf-8") || lower.contains("utf8") {
                    Glyphs::Unicode
                } else {
                    Glyphs::Ascii
                }
            }
            None if windows => Glyphs::Unicode,
            None => Glyphs::Ascii,
        }
    }

    /// Ranks, oldest first, as one character each: the best (smallest) rank the tallest,
    /// the worst the lowest, all equal in the middle.
    pub(crate) fn sparkline(self, ranks: &[u64]) -> String {
        let levels: &[char] = match self {
            Glyphs::Unicode => &BLOCKS,
            Glyphs::Ascii => &ASCII_LEVELS,
        };
        let (Some(&best), Some(&worst)) = (ranks.iter().min(), ranks.iter().max()) else {
            return String::new();
        };
        let top = levels.len() - 1;
        ranks
            .iter()
            .map(|&rank| {
                let level = if worst == best {
                    top / 2
                } else {
                    let share = (worst - rank) as f64 / (worst - best) as f64;
                    (share * top as f64).round() as usize
                };
                levels[level.min(top)]
            })
            .collect()
    }

    /// Places gained (positive) or lost: `▲ 3`, `▼ 2`, `=` (ASCII `+3`, `-2`, `=`).
    pub(crate) fn change(self, change: i64) -> String {
        match (self, change) {
            (_, 0) => "=".to_owned(),
            (Glyphs::Unicode, gained) if gained > 0 => format!("▲ {gained}"),
            (Glyphs::Unicode, lost) => format!("▼ {}", lost.unsigned_abs()),
            (Glyphs::Ascii, change) => format!("{change:+}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn locale(pairs: &[(&str, &str)], windows: bool) -> Glyphs {
        Glyphs::from_locale(
            |name| {
                pairs
                    .iter()
                    .find(|(key, _)| *key == name)
                    .map(|(_, value)| (*value).to_owned())
            },
            windows,
        )
    }

    #[test]
    fn the_first_locale_variable_set_decides() {
        assert_eq!(locale(&[("LANG", "en_US.UTF-8")], false), Glyphs::Unicode);
        assert_eq!(locale(&[("LANG", "C.utf8")], false), Glyphs::Unicode);
        assert_eq!(locale(&[("LANG", "C")], false), Glyphs::Ascii);
        assert_eq!(locale(&[], false), Glyphs::Ascii);
        assert_eq!(locale(&[], true), Glyphs::Unicode);
        // LC_ALL overrides LC_CTYPE, which overrides LANG; an empty one is skipped.
        let pairs = [("LC_ALL", "C"), ("LC_CTYPE", "en_US.UTF-8")];
        assert_eq!(locale(&pairs, false), Glyphs::Ascii);
        let pairs = [("LC_ALL", ""), ("LC_CTYPE", "de_DE.UTF-8"), ("LANG", "C")];
        assert_eq!(locale(&pairs, false), Glyphs::Unicode);
        let pairs = [("LC_CTYPE", "POSIX"), ("LANG", "en_US.UTF-8")];
        assert_eq!(locale(&pairs, false), Glyphs::Ascii);
    }

    #[test]
    fn rank_one_is_the_tallest() {
        assert_eq!(Glyphs::Unicode.sparkline(&[8, 1, 4, 8]), "▁█▅▁");
        assert_eq!(Glyphs::Ascii.sparkline(&[8, 1, 4, 8]), "_^-_");
        assert_eq!(Glyphs::Unicode.sparkline(&[3, 3]), "▄▄");
        assert_eq!(Glyphs::Unicode.sparkline(&[]), "");
        assert!(Glyphs::Ascii.sparkline(&[1, 1000, 5]).is_ascii());
    }

    #[test]
    fn changes_have_arrows_or_signs() {
        assert_eq!(Glyphs::Unicode.change(3), "▲ 3");
        assert_eq!(Glyphs::Unicode.change(-2), "▼ 2");
        assert_eq!(Glyphs::Unicode.change(0), "=");
        assert_eq!(Glyphs::Ascii.change(3), "+3");
        assert_eq!(Glyphs::Ascii.change(-2), "-2");
        assert_eq!(Glyphs::Ascii.change(i64::MIN), format!("{}", i64::MIN));
    }
}
