//! A throw-away `redis-server` for the scenarios that run the app on the
//! Redis runtime config, with the real ways a store fails: stopped, paused.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `redis-server` on a free loopback port, data in a temporary directory,
/// persistence off. Killed when dropped.
pub struct RedisServer {
    child: Option<Child>,
    addr: SocketAddr,
    binary: PathBuf,
    dir: tempfile::TempDir,
}

/// A Redis server for this test. A missing `redis-server` is a failure with
/// instructions, never a silent skip.
pub fn redis_server() -> RedisServer {
    let binary = std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join("redis-server"))
                .find(|candidate| candidate.is_file())
        })
        .unwrap_or_else(|| {
            panic!(
                "redis-server is not installed: the Redis scenarios need it \
                 (Debian: apt-get install -y redis-server)"
            )
        });
    // The free port is found by binding and releasing it, so another
    // process may take it first: retry a few times.
    let mut last_error = String::new();
    for _ in 0..5 {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut server = RedisServer {
            child: None,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            binary: binary.clone(),
            dir: tempfile::tempdir().expect("temp dir"),
        };
        match server.start() {
            Ok(()) => return server,
            Err(e) => last_error = e,
        }
    }
    panic!("could not start redis-server: {last_error}");
}

impl RedisServer {
    fn start(&mut self) -> Result<(), String> {
        let child = Command::new(&self.binary)
            .args(["--port", &self.addr.port().to_string()])
            .args(["--bind", "127.0.0.1"])
            .args(["--save", ""])
            .args(["--appendonly", "no"])
            .args(["--protected-mode", "no"])
            .arg("--dir")
            .arg(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("failed to run {}: {e}", self.binary.display()))?;
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if self.command("PING").as_deref() == Some("+PONG") {
                return Ok(());
            }
            if let Some(Ok(Some(status))) = self.child.as_mut().map(|c| c.try_wait()) {
                return Err(format!(
                    "redis-server exited with {status} before answering"
                ));
            }
            if Instant::now() > deadline {
                return Err("redis-server did not answer PING within 10 s".into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends one inline command and returns the first reply line.
    pub fn command(&self, line: &str) -> Option<String> {
        let mut s = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
        s.write_all(format!("{line}\r\n").as_bytes()).ok()?;
        let mut buf = [0u8; 512];
        let n = s.read(&mut buf).ok()?;
        let reply = String::from_utf8_lossy(&buf[..n]);
        reply.lines().next().map(str::to_owned)
    }

    /// Every `(key, value)` of database `db` whose value is a string (the
    /// way Spin's Redis store keeps entries).
    pub fn entries(&self, db: u32) -> Vec<(String, Vec<u8>)> {
        let mut connection = self.connect(db);
        let Reply::Array(keys) = connection.call(&[b"KEYS", b"*"]) else {
            panic!("KEYS did not answer an array");
        };
        keys.into_iter()
            .filter_map(|key| match key {
                Reply::Bulk(Some(key)) => Some(key),
                _ => None,
            })
            .filter_map(|key| match connection.call(&[b"GET", &key]) {
                Reply::Bulk(Some(value)) => {
                    Some((String::from_utf8_lossy(&key).into_owned(), value))
                }
                _ => None,
            })
            .collect()
    }

    /// Runs one command in database `db`; the reply as text: a status or
    /// integer line as sent (`+OK`, `:1`), a string's value, or `$-1` for
    /// none.
    pub fn run_in_db(&self, db: u32, args: &[&str]) -> String {
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        match self.connect(db).call(&args) {
            Reply::Line(line) => line,
            Reply::Bulk(Some(value)) => String::from_utf8_lossy(&value).into_owned(),
            Reply::Bulk(None) => "$-1".to_owned(),
            Reply::Array(_) => panic!("{args:?} answered an array"),
        }
    }

    fn connect(&self, db: u32) -> Connection {
        let stream =
            TcpStream::connect_timeout(&self.addr, Duration::from_secs(1)).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        let mut connection = Connection {
            reader: std::io::BufReader::new(stream.try_clone().expect("clone")),
            stream,
        };
        match connection.call(&[b"SELECT", db.to_string().as_bytes()]) {
            Reply::Line(ok) if ok == "+OK" => connection,
            _ => panic!("SELECT {db} failed"),
        }
    }

    /// `redis://127.0.0.1:<port>` (append `/<db>` to pick a database).
    pub fn url(&self) -> String {
        format!("redis://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops the server (as a crash would: connections drop).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port (its data is gone).
    pub fn restart(&mut self) {
        self.stop();
        self.start()
            .unwrap_or_else(|e| panic!("could not restart redis-server: {e}"));
    }

    /// Makes the server stop answering clients for `duration` while keeping
    /// their connections open (`CLIENT PAUSE … ALL`).
    pub fn pause(&self, duration: Duration) {
        let reply = self.command(&format!("CLIENT PAUSE {} ALL", duration.as_millis()));
        assert_eq!(reply.as_deref(), Some("+OK"), "CLIENT PAUSE failed");
    }
}

/// One connection, commands sent in RESP's array form.
struct Connection {
    stream: TcpStream,
    reader: std::io::BufReader<TcpStream>,
}

impl Connection {
    fn call(&mut self, args: &[&[u8]]) -> Reply {
        let mut out = format!("*{}\r\n", args.len()).into_bytes();
        for arg in args {
            out.extend(format!("${}\r\n", arg.len()).as_bytes());
            out.extend(*arg);
            out.extend(b"\r\n");
        }
        self.stream.write_all(&out).expect("send");
        read_reply(&mut self.reader)
    }
}

/// The parts of RESP the suite reads.
enum Reply {
    /// A status or integer reply, as sent (`+OK`, `:1`).
    Line(String),
    Bulk(Option<Vec<u8>>),
    Array(Vec<Reply>),
}

fn read_reply(reader: &mut impl std::io::BufRead) -> Reply {
    let mut line = String::new();
    reader.read_line(&mut line).expect("a reply line");
    let line = line.trim_end();
    let (kind, rest) = line.split_at(1);
    match kind {
        "$" => {
            let len: i64 = rest.parse().expect("bulk length");
            if len < 0 {
                return Reply::Bulk(None);
            }
            let mut value = vec![0; len as usize + 2];
            reader.read_exact(&mut value).expect("bulk value");
            value.truncate(len as usize);
            Reply::Bulk(Some(value))
        }
        "*" => {
            let len: i64 = rest.parse().expect("array length");
            Reply::Array((0..len.max(0)).map(|_| read_reply(reader)).collect())
        }
        "-" => panic!("redis error: {rest}"),
        _ => Reply::Line(line.to_owned()),
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}
