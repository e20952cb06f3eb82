//! Padmé padding (Nikitin et al., "Reducing Metadata Leakage from Encrypted Files
//! and Communication with PURBs", 2019): lengths are rounded up so that at most
//! O(log log L) bits of the plaintext length leak, with at most 12% overhead.
//!
//! Framing: `len (u32 big-endian) || data || zeros`, padded to `padme(4 + len)`.

/// The padded length for a plaintext of `len` bytes.
pub fn padme_len(len: usize) -> usize {
    if len < 2 {
        return len;
    }
    let l = len as u64;
    let e = 63 - l.leading_zeros() as u64; // floor(log2 L)
    let s = 64 - e.leading_zeros() as u64; // floor(log2 E) + 1
    let last_bits = e - s;
    let mask = (1u64 << last_bits) - 1;
    ((l + mask) & !mask) as usize
}

/// Frames and pads a plaintext.
pub fn pad(data: &[u8]) -> Vec<u8> {
    let framed = 4 + data.len();
    let mut out = Vec::with_capacity(padme_len(framed));
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(data);
    out.resize(padme_len(framed), 0);
    out
}

/// Undoes [`pad`]; `None` if the framing is inconsistent.
pub fn unpad(padded: &[u8]) -> Option<&[u8]> {
    let (len, rest) = padded.split_first_chunk::<4>()?;
    let len = u32::from_be_bytes(*len) as usize;
    let data = rest.get(..len)?;
    // The padding must be zeros: anything else means the frame is not ours.
    rest[len..].iter().all(|&b| b == 0).then_some(data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_lengths() {
        // Values from the PURBs paper's definition.
        assert_eq!(padme_len(0), 0);
        assert_eq!(padme_len(1), 1);
        assert_eq!(padme_len(9), 10);
        assert_eq!(padme_len(500), 512);
        assert_eq!(padme_len(513), 544);
        assert_eq!(padme_len(1000), 1024);
        assert_eq!(padme_len(1_000_000), 1_015_808);
    }

    proptest! {
        #[test]
        fn pad_round_trips_with_bounded_overhead(data in proptest::collection::vec(any::<u8>(), 0..5000)) {
            let padded = pad(&data);
            prop_assert_eq!(unpad(&padded), Some(&data[..]));
            prop_assert!(padded.len() >= data.len() + 4);
            prop_assert!((padded.len() as f64) <= ((data.len() + 4) as f64) * 1.12 + 1.0);
        }
    }

    #[test]
    fn rejects_bad_frames() {
        assert_eq!(unpad(&[0, 0]), None);
        assert_eq!(unpad(&[0, 0, 0, 9, 1]), None);
        assert_eq!(unpad(&[0, 0, 0, 1, 1, 5]), None);
    }
}
