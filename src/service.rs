//! An OpenAI-style REST API as the OpenAI SDKs speak it, shared by fine-tuning and batch
//! extraction (and so Azure OpenAI and other services with the same API): a key from an
//! environment variable that goes only into the `Authorization` header, JSON requests, multipart
//! uploads to `POST /files`, file contents streamed to disk under a cap, and typed errors that
//! carry the service's own message and never the key.

use serde_json::Value as Json;
use std::path::Path;
use std::time::Duration;

pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";
pub const DEFAULT_KEY_ENV: &str = "OPENAI_API_KEY";
const READ_TIMEOUT: Duration = Duration::from_secs(30);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// An upload or download of a large file may take this long.
const FILE_TIMEOUT: Duration = Duration::from_secs(1800);

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{var} is not set: export the API key of {base_url} in it (or name another variable with --api-key-env)")]
    NoKey { var: String, base_url: String },
    #[error("{url} refused the key in {var} ({status}): {message}")]
    BadKey {
        url: String,
        var: String,
        status: u16,
        message: String,
    },
    /// The service's own message, verbatim.
    #[error("{url} answered {status}: {message}")]
    Service { url: String, status: u16, message: String },
    #[error("{url}: {message}")]
    Transport { url: String, message: String },
    #[error("{url} answered something that is not a {what}: {message}")]
    Shape {
        url: String,
        what: &'static str,
        message: String,
    },
    #[error("{verb} {path}: {source}")]
    File {
        verb: &'static str,
        path: String,
        source: std::io::Error,
    },
    #[error("{}", crate::net::redirect_message(url, location))]
    Redirected { url: String, location: String },
    #[error("{url}: {source}")]
    Unprintable {
        url: String,
        source: crate::foreign::Unprintable,
    },
}

impl ApiError {
    /// Worth trying again later: the network, or the service busy or failing.
    pub fn is_transient(&self) -> bool {
        match self {
            ApiError::Transport { .. } => true,
            ApiError::Service { status, .. } => *status == 429 || *status >= 500,
            _ => false,
        }
    }

    fn file(verb: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> ApiError {
        let path = path.display().to_string();
        move |source| ApiError::File { verb, path, source }
    }
}

/// One service: its base URL and the key read from `key_env`.
pub struct Service {
    client: reqwest::Client,
    base_url: String,
    key_env: String,
    key: String,
}

impl Service {
    /// A client for `base_url` with the key in `key_env`; no key is an error naming both.
    pub fn new(base_url: &str, key_env: &str) -> Result<Service, ApiError> {
        let base_url = base_url.trim_end_matches('/').to_string();
        let key = std::env::var(key_env).ok().filter(|k| !k.trim().is_empty());
        let Some(key) = key else {
            return Err(ApiError::NoKey {
                var: key_env.to_string(),
                base_url,
            });
        };
        Ok(Service::with_key(&base_url, key_env, key))
    }

    /// A client for `base_url` with `key` (which came from `key_env`).
    pub fn with_key(base_url: &str, key_env: &str, key: String) -> Service {
        let base_url = base_url.trim_end_matches('/').to_string();
        // An object or a listing answers in seconds; a service that sends nothing for this long is
        // down, and the person waiting is told which host it was.
        let client = crate::net::client()
            .read_timeout(READ_TIMEOUT)
            .build()
            .expect("an HTTP client with a TLS provider builds");
        Service {
            client,
            base_url,
            key_env: key_env.to_string(),
            key,
        }
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// `GET base_url + path`, read as `what`.
    pub async fn get<T: serde::de::DeserializeOwned>(&self, path: &str, what: &'static str) -> Result<T, ApiError> {
        let url = self.url(path);
        let request = self.client.get(&url).bearer_auth(&self.key).timeout(REQUEST_TIMEOUT);
        self.send(request, &url, what).await
    }

    /// `POST base_url + path` with a JSON body (or none), read as `what`.
    pub async fn post<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        body: Option<&Json>,
        what: &'static str,
    ) -> Result<T, ApiError> {
        let url = self.url(path);
        let mut request = self.client.post(&url).bearer_auth(&self.key).timeout(REQUEST_TIMEOUT);
        if let Some(body) = body {
            request = request.json(body);
        }
        self.send(request, &url, what).await
    }

    /// Uploads a JSONL file for `purpose` (`fine-tune`, `batch`); its id comes back.
    pub async fn upload(&self, path: &Path, purpose: &str) -> Result<String, ApiError> {
        let bytes = std::fs::read(path).map_err(ApiError::file("reading", path))?;
        let name = path
            .file_name()
            .map_or("data.jsonl".into(), |n| n.to_string_lossy().to_string());
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(name)
            .mime_str("application/jsonl")
            .expect("a valid MIME type");
        let form = reqwest::multipart::Form::new()
            .text("purpose", purpose.to_string())
            .part("file", part);
        let url = self.url("/files");
        let request = self
            .client
            .post(&url)
            .bearer_auth(&self.key)
            .timeout(FILE_TIMEOUT)
            .multipart(form);
        let file: Json = self.send(request, &url, "file object").await?;
        let id = file
            .get("id")
            .and_then(Json::as_str)
            .ok_or_else(|| shape(&url, "file object", "no id"))?;
        plain(&url, id, "the file id")?;
        Ok(id.to_string())
    }

    /// A file's content (`GET /files/{id}/content`) written to `dest` whole or not at all, at
    /// most `limit` bytes.
    pub async fn download(&self, file_id: &str, dest: &Path, limit: crate::net::BodyLimit) -> Result<u64, ApiError> {
        use futures_util::StreamExt;
        use std::io::Write;
        let url = self.url(&format!("/files/{file_id}/content"));
        let request = self.client.get(&url).bearer_auth(&self.key).timeout(FILE_TIMEOUT);
        let response = self.checked(request, &url).await?;
        let mut file = crate::atomic::AtomicFile::create(dest).map_err(ApiError::file("writing", dest))?;
        let mut chunks = std::pin::pin!(crate::net::capped(response, &url, limit));
        let mut written = 0u64;
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk.map_err(|e| ApiError::Transport {
                url: url.clone(),
                message: e.to_string(),
            })?;
            file.write_all(&chunk).map_err(ApiError::file("writing", dest))?;
            written += chunk.len() as u64;
        }
        file.commit().map_err(ApiError::file("writing", dest))?;
        Ok(written)
    }

    async fn send<T: serde::de::DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
        url: &str,
        what: &'static str,
    ) -> Result<T, ApiError> {
        let response = self.checked(request, url).await?;
        let text = crate::net::read_text(response, url, crate::net::BodyLimit::Listing, Some(&self.key))
            .await
            .map_err(|e| ApiError::Transport {
                url: url.to_string(),
                message: e.to_string(),
            })?;
        serde_json::from_str(&text).map_err(|e| shape(url, what, &e.to_string()))
    }

    /// The response, once it is known to be a success that is not a redirect.
    async fn checked(&self, request: reqwest::RequestBuilder, url: &str) -> Result<reqwest::Response, ApiError> {
        let response = request.send().await.map_err(|e| ApiError::Transport {
            url: url.to_string(),
            message: transport_message(&e),
        })?;
        let status = response.status().as_u16();
        if let Some(location) = crate::net::redirect_target(&response) {
            return Err(ApiError::Redirected {
                url: url.to_string(),
                location,
            });
        }
        if (200..300).contains(&status) {
            return Ok(response);
        }
        let text = crate::net::read_text(response, url, crate::net::BodyLimit::Error, Some(&self.key))
            .await
            .unwrap_or_default();
        let message = service_message(&text);
        Err(if status == 401 || status == 403 {
            ApiError::BadKey {
                url: url.to_string(),
                var: self.key_env.clone(),
                status,
                message,
            }
        } else {
            ApiError::Service {
                url: url.to_string(),
                status,
                message,
            }
        })
    }
}

/// `value` from the service at `url`, refused when it holds control characters.
pub fn plain(url: &str, value: &str, what: &str) -> Result<(), ApiError> {
    crate::foreign::plain(value, what)
        .map(|_| ())
        .map_err(|source| ApiError::Unprintable {
            url: url.to_string(),
            source,
        })
}

pub fn shape(url: &str, what: &'static str, message: &str) -> ApiError {
    ApiError::Shape {
        url: url.to_string(),
        what,
        message: message.to_string(),
    }
}

/// The error's message as the service wrote it (`{"error": {"message"}}`), or its body.
fn service_message(body: &str) -> String {
    serde_json::from_str::<Json>(body)
        .ok()
        .and_then(|j| j.pointer("/error/message").and_then(Json::as_str).map(str::to_string))
        .map(|m| crate::foreign::one_line(&m, 500))
        .unwrap_or_else(|| crate::foreign::one_line(body, 500))
}

/// reqwest's error and its causes, without the URL (said beside it).
fn transport_message(error: &reqwest::Error) -> String {
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        message.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    message
}
