//! Component standard output and error, captured per component.
//!
//! Spin writes each component's streams to `<log dir>/<id>_stdout.txt` and
//! `<id>_stderr.txt` and shows them on the terminal. This host does the
//! same and also keeps them in memory, so tests can assert on what a
//! component logged.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};

/// Where a component stream goes.
#[derive(Clone)]
pub struct OutputSink {
    inner: Arc<Inner>,
}

struct Inner {
    memory: Option<Mutex<Vec<u8>>>,
    file: Option<Mutex<File>>,
    echo: Echo,
}

/// Which host stream, if any, echoes the component's output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Echo {
    None,
    Stdout,
    Stderr,
}

impl OutputSink {
    /// A sink that keeps output in memory (when `keep`), appends it to
    /// `file` (when given) and echoes it.
    pub fn new(keep: bool, file: Option<&Path>, echo: Echo) -> anyhow::Result<Self> {
        let file = match file {
            Some(path) => Some(Mutex::new(
                OpenOptions::new().create(true).append(true).open(path)?,
            )),
            None => None,
        };
        Ok(Self {
            inner: Arc::new(Inner {
                memory: keep.then(|| Mutex::new(Vec::new())),
                file,
                echo,
            }),
        })
    }

    /// Everything written so far, lossily decoded.
    pub fn contents(&self) -> String {
        match &self.inner.memory {
            Some(m) => {
                String::from_utf8_lossy(&m.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
            }
            None => String::new(),
        }
    }

    fn write_all(&self, bytes: &[u8]) {
        if let Some(m) = &self.inner.memory {
            m.lock()
                .unwrap_or_else(|e| e.into_inner())
                .extend_from_slice(bytes);
        }
        if let Some(f) = &self.inner.file {
            // A log file that cannot be written must not fail the guest.
            let _ = f.lock().unwrap_or_else(|e| e.into_inner()).write_all(bytes);
        }
        match self.inner.echo {
            Echo::None => {}
            Echo::Stdout => {
                let _ = std::io::stdout().lock().write_all(bytes);
            }
            Echo::Stderr => {
                let _ = std::io::stderr().lock().write_all(bytes);
            }
        }
    }
}

/// A component's two streams.
#[derive(Clone)]
pub struct ComponentOutput {
    pub stdout: OutputSink,
    pub stderr: OutputSink,
}

impl ComponentOutput {
    /// Opens the sinks for component `id`.
    pub fn new(id: &str, keep: bool, log_dir: Option<&Path>, echo: bool) -> anyhow::Result<Self> {
        if let Some(dir) = log_dir {
            std::fs::create_dir_all(dir)?;
        }
        let file = |stream: &str| log_dir.map(|d| d.join(format!("{id}_{stream}.txt")));
        let echo_to = |e| if echo { e } else { Echo::None };
        Ok(Self {
            stdout: OutputSink::new(keep, file("stdout").as_deref(), echo_to(Echo::Stdout))?,
            stderr: OutputSink::new(keep, file("stderr").as_deref(), echo_to(Echo::Stderr))?,
        })
    }
}

impl IsTerminal for OutputSink {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for OutputSink {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for OutputSink {
    async fn ready(&mut self) {}
}

impl OutputStream for OutputSink {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.write_all(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(1024 * 1024)
    }
}

impl tokio::io::AsyncWrite for OutputSink {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.write_all(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_is_kept_and_filed() {
        let dir = tempfile::tempdir().unwrap();
        let out = ComponentOutput::new("auth", true, Some(dir.path()), false).unwrap();
        let mut s = out.stdout.clone();
        OutputStream::write(&mut s, Bytes::from_static(b"line 1\n")).unwrap();
        OutputStream::write(&mut s, Bytes::from_static(b"line 2\n")).unwrap();
        assert_eq!(out.stdout.contents(), "line 1\nline 2\n");
        assert_eq!(out.stderr.contents(), "");
        let filed = std::fs::read_to_string(dir.path().join("auth_stdout.txt")).unwrap();
        assert_eq!(filed, "line 1\nline 2\n");
        assert!(dir.path().join("auth_stderr.txt").exists());
    }
}
