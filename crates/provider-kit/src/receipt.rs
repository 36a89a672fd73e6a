//! The receipt a provider hands back for a delivered message: stored with
//! the notification, shown in every read of it and carried in the channels
//! component's answer, so it is kept short whatever the API sent.

/// The longest receipt kept, in characters; message ids are far shorter.
pub const MAX_RECEIPT_CHARS: usize = 128;

/// The API's message id, cut to [`MAX_RECEIPT_CHARS`], or `accepted
/// (<status>)` when it named none.
pub fn receipt(message_id: Option<String>, status: u16) -> String {
    match message_id.filter(|id| !id.is_empty()) {
        Some(id) => id.chars().take(MAX_RECEIPT_CHARS).collect(),
        None => format!("accepted ({status})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_id_is_kept_up_to_its_limit() {
        assert_eq!(receipt(Some("m-1".to_owned()), 202), "m-1");
        let long = "é".repeat(70_000);
        assert_eq!(receipt(Some(long), 202).chars().count(), MAX_RECEIPT_CHARS);
    }

    #[test]
    fn no_message_id_names_the_status() {
        assert_eq!(receipt(None, 202), "accepted (202)");
        assert_eq!(receipt(Some(String::new()), 200), "accepted (200)");
    }
}
