//! Planning a sync round: a pure function from what the device knows and what the
//! server claims to what to push and pull, refusing a server that went backwards.

use crate::format::vector::Vector;
use crate::ids::DeviceId;

use super::SyncError;

/// What one sync round does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyncPlan {
    /// Own records to upload: idx `from..=to`, if any.
    pub push: Option<(u64, u64)>,
    /// What to ask the server for: everything above this.
    pub pull_since: Vector,
}

/// Plans a round.
///
/// - `local`: how far each log goes in the local store (own log included);
/// - `acked_own`: the highest own idx the server has acknowledged;
/// - `highest_seen`: the highest verified vector seen from the server;
/// - `server`: the vector the server reports now.
pub(crate) fn plan_sync(
    own: &DeviceId,
    local: &Vector,
    acked_own: u64,
    highest_seen: &Vector,
    server: &Vector,
) -> Result<SyncPlan, SyncError> {
    for (device, &had) in highest_seen.iter().chain(local.iter()) {
        if device == own {
            continue;
        }
        let got = server.get(device);
        if got < had {
            return Err(SyncError::Rollback { had, got });
        }
    }
    let server_own = server.get(own);
    if server_own < acked_own {
        return Err(SyncError::Rollback {
            had: acked_own,
            got: server_own,
        });
    }
    let local_own = local.get(own);
    if server_own > local_own {
        return Err(SyncError::ForeignRecords {
            server: server_own,
            local: local_own,
        });
    }
    // From the last acknowledged record, not the server's head: records the server
    // stored but whose answer never arrived (or carried a bad receipt) are sent
    // again; the server accepts the identical re-send and returns the original
    // receipts, so every own record ends up with its receipt.
    let from = acked_own.min(server_own) + 1;
    let push = (from <= local_own).then_some((from, local_own));
    Ok(SyncPlan {
        push,
        pull_since: local.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ME: DeviceId = [1; 16];
    const OTHER: DeviceId = [2; 16];

    fn v(pairs: &[(DeviceId, u64)]) -> Vector {
        pairs.iter().copied().collect()
    }

    #[test]
    fn pushes_what_the_server_lacks_and_pulls_above_local() {
        let local = v(&[(ME, 5), (OTHER, 3)]);
        let plan = plan_sync(
            &ME,
            &local,
            2,
            &v(&[(OTHER, 3)]),
            &v(&[(ME, 2), (OTHER, 7)]),
        )
        .unwrap();
        assert_eq!(plan.push, Some((3, 5)));
        assert_eq!(plan.pull_since, local);
        let idle = plan_sync(&ME, &local, 5, &local, &local).unwrap();
        assert_eq!(idle.push, None);
    }

    #[test]
    fn resends_what_the_server_holds_but_never_acknowledged() {
        let local = v(&[(ME, 5)]);
        let plan = plan_sync(&ME, &local, 2, &Vector::new(), &v(&[(ME, 4)])).unwrap();
        assert_eq!(plan.push, Some((3, 5)));
        let plan = plan_sync(&ME, &local, 2, &Vector::new(), &v(&[(ME, 5)])).unwrap();
        assert_eq!(plan.push, Some((3, 5)));
    }

    #[test]
    fn refuses_rollback_of_another_device() {
        let local = v(&[(ME, 1), (OTHER, 3)]);
        let r = plan_sync(
            &ME,
            &local,
            1,
            &v(&[(OTHER, 4)]),
            &v(&[(ME, 1), (OTHER, 3)]),
        );
        assert_eq!(r, Err(SyncError::Rollback { had: 4, got: 3 }));
        let r = plan_sync(&ME, &local, 1, &Vector::new(), &v(&[(ME, 1), (OTHER, 2)]));
        assert_eq!(r, Err(SyncError::Rollback { had: 3, got: 2 }));
    }

    #[test]
    fn refuses_rollback_of_own_log_and_invented_records() {
        let local = v(&[(ME, 4)]);
        assert_eq!(
            plan_sync(&ME, &local, 3, &Vector::new(), &v(&[(ME, 2)])),
            Err(SyncError::Rollback { had: 3, got: 2 })
        );
        assert_eq!(
            plan_sync(&ME, &local, 4, &Vector::new(), &v(&[(ME, 6)])),
            Err(SyncError::ForeignRecords {
                server: 6,
                local: 4
            })
        );
    }
}
