//! `splitcore new <name>`: writes a project skeleton that uses splitcore from a checkout at a
//! given path (path dependencies and the component directory point into it; nothing is
//! published):
//!
//! | file | what |
//! |---|---|
//! | `CMakeLists.txt`, `main/CMakeLists.txt`, `main/app_main.c` | the ESP-IDF app (core 0): starts core 1 with the component, which supervises it and forwards its log |
//! | `sdkconfig.defaults` | the split's settings (UNICORE, no power management, fixed CPU clock) |
//! | `control/` | the control code, `no_std` on splitcore-hal's traits, shared by core 1 and the twin: a dimmer that ramps a GPIO's average level with a sigma-delta modulator |
//! | `core1/` | the core-1 staticlib: the dimmer on GPIO4 as a 1 kHz task on the splitcore executive, timed by CCOUNT; `splitcore-check.annotations` for `splitcore build` |
//! | `twin/` | the host twin runner: the same control code on splitcore-twin's emulated core 1 against an RC filter on the pin, started and stopped by splitcore-core0; checks the behaviour and exits non-zero when it is wrong |
//! | `Cargo.toml` | the host workspace (`control`, `twin`; `core1` is built for the chip on its own) |
//! | `README.md` | how to run the twin, build core 1, build and flash |
//!
//! Checked: `cargo test -p splitcore-scaffold` (names, files, the Cargo manifests, the C code
//! against the IDF declaration headers) and `cargo xtask scaffold-test` (a CI step): a
//! generated project's core-1 crate built for the ESP32-S3 with `splitcore build` and checked
//! clean (and rejected once it calls `vTaskDelay`), its control tests, its twin passing, and
//! its twin failing on a broken dimmer. The ESP-IDF side has not been built with `idf.py` (no
//! ESP-IDF here).
//!
//! ```
//! use splitcore_scaffold::{create, Project};
//!
//! let dir = tempfile::tempdir()?;
//! let project = Project::new("blinky", "/opt/splitcore")?;
//! let written = create(&project, &dir.path().join("blinky"))?;
//! assert!(written.iter().any(|p| p.ends_with("core1/src/lib.rs")));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs, missing_debug_implementations)]

use std::fmt;
use std::path::{Path, PathBuf};

/// The templates, `(relative path, text)`; `@NAME@`, `@CRATE@` and `@SPLITCORE@` are replaced.
const TEMPLATES: &[(&str, &str)] = &[
    ("CMakeLists.txt", include_str!("../templates/CMakeLists.txt")),
    ("sdkconfig.defaults", include_str!("../templates/sdkconfig.defaults")),
    ("main/CMakeLists.txt", include_str!("../templates/main/CMakeLists.txt")),
    ("main/app_main.c", include_str!("../templates/main/app_main.c")),
    ("Cargo.toml", include_str!("../templates/Cargo.toml")),
    ("control/Cargo.toml", include_str!("../templates/control/Cargo.toml")),
    ("control/src/lib.rs", include_str!("../templates/control/src/lib.rs")),
    ("core1/Cargo.toml", include_str!("../templates/core1/Cargo.toml")),
    ("core1/src/lib.rs", include_str!("../templates/core1/src/lib.rs")),
    ("core1/splitcore-check.annotations", include_str!("../templates/core1/splitcore-check.annotations")),
    ("twin/Cargo.toml", include_str!("../templates/twin/Cargo.toml")),
    ("twin/src/main.rs", include_str!("../templates/twin/src/main.rs")),
    ("README.md", include_str!("../templates/README.md")),
    (".gitignore", "build/\nsdkconfig\nsdkconfig.old\ntarget/\ncore1/target/\n"),
];

/// Longest project name accepted.
pub const MAX_NAME_LEN: usize = 40;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    name: String,
    splitcore: String,
}

impl Project {
    /// A project called `name` using the splitcore checkout at `splitcore` (an absolute path;
    /// it goes into the generated CMake and Cargo files).
    ///
    /// ```
    /// use splitcore_scaffold::{NewError, Project};
    /// assert!(Project::new("motor-lab", "/src/splitcore").is_ok());
    /// assert_eq!(Project::new("Motor", "/src/splitcore"), Err(NewError::NameCharacter('M')));
    /// assert_eq!(Project::new("lab", "src/splitcore"), Err(NewError::RelativeSplitcorePath("src/splitcore".into())));
    /// ```
    pub fn new(name: &str, splitcore: impl AsRef<Path>) -> Result<Project, NewError> {
        validate_name(name)?;
        let path = splitcore.as_ref();
        let text = path.to_str().ok_or_else(|| NewError::NonUtf8Path(path.to_path_buf()))?;
        if !path.is_absolute() {
            return Err(NewError::RelativeSplitcorePath(text.to_string()));
        }
        if text.contains(['"', '\\', '\n', '$', ';']) {
            return Err(NewError::UnquotablePath(text.to_string()));
        }
        Ok(Project { name: name.to_string(), splitcore: text.trim_end_matches('/').to_string() })
    }

    /// The project name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Every generated file: relative path and contents.
    ///
    /// ```
    /// let p = splitcore_scaffold::Project::new("lab-rig", "/opt/splitcore")?;
    /// let files = p.files();
    /// let cargo = &files.iter().find(|(path, _)| path == "core1/Cargo.toml").unwrap().1;
    /// assert!(cargo.contains("name = \"lab_rig_core1\""));
    /// assert!(cargo.contains("path = \"/opt/splitcore/firmware/runtime\""));
    /// # Ok::<(), splitcore_scaffold::NewError>(())
    /// ```
    pub fn files(&self) -> Vec<(String, String)> {
        let krate = self.name.replace('-', "_");
        TEMPLATES
            .iter()
            .map(|(path, text)| {
                let text = text
                    .replace("@NAME@", &self.name)
                    .replace("@CRATE@", &krate)
                    .replace("@SPLITCORE@", &self.splitcore);
                (path.to_string(), text)
            })
            .collect()
    }
}

/// Checks a project name: 1..=[`MAX_NAME_LEN`] characters, lower-case ASCII letters, digits
/// and `-`, starting with a letter, not ending with `-` (it names a directory, a Cargo package,
/// a C identifier prefix and the ESP-IDF project).
///
/// ```
/// use splitcore_scaffold::{validate_name, NewError};
/// assert_eq!(validate_name("rig-2"), Ok(()));
/// assert_eq!(validate_name("2rig"), Err(NewError::NameStart('2')));
/// assert_eq!(validate_name(""), Err(NewError::NameLength(0)));
/// ```
pub fn validate_name(name: &str) -> Result<(), NewError> {
    let len = name.chars().count();
    if len == 0 || len > MAX_NAME_LEN {
        return Err(NewError::NameLength(len));
    }
    if let Some(c) = name.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')) {
        return Err(NewError::NameCharacter(c));
    }
    let first = name.chars().next().unwrap_or('-');
    if !first.is_ascii_lowercase() {
        return Err(NewError::NameStart(first));
    }
    if name.ends_with('-') || name.contains("--") {
        return Err(NewError::NameDashes(name.to_string()));
    }
    if ["core", "std", "alloc", "test", "main", "build", "splitcore"].contains(&name)
        || name.starts_with("splitcore-")
    {
        return Err(NewError::ReservedName(name.to_string()));
    }
    Ok(())
}

/// Writes the project into `dir`, which must not exist or be empty. Returns the files written.
///
/// ```
/// use splitcore_scaffold::{create, NewError, Project};
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("keep.txt"), "mine")?;
/// let project = Project::new("rig", "/opt/splitcore")?;
/// assert!(matches!(create(&project, dir.path()), Err(NewError::NotEmpty(_))));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn create(project: &Project, dir: &Path) -> Result<Vec<PathBuf>, NewError> {
    if dir.exists() {
        let mut entries =
            std::fs::read_dir(dir).map_err(|e| NewError::Io(dir.to_path_buf(), e.to_string()))?;
        if entries.next().is_some() {
            return Err(NewError::NotEmpty(dir.to_path_buf()));
        }
    }
    let mut written = Vec::new();
    for (rel, text) in project.files() {
        let path = dir.join(&rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| NewError::Io(parent.to_path_buf(), e.to_string()))?;
        }
        std::fs::write(&path, text).map_err(|e| NewError::Io(path.clone(), e.to_string()))?;
        written.push(path);
    }
    Ok(written)
}

/// Why a project could not be created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewError {
    /// The name is empty or longer than [`MAX_NAME_LEN`] (its length).
    NameLength(usize),
    /// The name holds a character other than `a-z`, `0-9`, `-`.
    NameCharacter(char),
    /// The name does not start with a letter.
    NameStart(char),
    /// The name ends with `-` or holds `--`.
    NameDashes(String),
    /// The name is taken by Rust, ESP-IDF or splitcore itself.
    ReservedName(String),
    /// The splitcore path is not absolute.
    RelativeSplitcorePath(String),
    /// The splitcore path is not UTF-8.
    NonUtf8Path(PathBuf),
    /// The splitcore path holds a character the generated CMake/TOML strings cannot carry.
    UnquotablePath(String),
    /// The target directory exists and is not empty.
    NotEmpty(PathBuf),
    /// Reading or writing failed (path, error).
    Io(PathBuf, String),
}

impl fmt::Display for NewError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NewError::NameLength(n) => {
                write!(f, "a project name has 1 to {MAX_NAME_LEN} characters, not {n}")
            }
            NewError::NameCharacter(c) => {
                write!(f, "`{c}` is not allowed in a project name (use a-z, 0-9 and -)")
            }
            NewError::NameStart(c) => write!(f, "a project name starts with a letter, not `{c}`"),
            NewError::NameDashes(n) => write!(f, "`{n}`: no trailing `-` and no `--` in a project name"),
            NewError::ReservedName(n) => write!(f, "`{n}` is reserved; choose another name"),
            NewError::RelativeSplitcorePath(p) => write!(f, "the splitcore path must be absolute, not `{p}`"),
            NewError::NonUtf8Path(p) => write!(f, "the splitcore path {} is not UTF-8", p.display()),
            NewError::UnquotablePath(p) => {
                write!(f, "the splitcore path `{p}` holds a character (\" \\ $ ; or a newline) the build files cannot quote")
            }
            NewError::NotEmpty(p) => write!(f, "{} exists and is not empty", p.display()),
            NewError::Io(p, e) => write!(f, "{}: {e}", p.display()),
        }
    }
}

impl std::error::Error for NewError {}
