//! Real-network test environment (style.md §15, the dora netns+veth pattern).
//!
//! Safety contract, enforced here so the tests cannot forget it:
//! - All traffic stays inside network namespaces created by the test and joined by a veth pair
//!   created directly inside them (it never appears in the host namespace). Addresses come only
//!   from 198.18.0.0/15 (RFC 2544 benchmarking range) and no route leaves the pair.
//! - Every namespace and every process started in it is removed in `Drop`, also on panic.
//!   Processes are stopped by PID (SIGTERM, then SIGKILL after a bounded wait), never by name.
//! - `ip netns exec` bind-mounts `/etc/netns/<ns>/*` over `/etc/*`, so each namespace gets its
//!   own `resolv.conf` and a client hook that misbehaves cannot write the host's.
//! - Every wait is bounded in time and count.
//!
//! Tests that need root or a program call [`prerequisites`]: without them the test prints
//! `SKIP: reason` and returns, except under `CI=true` where a missing prerequisite panics.

use std::fs;
use std::io::{self, Read};
use std::net::{Ipv4Addr, SocketAddrV4, UdpSocket};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// Per-process counter: makes namespace, interface and subnet names unique per test.
static COUNTER: AtomicU32 = AtomicU32::new(0);

fn next_id() -> u32 {
    COUNTER.fetch_add(1, Ordering::SeqCst)
}

/// True when running under CI (`CI=true`), where skipping is a failure.
pub fn ci() -> bool {
    std::env::var("CI").map(|v| v == "true").unwrap_or(false)
}

/// Skip the current test with a reason (returns normally), or panic under CI.
pub fn skip(reason: &str) {
    if ci() {
        panic!("prerequisite missing under CI=true: {reason}");
    }
    eprintln!("SKIP: {reason}");
}

/// Looks a program up in PATH plus the sbin directories (tests may run with a user PATH).
pub fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var("PATH").unwrap_or_default();
    let found = path
        .split(':')
        .chain(["/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/bin", "/bin"])
        .filter(|d| !d.is_empty())
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file());
    found
}

/// Checks that we are root and that every program exists. Prints `SKIP: …` and returns false
/// when not (panics instead under `CI=true`).
pub fn prerequisites(programs: &[&str]) -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        skip("network namespace tests need root");
        return false;
    }
    for p in programs.iter().copied().chain(["ip"]) {
        if find_program(p).is_none() {
            skip(&format!(
                "program `{p}` not found (run scripts/install-deps.sh)"
            ));
            return false;
        }
    }
    sweep_stale();
    true
}

/// Polls `cond` every `poll` until it is true or `timeout` has passed. Bounded in time and in
/// count (at most timeout/poll + 1 calls). Returns whether the condition became true.
pub fn wait_until(timeout: Duration, poll: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let poll = poll.max(Duration::from_millis(1));
    let max_iter = (timeout.as_millis() / poll.as_millis()).max(1) + 1;
    let deadline = Instant::now() + timeout;
    for _ in 0..max_iter {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            break;
        }
        thread::sleep(poll);
    }
    cond()
}

/// Output of a short helper command.
pub struct Output {
    pub status: Option<ExitStatus>,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn ok(&self) -> bool {
        self.status.map(|s| s.success()).unwrap_or(false)
    }
}

/// Runs a short command to completion, killing it (by PID) if it takes longer than `timeout`.
pub fn run(argv: &[&str], timeout: Duration) -> Output {
    let (prog, args) = argv.split_first().expect("run: empty argv");
    let child = Command::new(prog)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            return Output {
                status: None,
                stdout: String::new(),
                stderr: format!("spawn {prog}: {e}"),
            }
        }
    };
    // Drain pipes on threads so a chatty command cannot block on a full pipe.
    let out = child.stdout.take().map(drain);
    let err = child.stderr.take().map(drain);
    let status = wait_child(&mut child, timeout).or_else(|| {
        kill_pid(child.id() as i32, libc::SIGKILL);
        wait_child(&mut child, Duration::from_secs(2))
    });
    let join = |h: Option<thread::JoinHandle<String>>| {
        h.map(|h| h.join().unwrap_or_default()).unwrap_or_default()
    };
    Output {
        status,
        stdout: join(out),
        stderr: join(err),
    }
}

fn drain<R: Read + Send + 'static>(mut r: R) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut v = Vec::new();
        let _ = r.read_to_end(&mut v);
        String::from_utf8_lossy(&v).into_owned()
    })
}

/// Runs a command and panics with its output if it fails: for topology set-up steps.
pub fn must(argv: &[&str]) {
    let o = run(argv, Duration::from_secs(10));
    assert!(
        o.ok(),
        "command failed: {:?}\nstdout: {}\nstderr: {}",
        argv,
        o.stdout,
        o.stderr
    );
}

fn wait_child(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let mut status = None;
    wait_until(timeout, Duration::from_millis(20), || {
        status = child.try_wait().ok().flatten();
        status.is_some()
    });
    status
}

fn kill_pid(pid: i32, sig: i32) {
    // Never signal ourselves, init, or a process group.
    if pid <= 1 || pid == std::process::id() as i32 {
        return;
    }
    // SAFETY: kill(2) with a positive pid has no memory-safety preconditions.
    unsafe {
        libc::kill(pid, sig);
    }
}

fn pid_alive(pid: i32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// A scratch directory under the system temp dir, removed on drop. On panic it is kept (its
/// path is printed) so the logs in it can be read.
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!(
            "duodhcp-test-{}-{}-{}",
            std::process::id(),
            next_id(),
            tag
        ));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).expect("create temp dir");
        TempDir { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// Writes a file in the directory and returns its path.
    pub fn write(&self, name: &str, contents: &str) -> PathBuf {
        let p = self.join(name);
        fs::write(&p, contents).expect("write temp file");
        p
    }

    /// Writes an executable script.
    pub fn write_script(&self, name: &str, contents: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let p = self.write(name, contents);
        fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).expect("chmod script");
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if thread::panicking() {
            eprintln!("test files kept in {}", self.path.display());
        } else {
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}

/// Namespace names are `dh<pid>n<k><tag>`; the pid lets [`sweep_stale`] find namespaces left
/// behind by a test process that was SIGKILLed (Drop never ran) without touching anyone else's.
fn parse_owner_pid(name: &str) -> Option<i32> {
    let rest = name.strip_prefix("dh")?;
    let (pid, tail) = rest.split_once('n')?;
    if tail.is_empty() || !tail.bytes().next()?.is_ascii_digit() {
        return None;
    }
    pid.parse().ok()
}

/// Removes namespaces of ours whose owning test process no longer exists.
pub fn sweep_stale() {
    let Ok(rd) = fs::read_dir("/run/netns") else {
        return;
    };
    for e in rd.flatten().take(1000) {
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(pid) = parse_owner_pid(&name) {
            if !pid_alive(pid) {
                drop(Netns { name, _private: () });
            }
        }
    }
}

/// A network namespace created by this test. Drop stops every process still in it and deletes
/// it (which also destroys its veth end and so the pair).
pub struct Netns {
    name: String,
    _private: (),
}

impl Netns {
    /// Creates `dh<pid>n<k><tag>` with loopback up and its own `/etc/netns/<ns>/resolv.conf`.
    pub fn new(k: u32, tag: char) -> Netns {
        let name = format!("dh{}n{}{}", std::process::id(), k, tag);
        must(&["ip", "netns", "add", &name]);
        let ns = Netns { name, _private: () };
        let etc = ns.etc_dir();
        fs::create_dir_all(&etc).expect("create /etc/netns/<ns>");
        fs::write(
            etc.join("resolv.conf"),
            "# test namespace, never the host's\n",
        )
        .expect("write netns resolv.conf");
        ns.exec_must(&["ip", "link", "set", "lo", "up"]);
        ns
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    fn etc_dir(&self) -> PathBuf {
        Path::new("/etc/netns").join(&self.name)
    }

    /// Runs a short command inside the namespace.
    pub fn exec(&self, argv: &[&str]) -> Output {
        let mut full = vec!["ip", "netns", "exec", &self.name];
        full.extend_from_slice(argv);
        run(&full, Duration::from_secs(10))
    }

    pub fn exec_must(&self, argv: &[&str]) {
        let mut full = vec!["ip", "netns", "exec", &self.name];
        full.extend_from_slice(argv);
        must(&full);
    }

    /// PIDs of processes whose network namespace is this one (all of them started by us).
    pub fn pids(&self) -> Vec<i32> {
        let o = run(&["ip", "netns", "pids", &self.name], Duration::from_secs(5));
        o.stdout
            .split_whitespace()
            .filter_map(|s| s.parse().ok())
            .collect()
    }

    /// Opens a UDP socket inside the namespace. The socket keeps its namespace for life, so
    /// it can then be used from any thread.
    pub fn udp_socket(&self, bind: SocketAddrV4) -> io::Result<UdpSocket> {
        in_netns(self, move || {
            let s = UdpSocket::bind(bind)?;
            s.set_broadcast(true)?;
            Ok(s)
        })
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        // Processes first: a daemon that forked away from our Proc handle is still in here.
        let me = std::process::id() as i32;
        let pids: Vec<i32> = self.pids().into_iter().filter(|&p| p != me).collect();
        for &p in &pids {
            kill_pid(p, libc::SIGTERM);
        }
        wait_until(Duration::from_secs(2), Duration::from_millis(20), || {
            pids.iter().all(|&p| !pid_alive(p) || is_zombie(p))
        });
        for &p in &pids {
            if pid_alive(p) {
                kill_pid(p, libc::SIGKILL);
            }
        }
        let o = run(&["ip", "netns", "del", &self.name], Duration::from_secs(10));
        if !o.ok() {
            eprintln!("warning: ip netns del {} failed: {}", self.name, o.stderr);
        }
        let _ = fs::remove_dir_all(self.etc_dir());
    }
}

fn is_zombie(pid: i32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            s.rsplit_once(')')
                .map(|(_, r)| r.trim_start().starts_with('Z'))
                == Some(true)
        })
        .unwrap_or(true)
}

/// Runs `f` on a fresh thread whose network namespace is `ns` (setns(2) is per thread), and
/// returns its result. Sockets created inside stay in `ns`.
pub fn in_netns<R: Send>(ns: &Netns, f: impl FnOnce() -> R + Send) -> R {
    let path = Path::new("/run/netns").join(ns.name());
    thread::scope(|s| {
        let h = s.spawn(move || {
            let file = fs::File::open(&path).expect("open /run/netns/<ns>");
            // SAFETY: setns on a valid namespace fd affects only the calling thread, which is
            // this dedicated, short-lived thread.
            let rc = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
            assert_eq!(rc, 0, "setns: {}", io::Error::last_os_error());
            f()
        });
        match h.join() {
            Ok(r) => r,
            Err(p) => std::panic::resume_unwind(p),
        }
    })
}

/// Server namespace and client namespace joined by a veth pair.
///
/// Server side: `198.18.N.1/24` on `server_if`. Client side: `client_if` up without address
/// (clients configure it; relay tests call [`Link::add_relay_addr`] for `198.18.N.2/24`).
pub struct Link {
    pub n: u8,
    pub server_if: String,
    pub client_if: String,
    pub server: Netns,
    pub client: Netns,
    /// Declared last so it is dropped after the namespaces and their processes.
    pub dir: TempDir,
}

impl Link {
    pub fn new(test: &str) -> Link {
        let k = next_id();
        // Subnets only need to be unique for readable logs (each pair is isolated), but keep
        // them distinct per process anyway; the +1 avoids 198.18.0.0/24.
        let n = (k % 250 + 1) as u8;
        let dir = TempDir::new(test);
        let server = Netns::new(k, 's');
        let client = Netns::new(k, 'c');
        // Interface names live only inside our namespaces, ≤ 15 characters.
        let server_if = format!("dhs{k}");
        let client_if = format!("dhc{k}");
        must(&[
            "ip",
            "link",
            "add",
            &server_if,
            "netns",
            server.name(),
            "type",
            "veth",
            "peer",
            "name",
            &client_if,
            "netns",
            client.name(),
        ]);
        let link = Link {
            n,
            server_if,
            client_if,
            server,
            client,
            dir,
        };
        let cidr = format!("{}/24", link.server_ip());
        link.server
            .exec_must(&["ip", "addr", "add", &cidr, "dev", &link.server_if]);
        link.server
            .exec_must(&["ip", "link", "set", &link.server_if, "up"]);
        link.client
            .exec_must(&["ip", "link", "set", &link.client_if, "up"]);
        link
    }

    /// `198.18.N.host`.
    pub fn ip(&self, host: u8) -> Ipv4Addr {
        Ipv4Addr::new(198, 18, self.n, host)
    }

    pub fn server_ip(&self) -> Ipv4Addr {
        self.ip(1)
    }

    pub fn relay_ip(&self) -> Ipv4Addr {
        self.ip(2)
    }

    /// `198.18.N` (for building config text).
    pub fn prefix(&self) -> String {
        format!("198.18.{}", self.n)
    }

    /// Gives the client veth `198.18.N.2/24`, for relay-agent tests and perfdhcp.
    pub fn add_relay_addr(&self) {
        let cidr = format!("{}/24", self.relay_ip());
        self.client
            .exec_must(&["ip", "addr", "add", &cidr, "dev", &self.client_if]);
        // Wait for the address to be usable (no DAD on IPv4, but be bounded anyway).
        let ok = wait_until(Duration::from_secs(3), Duration::from_millis(20), || {
            self.client
                .exec(&["ip", "-4", "addr", "show", "dev", &self.client_if])
                .stdout
                .contains(&self.relay_ip().to_string())
        });
        assert!(ok, "relay address did not appear");
    }

    /// A remote relayed subnet `198.19.B.0/22` (B = 4·(k mod 64)): the relay agent's address
    /// `198.19.B.1/22` goes on the client veth (with `198.18.N.2/24`, see
    /// [`Link::add_relay_addr`], which this calls), and the server namespace gets a route to
    /// the /22 via `198.18.N.2`, so replies to giaddr find the relay. Routes stay inside our
    /// two namespaces. Returns the relay's address on that subnet.
    pub fn add_relay_subnet(&self) -> Ipv4Addr {
        self.add_relay_addr();
        let b = (u32::from(self.n) % 64 * 4) as u8;
        let agent = Ipv4Addr::new(198, 19, b, 1);
        let cidr = format!("{agent}/22");
        self.client
            .exec_must(&["ip", "addr", "add", &cidr, "dev", &self.client_if]);
        let net = format!("198.19.{b}.0/22");
        let via = self.relay_ip().to_string();
        self.server.exec_must(&[
            "ip",
            "route",
            "add",
            &net,
            "via",
            &via,
            "dev",
            &self.server_if,
        ]);
        agent
    }

    /// A UDP socket bound to `198.18.N.2:67` in the client namespace: a relay agent's socket.
    pub fn relay_socket(&self) -> UdpSocket {
        let s = self
            .client
            .udp_socket(SocketAddrV4::new(self.relay_ip(), 67))
            .expect("bind relay socket");
        s.set_read_timeout(Some(Duration::from_millis(200)))
            .expect("set_read_timeout");
        s
    }

    /// Spawns a process in the server namespace, logs in the link's temp dir.
    pub fn spawn_server(&self, name: &str, argv: &[&str], env: &[(&str, &str)]) -> Proc {
        Proc::spawn(&self.server, self.dir.path(), name, argv, env)
    }

    /// Spawns a process in the client namespace, logs in the link's temp dir.
    pub fn spawn_client(&self, name: &str, argv: &[&str], env: &[(&str, &str)]) -> Proc {
        Proc::spawn(&self.client, self.dir.path(), name, argv, env)
    }
}

/// A process started inside a namespace (`ip netns exec NS argv…`, which execs in place so
/// the PID is the program's). Output goes to `<dir>/<name>.out` and `.err`. Drop stops it by
/// PID and reaps it.
pub struct Proc {
    child: Child,
    name: String,
    out: PathBuf,
    err: PathBuf,
    status: Option<ExitStatus>,
}

impl Proc {
    pub fn spawn(ns: &Netns, dir: &Path, name: &str, argv: &[&str], env: &[(&str, &str)]) -> Proc {
        let out = dir.join(format!("{name}.out"));
        let err = dir.join(format!("{name}.err"));
        let child = Command::new("ip")
            .args(["netns", "exec", ns.name()])
            .args(argv)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(fs::File::create(&out).expect("create stdout log"))
            .stderr(fs::File::create(&err).expect("create stderr log"))
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {name} ({argv:?}): {e}"));
        Proc {
            child,
            name: name.to_string(),
            out,
            err,
            status: None,
        }
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Exit status if the process has exited (reaps it).
    pub fn exited(&mut self) -> Option<ExitStatus> {
        if self.status.is_none() {
            self.status = self.child.try_wait().ok().flatten();
        }
        self.status
    }

    /// Sends a signal, unless the process has already exited (its PID may be reused).
    pub fn signal(&mut self, sig: i32) {
        if self.exited().is_none() {
            kill_pid(self.pid(), sig);
        }
    }

    pub fn stdout(&self) -> String {
        fs::read(&self.out)
            .map(|v| String::from_utf8_lossy(&v).into_owned())
            .unwrap_or_default()
    }

    pub fn stderr(&self) -> String {
        fs::read(&self.err)
            .map(|v| String::from_utf8_lossy(&v).into_owned())
            .unwrap_or_default()
    }

    /// stdout followed by stderr, for assertion messages.
    pub fn logs(&self) -> String {
        format!(
            "--- {} stdout ---\n{}--- {} stderr ---\n{}",
            self.name,
            self.stdout(),
            self.name,
            self.stderr()
        )
    }

    /// Waits (bounded) for stdout or stderr to contain `needle`.
    pub fn wait_for_output(&mut self, needle: &str, timeout: Duration) -> bool {
        wait_until(timeout, Duration::from_millis(50), || {
            self.stderr().contains(needle) || self.stdout().contains(needle)
        })
    }

    /// Waits (bounded) for the process to exit on its own.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        wait_until(timeout, Duration::from_millis(20), || {
            self.exited().is_some()
        });
        self.exited()
    }

    /// SIGTERM, wait up to `grace`, then SIGKILL; returns the exit status.
    pub fn stop(&mut self, grace: Duration) -> Option<ExitStatus> {
        self.signal(libc::SIGTERM);
        if let Some(s) = self.wait_exit(grace) {
            return Some(s);
        }
        self.signal(libc::SIGKILL);
        self.wait_exit(Duration::from_secs(5))
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if self.exited().is_none() {
            self.stop(Duration::from_secs(2));
        }
    }
}

/// A client hook script (dhclient -sf, udhcpc -s, dhcpcd -c) that dumps the environment it
/// receives into `<env_dir>/<n>-<reason>.env` (one `KEY=VALUE` a line; written under another
/// name and renamed, so a reader never sees half a dump: a BOUND file read while `sort` was
/// still writing it once failed a test with "no ip in bound env"). When `configure_if` is
/// given, BOUND/RENEW-type events also put the leased address on that interface, which lives in
/// a namespace we own: clients that renew over a kernel UDP socket need it. It never touches
/// anything else. dhclient and dhcpcd build the script's environment from scratch, so the
/// paths are baked into the script text rather than passed in the environment.
pub fn hook_script(env_dir: &Path, configure_if: Option<&str>) -> String {
    format!(
        r#"#!/bin/sh
PATH=/usr/sbin:/usr/bin:/sbin:/bin
dir='{dir}'
test_if='{test_if}'
n=$(ls "$dir" | wc -l)
tag="${{reason:-${{1:-none}}}}"
f="$dir/$(printf %03d "$n")-$tag"
env | sort > "$f.part" && mv "$f.part" "$f.env"
ip_addr="${{new_ip_address:-${{ip:-}}}}"
mask="${{new_subnet_mask:-${{subnet:-}}}}"
iface="${{interface:-}}"
if [ -n "$test_if" ] && [ -n "$ip_addr" ] && [ -n "$mask" ] && [ "$iface" = "$test_if" ]; then
    case "$tag" in
    BOUND|RENEW|REBIND|REBOOT|bound|renew)
        ip -4 addr flush dev "$test_if"
        ip -4 addr add "$ip_addr/$mask" dev "$test_if"
        ;;
    esac
fi
exit 0
"#,
        dir = env_dir.display(),
        test_if = configure_if.unwrap_or(""),
    )
}

/// Reads the hook dumps written by [`hook_script`], in order: (file name, key/value pairs).
pub fn hook_events(dir: &Path) -> Vec<(String, Vec<(String, String)>)> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".env"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
        .into_iter()
        .map(|n| {
            let text = fs::read_to_string(dir.join(&n)).unwrap_or_default();
            let kv = text
                .lines()
                .filter_map(|l| l.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            (n, kv)
        })
        .collect()
}

/// Looks a key up in one hook dump.
pub fn env_get<'a>(kv: &'a [(String, String)], key: &str) -> Option<&'a str> {
    kv.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// A packet capture (tshark) running in a namespace, written to a pcap in the temp dir.
pub struct Capture {
    proc: Proc,
    pcap: PathBuf,
    ns: String,
}

impl Capture {
    /// Starts tshark on `iface` in `ns` with BPF `filter`; waits until it is capturing.
    pub fn start(ns: &Netns, dir: &Path, iface: &str, filter: &str) -> Capture {
        let pcap = dir.join(format!("{iface}.pcap"));
        let pcap_s = pcap.to_string_lossy().into_owned();
        let mut proc = Proc::spawn(
            ns,
            dir,
            &format!("tshark-{iface}"),
            &["tshark", "-n", "-i", iface, "-f", filter, "-w", &pcap_s],
            &[],
        );
        let ok = proc.wait_for_output("Capturing on", Duration::from_secs(10));
        assert!(ok, "tshark did not start capturing:\n{}", proc.logs());
        // "Capturing on" is printed just before the capture loop starts.
        thread::sleep(Duration::from_millis(300));
        Capture {
            proc,
            pcap,
            ns: ns.name().to_string(),
        }
    }

    /// Stops the capture and decodes DHCP packets: one line per packet with the tab-separated
    /// fields ip.src, ip.dst, dhcp.option.dhcp (message type number), dhcp.ip.client (ciaddr).
    pub fn finish(mut self) -> Vec<CapturedPacket> {
        // Packets seen just before the stop must still reach the file: give dumpcap a moment.
        thread::sleep(Duration::from_millis(1000));
        // tshark flushes the pcap on SIGINT.
        self.proc.signal(libc::SIGINT);
        self.proc.wait_exit(Duration::from_secs(5));
        let pcap_s = self.pcap.to_string_lossy().into_owned();
        let o = run(
            &[
                "ip",
                "netns",
                "exec",
                &self.ns,
                "tshark",
                "-n",
                "-r",
                &pcap_s,
                "-Y",
                "dhcp",
                "-T",
                "fields",
                "-e",
                "ip.src",
                "-e",
                "ip.dst",
                "-e",
                "dhcp.option.dhcp",
                "-e",
                "dhcp.ip.client",
            ],
            Duration::from_secs(20),
        );
        assert!(o.ok(), "tshark -r failed: {}", o.stderr);
        o.stdout
            .lines()
            .filter_map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                Some(CapturedPacket {
                    src: f.first()?.parse().ok()?,
                    dst: f.get(1)?.parse().ok()?,
                    msg_type: f.get(2)?.parse().ok()?,
                    ciaddr: f
                        .get(3)
                        .and_then(|s| s.parse().ok())
                        .unwrap_or(Ipv4Addr::UNSPECIFIED),
                })
            })
            .collect()
    }
}

#[derive(Clone, Debug)]
pub struct CapturedPacket {
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
    /// Option 53 value (1 DISCOVER … 7 RELEASE).
    pub msg_type: u8,
    pub ciaddr: Ipv4Addr,
}

/// Minimal hand-made DHCPv4 messages for the Rust relay agent: an oracle independent of the
/// server's own codec (RFC 2131 §2 layout).
pub mod pkt {
    use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
    use std::time::{Duration, Instant};

    pub const DISCOVER: u8 = 1;
    pub const OFFER: u8 = 2;
    pub const REQUEST: u8 = 3;
    pub const DECLINE: u8 = 4;
    pub const ACK: u8 = 5;
    pub const NAK: u8 = 6;
    pub const RELEASE: u8 = 7;

    pub const OPT_SUBNET_MASK: u8 = 1;
    pub const OPT_ROUTERS: u8 = 3;
    pub const OPT_DNS: u8 = 6;
    pub const OPT_REQUESTED_IP: u8 = 50;
    pub const OPT_LEASE_TIME: u8 = 51;
    pub const OPT_MSG_TYPE: u8 = 53;
    pub const OPT_SERVER_ID: u8 = 54;
    pub const OPT_PRL: u8 = 55;
    pub const OPT_RELAY_AGENT: u8 = 82;

    const COOKIE: [u8; 4] = [99, 130, 83, 99];

    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct Msg {
        pub op: u8,
        pub xid: u32,
        pub flags: u16,
        pub hops: u8,
        pub ciaddr: Ipv4Addr,
        pub yiaddr: Ipv4Addr,
        pub siaddr: Ipv4Addr,
        pub giaddr: Ipv4Addr,
        pub mac: [u8; 6],
        /// In order; raw bytes (no RFC 3396 concatenation needed for what we send/check).
        pub options: Vec<(u8, Vec<u8>)>,
    }

    impl Msg {
        /// A BOOTREQUEST from `mac` with message type `t`, relayed via `giaddr`.
        pub fn request(t: u8, xid: u32, mac: [u8; 6], giaddr: Ipv4Addr) -> Msg {
            Msg {
                op: 1,
                xid,
                flags: 0,
                hops: 1,
                ciaddr: Ipv4Addr::UNSPECIFIED,
                yiaddr: Ipv4Addr::UNSPECIFIED,
                siaddr: Ipv4Addr::UNSPECIFIED,
                giaddr,
                mac,
                options: vec![
                    (OPT_MSG_TYPE, vec![t]),
                    (
                        OPT_PRL,
                        vec![OPT_SUBNET_MASK, OPT_ROUTERS, OPT_DNS, OPT_LEASE_TIME],
                    ),
                ],
            }
        }

        pub fn with(mut self, code: u8, data: &[u8]) -> Msg {
            self.options.push((code, data.to_vec()));
            self
        }

        pub fn opt(&self, code: u8) -> Option<&[u8]> {
            self.options
                .iter()
                .find(|(c, _)| *c == code)
                .map(|(_, d)| d.as_slice())
        }

        pub fn msg_type(&self) -> Option<u8> {
            self.opt(OPT_MSG_TYPE).and_then(|d| d.first().copied())
        }

        pub fn opt_ip(&self, code: u8) -> Option<Ipv4Addr> {
            let d = self.opt(code)?;
            let b: [u8; 4] = d.get(..4)?.try_into().ok()?;
            Some(Ipv4Addr::from(b))
        }

        pub fn opt_u32(&self, code: u8) -> Option<u32> {
            let d = self.opt(code)?;
            Some(u32::from_be_bytes(d.get(..4)?.try_into().ok()?))
        }

        pub fn to_bytes(&self) -> Vec<u8> {
            let mut b = Vec::with_capacity(300);
            b.extend_from_slice(&[self.op, 1, 6, self.hops]);
            b.extend_from_slice(&self.xid.to_be_bytes());
            b.extend_from_slice(&0u16.to_be_bytes()); // secs
            b.extend_from_slice(&self.flags.to_be_bytes());
            for a in [self.ciaddr, self.yiaddr, self.siaddr, self.giaddr] {
                b.extend_from_slice(&a.octets());
            }
            b.extend_from_slice(&self.mac);
            b.resize(b.len() + 10 + 64 + 128, 0); // chaddr padding, sname, file
            b.extend_from_slice(&COOKIE);
            for (c, d) in &self.options {
                b.push(*c);
                b.push(d.len() as u8);
                b.extend_from_slice(d);
            }
            b.push(255);
            if b.len() < 300 {
                b.resize(300, 0);
            }
            b
        }

        /// Parses the fixed header and the options field (pad/end handled, no overload).
        pub fn parse(b: &[u8]) -> Option<Msg> {
            let ip = |o: usize| -> Option<Ipv4Addr> {
                let a: [u8; 4] = b.get(o..o + 4)?.try_into().ok()?;
                Some(Ipv4Addr::from(a))
            };
            if b.get(236..240)? != COOKIE {
                return None;
            }
            let mut options = Vec::new();
            let mut i = 240;
            while let Some(&c) = b.get(i) {
                match c {
                    0 => i += 1,
                    255 => break,
                    _ => {
                        let l = *b.get(i + 1)? as usize;
                        options.push((c, b.get(i + 2..i + 2 + l)?.to_vec()));
                        i += 2 + l;
                    }
                }
            }
            Some(Msg {
                op: *b.first()?,
                hops: *b.get(3)?,
                xid: u32::from_be_bytes(b.get(4..8)?.try_into().ok()?),
                flags: u16::from_be_bytes(b.get(10..12)?.try_into().ok()?),
                ciaddr: ip(12)?,
                yiaddr: ip(16)?,
                siaddr: ip(20)?,
                giaddr: ip(24)?,
                mac: b.get(28..34)?.try_into().ok()?,
                options,
            })
        }
    }

    /// Sends `m` to `server` and waits (bounded) for a reply with the same xid.
    pub fn exchange(
        sock: &UdpSocket,
        server: SocketAddr,
        m: &Msg,
        timeout: Duration,
    ) -> Option<Msg> {
        sock.send_to(&m.to_bytes(), server).ok()?;
        recv_xid(sock, m.xid, timeout)
    }

    /// Receives until a BOOTREPLY with `xid` arrives or `timeout` passes (bounded count too).
    pub fn recv_xid(sock: &UdpSocket, xid: u32, timeout: Duration) -> Option<Msg> {
        let deadline = Instant::now() + timeout;
        let mut buf = [0u8; 1500];
        for _ in 0..10_000 {
            if Instant::now() >= deadline {
                return None;
            }
            if let Ok((n, _)) = sock.recv_from(&mut buf) {
                if let Some(m) = buf.get(..n).and_then(Msg::parse) {
                    if m.op == 2 && m.xid == xid {
                        return Some(m);
                    }
                }
            }
        }
        None
    }

    /// A locally administered MAC `02:00:00:00:hi:lo`.
    pub fn mac(i: u16) -> [u8; 6] {
        let [hi, lo] = i.to_be_bytes();
        [2, 0, 0, 0, hi, lo]
    }
}

/// Parses the flat JSON array of flat objects that `duodhcp leases --json` prints. Values are
/// kept as their JSON text with string quotes removed (a small parser, to avoid a dependency).
pub fn parse_json_objects(s: &str) -> Option<Vec<Vec<(String, String)>>> {
    let b = s.as_bytes();
    let mut i = 0;
    let ws = |i: &mut usize| {
        while b.get(*i).is_some_and(|c| c.is_ascii_whitespace()) {
            *i += 1;
        }
    };
    let string = |i: &mut usize| -> Option<String> {
        if b.get(*i) != Some(&b'"') {
            return None;
        }
        *i += 1;
        let mut out = String::new();
        loop {
            match *b.get(*i)? {
                b'"' => {
                    *i += 1;
                    return Some(out);
                }
                b'\\' => {
                    let e = *b.get(*i + 1)?;
                    out.push(match e {
                        b'n' => '\n',
                        b't' => '\t',
                        other => other as char,
                    });
                    *i += 2;
                }
                _ => {
                    let start = *i;
                    while b.get(*i).is_some_and(|&c| c != b'"' && c != b'\\') {
                        *i += 1;
                    }
                    out.push_str(std::str::from_utf8(b.get(start..*i)?).ok()?);
                }
            }
        }
    };
    ws(&mut i);
    if b.get(i) != Some(&b'[') {
        return None;
    }
    i += 1;
    let mut objs = Vec::new();
    for _ in 0..1_000_000 {
        ws(&mut i);
        match b.get(i)? {
            b']' => return Some(objs),
            b',' => i += 1,
            b'{' => {
                i += 1;
                let mut obj = Vec::new();
                for _ in 0..10_000 {
                    ws(&mut i);
                    match b.get(i)? {
                        b'}' => {
                            i += 1;
                            break;
                        }
                        b',' => i += 1,
                        _ => {
                            let k = string(&mut i)?;
                            ws(&mut i);
                            if b.get(i) != Some(&b':') {
                                return None;
                            }
                            i += 1;
                            ws(&mut i);
                            let v = if b.get(i) == Some(&b'"') {
                                string(&mut i)?
                            } else {
                                let start = i;
                                while b.get(i).is_some_and(|&c| c != b',' && c != b'}') {
                                    i += 1;
                                }
                                std::str::from_utf8(b.get(start..i)?)
                                    .ok()?
                                    .trim()
                                    .to_string()
                            };
                            obj.push((k, v));
                        }
                    }
                }
                objs.push(obj);
            }
            _ => return None,
        }
    }
    None
}

/// Parameters of the standard test scope on a [`Link`]: `198.18.N.<range>`.
#[derive(Clone, Debug)]
pub struct ScopeParams {
    pub range: (u8, u8),
    pub lease_time: u32,
    pub renewal_time: u32,
    pub rebinding_time: u32,
    /// Last octet of the DNS server (global option).
    pub dns: u8,
    /// Extra lines inside `scope t { … }` (excludes, reservations).
    pub scope_extra: String,
    /// Seconds an offered address stays held for the client it was offered to.
    pub offer_hold: u32,
    /// Extra lines inside `server { … }`.
    pub server_extra: String,
    /// Extra top-level text (more scopes, options) appended to the config.
    pub extra: String,
}

impl Default for ScopeParams {
    fn default() -> Self {
        ScopeParams {
            range: (100, 199),
            lease_time: 3600,
            renewal_time: 10,
            rebinding_time: 3000,
            dns: 1,
            scope_extra: String::new(),
            offer_hold: 30,
            server_extra: String::new(),
            extra: String::new(),
        }
    }
}

/// The duodhcp config text for `link` (format of etc/duodhcp.conf).
pub fn duo_conf(link: &Link, p: &ScopeParams) -> String {
    let x = link.prefix();
    let journal = link.dir.join("leases.journal");
    format!(
        "server {{
    interface {ifname}
    journal {journal}
    durability batch
    offer-hold {hold}
    decline-quarantine 600
{server_extra}}}
option domain-name-servers {x}.{dns}
scope t {{
    subnet {x}.0/24
    range {x}.{lo} {x}.{hi}
    lease-time {lease}
    renewal-time {t1}
    rebinding-time {t2}
    option routers {x}.1
{scope_extra}}}
{extra}",
        ifname = link.server_if,
        journal = journal.display(),
        hold = p.offer_hold,
        server_extra = p.server_extra,
        dns = p.dns,
        lo = p.range.0,
        hi = p.range.1,
        lease = p.lease_time,
        t1 = p.renewal_time,
        t2 = p.rebinding_time,
        scope_extra = p.scope_extra,
        extra = p.extra,
    )
}

/// The server under test, running in the server namespace of a [`Link`].
pub struct Duo {
    pub proc: Proc,
    pub conf: PathBuf,
    pub journal: PathBuf,
}

pub const DUODHCP: &str = env!("CARGO_BIN_EXE_duodhcp");

/// `duodhcp leases --journal FILE --json` (read-only, fine while a server runs), parsed into
/// one key/value list per lease.
pub fn leases_json(journal: &Path) -> Vec<Vec<(String, String)>> {
    let j = journal.to_string_lossy().into_owned();
    let o = run(
        &[DUODHCP, "leases", "--journal", &j, "--json"],
        Duration::from_secs(10),
    );
    assert!(o.ok(), "duodhcp leases failed: {}\n{}", o.stderr, o.stdout);
    parse_json_objects(&o.stdout)
        .unwrap_or_else(|| panic!("duodhcp leases printed invalid JSON:\n{}", o.stdout))
}

impl Duo {
    /// Writes `conf_text` and starts `duodhcp -c CONF` in the foreground; waits for the
    /// ready event (`event=1024`). Panics with the server's log if it does not get ready.
    pub fn start(link: &Link, conf_text: &str) -> Duo {
        Duo::start_with_log(link, conf_text, "debug")
    }

    /// As [`Duo::start`] with `RUST_LOG=<level>`.
    pub fn start_with_log(link: &Link, conf_text: &str, level: &str) -> Duo {
        let conf = link.dir.write("duodhcp.conf", conf_text);
        let conf_s = conf.to_string_lossy().into_owned();
        let mut proc = link.spawn_server(
            "duodhcp",
            &[DUODHCP, "-c", &conf_s],
            &[("RUST_LOG", level), ("RUST_LOG_STYLE", "never")],
        );
        let ready = wait_until(Duration::from_secs(10), Duration::from_millis(50), || {
            proc.stderr().contains("event=1024") || proc.exited().is_some()
        });
        assert!(
            ready && proc.exited().is_none(),
            "duodhcp did not report ready (event=1024) within 10 s (exit: {:?})\n{}\nconfig:\n{}",
            proc.exited(),
            proc.logs(),
            conf_text
        );
        Duo {
            proc,
            conf,
            journal: link.dir.join("leases.journal"),
        }
    }

    pub fn log(&self) -> String {
        self.proc.stderr()
    }

    /// Waits (bounded) for the log to contain `needle`.
    pub fn wait_log(&mut self, needle: &str, timeout: Duration) -> bool {
        self.proc.wait_for_output(needle, timeout)
    }

    /// Replaces the config file and sends SIGHUP.
    pub fn reload(&mut self, conf_text: &str) {
        fs::write(&self.conf, conf_text).expect("rewrite config");
        self.proc.signal(libc::SIGHUP);
    }

    /// `duodhcp leases --journal FILE --json`, parsed.
    pub fn leases(&self) -> Vec<Vec<(String, String)>> {
        leases_json(&self.journal)
    }

    /// The lease record for `addr`, if any.
    pub fn lease(&self, addr: Ipv4Addr) -> Option<Vec<(String, String)>> {
        let a = addr.to_string();
        self.leases()
            .into_iter()
            .find(|l| l.iter().any(|(k, v)| k == "addr" && *v == a))
    }

    /// SIGTERM and check the exit status is 0 (style.md §14).
    pub fn stop_clean(mut self) {
        let st = self.proc.stop(Duration::from_secs(5));
        assert!(
            st.map(|s| s.success()).unwrap_or(false),
            "duodhcp did not exit 0 on SIGTERM: {st:?}\n{}",
            self.proc.logs()
        );
    }
}

/// dnsmasq as a stand-in server in the same topology: proves the harness itself works.
pub fn start_dnsmasq(link: &Link, p: &ScopeParams) -> Proc {
    start_dnsmasq_args(link, p, &[])
}

/// As [`start_dnsmasq`] with extra command-line arguments.
pub fn start_dnsmasq_args(link: &Link, p: &ScopeParams, extra: &[&str]) -> Proc {
    let x = link.prefix();
    let leases = link.dir.join("dnsmasq.leases");
    let pid = link.dir.join("dnsmasq.pid");
    let args = [
        "dnsmasq".to_string(),
        "--keep-in-foreground".into(),
        "--conf-file=/dev/null".into(),
        "--port=0".into(),
        "--user=root".into(),
        format!("--interface={}", link.server_if),
        "--bind-interfaces".into(),
        format!(
            "--dhcp-range={x}.{},{x}.{},255.255.255.0,{}",
            p.range.0, p.range.1, p.lease_time
        ),
        format!("--dhcp-option=option:router,{x}.1"),
        format!("--dhcp-option=option:dns-server,{x}.{}", p.dns),
        format!("--dhcp-option=option:T1,{}", p.renewal_time),
        format!("--dhcp-option=option:T2,{}", p.rebinding_time),
        format!("--dhcp-leasefile={}", leases.display()),
        format!("--pid-file={}", pid.display()),
        "--dhcp-authoritative".into(),
        "--log-dhcp".into(),
        "--log-facility=-".into(),
    ];
    let mut argv: Vec<&str> = args.iter().map(String::as_str).collect();
    argv.extend_from_slice(extra);
    let mut proc = link.spawn_server("dnsmasq", &argv, &[]);
    let ok = proc.wait_for_output("DHCP, IP range", Duration::from_secs(10));
    assert!(ok, "dnsmasq did not start:\n{}", proc.logs());
    proc
}
