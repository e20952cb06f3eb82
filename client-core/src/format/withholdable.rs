//! Withholdable texts (record format 3): an entry's words sealed so that an
//! export can later show a text, part of it, or none of it, and still prove what
//! it shows.
//!
//! An export discloses each record it relies on by its subkey, which opens the
//! whole operation. So a text that may need withholding (a refuge address typed
//! by mistake) cannot sit in the operation itself. Instead, as in salted-hash
//! selective disclosure (SD-JWT, RFC 9901), the operation the device signs holds
//! a commitment per text, and the texts travel beside it, sealed under a key an
//! export never discloses:
//!
//! ```text
//! pieces(text)      = the text cut into runs of whitespace and runs of anything else,
//!                     in order; their concatenation is the text
//! salt_i            = subkey(seed, "mycase/v3/piece-salt/" || decimal i)[0..16]
//! digest_i          = SHA-256(len || "mycase/v3/text-piece" || u32be i || salt_i || u64be len || piece_i)
//! commitment        = SHA-256(len || "mycase/v3/text-commitment" || u32be field || u64be n || digest_0 .. digest_n-1)
//! Operation.sealed_texts = nonce(24) || XChaCha20-Poly1305(texts key, nonce,
//!                     "mycase/v3/record-texts" || the record's associated data,
//!                     pad(WithholdableTexts))
//! texts key         = subkey(vault key, "mycase/v3/record-texts")
//! ```
//!
//! `seed` is 32 random bytes per text. To show a text whole, an export gives its
//! seed and words; to show part, the salt and words of each piece it shows and
//! the digest of each piece it withholds; to withhold it all, nothing. A
//! verifier recomputes the commitment the signed record holds. A withheld
//! piece's digest reveals nothing a guess could be tested against (its salt is
//! 128 random bits); the number of pieces withheld is visible.
//!
//! A device that opens a record checks every commitment against the sealed
//! texts, so a modified client cannot write one text for the survivor's devices
//! and commit to another for the court.

use mycase_proto::v1::{
    operation::Body, EntryFields, Operation, TextCommitment, WithholdableText, WithholdableTexts,
};
use prost::Message;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::crypto::aead::{xchacha_open, xchacha_seal, NONCE_LEN};
use crate::crypto::{kdf, padme, random_bytes};
use crate::journal::fields::Field;

const TEXTS_AD_LABEL: &[u8] = b"mycase/v3/record-texts";
const PIECE_SALT_LABEL: &str = "mycase/v3/piece-salt/";
const PIECE_LABEL: &[u8] = b"mycase/v3/text-piece";
const COMMITMENT_LABEL: &[u8] = b"mycase/v3/text-commitment";

/// Bytes of a piece's salt.
pub const SALT_LEN: usize = 16;
/// Bytes of a text's seed.
pub const SEED_LEN: usize = 32;

/// The entry fields whose texts can be withheld, in the order entries show them.
pub const WITHHOLDABLE: [Field; 5] = [
    Field::Title,
    Field::Text,
    Field::Location,
    Field::Injuries,
    Field::Impact,
];

/// Why sealed texts were refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TextsError {
    /// The sealed texts did not open (altered, moved, or another key).
    #[error("the record's sealed texts did not open: they were altered or moved")]
    DoesNotOpen,
    /// The texts do not match the commitments the record signs.
    #[error("the record's texts do not match what it commits to: it was written to read one way on the survivor's devices and another in an export")]
    Mismatch,
    /// The commitments or texts are malformed (what is wrong).
    #[error("the record's withholdable texts are malformed ({0})")]
    Malformed(&'static str),
}

/// The protobuf field number that names `field` in commitments and texts.
pub fn field_number(field: Field) -> Option<u32> {
    Some(match field {
        Field::Title => 1,
        Field::Text => 2,
        Field::Location => 7,
        Field::Injuries => 9,
        Field::Impact => 12,
        _ => return None,
    })
}

/// The withholdable field numbered `number`.
pub fn field_of_number(number: u32) -> Option<Field> {
    WITHHOLDABLE
        .into_iter()
        .find(|f| field_number(*f) == Some(number))
}

fn slot(fields: &mut EntryFields, field: Field) -> Option<&mut Option<String>> {
    Some(match field {
        Field::Title => &mut fields.title,
        Field::Text => &mut fields.text,
        Field::Location => &mut fields.location,
        Field::Injuries => &mut fields.injuries,
        Field::Impact => &mut fields.impact,
        _ => return None,
    })
}

/// The text `fields` holds in the clear for `field`, if any.
pub fn plain_text(fields: &EntryFields, field: Field) -> Option<&str> {
    match field {
        Field::Title => fields.title.as_deref(),
        Field::Text => fields.text.as_deref(),
        Field::Location => fields.location.as_deref(),
        Field::Injuries => fields.injuries.as_deref(),
        Field::Impact => fields.impact.as_deref(),
        _ => None,
    }
}

/// Sets `field`'s text in `fields` (a no-op for a field that is not withholdable).
pub fn set_text(fields: &mut EntryFields, field: Field, text: String) {
    if let Some(s) = slot(fields, field) {
        *s = Some(text);
    }
}

/// `text` cut into runs of whitespace and runs of anything else, in order.
pub fn pieces(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut last_space: Option<bool> = None;
    for (i, c) in text.char_indices() {
        let space = c.is_whitespace();
        if last_space.is_some_and(|l| l != space) {
            out.push(&text[start..i]);
            start = i;
        }
        last_space = Some(space);
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

/// The salt of piece `index` of a text with `seed`.
pub fn piece_salt(seed: &[u8; SEED_LEN], index: u32) -> [u8; SALT_LEN] {
    let key = kdf::subkey(seed, &format!("{PIECE_SALT_LABEL}{index}"));
    let mut salt = [0u8; SALT_LEN];
    salt.copy_from_slice(&key[..SALT_LEN]);
    salt
}

/// The digest of piece `index`.
pub fn piece_digest(index: u32, salt: &[u8; SALT_LEN], piece: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update((PIECE_LABEL.len() as u64).to_be_bytes());
    h.update(PIECE_LABEL);
    h.update(index.to_be_bytes());
    h.update(salt);
    h.update((piece.len() as u64).to_be_bytes());
    h.update(piece.as_bytes());
    h.finalize().into()
}

/// The commitment to a text of field `field` whose pieces have `digests`.
pub fn text_commitment(field: u32, digests: &[[u8; 32]]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update((COMMITMENT_LABEL.len() as u64).to_be_bytes());
    h.update(COMMITMENT_LABEL);
    h.update(field.to_be_bytes());
    h.update((digests.len() as u64).to_be_bytes());
    for d in digests {
        h.update(d);
    }
    h.finalize().into()
}

/// The digest of every piece of `text` under `seed`.
pub fn piece_digests(seed: &[u8; SEED_LEN], text: &str) -> Vec<[u8; 32]> {
    pieces(text)
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let i = u32::try_from(i).unwrap_or(u32::MAX);
            piece_digest(i, &piece_salt(seed, i), p)
        })
        .collect()
}

/// The commitment to a whole `text` of `field` under `seed`.
pub fn commit_text(field: u32, seed: &[u8; SEED_LEN], text: &str) -> [u8; 32] {
    text_commitment(field, &piece_digests(seed, text))
}

/// The associated data of a record's sealed texts: bound to the record's own
/// position, device, account, epoch and format.
pub fn texts_associated_data(record_ad: &[u8]) -> Vec<u8> {
    let mut ad = Vec::with_capacity(TEXTS_AD_LABEL.len() + record_ad.len());
    ad.extend_from_slice(TEXTS_AD_LABEL);
    ad.extend_from_slice(record_ad);
    ad
}

fn entry_fields_mut(op: &mut Operation) -> Option<&mut EntryFields> {
    match op.body.as_mut()? {
        Body::EntryCreated(c) => c.fields.as_mut(),
        Body::EntryAmended(a) => a.fields.as_mut(),
        _ => None,
    }
}

/// The entry fields of an entry-writing operation.
pub fn entry_fields(op: &Operation) -> Option<&EntryFields> {
    match op.body.as_ref()? {
        Body::EntryCreated(c) => c.fields.as_ref(),
        Body::EntryAmended(a) => a.fields.as_ref(),
        _ => None,
    }
}

/// Moves the withholdable texts of `op` out of its fields into sealed texts
/// under `texts_key`, leaving commitments in their place.
pub fn seal_texts(op: &mut Operation, texts_key: &[u8; 32], record_ad: &[u8]) {
    let Some(fields) = entry_fields_mut(op) else {
        return;
    };
    let mut texts = Vec::new();
    for field in WITHHOLDABLE {
        let (Some(number), Some(s)) = (field_number(field), slot(fields, field)) else {
            continue;
        };
        let Some(text) = s.take() else { continue };
        let seed = random_bytes::<SEED_LEN>();
        fields.withholdable.push(TextCommitment {
            field: number,
            commitment: commit_text(number, &seed, &text).to_vec(),
        });
        texts.push(WithholdableText {
            field: number,
            seed: seed.to_vec(),
            text,
        });
    }
    if texts.is_empty() {
        return;
    }
    let plain = Zeroizing::new(WithholdableTexts { texts }.encode_to_vec());
    let padded = Zeroizing::new(padme::pad(&plain));
    let (nonce, sealed) = xchacha_seal(texts_key, &texts_associated_data(record_ad), &padded);
    let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    op.sealed_texts = out;
}

/// A text as sealed, checked against its commitment.
pub struct OpenedText {
    /// The field.
    pub field: Field,
    /// Its seed.
    pub seed: Zeroizing<[u8; SEED_LEN]>,
    /// Its words.
    pub text: Zeroizing<String>,
}
impl std::fmt::Debug for OpenedText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenedText")
            .field("field", &self.field)
            .finish_non_exhaustive()
    }
}

/// Opens `op`'s sealed texts and checks each against the commitment it signs:
/// every commitment has exactly one text, and no text is without one. Texts
/// the fields also hold in the clear are refused (one field, two values).
pub fn open_texts(
    op: &Operation,
    texts_key: &[u8; 32],
    record_ad: &[u8],
) -> Result<Vec<OpenedText>, TextsError> {
    let commitments = match entry_fields(op) {
        Some(f) => check_commitments(f)?,
        None => Vec::new(),
    };
    if op.sealed_texts.is_empty() {
        return if commitments.is_empty() {
            Ok(Vec::new())
        } else {
            Err(TextsError::Malformed("commitments without texts"))
        };
    }
    if commitments.is_empty() {
        return Err(TextsError::Malformed("texts without commitments"));
    }
    let (nonce, sealed) = op
        .sealed_texts
        .split_at_checked(NONCE_LEN)
        .ok_or(TextsError::DoesNotOpen)?;
    let padded = xchacha_open(texts_key, nonce, &texts_associated_data(record_ad), sealed)
        .map_err(|_| TextsError::DoesNotOpen)?;
    let plain = padme::unpad(&padded).ok_or(TextsError::DoesNotOpen)?;
    let texts = WithholdableTexts::decode(plain).map_err(|_| TextsError::Malformed("texts"))?;
    if texts.texts.len() != commitments.len() {
        return Err(TextsError::Mismatch);
    }
    let mut out = Vec::with_capacity(texts.texts.len());
    for t in texts.texts {
        let (field, commitment) = commitments
            .iter()
            .find(|(f, _)| field_number(*f) == Some(t.field))
            .ok_or(TextsError::Mismatch)?;
        let seed: [u8; SEED_LEN] = t
            .seed
            .as_slice()
            .try_into()
            .map_err(|_| TextsError::Malformed("seed length"))?;
        let seed = Zeroizing::new(seed);
        let text = Zeroizing::new(t.text);
        if commit_text(t.field, &seed, &text) != *commitment {
            return Err(TextsError::Mismatch);
        }
        if out.iter().any(|o: &OpenedText| o.field == *field) {
            return Err(TextsError::Mismatch);
        }
        out.push(OpenedText {
            field: *field,
            seed,
            text,
        });
    }
    Ok(out)
}

/// The commitments `fields` signs, by field: each a known withholdable field,
/// 32 bytes, at most once, and not also given in the clear.
pub fn check_commitments(fields: &EntryFields) -> Result<Vec<(Field, [u8; 32])>, TextsError> {
    let mut out: Vec<(Field, [u8; 32])> = Vec::new();
    for c in &fields.withholdable {
        let field = field_of_number(c.field).ok_or(TextsError::Malformed("unknown field"))?;
        let commitment: [u8; 32] = c
            .commitment
            .as_slice()
            .try_into()
            .map_err(|_| TextsError::Malformed("commitment length"))?;
        if out.iter().any(|(f, _)| *f == field) {
            return Err(TextsError::Malformed("a field committed twice"));
        }
        if plain_text(fields, field).is_some() {
            return Err(TextsError::Malformed(
                "a field both committed and in the clear",
            ));
        }
        out.push((field, commitment));
    }
    Ok(out)
}

/// Opens `op`'s sealed texts and puts them back in its fields, as the journal
/// reads them. Records of formats before 3 carry none and must not.
pub fn restore_texts(
    op: &mut Operation,
    format_version: u32,
    texts_key: &[u8; 32],
    record_ad: &[u8],
) -> Result<(), TextsError> {
    let has_any =
        !op.sealed_texts.is_empty() || entry_fields(op).is_some_and(|f| !f.withholdable.is_empty());
    if format_version < WITHHOLDABLE_FORMAT_VERSION {
        return if has_any {
            Err(TextsError::Malformed(
                "texts in a record format that has none",
            ))
        } else {
            Ok(())
        };
    }
    if !has_any {
        return Ok(());
    }
    let texts = open_texts(op, texts_key, record_ad)?;
    op.sealed_texts.clear();
    if let Some(fields) = entry_fields_mut(op) {
        fields.withholdable.clear();
        for t in texts {
            set_text(fields, t.field, t.text.to_string());
        }
    }
    Ok(())
}

/// The first record format whose operations may seal their texts apart.
pub const WITHHOLDABLE_FORMAT_VERSION: u32 = 3;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use proptest::prelude::*;

    fn entry(fields: EntryFields) -> Operation {
        Operation {
            body: Some(Body::EntryCreated(mycase_proto::v1::EntryCreated {
                entry_id: vec![1; 16],
                fields: Some(fields),
            })),
            ..Default::default()
        }
    }

    fn fields() -> EntryFields {
        EntryFields {
            title: Some("At the flat".into()),
            text: Some("He followed me to 12 Elm Road, Leeds.\nI left at 9.".into()),
            location: Some("12 Elm Road".into()),
            severity: Some(3),
            ..Default::default()
        }
    }

    #[test]
    fn pieces_cut_at_whitespace_and_join_back() {
        assert_eq!(
            pieces("12 Elm  Road,\nLeeds"),
            ["12", " ", "Elm", "  ", "Road,", "\n", "Leeds"]
        );
        assert_eq!(pieces(" a"), [" ", "a"]);
        assert!(pieces("").is_empty());
        assert_eq!(pieces("naïve café"), ["naïve", " ", "café"]);
    }

    proptest! {
        #[test]
        fn pieces_always_join_back_to_the_text(text in "\\PC{0,40}") {
            prop_assert_eq!(pieces(&text).concat(), text.clone());
            for p in pieces(&text) {
                prop_assert!(!p.is_empty());
                let spaces = p.chars().filter(|c| c.is_whitespace()).count();
                prop_assert!(spaces == 0 || spaces == p.chars().count());
            }
        }
    }

    #[test]
    fn sealed_texts_leave_only_commitments_and_open_back() {
        let key = [7; 32];
        let mut op = entry(fields());
        seal_texts(&mut op, &key, b"ad");
        let sealed = entry_fields(&op).unwrap();
        assert_eq!(sealed.title, None);
        assert_eq!(sealed.text, None);
        assert_eq!(sealed.location, None);
        assert_eq!(sealed.severity, Some(3), "fields that are not texts stay");
        assert_eq!(sealed.withholdable.len(), 3);
        let bytes = op.encode_to_vec();
        assert!(!bytes.windows(3).any(|w| w == b"Elm"));

        let mut restored = op.clone();
        restore_texts(&mut restored, 3, &key, b"ad").unwrap();
        assert_eq!(restored, entry(fields()));

        // Moved to another record, or another key: refused.
        assert_eq!(
            restore_texts(&mut op.clone(), 3, &key, b"other"),
            Err(TextsError::DoesNotOpen)
        );
        assert_eq!(
            restore_texts(&mut op.clone(), 3, &[8; 32], b"ad"),
            Err(TextsError::DoesNotOpen)
        );
        // A format-2 record may not carry them.
        assert!(matches!(
            restore_texts(&mut op.clone(), 2, &key, b"ad"),
            Err(TextsError::Malformed(_))
        ));
        // Texts dropped, or commitments dropped: refused.
        let mut dropped = op.clone();
        dropped.sealed_texts.clear();
        assert!(restore_texts(&mut dropped, 3, &key, b"ad").is_err());
        let mut uncommitted = op.clone();
        if let Some(Body::EntryCreated(c)) = uncommitted.body.as_mut() {
            c.fields.as_mut().unwrap().withholdable.clear();
        }
        assert!(restore_texts(&mut uncommitted, 3, &key, b"ad").is_err());
    }

    #[test]
    fn a_record_that_commits_to_other_words_than_it_seals_is_refused() {
        // The attack: a modified client seals "12 Elm Road" for the survivor's
        // devices but commits to "Nowhere" for an export.
        let key = [7; 32];
        let mut op = entry(fields());
        seal_texts(&mut op, &key, b"ad");
        if let Some(Body::EntryCreated(c)) = op.body.as_mut() {
            let f = c.fields.as_mut().unwrap();
            let loc = f.withholdable.iter_mut().find(|c| c.field == 7).unwrap();
            loc.commitment = commit_text(7, &[0; 32], "Nowhere").to_vec();
        }
        assert_eq!(
            restore_texts(&mut op, 3, &key, b"ad"),
            Err(TextsError::Mismatch)
        );
    }

    #[test]
    fn a_field_both_committed_and_in_the_clear_is_refused() {
        let key = [7; 32];
        let mut op = entry(fields());
        seal_texts(&mut op, &key, b"ad");
        if let Some(Body::EntryCreated(c)) = op.body.as_mut() {
            c.fields.as_mut().unwrap().location = Some("Somewhere else".into());
        }
        assert!(matches!(
            restore_texts(&mut op, 3, &key, b"ad"),
            Err(TextsError::Malformed(_))
        ));
    }

    #[test]
    fn an_operation_without_texts_is_left_as_it_is() {
        let key = [7; 32];
        let mut op = entry(EntryFields {
            severity: Some(2),
            ..Default::default()
        });
        seal_texts(&mut op, &key, b"ad");
        assert!(op.sealed_texts.is_empty());
        let before = op.clone();
        restore_texts(&mut op, 3, &key, b"ad").unwrap();
        assert_eq!(op, before);
    }
}
