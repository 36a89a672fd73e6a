//! The scheduled relay: a Kubernetes `CronJob` that calls auth's
//! `POST /auth/outbox/flush` with the internal key. There is no CRD to
//! validate a core `batch/v1` object against here, so these are the rules
//! a cluster would enforce on the fields the relay uses, plus the ones that
//! make it work with the SpinApp beside it: the URL names that SpinApp's
//! Service and the flush path, the key comes from the Secret the SpinApp
//! uses, and the header carries it.

use serde_json::Value;

use crate::{Document, VariableSource, spinapp_variables};

/// Problems with `cronjob`, judged with the SpinApps and Secrets of the
/// same directory. Empty when it would run and reach the flush endpoint.
pub fn relay_problems(
    cronjob: &Value,
    spinapps: &[&Document],
    secrets: &[&Document],
) -> Vec<String> {
    let mut problems = Vec::new();
    let mut check = |ok: bool, problem: &str| {
        if !ok {
            problems.push(problem.to_owned());
        }
    };
    check(
        cronjob["apiVersion"] == "batch/v1" && cronjob["kind"] == "CronJob",
        "must be a batch/v1 CronJob",
    );
    let name = cronjob["metadata"]["name"].as_str().unwrap_or("");
    // CronJob names become Job names plus a suffix: 52 characters at most.
    check(
        is_dns_label(name) && name.len() <= 52,
        "metadata.name must be a DNS label of at most 52 characters",
    );
    let spec = &cronjob["spec"];
    check(
        spec["schedule"].as_str().is_some_and(is_cron_schedule),
        "spec.schedule must be a five-field cron schedule",
    );
    check(
        spec["concurrencyPolicy"] == "Forbid",
        "spec.concurrencyPolicy must be Forbid (runs never pile up)",
    );
    let pod = &spec["jobTemplate"]["spec"]["template"]["spec"];
    check(
        matches!(pod["restartPolicy"].as_str(), Some("Never" | "OnFailure")),
        "the pod's restartPolicy must be Never or OnFailure (a Job's pods may not use Always)",
    );
    let containers = pod["containers"].as_array().cloned().unwrap_or_default();
    check(containers.len() == 1, "one container");
    let Some(container) = containers.first() else {
        return problems;
    };
    check(
        container["image"]
            .as_str()
            .is_some_and(|image| image.contains(':') && !image.ends_with(":latest")),
        "the image must be pinned to a tag",
    );
    let env = container["env"].as_array().cloned().unwrap_or_default();
    let find = |name: &str| env.iter().find(|item| item["name"] == name);

    // The key: from the Secret and key the SpinApp reads internal_api_key from.
    let key_ref = find("INTERNAL_API_KEY").map(|item| &item["valueFrom"]["secretKeyRef"]);
    let key_source = key_ref.map(|r| {
        (
            r["name"].as_str().unwrap_or("").to_owned(),
            r["key"].as_str().unwrap_or("").to_owned(),
        )
    });
    let app_key_sources: Vec<(String, String)> = spinapps
        .iter()
        .flat_map(|app| spinapp_variables(&app.value))
        .filter(|(variable, _)| variable == "internal_api_key")
        .filter_map(|(_, source)| match source {
            VariableSource::Secret { name, key } => Some((name, key)),
            _ => None,
        })
        .collect();
    check(
        key_source
            .as_ref()
            .is_some_and(|source| app_key_sources.contains(source)),
        "INTERNAL_API_KEY must come from the Secret and key the SpinApp's internal_api_key uses",
    );
    check(
        key_source.as_ref().is_some_and(|(name, _)| {
            secrets
                .iter()
                .any(|secret| secret.value["metadata"]["name"] == name.as_str())
        }),
        "the key's Secret must have an example manifest in the directory",
    );

    // The URL: the flush path on the Service of a SpinApp that runs auth.
    let url = find("FLUSH_URL")
        .and_then(|item| item["value"].as_str())
        .unwrap_or("");
    let host = url
        .strip_prefix("http://")
        .and_then(|rest| rest.split_once('/'))
        .map(|(host, path)| (host, format!("/{path}")));
    let serves_auth = |app: &&&Document| {
        app.value["spec"]["components"]
            .as_array()
            .is_none_or(|components| components.iter().any(|c| c == "auth"))
    };
    check(
        host.as_ref().is_some_and(|(host, path)| {
            path == "/auth/outbox/flush"
                && spinapps
                    .iter()
                    .filter(serves_auth)
                    .any(|app| app.value["metadata"]["name"] == *host)
        }),
        "FLUSH_URL must be http://<a SpinApp running auth>/auth/outbox/flush",
    );

    // The call: POST with the key header, failing on an error status.
    let command: Vec<String> = ["command", "args"]
        .iter()
        .flat_map(|field| container[*field].as_array().cloned().unwrap_or_default())
        .filter_map(|part| part.as_str().map(str::to_owned))
        .collect();
    let script = command.join(" ");
    // The key reaches curl on its standard input, as a config line, so
    // that no process's command line holds it.
    check(
        script.contains("-X POST")
            && script.contains(r#"printf 'header = "X-Internal-Key: %s"\n' "$INTERNAL_API_KEY" |"#)
            && script.contains("--config -")
            && script.contains("$FLUSH_URL")
            && script.contains("--fail")
            && !script.contains("-H "),
        "the container must POST to $FLUSH_URL with --fail, the X-Internal-Key header given on curl's standard input from $INTERNAL_API_KEY",
    );
    problems
}

fn is_dns_label(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

/// Five fields, each `*`, `*/n`, a number in range, or a list or range of
/// them (minute, hour, day of month, month, day of week).
fn is_cron_schedule(schedule: &str) -> bool {
    const RANGES: [(u32, u32); 5] = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)];
    let fields: Vec<&str> = schedule.split_whitespace().collect();
    fields.len() == 5
        && fields.iter().zip(RANGES).all(|(field, (low, high))| {
            field.split(',').all(|part| {
                let (base, step) = match part.split_once('/') {
                    Some((base, step)) => (base, Some(step)),
                    None => (part, None),
                };
                let step_ok = step.is_none_or(|s| s.parse::<u32>().is_ok_and(|s| s >= 1));
                let in_range =
                    |text: &str| text.parse::<u32>().is_ok_and(|n| (low..=high).contains(&n));
                let base_ok = base == "*"
                    || in_range(base)
                    || base
                        .split_once('-')
                        .is_some_and(|(a, b)| in_range(a) && in_range(b));
                step_ok && base_ok
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cron_schedules() {
        for good in ["* * * * *", "*/2 * * * *", "0 3 * * 1-5", "5,35 * * * *"] {
            assert!(is_cron_schedule(good), "{good}");
        }
        for bad in [
            "* * * *",
            "60 * * * *",
            "*/0 * * * *",
            "every minute",
            "* * * * * *",
        ] {
            assert!(!is_cron_schedule(bad), "{bad}");
        }
    }
}
