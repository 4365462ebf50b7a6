//! Content-defined chunking (FastCDC 2020): cut points follow the bytes, not offsets, so an
//! edit changes only the chunks around it and a second backup uploads only those.

use std::io::Read;

/// The smallest chunk (except a file's last one). Most blog sources are smaller than this and
/// stay one chunk each.
pub(crate) const MIN_SIZE: usize = 16 * 1024;

/// The average chunk: big static files (images, audio) are cut about this often, so editing
/// one costs ~64 KiB of upload, while the object count (one PUT each) stays low.
pub(crate) const AVG_SIZE: usize = 64 * 1024;

/// The largest chunk (also bounds the memory one chunk needs).
pub(crate) const MAX_SIZE: usize = 256 * 1024;

/// Splits a stream into chunks, reading it once with at most `MAX_SIZE` buffered. An empty
/// stream yields no chunk.
pub fn chunks<R: Read>(reader: R) -> impl Iterator<Item = std::io::Result<Vec<u8>>> {
    fastcdc::v2020::StreamCDC::new(reader, MIN_SIZE, AVG_SIZE, MAX_SIZE).map(|c| {
        c.map(|c| c.data).map_err(|e| match e {
            fastcdc::v2020::Error::IoError(e) => e,
            other => std::io::Error::other(other.to_string()),
        })
    })
}

/// The chunk lengths of `data` (pure; what [`chunks`] yields for the same bytes).
pub fn cut(data: &[u8]) -> Vec<usize> {
    fastcdc::v2020::FastCDC::new(data, MIN_SIZE, AVG_SIZE, MAX_SIZE)
        .map(|c| c.length)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic pseudo-random bytes (xorshift), incompressible like a photo.
    fn noise(len: usize, seed: u64) -> Vec<u8> {
        let mut x = seed | 1;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect()
    }

    #[test]
    fn chunks_respect_the_bounds_and_cover_the_input() {
        let data = noise(3 << 20, 7);
        let lens = cut(&data);
        assert_eq!(lens.iter().sum::<usize>(), data.len());
        assert!(lens.len() > 20, "{} chunks for 3 MiB", lens.len());
        for (i, &len) in lens.iter().enumerate() {
            assert!(len <= MAX_SIZE);
            assert!(len >= MIN_SIZE || i == lens.len() - 1);
        }
        let streamed: Vec<Vec<u8>> = chunks(&data[..]).map(Result::unwrap).collect();
        assert_eq!(streamed.iter().map(Vec::len).collect::<Vec<_>>(), lens);
        assert_eq!(streamed.concat(), data);
    }

    #[test]
    fn small_and_empty_inputs() {
        assert_eq!(chunks(&b""[..]).count(), 0);
        assert_eq!(cut(b"short post"), vec![10]);
    }

    #[test]
    fn an_insertion_changes_only_nearby_chunks() {
        let data = noise(2 << 20, 11);
        let mut edited = data[..1_000_000].to_vec();
        edited.extend_from_slice(b"an inserted sentence");
        edited.extend_from_slice(&data[1_000_000..]);
        let set = |d: &[u8]| -> std::collections::HashSet<Vec<u8>> {
            chunks(d).map(Result::unwrap).collect()
        };
        let (before, after) = (set(&data), set(&edited));
        let changed = after.difference(&before).count();
        assert!(changed <= 2, "{changed} of {} chunks changed", after.len());
        assert!(after.len() > 10);
    }
}
