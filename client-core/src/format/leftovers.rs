//! What a device keeps for the recovery kit when it must erase itself.
//!
//! A device that learns (from a signed statement) that it was revoked, or that its
//! account was deleted, erases itself. Records it wrote that the server never
//! acknowledged exist nowhere else; throwing them away would lose what the
//! survivor wrote, and leaving them readable would hand them to whoever holds the
//! device. So they are sealed to the recovery kit's X25519 key (as the recovery
//! blob is) into one file that the wipe leaves in the home: only the kit opens it,
//! and `mycase recover` into that home brings the entries back.
//!
//! Format: `"MCK1" || seal_to(recovery_dh, "", "mycase/v1/kept-for-recovery" ||
//! account_id, KeptForRecovery)`.

use std::path::{Path, PathBuf};

use mycase_proto::v1::{KeptForRecovery, KeptOperation, Operation};
use prost::Message;
use zeroize::Zeroizing;

use crate::crypto::seal_to::{open_sealed, seal_to};
use crate::format::keys::{KeyError, RecoveryKit};
use crate::ids::{id_from_slice, AccountId, DeviceId};

/// The file's name in the home.
pub const FILE_NAME: &str = "kept-for-recovery-kit";
const PREFIX: &[u8; 4] = b"MCK1";
const AD_LABEL: &[u8] = b"mycase/v1/kept-for-recovery";

/// Where the kept file lives in `home`.
pub fn path_in(home: &Path) -> PathBuf {
    home.join(FILE_NAME)
}

fn ad(account_id: &AccountId) -> Vec<u8> {
    [AD_LABEL, account_id.as_slice()].concat()
}

/// Seals `operations` (with their index in `device`'s log) for the kit.
pub fn seal(
    recovery_dh_public: &[u8; 32],
    account_id: &AccountId,
    device: &DeviceId,
    operations: &[(u64, Operation)],
) -> Vec<u8> {
    let kept = KeptForRecovery {
        account_id: account_id.to_vec(),
        device_id: device.to_vec(),
        operations: operations
            .iter()
            .map(|(idx, op)| KeptOperation {
                idx: *idx,
                operation: op.encode_to_vec(),
            })
            .collect(),
    };
    let plain = Zeroizing::new(kept.encode_to_vec());
    let sealed = seal_to(recovery_dh_public, &[], &ad(account_id), &plain);
    [PREFIX.as_slice(), &sealed].concat()
}

/// What a kept file holds, opened with the kit.
#[derive(Debug)]
pub struct Kept {
    /// The device that wrote the records.
    pub device: DeviceId,
    /// Its unsent operations, each with its idx.
    pub operations: Vec<(u64, Operation)>,
}

/// Opens a kept file with the kit, for `account_id`. Every failure is the same
/// opaque [`KeyError::BadRecoveryKit`].
pub fn open(kit: &RecoveryKit, account_id: &AccountId, bytes: &[u8]) -> Result<Kept, KeyError> {
    let sealed = bytes
        .strip_prefix(PREFIX.as_slice())
        .ok_or(KeyError::BadRecoveryKit)?;
    let plain = open_sealed(&kit.dh_secret(), &[], &ad(account_id), sealed)
        .map_err(|_| KeyError::BadRecoveryKit)?;
    let kept = KeptForRecovery::decode(plain.as_slice()).map_err(|_| KeyError::BadRecoveryKit)?;
    if kept.account_id != account_id {
        return Err(KeyError::BadRecoveryKit);
    }
    let device = id_from_slice(&kept.device_id).ok_or(KeyError::BadRecoveryKit)?;
    let operations = kept
        .operations
        .iter()
        .map(|k| {
            Operation::decode(k.operation.as_slice())
                .map(|op| (k.idx, op))
                .map_err(|_| KeyError::BadRecoveryKit)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Kept { device, operations })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn only_the_kit_opens_what_was_kept() {
        let kit = RecoveryKit::generate();
        let op = Operation {
            recorded_at_ms: 42,
            ..Default::default()
        };
        let sealed = seal(&kit.dh_public(), &[1; 16], &[2; 16], &[(7, op.clone())]);
        let kept = open(&kit, &[1; 16], &sealed).unwrap();
        assert_eq!(kept.device, [2; 16]);
        assert_eq!(kept.operations, vec![(7, op)]);
        assert!(open(&RecoveryKit::generate(), &[1; 16], &sealed).is_err());
        assert!(open(&kit, &[3; 16], &sealed).is_err());
        let mut bad = sealed;
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert!(open(&kit, &[1; 16], &bad).is_err());
    }
}
