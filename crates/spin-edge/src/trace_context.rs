//! The trace id of a request, read from its W3C `traceparent` header.
//!
//! Spin starts a span for every request and, when it exports telemetry,
//! continues the trace of an inbound `traceparent` and adds one to every
//! outbound HTTP call (service chaining included). The header is the only
//! place a component sees the trace id, so log lines take it from there: a
//! request from another service always has one, a client's request only if
//! the client sent it.

pub const TRACEPARENT: &str = "traceparent";

/// The trace id (32 lowercase hex digits) of a well-formed `traceparent`
/// (`version-traceid-parentid-flags`), `None` for anything else, so that
/// what reaches a log line is always an id and never arbitrary client text.
pub fn trace_id(header: Option<&str>) -> Option<String> {
    let mut parts = header?.trim().split('-');
    let version = parts.next()?;
    let trace_id = parts.next()?;
    let parent_id = parts.next()?;
    let flags = parts.next()?;
    // Version 00 has exactly four fields; later versions may append more.
    let rest_ok = match version {
        "00" => parts.next().is_none(),
        "ff" => false,
        _ => true,
    };
    let ok = rest_ok
        && is_hex(version, 2)
        && is_hex(trace_id, 32)
        && is_hex(parent_id, 16)
        && is_hex(flags, 2)
        && !all_zero(trace_id)
        && !all_zero(parent_id);
    ok.then(|| trace_id.to_owned())
}

/// Exactly `len` lowercase hex digits, as the W3C format requires.
fn is_hex(field: &str, len: usize) -> bool {
    field.len() == len
        && field
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn all_zero(field: &str) -> bool {
    field.bytes().all(|b| b == b'0')
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

    #[test]
    fn a_well_formed_header_gives_its_trace_id() {
        for header in [
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",
            " 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 ",
            // A later version may carry more fields.
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
        ] {
            assert_eq!(trace_id(Some(header)).as_deref(), Some(TRACE), "{header}");
        }
    }

    /// Every field is held to its format, not only the trace id that is
    /// kept: a header broken elsewhere is not a trace context.
    #[test]
    fn a_malformed_version_or_flags_field_gives_none() {
        for header in [
            "0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "000-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0x",
        ] {
            assert_eq!(trace_id(Some(header)), None, "{header}");
        }
    }

    #[test]
    fn anything_else_gives_none() {
        for header in [
            "",
            "garbage",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736\"-00f067aa0ba902b7-01",
        ] {
            assert_eq!(trace_id(Some(header)), None, "{header}");
        }
        assert_eq!(trace_id(None), None);
    }
}
