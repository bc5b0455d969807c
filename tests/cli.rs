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

#[test]
fn ctl_talks_to_a_running_server_over_the_control_socket() {
    let dir = std::env::temp_dir().join(format!("duodhcp-ctl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let sock = dir.join("ctl.sock");
    let conf = dir.join("c.conf");
    // No interface: the server serves nothing (event 1041) but still answers its operator.
    std::fs::write(
        &conf,
        format!(
            "server {{\n    journal {}\n    control-socket {}\n}}\n",
            dir.join("j").display(),
            sock.display()
        ),
    )
    .expect("write");
    let mut srv = Command::new(env!("CARGO_BIN_EXE_duodhcp"))
        .args(["-c", conf.to_str().expect("utf-8")])
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !sock.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let c = conf.to_str().expect("utf-8");
    let (code, out, err) = duodhcp(&["ctl", "-c", c, "stats"]);
    let (fcode, fout, _) = duodhcp(&["ctl", "-c", c, "failover"]);
    let (bcode, _, _) = duodhcp(&["ctl", "-c", c, "partner-down", "nope"]);
    // SAFETY: kill(2) on the child we spawned and have not reaped.
    unsafe { libc::kill(srv.id() as i32, libc::SIGTERM) };
    let status = srv.wait().expect("wait");
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("received 0") && out.contains("leases 0"),
        "{out}"
    );
    assert_eq!(fcode, 1);
    assert!(fout.contains("no failover relationship"), "{fout}");
    assert_eq!(bcode, 1);
    assert!(status.success(), "SIGTERM exits 0");
}
