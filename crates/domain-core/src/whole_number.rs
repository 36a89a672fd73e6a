//! Numbers in paths and query strings: ASCII digits only. Rust's integer
//! parser also takes a leading `+`, which no client means and the
//! contract's "whole number" does not allow.

use std::str::FromStr;

/// `text` as a whole number when it is nothing but ASCII digits (and fits
/// `T`).
pub fn parse_whole_number<T: FromStr>(text: &str) -> Option<T> {
    (!text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_digits_are_a_whole_number() {
        assert_eq!(parse_whole_number::<u64>("5"), Some(5));
        assert_eq!(parse_whole_number::<u64>("05"), Some(5));
        for not_whole in ["+5", "-5", " 5", "5 ", "5.0", "", "1e3", "٥"] {
            assert_eq!(parse_whole_number::<u64>(not_whole), None, "{not_whole:?}");
        }
        assert_eq!(parse_whole_number::<u8>("256"), None, "too large");
    }
}
