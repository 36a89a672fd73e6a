//! The layout of the common-password table file, shared by the build script
//! that writes it (`build.rs` includes this file) and the lookup that reads
//! it, so the two cannot disagree.
//!
//! [`BUCKETS`] records of [`BUCKET_BYTES`] each. A password belongs in the
//! record numbered by the FNV-1a hash of its bytes modulo [`BUCKETS`]; a
//! record is [`TAG`], its number (u32, little-endian), then its passwords
//! separated by `\n`, padded with zero bytes. So a lookup reads one record
//! at a known offset, and a file of another layout fails the tag or number
//! check instead of answering wrongly.

/// The file's name, beside the built component and where it is mounted.
pub const FILE_NAME: &str = "common-passwords.bin";
pub const BUCKETS: u32 = 1024;
/// The fullest record of the current list takes 1,143 bytes with its header.
pub const BUCKET_BYTES: usize = 1536;
pub const TAG: &[u8; 4] = b"cpw1";
const HEADER_BYTES: usize = 8;

/// The record `password` belongs in.
pub fn bucket_of(password: &[u8]) -> u32 {
    let hash = password
        .iter()
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, &byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        });
    u32::try_from(hash % u64::from(BUCKETS)).expect("less than BUCKETS")
}

/// Where record `bucket` starts.
pub fn offset_of(bucket: u32) -> u64 {
    u64::from(bucket) * BUCKET_BYTES as u64
}

/// Whether `record`, read as record number `bucket`, lists `password`; an
/// error when it is not such a record.
pub fn record_lists(record: &[u8], bucket: u32, password: &[u8]) -> Result<bool, String> {
    let header = record
        .get(..HEADER_BYTES)
        .ok_or("a record shorter than its header")?;
    if &header[..4] != TAG || header[4..] != bucket.to_le_bytes() {
        return Err(format!("record {bucket} is not where the layout puts it"));
    }
    let body = &record[HEADER_BYTES..];
    let end = body
        .iter()
        .position(|&byte| byte == 0)
        .unwrap_or(body.len());
    Ok(!password.is_empty()
        && body[..end]
            .split(|&byte| byte == b'\n')
            .any(|p| p == password))
}

/// The file for `list`, or why `list` does not fit the layout.
pub fn build(list: &[String]) -> Result<Vec<u8>, String> {
    let mut buckets = vec![Vec::<&[u8]>::new(); BUCKETS as usize];
    for password in list {
        let bytes = password.as_bytes();
        if bytes.is_empty() || bytes.contains(&b'\n') || bytes.contains(&0) {
            return Err(format!("{password:?} cannot be a line of the table"));
        }
        buckets[bucket_of(bytes) as usize].push(bytes);
    }
    let mut file = Vec::with_capacity(BUCKETS as usize * BUCKET_BYTES);
    for (number, passwords) in (0..BUCKETS).zip(&buckets) {
        let start = file.len();
        file.extend_from_slice(TAG);
        file.extend_from_slice(&number.to_le_bytes());
        file.extend_from_slice(&passwords.join(&b'\n'));
        if file.len() - start > BUCKET_BYTES {
            return Err(format!(
                "record {number} takes {} bytes, over BUCKET_BYTES ({BUCKET_BYTES}): raise it",
                file.len() - start
            ));
        }
        file.resize(start + BUCKET_BYTES, 0);
    }
    Ok(file)
}
