//! The media library's files behind one small interface, with two stores
//! from `object_store`: a local folder, or an S3-compatible bucket that
//! several `serve` processes share. Every call runs on the store's own
//! small runtime, so it behaves the same when asked from the server's
//! threads, from a blocking thread (a picture being processed) or from the
//! importer's plain thread, and a slow bucket never holds a server thread.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::ops::Range;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures_util::stream::BoxStream;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as Key;
use object_store::prefix::PrefixStore;
use object_store::{
    ClientOptions, GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutPayload, RetryConfig,
};

use crate::config::{BucketLocation, MediaLocation};

/// Files up to this size are read in one go; larger ones are streamed.
const READ_WHOLE_UP_TO: u64 = 4 * 1024 * 1024;
/// Files up to this size are kept in memory once served...
const KEEP_FILES_UP_TO: usize = 1024 * 1024;
/// ...up to this many bytes in all...
const KEEP_BYTES: usize = 16 * 1024 * 1024;
/// ...for this long. A file never changes under its name (an upload gets a
/// new one), so the copy is only let go to make room and to notice a file
/// removed by hand.
const KEEP_FOR: Duration = Duration::from_secs(300);

#[derive(Debug, thiserror::Error)]
pub enum MediaStoreError {
    #[error("cannot open the media store {location}: {reason}")]
    Open { location: String, reason: String },
    #[error("{0:?} is not a path in the media store")]
    BadPath(String),
    #[error("the media store failed: {0}")]
    Store(#[from] object_store::Error),
    #[error("the media store has stopped")]
    Stopped,
}

/// The media store; cheap to clone.
#[derive(Clone)]
pub struct MediaStore {
    store: Arc<dyn ObjectStore>,
    io: Arc<IoRuntime>,
    location: String,
    recent: Arc<Mutex<Recent>>,
}

/// Small files served lately, oldest first out.
#[derive(Default)]
struct Recent {
    files: HashMap<String, Kept>,
    order: VecDeque<String>,
    bytes: usize,
}

#[derive(Clone)]
struct Kept {
    bytes: Bytes,
    e_tag: Option<String>,
    last_modified: DateTime<Utc>,
    since: Instant,
}

impl Recent {
    fn get(&self, path: &str) -> Option<Kept> {
        self.files
            .get(path)
            .filter(|kept| kept.since.elapsed() < KEEP_FOR)
            .cloned()
    }

    fn keep(&mut self, path: &str, kept: Kept) {
        if kept.bytes.len() > KEEP_FILES_UP_TO {
            return;
        }
        self.forget(path);
        while self.bytes + kept.bytes.len() > KEEP_BYTES {
            let Some(oldest) = self.order.pop_front() else {
                break;
            };
            if let Some(gone) = self.files.remove(&oldest) {
                self.bytes -= gone.bytes.len();
            }
        }
        self.bytes += kept.bytes.len();
        self.order.push_back(path.to_owned());
        self.files.insert(path.to_owned(), kept);
    }

    fn forget(&mut self, path: &str) {
        if let Some(gone) = self.files.remove(path) {
            self.bytes -= gone.bytes.len();
            self.order.retain(|kept| kept != path);
        }
    }
}

impl Kept {
    fn answer(self, want: Want) -> Fetched {
        let size = self.bytes.len() as u64;
        let range = match want.range.map(|asked| asked.within(size)) {
            None => 0..size,
            Some(Some(range)) => range,
            Some(None) => return Fetched::Unsatisfiable { size },
        };
        let body = if want.head {
            Body::Nothing
        } else {
            Body::Whole(self.bytes.slice(range.start as usize..range.end as usize))
        };
        Fetched::Found(Found {
            size,
            partial: range != (0..size),
            range,
            e_tag: self.e_tag,
            last_modified: self.last_modified,
            body,
        })
    }
}

impl std::fmt::Debug for MediaStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MediaStore({})", self.location)
    }
}

/// The store's runtime; let go without waiting when the last clone goes
/// (which may happen on a server thread, where waiting is not allowed).
struct IoRuntime {
    runtime: Option<tokio::runtime::Runtime>,
    handle: tokio::runtime::Handle,
}

impl Drop for IoRuntime {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// What a request asks of a file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Want {
    /// `HEAD`: everything but the bytes.
    pub head: bool,
    pub range: Option<ByteRange>,
}

/// One range of an HTTP `Range: bytes=…` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteRange {
    /// `bytes=first-last`, both included.
    FromTo(u64, u64),
    /// `bytes=first-`
    From(u64),
    /// `bytes=-count`: the last `count` bytes.
    Last(u64),
}

impl ByteRange {
    /// A header asking for exactly one range; `None` for anything else
    /// (several ranges, other units, nonsense), which is served whole.
    pub fn parse(header: &str) -> Option<ByteRange> {
        let spec = header.trim().strip_prefix("bytes=")?.trim();
        if spec.contains(',') {
            return None;
        }
        let (first, last) = spec.split_once('-')?;
        let number = |text: &str| -> Option<u64> {
            let text = text.trim();
            (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
                .then(|| text.parse().ok())
                .flatten()
        };
        match (first.trim().is_empty(), last.trim().is_empty()) {
            (true, false) => number(last).map(ByteRange::Last),
            (false, true) => number(first).map(ByteRange::From),
            (false, false) => {
                let (first, last) = (number(first)?, number(last)?);
                (first <= last).then_some(ByteRange::FromTo(first, last))
            }
            (true, true) => None,
        }
    }

    /// The bytes this asks of a file of `size` bytes; `None` when it asks
    /// for none of them (`416`).
    pub fn within(self, size: u64) -> Option<Range<u64>> {
        let range = match self {
            ByteRange::FromTo(first, last) => first..last.saturating_add(1).min(size),
            ByteRange::From(first) => first..size,
            ByteRange::Last(count) => size.saturating_sub(count)..size,
        };
        (range.start < range.end).then_some(range)
    }
}

/// The answer to a `Want`.
pub enum Fetched {
    Missing,
    /// The range asked for lies outside the file.
    Unsatisfiable {
        size: u64,
    },
    Found(Found),
}

pub struct Found {
    /// The whole file's size.
    pub size: u64,
    /// The bytes `body` holds (all of them unless a range was asked for).
    pub range: Range<u64>,
    pub partial: bool,
    /// An HTTP entity tag, quoted.
    pub e_tag: Option<String>,
    pub last_modified: DateTime<Utc>,
    pub body: Body,
}

pub enum Body {
    /// `HEAD`.
    Nothing,
    Whole(Bytes),
    Stream(BoxStream<'static, Result<Bytes, object_store::Error>>),
}

impl MediaStore {
    pub fn open(location: &MediaLocation) -> Result<MediaStore, MediaStoreError> {
        let described = match location {
            MediaLocation::Folder(folder) => folder.display().to_string(),
            MediaLocation::Bucket(bucket) => format!("s3://{}/{}", bucket.bucket, bucket.prefix),
        };
        let failed = |reason: String| MediaStoreError::Open {
            location: described.clone(),
            reason,
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("media-store")
            .enable_all()
            .build()
            .map_err(|error| failed(error.to_string()))?;
        let _inside = runtime.enter();
        let store: Arc<dyn ObjectStore> = match location {
            MediaLocation::Folder(folder) => {
                std::fs::create_dir_all(folder).map_err(|error| failed(error.to_string()))?;
                Arc::new(
                    LocalFileSystem::new_with_prefix(folder)
                        .map_err(|error| failed(error.to_string()))?,
                )
            }
            MediaLocation::Bucket(bucket) => {
                bucket_store(bucket).map_err(|error| failed(error.to_string()))?
            }
        };
        drop(_inside);
        let handle = runtime.handle().clone();
        Ok(MediaStore {
            store,
            io: Arc::new(IoRuntime {
                runtime: Some(runtime),
                handle,
            }),
            location: described,
            recent: Arc::default(),
        })
    }

    /// Where the files are, for messages.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// Runs `work` on the store's runtime.
    async fn run<T, F>(
        &self,
        work: impl FnOnce(Arc<dyn ObjectStore>) -> F,
    ) -> Result<T, MediaStoreError>
    where
        T: Send + 'static,
        F: Future<Output = Result<T, MediaStoreError>> + Send + 'static,
    {
        self.io
            .handle
            .spawn(work(self.store.clone()))
            .await
            .map_err(|_| MediaStoreError::Stopped)?
    }

    /// Runs `work` on the store's runtime and waits for it: for threads
    /// that are not serving connections (the importer, blocking tasks).
    fn run_blocking<T, F>(
        &self,
        work: impl FnOnce(Arc<dyn ObjectStore>) -> F,
    ) -> Result<T, MediaStoreError>
    where
        T: Send + 'static,
        F: Future<Output = Result<T, MediaStoreError>> + Send + 'static,
    {
        // The work runs on the store's runtime; this thread only waits, so
        // it may be any thread at all.
        let (sender, receiver) = std::sync::mpsc::sync_channel(1);
        let work = work(self.store.clone());
        self.io.handle.spawn(async move {
            let _ = sender.send(work.await);
        });
        receiver.recv().map_err(|_| MediaStoreError::Stopped)?
    }

    /// Writes (or replaces) the file at `path`, whole or not at all.
    pub async fn put(&self, path: &str, bytes: Vec<u8>) -> Result<(), MediaStoreError> {
        let key = key(path)?;
        self.forget(path);
        self.run(|store| async move {
            store.put(&key, PutPayload::from(bytes)).await?;
            Ok(())
        })
        .await
    }

    pub fn put_blocking(&self, path: &str, bytes: Vec<u8>) -> Result<(), MediaStoreError> {
        let key = key(path)?;
        self.forget(path);
        self.run_blocking(|store| async move {
            store.put(&key, PutPayload::from(bytes)).await?;
            Ok(())
        })
    }

    pub async fn exists(&self, path: &str) -> Result<bool, MediaStoreError> {
        let key = key(path)?;
        self.run(|store| async move { exists(&store, &key).await })
            .await
    }

    pub fn exists_blocking(&self, path: &str) -> Result<bool, MediaStoreError> {
        let key = key(path)?;
        self.run_blocking(|store| async move { exists(&store, &key).await })
    }

    /// Every file's path, for backups.
    pub fn list_blocking(&self) -> Result<Vec<String>, MediaStoreError> {
        self.run_blocking(|store| async move {
            use futures_util::TryStreamExt;
            let mut paths: Vec<String> = store
                .list(None)
                .map_ok(|meta| meta.location.to_string())
                .try_collect()
                .await?;
            paths.sort();
            Ok(paths)
        })
    }

    /// The whole file, waiting for it (for backups).
    pub fn read_blocking(&self, path: &str) -> Result<Option<Bytes>, MediaStoreError> {
        let key = key(path)?;
        self.run_blocking(|store| async move { read(&store, &key).await })
    }

    /// The whole file, or `None` when there is none.
    pub async fn read(&self, path: &str) -> Result<Option<Bytes>, MediaStoreError> {
        let key = key(path)?;
        self.run(|store| async move { read(&store, &key).await })
            .await
    }

    /// The file at `path` as a request wants it. Small files come whole;
    /// large ones as a stream read while the response is sent.
    pub async fn fetch(&self, path: &str, want: Want) -> Result<Fetched, MediaStoreError> {
        if let Some(kept) = self.recent().get(path) {
            return Ok(kept.answer(want));
        }
        let Ok(key) = key(path) else {
            return Ok(Fetched::Missing);
        };
        let fetched = self
            .run(move |store| async move { fetch(&store, &key, want).await })
            .await?;
        if let Fetched::Found(Found {
            body: Body::Whole(bytes),
            partial: false,
            e_tag,
            last_modified,
            ..
        }) = &fetched
        {
            let kept = Kept {
                bytes: bytes.clone(),
                e_tag: e_tag.clone(),
                last_modified: *last_modified,
                since: Instant::now(),
            };
            self.recent().keep(path, kept);
        }
        Ok(fetched)
    }

    fn recent(&self) -> std::sync::MutexGuard<'_, Recent> {
        self.recent.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn forget(&self, path: &str) {
        self.recent().forget(path);
    }
}
async fn read(store: &Arc<dyn ObjectStore>, key: &Key) -> Result<Option<Bytes>, MediaStoreError> {
    match store.get(key).await {
        Ok(found) => Ok(Some(found.bytes().await?)),
        Err(object_store::Error::NotFound { .. }) => Ok(None),
        Err(error) => Err(error.into()),
    }
}

async fn exists(store: &Arc<dyn ObjectStore>, key: &Key) -> Result<bool, MediaStoreError> {
    match store.head(key).await {
        Ok(_) => Ok(true),
        Err(object_store::Error::NotFound { .. }) => Ok(false),
        Err(error) => Err(error.into()),
    }
}

async fn fetch(
    store: &Arc<dyn ObjectStore>,
    key: &Key,
    want: Want,
) -> Result<Fetched, MediaStoreError> {
    let not_found =
        |error: &object_store::Error| matches!(error, object_store::Error::NotFound { .. });
    // A range needs the size first (ranges are rare: video, PDF).
    let range = match want.range {
        None => None,
        Some(asked) => {
            let meta = match store.head(key).await {
                Ok(meta) => meta,
                Err(error) if not_found(&error) => return Ok(Fetched::Missing),
                Err(error) => return Err(error.into()),
            };
            match asked.within(meta.size) {
                Some(range) if range != (0..meta.size) => Some(range),
                Some(_) => None,
                None => return Ok(Fetched::Unsatisfiable { size: meta.size }),
            }
        }
    };
    let options = GetOptions {
        head: want.head,
        range: range.clone().map(GetRange::Bounded),
        ..GetOptions::default()
    };
    let result = match store.get_opts(key, options).await {
        Ok(result) => result,
        Err(error) if not_found(&error) => return Ok(Fetched::Missing),
        Err(error) => return Err(error.into()),
    };
    let meta = result.meta.clone();
    let bytes_range = if want.head {
        range.clone().unwrap_or(0..meta.size)
    } else {
        result.range.clone()
    };
    let body = if want.head {
        Body::Nothing
    } else if bytes_range.end - bytes_range.start <= READ_WHOLE_UP_TO {
        Body::Whole(result.bytes().await?)
    } else {
        Body::Stream(result.into_stream())
    };
    Ok(Fetched::Found(Found {
        size: meta.size,
        partial: range.is_some(),
        range: bytes_range,
        e_tag: meta
            .e_tag
            .map(|tag| format!("\"{}\"", tag.trim_matches('"'))),
        last_modified: meta.last_modified,
        body,
    }))
}

/// A media path as the store's key; `..`, empty and odd segments refused.
fn key(path: &str) -> Result<Key, MediaStoreError> {
    Key::parse(path).map_err(|_| MediaStoreError::BadPath(path.to_owned()))
}

fn bucket_store(bucket: &BucketLocation) -> Result<Arc<dyn ObjectStore>, object_store::Error> {
    // Unset values come from the usual AWS sources (environment, instance
    // credentials); a slow or absent bucket fails a request in seconds.
    let mut builder = AmazonS3Builder::from_env()
        .with_bucket_name(&bucket.bucket)
        .with_retry(RetryConfig {
            max_retries: 2,
            retry_timeout: Duration::from_secs(5),
            ..RetryConfig::default()
        })
        .with_client_options(
            ClientOptions::new()
                .with_connect_timeout(Duration::from_secs(3))
                .with_timeout(Duration::from_secs(60)),
        );
    if let Some(endpoint) = &bucket.endpoint {
        builder = builder
            .with_endpoint(endpoint)
            .with_allow_http(endpoint.starts_with("http://"));
    }
    if let Some(region) = &bucket.region {
        builder = builder.with_region(region);
    }
    if let Some(key) = &bucket.access_key_id {
        builder = builder.with_access_key_id(key);
    }
    if let Some(secret) = &bucket.secret_access_key {
        builder = builder.with_secret_access_key(secret);
    }
    if let Some(token) = &bucket.session_token {
        builder = builder.with_token(token);
    }
    let store = builder.build()?;
    Ok(if bucket.prefix.is_empty() {
        Arc::new(store)
    } else {
        Arc::new(PrefixStore::new(store, bucket.prefix.as_str()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_range_is_understood_and_anything_else_is_served_whole() {
        assert_eq!(
            ByteRange::parse("bytes=0-99"),
            Some(ByteRange::FromTo(0, 99))
        );
        assert_eq!(ByteRange::parse("bytes=100-"), Some(ByteRange::From(100)));
        assert_eq!(ByteRange::parse("bytes=-500"), Some(ByteRange::Last(500)));
        for whole in [
            "bytes=0-1,5-9",
            "items=0-1",
            "bytes=9-1",
            "bytes=-",
            "bytes=a-b",
            "bytes=+1-2",
        ] {
            assert_eq!(ByteRange::parse(whole), None, "{whole}");
        }
    }

    #[test]
    fn a_range_is_cut_to_the_file() {
        assert_eq!(ByteRange::FromTo(0, 99).within(1000), Some(0..100));
        assert_eq!(ByteRange::FromTo(900, 5000).within(1000), Some(900..1000));
        assert_eq!(ByteRange::From(1000).within(1000), None);
        assert_eq!(ByteRange::Last(5000).within(1000), Some(0..1000));
        assert_eq!(ByteRange::Last(0).within(1000), None);
        assert_eq!(ByteRange::From(0).within(0), None);
    }

    #[test]
    fn keys_stay_inside_the_store() {
        assert!(key("2023/03/x-ray.jpg").is_ok());
        assert!(key("2023/../../etc/passwd").is_err());
        assert!(key("2023//x.jpg").is_err());
    }

    /// (status-like summary, bytes) of an answer.
    fn summary(fetched: Fetched) -> (String, Vec<u8>) {
        match fetched {
            Fetched::Missing => ("missing".into(), Vec::new()),
            Fetched::Unsatisfiable { size } => (format!("416 of {size}"), Vec::new()),
            Fetched::Found(found) => {
                let bytes = match found.body {
                    Body::Whole(bytes) => bytes.to_vec(),
                    Body::Nothing => Vec::new(),
                    Body::Stream(_) => panic!("small files come whole"),
                };
                let what = format!(
                    "{} {:?}/{} {}",
                    if found.partial { 206 } else { 200 },
                    found.range,
                    found.size,
                    found.e_tag.is_some()
                );
                (what, bytes)
            }
        }
    }

    #[test]
    fn the_store_and_the_kept_copy_answer_alike() {
        let folder = tempfile::tempdir().unwrap();
        let store = MediaStore::open(&MediaLocation::Folder(folder.path().to_owned())).unwrap();
        let content: Vec<u8> = (0..100).collect();
        store
            .put_blocking("2024/05/a.jpg", content.clone())
            .unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let ask = |want: Want| {
            summary(
                runtime
                    .block_on(store.fetch("2024/05/a.jpg", want))
                    .unwrap(),
            )
        };
        let wants = [
            Want {
                head: false,
                range: Some(ByteRange::FromTo(10, 19)),
            },
            Want {
                head: true,
                range: Some(ByteRange::Last(5)),
            },
            Want {
                head: false,
                range: Some(ByteRange::From(100)),
            },
            Want {
                head: true,
                range: None,
            },
            Want {
                head: false,
                range: Some(ByteRange::From(0)),
            },
        ];
        // Before the file is kept, from the store itself.
        let from_store: Vec<_> = wants.iter().map(|want| ask(*want)).collect();
        assert_eq!(
            from_store[0],
            ("206 10..20/100 true".into(), content[10..20].to_vec())
        );
        assert_eq!(from_store[1], ("206 95..100/100 true".into(), Vec::new()));
        assert_eq!(from_store[2].0, "416 of 100");
        assert_eq!(from_store[3], ("200 0..100/100 true".into(), Vec::new()));
        assert_eq!(
            from_store[4],
            ("200 0..100/100 true".into(), content.clone())
        );
        // The whole file was served, so it is kept: the same answers.
        assert_eq!(store.recent().files.len(), 1);
        let from_memory: Vec<_> = wants.iter().map(|want| ask(*want)).collect();
        assert_eq!(from_memory, from_store);
        // Writing it again lets the copy go.
        store.put_blocking("2024/05/a.jpg", vec![1, 2, 3]).unwrap();
        assert_eq!(ask(Want::default()).1, vec![1, 2, 3]);
        assert_eq!(
            summary(
                runtime
                    .block_on(store.fetch("2024/05/none.jpg", Want::default()))
                    .unwrap()
            )
            .0,
            "missing"
        );
    }

    #[test]
    fn kept_files_make_room_oldest_first() {
        let mut recent = Recent::default();
        let kept = |size: usize| Kept {
            bytes: Bytes::from(vec![0; size]),
            e_tag: None,
            last_modified: Utc::now(),
            since: Instant::now(),
        };
        for index in 0..20 {
            recent.keep(&format!("{index}.jpg"), kept(KEEP_FILES_UP_TO));
        }
        assert_eq!(recent.bytes, KEEP_BYTES);
        assert!(recent.get("0.jpg").is_none() && recent.get("3.jpg").is_none());
        assert!(recent.get("4.jpg").is_some() && recent.get("19.jpg").is_some());
        recent.keep("big.mp4", kept(KEEP_FILES_UP_TO + 1));
        assert!(recent.get("big.mp4").is_none(), "large files are not kept");
        recent.forget("19.jpg");
        assert_eq!(recent.bytes, KEEP_BYTES - KEEP_FILES_UP_TO);
    }

    #[test]
    fn a_folder_store_keeps_what_it_is_given_from_any_thread() {
        let folder = tempfile::tempdir().unwrap();
        let store =
            MediaStore::open(&MediaLocation::Folder(folder.path().join("uploads"))).unwrap();
        store
            .put_blocking("2024/05/a.png", b"png".to_vec())
            .unwrap();
        assert!(store.exists_blocking("2024/05/a.png").unwrap());
        assert!(!store.exists_blocking("2024/05/b.png").unwrap());
        assert_eq!(
            std::fs::read(folder.path().join("uploads/2024/05/a.png")).unwrap(),
            b"png"
        );
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let read = runtime.block_on(store.read("2024/05/a.png")).unwrap();
        assert_eq!(read.as_deref(), Some(&b"png"[..]));
        drop(runtime);
        drop(store);
    }
}
