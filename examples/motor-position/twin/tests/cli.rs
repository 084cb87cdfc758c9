//! The headless command: reports written, exit status 0 within bounds, 1 out of bounds,
//! 2 on bad usage.

use std::path::PathBuf;
use std::process::Command;

fn twin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_motor-position-twin"))
}

fn out_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn a_run_writes_the_plot_and_metrics_and_passes() {
    let dir = out_dir("cli-pass");
    let out = twin().args(["run", "--quiet", "--seconds", "1.5", "--out"]).arg(&dir).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("closed loop within bounds"), "{stdout}");
    assert!(stderr.contains("[twin]  1.500 / 1.500 s virtual"), "progress shown: {stderr}");
    let svg = std::fs::read_to_string(dir.join("step-response.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("position (encoder)"), "an SVG plot with its legend");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("metrics.json")).unwrap()).unwrap();
    assert_eq!(json["pass"], true);
    assert_eq!(json["metrics"]["steps"].as_array().unwrap().len(), 2);
    assert!(json["metrics"]["steps"][0]["rise_time_s"].as_f64().unwrap() > 0.05);
    let text = std::fs::read_to_string(dir.join("metrics.txt")).unwrap();
    assert!(text.contains("within bounds"), "{text}");
}

#[test]
fn a_mistuned_run_exits_1_and_says_why() {
    let dir = out_dir("cli-mistuned");
    let out = twin()
        .args(["run", "--quiet", "--mistuned", "--seconds", "1.5", "--out"])
        .arg(&dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("OUT OF BOUNDS: step 1"), "{stdout}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("metrics.json")).unwrap()).unwrap();
    assert_eq!(json["pass"], false);
}

#[test]
fn a_fault_run_prints_the_crash_report_and_still_passes() {
    let dir = out_dir("cli-panic");
    let out = twin()
        .args(["run", "--quiet", "--seconds", "1.5", "--fault", "panic@300", "--out"])
        .arg(&dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("Guru Meditation Error: Core  1 panic'ed (Rust panic)"), "{stderr}");
    assert!(stderr.contains("supervisor: Crashed: restarting core 1 (attempt 1)"), "{stderr}");
}

#[test]
fn bad_usage_exits_2_with_a_specific_message() {
    for (args, message) in [
        (vec!["run", "--seconds", "abc"], "--seconds: `abc` is not a number"),
        (vec!["run", "--seconds", "100"], "--seconds: 100 is outside 0.5..=60"),
        (vec!["run", "--fault", "boom@3"], "--fault: unknown kind `boom`"),
        (vec!["run", "--fault", "panic"], "--fault: `panic` is not KIND@MS"),
        (vec!["fly"], "unknown command `fly`"),
        (vec!["run", "--out"], "--out needs a value"),
    ] {
        let out = twin().args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
        assert!(stderr.contains("usage: motor-position-twin run"), "{stderr}");
    }
}

#[test]
fn serve_prints_the_url_and_stops_after_its_seconds() {
    let out =
        twin().args(["serve", "--addr", "127.0.0.1:0", "--seconds", "0.5", "--quiet"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let first = stdout.lines().next().unwrap_or("");
    assert!(
        first.starts_with("dashboard: http://127.0.0.1:") && first.ends_with("/ (Ctrl-C stops)"),
        "{stdout}"
    );
    assert!(stdout.contains("stopped after 0.5 s virtual"), "{stdout}");
    assert!(stdout.contains("1 boot(s), 0 restart(s), 0 crash report(s), 500 samples, 0 lost"), "{stdout}");
}

#[test]
fn serve_refuses_bad_options_with_status_2() {
    for (args, error) in [
        (&["serve", "--speed", "0"][..], "error: --speed 0 is outside 0.01..=100"),
        (&["serve", "--seconds", "-1"][..], "error: --seconds -1 is outside (0, 1000000]"),
        (&["serve", "--fault", "melt@5"][..], "error: --fault: unknown kind `melt`"),
        (&["serve", "--port", "80"][..], "error: unknown option `--port`"),
    ] {
        let out = twin().args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.starts_with(error), "{args:?}: {stderr}");
    }
    let out = twin().args(["serve", "--addr", "256.0.0.1:1"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).starts_with("error: cannot serve the dashboard on 256.0.0.1:1")
    );
}

#[test]
fn serve_stops_core_1_cooperatively_on_sigterm() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let mut child = twin()
        .args(["serve", "--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    assert!(first.starts_with("dashboard: http://127.0.0.1:"), "{first}");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let rest: Vec<String> = lines.map(Result::unwrap).collect();
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(0), "{rest:?}\n{stderr}");
    assert!(stderr.contains("core0: core 0: core 1 stopped (Cooperative)"), "{stderr}");
    assert!(
        rest.iter().any(|l| l.starts_with("stopped after ") && l.contains("1 boot(s), 0 restart(s)")),
        "{rest:?}"
    );
}
