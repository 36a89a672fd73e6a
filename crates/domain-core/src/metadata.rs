//! Free-form details a caller attaches to an event or a notification.

use crate::invalid::Invalid;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A JSON object of at most [`Metadata::MAX_BYTES`] serialized.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(try_from = "Map<String, Value>", into = "Map<String, Value>")]
pub struct Metadata(Map<String, Value>);

impl Metadata {
    pub const MAX_BYTES: usize = 4 * 1024;

    pub fn parse(object: Map<String, Value>) -> Result<Self, Invalid> {
        let size = serde_json::to_vec(&object).map_or(usize::MAX, |bytes| bytes.len());
        if size <= Self::MAX_BYTES {
            Ok(Self(object))
        } else {
            Err(Invalid("must be at most 4096 bytes when serialized"))
        }
    }

    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }
}

impl TryFrom<Map<String, Value>> for Metadata {
    type Error = Invalid;

    fn try_from(object: Map<String, Value>) -> Result<Self, Invalid> {
        Self::parse(object)
    }
}

impl From<Metadata> for Map<String, Value> {
    fn from(metadata: Metadata) -> Self {
        metadata.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn objects_up_to_4_kib_are_kept_as_given() {
        let metadata = Metadata::parse(object(json!({"path": "/", "n": 1}))).unwrap();
        assert_eq!(metadata.as_map()["path"], "/");
        let just_fits = json!({"k": "x".repeat(Metadata::MAX_BYTES - 8)});
        assert_eq!(serde_json::to_vec(&just_fits).unwrap().len(), 4096);
        assert!(Metadata::parse(object(just_fits)).is_ok());
    }

    /// Bodies and stored records read metadata through serde: the limit
    /// holds there too.
    #[test]
    fn metadata_read_from_json_is_held_to_the_same_limit() {
        let too_big = json!({"k": "x".repeat(Metadata::MAX_BYTES)});
        assert!(serde_json::from_value::<Metadata>(too_big).is_err());
        let small: Metadata = serde_json::from_value(json!({"n": 1})).unwrap();
        assert_eq!(small.as_map()["n"], 1);
    }

    #[test]
    fn larger_objects_are_refused() {
        let too_big = json!({"k": "x".repeat(Metadata::MAX_BYTES)});
        assert_eq!(
            Metadata::parse(object(too_big)),
            Err(Invalid("must be at most 4096 bytes when serialized"))
        );
    }
}
