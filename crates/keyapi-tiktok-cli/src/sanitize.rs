//! Cleans text that strangers wrote (captions, nicknames, handles, upstream messages) for
//! where it is printed: a terminal must not obey it, a spreadsheet must not execute it.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Characters a terminal would act on or that are invisible yet change what is shown:
/// bidi controls (U+202E reverses the rest of the line), zero-width characters, and other
/// invisible format characters (including the tag characters used to hide text).
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{061C}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{E0000}'..='\u{E007F}'
    )
}

/// One line for a terminal: whitespace (newlines and tabs included) becomes single
/// spaces, and control, bidi and zero-width characters are removed.
///
/// ```text
/// "a\u{1b}[31mb\n\u{202e}c" → "a[31mb c"
/// ```
pub(crate) fn for_terminal(text: &str) -> String {
    let mut line = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            pending_space = !line.is_empty();
        } else if !(c.is_control() || is_invisible(c)) {
            if pending_space {
                line.push(' ');
                pending_space = false;
            }
            line.push(c);
        }
    }
    line
}

/// A CSV cell from text: C0 and C1 control characters other than TAB, LF and CR removed,
/// and a leading `'` when the cell would start a spreadsheet formula (`=`, `+`, `-`, `@`,
/// TAB or CR), as OWASP advises against CSV injection.
pub(crate) fn for_csv(text: &str) -> String {
    let kept: String = text
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'))
        .collect();
    if kept.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{kept}")
    } else {
        kept
    }
}

/// Columns `text` takes on a terminal.
pub(crate) fn width(text: &str) -> usize {
    text.width()
}

/// At most `columns` terminal columns of `text`, cut on a character, `…` marking a cut.
pub(crate) fn fit(text: &str, columns: usize) -> String {
    if text.width() <= columns {
        return text.to_owned();
    }
    let room = columns.saturating_sub(1);
    let mut cut = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > room {
            break;
        }
        used += w;
        cut.push(c);
    }
    cut.push('…');
    cut
}

/// At most `chars` characters of `text`, `…` marking a cut.
pub(crate) fn bound(text: &str, chars: usize) -> String {
    match text.char_indices().nth(chars.saturating_sub(1)) {
        Some((end, _)) if text[end..].chars().count() > 1 => format!("{}…", &text[..end]),
        _ => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_text_keeps_no_control_bidi_or_zero_width_character() {
        assert_eq!(
            for_terminal("a\u{1b}[31mb\n\u{202e}c\u{200b}d \u{9b}e\t\tf "),
            "a[31mb cd e f"
        );
        assert_eq!(for_terminal(" \n lead"), "lead");
        assert_eq!(for_terminal("ﾌひﾚﾉの 🧲"), "ﾌひﾚﾉの 🧲");
    }

    #[test]
    fn csv_cells_never_start_a_formula() {
        for (raw, cell) in [
            ("=1+1", "'=1+1"),
            ("+1", "'+1"),
            ("-1", "'-1"),
            ("@A1", "'@A1"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("\u{1}=x", "'=x"),
            ("a\u{1b}b\u{85}c\nd", "abc\nd"),
            ("1729436418527695003", "1729436418527695003"),
            ("a=b", "a=b"),
        ] {
            assert_eq!(for_csv(raw), cell, "{raw:?}");
        }
    }

    #[test]
    fn fitting_counts_display_columns() {
        assert_eq!(fit("ﾌひﾚﾉの", 10), "ﾌひﾚﾉの");
        assert_eq!(fit("東京タワー", 6), "東京…");
        assert_eq!(width(&fit("東京タワー", 6)), 5);
        assert_eq!(fit("🧲🧲🧲", 4), "🧲…");
        assert_eq!(fit("abc", 3), "abc");
        assert_eq!(fit("abcd", 3), "ab…");
    }

    #[test]
    fn bounding_counts_characters() {
        assert_eq!(bound("abc", 3), "abc");
        assert_eq!(bound("abcd", 3), "ab…");
        assert_eq!(bound("éééé", 2), "é…");
        assert_eq!(bound("", 2), "");
    }
}
