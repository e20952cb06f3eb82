//! The bindings a phone build uses, generated in library mode from this build for
//! each language, named as `ffi/uniffi.toml` says, and covering the whole API.

use crate::bindings;

/// Names the API exports, which every language's bindings must carry.
const EXPORTED: [&str; 6] = [
    "Journal",
    "SyncService",
    "Pairing",
    "JournalListener",
    "SecretStore",
    "verify_export_file",
];

fn read(path: &std::path::Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path:?}: {e}"))
}

fn carries_the_api(source: &str, camel_case: bool) {
    for name in EXPORTED {
        let name = if camel_case && name.contains('_') {
            "verifyExportFile"
        } else {
            name
        };
        assert!(source.contains(name), "the bindings lack {name}");
    }
}

#[test]
fn kotlin_bindings_are_generated_in_the_app_package() {
    let out = tempfile::tempdir().unwrap();
    bindings::generate("kotlin", out.path());
    let source = read(&out.path().join("org/mycase/core/mycase.kt"));
    assert!(source.contains("package org.mycase.core"));
    // JNA loads the library by this name on Android.
    assert!(source.contains("\"mycase_ffi\""));
    carries_the_api(&source, true);
}

#[test]
fn swift_bindings_are_generated_as_a_module_with_its_c_header() {
    let out = tempfile::tempdir().unwrap();
    bindings::generate("swift", out.path());
    let source = read(&out.path().join("MyCaseCore.swift"));
    let header = read(&out.path().join("MyCaseCoreFFI.h"));
    let modulemap = read(&out.path().join("MyCaseCoreFFI.modulemap"));
    assert!(source.contains("import MyCaseCoreFFI"));
    assert!(modulemap.contains("module MyCaseCoreFFI"));
    assert!(header.contains("uniffi_mycase_ffi_fn_func_verify_export_file"));
    carries_the_api(&source, true);
}

#[test]
fn python_bindings_are_generated_as_one_module() {
    let out = tempfile::tempdir().unwrap();
    bindings::generate("python", out.path());
    let source = read(&out.path().join("mycase.py"));
    assert!(source.contains("mycase_ffi"));
    carries_the_api(&source, false);
}
