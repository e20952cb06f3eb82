//! Secrets people copy by hand (recovery kits, pairing codes): base32 in groups of
//! four, read back ignoring case, spaces and dashes. Both directions keep the text
//! in zeroizing buffers.

use data_encoding::BASE32_NOPAD;
use zeroize::Zeroizing;

/// `ABCD-EFGH-...`
pub fn encode_grouped(bytes: &[u8]) -> Zeroizing<String> {
    let encoded = Zeroizing::new(BASE32_NOPAD.encode(bytes));
    let mut out = Zeroizing::new(String::with_capacity(encoded.len() * 5 / 4 + 1));
    for (i, c) in encoded.chars().enumerate() {
        if i > 0 && i % 4 == 0 {
            out.push('-');
        }
        out.push(c);
    }
    out
}

/// The bytes of a grouped code typed back in; `None` if it is not base32.
pub fn decode_grouped(text: &str) -> Option<Zeroizing<Vec<u8>>> {
    let cleaned: Zeroizing<String> = Zeroizing::new(
        text.chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| c.to_ascii_uppercase())
            .collect(),
    );
    BASE32_NOPAD
        .decode(cleaned.as_bytes())
        .ok()
        .map(Zeroizing::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_loosely_typed_text() {
        let bytes = [7u8, 1, 2, 3, 4, 5, 6, 8, 9, 10];
        let shown = encode_grouped(&bytes);
        assert_eq!(shown.as_str(), "A4AQ-EAYE-AUDA-QCIK");
        let typed = shown.to_lowercase().replace('-', " ");
        assert_eq!(decode_grouped(&typed).unwrap().as_slice(), &bytes);
        assert!(decode_grouped("not base32!").is_none());
    }
}
