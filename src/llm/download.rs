//! `retort models fetch URL`: any GGUF over HTTP(S) into the models directory. The file grows as
//! `NAME.part` and is renamed only when whole, checked (GGUF signature, and the SHA-256 digest
//! when given); an interrupted download resumes where it stopped (HTTP Range).

use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    #[error("{0}")]
    Request(String),
    #[error("{url} answered {status}; check the address (and, for a gated model, its access token)")]
    Status { url: String, status: u16 },
    #[error("the download stopped after {received} bytes ({reason}); run the same command again to resume from there")]
    Interrupted { received: u64, reason: String },
    #[error(
        "{url} does not serve a GGUF model (the file starts with {start:?}); use the link to the .gguf file itself"
    )]
    NotGguf { url: String, start: String },
    #[error("the SHA-256 of the download is {actual}, not {expected}; the file was removed")]
    Digest { expected: String, actual: String },
    #[error("{path}: {source}")]
    File { path: PathBuf, source: std::io::Error },
}

/// What happened to the bytes, for a progress bar: (received so far, total if known).
pub type Progress<'a> = &'a (dyn Fn(u64, Option<u64>) + Sync);

/// The file name a URL names: its last path segment without query or fragment.
pub fn file_name(url: &str) -> Option<String> {
    let path = url.split(['?', '#']).next()?;
    let name = path.rsplit('/').next()?.trim();
    (!name.is_empty() && !name.contains(':')).then(|| name.to_string())
}

/// Downloads `url` to `target`, resuming `target.part` if an earlier attempt left one.
pub async fn download(
    client: &reqwest::Client,
    url: &str,
    target: &Path,
    sha256: Option<&str>,
    progress: Progress<'_>,
) -> Result<PathBuf, DownloadError> {
    let part = part_path(target);
    let mut have = std::fs::metadata(&part).map(|m| m.len()).unwrap_or(0);
    let mut request = client.get(url);
    if have > 0 {
        request = request.header(reqwest::header::RANGE, format!("bytes={have}-"));
    }
    let response = request
        .send()
        .await
        .map_err(|e| DownloadError::Request(format!("cannot reach {url}: {e}")))?;
    let status = response.status().as_u16();
    let resuming = match status {
        206 => true,
        416 if have > 0 => return finish(url, &part, target, sha256),
        200 => false,
        _ => {
            return Err(DownloadError::Status {
                url: url.into(),
                status,
            });
        }
    };
    if !resuming {
        have = 0;
    }
    let total = response.content_length().map(|len| len + have);
    let mut file = open_part(&part, resuming)?;
    let mut checked = have >= 4;
    let mut stream = response.bytes_stream();
    progress(have, total);
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| DownloadError::Interrupted {
            received: have,
            reason: e.to_string(),
        })?;
        if !checked {
            checked = true;
            refuse_unless_gguf(url, &chunk, &part)?;
        }
        file.write_all(&chunk).map_err(|e| file_error(&part, e))?;
        have += chunk.len() as u64;
        if have > crate::net::BodyLimit::Model.bytes() as u64 {
            return Err(DownloadError::Request(format!(
                "{url} sent more than {} bytes, more than any model; stopped",
                crate::net::BodyLimit::Model.bytes()
            )));
        }
        progress(have, total);
    }
    file.sync_all().map_err(|e| file_error(&part, e))?;
    if let Some(total) = total.filter(|t| have < *t) {
        return Err(DownloadError::Interrupted {
            received: have,
            reason: format!("{total} bytes expected"),
        });
    }
    finish(url, &part, target, sha256)
}

fn part_path(target: &Path) -> PathBuf {
    let mut name = target.file_name().unwrap_or_default().to_os_string();
    name.push(".part");
    target.with_file_name(name)
}

fn open_part(part: &Path, append: bool) -> Result<std::fs::File, DownloadError> {
    if let Some(dir) = part.parent() {
        std::fs::create_dir_all(dir).map_err(|e| file_error(dir, e))?;
    }
    std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .append(append)
        .truncate(!append)
        .open(part)
        .map_err(|e| file_error(part, e))
}

fn refuse_unless_gguf(url: &str, first: &[u8], part: &Path) -> Result<(), DownloadError> {
    if first.starts_with(b"GGUF") {
        return Ok(());
    }
    let _ = std::fs::remove_file(part);
    let start: String = String::from_utf8_lossy(&first[..first.len().min(24)]).into_owned();
    Err(DownloadError::NotGguf { url: url.into(), start })
}

/// Checks the whole file and moves it into place.
fn finish(url: &str, part: &Path, target: &Path, sha256: Option<&str>) -> Result<PathBuf, DownloadError> {
    let mut start = [0u8; 4];
    let mut file = std::fs::File::open(part).map_err(|e| file_error(part, e))?;
    let read = file.read(&mut start).map_err(|e| file_error(part, e))?;
    refuse_unless_gguf(url, &start[..read], part)?;
    if let Some(expected) = sha256 {
        let actual = file_sha256(part)?;
        if !actual.eq_ignore_ascii_case(expected.trim()) {
            let _ = std::fs::remove_file(part);
            return Err(DownloadError::Digest {
                expected: expected.trim().to_lowercase(),
                actual,
            });
        }
    }
    std::fs::rename(part, target).map_err(|e| file_error(target, e))?;
    Ok(target.to_path_buf())
}

/// The lowercase hex SHA-256 of a file, read in 1 MiB pieces.
pub fn file_sha256(path: &Path) -> Result<String, DownloadError> {
    let mut file = std::fs::File::open(path).map_err(|e| file_error(path, e))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buffer).map_err(|e| file_error(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

fn file_error(path: &Path, source: std::io::Error) -> DownloadError {
    DownloadError::File {
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_come_from_the_last_segment() {
        assert_eq!(
            file_name("https://hf.co/a/b/resolve/main/m.Q4_K_M.gguf?download=true").as_deref(),
            Some("m.Q4_K_M.gguf")
        );
        assert_eq!(file_name("http://127.0.0.1:9/x.gguf#f").as_deref(), Some("x.gguf"));
        assert_eq!(file_name("http://host/"), None);
        assert_eq!(file_name("http://host:80"), None);
    }

    #[test]
    fn the_part_file_sits_beside_the_target() {
        assert_eq!(part_path(Path::new("/m/a.gguf")), Path::new("/m/a.gguf.part"));
    }
}
