//! From the object's bytes to what they hold, by content, never by name: gzip (by magic bytes; a `.gz` name or
//! gzip encoding that is not gzip is an error), then a zip container (zip archives and `.xlsx` workbooks), an OLE
//! compound file (`.xls` workbooks, password-protected `.xlsx`), or text in some character set, streamed.
//!
//! UTF-16 with a byte-order mark and UTF-8 (with or without one) are read as such. A file whose first 64 KiB are
//! not UTF-8 is a legacy spreadsheet save: GB18030 when that makes a Rednote header appear, Windows-1252 (a
//! superset of Latin-1) otherwise. A UTF-8 file with a stray bad byte further down stays UTF-8, and only that row
//! is rejected.

use std::io::{self, BufRead, BufReader, Chain, Cursor, Read};

use encoding_rs_io::DecodeReaderBytesBuilder;
use flate2::bufread::MultiGzDecoder;

use crate::reader::find_header;
use crate::FileError;

/// How much of the start of a file is examined to choose a character set.
pub const SNIFF_BYTES: usize = 64 * 1024;

/// The character set a file was read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    /// UTF-8 (a BOM, if any, skipped).
    Utf8,
    /// UTF-16, little or big endian, by its BOM.
    Utf16,
    /// GB18030 (Chinese Windows "CSV").
    Gb18030,
    /// Windows-1252 / Latin-1.
    Windows1252,
}

/// What decoding found out about a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decoding {
    /// The object was gzip-compressed.
    pub gzip: bool,
    /// Its character set.
    pub charset: Charset,
    /// Bytes of BOM skipped before the text.
    pub bom_len: u64,
}

impl Decoding {
    /// True when a decoded byte offset plus `bom_len` is the same offset in the object, so a continuation can
    /// start with a ranged GET instead of reading the object again from the start.
    pub fn offsets_are_raw(&self) -> bool {
        !self.gzip && self.charset == Charset::Utf8
    }
}

/// A readable text stream (borrowing what it reads from for `'a`: a zip entry streams out of its archive).
pub type Text<'a> = Box<dyn Read + Send + 'a>;

/// What an object holds.
pub enum Content<'a> {
    /// Text, decoded to UTF-8 as it is read.
    Text(Text<'a>, Decoding),
    /// A zip container (a zip archive or an `.xlsx` workbook), read whole; `gzip` when it came gzip-compressed.
    Zip {
        /// Its bytes.
        bytes: Vec<u8>,
        /// It came inside gzip.
        gzip: bool,
    },
    /// An OLE compound file (an `.xls` workbook, or a password-protected `.xlsx`), read whole.
    Compound {
        /// Its bytes.
        bytes: Vec<u8>,
        /// It came inside gzip.
        gzip: bool,
    },
}

impl std::fmt::Debug for Content<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Content::Text(_, d) => write!(f, "Text({d:?})"),
            Content::Zip { bytes, .. } => write!(f, "Zip({} bytes)", bytes.len()),
            Content::Compound { bytes, .. } => write!(f, "Compound({} bytes)", bytes.len()),
        }
    }
}

/// The magic bytes of a zip's first entry, and of an empty zip (its end record alone).
const ZIP_MAGIC: [&[u8]; 2] = [b"PK\x03\x04", b"PK\x05\x06"];
/// The magic bytes of an OLE compound file.
const COMPOUND_MAGIC: &[u8] = &[0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];

/// Opens `raw` (the object's bytes): containers are read whole, up to `max_container_bytes` (a larger one is an
/// error); text is streamed. `gzip_expected` is set when the key ends in `.gz` or the object says
/// `Content-Encoding: gzip`.
pub fn open_content<'a, R: Read + Send + 'a>(
    raw: R,
    gzip_expected: bool,
    max_container_bytes: u64,
) -> Result<Content<'a>, FileError> {
    let (prefix, rest, gzip) = sniffed(raw, gzip_expected)?;
    let zip = ZIP_MAGIC.iter().any(|m| prefix.starts_with(m));
    let compound = prefix.starts_with(COMPOUND_MAGIC);
    if zip || compound {
        let what = if zip { "zip" } else { "workbook" };
        let mut whole = Vec::new();
        (Cursor::new(prefix).chain(rest))
            .take(max_container_bytes + 1)
            .read_to_end(&mut whole)
            .map_err(FileError::read)?;
        if whole.len() as u64 > max_container_bytes {
            return Err(FileError::TooLarge {
                what,
                limit: max_container_bytes,
            });
        }
        return Ok(if zip {
            Content::Zip { bytes: whole, gzip }
        } else {
            Content::Compound { bytes: whole, gzip }
        });
    }
    let (text, decoding) = text_of(prefix, rest, gzip)?;
    Ok(Content::Text(text, decoding))
}

/// Opens `raw` as text: [`open_content`] for a file known to be text (a CSV entry of a zip, a continuation).
pub fn open<'a, R: Read + Send + 'a>(
    raw: R,
    gzip_expected: bool,
) -> Result<(Text<'a>, Decoding), FileError> {
    let (prefix, rest, gzip) = sniffed(raw, gzip_expected)?;
    text_of(prefix, rest, gzip)
}

/// The bytes of `raw` (gunzipped when its magic says gzip; refused when gzip was promised and is not there) as
/// their first [`SNIFF_BYTES`] and the rest, and whether they were gzip.
#[allow(clippy::type_complexity)] // a prefix, the rest of the same stream, and a flag: named where used
fn sniffed<'a, R: Read + Send + 'a>(
    raw: R,
    gzip_expected: bool,
) -> Result<(Vec<u8>, Rest<Box<dyn Read + Send + 'a>>, bool), FileError> {
    let mut raw = BufReader::with_capacity(64 * 1024, raw);
    let magic = peek(&mut raw, 4)?;
    let gzip = magic.starts_with(&[0x1f, 0x8b]);
    if gzip_expected && !gzip {
        return Err(FileError::NotGzip);
    }
    let bytes: Box<dyn Read + Send + 'a> = if gzip {
        Box::new(MultiGzDecoder::new(raw))
    } else {
        Box::new(raw)
    };
    let (prefix, rest) = read_prefix(bytes, SNIFF_BYTES)?;
    Ok((prefix, rest, gzip))
}

/// Text from its first bytes and the rest: the character set chosen from `prefix`.
fn text_of<'a, R: Read + Send + 'a>(
    prefix: Vec<u8>,
    rest: Rest<R>,
    gzip: bool,
) -> Result<(Text<'a>, Decoding), FileError> {
    if prefix.is_empty() {
        return Err(FileError::Empty);
    }
    let (charset, bom_len) =
        if prefix.starts_with(&[0xff, 0xfe]) || prefix.starts_with(&[0xfe, 0xff]) {
            (Charset::Utf16, 2)
        } else if prefix.starts_with(b"\xef\xbb\xbf") {
            (Charset::Utf8, 3)
        } else if is_utf8_prefix(&prefix) {
            (Charset::Utf8, 0)
        } else {
            let (gb, _, _) = encoding_rs::GB18030.decode(&prefix);
            if find_header(gb.as_bytes()).is_some_and(|h| h.format.name == "rednote-notes") {
                (Charset::Gb18030, 0)
            } else {
                (Charset::Windows1252, 0)
            }
        };
    let decoding = Decoding {
        gzip,
        charset,
        bom_len,
    };
    let mut stream = Cursor::new(prefix).chain(rest);
    let text: Text<'a> = match charset {
        Charset::Utf8 => {
            io::copy(&mut (&mut stream).take(bom_len), &mut io::sink()).map_err(FileError::read)?;
            Box::new(stream)
        }
        Charset::Utf16 => Box::new(
            DecodeReaderBytesBuilder::new()
                .bom_sniffing(true)
                .build(stream),
        ),
        Charset::Gb18030 => Box::new(
            DecodeReaderBytesBuilder::new()
                .encoding(Some(encoding_rs::GB18030))
                .build(stream),
        ),
        Charset::Windows1252 => Box::new(
            DecodeReaderBytesBuilder::new()
                .encoding(Some(encoding_rs::WINDOWS_1252))
                .build(stream),
        ),
    };
    Ok((text, decoding))
}

/// True when `bytes` is UTF-8, allowing a character cut at the end of the sample.
fn is_utf8_prefix(bytes: &[u8]) -> bool {
    match std::str::from_utf8(bytes) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && bytes.len() - e.valid_up_to() < 4,
    }
}

fn peek<R: Read>(reader: &mut BufReader<R>, n: usize) -> Result<Vec<u8>, FileError> {
    let buf = reader.fill_buf().map_err(FileError::read)?;
    Ok(buf[..buf.len().min(n)].to_vec())
}

/// Reads up to `limit` bytes, returning them and the rest of the stream. A read error after some bytes is held
/// back until the rest is read, so the rows before a corruption still count.
pub fn read_prefix<R: Read>(mut reader: R, limit: usize) -> Result<(Vec<u8>, Rest<R>), FileError> {
    let mut prefix = vec![0; limit];
    let mut filled = 0;
    while filled < limit {
        match reader.read(&mut prefix[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if filled == 0 => return Err(FileError::read(e)),
            Err(e) => {
                prefix.truncate(filled);
                return Ok((prefix, Rest::Failed(Some(e))));
            }
        }
    }
    prefix.truncate(filled);
    Ok((prefix, Rest::Stream(reader)))
}

/// The stream after a prefix: more bytes, or the error that stopped the prefix.
#[derive(Debug)]
pub enum Rest<R> {
    /// Reading goes on.
    Stream(R),
    /// Reading failed; the error comes out on the next read, then the stream ends.
    Failed(Option<io::Error>),
}

impl<R: Read> Read for Rest<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Rest::Stream(r) => r.read(buf),
            Rest::Failed(e) => e.take().map_or(Ok(0), Err),
        }
    }
}

/// A stream that starts with an already-read prefix.
pub type Prefixed<R> = Chain<Cursor<Vec<u8>>, Rest<R>>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn text(bytes: Vec<u8>, gz: bool) -> Result<(String, Decoding), FileError> {
        let (mut t, d) = open(Cursor::new(bytes), gz)?;
        let mut s = String::new();
        t.read_to_string(&mut s).unwrap();
        Ok((s, d))
    }

    #[test]
    fn utf8_with_and_without_bom() {
        let (s, d) = text(b"\xef\xbb\xbfpost_id,platform\n".to_vec(), false).unwrap();
        assert_eq!(s, "post_id,platform\n");
        assert_eq!(
            (d.charset, d.bom_len, d.offsets_are_raw()),
            (Charset::Utf8, 3, true)
        );
        let (s, _) = text("a,b\n小红书\n".as_bytes().to_vec(), false).unwrap();
        assert_eq!(s, "a,b\n小红书\n");
    }

    #[test]
    fn utf16_little_endian_with_bom() {
        let mut bytes = vec![0xff, 0xfe];
        for unit in "post_id,platform\n".encode_utf16() {
            bytes.extend(unit.to_le_bytes());
        }
        let (s, d) = text(bytes, false).unwrap();
        assert_eq!(s, "post_id,platform\n");
        assert_eq!(d.charset, Charset::Utf16);
        assert!(!d.offsets_are_raw());
    }

    #[test]
    fn latin1_falls_back_to_windows_1252() {
        let (s, d) = text(
            b"post_id,platform,date,title\np1,x,2025-01-01,Caf\xe9\n".to_vec(),
            false,
        )
        .unwrap();
        assert!(s.ends_with("Café\n"), "{s}");
        assert_eq!(d.charset, Charset::Windows1252);
    }

    #[test]
    fn gb18030_when_it_reveals_a_rednote_header() {
        let utf8 = "笔记标题,首次发布时间,体裁,曝光,观看量,点赞\n咖啡,2026年07月14日19时32分08秒,图文,1,2,3\n";
        let (gb, _, _) = encoding_rs::GB18030.encode(utf8);
        let (s, d) = text(gb.into_owned(), false).unwrap();
        assert_eq!(s, utf8);
        assert_eq!(d.charset, Charset::Gb18030);
    }

    #[test]
    fn gzip_by_magic_and_refused_when_promised_but_absent() {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(b"post_id,platform\n").unwrap();
        let (s, d) = text(enc.finish().unwrap(), false).unwrap();
        assert_eq!(s, "post_id,platform\n");
        assert!(d.gzip && !d.offsets_are_raw());
        assert!(matches!(
            text(b"post_id\n".to_vec(), true),
            Err(FileError::NotGzip)
        ));
    }

    #[test]
    fn rows_before_a_gzip_corruption_still_read_and_the_error_is_permanent() {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        for i in 0..5000 {
            writeln!(enc, "p{i},x,2026-10-06,{i}").unwrap();
        }
        let mut bytes = enc.finish().unwrap();
        bytes.truncate(bytes.len() / 2);
        let (mut t, _) = open(Cursor::new(bytes), true).unwrap();
        let mut text = Vec::new();
        let err = t.read_to_end(&mut text).unwrap_err();
        assert!(
            text.starts_with(b"p0,x,2026-10-06,0\n") && text.len() > 1000,
            "{}",
            text.len()
        );
        assert!(!FileError::read(err).is_retryable());
    }

    #[test]
    fn empty_files_are_refused_and_containers_read_whole_within_the_limit() {
        assert!(matches!(text(Vec::new(), false), Err(FileError::Empty)));
        let zip = open_content(Cursor::new(b"PK\x03\x04rest".to_vec()), false, 100).unwrap();
        assert!(matches!(zip, Content::Zip { ref bytes, gzip: false } if bytes.len() == 8));
        let xls = [COMPOUND_MAGIC, &[0u8; 8][..]].concat();
        assert!(matches!(
            open_content(Cursor::new(xls.clone()), false, 100).unwrap(),
            Content::Compound { .. }
        ));
        assert!(matches!(
            open_content(Cursor::new(xls), false, 10),
            Err(FileError::TooLarge {
                what: "workbook",
                limit: 10
            })
        ));
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(b"PK\x05\x06").unwrap();
        assert!(matches!(
            open_content(Cursor::new(enc.finish().unwrap()), true, 100).unwrap(),
            Content::Zip { gzip: true, .. }
        ));
    }
}
