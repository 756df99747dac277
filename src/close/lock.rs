//! One close at a time per lake: `locks/close.lock`, created only if absent (a create-only put, so
//! two processes — or two machines on one S3 lake — cannot both take it). A second close waits up to
//! `--wait-seconds`, then exits naming the holder. A lock left by a process that died on this host
//! (SIGKILL, power loss) is taken over; one held from another host is never guessed stale.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::exit::ExitCode;
use crate::lake::layout::LOCK as PATH;
use crate::lake::{Lake, LakeError};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Holder {
    pub pid: u32,
    pub host: String,
    pub started_at: String,
    pub command: String,
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(transparent)]
    Lake(#[from] LakeError),
    #[error(
        "another close holds the lake: `{}` (pid {} on {}, since {}); waited {waited} s. Try again when it has finished, or pass --wait-seconds. If no close is running there, delete {PATH} in the lake.",
        holder.command, holder.pid, holder.host, holder.started_at
    )]
    Held { holder: Holder, waited: u64 },
}

impl LockError {
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::Runtime
    }
}

/// The lake's lock, held until `release`.
#[derive(Debug)]
pub struct Lock {
    lake: Lake,
    pub holder: Holder,
}

pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_else(|_| "unknown".into())
}

/// Whether a holder is a process that no longer runs on this host.
fn is_stale(holder: &Holder) -> bool {
    holder.host == hostname()
        && holder.pid != std::process::id()
        && !std::path::Path::new(&format!("/proc/{}", holder.pid)).exists()
}

/// Takes the lock, waiting up to `wait` for a running close to finish.
pub async fn acquire(lake: &Lake, command: &str, wait: Duration) -> Result<Lock, LockError> {
    let holder = Holder {
        pid: std::process::id(),
        host: hostname(),
        started_at: chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        command: command.to_string(),
    };
    let bytes = serde_json::to_vec_pretty(&holder).unwrap_or_default();
    let started = std::time::Instant::now();
    loop {
        if lake.put_new(PATH, bytes.clone()).await? {
            return Ok(Lock { lake: lake.clone(), holder });
        }
        let current: Option<Holder> = lake.get(PATH).await?.and_then(|b| serde_json::from_slice(&b).ok());
        match current {
            Some(other) if is_stale(&other) => {
                tracing::warn!(pid = other.pid, since = %other.started_at, "Taking over the lock of a close that died");
                lake.delete(PATH).await?;
            }
            Some(other) if started.elapsed() >= wait => {
                return Err(LockError::Held { holder: other, waited: started.elapsed().as_secs() });
            }
            // Unreadable (being written) or still held: wait and look again.
            _ => tokio::time::sleep(Duration::from_millis(500)).await,
        }
    }
}

impl Lock {
    pub async fn release(self) -> Result<(), LakeError> {
        // Only remove our own lock (another may have taken over a lock it judged stale).
        let current: Option<Holder> = self.lake.get(PATH).await?.and_then(|b| serde_json::from_slice(&b).ok());
        if current.as_ref() == Some(&self.holder) {
            self.lake.delete(PATH).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_second_close_is_refused_and_a_dead_holder_is_taken_over() {
        let lake = Lake::in_memory();
        let first = acquire(&lake, "close --month 2026-10", Duration::ZERO).await.unwrap();
        let err = acquire(&lake, "close --month 2026-10", Duration::from_millis(600)).await.unwrap_err();
        assert!(err.to_string().contains("another close holds the lake"), "{err}");
        first.release().await.unwrap();
        let second = acquire(&lake, "again", Duration::ZERO).await.unwrap();
        second.release().await.unwrap();

        // A lock left by a process that no longer exists on this host.
        let dead = Holder { pid: u32::MAX - 1, host: hostname(), started_at: "then".into(), command: "close".into() };
        lake.put(PATH, serde_json::to_vec(&dead).unwrap()).await.unwrap();
        let taken = acquire(&lake, "close", Duration::ZERO).await.unwrap();
        assert_eq!(taken.holder.pid, std::process::id());
        // From another host it is never guessed stale.
        taken.release().await.unwrap();
        let remote = Holder { host: "elsewhere".into(), ..dead };
        lake.put(PATH, serde_json::to_vec(&remote).unwrap()).await.unwrap();
        assert!(acquire(&lake, "close", Duration::ZERO).await.is_err());
    }
}
