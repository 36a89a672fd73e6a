//! Reading names out of a provider API's JSON answer without building it.
//!
//! Providers run on a 16 KiB stack (`components/channels/small-stack.rs`):
//! every notification request instantiates them, and Spin clears each
//! instance's memory after it, so a small memory is a faster request.
//! Parsing an answer into a `serde_json::Value` recurses once per nesting
//! level, and an answer nested as deep as the parser allows would overflow
//! that stack. Here every member stays raw text (serde_json skips it without
//! recursion) and only the members asked for are read.

use serde_json::value::RawValue;
use std::collections::BTreeMap;

/// A JSON object's members, each its raw JSON text.
#[derive(Debug)]
pub struct Members<'a>(BTreeMap<&'a str, &'a RawValue>);

impl<'a> Members<'a> {
    /// `None` unless `json` is an object (with member names free of escapes,
    /// as APIs' are).
    pub fn parse(json: &'a [u8]) -> Option<Self> {
        let text = std::str::from_utf8(json).ok()?;
        serde_json::from_str(text).ok().map(Members)
    }

    /// The member `name` when it is a string.
    pub fn text(&self, name: &str) -> Option<String> {
        serde_json::from_str(self.0.get(name)?.get()).ok()
    }

    /// The member `name` when it is an object.
    pub fn object(&self, name: &str) -> Option<Members<'a>> {
        serde_json::from_str(self.0.get(name)?.get())
            .ok()
            .map(Members)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `depth` arrays, one inside the other, around `1`.
    fn nested(depth: usize) -> String {
        format!("{}1{}", "[".repeat(depth), "]".repeat(depth))
    }

    #[test]
    fn strings_are_read_and_other_values_are_not() {
        let json = br#"{"id":"m-1","n":7,"list":["x"],"data":{"id":"d-2"},"esc":"a\"b"}"#;
        let members = Members::parse(json).unwrap();
        assert_eq!(members.text("id").as_deref(), Some("m-1"));
        assert_eq!(members.text("esc").as_deref(), Some("a\"b"));
        for name in ["n", "list", "data", "missing"] {
            assert_eq!(members.text(name), None, "{name}");
        }
        let data = members.object("data").unwrap();
        assert_eq!(data.text("id").as_deref(), Some("d-2"));
        assert!(members.object("id").is_none());
    }

    #[test]
    fn anything_but_an_object_is_no_members() {
        for json in ["", "not json", "[]", "\"id\"", "{\"id\":"] {
            assert!(Members::parse(json.as_bytes()).is_none(), "{json:?}");
        }
    }

    #[test]
    fn members_nested_deep_are_skipped_without_recursion() {
        // Far deeper than any stack could recurse (and than serde_json's
        // limit of 128 for values it builds): skipped all the same.
        let json = format!(r#"{{"deep":{},"id":"m-3"}}"#, nested(100_000));
        let members = Members::parse(json.as_bytes()).unwrap();
        assert_eq!(members.text("id").as_deref(), Some("m-3"));
        assert_eq!(members.text("deep"), None);
    }
}
