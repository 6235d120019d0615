//! Where the files example keeps what it is sent: small uploads in memory, streamed
//! ones in files under the `files.dir` directory, written and hashed as they
//! arrive and read back in chunks, so neither direction holds a whole file. File
//! work runs on tokio's blocking threads, never on the threads serving calls.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use kratos::Streaming;
use kratos::prelude::*;
use kratos::proto::HttpBody;
use sha2::{Digest, Sha256};

/// The bytes of one download chunk.
const CHUNK: usize = 64 * 1024;

/// One stored file.
pub(crate) enum Stored {
    /// An upload bound whole (`Upload`).
    Memory {
        /// Its media type.
        content_type: String,
        /// Its bytes.
        data: Arc<Vec<u8>>,
    },
    /// A streamed upload (`UploadStream`), on disk.
    Disk {
        /// Its media type.
        content_type: String,
        /// The file holding it.
        path: PathBuf,
    },
}

impl Drop for Stored {
    fn drop(&mut self) {
        // A name uploaded again replaces its file: the old one goes with its entry.
        if let Stored::Disk { path, .. } = self {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// The stored files by name, and the directory streamed ones go to.
pub(crate) struct Store {
    files: Mutex<HashMap<String, Arc<Stored>>>,
    dir: PathBuf,
    next: AtomicU64,
}

impl Store {
    /// A store writing streamed uploads under `dir` (created if missing).
    pub(crate) fn new(dir: PathBuf) -> std::io::Result<Self> {
        std::fs::create_dir_all(&dir)?;
        Ok(Store {
            files: Mutex::default(),
            dir,
            next: AtomicU64::new(0),
        })
    }

    /// Keeps `stored` under `name`, replacing what was there.
    pub(crate) fn insert(&self, name: String, stored: Stored) {
        self.files
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(name, Arc::new(stored));
    }

    /// The file stored under `name`.
    pub(crate) fn get(&self, name: &str) -> Option<Arc<Stored>> {
        self.files
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
            .cloned()
    }

    /// A new file in the directory for one streamed upload.
    pub(crate) async fn create(&self) -> Result<Writer, Error> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let path = self.dir.join(format!("upload-{}-{n}", std::process::id()));
        let create = path.clone();
        let file = blocking(move || File::create(&create)).await?;
        Ok(Writer {
            state: Some((file, Sha256::new())),
            path: Some(path),
            size: 0,
        })
    }
}

/// A streamed upload being written: removed if dropped before [`Writer::finish`].
pub(crate) struct Writer {
    state: Option<(File, Sha256)>,
    path: Option<PathBuf>,
    size: u64,
}

impl Writer {
    /// Appends `data` to the file and to the hash.
    pub(crate) async fn write(&mut self, data: Vec<u8>) -> Result<(), Error> {
        let (mut file, mut hash) = self.state.take().ok_or_else(write_failed)?;
        self.size += data.len() as u64;
        let state = blocking(move || {
            hash.update(&data);
            file.write_all(&data).map(|()| (file, hash))
        })
        .await?;
        self.state = Some(state);
        Ok(())
    }

    /// The written file's path, size and SHA-256 (lowercase hex), kept from now on.
    pub(crate) async fn finish(mut self) -> Result<(PathBuf, u64, String), Error> {
        let (file, hash) = self.state.take().ok_or_else(write_failed)?;
        blocking(move || file.sync_all()).await?;
        let sha256 = hex(&hash.finalize());
        let path = self.path.take().ok_or_else(write_failed)?;
        Ok((path, self.size, sha256))
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        if let Some(path) = self.path.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Streams `stored` as HttpBody chunks of at most [`CHUNK`] bytes, each read
/// when the previous one has been taken: a file is never held whole.
pub(crate) fn chunks(stored: Arc<Stored>) -> Result<Streaming<HttpBody>, Error> {
    let (sender, stream) = Streaming::channel(2);
    let content_type = match &*stored {
        Stored::Memory { content_type, .. } | Stored::Disk { content_type, .. } => {
            content_type.clone()
        }
    };
    let mut source: Box<dyn Read + Send> = match &*stored {
        Stored::Memory { data, .. } => Box::new(std::io::Cursor::new(Shared(data.clone()))),
        Stored::Disk { path, .. } => Box::new(File::open(path).map_err(io_error)?),
    };
    let runtime = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        // The entry is kept alive while it is read, even if replaced meanwhile.
        let _stored = stored;
        loop {
            let mut data = vec![0; CHUNK];
            let n = match read_full(&mut *source, &mut data) {
                Ok(n) => n,
                Err(e) => {
                    let _ = runtime.block_on(sender.fail(io_error(e)));
                    return;
                }
            };
            if n == 0 {
                return;
            }
            data.truncate(n);
            let chunk = HttpBody {
                content_type: content_type.clone(),
                data,
            };
            // The caller went away: stop reading.
            if runtime.block_on(sender.send(chunk)).is_err() {
                return;
            }
        }
    });
    Ok(stream)
}

/// Reads until `buf` is full or the source ends; the bytes read.
fn read_full(source: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match source.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// An in-memory file shared with its entry, as bytes a `Cursor` reads.
struct Shared(Arc<Vec<u8>>);

impl AsRef<[u8]> for Shared {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// Lowercase hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The directory streamed uploads go to when `files.dir` names none.
pub(crate) fn default_dir() -> PathBuf {
    std::env::temp_dir().join("kratos-files")
}

/// Runs file work `f` on a blocking thread.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> Result<T, Error> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::internal_server("STORE", e.to_string()))?
        .map_err(io_error)
}

fn io_error(e: std::io::Error) -> Error {
    Error::internal_server("STORE", format!("file store: {e}"))
}

fn write_failed() -> Error {
    Error::internal_server("STORE", "file store: an earlier write failed")
}
