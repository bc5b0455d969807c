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

/// Periodic backup by the running server, then `duodhcp restore` after the journal is lost
/// (events 1040 on success, 1018 when refused because a server holds the journal).
#[test]
fn server_backs_up_and_restore_brings_the_leases_back() {
    use duodhcp::journal::{self, Journal, Options, Record};
    use duodhcp::lease::{BindingState, HwAddr, Lease};
    let dir = std::env::temp_dir().join(format!("duodhcp-backup-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("backups")).expect("dirs");
    let jpath = dir.join("leases.journal");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    {
        let (mut j, _) = Journal::open(&jpath, Options::default(), now).expect("open journal");
        for i in 0..3u8 {
            let mut l = Lease::free(std::net::Ipv4Addr::new(198, 18, 0, 100 + i));
            l.state = BindingState::Active;
            l.chaddr = HwAddr::new(&[2, 0, 0, 0, 0, i]);
            l.set_start(now);
            l.set_end(now + 3600);
            j.append(&Record::LeaseUpsert(l)).expect("append");
        }
        j.commit().expect("commit");
    }
    let conf = dir.join("c.conf");
    std::fs::write(
        &conf,
        format!(
            "server {{\n    journal {}\n    backup-dir {}\n    backup-interval 1\n}}\n",
            jpath.display(),
            dir.join("backups").display()
        ),
    )
    .expect("write conf");
    let c = conf.to_str().expect("utf-8");
    let spawn = || {
        Command::new(env!("CARGO_BIN_EXE_duodhcp"))
            .args(["-c", c])
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn")
    };
    let stop = |mut p: std::process::Child| {
        // SAFETY: kill(2) on a child we spawned and have not reaped.
        unsafe { libc::kill(p.id() as i32, libc::SIGTERM) };
        p.wait().expect("wait")
    };
    let srv = spawn();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    let backup = loop {
        let found = std::fs::read_dir(dir.join("backups"))
            .expect("backups")
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            // Not the temp file of a backup still being written (it is renamed when done).
            .find(|p| p.extension().is_some_and(|x| x == "journal"));
        if let Some(p) = found {
            break Some(p);
        }
        if std::time::Instant::now() > deadline {
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    // Restore is refused while a server holds the journal.
    let busy = backup
        .as_ref()
        .map(|b| duodhcp(&["restore", "--from", b.to_str().expect("utf-8"), "-c", c]));
    assert!(stop(srv).success());
    let backup = backup.expect("no backup written within 15 s");
    let (code, _, err) = busy.expect("restore ran");
    assert_ne!(code, 0, "restore under a running server must fail");
    assert!(err.contains("event=1018"), "{err}");
    // Lose the journal, then restore it from the backup.
    std::fs::write(&jpath, b"not a journal").expect("clobber");
    let (code, out, err) = duodhcp(&[
        "restore",
        "--from",
        backup.to_str().expect("utf-8"),
        "-c",
        c,
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("restored 3 leases"), "{out}");
    assert!(err.contains("event=1040"), "{err}");
    let r = journal::read_leases(&jpath).expect("read restored journal");
    let addrs: Vec<String> = r.leases.iter().map(|l| l.addr.to_string()).collect();
    assert_eq!(addrs, ["198.18.0.100", "198.18.0.101", "198.18.0.102"]);
    let _ = std::fs::remove_dir_all(&dir);
}
