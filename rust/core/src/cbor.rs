//! A strict subset of deterministic CBOR (RFC 8949 §4.2.1).
//!
//! Only what the token format needs: unsigned and negative integers, byte
//! strings, text strings, arrays, maps and tag 4 (decimal fractions). The
//! decoder refuses everything the encoder would never produce: indefinite
//! lengths, non-shortest argument encodings, floats, simple values, unknown
//! tags, invalid UTF-8 and lengths running past the end of the input. Because
//! the token schema is read field by field, nesting depth is fixed by the
//! schema and a decoder never recurses on attacker-chosen structure.

use crate::error::{Error, Result};

const MAJOR_UNSIGNED: u8 = 0;
const MAJOR_NEGATIVE: u8 = 1;
const MAJOR_BYTES: u8 = 2;
const MAJOR_TEXT: u8 = 3;
const MAJOR_ARRAY: u8 = 4;
const MAJOR_MAP: u8 = 5;
const MAJOR_TAG: u8 = 6;

/// The tag of a decimal fraction `[exponent, mantissa]` (RFC 8949 §3.4.4).
pub const TAG_DECIMAL_FRACTION: u64 = 4;

/// The length of the shortest-form head that announces `value`.
pub fn head_len(value: u64) -> usize {
    match value {
        0..=23 => 1,
        24..=0xff => 2,
        0x100..=0xffff => 3,
        0x1_0000..=0xffff_ffff => 5,
        _ => 9,
    }
}

/// Appends deterministic CBOR items to a byte buffer.
#[derive(Debug, Default, Clone)]
pub struct Encoder {
    buf: Vec<u8>,
}

impl Encoder {
    /// An empty encoder.
    pub fn new() -> Self {
        Encoder { buf: Vec::new() }
    }

    /// The bytes written so far.
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    fn head(&mut self, major: u8, value: u64) {
        let m = major << 5;
        // Shortest form: the decoder refuses anything longer.
        if value < 24 {
            self.buf.push(m | value as u8);
        } else if value <= u64::from(u8::MAX) {
            self.buf.push(m | 24);
            self.buf.push(value as u8);
        } else if value <= u64::from(u16::MAX) {
            self.buf.push(m | 25);
            self.buf.extend_from_slice(&(value as u16).to_be_bytes());
        } else if value <= u64::from(u32::MAX) {
            self.buf.push(m | 26);
            self.buf.extend_from_slice(&(value as u32).to_be_bytes());
        } else {
            self.buf.push(m | 27);
            self.buf.extend_from_slice(&value.to_be_bytes());
        }
    }

    /// An unsigned integer.
    pub fn uint(&mut self, value: u64) {
        self.head(MAJOR_UNSIGNED, value);
    }

    /// A signed integer (major type 0 or 1).
    pub fn int(&mut self, value: i64) {
        if value >= 0 {
            self.head(MAJOR_UNSIGNED, value.unsigned_abs());
        } else {
            // CBOR stores -1 - n; for i64::MIN this is 2^63 - 1, which fits.
            self.head(MAJOR_NEGATIVE, (-(value + 1)).unsigned_abs());
        }
    }

    /// A byte string.
    pub fn bytes(&mut self, value: &[u8]) {
        self.head(MAJOR_BYTES, value.len() as u64);
        self.buf.extend_from_slice(value);
    }

    /// A text string.
    pub fn text(&mut self, value: &str) {
        self.head(MAJOR_TEXT, value.len() as u64);
        self.buf.extend_from_slice(value.as_bytes());
    }

    /// The header of an array of `len` items; the items follow.
    pub fn array(&mut self, len: usize) {
        self.head(MAJOR_ARRAY, len as u64);
    }

    /// The header of a map of `len` pairs; keys and values follow, keys in
    /// ascending order of their encodings.
    pub fn map(&mut self, len: usize) {
        self.head(MAJOR_MAP, len as u64);
    }

    /// A tag; the tagged item follows.
    pub fn tag(&mut self, tag: u64) {
        self.head(MAJOR_TAG, tag);
    }
}

/// The kind of the next item, as far as a schema-driven reader needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Major type 0 or 1.
    Integer,
    /// Major type 2.
    Bytes,
    /// Major type 3.
    Text,
    /// Major type 4.
    Array,
    /// Major type 5.
    Map,
    /// Major type 6.
    Tag,
    /// Anything else (floats, simple values, break): always refused.
    Other,
}

/// Reads deterministic CBOR items from a byte slice, refusing anything
/// non-canonical.
#[derive(Debug, Clone)]
pub struct Decoder<'a> {
    input: &'a [u8],
    pos: usize,
}

fn malformed(what: &str) -> Error {
    Error::Malformed(what.to_string())
}

impl<'a> Decoder<'a> {
    /// A decoder over `input`.
    pub fn new(input: &'a [u8]) -> Self {
        Decoder { input, pos: 0 }
    }

    /// Fails unless every byte of the input has been read.
    pub fn finish(&self) -> Result<()> {
        if self.pos == self.input.len() {
            Ok(())
        } else {
            Err(malformed("trailing bytes after the encoded item"))
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|end| *end <= self.input.len())
            .ok_or_else(|| malformed("truncated input"))?;
        let out = self
            .input
            .get(self.pos..end)
            .ok_or_else(|| malformed("truncated input"))?;
        self.pos = end;
        Ok(out)
    }

    /// The kind of the next item, without consuming it.
    pub fn peek_kind(&self) -> Result<Kind> {
        let first = *self
            .input
            .get(self.pos)
            .ok_or_else(|| malformed("truncated input"))?;
        Ok(match first >> 5 {
            MAJOR_UNSIGNED | MAJOR_NEGATIVE => Kind::Integer,
            MAJOR_BYTES => Kind::Bytes,
            MAJOR_TEXT => Kind::Text,
            MAJOR_ARRAY => Kind::Array,
            MAJOR_MAP => Kind::Map,
            MAJOR_TAG => Kind::Tag,
            _ => Kind::Other,
        })
    }

    fn head(&mut self) -> Result<(u8, u64)> {
        let first = *self
            .take(1)?
            .first()
            .ok_or_else(|| malformed("truncated input"))?;
        let major = first >> 5;
        let info = first & 0x1f;
        let value = match info {
            0..=23 => return Ok((major, u64::from(info))),
            24 => {
                let b = self.take(1)?;
                let v = u64::from(b.first().copied().unwrap_or(0));
                if v < 24 {
                    return Err(malformed("non-shortest integer encoding"));
                }
                v
            }
            25 => {
                let v = u64::from(u16::from_be_bytes(self.array_of::<2>()?));
                if v <= u64::from(u8::MAX) {
                    return Err(malformed("non-shortest integer encoding"));
                }
                v
            }
            26 => {
                let v = u64::from(u32::from_be_bytes(self.array_of::<4>()?));
                if v <= u64::from(u16::MAX) {
                    return Err(malformed("non-shortest integer encoding"));
                }
                v
            }
            27 => {
                let v = u64::from_be_bytes(self.array_of::<8>()?);
                if v <= u64::from(u32::MAX) {
                    return Err(malformed("non-shortest integer encoding"));
                }
                v
            }
            31 => return Err(malformed("indefinite-length item")),
            _ => return Err(malformed("reserved additional information")),
        };
        Ok((major, value))
    }

    fn array_of<const N: usize>(&mut self) -> Result<[u8; N]> {
        let slice = self.take(N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(slice);
        Ok(out)
    }

    fn expect_major(&mut self, want: u8, what: &str) -> Result<u64> {
        let (major, value) = self.head()?;
        if major != want {
            return Err(Error::Malformed(format!("expected {what}")));
        }
        Ok(value)
    }

    fn length(&mut self, value: u64) -> Result<usize> {
        let len = usize::try_from(value).map_err(|_| malformed("length too large"))?;
        // A length can never exceed the bytes left: refuse before allocating.
        if len > self.input.len().saturating_sub(self.pos) {
            return Err(malformed("truncated input"));
        }
        Ok(len)
    }

    /// An unsigned integer.
    pub fn uint(&mut self) -> Result<u64> {
        self.expect_major(MAJOR_UNSIGNED, "an unsigned integer")
    }

    /// A signed integer that fits in `i64`.
    pub fn int(&mut self) -> Result<i64> {
        let (major, value) = self.head()?;
        match major {
            MAJOR_UNSIGNED => i64::try_from(value).map_err(|_| malformed("integer out of range")),
            MAJOR_NEGATIVE => {
                let n = i64::try_from(value).map_err(|_| malformed("integer out of range"))?;
                Ok(-1 - n)
            }
            _ => Err(malformed("expected an integer")),
        }
    }

    /// A byte string, borrowed from the input.
    pub fn bytes(&mut self) -> Result<&'a [u8]> {
        let value = self.expect_major(MAJOR_BYTES, "a byte string")?;
        let len = self.length(value)?;
        self.take(len)
    }

    /// A byte string of exactly `N` bytes.
    pub fn bytes_exact<const N: usize>(&mut self, what: &str) -> Result<[u8; N]> {
        let b = self.bytes()?;
        <[u8; N]>::try_from(b)
            .map_err(|_| Error::Malformed(format!("{what} must be {N} bytes, got {}", b.len())))
    }

    /// A text string, borrowed from the input; UTF-8 is checked.
    pub fn text(&mut self) -> Result<&'a str> {
        let value = self.expect_major(MAJOR_TEXT, "a text string")?;
        let len = self.length(value)?;
        let raw = self.take(len)?;
        std::str::from_utf8(raw).map_err(|_| malformed("text string is not valid UTF-8"))
    }

    /// The header of an array; returns its length. At most `max` items are
    /// accepted, so callers never allocate more than their limit.
    pub fn array(&mut self, max: usize, what: &str) -> Result<usize> {
        let value = self.expect_major(MAJOR_ARRAY, "an array")?;
        let len = usize::try_from(value).map_err(|_| malformed("length too large"))?;
        if len > max {
            return Err(Error::LimitExceeded(format!(
                "{what}: {len} items, at most {max} allowed"
            )));
        }
        // Every item takes at least one byte.
        self.length(value)
    }

    /// The header of a map; returns its number of pairs, at most `max`.
    pub fn map(&mut self, max: usize, what: &str) -> Result<usize> {
        let value = self.expect_major(MAJOR_MAP, "a map")?;
        let len = usize::try_from(value).map_err(|_| malformed("length too large"))?;
        if len > max {
            return Err(Error::LimitExceeded(format!(
                "{what}: {len} entries, at most {max} allowed"
            )));
        }
        let min_bytes = value
            .checked_mul(2)
            .ok_or_else(|| malformed("length too large"))?;
        self.length(min_bytes)?;
        Ok(len)
    }

    /// The header of an array whose length the schema fixes at exactly `n`
    /// items. Any other length is [`Error::Malformed`]: no configuration
    /// allows it, so it is not a limit.
    pub fn fixed_array(&mut self, n: usize, what: &str) -> Result<()> {
        let value = self.expect_major(MAJOR_ARRAY, "an array")?;
        if value != n as u64 {
            return Err(Error::Malformed(format!(
                "{what} has {n} items, got {value}"
            )));
        }
        self.length(value)?;
        Ok(())
    }

    /// The header of a map whose keys the schema fixes: at most `known`
    /// pairs. More pairs than the schema has keys is [`Error::Malformed`]
    /// (an unknown or repeated key), not a limit.
    pub fn schema_map(&mut self, known: usize, what: &str) -> Result<usize> {
        let value = self.expect_major(MAJOR_MAP, "a map")?;
        if value > known as u64 {
            return Err(Error::Malformed(format!(
                "{what}: {value} entries, the schema has {known} keys"
            )));
        }
        let min_bytes = value
            .checked_mul(2)
            .ok_or_else(|| malformed("length too large"))?;
        self.length(min_bytes)?;
        Ok(value as usize)
    }

    /// A tag number.
    pub fn tag(&mut self) -> Result<u64> {
        self.expect_major(MAJOR_TAG, "a tag")
    }
}

/// Reads the integer keys of a map in the strictly ascending order that
/// deterministic encoding requires (which also refuses duplicate keys), and
/// refuses keys the schema does not know.
#[derive(Debug)]
pub struct MapKeys {
    remaining: usize,
    last: Option<u64>,
}

impl MapKeys {
    /// Starts reading a map whose header announced `len` pairs.
    pub fn new(len: usize) -> Self {
        MapKeys {
            remaining: len,
            last: None,
        }
    }

    /// The next key, if any pairs remain and the next key is `key`; keys
    /// below `key` that were skipped by the caller are refused as unknown.
    ///
    /// Call with the schema's keys in ascending order; returns `true` when
    /// the field is present (its value is then next in the decoder).
    pub fn field(&mut self, dec: &mut Decoder<'_>, key: u64) -> Result<bool> {
        if self.remaining == 0 {
            return Ok(false);
        }
        let mut peek = dec.clone();
        let next = peek.uint()?;
        if let Some(last) = self.last {
            if next <= last {
                return Err(malformed("map keys not in ascending order, or duplicated"));
            }
        }
        if next < key {
            return Err(Error::Malformed(format!("unknown map key {next}")));
        }
        if next > key {
            return Ok(false);
        }
        *dec = peek;
        self.last = Some(next);
        self.remaining -= 1;
        Ok(true)
    }

    /// Like [`MapKeys::field`], but the field must be present.
    pub fn required(&mut self, dec: &mut Decoder<'_>, key: u64, name: &str) -> Result<()> {
        if self.field(dec, key)? {
            Ok(())
        } else {
            Err(Error::Malformed(format!("missing required field {name}")))
        }
    }

    /// Fails if keys remain that the schema does not know.
    pub fn finish(&self, dec: &Decoder<'_>) -> Result<()> {
        if self.remaining == 0 {
            return Ok(());
        }
        let mut peek = dec.clone();
        match peek.uint() {
            Ok(k) => Err(Error::Malformed(format!("unknown map key {k}"))),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(f: impl FnOnce(&mut Encoder)) -> Vec<u8> {
        let mut e = Encoder::new();
        f(&mut e);
        e.into_bytes()
    }

    #[test]
    fn integers_round_trip_in_shortest_form() {
        for v in [
            0u64,
            1,
            23,
            24,
            255,
            256,
            65535,
            65536,
            u32::MAX as u64,
            u32::MAX as u64 + 1,
            u64::MAX,
        ] {
            let b = enc(|e| e.uint(v));
            let mut d = Decoder::new(&b);
            assert_eq!(d.uint().unwrap(), v);
            d.finish().unwrap();
        }
        for v in [0i64, -1, -24, -25, -256, -257, i64::MIN, i64::MAX] {
            let b = enc(|e| e.int(v));
            let mut d = Decoder::new(&b);
            assert_eq!(d.int().unwrap(), v);
        }
        assert_eq!(enc(|e| e.uint(10)), vec![0x0a]);
        assert_eq!(enc(|e| e.int(-1)), vec![0x20]);
        assert_eq!(enc(|e| e.uint(500)), vec![0x19, 0x01, 0xf4]);
    }

    #[test]
    fn non_shortest_forms_are_refused() {
        for bad in [
            vec![0x18, 0x17],
            vec![0x19, 0x00, 0xff],
            vec![0x1a, 0x00, 0x00, 0xff, 0xff],
            vec![0x1b, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff],
        ] {
            assert!(
                matches!(Decoder::new(&bad).uint(), Err(Error::Malformed(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn indefinite_reserved_and_floats_are_refused() {
        assert!(Decoder::new(&[0x5f]).bytes().is_err());
        assert!(Decoder::new(&[0x9f]).array(10, "x").is_err());
        assert!(Decoder::new(&[0x1c]).uint().is_err());
        assert_eq!(
            Decoder::new(&[0xf9, 0, 0]).peek_kind().unwrap(),
            Kind::Other
        );
        assert!(Decoder::new(&[0xf5]).uint().is_err());
    }

    #[test]
    fn truncation_and_huge_lengths_are_refused_without_allocation() {
        assert!(Decoder::new(&[]).uint().is_err());
        assert!(Decoder::new(&[0x19, 0x01]).uint().is_err());
        assert!(Decoder::new(&[0x43, 1, 2]).bytes().is_err());
        let huge = [0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
        assert!(Decoder::new(&huge).bytes().is_err());
        let huge_array = [0x9b, 0, 0, 0, 1, 0, 0, 0, 0];
        assert!(Decoder::new(&huge_array).array(usize::MAX, "x").is_err());
        // An array announcing more items than bytes remain.
        assert!(Decoder::new(&[0x85, 0, 0]).array(10, "x").is_err());
    }

    #[test]
    fn array_limit_just_under_and_over() {
        let b = enc(|e| {
            e.array(3);
            e.uint(1);
            e.uint(2);
            e.uint(3);
        });
        assert_eq!(Decoder::new(&b).array(3, "x").unwrap(), 3);
        assert!(matches!(
            Decoder::new(&b).array(2, "x"),
            Err(Error::LimitExceeded(_))
        ));
    }

    #[test]
    fn schema_arity_is_malformed_not_a_limit() {
        let three = enc(|e| {
            e.array(3);
            e.uint(1);
            e.uint(2);
            e.uint(3);
        });
        Decoder::new(&three).fixed_array(3, "x").unwrap();
        for n in [2, 4] {
            assert!(matches!(
                Decoder::new(&three).fixed_array(n, "x"),
                Err(Error::Malformed(_))
            ));
        }
        let map = enc(|e| {
            e.map(2);
            e.uint(1);
            e.uint(7);
            e.uint(2);
            e.uint(8);
        });
        assert_eq!(Decoder::new(&map).schema_map(2, "m").unwrap(), 2);
        assert!(matches!(
            Decoder::new(&map).schema_map(1, "m"),
            Err(Error::Malformed(_))
        ));
        // Truncation is still caught before anything is read.
        assert!(Decoder::new(&[0x83, 0]).fixed_array(3, "x").is_err());
        assert!(Decoder::new(&[0xa2, 1]).schema_map(2, "m").is_err());
    }

    #[test]
    fn text_must_be_utf8() {
        assert!(Decoder::new(&[0x62, 0xc3, 0x28]).text().is_err());
        let b = enc(|e| e.text("héllo"));
        assert_eq!(Decoder::new(&b).text().unwrap(), "héllo");
    }

    #[test]
    fn trailing_bytes_are_refused() {
        let mut d = Decoder::new(&[0x01, 0x02]);
        d.uint().unwrap();
        assert!(d.finish().is_err());
    }

    #[test]
    fn map_keys_must_ascend_and_be_known() {
        let good = enc(|e| {
            e.map(2);
            e.uint(1);
            e.uint(7);
            e.uint(3);
            e.uint(9);
        });
        let mut d = Decoder::new(&good);
        let n = d.map(10, "m").unwrap();
        let mut keys = MapKeys::new(n);
        assert!(keys.field(&mut d, 1).unwrap());
        assert_eq!(d.uint().unwrap(), 7);
        assert!(!keys.field(&mut d, 2).unwrap());
        assert!(keys.field(&mut d, 3).unwrap());
        assert_eq!(d.uint().unwrap(), 9);
        keys.finish(&d).unwrap();

        let unordered = enc(|e| {
            e.map(2);
            e.uint(3);
            e.uint(9);
            e.uint(1);
            e.uint(7);
        });
        let mut d = Decoder::new(&unordered);
        let n = d.map(10, "m").unwrap();
        let mut keys = MapKeys::new(n);
        assert!(!keys.field(&mut d, 1).unwrap());
        assert!(!keys.field(&mut d, 2).unwrap());
        assert!(keys.field(&mut d, 3).unwrap());
        d.uint().unwrap();
        assert!(keys.field(&mut d, 4).is_err());

        let duplicate = enc(|e| {
            e.map(2);
            e.uint(1);
            e.uint(7);
            e.uint(1);
            e.uint(8);
        });
        let mut d = Decoder::new(&duplicate);
        let n = d.map(10, "m").unwrap();
        let mut keys = MapKeys::new(n);
        assert!(keys.field(&mut d, 1).unwrap());
        d.uint().unwrap();
        assert!(keys.field(&mut d, 2).is_err());

        let unknown = enc(|e| {
            e.map(1);
            e.uint(2);
            e.uint(7);
        });
        let mut d = Decoder::new(&unknown);
        let n = d.map(10, "m").unwrap();
        let mut keys = MapKeys::new(n);
        assert!(!keys.field(&mut d, 1).unwrap());
        assert!(keys.field(&mut d, 3).is_err());
    }
}
