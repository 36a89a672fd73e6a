//! How many items a listing returns, as every listing of the API takes it.

use crate::invalid::Invalid;
use crate::whole_number::parse_whole_number;

/// 1–100, default 20.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageLimit(usize);

impl PageLimit {
    pub const DEFAULT: Self = Self(20);
    pub const MAX: usize = 100;

    pub fn parse(text: impl AsRef<str>) -> Result<Self, Invalid> {
        parse_whole_number::<usize>(text.as_ref())
            .filter(|limit| (1..=Self::MAX).contains(limit))
            .map(Self)
            .ok_or(Invalid("must be an integer from 1 to 100"))
    }

    pub fn get(self) -> usize {
        self.0
    }
}

impl Default for PageLimit {
    fn default() -> Self {
        Self::DEFAULT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_1_to_100() {
        assert_eq!(PageLimit::parse("1").map(PageLimit::get), Ok(1));
        assert_eq!(PageLimit::parse("100").map(PageLimit::get), Ok(100));
        for bad in ["0", "101", "-1", "abc", "", "1.5"] {
            assert!(PageLimit::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(PageLimit::default().get(), 20);
    }
}
