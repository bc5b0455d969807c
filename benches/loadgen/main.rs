//! `loadgen`: a DHCPv4 load generator that acts as a relay agent (giaddr set, unicast to the
//! server's port 67, replies come back to our port 67), so it needs no raw sockets. Built as a
//! `harness = false` bench target and driven by `scripts/bench.sh`.
//!
//!     loadgen probe  [common]                 one DORA until answered; prints `probe_ms`
//!     loadgen plan   [common] [plan options]  the whole per-server measurement; `key value` lines
//!     loadgen report --dir DIR [--prev DIR]   the Markdown table from the per-server files
//!                                             (and the run-to-run change against --prev)
//!
//! Common options (defaults): --relay 198.18.0.2 --server 198.18.0.1 --clients 50000
//! --timeout-ms 250 --cpu 0 --pid PID (the server, for /proc figures) --tag N (chaddr byte)
//! --store DIR (the server's lease storage, for file growth) --deadline-ms 10000 (probe)
//! --partner-pid PID (the server's failover partner: its CPU per step and RSS after the fill)
//! --log FILE --log-match TEXT (server log lines holding TEXT per step, as `STEP.log_hits`)
//! --floor-relay IP --floor-server IP --floor-pid PID (a null responder measured in slices
//! that alternate with the server's at the common rate: `common.vs_floor`).
//!
//! Plan options: --fill-rate 10000 --fill-max-secs 20 --common-rate 10000 --common-secs 5 --search-start 10000
//! --search-min 250 --search-max 400000 --step-secs 2 --bisect 3 --recheck 0 --lat-secs 3 --renew 0|1 --renew-bisect N
//! --settle-ms 300 --settle-until CMD (after each step, settle until `sh -c CMD` succeeds, at
//! most 20 s; reported as `settle_wait_ms` and `settle_waits`).

mod dhcp;
mod engine;
mod report;
mod sys;

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::process::ExitCode;

use engine::{Gen, Kind, Step, StepSpec};

struct Args {
    cmd: String,
    kv: HashMap<String, String>,
}

impl Args {
    fn parse() -> Result<Args, String> {
        let mut it = std::env::args().skip(1);
        let cmd = it
            .next()
            .ok_or("usage: loadgen probe|plan|report [--key value]...")?;
        let mut kv = HashMap::new();
        while let Some(k) = it.next() {
            let key = k
                .strip_prefix("--")
                .ok_or_else(|| format!("expected --option, found `{k}`"))?;
            let v = it.next().ok_or_else(|| format!("--{key} needs a value"))?;
            kv.insert(key.to_string(), v);
        }
        Ok(Args { cmd, kv })
    }
    fn get<T: std::str::FromStr>(&self, k: &str, default: T) -> Result<T, String> {
        match self.kv.get(k) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|_| format!("--{k}: cannot parse `{v}`")),
        }
    }
}

fn dir_bytes(dir: &str) -> u64 {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return 0;
    };
    rd.filter_map(|e| e.ok())
        .filter_map(|e| e.metadata().ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum()
}

/// Collects `key value` output lines.
struct Out(Vec<(String, String)>);

impl Out {
    fn put(&mut self, k: &str, v: impl std::fmt::Display) {
        self.0.push((k.to_string(), v.to_string()));
    }
    fn f(&mut self, k: &str, v: f64) {
        if v.is_finite() {
            self.put(k, format!("{v:.4}"));
        }
    }
    fn step(&mut self, p: &str, s: &Step) {
        self.put(&format!("{p}.rate"), format!("{:.0}", s.rate));
        self.f(&format!("{p}.loss_pct"), s.loss_pct());
        self.put(&format!("{p}.completed"), s.completed);
        if let Some(c) = s.srv_cpu_ms {
            self.f(&format!("{p}.srv_cpu_ms_per_1k"), s.per_1k(c));
        }
        if let Some(c) = s.partner_cpu_ms {
            self.f(&format!("{p}.partner_cpu_ms_per_1k"), s.per_1k(c));
        }
        if let Some(n) = s.log_hits {
            self.put(&format!("{p}.log_hits"), n);
        }
        self.f(&format!("{p}.gen_cpu_ms_per_1k"), s.per_1k(s.gen_cpu_ms));
        for (n, p_) in [("p50_us", 50.0), ("p99_us", 99.0), ("p999_us", 99.9)] {
            if let Some(v) = s.pct(p_) {
                self.put(&format!("{p}.{n}"), v);
            }
        }
    }
}

struct Search {
    best: Option<Step>,
    first_fail: Option<Step>,
}

/// Highest rate with under 1 % lost exchanges: double (or halve) from `start` until the
/// outcome flips, then bisect geometrically `bisect` times. Every loop is bounded.
fn search(
    g: &mut Gen,
    a: &Args,
    kind: Kind,
    label: &str,
    hint: Option<f64>,
    (bisect, recheck): (u32, u32),
) -> Result<Search, String> {
    let min: f64 = a.get("search-min", 250.0)?;
    let max: f64 = a.get("search-max", 400_000.0)?;
    let secs: f64 = a.get("step-secs", 2.0)?;
    let settle: u64 = a.get("settle-ms", 300)?;
    let mut r: f64 = a.get("search-start", 10_000.0)?;
    // Start near a known figure: what a slow server completed during the fill, or (renew)
    // twice the DORA rate.
    if let Some(h) = hint {
        let h = ((h / 100.0).round() * 100.0).max(min);
        r = if kind == Kind::Renew { h } else { r.min(h) };
    }
    let mut best: Option<Step> = None;
    let mut fail: Option<Step> = None;
    // A rate fails only if two tries in a row lose 1 % or more: on this shared VM a single
    // stall of some 20 ms from another tenant is enough to lose 1 % of a 2 s step, and one
    // such step low in the search decided the figure (80k and 68k in back-to-back runs).
    let run = |g: &mut Gen, r: f64| {
        let mut s = Step::default();
        for _ in 0..2 {
            s = g.step(&StepSpec {
                kind,
                rate: r,
                secs,
                fill: false,
            });
            eprintln!("{}", s.summary(label));
            g.settle_between(settle);
            if s.ok() || s.gen_limited() {
                break;
            }
        }
        s
    };
    for _ in 0..12 {
        let s = run(g, r);
        if s.ok() {
            best = Some(s);
            if r >= max || fail.is_some() {
                break;
            }
            r = (r * 2.0).min(max);
        } else {
            fail = Some(s);
            if best.is_some() || r <= min {
                break;
            }
            r = (r / 2.0).max(min);
        }
    }
    for _ in 0..bisect {
        let (Some(lo), Some(hi)) = (&best, &fail) else {
            break;
        };
        // Stop at 2 %: coarser steps showed up as 9 % run-to-run jumps between neighbouring
        // grid points; finer ones are below this VM's noise.
        if hi.rate / lo.rate < 1.02 {
            break;
        }
        // Three significant digits so the tables read cleanly at any scale.
        let m = round3((lo.rate * hi.rate).sqrt());
        if m <= lo.rate || m >= hi.rate {
            break;
        }
        let s = run(g, m);
        if s.ok() {
            best = Some(s);
        } else {
            fail = Some(s);
        }
    }
    // Recheck: a stall of another tenant can fail a rate the server sustains (twice in a row
    // now and then), and the bisection never looks above a fail again, so such a false fail
    // only ever pulls the figure down (72.6k, 78.3k and 79.1k in three runs of one build).
    // Try the lowest failing rate once more, and while it passes climb in 2 % steps. A
    // generator-limited fail is the generator's limit, not a stall: no recheck.
    if let (Some(lo), Some(hi)) = (&best, &fail) {
        let mut r = hi.rate;
        if !hi.gen_limited() && hi.rate / lo.rate < 1.05 {
            for _ in 0..recheck {
                let s = run(g, r);
                if !s.ok() {
                    fail = Some(s);
                    break;
                }
                best = Some(s);
                r = round3(r * 1.02);
                if r > max {
                    break;
                }
            }
        }
    }
    Ok(Search {
        best,
        first_fail: fail,
    })
}

/// `v` rounded to three significant digits.
fn round3(v: f64) -> f64 {
    if v <= 0.0 || !v.is_finite() {
        return v;
    }
    let unit = 10f64.powi(v.log10().floor() as i32 - 2);
    (v / unit).round() * unit
}

fn plan(g: &mut Gen, mut floor: Option<&mut Gen>, a: &Args, out: &mut Out) -> Result<(), String> {
    let settle: u64 = a.get("settle-ms", 300)?;
    let store: String = a.get("store", String::new())?;
    let server = g.server;
    // 1. Fill: every client gets a lease from an empty store (up to three passes, each at half
    //    the rate of the one before, for servers that cannot take the fill rate).
    let fill_rate: f64 = a.get("fill-rate", 10_000.0)?;
    let mut budget: f64 = a.get("fill-max-secs", 20.0)?;
    let clients: usize = a.get("clients", 50_000)?;
    let wb0 = server.and_then(|p| p.write_bytes());
    let st0 = dir_bytes(&store);
    let mut rate = fill_rate;
    let mut search_hint = None;
    for pass in 0..3 {
        let t = std::time::Instant::now();
        let s = g.step(&StepSpec {
            kind: Kind::Dora,
            rate,
            secs: budget,
            fill: true,
        });
        budget -= t.elapsed().as_secs_f64();
        eprintln!("{}", s.summary("fill"));
        if pass == 0 {
            out.step("fill", &s);
        }
        g.settle_between(settle);
        if g.bound() >= clients || budget < 0.5 {
            break;
        }
        // The next pass goes at 80 % of the rate the server actually completed.
        let done_rate = s.completed as f64 / s.send_secs.max(1e-3);
        if s.loss_pct() >= 1.0 {
            search_hint = Some(done_rate);
        }
        rate = (done_rate * 0.8).clamp(50.0, rate);
    }
    let leases = g.bound();
    out.put("fill.leases", leases);
    if let Some((rss, _)) = g.partner.and_then(|p| p.mem_kb()) {
        out.put("partner_rss_kb", rss);
    }
    if let Some(p) = server {
        if let Some((rss, hwm)) = p.mem_kb() {
            out.put("rss_kb", rss);
            out.put("hwm_kb", hwm);
        }
        if let (Some(a0), Some(a1)) = (wb0, p.write_bytes()) {
            if leases > 0 {
                out.f("write_bytes_per_lease", (a1 - a0) as f64 / leases as f64);
            }
        }
    }
    if !store.is_empty() && leases > 0 {
        let st1 = dir_bytes(&store);
        out.f(
            "store_bytes_per_lease",
            st1.saturating_sub(st0) as f64 / leases as f64,
        );
    }
    // 2. The common rate every server (bar fsync-bound ones) sustains: CPU per exchange. At
    //    this rate the figure is mostly the cost of waking the server per packet, which on a
    //    shared VM depends on what else ran on its core; so the step is cut into 1 s slices
    //    and the median slice is reported (loss and latency over all of them).
    //    With a floor alongside (`--floor-*`: a null responder on the server's core, reached
    //    over its own link), every server slice is paired with a floor slice right next to
    //    it, in alternating order, and the ratio is the median of the pairs' ratios: the
    //    floor's own figure moved 7 % between two runs with the machine, and a ratio taken
    //    minutes apart carried all of that.
    let common_rate: f64 = a.get("common-rate", 10_000.0)?;
    let slices = (a.get::<f64>("common-secs", 5.0)?.round() as usize).max(1);
    let mut all = Step::default();
    let mut per_1k = Vec::new();
    let mut partner_1k = Vec::new();
    let mut floor_1k = Vec::new();
    let mut vs_floor = Vec::new();
    let slice = StepSpec {
        kind: Kind::Dora,
        rate: common_rate,
        secs: 1.0,
        fill: false,
    };
    for i in 0..slices {
        let floor_slice = |f: &mut Gen| {
            let s = f.step(&slice);
            eprintln!("{}", s.summary("common-floor"));
            f.settle(50);
            s.srv_cpu_ms.map(|c| s.per_1k(c)).filter(|v| v.is_finite())
        };
        let mut fl = None;
        if i % 2 == 0 {
            if let Some(f) = floor.as_deref_mut() {
                fl = floor_slice(f);
            }
        }
        let s = g.step(&slice);
        eprintln!("{}", s.summary("common"));
        if i % 2 == 1 {
            if let Some(f) = floor.as_deref_mut() {
                fl = floor_slice(f);
            }
        }
        if let (Some(f), Some(c)) = (fl, s.srv_cpu_ms.map(|c| s.per_1k(c))) {
            floor_1k.push(f);
            if f > 0.0 && c.is_finite() {
                vs_floor.push(c / f);
            }
        }
        if let Some(c) = s.srv_cpu_ms {
            per_1k.push(s.per_1k(c));
        }
        if let Some(c) = s.partner_cpu_ms {
            partner_1k.push(s.per_1k(c));
        }
        if let Some(n) = s.log_hits {
            *all.log_hits.get_or_insert(0) += n;
        }
        all.rate = s.rate;
        all.started += s.started;
        all.completed += s.completed;
        all.lost += s.lost;
        all.naks += s.naks;
        all.send_secs += s.send_secs;
        all.gen_cpu_ms += s.gen_cpu_ms;
        all.lat_us.extend_from_slice(&s.lat_us);
        g.settle(50);
    }
    all.lat_us.sort_unstable();
    out.step("common", &all);
    per_1k.retain(|v| v.is_finite());
    per_1k.sort_by(f64::total_cmp);
    if let Some(m) = per_1k.get(per_1k.len() / 2) {
        out.f("common.srv_cpu_ms_per_1k", *m);
        let spread = per_1k.last().unwrap_or(m) - per_1k.first().unwrap_or(m);
        out.f("common.srv_cpu_spread", spread);
    }
    partner_1k.retain(|v| v.is_finite());
    partner_1k.sort_by(f64::total_cmp);
    if let Some(m) = partner_1k.get(partner_1k.len() / 2) {
        out.f("common.partner_cpu_ms_per_1k", *m);
    }
    floor_1k.sort_by(f64::total_cmp);
    vs_floor.sort_by(f64::total_cmp);
    if let (Some(f), Some(r)) = (
        floor_1k.get(floor_1k.len() / 2),
        vs_floor.get(vs_floor.len() / 2),
    ) {
        out.f("common.floor_cpu_ms_per_1k", *f);
        out.f("common.vs_floor", *r);
    }
    g.settle_between(settle);
    // 3. Highest rate under 1 % loss.
    let bisect: u32 = a.get("bisect", 3)?;
    let dora = (bisect, a.get("recheck", 0)?);
    let found = search(g, a, Kind::Dora, "search", search_hint, dora)?;
    if let Some(b) = &found.best {
        out.step("max", b);
    }
    if let Some(f) = &found.first_fail {
        out.put("max.next_fail_rate", format!("{:.0}", f.rate));
        out.put("max.next_fail_gen_limited", u8::from(f.gen_limited()));
    }
    // 4. Latency at half the highest rate.
    if let Some(b) = &found.best {
        let s = g.step(&StepSpec {
            kind: Kind::Dora,
            rate: (b.rate / 2.0).max(1.0),
            secs: a.get("lat-secs", 3.0)?,
            fill: false,
        });
        eprintln!("{}", s.summary("latency"));
        out.step("lat", &s);
        g.settle_between(settle);
    }
    // 5. Renew-only: highest rate of REQUEST(RENEWING) → ACK.
    if a.get("renew", 0u8)? == 1 {
        // A renewal is one round trip where DORA is two: start at twice the DORA figure.
        let hint = found.best.as_ref().map(|b| b.rate * 2.0);
        // Not judged run to run and not a target: a coarser search leaves time for the
        // rechecks of the DORA figure.
        let renew = (a.get("renew-bisect", bisect)?, 0);
        let found = search(g, a, Kind::Renew, "renew", hint, renew)?;
        if let Some(b) = &found.best {
            out.step("renew", b);
        }
    }
    if g.settle_until.is_some() {
        out.put("settle_wait_ms", g.settle_waited_ms);
        out.put("settle_waits", g.settle_waits);
    }
    if let Some(p) = server {
        if let Some((rss, hwm)) = p.mem_kb() {
            out.put("rss_end_kb", rss);
            out.put("hwm_end_kb", hwm);
        }
    }
    Ok(())
}

fn run() -> Result<bool, String> {
    let a = Args::parse()?;
    if a.cmd == "report" {
        let dir: String = a.get("dir", String::new())?;
        let prev: Option<String> = a.kv.get("prev").cloned();
        print!(
            "{}",
            report::render(&dir, prev.as_deref()).map_err(|e| format!("{dir}: {e}"))?
        );
        return Ok(true);
    }
    let relay: Ipv4Addr = a.get("relay", Ipv4Addr::new(198, 18, 0, 2))?;
    let server: Ipv4Addr = a.get("server", Ipv4Addr::new(198, 18, 0, 1))?;
    // Safety net: this tool only ever talks to the RFC 2544 benchmarking range.
    for ip in [relay, server] {
        if ip.octets()[0] != 198 || ip.octets()[1] & 0xfe != 18 {
            return Err(format!("{ip} is outside 198.18.0.0/15; refusing"));
        }
    }
    let cpu: usize = a.get("cpu", 0)?;
    sys::pin(cpu).map_err(|e| e.to_string())?;
    let mut g = Gen::new(
        relay,
        server,
        a.get("clients", 50_000)?,
        a.get("timeout-ms", 250)?,
        a.get("tag", 0xb0)?,
    )
    .map_err(|e| e.to_string())?;
    if let Some(pid) = a.kv.get("pid") {
        let pid: u32 = pid.parse().map_err(|_| "--pid: not a number")?;
        g.server = Some(sys::Proc { pid });
    }
    if let Some(pid) = a.kv.get("partner-pid") {
        let pid: u32 = pid.parse().map_err(|_| "--partner-pid: not a number")?;
        g.partner = Some(sys::Proc { pid });
    }
    if let (Some(f), Some(m)) = (a.kv.get("log"), a.kv.get("log-match")) {
        g.watch = Some((f.clone(), m.clone()));
    }
    g.settle_until = a.kv.get("settle-until").cloned();
    match a.cmd.as_str() {
        "probe" => match g.probe(a.get("deadline-ms", 10_000)?) {
            Some(ms) => {
                println!("probe_ms {ms:.1}");
                Ok(true)
            }
            None => {
                println!("probe_ms none");
                Ok(false)
            }
        },
        "plan" => {
            let mut out = Out(Vec::new());
            // The interleaved floor: its own relay address and client tag, so its clients
            // and the server's never meet.
            let mut floor = match (a.kv.get("floor-relay"), a.kv.get("floor-server")) {
                (Some(_), Some(_)) => {
                    let fr: Ipv4Addr = a.get("floor-relay", Ipv4Addr::UNSPECIFIED)?;
                    let fs: Ipv4Addr = a.get("floor-server", Ipv4Addr::UNSPECIFIED)?;
                    for ip in [fr, fs] {
                        if ip.octets()[0] != 198 || ip.octets()[1] & 0xfe != 18 {
                            return Err(format!("{ip} is outside 198.18.0.0/15; refusing"));
                        }
                    }
                    let mut f = Gen::new(
                        fr,
                        fs,
                        a.get("clients", 50_000)?,
                        a.get("timeout-ms", 250)?,
                        a.get::<u8>("tag", 0xb0)? ^ 0x40,
                    )
                    .map_err(|e| format!("floor generator: {e}"))?;
                    let pid: u32 = a.get("floor-pid", 0)?;
                    if pid == 0 {
                        return Err("--floor-pid is needed with --floor-server".into());
                    }
                    f.server = Some(sys::Proc { pid });
                    Some(f)
                }
                _ => None,
            };
            let r = plan(&mut g, floor.as_mut(), &a, &mut out);
            for (k, v) in &out.0 {
                println!("{k} {v}");
            }
            r.map(|_| true)
        }
        c => Err(format!("unknown command `{c}` (probe, plan, report)")),
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("loadgen: {e}");
            ExitCode::from(2)
        }
    }
}
