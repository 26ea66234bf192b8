//! `cargo xtask install`: the loader as a systemd service, from `systemd/<loader>.service`.

use std::{
    fs,
    path::{Path, PathBuf},
    process::Command,
};

use crate::exit;

const HELP: &str = "\
Usage: cargo xtask install [--destdir <dir>]

Builds the loader (release) and installs it as a systemd service, through sudo unless root:
  /usr/local/bin/<loader>                   the loader
  /etc/systemd/system/<loader>.service      systemd/<loader>.service of this workspace
then creates the system user <loader> (useradd --system) unless it exists, and reloads systemd.
Start it with `sudo systemctl enable --now <loader>`.
--destdir <dir>: install the two files under <dir> instead (a package's staging root), with no
user and no reload.
";

pub fn run(args: &[String]) -> u8 {
    let destdir = match args {
        [] => None,
        [flag, dir] if flag == "--destdir" => Some(PathBuf::from(dir)),
        [flag] if flag == "-h" || flag == "--help" => {
            print!("{HELP}");
            return exit::OK;
        }
        _ => {
            eprint!(
                "xtask install: unknown arguments: {}\n\n{HELP}",
                args.join(" ")
            );
            return exit::USAGE;
        }
    };
    let loader = match crate::build_loader(&[]) {
        Ok(loader) => loader,
        Err(code) => return code,
    };
    let name = loader
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    let unit = crate::workspace_root().join(format!("systemd/{name}.service"));
    if !unit.is_file() {
        eprintln!("xtask install: no {} to install", unit.display());
        return exit::ERROR;
    }
    let root = destdir.clone().unwrap_or_else(|| PathBuf::from("/"));
    let bin = root.join("usr/local/bin").join(&name);
    let service = root
        .join("etc/systemd/system")
        .join(format!("{name}.service"));
    let mut steps = vec![
        install("0755", &loader, &bin),
        install("0644", &unit, &service),
    ];
    if destdir.is_none() {
        let exists = Command::new("id").arg("-u").arg(&name).output();
        if !exists.is_ok_and(|output| output.status.success()) {
            let mut useradd = privileged("useradd");
            useradd.args(["--system", "--user-group", "--no-create-home"]);
            useradd.args(["--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin"]);
            useradd.arg(&name);
            steps.push(useradd);
        }
        // Only where systemd runs (not in a container or chroot without it).
        if Path::new("/run/systemd/system").is_dir() {
            let mut reload = privileged("systemctl");
            reload.arg("daemon-reload");
            steps.push(reload);
        }
    }
    for mut step in steps {
        let code = crate::status(&mut step);
        if code != exit::OK {
            return code;
        }
    }
    println!("installed {} and {}", bin.display(), service.display());
    if destdir.is_none() {
        println!("start it: sudo systemctl enable --now {name}");
        perf_event_note(&name);
    }
    exit::OK
}

/// `install -D -m <mode> <from> <to>`, through sudo unless root.
fn install(mode: &str, from: &Path, to: &Path) -> Command {
    let mut install = privileged("install");
    install.args(["-D", "-m", mode]).arg(from).arg(to);
    install
}

/// `program`, through `sudo` unless this process runs as root.
fn privileged(program: &str) -> Command {
    crate::loader_command(Path::new(program))
}

/// Above 2 (Debian's and Ubuntu's default), `perf_event_open` needs `CAP_SYS_ADMIN`, which the unit
/// does not grant: says so, with both ways out.
fn perf_event_note(name: &str) {
    let paranoid = fs::read_to_string("/proc/sys/kernel/perf_event_paranoid").unwrap_or_default();
    let Ok(level) = paranoid.trim().parse::<i32>() else {
        return;
    };
    if level > 2 {
        println!(
            "note: kernel.perf_event_paranoid is {level} here, above 2: perf_event_open then needs \
             CAP_SYS_ADMIN, which {name}.service does not grant. Either let CAP_PERFMON do, for \
             every program on this machine:\n  \
             echo kernel.perf_event_paranoid=2 | sudo tee /etc/sysctl.d/60-perf-event.conf && sudo sysctl --system\n\
             or grant {name} CAP_SYS_ADMIN: `sudo systemctl edit {name}` and add, under [Service],\n  \
             AmbientCapabilities=CAP_SYS_ADMIN\n  CapabilityBoundingSet=CAP_SYS_ADMIN"
        );
    }
}
