//! Cloud object stores as the config names them: `s3://bucket/prefix`, `az://container/prefix`
//! (also `abfs://`, `abfss://`, `container@account.dfs.core.windows.net`) and `gs://bucket/prefix`,
//! for the lake (`lake.url`) and for sources (`sources.NAME.path`). Only where objects are is
//! configured here; credentials come from the environment alone (README, "Exports and lakes in
//! object stores").

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    S3,
    Azure,
    Gcs,
}

impl StoreKind {
    /// The URL scheme the lake and the messages use.
    pub fn scheme(self) -> &'static str {
        match self {
            StoreKind::S3 => "s3",
            StoreKind::Azure => "az",
            StoreKind::Gcs => "gs",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            StoreKind::S3 => "S3",
            StoreKind::Azure => "Azure Blob",
            StoreKind::Gcs => "Google Cloud Storage",
        }
    }

    /// What a bucket is called in this store.
    pub fn bucket_word(self) -> &'static str {
        match self {
            StoreKind::Azure => "container",
            StoreKind::S3 | StoreKind::Gcs => "bucket",
        }
    }
}

/// A place in an object store, with the settings that are not secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreUrl {
    pub kind: StoreKind,
    /// The bucket (S3, GCS) or container (Azure).
    pub bucket: String,
    /// The Azure storage account, when the URL names it (`container@account.dfs.core.windows.net`);
    /// otherwise `AZURE_STORAGE_ACCOUNT_NAME`.
    pub account: Option<String>,
    /// Inside the bucket, without a leading or trailing `/`.
    pub prefix: String,
    /// An S3-compatible, Azure or GCS endpoint other than the provider's (a local server, a private
    /// cloud); `None`: from the environment, else the provider's.
    pub endpoint: Option<String>,
    /// S3 region; `None`: `AWS_REGION` / `AWS_DEFAULT_REGION`, else `us-east-1`.
    pub region: Option<String>,
    /// Allow a plain-HTTP endpoint.
    pub allow_http: bool,
}

impl StoreUrl {
    /// `None` when `text` names no object store (a local path); otherwise the parsed place or why
    /// it cannot be one.
    pub fn parse(text: &str) -> Option<Result<StoreUrl, String>> {
        let (scheme, rest) = text.split_once("://")?;
        let kind = match scheme {
            "s3" | "s3a" => StoreKind::S3,
            "az" | "azure" | "abfs" | "abfss" => StoreKind::Azure,
            "gs" => StoreKind::Gcs,
            _ => return None,
        };
        let (host, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let (bucket, account) = match host.split_once('@') {
            Some((container, account_host)) if kind == StoreKind::Azure => {
                let account = account_host.split('.').next().unwrap_or_default();
                (container, (!account.is_empty()).then(|| account.to_string()))
            }
            _ => (host, None),
        };
        if bucket.is_empty() {
            return Some(Err(format!(
                "`{text}` names no {}; write `{}://{}/prefix`",
                kind.bucket_word(),
                kind.scheme(),
                kind.bucket_word()
            )));
        }
        Some(Ok(StoreUrl {
            kind,
            bucket: bucket.to_string(),
            account,
            prefix: prefix.trim_matches('/').to_string(),
            endpoint: None,
            region: None,
            allow_http: false,
        }))
    }

    /// The same store and bucket, another prefix.
    pub fn with_prefix(&self, prefix: &str) -> StoreUrl {
        StoreUrl { prefix: prefix.trim_matches('/').to_string(), ..self.clone() }
    }

    /// `s3://bucket/`: where DataFusion finds the store.
    pub fn bucket_url(&self) -> String {
        format!("{}://{}/", self.kind.scheme(), self.bucket)
    }

    /// An object's URL, as the lake records a remote export's path.
    pub fn object_url(&self, key: &str) -> String {
        format!("{}{}", self.bucket_url(), key)
    }
}

impl fmt::Display for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.bucket_url(), self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_stores_and_what_is_not_one() {
        let s3 = StoreUrl::parse("s3://exports/crm/2026/").unwrap().unwrap();
        assert_eq!((s3.kind, s3.bucket.as_str(), s3.prefix.as_str()), (StoreKind::S3, "exports", "crm/2026"));
        assert_eq!(s3.to_string(), "s3://exports/crm/2026");
        let az = StoreUrl::parse("abfss://lake@acme.dfs.core.windows.net/kpi").unwrap().unwrap();
        assert_eq!((az.kind, az.bucket.as_str(), az.account.as_deref()), (StoreKind::Azure, "lake", Some("acme")));
        assert_eq!(az.to_string(), "az://lake/kpi");
        let gs = StoreUrl::parse("gs://b").unwrap().unwrap();
        assert_eq!((gs.kind, gs.bucket.as_str(), gs.prefix.as_str()), (StoreKind::Gcs, "b", ""));
        assert!(StoreUrl::parse("/var/exports/*.csv").is_none());
        assert!(StoreUrl::parse("ftp://host/x").is_none());
        assert!(StoreUrl::parse("s3:///x").unwrap().unwrap_err().contains("names no bucket"));
    }
}
