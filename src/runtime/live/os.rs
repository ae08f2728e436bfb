//! Process-level pieces of a live run: SIGINT/SIGTERM handling (tokio's signal driver on a small
//! thread of its own) and dropping root privileges after the interface is open.

use super::capture_thread::Stopper;
use std::sync::Arc;
use std::thread::JoinHandle;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::oneshot;

/// Watches SIGINT and SIGTERM until dropped: the first stops the capture (clean shutdown), a second
/// one exits at once (130) in case the shutdown is stuck.
pub struct SignalWatch {
    done: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl SignalWatch {
    /// Registers the handlers before returning: a signal sent after this is never the default kill.
    pub fn start(stopper: Arc<Stopper>) -> Result<SignalWatch, String> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("starting the signal handler: {e}"))?;
        let (mut term, mut int) = {
            let _guard = rt.enter();
            let term = signal(SignalKind::terminate());
            let int = signal(SignalKind::interrupt());
            match (term, int) {
                (Ok(t), Ok(i)) => (t, i),
                (Err(e), _) | (_, Err(e)) => {
                    return Err(format!("installing the signal handlers: {e}"));
                }
            }
        };
        let (done_tx, mut done_rx) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("aiwatch-signals".into())
            .spawn(move || {
                rt.block_on(async move {
                    let mut seen = 0u32;
                    loop {
                        tokio::select! {
                            _ = term.recv() => {}
                            _ = int.recv() => {}
                            _ = &mut done_rx => return,
                        }
                        seen += 1;
                        if seen == 1 {
                            stopper.stop();
                        } else {
                            eprintln!("aiwatch: second signal, exiting without finishing flows");
                            std::process::exit(130);
                        }
                    }
                })
            })
            .map_err(|e| format!("starting the signal thread: {e}"))?;
        Ok(SignalWatch {
            done: Some(done_tx),
            thread: Some(thread),
        })
    }
}

impl Drop for SignalWatch {
    fn drop(&mut self) {
        if let Some(done) = self.done.take() {
            let _ = done.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Switches to `user`'s uid, gid and only that group, for good (root cannot be regained).
pub fn drop_privileges(user: &str) -> Result<(), String> {
    let name = std::ffi::CString::new(user).map_err(|_| format!("--user {user:?}: bad name"))?;
    // SAFETY: getpwnam_r writes into `pwd` and `buf`, which outlive the call; the strings it points
    // to are not used after `buf` is dropped.
    let (uid, gid) = unsafe {
        let mut pwd: libc::passwd = std::mem::zeroed();
        let mut buf = vec![0 as libc::c_char; 16 * 1024];
        let mut found: *mut libc::passwd = std::ptr::null_mut();
        let rc = libc::getpwnam_r(
            name.as_ptr(),
            &mut pwd,
            buf.as_mut_ptr(),
            buf.len(),
            &mut found,
        );
        if rc != 0 || found.is_null() {
            return Err(format!("--user {user}: no such user"));
        }
        (pwd.pw_uid, pwd.pw_gid)
    };
    let fail = |what: &str| format!("--user {user}: {what}: {}", std::io::Error::last_os_error());
    // SAFETY: plain system calls with valid arguments. glibc applies set*id to every thread.
    unsafe {
        if libc::setgroups(1, &gid) != 0 {
            return Err(fail("setgroups"));
        }
        if libc::setgid(gid) != 0 {
            return Err(fail("setgid"));
        }
        if libc::setuid(uid) != 0 {
            return Err(fail("setuid"));
        }
        if uid != 0 && libc::setuid(0) == 0 {
            return Err(format!("--user {user}: root privileges could be regained"));
        }
    }
    Ok(())
}
