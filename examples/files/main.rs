//! File uploads and downloads: `Files.Upload` takes a `multipart/form-data` body
//! (a text part `name`, a file part `file`, up to 32 MiB by the route's own limit)
//! and keeps the file in memory; `Files.Download` answers it as a raw
//! `google.api.HttpBody` with its media type and `Content-Disposition`. Over gRPC
//! the same messages travel as protobuf.
//!
//! ```text
//! cargo run --example files -- -conf examples/files/configs
//! curl -F name=report.pdf -F file=@report.pdf http://127.0.0.1:8000/v1/files   # {"name":..,"size":..,"sha256":..}
//! curl -OJ http://127.0.0.1:8000/v1/files/report.pdf                           # saved as report.pdf
//! ```

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use kratos::prelude::*;
use kratos::proto::{FilePart, HttpBody};
use sha2::{Digest, Sha256};

/// The request of `Upload`.
#[kratos::message]
pub struct UploadRequest {
    /// The name to store the file under.
    pub name: String,
    /// The file.
    pub file: Vec<FilePart>,
}

/// The reply of `Upload`: what was stored.
#[kratos::message]
pub struct UploadReply {
    /// The name it is stored under.
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its SHA-256, lowercase hex.
    pub sha256: String,
}

/// The request of `Download`.
#[kratos::message]
pub struct DownloadRequest {
    /// The stored file's name.
    pub name: String,
}

/// Stores files and serves them back.
#[kratos::service(package = "files.v1")]
pub trait Files {
    /// Stores the `file` part under `name`.
    #[route(post = "/v1/files", body = "*", max_body = "32MiB")]
    async fn upload(&self, req: UploadRequest) -> kratos::Result<UploadReply>;
    /// Answers a stored file as an attachment.
    #[route(get = "/v1/files/{name}")]
    async fn download(&self, ctx: &Context, req: DownloadRequest) -> kratos::Result<HttpBody>;
}

/// The errors of the file store.
#[kratos::error_code]
pub enum FilesError {
    /// No file has this name.
    #[code(404)]
    #[error("no file named {name}")]
    NotFound {
        /// The name asked for.
        name: String,
    },
    /// The upload lacks its name or its file.
    #[code(400)]
    #[error("an upload needs a `name` and exactly one `file` part")]
    BadUpload,
}

/// One stored file.
struct Stored {
    content_type: String,
    data: Vec<u8>,
}

/// The in-memory store.
#[derive(Default)]
pub struct FilesImpl {
    files: Arc<Mutex<HashMap<String, Arc<Stored>>>>,
}

impl Files for FilesImpl {
    async fn upload(&self, req: UploadRequest) -> kratos::Result<UploadReply> {
        let mut parts = req.file;
        if req.name.is_empty() || parts.len() != 1 {
            return Err(FilesError::BadUpload.into());
        }
        let part = parts.remove(0);
        let sha256: String = Sha256::digest(&part.data)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let size = part.data.len() as u64;
        let stored = Stored {
            content_type: part.content_type,
            data: part.data,
        };
        self.files
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(req.name.clone(), Arc::new(stored));
        Ok(UploadReply {
            name: req.name,
            size,
            sha256,
        })
    }

    async fn download(&self, ctx: &Context, req: DownloadRequest) -> kratos::Result<HttpBody> {
        let stored = self
            .files
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&req.name)
            .cloned()
            .ok_or(FilesError::NotFound {
                name: req.name.clone(),
            })?;
        // The name goes in a quoted string: drop what would end it.
        let safe: String = req
            .name
            .chars()
            .filter(|c| !matches!(c, '"' | '\\') && !c.is_control())
            .collect();
        ctx.set_reply_header(
            "content-disposition",
            &format!("attachment; filename=\"{safe}\""),
        )?;
        Ok(HttpBody {
            content_type: stored.content_type.clone(),
            data: stored.data.clone(),
        })
    }
}

#[kratos::main]
async fn main(app: AppBuilder) -> kratos::Result<App> {
    Ok(app.service(FilesServer::new(FilesImpl::default())).build())
}
