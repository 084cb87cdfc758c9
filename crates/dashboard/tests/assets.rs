//! The page works offline and is complete: it references no external host, every file it loads
//! (`src`/`href` in the HTML, `import ... from './x.mjs'` in the modules) is served, and every
//! served file exists in `examples/motor-position/dashboard/` (the IDF app embeds the same list).

use splitcore_dashboard::http::{asset, ASSETS};

fn quoted_after<'a>(text: &'a str, marker: &str) -> Vec<&'a str> {
    text.match_indices(marker)
        .filter_map(|(i, _)| {
            let rest = &text[i + marker.len()..];
            let quote = rest.chars().next()?;
            if quote != '"' && quote != '\'' {
                return None;
            }
            rest[1..].split(quote).next()
        })
        .collect()
}

#[test]
fn no_external_references() {
    for a in ASSETS {
        for scheme in ["http://", "https://", "//cdn", "ws://", "wss://"] {
            assert!(!a.body.contains(scheme), "{} references `{scheme}`", a.path);
        }
    }
}

#[test]
fn everything_the_page_loads_is_served() {
    let index = asset("/").expect("index");
    let mut loaded: Vec<String> = Vec::new();
    for marker in ["src=", "href="] {
        for target in quoted_after(index.body, marker) {
            if target.starts_with("data:") {
                continue;
            }
            loaded.push(format!("/{}", target.trim_start_matches("./")));
        }
    }
    for a in ASSETS.iter().filter(|a| a.path.ends_with(".mjs")) {
        for target in quoted_after(a.body, "from ") {
            loaded.push(format!("/{}", target.trim_start_matches("./")));
        }
    }
    loaded.sort();
    loaded.dedup();
    assert_eq!(loaded, ["/app.mjs", "/decode.mjs", "/plot.mjs", "/style.css"]);
    for path in &loaded {
        assert!(asset(path).is_some(), "{path} is loaded by the page but not served");
    }
}

#[test]
fn every_file_of_the_dashboard_folder_is_served() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/motor-position/dashboard");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .expect("dashboard dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| [".html", ".css", ".mjs", ".js"].iter().any(|ext| n.ends_with(ext)))
        .map(|n| format!("/{n}"))
        .collect();
    files.sort();
    let mut served: Vec<&str> = ASSETS.iter().map(|a| a.path).collect();
    served.sort();
    assert_eq!(files, served);
}
