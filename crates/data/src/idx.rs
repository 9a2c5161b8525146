//! IDX files (the MNIST format), raw or gzip-compressed: a big-endian u32 magic number
//! `0x0000_08_nd` (`08` = unsigned bytes, `nd` = number of dimensions), `nd` big-endian u32
//! sizes, then the bytes row-major. Every check says exactly what is wrong and in which file.

use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;

use flate2::Compression;
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;

use crate::error::DataError;

/// The IDX type code for unsigned bytes, the only element type MNIST uses.
const UBYTE: u8 = 0x08;
/// The first two bytes of every gzip stream.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// A stack of `count` images of `rows x cols` u8 pixels, row-major.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdxImages {
    pub count: usize,
    pub rows: usize,
    pub cols: usize,
    pub pixels: Vec<u8>,
}

/// Reads a 3-dimensional u8 IDX file (magic `0x00000803`), raw or `.gz`.
pub fn read_idx_images(path: &Path) -> Result<IdxImages, DataError> {
    let bytes = read_maybe_gzip(path)?;
    let (dims, data_start) = parse_header(path, &bytes, 3, "images")?;
    let (count, rows, cols) = (dims[0], dims[1], dims[2]);
    if rows == 0 || cols == 0 {
        return Err(DataError::format(
            path,
            format!("image size {rows} x {cols} is empty"),
        ));
    }
    let mut pixels = bytes;
    pixels.drain(..data_start);
    Ok(IdxImages {
        count,
        rows,
        cols,
        pixels,
    })
}

/// Reads a 1-dimensional u8 IDX file (magic `0x00000801`), raw or `.gz`.
pub fn read_idx_labels(path: &Path) -> Result<Vec<u8>, DataError> {
    let bytes = read_maybe_gzip(path)?;
    let (_, data_start) = parse_header(path, &bytes, 1, "labels")?;
    let mut labels = bytes;
    labels.drain(..data_start);
    Ok(labels)
}

/// Writes a u8 IDX file with the given dimensions, gzip-compressed when `gzip` is set.
///
/// # Panics
/// If `data.len()` is not the product of `dims`, or a dimension does not fit in a u32.
pub fn write_idx(path: &Path, dims: &[usize], data: &[u8], gzip: bool) -> std::io::Result<()> {
    assert_eq!(
        dims.iter().product::<usize>(),
        data.len(),
        "IDX data must fill the dimensions"
    );
    let mut bytes = vec![
        0,
        0,
        UBYTE,
        u8::try_from(dims.len()).expect("at most 255 dimensions"),
    ];
    for &d in dims {
        bytes.extend_from_slice(
            &u32::try_from(d)
                .expect("dimension fits in u32")
                .to_be_bytes(),
        );
    }
    bytes.extend_from_slice(data);
    let file = File::create(path)?;
    if gzip {
        let mut encoder = GzEncoder::new(file, Compression::fast());
        encoder.write_all(&bytes)?;
        encoder.finish()?.sync_all()
    } else {
        let mut file = file;
        file.write_all(&bytes)
    }
}

/// The whole file, decompressed when it starts with the gzip magic bytes.
fn read_maybe_gzip(path: &Path) -> Result<Vec<u8>, DataError> {
    let mut raw = Vec::new();
    File::open(path)
        .and_then(|mut f| f.read_to_end(&mut raw))
        .map_err(|e| DataError::io(path, e))?;
    if !raw.starts_with(&GZIP_MAGIC) {
        return Ok(raw);
    }
    let mut out = Vec::with_capacity(raw.len() * 4);
    MultiGzDecoder::new(raw.as_slice())
        .read_to_end(&mut out)
        .map_err(|e| DataError::format(path, format!("corrupt or truncated gzip stream: {e}")))?;
    Ok(out)
}

/// Checks the magic number, reads the `ndims` sizes and checks that exactly their product of
/// bytes follows. Returns the sizes and the offset of the data.
fn parse_header(
    path: &Path,
    bytes: &[u8],
    ndims: usize,
    what: &str,
) -> Result<(Vec<usize>, usize), DataError> {
    let fail = |message: String| Err(DataError::format(path, message));
    let expected_magic = 0x0800 | ndims as u32;
    let Some(magic) = bytes.first_chunk::<4>() else {
        return fail(format!(
            "file is {} bytes long, too short for the 4-byte IDX magic number",
            bytes.len()
        ));
    };
    let magic = u32::from_be_bytes(*magic);
    if magic != expected_magic {
        let detail = if magic >> 16 != 0 {
            "not an IDX file (the first two bytes must be zero)".to_string()
        } else if (magic >> 8) & 0xff != u32::from(UBYTE) {
            format!(
                "element type 0x{:02x} is not unsigned byte (0x08)",
                (magic >> 8) & 0xff
            )
        } else {
            format!("{} dimensions where IDX {what} have {ndims}", magic & 0xff)
        };
        return fail(format!(
            "bad magic number 0x{magic:08x}, expected 0x{expected_magic:08x} for IDX {what}: {detail}"
        ));
    }
    let header_len = 4 + 4 * ndims;
    if bytes.len() < header_len {
        return fail(format!(
            "header truncated: {} bytes, but {ndims} dimensions need a {header_len}-byte header",
            bytes.len()
        ));
    }
    let dims: Vec<usize> = bytes[4..header_len]
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize)
        .collect();
    let shape = dims
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(" x ");
    let expected: usize = dims.iter().product();
    let found = bytes.len() - header_len;
    if found < expected {
        return fail(format!(
            "truncated: the header promises {shape} = {expected} bytes of data, but only {found} \
             follow the {header_len}-byte header"
        ));
    }
    if found > expected {
        return fail(format!(
            "{} unexpected trailing bytes after the {expected} bytes of data ({shape}) that the \
             header promises",
            found - expected
        ));
    }
    Ok((dims, header_len))
}
