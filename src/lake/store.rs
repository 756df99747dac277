//! Opening an S3, Azure Blob or GCS store from a config's `StoreUrl`, for the lake and for sources
//! alike, and saying in plain words what a store's refusal means and which variable fixes it.
//!
//! Credentials are read from the providers' standard environment variables by `object_store`'s
//! `from_env` builders and never from the config file: `AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY` (`AWS_SESSION_TOKEN`, or a web identity or container role);
//! `AZURE_STORAGE_ACCOUNT_NAME` with `AZURE_STORAGE_ACCOUNT_KEY` (or a SAS token, a service
//! principal, a managed identity; `AZURE_STORAGE_USE_EMULATOR` for Azurite);
//! `GOOGLE_SERVICE_ACCOUNT` or `GOOGLE_APPLICATION_CREDENTIALS` (a service-account file).

use std::sync::Arc;

use object_store::ObjectStore;

use crate::config::{StoreKind, StoreUrl};

/// The variables that carry a store's credentials, for messages.
pub fn credential_variables(kind: StoreKind) -> &'static str {
    match kind {
        StoreKind::S3 => "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
        StoreKind::Azure => "AZURE_STORAGE_ACCOUNT_NAME and AZURE_STORAGE_ACCOUNT_KEY (or AZURE_STORAGE_SAS_KEY)",
        StoreKind::Gcs => "GOOGLE_SERVICE_ACCOUNT (or GOOGLE_APPLICATION_CREDENTIALS), a service-account key file",
    }
}

/// A client for the bucket `url` names. Builds only: nothing is sent until it is used.
pub fn open(url: &StoreUrl) -> Result<Arc<dyn ObjectStore>, String> {
    let built: Result<Arc<dyn ObjectStore>, object_store::Error> = match url.kind {
        StoreKind::S3 => {
            let mut builder = object_store::aws::AmazonS3Builder::from_env().with_bucket_name(&url.bucket);
            if let Some(region) = &url.region {
                builder = builder.with_region(region);
            }
            if let Some(endpoint) = &url.endpoint {
                builder = builder.with_endpoint(endpoint).with_virtual_hosted_style_request(false);
            }
            if url.allow_http {
                builder = builder.with_allow_http(true);
            }
            builder.build().map(|s| Arc::new(s) as _)
        }
        StoreKind::Azure => {
            let mut builder = object_store::azure::MicrosoftAzureBuilder::from_env().with_container_name(&url.bucket);
            if let Some(account) = &url.account {
                builder = builder.with_account(account);
            }
            if let Some(endpoint) = &url.endpoint {
                builder = builder.with_endpoint(endpoint.clone());
            }
            if url.allow_http {
                builder = builder.with_allow_http(true);
            }
            builder.build().map(|s| Arc::new(s) as _)
        }
        StoreKind::Gcs => {
            let mut builder = object_store::gcp::GoogleCloudStorageBuilder::from_env().with_bucket_name(&url.bucket);
            if let Some(endpoint) = &url.endpoint {
                builder = builder.with_config(object_store::gcp::GoogleConfigKey::BaseUrl, endpoint);
            }
            if url.allow_http {
                builder = builder.with_client_options(object_store::ClientOptions::new().with_allow_http(true));
            }
            builder.build().map(|s| Arc::new(s) as _)
        }
    };
    built.map_err(|e| explain(url, &e))
}

/// What a store's error means for `url`, with the fix: a bucket that does not exist, credentials
/// missing or refused, or the store's own words.
pub fn explain(url: &StoreUrl, error: &object_store::Error) -> String {
    format!("{url}: {}", describe(url, error))
}

/// The error's fix when it is one of configuration, then the store's words — with every request's
/// query string removed, where a SAS token or a presigned signature would be.
pub fn describe(url: &StoreUrl, error: &object_store::Error) -> String {
    let words = redact(&error.to_string());
    match fix(url, error) {
        Some(fix) => format!("{fix} ({words})"),
        None => words,
    }
}

/// `https://host/path?sig=…` → `https://host/path?…`: an error names the request it failed on.
fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (before, url) = rest.split_at(at);
        out.push_str(before);
        let end = url.find(|c: char| c.is_whitespace() || matches!(c, ')' | '"' | '\'' | ',')).unwrap_or(url.len());
        let (link, after) = url.split_at(end);
        match link.split_once('?') {
            Some((base, _)) => {
                out.push_str(base);
                out.push_str("?…");
            }
            None => out.push_str(link),
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

/// The fix for a store's error, when it is one of configuration: `None` for any other.
pub fn fix(url: &StoreUrl, error: &object_store::Error) -> Option<String> {
    let lower = error.to_string().to_ascii_lowercase();
    let store = match &url.endpoint {
        Some(endpoint) => format!("the {} store at {endpoint}", url.kind.label()),
        None => format!("the {} store", url.kind.label()),
    };
    let variables = credential_variables(url.kind);
    let any = |needles: &[&str]| needles.iter().any(|s| lower.contains(s));
    if any(&["nosuchbucket", "containernotfound", "bucket does not exist", "the specified container does not exist"]) {
        Some(format!("{store} has no {} `{}`; create it, or correct the URL", url.kind.bucket_word(), url.bucket))
    } else if matches!(
        error,
        object_store::Error::PermissionDenied { .. } | object_store::Error::Unauthenticated { .. }
    ) || any(&["signature", "accessdenied", "invalidaccesskeyid", "authenticationfailed"])
    {
        Some(format!("{store} refused the credentials; check {variables} in the environment"))
    } else if any(&["account must be specified", "missing account", "no credentials", "credentials not found"]) {
        Some(format!("no {} credentials; set {variables} in the environment", url.kind.label()))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> StoreUrl {
        StoreUrl::parse(text).expect("a store URL").expect("valid")
    }

    #[test]
    fn each_store_is_built_without_a_request() {
        let s3 = StoreUrl { endpoint: Some("http://127.0.0.1:9".into()), allow_http: true, ..url("s3://b/p") };
        assert!(open(&s3).is_ok());
        assert!(open(&url("abfss://c@acme.dfs.core.windows.net/p")).is_ok());
        let gs = StoreUrl { endpoint: Some("http://127.0.0.1:9".into()), allow_http: true, ..url("gs://b/p") };
        assert!(open(&gs).is_ok());
    }

    #[test]
    fn a_refusal_and_a_missing_bucket_name_their_fix() {
        let az = url("az://kpi/lake");
        let refused = object_store::Error::PermissionDenied {
            path: "lake".into(),
            source: Box::new(std::io::Error::other("Server returned non-2xx status code: 403 Forbidden")),
        };
        let text = explain(&az, &refused);
        assert!(text.starts_with("az://kpi/lake: the Azure Blob store refused the credentials"), "{text}");
        assert!(text.contains("AZURE_STORAGE_ACCOUNT_KEY"), "{text}");
        let missing = object_store::Error::Generic {
            store: "S3",
            source: Box::new(std::io::Error::other("<Code>NoSuchBucket</Code>")),
        };
        let s3 = url("s3://nope/x");
        assert!(explain(&s3, &missing).contains("has no bucket `nope`; create it"), "{}", explain(&s3, &missing));
        let other = object_store::Error::Generic { store: "S3", source: Box::new(std::io::Error::other("timed out")) };
        assert_eq!(fix(&s3, &other), None);
    }

    #[test]
    fn no_signature_or_token_survives_in_a_message() {
        let signed = object_store::Error::Generic {
            store: "MicrosoftAzure",
            source: Box::new(std::io::Error::other(
                "error sending request (uri: Some(https://acme.blob.core.windows.net/kpi/x?sv=2022&sig=SECRET%3D), status 500)",
            )),
        };
        let text = explain(&url("az://kpi/x"), &signed);
        assert!(!text.contains("SECRET") && !text.contains("sv=2022"), "{text}");
        assert!(text.contains("https://acme.blob.core.windows.net/kpi/x?…"), "{text}");
    }
}
