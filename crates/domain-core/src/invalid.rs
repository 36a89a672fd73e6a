//! The one shape of a broken rule: every validated value's `parse` returns
//! [`Invalid`], whose message the client sees as the field's detail.

/// A value that breaks its rule; the message says which rule, addressed to
/// the client ("must be 1 to 128 characters").
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub &'static str);

/// Whether `text` has `min..=max` characters (Unicode scalar values).
pub fn chars_within(text: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&text.chars().count())
}

/// `text` itself when it has `min..=max` characters, else `Invalid(rule)`:
/// the whole check of a bounded text field.
pub fn text_within(
    text: String,
    min: usize,
    max: usize,
    rule: &'static str,
) -> Result<String, Invalid> {
    if chars_within(&text, min, max) {
        Ok(text)
    } else {
        Err(Invalid(rule))
    }
}
