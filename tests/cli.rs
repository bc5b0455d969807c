//! The command line: `check` on every sample in etc/, exit codes, `leases` on a bad path.

use std::process::Command;

fn duodhcp(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_duodhcp"))
        .args(args)
        .output()
        .expect("run duodhcp");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn check_passes_on_every_sample_config() {
    let mut n = 0;
    for e in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/etc")).expect("etc/") {
        let p = e.expect("entry").path();
        if p.extension().is_some_and(|x| x == "conf") {
            let (code, out, err) = duodhcp(&["check", "-c", p.to_str().expect("utf-8 path")]);
            assert_eq!(code, 0, "{}: {out}{err}", p.display());
            assert!(out.contains(": ok"), "{out}");
            n += 1;
        }
    }
    assert!(n >= 2, "expected the sample and the demo config, found {n}");
}

#[test]
fn check_reports_file_line_and_exits_78() {
    let dir = std::env::temp_dir().join(format!("duodhcp-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let p = dir.join("bad.conf");
    std::fs::write(&p, "server {\n    interface eth9\n}\nscope x {\n    subnet 198.18.0.0/24\n    range 198.18.0.20 198.18.0.10\n}\n").expect("write");
    let (code, _, err) = duodhcp(&["check", "-c", p.to_str().expect("utf-8")]);
    assert_eq!(code, 78);
    assert!(err.contains(&format!("{}:6:", p.display())), "{err}");
    // Running the server on it fails the same way, before touching anything.
    let (code, _, err) = duodhcp(&["-c", p.to_str().expect("utf-8")]);
    assert_eq!(code, 78, "{err}");
    assert!(err.contains("event=1003"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn usage_errors_exit_64_and_missing_journal_exits_74() {
    assert_eq!(duodhcp(&["--bogus"]).0, 64);
    assert_eq!(duodhcp(&["-c"]).0, 64);
    let (code, _, err) = duodhcp(&["leases", "--journal", "/nonexistent/dir/leases.journal"]);
    assert_eq!(code, 74, "{err}");
    assert!(err.contains("/nonexistent/dir/leases.journal"), "{err}");
    let (code, out, _) = duodhcp(&["--version"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("duodhcp "));
}
