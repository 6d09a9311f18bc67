mod cli;

use clap::Parser;

fn main() -> std::process::ExitCode {
    headless();
    quiet_on_closed_pipe();
    match cli::run(cli::Cli::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            let status = cli::exit_status(&e);
            // a stop by signal is what the user asked for, not an error
            let prefix = if status == 1 { "error: " } else { "" };
            eprintln!("{prefix}{}", cli::describe(&e));
            std::process::ExitCode::from(status)
        }
    }
}

/// A reader that stops reading (`fooling classify *.png | head -1`) ends the command as it
/// ends `cat` and `grep`: by SIGPIPE, quietly. Rust ignores SIGPIPE, so a print to a closed
/// pipe would be a panic with a backtrace instead. Whatever a command writes to disk is
/// written before it prints about it, so nothing is lost.
fn quiet_on_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: restores the default disposition of one signal before any thread exists
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// A compute tool probes no display. Mesa's implicit Vulkan layer
/// `VK_LAYER_MESA_device_select` connects to the Wayland display to pick a default GPU when
/// an instance is created; on a machine without one (no `XDG_RUNTIME_DIR`), Mesa 22's layer
/// makes libwayland print `error: XDG_RUNTIME_DIR is invalid or not set in the environment.`
/// once per instance, twice per command. `fooling` chooses its adapter itself (`--adapter`,
/// `--backend`), so it turns the layer off with the layer's own switch, `NODEVICE_SELECT=1`,
/// unless the user set that variable. Done first, before any thread exists.
fn headless() {
    if std::env::var_os("NODEVICE_SELECT").is_none() {
        std::env::set_var("NODEVICE_SELECT", "1");
    }
}
