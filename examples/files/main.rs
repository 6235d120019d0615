//! File uploads and downloads: `Files.Upload` takes a `multipart/form-data` body
//! (a text part `name`, a file part `file`, up to 32 MiB by the route's own limit)
//! and keeps the file in memory; `Files.UploadStream` takes the same form as a
//! stream of `kratos.api.FormChunk` (up to 1 GiB), writing the file to the
//! directory `files.dir` (default: a temp directory) while hashing it, so the
//! server holds a few chunks whatever the file's size; `Files.Download` streams a
//! stored file back as raw `google.api.HttpBody` chunks with its media type and
//! `Content-Disposition`. Over gRPC the same messages travel as protobuf.
//!
//! ```text
//! cargo run --example files -- -conf examples/files/configs
//! curl -F name=report.pdf -F file=@report.pdf http://127.0.0.1:8000/v1/files          # {"name":..,"size":..,"sha256":..}
//! curl -F name=disk.iso -F file=@disk.iso http://127.0.0.1:8000/v1/files:stream       # streamed to files.dir
//! curl -OJ http://127.0.0.1:8000/v1/files/report.pdf                                  # saved as report.pdf
//! ```

mod store;

use std::path::PathBuf;
use std::sync::Arc;

use kratos::Streaming;
use kratos::prelude::*;
use kratos::proto::{FilePart, FormChunk, HttpBody};
use sha2::{Digest, Sha256};

use store::{Store, Stored};

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
    /// Stores the `file` part under `name` as the form streams in, on disk.
    #[route(post = "/v1/files:stream", max_body = "1GiB")]
    async fn upload_stream(&self, req: Streaming<FormChunk>) -> kratos::Result<UploadReply>;
    /// Answers a stored file as an attachment, in chunks.
    #[route(get = "/v1/files/{name}")]
    async fn download(
        &self,
        ctx: &Context,
        req: DownloadRequest,
    ) -> kratos::Result<Streaming<HttpBody>>;
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

/// The longest `name` part a streamed upload takes: the form's other parts are
/// read as they come, and only the file may be large.
const MAX_NAME: usize = 1024;

/// The file store.
pub struct FilesImpl {
    store: Arc<Store>,
}

impl Files for FilesImpl {
    async fn upload(&self, req: UploadRequest) -> kratos::Result<UploadReply> {
        let mut parts = req.file;
        if req.name.is_empty() || parts.len() != 1 {
            return Err(FilesError::BadUpload.into());
        }
        let part = parts.remove(0);
        let sha256 = store::hex(&Sha256::digest(&part.data));
        let size = part.data.len() as u64;
        self.store.insert(
            req.name.clone(),
            Stored::Memory {
                content_type: part.content_type,
                data: Arc::new(part.data),
            },
        );
        Ok(UploadReply {
            name: req.name,
            size,
            sha256,
        })
    }

    async fn upload_stream(&self, mut req: Streaming<FormChunk>) -> kratos::Result<UploadReply> {
        let mut name: Vec<u8> = Vec::new();
        // The file part's index, media type and writer, from its first chunk on.
        let mut file: Option<(u32, String, store::Writer)> = None;
        while let Some(chunk) = req.message().await? {
            match (chunk.name.as_str(), chunk.filename.is_empty()) {
                ("name", true) => {
                    name.extend_from_slice(&chunk.data);
                    if name.len() > MAX_NAME {
                        return Err(FilesError::BadUpload.into());
                    }
                }
                ("file", false) => {
                    if file.is_none() {
                        let writer = self.store.create().await?;
                        file = Some((chunk.part, chunk.content_type, writer));
                    }
                    match &mut file {
                        Some((part, _, writer)) if *part == chunk.part => {
                            writer.write(chunk.data).await?
                        }
                        // A second file part.
                        _ => return Err(FilesError::BadUpload.into()),
                    }
                }
                _ => return Err(FilesError::BadUpload.into()),
            }
        }
        let name = String::from_utf8(name).map_err(|_| FilesError::BadUpload)?;
        let Some((_, content_type, writer)) = file.filter(|_| !name.is_empty()) else {
            return Err(FilesError::BadUpload.into());
        };
        let (path, size, sha256) = writer.finish().await?;
        self.store
            .insert(name.clone(), Stored::Disk { content_type, path });
        Ok(UploadReply { name, size, sha256 })
    }

    async fn download(
        &self,
        ctx: &Context,
        req: DownloadRequest,
    ) -> kratos::Result<Streaming<HttpBody>> {
        let stored = self.store.get(&req.name).ok_or(FilesError::NotFound {
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
        store::chunks(stored)
    }
}

#[kratos::main]
async fn main(app: AppBuilder) -> kratos::Result<App> {
    let dir: Option<PathBuf> = app.loaded_config().get("files.dir")?;
    let dir = dir.unwrap_or_else(store::default_dir);
    let store = Store::new(dir.clone()).map_err(|e| {
        Error::internal_server("CONFIG", format!("files.dir {}: {e}", dir.display()))
    })?;
    let files = FilesImpl {
        store: Arc::new(store),
    };
    Ok(app.service(FilesServer::new(files)).build())
}
