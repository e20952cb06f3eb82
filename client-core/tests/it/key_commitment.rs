//! The second-opening attack on a disclosed record key, performed.
//!
//! ChaCha20-Poly1305 does not commit to its key: whoever builds a ciphertext can
//! make its tag verify under two keys (Poly1305 is linear in the message, so one
//! free ciphertext block solves for it; Len, Grubbs and Ristenpart, "Partitioning
//! Oracle Attacks", USENIX Security 2021). A device holding the journal key could
//! so write a record that reads one way in the journal and, with a second key
//! disclosed in an export, passes the tag check for a second reading. This test
//! builds such a ciphertext against the real AEAD, then shows that a format-2
//! record, which commits to its key inside what the device signs, refuses the
//! second key while its genuine key still opens it; and that a format-1 record
//! built the same way passes the tag check under both (why `verify` says v1 is a
//! weaker guarantee).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chacha20::cipher::{KeyIvInit, StreamCipher, StreamCipherSeek};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::ChaCha20Poly1305;
use mycase_core::crypto::random_bytes;
use mycase_core::evidence::disclose::{
    open_operation, open_with_subkey, xchacha_subkey, DiscloseError,
};
use mycase_core::journal::ops;
use mycase_core::keys::{Keyring, VaultKey};
use mycase_core::record::{key_commitment, open_record};
use mycase_proto::v1::operation::Body;
use mycase_proto::v1::{EntryFields, Hlc, Operation, Record, VersionVector};
use mycase_proto::wire::{record_associated_data, GENESIS_HASH};
use prost::Message;

const ACCOUNT: [u8; 16] = [0x11; 16];
const DEVICE: [u8; 16] = [0x22; 16];

/// Arithmetic modulo 2^130 - 5, in five 26-bit limbs (as in poly1305-donna).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Fe([u64; 5]);

const MASK: u64 = (1 << 26) - 1;
const ONE: Fe = Fe([1, 0, 0, 0, 0]);
/// p - 1, that is -1.
const MINUS_ONE: Fe = Fe([MASK - 5, MASK, MASK, MASK, MASK]);

impl Fe {
    /// `lo + hi * 2^128`, for `hi` < 4.
    fn new(lo: u128, hi: u64) -> Fe {
        Fe([
            (lo as u64) & MASK,
            ((lo >> 26) as u64) & MASK,
            ((lo >> 52) as u64) & MASK,
            ((lo >> 78) as u64) & MASK,
            ((lo >> 104) as u64) | (hi << 24),
        ])
    }

    /// A 16-byte little-endian Poly1305 block with its high bit (2^128) set.
    fn block(bytes: &[u8]) -> Fe {
        Fe::new(u128::from_le_bytes(bytes.try_into().unwrap()), 1)
    }

    fn carry(mut h: [u64; 5]) -> Fe {
        for _ in 0..2 {
            for i in 0..4 {
                h[i + 1] += h[i] >> 26;
                h[i] &= MASK;
            }
            h[0] += (h[4] >> 26) * 5;
            h[4] &= MASK;
        }
        Fe(h)
    }

    fn add(self, o: Fe) -> Fe {
        let mut h = [0; 5];
        for (i, limb) in h.iter_mut().enumerate() {
            *limb = self.0[i] + o.0[i];
        }
        Fe::carry(h)
    }

    fn mul(self, o: Fe) -> Fe {
        let a = self.0;
        let b = o.0;
        let b5 = b.map(|x| x * 5);
        let d = [
            a[0] * b[0] + a[1] * b5[4] + a[2] * b5[3] + a[3] * b5[2] + a[4] * b5[1],
            a[0] * b[1] + a[1] * b[0] + a[2] * b5[4] + a[3] * b5[3] + a[4] * b5[2],
            a[0] * b[2] + a[1] * b[1] + a[2] * b[0] + a[3] * b5[4] + a[4] * b5[3],
            a[0] * b[3] + a[1] * b[2] + a[2] * b[1] + a[3] * b[0] + a[4] * b5[4],
            a[0] * b[4] + a[1] * b[3] + a[2] * b[2] + a[3] * b[1] + a[4] * b[0],
        ];
        Fe::carry(d)
    }

    fn sub(self, o: Fe) -> Fe {
        self.add(o.mul(MINUS_ONE))
    }

    /// a^(p-2): the inverse. p - 2 = 2^130 - 7 has every bit set but bits 1 and 2.
    fn invert(self) -> Fe {
        let mut r = ONE;
        for bit in (0..130).rev() {
            r = r.mul(r);
            if bit != 1 && bit != 2 {
                r = r.mul(self);
            }
        }
        r
    }

    /// The canonical value as `(low 128 bits, bits 128 and up)`.
    fn value(self) -> (u128, u64) {
        let h = Fe::carry(self.0).0;
        // h < 2^130; subtract p once if h >= p (h + 5 reaches 2^130).
        let mut g = [0u64; 5];
        let mut c = 5;
        for i in 0..5 {
            g[i] = h[i] + c;
            c = g[i] >> 26;
            g[i] &= MASK;
        }
        let h = if c != 0 { g } else { h };
        let lo = u128::from(h[0])
            | u128::from(h[1]) << 26
            | u128::from(h[2]) << 52
            | u128::from(h[3]) << 78
            | u128::from(h[4] & ((1 << 24) - 1)) << 104;
        (lo, h[4] >> 24)
    }
}

/// Poly1305's `(r, s)` for a ChaCha20-Poly1305 key and nonce (RFC 8439 2.6).
fn poly_key(key: &[u8; 32], nonce: &[u8; 12]) -> (Fe, u128) {
    let mut block = [0u8; 64];
    chacha20::ChaCha20::new(key.into(), nonce.into()).apply_keystream(&mut block);
    let r =
        u128::from_le_bytes(block[..16].try_into().unwrap()) & 0x0ffffffc0ffffffc0ffffffc0fffffff;
    (
        Fe::new(r, 0),
        u128::from_le_bytes(block[16..32].try_into().unwrap()),
    )
}

/// The ChaCha20 keystream that encrypts (from block 1).
fn keystream(key: &[u8; 32], nonce: &[u8; 12], len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    let mut cipher = chacha20::ChaCha20::new(key.into(), nonce.into());
    cipher.seek(64u64);
    cipher.apply_keystream(&mut out);
    out
}

/// Poly1305 over `ad` and `ct` as ChaCha20-Poly1305 lays them out, with the
/// last ciphertext block counted as zero (its term is solved for separately).
fn poly_without_last_block(r: Fe, ad: &[u8], ct: &[u8]) -> Fe {
    let mut data = ad.to_vec();
    data.resize(ad.len().div_ceil(16) * 16, 0);
    let free = data.len() + ct.len() - 16;
    data.extend_from_slice(ct);
    data.extend_from_slice(&(ad.len() as u64).to_le_bytes());
    data.extend_from_slice(&(ct.len() as u64).to_le_bytes());
    let mut h = Fe::new(0, 0);
    for (i, chunk) in data.chunks(16).enumerate() {
        let m = if i * 16 == free {
            Fe::new(0, 0)
        } else {
            Fe::block(chunk)
        };
        h = h.add(m).mul(r);
    }
    h
}

/// A framed operation (Padmé frame with no zero padding, 16-byte aligned) whose
/// last 16 bytes sit inside a field no reader looks at (unknown field 99).
fn framed_operation_with_free_tail() -> Vec<u8> {
    let op = ops::operation(
        Hlc {
            wall_ms: 1_700_000_000_000,
            counter: 0,
        },
        VersionVector::default(),
        1_700_000_000_000,
        ops::create_entry(
            [0x66; 16],
            EntryFields {
                text: Some("The words the survivor wrote.".into()),
                ..Default::default()
            },
        ),
    )
    .encode_to_vec();
    // 4 (length) + op + 2 (key of field 99, length-delimited) + 1 (its length) + filler.
    let total = (4 + op.len() + 3 + 16).div_ceil(16) * 16;
    let filler = total - 4 - op.len() - 3;
    assert!(
        filler < 128 && total < 256,
        "one-byte varint, Padmé keeps the length"
    );
    let mut framed = ((total - 4) as u32).to_be_bytes().to_vec();
    framed.extend_from_slice(&op);
    framed.extend_from_slice(&[0x9a, 0x06, filler as u8]);
    framed.resize(total, 0xaa);
    framed
}

/// Builds, for `format_version`, a record sealed under the journal's key that
/// also passes the tag check under `second`. Returns it with its genuine subkey.
fn record_opening_two_ways(
    ring: &Keyring,
    second: &[u8; 32],
    format_version: u32,
) -> (Record, [u8; 32]) {
    let plain = framed_operation_with_free_tail();
    let ad = record_associated_data(&ACCOUNT, &DEVICE, 1, &GENESIS_HASH, 1, format_version);
    for _attempt in 0..200 {
        let nonce: [u8; 24] = random_bytes();
        let genuine = *xchacha_subkey(ring.get(1).unwrap().record_key(), &nonce).unwrap();
        let mut inner = [0u8; 12];
        inner[4..].copy_from_slice(&nonce[16..]);

        let mut ct: Vec<u8> = plain
            .iter()
            .zip(keystream(&genuine, &inner, plain.len()))
            .map(|(p, k)| p ^ k)
            .collect();
        let (r1, s1) = poly_key(&genuine, &inner);
        let (r2, s2) = poly_key(second, &inner);
        let a1 = poly_without_last_block(r1, &ad, &ct);
        let a2 = poly_without_last_block(r2, &ad, &ct);
        // The last ciphertext block is followed by the length block: its
        // coefficient is r^2. Solve a1 + m r1^2 + s1 = a2 + m r2^2 + s2.
        let s_diff = Fe::new(s2, 0).sub(Fe::new(s1, 0));
        let m = s_diff
            .sub(a1)
            .add(a2)
            .mul(r1.mul(r1).sub(r2.mul(r2)).invert());
        let (block, high) = m.value();
        if high != 1 {
            continue; // not a 16-byte block with its 2^128 bit: try another nonce
        }
        let free = ct.len() - 16;
        ct[free..].copy_from_slice(&block.to_le_bytes());
        let h1 = a1.add(m.mul(r1).mul(r1)).value().0;
        let tag = h1.wrapping_add(s1).to_le_bytes();
        ct.extend_from_slice(&tag);

        let opens = |key: &[u8; 32]| {
            ChaCha20Poly1305::new(key.into())
                .decrypt((&inner).into(), Payload { msg: &ct, aad: &ad })
                .ok()
        };
        let (Some(first), Some(other)) = (opens(&genuine), opens(second)) else {
            continue; // the integer carry went the other way: try again
        };
        assert_ne!(first, other, "two keys, two readings of one ciphertext");
        let ciphertext = if format_version >= 2 {
            [key_commitment(&genuine).as_slice(), &ct].concat()
        } else {
            ct
        };
        let record = Record {
            device_id: DEVICE.to_vec(),
            idx: 1,
            prev_hash: GENESIS_HASH.to_vec(),
            key_epoch: 1,
            format_version,
            nonce: nonce.to_vec(),
            ciphertext,
            signature: Vec::new(),
        };
        return (record, genuine);
    }
    panic!("no two-key ciphertext found in 200 attempts");
}

fn ring() -> Keyring {
    let mut ring = Keyring::default();
    ring.insert(1, VaultKey::from_bytes(random_bytes()));
    ring
}

#[test]
fn a_format_2_record_refuses_a_second_key_that_the_aead_alone_accepts() {
    let ring = ring();
    let second: [u8; 32] = random_bytes();
    let (record, genuine) = record_opening_two_ways(&ring, &second, 2);

    // The journal reads it, and so does a verifier given the genuine key.
    let op = Operation::decode(open_record(&ACCOUNT, &ring, &record).unwrap().as_slice()).unwrap();
    let Some(Body::EntryCreated(created)) = &op.body else {
        panic!("not the creation")
    };
    assert_eq!(
        created.fields.as_ref().unwrap().text.as_deref(),
        Some("The words the survivor wrote.")
    );
    assert_eq!(open_operation(&ACCOUNT, &record, &genuine).unwrap(), op);

    // The second key passes Poly1305 (shown above) but not the commitment.
    assert_eq!(
        open_with_subkey(&ACCOUNT, &record, &second),
        Err(DiscloseError::NotCommitted)
    );
    // Re-committing to the second key changes the record, so its hash and
    // the device's signature over it no longer match (and the journal, which
    // derives the key itself, refuses it).
    let mut recommitted = record.clone();
    recommitted.ciphertext[..32].copy_from_slice(&key_commitment(&second));
    assert_ne!(
        mycase_proto::wire::record_hash(&ACCOUNT, &recommitted),
        mycase_proto::wire::record_hash(&ACCOUNT, &record)
    );
    assert!(open_record(&ACCOUNT, &ring, &recommitted).is_err());
}

#[test]
fn a_format_1_record_passes_the_tag_check_under_a_second_key() {
    let ring = ring();
    let second: [u8; 32] = random_bytes();
    let (record, genuine) = record_opening_two_ways(&ring, &second, 1);
    assert!(open_operation(&ACCOUNT, &record, &genuine).is_ok());
    // The tag verifies under both keys (checked in record_opening_two_ways);
    // only the framing of this random second reading fails, which is why a
    // format-1 record's disclosed key is reported as the weaker guarantee.
    assert_eq!(
        open_with_subkey(&ACCOUNT, &record, &second),
        Err(DiscloseError::DoesNotOpen)
    );
    assert!(mycase_core::evidence::disclose::weakly_bound(&record));
}
