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
        let paranoid = fs::read_to_string("/proc/sys/kernel/perf_event_paranoid");
        let level = paranoid.ok().and_then(|level| level.trim().parse().ok());
        if let Some(note) = level.and_then(|level| perf_event_note(&name, level)) {
            println!("{note}");
        }
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
/// does not grant: what to say then, with both ways out.
fn perf_event_note(name: &str, level: i32) -> Option<String> {
    (level > 2).then(|| {
        format!(
            "note: kernel.perf_event_paranoid is {level} here, above 2: perf_event_open then needs \
             CAP_SYS_ADMIN, which {name}.service does not grant. Either let CAP_PERFMON do, for \
             every program on this machine:\n  \
             echo kernel.perf_event_paranoid=2 | sudo tee /etc/sysctl.d/60-perf-event.conf && sudo sysctl --system\n\
             or grant {name} CAP_SYS_ADMIN: `sudo systemctl edit {name}` and add, under [Service],\n  \
             AmbientCapabilities=CAP_SYS_ADMIN\n  CapabilityBoundingSet=CAP_SYS_ADMIN"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::perf_event_note;

    #[test]
    fn above_paranoid_2_says_what_the_unit_lacks_and_both_ways_out() {
        let note = perf_event_note("probe", 3).unwrap();
        assert!(
            note.starts_with("note: kernel.perf_event_paranoid is 3 here, above 2"),
            "{note}"
        );
        let lines: Vec<_> = note.lines().map(str::trim).collect();
        // The sysctl, for the whole machine; or the unit's drop-in.
        let sysctl = "echo kernel.perf_event_paranoid=2 | sudo tee /etc/sysctl.d/60-perf-event.conf \
                      && sudo sysctl --system";
        assert!(lines.contains(&sysctl), "{note}");
        assert!(note.contains("`sudo systemctl edit probe`"), "{note}");
        assert!(
            lines.contains(&"AmbientCapabilities=CAP_SYS_ADMIN"),
            "{note}"
        );
        assert!(
            lines.contains(&"CapabilityBoundingSet=CAP_SYS_ADMIN"),
            "{note}"
        );
        // At upstream's levels, CAP_BPF and CAP_PERFMON do: nothing to say.
        assert_eq!(perf_event_note("probe", 2), None);
        assert_eq!(perf_event_note("probe", -1), None);
    }
}
