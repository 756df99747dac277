//! Reports and delivery end to end: the demo company (with hostile team and person names) is closed
//! and mailed over a real SMTP server on 127.0.0.1 (aiosmtpd, STARTTLS and AUTH required). Every
//! received message is parsed back as a mail client would; each manager's and person's mail holds
//! their own figures and nobody else's; a partly failed run re-sends only what failed; a re-run sends
//! nothing; a wrong CA and a wrong password fail. The archive HTML is snapshotted.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::common::*;

const HOSTILE_TEAM: &str = "线索转化组 <script>alert(\"x\")</script> & Co";
const HOSTILE_PERSON: &str = "杨磊 & <b>Lei</b>";

struct Smtp {
    server: Server,
    maildir: PathBuf,
}

fn python() -> PathBuf {
    python_tool("SMTP_TEST_PYTHON", "aiosmtpd", "aiosmtpd>=1.4,<2").with_file_name("python")
}

fn start_smtp(dir: &Path, reject_file: &Path) -> Smtp {
    let port = free_port();
    let maildir = dir.join("maildir");
    let mut child = Command::new(python())
        .arg(repo().join("tests/it/smtp/server.py"))
        .args(["--port", &port.to_string(), "--user", "kpi", "--password", "s3cret-pass"])
        .arg("--cert")
        .arg(dir.join("server.pem"))
        .arg("--key")
        .arg(dir.join("server.key"))
        .arg("--maildir")
        .arg(&maildir)
        .arg("--reject-file")
        .arg(reject_file)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the SMTP server");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("server output");
    assert_eq!(line.trim(), "ready", "the SMTP server did not start");
    Smtp { server: Server { child, port }, maildir }
}

/// A test CA and a server certificate for localhost / 127.0.0.1 signed by it (rustls refuses a
/// self-signed leaf); plus a second CA nobody signed with.
fn certificates(dir: &Path) {
    let openssl = |args: &[&str]| {
        let status = Command::new("openssl").args(args).current_dir(dir).stderr(Stdio::null()).status();
        assert!(status.is_ok_and(|s| s.success()), "openssl {args:?} failed");
    };
    for ca in ["ca", "other-ca"] {
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            &format!("/CN=kpi-close {ca}"),
            "-keyout",
            &format!("{ca}.key"),
            "-out",
            &format!("{ca}.pem"),
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ]);
    }
    std::fs::write(
        dir.join("leaf.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .expect("write leaf.ext");
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
    ]);
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "leaf.ext",
        "-out",
        "server.pem",
    ]);
}

/// A copy of the demo fixtures where team T02 and person P006 have names that must be escaped.
fn hostile_fixtures(dir: &Path) -> PathBuf {
    let to = dir.join("fixtures");
    copy_dir(&repo().join("fixtures"), &to);
    let teams = to.join("exports/org/teams.csv");
    let text = std::fs::read_to_string(&teams).expect("teams.csv");
    std::fs::write(&teams, text.replace("T02,线索转化组,", &format!("T02,\"{}\",", HOSTILE_TEAM.replace('"', "\"\""))))
        .expect("write teams.csv");
    let people = to.join("exports/org/people.csv");
    let bytes = std::fs::read(&people).expect("people.csv");
    let (text, _, _) = encoding_rs::GBK.decode(&bytes);
    let text = text.replace("P006,杨磊,", &format!("P006,{HOSTILE_PERSON},"));
    let (bytes, _, _) = encoding_rs::GBK.encode(&text);
    std::fs::write(&people, bytes).expect("write people.csv");
    to
}

fn smtp_config(dir: &Path, fixtures: &Path, port: u16, ca: &str) -> PathBuf {
    let text = std::fs::read_to_string(repo().join("kpi-close.toml")).expect("root config");
    let text = text
        .replace("url = \"out/lake\"", &format!("url = \"{}\"", dir.join("lake").display()))
        .replace("\"fixtures/", &format!("\"{}/", fixtures.display()))
        .replace("transport = \"outbox\"", "transport = \"smtp\"\nrate_per_minute = 6000\nretries = 1")
        .replace(
            "# [delivery.smtp]",
            &format!("[delivery.smtp]\nhost = \"localhost\"\nport = {port}\ntls = \"starttls\"\nusername = \"kpi\"\nca_file = \"{ca}\""),
        );
    let path = dir.join(format!("kpi-close-{}.toml", ca.trim_end_matches(".pem")));
    std::fs::write(&path, text).expect("write config");
    path
}

fn received(smtp: &Smtp) -> Vec<serde_json::Value> {
    if !smtp.maildir.exists() {
        return Vec::new();
    }
    let out = Command::new(python())
        .arg(repo().join("tests/it/smtp/parse.py"))
        .arg(&smtp.maildir)
        .output()
        .expect("parse the maildir");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice::<Vec<serde_json::Value>>(&out.stdout).expect("parser JSON")
}

fn notes(smtp: &Smtp) -> Vec<serde_json::Value> {
    std::fs::read_to_string(smtp.maildir.join("notes.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("note"))
        .collect()
}

/// Everything a recipient can read in a message: HTML, text, image alt texts, attachments.
fn readable(message: &serde_json::Value) -> String {
    let mut all = String::new();
    for key in ["subject", "text", "html"] {
        all.push_str(message[key].as_str().unwrap_or_default());
        all.push('\n');
    }
    for alt in message["alts"].as_array().into_iter().flatten() {
        all.push_str(alt.as_str().unwrap_or_default());
        all.push('\n');
    }
    for a in message["attachments"].as_array().into_iter().flatten() {
        all.push_str(a["content"].as_str().unwrap_or_default());
        all.push('\n');
    }
    all
}

/// Rows of the `Mail` table (report, locale, to, status, error) with this status.
fn mails_with(text: &str, status: &str) -> usize {
    text.lines()
        .filter(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            f.len() >= 4 && f[1].len() <= 5 && f[2].contains('@') && f[3..].join(" ").starts_with(status)
        })
        .count()
}

struct Person {
    id: &'static str,
    name: &'static str,
    team: &'static str,
}

const PEOPLE: &[Person] = &[
    Person { id: "P001", name: "王芳", team: "T01" },
    Person { id: "P002", name: "李娜", team: "T01" },
    Person { id: "P003", name: "张伟", team: "T01" },
    Person { id: "P004", name: "刘洋", team: "T01" },
    Person { id: "P005", name: "陈静", team: "T02" },
    Person { id: "P006", name: "杨磊", team: "T02" },
    Person { id: "P007", name: "赵敏", team: "T02" },
    Person { id: "P008", name: "黄强", team: "T02" },
    Person { id: "P009", name: "周杰", team: "T03" },
    Person { id: "P010", name: "吴婷", team: "T03" },
    Person { id: "P011", name: "徐明", team: "T03" },
    Person { id: "P012", name: "孙丽", team: "T03" },
];

#[test]
fn close_mails_every_report_over_smtp_to_exactly_its_audience() {
    let dir = tempfile::tempdir().expect("temp dir");
    let dir = dir.path();
    certificates(dir);
    let fixtures = hostile_fixtures(dir);
    let reject = dir.join("reject.txt");
    std::fs::write(&reject, "p005@demo-trading.cn\n").expect("reject file");
    let smtp = start_smtp(dir, &reject);
    let config = smtp_config(dir, &fixtures, smtp.server.port, "ca.pem");
    let env = [("KPI_CLOSE_SMTP_PASSWORD", "s3cret-pass")];

    // The close: P005's two messages are refused (550), everything else is delivered; exit 3.
    let out = run_with_env(&config, &["close", "--month", "2026-10"], &env);
    assert_eq!(out.status.code(), Some(3), "{}\n{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    assert_eq!(mails_with(&text, "FAILED"), 2, "{text}");
    assert!(!text.contains("s3cret-pass") && !stderr(&out).contains("s3cret-pass"), "the password leaked");
    let messages = received(&smtp);
    // 2 leadership + 1 auditor + 3 managers + 12 people, minus P005's team report and scorecard.
    assert_eq!(messages.len(), 16, "{text}");
    for note in notes(&smtp) {
        assert_eq!(note["tls"], true, "{note}");
        assert_eq!(note["authenticated"], true, "{note}");
        assert_eq!(note["rcpt_tos"].as_array().map(Vec::len), Some(1), "one recipient per message: {note}");
    }

    let mut ids = BTreeSet::new();
    for m in &messages {
        let subject = m["subject"].as_str().unwrap_or_default();
        assert!(subject.starts_with("2026-10 · ") && !subject.contains("DRAFT"), "period first: {subject}");
        // The sender's name in the reader's language: English subjects come from an English name.
        let from = m["from"].as_str().unwrap_or_default();
        let english =
            subject.contains("Performance close") || subject.contains("scorecard") || subject.contains("report");
        assert_eq!(from.contains("Performance close · kpi-close"), english, "{subject}: from {from}");
        let tree = m["tree"].to_string();
        assert!(
            tree.starts_with(
                r#"{"multipart/mixed":[{"multipart/alternative":["text/plain",{"multipart/related":["text/html""#
            ),
            "{tree}"
        );
        assert_eq!(m["unresolved_cids"], serde_json::json!([]), "{subject}");
        assert_eq!(m["cids"].as_array().map(Vec::len), m["inline"].as_object().map(|o| o.len()), "{subject}");
        assert!(
            m["inline"]
                .as_object()
                .unwrap()
                .values()
                .all(|i| i["type"] == "image/png" && i["bytes"].as_u64() > Some(1000))
        );
        let attachments: Vec<(&str, &str)> = m["attachments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| (a["type"].as_str().unwrap_or_default(), a["filename"].as_str().unwrap_or_default()))
            .collect();
        assert_eq!(attachments.len(), 2, "{subject}: {attachments:?}");
        assert!(
            attachments[0].0 == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                && attachments[0].1.ends_with("-2026-10.xlsx"),
            "{subject}: {attachments:?}"
        );
        assert!(attachments[1] == ("text/csv", attachments[1].1) && attachments[1].1.ends_with("-2026-10.csv"));
        assert!(
            m["html"]
                .as_str()
                .is_some_and(|h| !h.contains("<script") && !h.contains("http://") && !h.contains("https://"))
        );
        assert!(m["html"].as_str().is_some_and(|h| !h.contains("<svg")));
        assert_eq!(m["to"].as_array().map(Vec::len), Some(1));
        // Sent by a program: vacation responders and Exchange's auto-replies stay quiet.
        assert_eq!(m["auto_submitted"], "auto-generated", "{subject}");
        assert_eq!(m["auto_response_suppress"], "All", "{subject}");
        ids.insert(m["message_id"].as_str().unwrap_or_default().to_string());
    }
    assert_eq!(ids.len(), messages.len(), "Message-IDs are unique");

    let to = |address: &str| -> Vec<&serde_json::Value> {
        messages.iter().filter(|m| m["to"][0].as_str().is_some_and(|t| t.contains(address))).collect()
    };
    // Leadership: the CEO in Chinese, the CFO in English, with the trends and the forecast.
    let ceo = to("ceo@demo-trading.cn");
    assert_eq!(ceo.len(), 1);
    assert!(ceo[0]["html"].as_str().unwrap().contains("近 13 个月趋势"));
    let cfo = to("cfo@demo-trading.cn");
    assert!(cfo[0]["html"].as_str().unwrap().contains("13-month trends"));
    assert!(cfo[0]["html"].as_str().unwrap().contains("Next-period forecast"));
    assert!(cfo[0]["inline"].as_object().unwrap().len() >= 6, "4 trends, ratings, audit");
    let auditor = to("audit@demo-trading.cn");
    assert!(auditor[0]["text"].as_str().unwrap().contains("kpi-close verify --period 2026-10"));

    // Isolation: each manager's mail holds their team's people and nobody else's.
    for (manager, team) in [("p001@", "T01"), ("p009@", "T03")] {
        let mail = to(manager);
        assert_eq!(mail.len(), 2, "{manager}: the team report and their own scorecard");
        let team_mail = mail.iter().find(|m| m["subject"].as_str().unwrap_or_default().contains("团队报告")).unwrap();
        let all = readable(team_mail);
        for p in PEOPLE {
            assert_eq!(all.contains(p.name), p.team == team, "{manager} and {} ({})", p.name, p.id);
        }
    }
    // Each person's own scorecard names them and no colleague.
    for p in PEOPLE.iter().filter(|p| !matches!(p.id, "P001" | "P005" | "P009")) {
        let mail = to(&format!("{}@", p.id.to_lowercase()));
        assert_eq!(mail.len(), 1, "{}", p.id);
        let all = readable(mail[0]);
        for other in PEOPLE {
            assert_eq!(all.contains(other.name), other.id == p.id, "{}'s mail and {}", p.id, other.name);
        }
    }
    // P011 asked for English.
    assert!(to("p011@")[0]["subject"].as_str().unwrap().contains("Personal scorecard"));

    // Hostile names arrive escaped, never as markup.
    let p006 = to("p006@")[0];
    let html = p006["html"].as_str().unwrap();
    assert!(html.contains("杨磊 &amp; &lt;b&gt;Lei&lt;"), "{html}");
    assert!(!html.contains("<b>Lei</b>"));

    // The failed part is re-sent, and only it.
    std::fs::write(&reject, "").expect("clear reject file");
    let out = run_with_env(&config, &["send", "--period", "2026-10"], &env);
    assert_eq!(out.status.code(), Some(0), "{}\n{}", stdout(&out), stderr(&out));
    assert_eq!(mails_with(&stdout(&out), "sent"), 2, "{}", stdout(&out));
    let messages = received(&smtp);
    assert_eq!(messages.len(), 18);
    let t02 = messages
        .iter()
        .find(|m| {
            m["to"][0].as_str().unwrap_or_default().contains("p005@")
                && m["subject"].as_str().unwrap_or_default().contains("团队报告")
        })
        .expect("T02's report");
    let all = readable(t02);
    assert!(all.contains("&lt;script&gt;") && !t02["html"].as_str().unwrap().contains("<script"), "escaped in HTML");
    for p in PEOPLE {
        assert_eq!(all.contains(p.name), p.team == "T02", "T02 and {}", p.name);
    }

    // A re-run sends nothing.
    let out = run_with_env(&config, &["send", "--period", "2026-10"], &env);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(mails_with(&stdout(&out), "already sent"), 18, "{}", stdout(&out));
    assert_eq!(received(&smtp).len(), 18);

    // A server certificate from a CA we do not trust, and a wrong password: nothing is delivered.
    let other = smtp_config(dir, &fixtures, smtp.server.port, "other-ca.pem");
    let out = run_with_env(&other, &["send", "--period", "2026-10", "--resend"], &env);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stdout(&out).to_lowercase().contains("certificate") || stdout(&out).contains("UnknownIssuer"),
        "{}",
        stdout(&out)
    );
    let out =
        run_with_env(&config, &["send", "--period", "2026-10", "--resend"], &[("KPI_CLOSE_SMTP_PASSWORD", "wrong")]);
    assert_eq!(out.status.code(), Some(3));
    assert!(stdout(&out).contains("535"), "{}", stdout(&out));
    assert_eq!(received(&smtp).len(), 18);

    // The archive: both languages, snapshots of the leadership report, a team, a person and the audit.
    let archive = dir.join("lake/reports/period=2026-10");
    let read = |path: &str| {
        let text = std::fs::read_to_string(archive.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
        regex::Regex::new("[0-9a-f]{64}").unwrap().replace_all(&text, "<sha256>").into_owned()
    };
    insta::assert_snapshot!("leadership_zh-CN_2026-10", read("zh-CN/leadership.html"));
    insta::assert_snapshot!("leadership_en_2026-10", read("en/leadership.html"));
    insta::assert_snapshot!("team_T02_zh-CN_2026-10", read("zh-CN/team-T02.html"));
    insta::assert_snapshot!("person_P011_en_2026-10", read("en/person-P011.html"));
    insta::assert_snapshot!("audit_zh-CN_2026-10", read("zh-CN/audit.html"));
    insta::assert_snapshot!("leadership_en_2026-10_text", read("en/leadership.txt"));
    assert!(archive.join("zh-CN/leadership/trend-revenue.png").exists());
    every_scorecard_adds_up(&archive);
    the_workbook_holds_the_stored_indicators(&archive, &dir.join("lake"));
    the_index_links_every_report(&archive, &dir.join("lake"));
    every_word_is_in_the_readers_language(&archive, &dir.join("lake"), &config);
    mail_clients_support_the_html(&archive);
}

/// The archive's HTML against caniemail's data for Gmail and Outlook (npm `@jsx-email/doiuse-email`,
/// offline). Three findings are accepted, each on purpose: `@media` (the phone layout; a client
/// without it shows the full table), `<body>` (Outlook for macOS and mobile replace it with a
/// `<div>`) and `role` (`role="presentation"` tells screen readers the layout tables are not data;
/// Windows Mail ignores it). Anything else fails.
fn mail_clients_support_the_html(archive: &Path) {
    let npm = npm_package("@jsx-email/doiuse-email@1", "node_modules/@jsx-email/doiuse-email/package.json");
    let files: Vec<PathBuf> = [
        "en/leadership.html",
        "zh-CN/leadership.html",
        "zh-CN/team-T02.html",
        "en/person-P011.html",
        "zh-CN/audit.html",
    ]
    .iter()
    .map(|f| archive.join(f))
    .collect();
    let out = Command::new("node")
        .arg(repo().join("tests/it/email/check.js"))
        .arg("gmail.*,outlook.*")
        .args(&files)
        .env("NODE_PATH", npm.join("node_modules"))
        .output()
        .expect("node runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let accepted =
        ["`@media` is not supported", "`<body> element` is not supported", "`role attribute` is not supported"];
    let mut checked = 0;
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let result: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        let errors: Vec<&str> = result["errors"].as_array().unwrap().iter().filter_map(|e| e.as_str()).collect();
        let unexpected: Vec<&&str> = errors.iter().filter(|e| !accepted.iter().any(|a| e.starts_with(a))).collect();
        assert!(unexpected.is_empty(), "{}: {unexpected:?}", result["file"]);
        checked += 1;
    }
    assert_eq!(checked, files.len());
}

/// No English in a zh-CN report and no Chinese in an en one, except what the data itself holds
/// (names of people, teams, campaigns, channels and the company, rule ids, the config's values) and what the zh-CN labels
/// themselves write in Latin letters (GIVT, MQL, NPS …). Scans every text report of the archive.
fn every_word_is_in_the_readers_language(archive: &Path, lake: &Path, config: &Path) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let mut data = String::new();
    for table in ["people", "teams", "campaigns", "social_accounts"] {
        let batches = runtime.block_on(query(lake, &[("t", &format!("data/{table}/"))], "SELECT * FROM t"));
        data.extend(rows(&batches).into_iter().flatten().map(|cell| format!("{cell}\n")));
    }
    for table in ["web_events", "leads", "ad_spend"] {
        let batches =
            runtime.block_on(query(lake, &[("t", &format!("data/{table}/"))], "SELECT DISTINCT channel FROM t"));
        data.extend(rows(&batches).into_iter().flatten().map(|cell| format!("{cell}\n")));
    }
    // The company's name, and the thresholds the audit report quotes (its test domains).
    data.push_str(&std::fs::read_to_string(config).expect("the config"));
    let loaded = kpi_close::config::Config::load(config).expect("the config loads");
    data.extend(loaded.audit.thresholds().into_values().map(|v| format!("{v}\n")));
    let zh_labels = std::fs::read_to_string(repo().join("report_templates/i18n/zh-CN.toml")).unwrap();
    let latin = regex::Regex::new(r"[A-Za-z][A-Za-z_]+").unwrap();
    let cjk = regex::Regex::new(r"[\p{Han}]+").unwrap();
    let token = regex::Regex::new(r"[A-Za-z0-9_]+").unwrap();
    let allowed_latin: BTreeSet<&str> = latin
        .find_iter(&zh_labels)
        .chain(latin.find_iter(&data))
        .map(|m| m.as_str())
        .chain(["CNY", "SHA", "GIVT", "SIVT"])
        .collect();
    let mut foreign = BTreeSet::new();
    for locale in ["zh-CN", "en"] {
        for entry in std::fs::read_dir(archive.join(locale)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|x| x != "txt") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            // The proof block names lake paths and a command, not words.
            for line in text.lines().filter(|l| !l.contains("proofs/") && !l.starts_with("kpi-close ")) {
                if locale == "zh-CN" {
                    for word in token.find_iter(line).map(|m| m.as_str()) {
                        // Rule ids (UA_BOT), versions and hashes (1-8be8de8a) are identifiers, not words.
                        let identifier = word.chars().any(|c| c.is_ascii_digit())
                            || word.chars().all(|c| c.is_ascii_uppercase() || c == '_');
                        if word.len() > 1 && !identifier && !allowed_latin.contains(word) {
                            foreign.insert(format!("{locale}/{name}: {word} in {line:?}"));
                        }
                    }
                } else {
                    for run in cjk.find_iter(line).map(|m| m.as_str()) {
                        if !data.contains(run) {
                            foreign.insert(format!("{locale}/{name}: {run} in {line:?}"));
                        }
                    }
                }
            }
        }
    }
    assert!(
        foreign.is_empty(),
        "words not in the reader's language:\n{}",
        foreign.into_iter().collect::<Vec<_>>().join("\n")
    );
}

/// Reads the leadership workbook back: its indicator sheet's numeric cells are the stored
/// indicators of the company, and its scorecard sheets hold numbers, not display strings.
fn the_workbook_holds_the_stored_indicators(archive: &Path, lake: &Path) {
    use calamine::{Data, Reader, Xlsx, open_workbook};
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let stored = rows(&runtime.block_on(query(
        lake,
        &[("indicators", "indicators/period=2026-10/")],
        "SELECT kpi, CAST(value AS DOUBLE) FROM indicators WHERE grain = 'company' ORDER BY kpi",
    )));
    for locale in ["en", "zh-CN"] {
        let mut book: Xlsx<_> =
            open_workbook(archive.join(format!("{locale}/leadership.xlsx"))).expect("leadership.xlsx");
        let sheet = book.sheet_names()[0].clone();
        let range = book.worksheet_range(&sheet).expect("first sheet");
        let mut seen = 0;
        for row in range.rows().skip(1) {
            let (Data::String(kpi), value) = (&row[3], &row[5]) else { panic!("{locale}: {row:?}") };
            let want = stored.iter().find(|s| s[0] == *kpi).unwrap_or_else(|| panic!("{kpi} is not stored"));
            match value {
                Data::Float(v) => assert_eq!(Some(*v), want[1].parse::<f64>().ok(), "{locale}: {kpi}"),
                Data::Empty => assert_eq!(want[1], "NULL", "{locale}: {kpi}"),
                other => panic!("{locale}: {kpi} is {other:?}, not a number"),
            }
            assert!(
                matches!(row[0], Data::String(ref p) if p == "2026-10")
                    && matches!(row[2], Data::String(ref c) if c == "CNY")
            );
            seen += 1;
        }
        assert!(seen >= 20, "{locale}: {seen} indicators in the workbook");
        let mut person: Xlsx<_> =
            open_workbook(archive.join(format!("{locale}/person-P003.xlsx"))).expect("person workbook");
        let sheet = person.sheet_names()[0].clone();
        let range = person.worksheet_range(&sheet).unwrap();
        let header: Vec<String> = range.rows().next().unwrap().iter().map(|c| c.to_string()).collect();
        let achievement =
            header.iter().position(|h| h == if locale == "en" { "Achievement" } else { "达成率" }).unwrap();
        assert!(
            range.rows().skip(1).all(|r| matches!(r[achievement], Data::Float(_))),
            "{locale}: achievements are numbers"
        );
    }
}

/// `reports/index.html` links the period's reports in both languages, and every link resolves.
fn the_index_links_every_report(archive: &Path, lake: &Path) {
    let index = std::fs::read_to_string(lake.join("reports/index.html")).expect("reports/index.html");
    let links: Vec<String> =
        // minijinja escapes `/` in attributes as `&#x2f;`, which browsers read back as `/`.
        regex::Regex::new(r#"href="([^"]+)""#)
            .unwrap()
            .captures_iter(&index)
            .map(|c| c[1].replace("&#x2f;", "/"))
            .collect();
    for report in
        ["en/leadership.html", "zh-CN/leadership.html", "zh-CN/team-T02.html", "en/person-P011.html", "en/audit.html"]
    {
        assert!(links.iter().any(|l| l == &format!("period=2026-10/{report}")), "{report} not in the index");
    }
    for link in &links {
        assert!(lake.join("reports").join(link).exists(), "{link} does not resolve");
    }
    let html_reports = std::fs::read_dir(archive.join("en"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "html"))
        .count();
    assert_eq!(links.iter().filter(|l| l.starts_with("period=2026-10/en/")).count(), html_reports);
}

/// Recomputes every personal scorecard of the archive, in both languages, from what its text shows:
/// each line's points are achievement × weight used, the weights used add up to 100, and the total
/// is the sum of the points — within the rounding of the shown figures.
fn every_scorecard_adds_up(archive: &Path) {
    let number = |s: &str| s.replace(',', "").replace('−', "-").parse::<f64>().unwrap_or_else(|e| panic!("{s}: {e}"));
    let line = regex::Regex::new(r"= (?:([0-9.,]+)%|—) × \D*([0-9.,]+)(?: \([^)]*\))? → ([0-9.,]+)").unwrap();
    let total = regex::Regex::new(r"(?m)^(?:Total score|总分) ([0-9.,]+|—),").unwrap();
    let mut cards = 0;
    for locale in ["en", "zh-CN"] {
        for entry in std::fs::read_dir(archive.join(locale)).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if !(name.starts_with("person-") && name.ends_with(".txt")) {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let shown = &total.captures(&text).unwrap_or_else(|| panic!("{name}: no total in\n{text}"))[1];
            let (mut sum, mut weights, mut slack, mut lines) = (0.0, 0.0, 0.1, 0);
            for c in line.captures_iter(&text) {
                let achievement = c.get(1).map(|a| number(a.as_str()) / 100.0).unwrap_or(0.0);
                let (weight, points) = (number(&c[2]), number(&c[3]));
                let rounding = 0.05 + 0.0005 * weight + 0.05 * achievement;
                assert!(
                    (achievement * weight - points).abs() <= rounding,
                    "{locale}/{name}: {achievement} × {weight} is not {points}"
                );
                sum += achievement * weight;
                weights += weight;
                slack += rounding;
                lines += 1;
            }
            assert!(lines > 0, "{locale}/{name}: no scorecard line in\n{text}");
            if shown == "—" {
                assert_eq!(weights, 0.0, "{locale}/{name}: no total, yet weights were used");
                continue;
            }
            assert!(
                (weights - 100.0).abs() <= 0.05 * lines as f64 + 0.05,
                "{locale}/{name}: weights used add up to {weights}"
            );
            assert!(
                (sum - number(shown)).abs() <= slack,
                "{locale}/{name}: the lines add up to {sum:.2}, the total shown is {shown}"
            );
            cards += 1;
        }
    }
    assert!(cards >= 20, "{cards} scorecards recomputed");
}

#[test]
fn outbox_close_writes_one_eml_per_recipient_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let lake = dir.path().join("lake");
    let config = demo_config(dir.path(), &lake.display().to_string(), "");
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("outbox = \"out/outbox\"", &format!("outbox = \"{}\"", dir.path().join("outbox").display()));
    std::fs::write(&config, text).unwrap();
    // Not closed yet: reports are drafts and go to nobody.
    for args in [&["ingest"][..], &["score", "--period", "2026-10"]] {
        let out = run(&config, args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
    }
    let out = run(&config, &["send", "--period", "2026-10"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("has not been closed"), "{}", stderr(&out));
    let out = run(&config, &["render", "--period", "2026-10"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("DRAFT"));

    let out = run(&config, &["close", "--month", "2026-10"]);
    assert_eq!(out.status.code(), Some(0), "{}\n{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("Mail is in the outbox"), "{}", stdout(&out));
    let files = tree(&dir.path().join("outbox"));
    assert_eq!(files.len(), 18, "{:?}", files.keys());
    assert!(files.keys().all(|f| f.ends_with(".eml")));
    let dry = run(&config, &["send", "--period", "2026-10", "--dry-run"]);
    assert_eq!(stdout(&dry).matches("would send").count(), 18, "{}", stdout(&dry));
    let again = run(&config, &["close", "--month", "2026-10"]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert_eq!(tree(&dir.path().join("outbox")), files, "a re-run writes no message again");
}
