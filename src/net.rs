//! What every HTTP client of Retort shares, because servers are not trusted: TLS by rustls with
//! ring, installed once per process; redirects followed only within the origin asked (a request
//! carries the API key, and a redirect to another origin would hand it over); bodies read up to a
//! cap per kind of response; a server's text with the key blotted out before anything else sees it.

use futures_util::{Stream, StreamExt};
use std::time::Duration;

/// The most bytes read from one response, by what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyLimit {
    /// A completion (the longest answer a model writes, with log-probabilities: well under this).
    Reply,
    /// A listing (`/models`, `/lora-adapters`, a page of events or jobs) or one API object.
    Listing,
    /// An error body: only its message is wanted.
    Error,
    /// A model file (`retort models fetch`): the largest GGUF a workstation would load.
    Model,
    /// A batch service's output or error file: answers to up to 50,000 requests.
    BatchFile,
}

impl BodyLimit {
    pub fn bytes(self) -> usize {
        match self {
            BodyLimit::Reply => 32 << 20,
            BodyLimit::Listing => 8 << 20,
            BodyLimit::Error => 1 << 20,
            BodyLimit::Model => 1 << 40,
            BodyLimit::BatchFile => 4 << 30,
        }
    }
}

/// Reading a body went wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    #[error("the reply from {url} is larger than {limit} bytes; refused")]
    TooLarge { url: String, limit: usize },
    #[error("the reply from {url} broke off: {detail}")]
    Broken { url: String, detail: String },
}

/// A builder for every HTTP client Retort makes (see the module's doc).
pub fn client() -> reqwest::ClientBuilder {
    static PROVIDER: std::sync::Once = std::sync::Once::new();
    PROVIDER.call_once(|| {
        // Err: a provider is already installed (by a test harness or a library); it is used.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    reqwest::Client::builder()
        .redirect(same_origin_redirects())
        .connect_timeout(Duration::from_secs(10))
}

/// A client for downloads that carry no credentials (`retort models fetch URL`): model hosts
/// redirect to their storage, so redirects are followed (ten at most), as a browser would.
pub fn download_client() -> reqwest::ClientBuilder {
    client().redirect(reqwest::redirect::Policy::limited(10))
}

/// Follows at most five redirects, each to the origin first asked; any other stops, and the
/// redirect itself comes back to the caller (see [`redirect_target`]).
fn same_origin_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let first = attempt.previous().first().map(reqwest::Url::origin);
        if attempt.previous().len() > 5 || first.as_ref() != Some(&attempt.url().origin()) {
            attempt.stop()
        } else {
            attempt.follow()
        }
    })
}

/// Where a redirect that was not followed points, if `response` is one.
pub fn redirect_target(response: &reqwest::Response) -> Option<String> {
    if !response.status().is_redirection() {
        return None;
    }
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).to_string())
        .unwrap_or_else(|| "(no Location)".into());
    Some(crate::foreign::one_line(&location, 200))
}

/// The message for a redirect Retort did not follow.
pub fn redirect_message(url: &str, location: &str) -> String {
    format!(
        "{url} redirected to {location}, another origin; Retort sends no credentials there and follows no such redirect: set the URL to the server that answers"
    )
}

/// The body of `response` as text (lossy UTF-8), at most `limit`'s bytes, with `secret` blotted out.
pub async fn read_text(
    response: reqwest::Response,
    url: &str,
    limit: BodyLimit,
    secret: Option<&str>,
) -> Result<String, BodyError> {
    let max = limit.bytes();
    if response.content_length().is_some_and(|n| n > max as u64) {
        return Err(BodyError::TooLarge {
            url: url.to_string(),
            limit: max,
        });
    }
    let mut body = Vec::new();
    let mut chunks = std::pin::pin!(capped(response, url, limit));
    while let Some(chunk) = chunks.next().await {
        body.extend_from_slice(&chunk?);
    }
    let text = String::from_utf8_lossy(&body);
    Ok(crate::foreign::redact(&text, secret).into_owned())
}

/// The body of `response` as a stream of chunks that fails once more than `limit`'s bytes came.
pub fn capped(
    response: reqwest::Response,
    url: &str,
    limit: BodyLimit,
) -> impl Stream<Item = Result<bytes::Bytes, BodyError>> + use<> {
    let url = url.to_string();
    let max = limit.bytes();
    let mut seen = 0usize;
    response.bytes_stream().map(move |chunk| {
        let chunk = chunk.map_err(|e| BodyError::Broken {
            url: url.clone(),
            detail: e.to_string(),
        })?;
        seen += chunk.len();
        if seen > max {
            return Err(BodyError::TooLarge {
                url: url.clone(),
                limit: max,
            });
        }
        Ok(chunk)
    })
}
