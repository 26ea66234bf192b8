//! Exit codes, and which one an error ends the loader with. The README has the table; the xtask's
//! own codes (10 to 13) are apart from these, so that CI can tell them apart.

use std::{fmt, io, process::ExitCode};

use anyhow::anyhow;
use aya::programs::ProgramError;

/// The codes, for `--help`.
pub const CODES: &str = "Exit codes: 0 ok, 1 error, 2 usage, 3 rejected by the verifier, \
    4 permission denied, 5 cannot attach, 6 --selftest failed";

/// 4: the kernel refused an operation for lack of privileges.
const PERMISSION_DENIED: u8 = 4;

/// What failed, as an error's context: `report` ends the loader with its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// 3: the kernel's verifier rejected the program.
    Rejected,
    /// 5: the program cannot be attached where asked.
    Attach,
    /// 6: `--selftest` did not see the count it demands, or the counter went down.
    Selftest,
}

impl Failure {
    fn code(self) -> u8 {
        match self {
            Self::Rejected => 3,
            Self::Attach => 5,
            Self::Selftest => 6,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Rejected => "rejected by the kernel's verifier",
            Self::Attach => "cannot attach",
            Self::Selftest => "selftest failed",
        })
    }
}

/// Prints the error, if any, and returns the exit code.
pub fn report(result: &anyhow::Result<()>) -> ExitCode {
    let Err(err) = result else {
        return ExitCode::SUCCESS;
    };
    eprintln!("error: {}", message(err));
    let code = code(err);
    if code == PERMISSION_DENIED {
        eprintln!("hint: {}", crate::privileges::explain().join("\n      "));
    }
    ExitCode::from(code)
}

/// The exit code for an error: permission denied when the kernel refused something with EPERM
/// or EACCES anywhere in the chain (a verifier rejection is no such error: see `load_error`),
/// else what the error's `Failure` context says, else 1.
fn code(err: &anyhow::Error) -> u8 {
    let denied = |e: &io::Error| matches!(e.raw_os_error(), Some(libc::EPERM | libc::EACCES));
    if err.chain().filter_map(|e| e.downcast_ref()).any(denied) {
        return PERMISSION_DENIED;
    }
    err.downcast_ref::<Failure>()
        .map_or(1, |failure| failure.code())
}

/// The error and its causes, `: ` apart, leaving out a cause that the message before it already
/// spells out: aya's errors print their source inside their own message ("map error: failed to
/// create map `COUNTER`"), which anyhow's chain would print a second time.
fn message(err: &anyhow::Error) -> String {
    let mut message = String::new();
    let mut previous = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if !previous.contains(&text) {
            if !message.is_empty() {
                message.push_str(": ");
            }
            message.push_str(&text);
        }
        previous = text;
    }
    message
}

/// A failed `load()`: the verifier's verdict with its log (exit 3), or the error as it is.
pub fn load_error(err: ProgramError, name: &str) -> anyhow::Error {
    let ProgramError::LoadError {
        io_error,
        verifier_log,
    } = err
    else {
        return anyhow!(err).context(format!("cannot load `{name}`"));
    };
    let errno = io_error.raw_os_error();
    let log = verifier_log.to_string();
    if log.trim().is_empty() && errno == Some(libc::EPERM) {
        return anyhow!(io_error).context(format!("cannot load `{name}`"));
    }
    let mut message = format!("`{name}` ({io_error}); verifier log:\n{}", log.trim_end());
    // Kernels before 5.12 do not know atomic_fetch_add; 524: a JIT that cannot compile it.
    let atomic = ["uses reserved fields", "atomic opcode", "unknown opcode"];
    let atomic = atomic.iter().any(|m| log.contains(m)) || errno == Some(524);
    if atomic && env!("EBPF_CPU") == "v3" {
        message += "\nnote: built for BPF cpu v3 (EBPF_CPU in .cargo/config.toml), the ordering \
            compiles to atomic_fetch_add, which needs kernel >= 5.12; for older kernels: \
            npm create aya-atomic@latest -- --update --ordering relaxed";
    }
    anyhow!(message).context(Failure::Rejected)
}

#[cfg(test)]
mod tests {
    use std::{io, process::ExitCode};

    use anyhow::{Context as _, anyhow};
    use aya::{EbpfError, maps::MapError};
    use aya_obj::VerifierLog;

    use super::*;

    /// What aya returns when the kernel refuses to create the map.
    fn map_refused(errno: i32) -> anyhow::Error {
        let io_error = io::Error::from_raw_os_error(errno);
        let name = "COUNTER".to_owned();
        let refused = EbpfError::MapError(MapError::CreateError { name, io_error });
        anyhow!(refused).context("cannot load the eBPF object")
    }

    #[test]
    fn says_each_cause_once() {
        assert_eq!(
            message(&map_refused(libc::EPERM)),
            "cannot load the eBPF object: map error: failed to create map `COUNTER`: \
             Operation not permitted (os error 1)"
        );
    }

    #[test]
    fn a_refusal_for_lack_of_privileges_is_permission_denied() {
        assert_eq!(code(&map_refused(libc::EPERM)), 4);
        assert_eq!(code(&map_refused(libc::EACCES)), 4);
        // Refused for another reason: not a matter of privileges.
        assert_eq!(code(&map_refused(libc::EINVAL)), 1);
    }

    #[test]
    fn failures_have_their_codes() {
        let failed = |failure| code(&anyhow!("why").context(failure));
        assert_eq!(failed(Failure::Rejected), 3);
        assert_eq!(failed(Failure::Attach), 5);
        assert_eq!(failed(Failure::Selftest), 6);
        // A permission error wins over the failure it caused.
        let denied = Err::<(), _>(io::Error::from_raw_os_error(libc::EACCES));
        assert_eq!(code(&denied.context(Failure::Attach).unwrap_err()), 4);
    }

    #[test]
    fn the_loader_ends_with_the_code_of_its_error() {
        assert_eq!(report(&Ok(())), ExitCode::SUCCESS);
        let failed = |failure| report(&Err(anyhow!("why").context(failure)));
        assert_eq!(failed(Failure::Rejected), ExitCode::from(3));
        assert_eq!(failed(Failure::Attach), ExitCode::from(5));
        assert_eq!(failed(Failure::Selftest), ExitCode::from(6));
        assert_eq!(report(&Err(anyhow!("unexpected"))), ExitCode::from(1));
    }

    #[test]
    fn a_rejection_is_3_with_the_verifier_log() {
        let rejected = |errno, log: &str| {
            let io_error = io::Error::from_raw_os_error(errno);
            let verifier_log = VerifierLog::new(log.to_owned());
            load_error(
                ProgramError::LoadError {
                    io_error,
                    verifier_log,
                },
                "count_calls",
            )
        };
        let log =
            "0: (b7) r1 = 1\n1: (db) lock *(u64 *)(r0 +0) += r1\nBPF_STX uses reserved fields\n";
        let err = rejected(libc::EINVAL, log);
        assert_eq!(code(&err), 3);
        let message = message(&err);
        let head = "rejected by the kernel's verifier: `count_calls` (Invalid argument (os error 22)); \
                    verifier log:\n0: (b7) r1 = 1\n";
        assert!(message.starts_with(head), "{message}");
        assert!(
            message.contains("BPF_STX uses reserved fields"),
            "{message}"
        );
        // The note names the kernel the BPF cpu needs, only where the cpu explains the rejection.
        let noted = message.contains("needs kernel >= 5.12");
        assert_eq!(noted, env!("EBPF_CPU") == "v3", "{message}");
        // The verifier's own EACCES is its verdict, not a lack of privileges.
        assert_eq!(
            code(&rejected(libc::EACCES, "R1 invalid mem access 'scalar'\n")),
            3
        );
        // EPERM with no log: the kernel refused to run the verifier at all.
        assert_eq!(code(&rejected(libc::EPERM, "")), 4);
    }
}
