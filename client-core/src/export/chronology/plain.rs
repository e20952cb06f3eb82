//! Plain words for what the records hold: field names as a reader says them,
//! sizes, file types, days and values. No slug, field name or raw id here.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::export::model::{ExportDocument, ExportOccurred};

/// What a reader calls each field of an entry (by its stored name).
pub(super) fn field_label(field: &str) -> &str {
    match field {
        "title" => "title",
        "text" => "what happened",
        "occurred_at" => "when it happened",
        "categories" => "type of abuse",
        "tags" => "tags",
        "severity" => "severity",
        "location" => "where",
        "people" => "people involved",
        "injuries" => "injuries",
        "police_references" => "police reference",
        "actions_taken" => "actions taken",
        "impact" => "impact",
        other => other,
    }
}

/// The same, starting with a capital, for a list's label.
pub(super) fn field_heading(field: &str) -> String {
    let label = field_label(field);
    let mut chars = label.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Labels joined as a reader lists them: "where", "where and injuries",
/// "title, where and injuries".
pub(super) fn listed(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// An exported occurred-at value as stored, if its precision is one MyCase knows.
pub(super) fn stored(o: &ExportOccurred) -> Option<mycase_proto::v1::OccurredAt> {
    use mycase_proto::v1::occurred_at::Precision;
    let precision = match o.precision.as_str() {
        "minute" => Precision::Minute,
        "day" => Precision::Day,
        "month" => Precision::Month,
        "range" => Precision::Range,
        _ => return None,
    };
    Some(mycase_proto::v1::OccurredAt {
        start: o.start.clone(),
        precision: precision as i32,
        end: o.end.clone(),
    })
}

/// When an entry happened, as exported, in the chronology's words.
pub(super) fn when(o: Option<&ExportOccurred>) -> String {
    o.and_then(stored)
        .map(|o| crate::words::dates::in_a_chronology(&o))
        .unwrap_or_else(|| "Date not recorded".to_string())
}

/// The period the entries cover, each end at the precision it was given:
/// "March 2026 to 24 April 2026"; `None` when no entry gives a readable date.
pub(super) fn period(doc: &ExportDocument) -> Option<String> {
    let ends: Vec<_> = doc
        .entries
        .iter()
        .filter_map(|e| e.occurred_at.as_ref().and_then(stored))
        .filter_map(|o| crate::words::dates::ends_in_words(&o))
        .collect();
    let (first_day, first) = ends
        .iter()
        .map(|(start, _)| start)
        .min_by_key(|(d, _)| *d)?;
    let (last_day, last) = ends.iter().map(|(_, end)| end).max_by_key(|(d, _)| *d)?;
    Some(if first_day == last_day || first == last {
        first.clone()
    } else {
        format!("{first} to {last}")
    })
}

/// A size as people read it, with the exact count: "1.2 MB (1,234,567 bytes)".
pub(super) fn size(bytes: u64) -> String {
    let exact = with_thousands(bytes);
    let unit =
        |divisor: f64, name: &str| format!("{:.1} {name} ({exact} bytes)", bytes as f64 / divisor);
    match bytes {
        0..=999 => format!("{exact} bytes"),
        1_000..=999_999 => unit(1e3, "KB"),
        1_000_000..=999_999_999 => unit(1e6, "MB"),
        _ => unit(1e9, "GB"),
    }
}

fn with_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// What kind of file a media type is, in words: "JPEG image", "PDF document".
pub(super) fn file_kind(media_type: &str) -> String {
    let essence = media_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let known = match essence.as_str() {
        "image/jpeg" => "JPEG image",
        "image/png" => "PNG image",
        "image/gif" => "GIF image",
        "image/webp" => "WebP image",
        "image/heic" | "image/heif" => "HEIC image",
        "application/pdf" => "PDF document",
        "text/plain" => "text file",
        "audio/mpeg" => "MP3 audio",
        "audio/mp4" | "audio/m4a" | "audio/x-m4a" => "M4A audio",
        "audio/ogg" => "Ogg audio",
        "audio/wav" | "audio/x-wav" => "WAV audio",
        "video/mp4" => "MP4 video",
        "video/quicktime" => "QuickTime video",
        "video/webm" => "WebM video",
        _ => "",
    };
    if !known.is_empty() {
        return known.to_string();
    }
    match essence.split_once('/') {
        Some(("image", _)) => format!("image ({essence})"),
        Some(("audio", _)) => format!("audio ({essence})"),
        Some(("video", _)) => format!("video ({essence})"),
        _ if essence.is_empty() => "file of unknown type".to_string(),
        _ => format!("file ({essence})"),
    }
}

/// The media types a page shows inline as images (what every browser and
/// Chromium's PDF printer draw, and none that can carry script).
pub fn is_shown_inline(media_type: &str) -> bool {
    let essence = media_type.split(';').next().unwrap_or_default().trim();
    matches!(
        essence.to_ascii_lowercase().as_str(),
        "image/jpeg" | "image/png" | "image/gif" | "image/webp"
    )
}

/// Whether `bytes` is an image of `media_type` that a browser will draw: its
/// structure parses (JPEG segments, PNG chunks, a WebP RIFF) or, for GIF, its
/// signature is there. A file that would not draw is listed, never shown: a
/// broken image prints its description as text, which a printed page must not
/// add.
pub fn draws_as_image(media_type: &str, bytes: &[u8]) -> bool {
    let essence = media_type.split(';').next().unwrap_or_default().trim();
    let owned = || img_parts::Bytes::copy_from_slice(bytes);
    match essence.to_ascii_lowercase().as_str() {
        // A frame header (SOF) before the scan: there is a picture to draw.
        "image/jpeg" => img_parts::jpeg::Jpeg::from_bytes(owned()).is_ok_and(|jpeg| {
            jpeg.segments().iter().any(
                |s| matches!(s.marker(), 0xC0..=0xCF if !matches!(s.marker(), 0xC4 | 0xC8 | 0xCC)),
            )
        }),
        "image/png" => img_parts::png::Png::from_bytes(owned()).is_ok_and(|png| {
            png.chunk_by_type(*b"IHDR").is_some() && png.chunk_by_type(*b"IDAT").is_some()
        }),
        "image/webp" => img_parts::webp::WebP::from_bytes(owned()).is_ok(),
        "image/gif" => bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a"),
        _ => false,
    }
}

/// Person id -> "Dave (person causing harm)", from the document's people list.
pub(super) fn people_by_id(doc: &ExportDocument) -> BTreeMap<&str, String> {
    doc.people
        .iter()
        .map(|p| {
            let name = p.name.clone().unwrap_or_else(|| "Someone not named".into());
            let role = p
                .role
                .as_deref()
                .filter(|r| !r.trim().is_empty())
                .map(crate::journal::people::role_display);
            let shown = match role {
                Some(role) => format!("{name} ({role})"),
                None => name,
            };
            (p.id.as_str(), shown)
        })
        .collect()
}

/// Device id -> its name, from the document's device list.
pub(super) fn devices_by_id(doc: &ExportDocument) -> BTreeMap<&str, &str> {
    doc.devices
        .iter()
        .map(|d| (d.device_id.as_str(), d.name.as_str()))
        .collect()
}

/// Category slug -> its name, from the document's categories list.
pub(super) fn categories_by_slug(doc: &ExportDocument) -> BTreeMap<&str, &str> {
    doc.categories
        .iter()
        .map(|c| (c.slug.as_str(), c.name.as_str()))
        .collect()
}

/// What a reader needs to name the people, devices and categories.
pub struct Names<'a> {
    /// Person id -> name and role.
    pub people: BTreeMap<&'a str, String>,
    /// Device id -> name.
    pub devices: BTreeMap<&'a str, &'a str>,
    /// Category slug -> name.
    pub categories: BTreeMap<&'a str, &'a str>,
}

impl<'a> Names<'a> {
    /// The names the document lists.
    pub fn of(doc: &'a ExportDocument) -> Self {
        Names {
            people: people_by_id(doc),
            devices: devices_by_id(doc),
            categories: categories_by_slug(doc),
        }
    }

    /// A device by id; one the document does not list as "a device not listed".
    pub fn device(&self, id: &str) -> String {
        self.devices
            .get(id)
            .map(|n| format!("“{n}”"))
            .unwrap_or_else(|| "a device not listed".to_string())
    }

    /// A person by id.
    pub fn person(&self, id: &str) -> String {
        self.people
            .get(id)
            .cloned()
            .unwrap_or_else(|| "someone not on the people list".to_string())
    }

    /// A category by slug (one this MyCase does not know, as stored).
    pub fn category(&'a self, slug: &'a str) -> &'a str {
        self.categories.get(slug).copied().unwrap_or(slug)
    }

    /// A field's value as a reader reads it.
    pub fn value(&self, field: &str, v: &Value) -> String {
        let strings = || -> Vec<String> {
            match v {
                Value::Array(items) => items
                    .iter()
                    .map(|i| {
                        i.as_str()
                            .map(str::to_owned)
                            .unwrap_or_else(|| i.to_string())
                    })
                    .collect(),
                Value::String(s) => vec![s.clone()],
                other => vec![other.to_string()],
            }
        };
        let none = |list: Vec<String>| {
            if list.is_empty() {
                "(none)".to_string()
            } else {
                list.join("; ")
            }
        };
        match field {
            "occurred_at" => {
                let occurred: Option<ExportOccurred> = serde_json::from_value(v.clone()).ok();
                when(occurred.as_ref())
            }
            "severity" => v
                .as_u64()
                .map(|n| format!("{n} of 5"))
                .unwrap_or_else(|| v.to_string()),
            "people" => none(strings().iter().map(|id| self.person(id)).collect()),
            "categories" => none(
                strings()
                    .iter()
                    .map(|s| self.category(s).to_string())
                    .collect(),
            ),
            "tags" | "police_references" | "actions_taken" => none(strings()),
            _ => match v {
                Value::String(s) if s.is_empty() => "(cleared)".to_string(),
                Value::String(s) => s.clone(),
                other => other.to_string(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_read_them_with_the_exact_count() {
        assert_eq!(size(0), "0 bytes");
        assert_eq!(size(999), "999 bytes");
        assert_eq!(size(1_000), "1.0 KB (1,000 bytes)");
        assert_eq!(size(1_234_567), "1.2 MB (1,234,567 bytes)");
        assert_eq!(size(3_500_000_000), "3.5 GB (3,500,000,000 bytes)");
    }

    #[test]
    fn lists_and_kinds_read_as_words() {
        let s = |v: &[&str]| listed(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(s(&[]), "");
        assert_eq!(s(&["where"]), "where");
        assert_eq!(s(&["where", "injuries"]), "where and injuries");
        assert_eq!(
            s(&["title", "where", "injuries"]),
            "title, where and injuries"
        );
        assert_eq!(file_kind("image/jpeg"), "JPEG image");
        assert_eq!(file_kind("Application/PDF"), "PDF document");
        assert_eq!(file_kind("audio/flac"), "audio (audio/flac)");
        assert_eq!(
            file_kind("application/x-thing"),
            "file (application/x-thing)"
        );
        assert_eq!(file_kind(""), "file of unknown type");
        assert!(is_shown_inline("image/png"));
        assert!(!is_shown_inline("image/svg+xml"));
        assert!(!draws_as_image(
            "image/jpeg",
            b"\xff\xd8\xff not really a photo"
        ));
        assert!(!draws_as_image("image/png", b"\x89PNG\r\n\x1a\n"));
        assert!(draws_as_image("image/gif", b"GIF89a..."));
        assert_eq!(field_heading("police_references"), "Police reference");
    }
}
