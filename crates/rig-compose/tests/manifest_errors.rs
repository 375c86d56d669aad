//! `ManifestError` as a downstream crate sees it: the published variants,
//! matched exhaustively from outside the crate (where `#[non_exhaustive]`
//! or an extra variant would break the build), plus the accessors that
//! recover limit and JSON details.
#![cfg(feature = "manifest")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::io::ErrorKind;

use rig_compose::ManifestError;
use rig_compose::manifest::{AgentManifest, MAX_MANIFEST_BYTES, ManifestLimit};

/// Same shape as downstream code: no wildcard arm.
fn describe(err: &ManifestError) -> String {
    match err {
        ManifestError::Yaml(e) => format!("yaml/{}", e.location().is_some()),
        ManifestError::Io(e) => format!("io/{:?}", e.kind()),
        ManifestError::MissingHostTool(name) => format!("host/{name}"),
        ManifestError::MissingDelegateExecutor(key) => format!("delegate/{key}"),
    }
}

#[test]
fn every_loader_failure_fits_the_published_variants() {
    let yaml = AgentManifest::from_yaml("name: [").unwrap_err();
    assert_eq!(describe(&yaml), "yaml/true");

    let json = AgentManifest::from_json("{\"name\": 5}").unwrap_err();
    assert_eq!(describe(&json), "io/InvalidData");
    let inner = json.json_error().unwrap();
    assert!(inner.is_data());
    assert_eq!((inner.line(), inner.column()), (1, 10));

    let big = " ".repeat(MAX_MANIFEST_BYTES + 1);
    let err = AgentManifest::from_yaml(&big).unwrap_err();
    assert_eq!(describe(&err), "io/InvalidData");
    let rejected = err.limit_exceeded().unwrap();
    assert_eq!(
        rejected.limit,
        ManifestLimit::InputBytes {
            max: MAX_MANIFEST_BYTES
        }
    );
    assert_eq!(
        rejected.location.map(|at| (at.line, at.offset)),
        Some((1, Some(MAX_MANIFEST_BYTES)))
    );
    assert!(err.json_error().is_none());

    let missing = AgentManifest::from_path("/definitely/not/here.yaml").unwrap_err();
    assert_eq!(describe(&missing), format!("io/{:?}", ErrorKind::NotFound));
    assert!(missing.limit_exceeded().is_none() && missing.json_error().is_none());
}
