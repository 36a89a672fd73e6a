//! A throw-away `redis-server` for the scenarios that run the app on the
//! Redis runtime config, with the real ways a store fails: stopped, paused.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
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
            if self.answers_from_our_directory() {
                return Ok(());
            }
            if let Some(Ok(Some(status))) = self.child.as_mut().map(|c| c.try_wait()) {
                return Err(format!(
                    "redis-server exited with {status} before answering"
                ));
            }
            if Instant::now() > deadline {
                return Err("redis-server did not answer within 10 s".into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Whether the server on our port answers now, and is ours: another
    /// test's server may have bound the port first, and ours then exits.
    /// Redis names its directory with symlinks resolved (a temporary
    /// directory may lie behind one, as on macOS), so ours is resolved too.
    fn answers_from_our_directory(&self) -> bool {
        let Ok(ours) = self.dir.path().canonicalize() else {
            return false;
        };
        let dir: redis::RedisResult<(String, String)> = self
            .connection(0, Duration::from_millis(200))
            .and_then(|mut connection| {
                redis::cmd("CONFIG")
                    .arg(&["GET", "dir"])
                    .query(&mut connection)
            });
        dir.is_ok_and(|(_, dir)| Path::new(&dir) == ours)
    }

    /// Every `(key, value)` of database `db` whose value is a string (the
    /// way Spin's Redis store keeps entries).
    pub fn entries(&self, db: u32) -> Vec<(String, Vec<u8>)> {
        let mut connection = self.connect(db);
        let keys: Vec<Vec<u8>> = redis::cmd("KEYS")
            .arg("*")
            .query(&mut connection)
            .expect("KEYS");
        keys.into_iter()
            .filter_map(|key| {
                let value: Option<Vec<u8>> =
                    redis::cmd("GET").arg(&key).query(&mut connection).ok()?;
                Some((String::from_utf8_lossy(&key).into_owned(), value?))
            })
            .collect()
    }

    /// Runs one command in database `db`, its reply converted to `T`.
    pub fn run_in_db<T: redis::FromRedisValue>(&self, db: u32, args: &[&str]) -> T {
        let (name, args) = args.split_first().expect("a command");
        redis::cmd(name)
            .arg(args)
            .query(&mut self.connect(db))
            .unwrap_or_else(|e| panic!("{name} {args:?} in database {db}: {e}"))
    }

    fn connect(&self, db: u32) -> redis::Connection {
        self.connection(db, Duration::from_secs(1))
            .unwrap_or_else(|e| panic!("connect to database {db}: {e}"))
    }

    fn connection(&self, db: u32, timeout: Duration) -> redis::RedisResult<redis::Connection> {
        let client = redis::Client::open(format!("{}/{db}", self.url()))?;
        let connection = client.get_connection_with_timeout(timeout)?;
        connection.set_read_timeout(Some(Duration::from_secs(5)))?;
        Ok(connection)
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
        let millis = duration.as_millis().to_string();
        self.run_in_db::<()>(0, &["CLIENT", "PAUSE", &millis, "ALL"]);
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}
