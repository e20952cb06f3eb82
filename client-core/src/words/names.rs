//! The candidate lists [`super::matching::find`] looks in: people, categories,
//! devices. One shape for all, so each is found the same way.

use crate::journal::{categories, Journal, PersonId};
use crate::{ids::DeviceId, DeviceStatus};

use super::matching::Candidate;

/// The journal's people: their name (or "(no name)"), known also by their id in hex.
pub fn people(journal: &Journal) -> Vec<Candidate<PersonId>> {
    journal
        .people()
        .into_iter()
        .map(|p| Candidate {
            id: p.id,
            name: p.name.clone().unwrap_or_else(|| "(no name)".into()),
            keys: vec![hex::encode(p.id)],
        })
        .collect()
}

/// The fixed categories: their readable name, known also by their slug. The id is
/// the slug that is stored.
pub fn categories() -> Vec<Candidate<&'static str>> {
    categories::CATEGORIES
        .iter()
        .map(|(slug, name)| Candidate {
            id: *slug,
            name: (*name).to_string(),
            keys: vec![(*slug).to_string()],
        })
        .collect()
}

/// Devices: their name (or "(unknown)"), known also by their id in hex.
pub fn devices(devices: &[DeviceStatus]) -> Vec<Candidate<DeviceId>> {
    devices
        .iter()
        .map(|d| Candidate {
            id: d.device_id,
            name: d.name.clone().unwrap_or_else(|| "(unknown)".into()),
            keys: vec![hex::encode(d.device_id)],
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::words::matching::{find, MatchError};

    #[test]
    fn categories_by_part_of_a_name_or_a_slug() {
        let all = categories();
        assert_eq!(find("coercive", &all), Ok("coercive-or-controlling"));
        assert_eq!(
            find("Coercive or controlling behaviour", &all),
            Ok("coercive-or-controlling")
        );
        assert_eq!(
            find("breach_of_order_or_bail", &all),
            Ok("breach-of-order-or-bail")
        );
        assert_eq!(find("PHYSICAL", &all), Ok("physical"));
        assert_eq!(find("stalking", &all), Ok("stalking-or-harassment"));
        assert!(matches!(
            find("ing", &all),
            Err(MatchError::Ambiguous { .. })
        ));
        let Err(MatchError::NotFound { did_you_mean }) = find("threts", &all) else {
            panic!("expected not found");
        };
        assert_eq!(did_you_mean[0].id, "threats");
    }
}
