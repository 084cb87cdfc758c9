//! The generated project: every file written with the placeholders filled, refusal to
//! overwrite, its Cargo manifest valid and pointing at this checkout's crates, and its C code
//! compiling with the host gcc against the project's IDF declaration headers (as the
//! component's glue is checked).

use std::path::{Path, PathBuf};
use std::process::Command;

use splitcore_scaffold::{create, validate_name, NewError, Project};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("checkout root")
}

#[test]
fn names_are_checked() {
    for good in ["a", "rig", "motor-lab", "rig2", "a-b-c", &"x".repeat(40)] {
        assert_eq!(validate_name(good), Ok(()), "{good}");
    }
    let bad: [(&str, NewError); 9] = [
        ("", NewError::NameLength(0)),
        (&"x".repeat(41), NewError::NameLength(41)),
        ("Rig", NewError::NameCharacter('R')),
        ("my rig", NewError::NameCharacter(' ')),
        ("rig_2", NewError::NameCharacter('_')),
        ("-rig", NewError::NameStart('-')),
        ("rig-", NewError::NameDashes("rig-".into())),
        ("a--b", NewError::NameDashes("a--b".into())),
        ("splitcore-x", NewError::ReservedName("splitcore-x".into())),
    ];
    for (name, want) in bad {
        assert_eq!(validate_name(name), Err(want.clone()), "{name}");
        assert!(!want.to_string().is_empty());
    }
    assert_eq!(validate_name("core"), Err(NewError::ReservedName("core".into())));
    assert_eq!(Project::new("rig", "/a\"b"), Err(NewError::UnquotablePath("/a\"b".into())),);
}

#[test]
fn writes_a_complete_project() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("lab-rig");
    let project = Project::new("lab-rig", root()).expect("valid");
    let written = create(&project, &dir).expect("created");
    let mut rel: Vec<String> = written
        .iter()
        .map(|p| p.strip_prefix(&dir).expect("inside").to_string_lossy().into_owned())
        .collect();
    rel.sort();
    assert_eq!(
        rel,
        [
            ".gitignore",
            "CMakeLists.txt",
            "Cargo.toml",
            "README.md",
            "control/Cargo.toml",
            "control/src/lib.rs",
            "core1/Cargo.toml",
            "core1/splitcore-check.annotations",
            "core1/src/lib.rs",
            "main/CMakeLists.txt",
            "main/app_main.c",
            "sdkconfig.defaults",
            "twin/Cargo.toml",
            "twin/src/main.rs",
        ]
    );
    for path in &written {
        let text = std::fs::read_to_string(path).expect("read");
        assert!(
            !text.contains("@NAME@") && !text.contains("@CRATE@") && !text.contains("@SPLITCORE@"),
            "{path:?}"
        );
    }
    // Creating again refuses to touch the now non-empty directory.
    assert_eq!(create(&project, &dir), Err(NewError::NotEmpty(dir.clone())));

    // The IDF project points at this checkout's component; the split's settings are there.
    let cmake = std::fs::read_to_string(dir.join("CMakeLists.txt")).expect("read");
    let component = root().join("components/splitcore");
    assert!(cmake.contains(&format!("set(EXTRA_COMPONENT_DIRS \"{}\")", component.display())));
    assert!(component.join("CMakeLists.txt").is_file());
    assert!(cmake.contains("project(lab-rig)"));
    let defaults = std::fs::read_to_string(dir.join("sdkconfig.defaults")).expect("read");
    for line in ["CONFIG_IDF_TARGET=\"esp32s3\"", "CONFIG_FREERTOS_UNICORE=y", "CONFIG_PM_ENABLE=n"] {
        assert!(defaults.lines().any(|l| l == line), "{line}");
    }
}

#[test]
fn core1_manifest_is_a_staticlib_on_this_checkout() {
    let tmp = tempfile::tempdir().expect("tmp");
    let project = Project::new("lab-rig", root()).expect("valid");
    create(&project, tmp.path()).expect("created");
    let text = std::fs::read_to_string(tmp.path().join("core1/Cargo.toml")).expect("read");
    let manifest: toml::Table = text.parse().expect("valid TOML");
    assert_eq!(manifest["package"]["name"].as_str(), Some("lab-rig-core1"));
    assert_eq!(manifest["lib"]["name"].as_str(), Some("lab_rig_core1"));
    assert_eq!(manifest["lib"]["crate-type"].as_array().map(|a| a.len()), Some(1));
    assert_eq!(manifest["lib"]["crate-type"][0].as_str(), Some("staticlib"));
    assert!(manifest.contains_key("workspace"), "standalone, not part of an enclosing workspace");
    assert_eq!(manifest["profile"]["release"]["panic"].as_str(), Some("abort"));
    assert_eq!(manifest["profile"]["release"]["codegen-units"].as_integer(), Some(1));
    let deps = manifest["dependencies"].as_table().expect("dependencies");
    for (name, dir) in [
        ("splitcore-rt", "firmware/runtime"),
        ("splitcore-exec", "crates/exec"),
        ("splitcore-core0", "crates/core0"),
        ("splitcore-hal-esp32s3", "crates/hal-esp32s3"),
    ] {
        assert_path_dependency(deps, name, &root().join(dir));
    }
    assert_eq!(deps["lab-rig-control"]["path"].as_str(), Some("../control"), "the shared control crate");
    // The component derives the archive name from the directory (core1 -> libcore1.a) unless
    // told: the project names the library explicitly, matching the manifest.
    let cmake = std::fs::read_to_string(tmp.path().join("CMakeLists.txt")).expect("read");
    assert!(cmake.contains("set(SPLITCORE_CORE1_LIB_NAME \"lab_rig_core1\""), "{cmake}");
    let lib = std::fs::read_to_string(tmp.path().join("core1/src/lib.rs")).expect("read");
    assert!(lib.contains("splitcore_rt::entry!(control_loop);"));
    assert!(lib.contains("splitcore_rt::heartbeat()") && lib.contains("splitcore_rt::stop_requested()"));
}

fn assert_path_dependency(deps: &toml::Table, name: &str, dir: &Path) {
    let path = deps[name]["path"].as_str().expect("path dependency");
    assert_eq!(Path::new(path), dir, "{name}");
    let dep_manifest =
        std::fs::read_to_string(Path::new(path).join("Cargo.toml")).expect("dependency exists");
    assert!(dep_manifest.contains(&format!("name = \"{name}\"")), "{path} is {name}");
}

/// The host side: a workspace of the control crate and the twin (core1 excluded: it has its
/// own), the twin on splitcore-twin and the same control crate as core 1.
#[test]
fn control_and_twin_form_the_host_workspace() {
    let tmp = tempfile::tempdir().expect("tmp");
    let project = Project::new("lab-rig", root()).expect("valid");
    create(&project, tmp.path()).expect("created");
    let read = |rel: &str| -> toml::Table {
        std::fs::read_to_string(tmp.path().join(rel)).expect("read").parse().expect("valid TOML")
    };
    let workspace = read("Cargo.toml");
    let members: Vec<&str> = workspace["workspace"]["members"]
        .as_array()
        .expect("members")
        .iter()
        .filter_map(|m| m.as_str())
        .collect();
    assert_eq!(members, ["control", "twin"]);
    assert_eq!(workspace["workspace"]["exclude"][0].as_str(), Some("core1"));

    let control = read("control/Cargo.toml");
    assert_eq!(control["package"]["name"].as_str(), Some("lab-rig-control"));
    assert_path_dependency(
        control["dependencies"].as_table().expect("deps"),
        "splitcore-hal",
        &root().join("crates/hal"),
    );
    let lib = std::fs::read_to_string(tmp.path().join("control/src/lib.rs")).expect("read");
    assert!(lib.contains("#![no_std]") && lib.contains("pub struct Dimmer<P>"));

    let twin = read("twin/Cargo.toml");
    assert_eq!(twin["package"]["name"].as_str(), Some("lab-rig-twin"));
    let deps = twin["dependencies"].as_table().expect("deps");
    assert_path_dependency(deps, "splitcore-twin", &root().join("crates/twin"));
    assert_path_dependency(deps, "splitcore-core0", &root().join("crates/core0"));
    assert_eq!(deps["lab-rig-control"]["path"].as_str(), Some("../control"));
    let main = std::fs::read_to_string(tmp.path().join("twin/src/main.rs")).expect("read");
    assert!(main.contains("use lab_rig_control::{Dimmer, CONFIG, OUTPUT_PIN, TASK_HZ};"));
    assert!(main.contains("impl Physics for RcFilter") && main.contains("impl Core1Program for Core1"));

    // `splitcore build` reads the annotations beside the core-1 manifest.
    let annotations =
        std::fs::read_to_string(tmp.path().join("core1/splitcore-check.annotations")).expect("read");
    splitcore_check::annotations::Annotations::parse(&annotations).expect("valid annotations");
}

#[test]
fn generated_c_compiles_against_the_idf_declarations() {
    let tmp = tempfile::tempdir().expect("tmp");
    let project = Project::new("lab-rig", root()).expect("valid");
    create(&project, tmp.path()).expect("created");
    let component = root().join("components/splitcore");
    let output = Command::new("gcc")
        .args(["-std=gnu17", "-Wall", "-Wextra", "-Werror", "-fsyntax-only"])
        .arg("-I")
        .arg(component.join("idf-decls"))
        .arg("-I")
        .arg(component.join("include"))
        .arg(tmp.path().join("main/app_main.c"))
        .output()
        .expect("gcc runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}
