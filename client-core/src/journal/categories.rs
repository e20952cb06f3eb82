//! The fixed list of incident categories: stored as kebab-case slugs, shown by name.
//!
//! Only the slug is stored, so a later change of wording never changes old entries.
//! Clients validate what a person types against this list; the journal itself shows
//! any stored value (one from a newer client is shown as stored).

/// `(slug, readable name)`, in the order a picker shows them.
pub const CATEGORIES: [(&str, &str); 12] = [
    ("physical", "Physical"),
    ("sexual", "Sexual"),
    ("emotional-or-psychological", "Emotional or psychological"),
    (
        "coercive-or-controlling",
        "Coercive or controlling behaviour",
    ),
    ("economic-or-financial", "Economic or financial"),
    ("stalking-or-harassment", "Stalking or harassment"),
    ("technology-facilitated", "Technology-facilitated"),
    ("threats", "Threats"),
    ("damage-to-property", "Damage to property"),
    ("involving-children", "Involving children"),
    (
        "breach-of-order-or-bail",
        "Breach of an order or bail conditions",
    ),
    ("other", "Other"),
];

/// The slug for what a person typed: a slug or a readable name, case-insensitive,
/// with spaces or underscores for dashes. `None` if it is not in the list.
pub fn parse(input: &str) -> Option<&'static str> {
    let wanted = normalise(input);
    CATEGORIES
        .iter()
        .find(|(slug, name)| *slug == wanted || normalise(name) == wanted)
        .map(|(slug, _)| *slug)
}

/// The readable name of a stored slug; an unknown one as stored.
pub fn display(slug: &str) -> &str {
    CATEGORIES
        .iter()
        .find(|(s, _)| *s == slug)
        .map(|(_, name)| *name)
        .unwrap_or(slug)
}

fn normalise(s: &str) -> String {
    s.trim().to_lowercase().replace([' ', '_'], "-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_and_names_parse_case_insensitively() {
        assert_eq!(parse("PHYSICAL"), Some("physical"));
        assert_eq!(
            parse("Stalking or harassment"),
            Some("stalking-or-harassment")
        );
        assert_eq!(
            parse("breach_of_order_or_bail"),
            Some("breach-of-order-or-bail")
        );
        assert_eq!(
            parse("Coercive or controlling behaviour"),
            Some("coercive-or-controlling")
        );
        assert_eq!(parse("sad"), None);
        assert_eq!(display("threats"), "Threats");
        assert_eq!(display("from-a-newer-client"), "from-a-newer-client");
    }
}
