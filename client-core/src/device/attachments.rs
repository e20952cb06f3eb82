//! Evidence attachments on a device: upload a file as sealed chunks and attach it
//! to an entry; fetch one back, checked, to a file. Both stream: memory stays at a
//! few chunks whatever the file's size. See [`crate::format::attachment`] for the format.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use futures_util::StreamExt;
use mycase_proto::v1::PutChunkRequest;
use sha2::{Digest, Sha256};
use tokio_stream::wrappers::ReceiverStream;

use crate::crypto::kdf::{ATTACHMENTS, BLOB_ADDRESS};
use crate::format::attachment::{
    chunk_count, digest_reader, guess_media_type, nonce_prefix, open_chunk, read_full, seal_chunk,
    ChunkError, ChunkFormat, CHUNK_SIZE,
};
use crate::ids::{new_id, EntryId};
use crate::journal::{ops, AttachmentView};
use crate::store::LocalStore;
use crate::transport::{Transport, TransportError};
use crate::{Device, DeviceError};

/// Addresses per HaveChunks or GetChunks call (the server's limit).
const ADDRESS_BATCH: usize = 4096;
/// Sealed chunks waiting for the network: bounds memory during an upload.
const UPLOAD_QUEUE: usize = 2;

/// Why attaching, uploading or fetching an attachment failed.
#[derive(Debug, thiserror::Error)]
pub enum AttachmentError {
    /// The device failed (store, journal, server refusal).
    #[error(transparent)]
    Device(#[from] DeviceError),
    /// Talking to the server failed.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// No entry has that id.
    #[error("the entry does not exist")]
    NoSuchEntry,
    /// The entry has no attachment with that name or id.
    #[error("the entry has no attachment called that")]
    NoSuchAttachment,
    /// More than one attachment of the entry matches the name.
    #[error("several attachments of the entry match; use the attachment id")]
    Ambiguous,
    /// The file to attach could not be read.
    #[error("could not read the file: {0}")]
    Read(#[source] std::io::Error),
    /// The fetched file could not be written.
    #[error("could not write the file: {0}")]
    Write(#[source] std::io::Error),
    /// The target file exists; nothing is overwritten.
    #[error("{0} already exists; refusing to overwrite it")]
    Exists(PathBuf),
    /// The file changed between hashing and sealing it.
    #[error("the file changed while it was being attached; try again")]
    FileChanged,
    /// The file is larger than an attachment may be.
    #[error("the file is too large")]
    TooLarge,
    /// The journal's description of the attachment does not decode.
    #[error("the attachment's description in the journal is malformed")]
    BadMetadata,
    /// The attachment uses a chunk format this version does not know.
    #[error("the attachment was stored by a newer version of MyCase: update MyCase to open it")]
    UnknownFormat,
    /// A chunk did not open (wrong key, altered, out of place).
    #[error(transparent)]
    Chunk(#[from] ChunkError),
    /// The server sent another chunk than the one asked for.
    #[error("the server sent a chunk other than the one asked for (chunk {index}): chunks were swapped or reordered")]
    WrongChunk {
        /// The chunk asked for.
        index: u64,
    },
    /// The server sent fewer chunks than the attachment has.
    #[error("the attachment is truncated: the server sent {got} of {expected} chunks")]
    Truncated {
        /// Chunks received.
        got: u64,
        /// Chunks the attachment has.
        expected: u64,
    },
    /// A chunk is not the length its place in the file says.
    #[error("chunk {index} has the wrong length")]
    BadChunkLength {
        /// The chunk.
        index: u64,
    },
    /// The opened file's SHA-256 is not the one the journal recorded.
    #[error("the assembled file does not match its SHA-256: refusing it")]
    HashMismatch,
    /// The server says it did not store every chunk sent.
    #[error("the server did not store every chunk; try again")]
    Incomplete,
    /// The upload stream ended before every chunk was sent.
    #[error("the upload stopped before every chunk was sent")]
    UploadInterrupted,
}

/// What `attach_file` did.
#[derive(Clone, Debug)]
pub struct AttachOutcome {
    /// The new attachment's id within its entry.
    pub attachment_id: [u8; 16],
    /// The plaintext size in bytes.
    pub size: u64,
    /// How many sealed chunks it was stored as.
    pub chunk_count: u64,
    /// Chunks sent in this call.
    pub uploaded_chunks: u64,
    /// Chunks the server already held (dedup within the account, or resume).
    pub skipped_chunks: u64,
}

/// Keys of one file under one epoch.
struct FileKeys {
    key: zeroize::Zeroizing<[u8; 32]>,
    prefix: [u8; 19],
    addresses: Vec<[u8; 32]>,
}

impl<S: LocalStore> Device<S> {
    fn file_keys(
        &self,
        epoch: u32,
        sha256: &[u8; 32],
        count: u64,
        format: ChunkFormat,
    ) -> Result<FileKeys, DeviceError> {
        let vault = self.secrets.keyring.get(epoch)?;
        let key = format.file_key(&vault.subkey(ATTACHMENTS), sha256);
        let prefix = nonce_prefix(&key);
        let address_key = vault.subkey(BLOB_ADDRESS);
        let addresses = (0..count)
            .map(|i| format.chunk_address(&address_key, sha256, i))
            .collect();
        Ok(FileKeys {
            key,
            prefix,
            addresses,
        })
    }

    /// Uploads the file at `path` and attaches it to `entry_id`, then syncs.
    ///
    /// Pass 1 hashes the file; pass 2 seals and streams the chunks the server does
    /// not already hold (dedup, and resume after an interruption). The journal
    /// operation is written only once every chunk is stored. `progress(done,
    /// total)` counts bytes of the file sent or found already stored.
    pub async fn attach_file<T: Transport>(
        &mut self,
        transport: &T,
        entry_id: EntryId,
        path: &Path,
        progress: impl FnMut(u64, u64),
    ) -> Result<AttachOutcome, AttachmentError> {
        let out = self
            .attach_unsynced(
                transport,
                entry_id,
                &file_name_of(path),
                || File::open(path),
                progress,
            )
            .await?;
        self.sync_round(transport).await?;
        Ok(out)
    }

    /// Uploads the file `open` reads (each call reading it from the start: it is
    /// read twice, to hash and to seal) under the name `name`, and attaches it to
    /// `entry_id`, without syncing the journal operation: the caller's sync sends
    /// it. Every chunk is stored on the server before the operation is committed,
    /// so a failure leaves the journal as it was.
    pub async fn attach_unsynced<T: Transport, R: Read + Seek>(
        &mut self,
        transport: &T,
        entry_id: EntryId,
        name: &str,
        open: impl Fn() -> std::io::Result<R>,
        mut progress: impl FnMut(u64, u64),
    ) -> Result<AttachOutcome, AttachmentError> {
        if self.journal.entry(&entry_id).is_none() {
            return Err(AttachmentError::NoSuchEntry);
        }
        let name = name.to_owned();
        let media_type = guess_media_type(&name).to_string();

        let digest =
            digest_reader(open().map_err(AttachmentError::Read)?).map_err(AttachmentError::Read)?;
        let (sha256, size) = (digest.sha256, digest.size);
        let count = chunk_count(size, CHUNK_SIZE as u32);
        if digest.chunk_sha256.len() as u64 != count {
            return Err(AttachmentError::FileChanged);
        }
        if count > u64::from(u32::MAX) {
            return Err(AttachmentError::TooLarge);
        }
        let (epoch, _) = self.secrets.keyring.current().map_err(DeviceError::from)?;
        let format = ChunkFormat::CURRENT;
        let keys = self.file_keys(epoch, &sha256, count, format)?;

        self.authenticate(transport).await?;
        let present = have_all(transport, &keys.addresses).await?;
        let missing: Vec<u64> = (0..count).filter(|i| !present[*i as usize]).collect();
        let chunk_len = |i: u64| -> u64 {
            size.saturating_sub(i * CHUNK_SIZE as u64)
                .min(CHUNK_SIZE as u64)
        };
        let mut done: u64 = (0..count)
            .filter(|i| present[*i as usize])
            .map(chunk_len)
            .sum();
        progress(done, size);

        if !missing.is_empty() {
            let (tx, rx) = tokio::sync::mpsc::channel(UPLOAD_QUEUE);
            let upload = transport.put_chunks(ReceiverStream::new(rx));
            let produce = async {
                let mut file = open().map_err(AttachmentError::Read)?;
                let mut buf = vec![0u8; CHUNK_SIZE];
                let mut at = 0u64;
                for &i in &missing {
                    let offset = i * CHUNK_SIZE as u64;
                    if at != offset {
                        file.seek(SeekFrom::Start(offset))
                            .map_err(AttachmentError::Read)?;
                    }
                    let want = chunk_len(i) as usize;
                    let n =
                        read_full(&mut file, &mut buf[..want]).map_err(AttachmentError::Read)?;
                    if n != want
                        || <[u8; 32]>::from(Sha256::digest(&buf[..n]))
                            != digest.chunk_sha256[i as usize]
                    {
                        return Err(AttachmentError::FileChanged);
                    }
                    at = offset + n as u64;
                    let last = i + 1 == count;
                    // The last chunk is padded, so its size does not give the file's away.
                    let padded;
                    let plain = if last {
                        padded = format.last_chunk_plaintext(&buf[..n], CHUNK_SIZE);
                        &padded[..]
                    } else {
                        &buf[..n]
                    };
                    let sealed = seal_chunk(&keys.key, &keys.prefix, i as u32, last, plain);
                    let req = PutChunkRequest {
                        address: keys.addresses[i as usize].to_vec(),
                        sealed,
                    };
                    if tx.send(req).await.is_err() {
                        return Err(AttachmentError::UploadInterrupted);
                    }
                    done += n as u64;
                    progress(done, size);
                }
                // The stream ends when the sender is dropped.
                drop(tx);
                // Nothing more than the hashed length: the file must not have grown.
                let mut probe = [0u8; 1];
                file.seek(SeekFrom::Start(size))
                    .map_err(AttachmentError::Read)?;
                if file.read(&mut probe).map_err(AttachmentError::Read)? != 0 {
                    return Err(AttachmentError::FileChanged);
                }
                Ok(())
            };
            let (produced, uploaded) = tokio::join!(produce, upload);
            // A server refusal explains a stopped producer, so report it first.
            uploaded?;
            produced?;
            // Every chunk durably stored before the journal refers to it.
            if have_all(transport, &keys.addresses)
                .await?
                .iter()
                .any(|p| !p)
            {
                return Err(AttachmentError::Incomplete);
            }
        }

        let attachment_id = new_id();
        let meta = ops::AttachmentMeta {
            attachment_id,
            name,
            media_type,
            size,
            sha256,
            chunk_size: CHUNK_SIZE as u32,
            chunk_count: count,
            key_epoch: epoch,
            chunk_format: format.to_wire(),
        };
        self.commit(vec![ops::attachment_added(entry_id, meta)])?;
        Ok(AttachOutcome {
            attachment_id,
            size,
            chunk_count: count,
            uploaded_chunks: missing.len() as u64,
            skipped_chunks: count - missing.len() as u64,
        })
    }

    /// The attachment of `entry_id` named `name_or_id` (its file name, or its
    /// attachment id in hex).
    pub fn find_attachment(
        &self,
        entry_id: &EntryId,
        name_or_id: &str,
    ) -> Result<AttachmentView, AttachmentError> {
        let entry = self
            .journal
            .entry(entry_id)
            .ok_or(AttachmentError::NoSuchEntry)?;
        let by_id: Vec<&AttachmentView> = entry
            .attachments
            .iter()
            .filter(|a| hex::encode(a.attachment_id) == name_or_id.to_ascii_lowercase())
            .collect();
        if let [one] = by_id.as_slice() {
            return Ok((*one).clone());
        }
        let by_name: Vec<&AttachmentView> = entry
            .attachments
            .iter()
            .filter(|a| a.name == name_or_id)
            .collect();
        match by_name.as_slice() {
            [] => Err(AttachmentError::NoSuchAttachment),
            [first, rest @ ..] if rest.iter().all(|a| a.sha256 == first.sha256) => {
                Ok((*first).clone())
            }
            _ => Err(AttachmentError::Ambiguous),
        }
    }

    /// Downloads an attachment to `out_path` (a file, or a directory to write it
    /// into under its own name). Every chunk and the whole file's SHA-256 are
    /// checked; the bytes go to a temporary file beside the destination, renamed
    /// only once complete, so a failure never leaves partial content under the
    /// final name. Refuses to overwrite an existing file. Returns the path written.
    pub async fn get_attachment<T: Transport>(
        &self,
        transport: &T,
        entry_id: EntryId,
        name_or_id: &str,
        out_path: &Path,
        mut progress: impl FnMut(u64, u64),
    ) -> Result<PathBuf, AttachmentError> {
        let att = self.find_attachment(&entry_id, name_or_id)?;
        let target = if out_path.is_dir() {
            let own = Path::new(&att.name)
                .file_name()
                .map(|n| n.to_os_string())
                .unwrap_or_else(|| "attachment".into());
            out_path.join(own)
        } else {
            out_path.to_path_buf()
        };
        if target.exists() {
            return Err(AttachmentError::Exists(target));
        }
        let dir = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let mut temp = tempfile::Builder::new()
            .prefix(".mycase-")
            .suffix(".partial")
            .tempfile_in(&dir)
            .map_err(AttachmentError::Write)?;

        self.download(
            transport,
            &att,
            |plain| temp.write_all(plain).map_err(AttachmentError::Write),
            &mut progress,
        )
        .await?;
        temp.as_file().sync_all().map_err(AttachmentError::Write)?;
        temp.persist_noclobber(&target).map_err(|e| {
            if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                AttachmentError::Exists(target.clone())
            } else {
                AttachmentError::Write(e.error)
            }
        })?;
        if let Ok(d) = File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(target)
    }

    /// An attachment's bytes in memory (for a share bundle, which is sealed
    /// whole), checked like [`Device::get_attachment`]; never written to disk.
    pub async fn attachment_bytes<T: Transport>(
        &self,
        transport: &T,
        att: &AttachmentView,
    ) -> Result<zeroize::Zeroizing<Vec<u8>>, AttachmentError> {
        let mut bytes = zeroize::Zeroizing::new(Vec::new());
        self.download(
            transport,
            att,
            |plain| {
                bytes.extend_from_slice(plain);
                Ok(())
            },
            &mut |_, _| {},
        )
        .await?;
        Ok(bytes)
    }

    /// Fetches, opens and checks every chunk of `att` in order, handing the
    /// plaintext to `sink`; fails unless the whole file matches its SHA-256.
    async fn download<T: Transport>(
        &self,
        transport: &T,
        att: &AttachmentView,
        mut sink: impl FnMut(&[u8]) -> Result<(), AttachmentError>,
        progress: &mut impl FnMut(u64, u64),
    ) -> Result<(), AttachmentError> {
        let sha256: [u8; 32] = att
            .sha256
            .as_slice()
            .try_into()
            .map_err(|_| AttachmentError::BadMetadata)?;
        let chunk_size = u64::from(att.chunk_size);
        if chunk_size == 0
            || att.chunk_size as usize > CHUNK_SIZE
            || att.chunk_count != chunk_count(att.size, att.chunk_size)
            || att.chunk_count > u64::from(u32::MAX)
        {
            return Err(AttachmentError::BadMetadata);
        }
        let count = att.chunk_count;
        let format =
            ChunkFormat::from_wire(att.chunk_format).ok_or(AttachmentError::UnknownFormat)?;
        let keys = self.file_keys(att.key_epoch, &sha256, count, format)?;

        self.authenticate(transport).await?;
        let mut hasher = Sha256::new();
        let mut written = 0u64;
        progress(0, att.size);
        let mut index = 0u64;
        for batch in keys.addresses.chunks(ADDRESS_BATCH) {
            let asked: Vec<Vec<u8>> = batch.iter().map(|a| a.to_vec()).collect();
            let mut stream = transport.get_chunks(asked).await?;
            let batch_end = index + batch.len() as u64;
            while index < batch_end {
                let Some(item) = stream.next().await else {
                    return Err(AttachmentError::Truncated {
                        got: index,
                        expected: count,
                    });
                };
                let item = item?;
                if item.address.as_slice() != keys.addresses[index as usize] {
                    return Err(AttachmentError::WrongChunk { index });
                }
                let last = index + 1 == count;
                let plain = open_chunk(&keys.key, &keys.prefix, index as u32, last, &item.sealed)?;
                let expected_len = att.size.saturating_sub(index * chunk_size).min(chunk_size);
                let data = if last {
                    format.last_chunk_data(&plain, expected_len as usize, chunk_size as usize)
                } else {
                    (plain.len() as u64 == expected_len).then_some(&plain[..])
                }
                .ok_or(AttachmentError::BadChunkLength { index })?;
                hasher.update(data);
                sink(data)?;
                written += data.len() as u64;
                progress(written, att.size);
                index += 1;
            }
        }
        if <[u8; 32]>::from(hasher.finalize()) != sha256 || written != att.size {
            return Err(AttachmentError::HashMismatch);
        }
        Ok(())
    }
}

/// The name a file is attached under: its own file name, without the folders.
fn file_name_of(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "attachment".into())
}

/// HaveChunks over any number of addresses, in batches.
async fn have_all<T: Transport>(
    transport: &T,
    addresses: &[[u8; 32]],
) -> Result<Vec<bool>, AttachmentError> {
    let mut present = Vec::with_capacity(addresses.len());
    for batch in addresses.chunks(ADDRESS_BATCH) {
        let answer = transport
            .have_chunks(batch.iter().map(|a| a.to_vec()).collect())
            .await?;
        if answer.len() != batch.len() {
            return Err(AttachmentError::Transport(TransportError::server_broken(
                "the server answered HaveChunks for a different number of chunks",
            )));
        }
        present.extend(answer);
    }
    Ok(present)
}
