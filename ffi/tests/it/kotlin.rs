//! Runs the Kotlin suite (`ffi/tests/kotlin`, JUnit 4) on the JVM with JNA, the
//! way application-services tests its Kotlin bindings without a phone: the
//! bindings generated from this build are compiled with the suite in one module,
//! then the same journey, typed errors and callback checks as the Python suite run
//! against a real server.
//!
//! The toolchain comes from the package registries this project may use: the
//! Kotlin compiler from npm (`npm ci --prefix ffi/tests/kotlin`), JNA,
//! kotlinx-coroutines, atomicfu and JUnit from Debian (`libjna-java`,
//! `libkotlinx-coroutines-java`, `libkotlinx-atomicfu-java`, `junit4`), Java from
//! the machine. `.ci/run` installs them all and sets `MYCASE_REQUIRE_KOTLIN=1`, so
//! a missing piece fails the run there; elsewhere the suite says what is missing
//! and is skipped.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::bindings;

const DEBIAN_JARS: [&str; 6] = [
    "/usr/share/java/jna.jar",
    "/usr/share/java/kotlinx-coroutines-core.jar",
    "/usr/share/java/kotlinx-coroutines-core-common.jar",
    "/usr/share/java/atomicfu.jar",
    "/usr/share/java/junit4.jar",
    "/usr/share/java/hamcrest-core.jar",
];

const SUITES: [&str; 3] = [
    "org.mycase.tests.JourneyTest",
    "org.mycase.tests.ErrorsTest",
    "org.mycase.tests.CallbacksTest",
];

fn suite_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/kotlin")
}

/// What is missing to compile and run the suite, if anything.
fn missing(kotlinc: &Path) -> Vec<String> {
    let mut missing: Vec<String> = DEBIAN_JARS
        .iter()
        .filter(|jar| !Path::new(jar).exists())
        .map(|jar| jar.to_string())
        .collect();
    if !kotlinc.exists() {
        missing.push(format!(
            "{} (npm ci --prefix ffi/tests/kotlin)",
            kotlinc.display()
        ));
    }
    if Command::new("java").arg("-version").output().is_err() {
        missing.push("java".to_owned());
    }
    missing
}

#[test]
fn the_kotlin_suite_passes_on_the_jvm_against_a_real_server() {
    let compiler = suite_dir().join("node_modules/kotlin-compiler");
    let kotlinc = compiler.join("bin/kotlinc-jvm");
    let missing = missing(&kotlinc);
    if !missing.is_empty() {
        assert!(
            std::env::var_os("MYCASE_REQUIRE_KOTLIN").is_none(),
            "the Kotlin suite must run here, but these are missing: {missing:?}"
        );
        eprintln!("skipped: the Kotlin suite needs {missing:?}");
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let generated = work.path().join("bindings");
    bindings::generate("kotlin", &generated);
    let kotlin_bindings = generated.join("org/mycase/core/mycase.kt");
    assert!(
        kotlin_bindings.exists(),
        "no Kotlin bindings at {kotlin_bindings:?}"
    );

    let sources = std::fs::read_dir(suite_dir().join("src"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "kt"));
    let jar = work.path().join("suite.jar");
    let compiled = Command::new(&kotlinc)
        .args(["-nowarn", "-cp", &DEBIAN_JARS.join(":")])
        .arg(&kotlin_bindings)
        .args(sources)
        .arg("-d")
        .arg(&jar)
        .output()
        .unwrap();
    assert!(
        compiled.status.success(),
        "kotlinc failed:\n{}",
        String::from_utf8_lossy(&compiled.stderr)
    );

    let stdlib = compiler.join("lib/kotlin-stdlib.jar");
    let classpath = [jar.to_str().unwrap(), stdlib.to_str().unwrap()]
        .into_iter()
        .chain(DEBIAN_JARS)
        .collect::<Vec<_>>()
        .join(":");
    let library_dir = bindings::library().parent().unwrap().to_path_buf();
    let output = Command::new("java")
        .arg(format!("-Djna.library.path={}", library_dir.display()))
        .args(["-cp", &classpath, "org.junit.runner.JUnitCore"])
        .args(SUITES)
        .env(
            "MYCASE_BIN",
            bindings::workspace_binary("mycase-cli", "mycase"),
        )
        .env(
            "MYCASE_TEST_SERVER",
            bindings::workspace_binary("mycase-tests", "mycase-test-server"),
        )
        .output()
        .unwrap();
    let stdout = bindings::passed("Kotlin", &output);
    // JUnit's own summary: a suite that ran nothing must not pass.
    assert!(
        stdout.contains("OK (") && !stdout.contains("OK (0 tests)"),
        "{stdout}"
    );
}
