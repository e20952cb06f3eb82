//! Version vectors: `device -> highest idx`, the only structure the server and the
//! client both understand about a journal.

use std::collections::BTreeMap;

use mycase_proto::v1::{VectorEntry, VersionVector};

use crate::ids::{id_from_slice, DeviceId};

/// A version vector: for each device, how far into its log one has (a log's last idx).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vector(BTreeMap<DeviceId, u64>);

/// Why a version vector from the wire was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VectorError {
    /// A device id is malformed.
    #[error("version vector has a malformed device id")]
    MalformedId,
    /// It names a device twice.
    #[error("version vector names a device twice")]
    Duplicate,
}

impl Vector {
    /// An empty vector.
    pub fn new() -> Self {
        Self::default()
    }

    /// How far into `device`'s log (0 if not named).
    pub fn get(&self, device: &DeviceId) -> u64 {
        self.0.get(device).copied().unwrap_or(0)
    }

    /// Sets how far into `device`'s log.
    pub fn set(&mut self, device: DeviceId, idx: u64) {
        if idx == 0 {
            self.0.remove(&device);
        } else {
            self.0.insert(device, idx);
        }
    }

    /// Raises each device's idx to at least `other`'s.
    pub fn merge_max(&mut self, other: &Vector) {
        for (d, &i) in &other.0 {
            if i > self.get(d) {
                self.0.insert(*d, i);
            }
        }
    }

    /// True if this vector is at least `other` for every device.
    pub fn covers(&self, other: &Vector) -> bool {
        other.0.iter().all(|(d, &i)| self.get(d) >= i)
    }

    /// Each device with its idx, in device order.
    pub fn iter(&self) -> impl Iterator<Item = (&DeviceId, &u64)> {
        self.0.iter()
    }

    /// The devices named.
    pub fn devices(&self) -> impl Iterator<Item = &DeviceId> {
        self.0.keys()
    }

    /// The sum of every idx (records in all).
    pub fn total(&self) -> u64 {
        self.0.values().sum()
    }

    /// Its wire form.
    pub fn to_proto(&self) -> VersionVector {
        VersionVector {
            entries: self
                .0
                .iter()
                .map(|(d, &idx)| VectorEntry {
                    device_id: d.to_vec(),
                    idx,
                })
                .collect(),
        }
    }

    /// From its wire form, refusing malformed or duplicate ids.
    pub fn from_proto(v: &VersionVector) -> Result<Self, VectorError> {
        let mut out = BTreeMap::new();
        for e in &v.entries {
            let d = id_from_slice(&e.device_id).ok_or(VectorError::MalformedId)?;
            if out.insert(d, e.idx).is_some() {
                return Err(VectorError::Duplicate);
            }
        }
        out.retain(|_, i| *i > 0);
        Ok(Vector(out))
    }
}

impl FromIterator<(DeviceId, u64)> for Vector {
    fn from_iter<T: IntoIterator<Item = (DeviceId, u64)>>(iter: T) -> Self {
        let mut v = Vector::new();
        for (d, i) in iter {
            v.set(d, i);
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covers_and_merge() {
        let a: Vector = [([1; 16], 3), ([2; 16], 1)].into_iter().collect();
        let b: Vector = [([1; 16], 2), ([3; 16], 5)].into_iter().collect();
        assert!(!a.covers(&b));
        let mut m = a.clone();
        m.merge_max(&b);
        assert!(m.covers(&a) && m.covers(&b));
        assert_eq!(m.get(&[1; 16]), 3);
        assert_eq!(m.get(&[3; 16]), 5);
        assert_eq!(Vector::from_proto(&m.to_proto()).unwrap(), m);
    }

    #[test]
    fn rejects_malformed() {
        let bad = VersionVector {
            entries: vec![VectorEntry {
                device_id: vec![1; 15],
                idx: 1,
            }],
        };
        assert_eq!(Vector::from_proto(&bad), Err(VectorError::MalformedId));
        let dup = VersionVector {
            entries: vec![
                VectorEntry {
                    device_id: vec![1; 16],
                    idx: 1,
                },
                VectorEntry {
                    device_id: vec![1; 16],
                    idx: 2,
                },
            ],
        };
        assert_eq!(Vector::from_proto(&dup), Err(VectorError::Duplicate));
    }
}
