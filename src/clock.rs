//! Timestamps as Retort writes them: UTC, RFC 3339, milliseconds (`2026-11-26T07:00:00.000Z`).

pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
