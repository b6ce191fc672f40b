//! A real SMTP server for the e-mail tests: aiosmtpd (from PyPI, installed by `scripts/test`
//! into `tests/smtp/.venv`) started on a free port, writing what it receives into a temporary
//! folder, and the mails read back and parsed.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running SMTP server that keeps every message.
#[derive(Debug)]
pub struct SmtpSink {
    pub port: u16,
    dir: tempfile::TempDir,
    child: Child,
}

/// One message the server received.
#[derive(Debug, Clone)]
pub struct Received {
    pub to: String,
    pub subject: String,
    pub headers: Vec<(String, String)>,
    pub text: String,
    pub html: String,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The first address of the node in the text part that starts with `prefix`.
    pub fn link(&self, prefix: &str) -> Option<String> {
        let start = self.text.find(prefix)?;
        let rest = &self.text[start..];
        let end = rest.find(|c: char| c.is_whitespace()).unwrap_or(rest.len());
        Some(rest[..end].to_owned())
    }
}

fn python() -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/smtp/.venv/bin/python");
    assert!(
        path.exists(),
        "the SMTP tests need aiosmtpd in tests/smtp/.venv: run scripts/test, which installs it"
    );
    path
}

impl SmtpSink {
    /// Starts the server; with `delay_ms`, it waits that long before accepting each message.
    pub fn start(delay_ms: u64) -> SmtpSink {
        let dir = tempfile::tempdir().expect("a folder for the mail");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/smtp/sink.py");
        let mut child = Command::new(python())
            .arg(script)
            .arg(dir.path())
            .arg("--delay-ms")
            .arg(delay_ms.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("aiosmtpd starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the SMTP server prints its port");
        let port = line.trim().parse().expect("a port number");
        SmtpSink { port, dir, child }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far, in order.
    pub fn received(&self) -> Vec<Received> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .expect("mail folder")
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| path.extension().is_some_and(|ext| ext == "eml"))
            .collect();
        names.sort();
        names
            .iter()
            .map(|path| parse(&std::fs::read(path).expect("a mail")))
            .collect()
    }

    /// Waits until at least `count` messages arrived (at most 30 s), and answers them all.
    pub async fn wait_for(&self, count: usize) -> Vec<Received> {
        for _ in 0..600 {
            let received = self.received();
            if received.len() >= count {
                return received;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "expected {count} mails, the SMTP server received {}: {:#?}",
            self.received().len(),
            self.received()
                .iter()
                .map(|m| (&m.to, &m.subject))
                .collect::<Vec<_>>()
        );
    }

    /// The messages to one address.
    pub fn to(&self, address: &str) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|mail| mail.to == address)
            .collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn parse(raw: &[u8]) -> Received {
    let mail = mailparse::parse_mail(raw).expect("a well-formed mail");
    let headers: Vec<(String, String)> = mail
        .headers
        .iter()
        .map(|h| (h.get_key(), h.get_value()))
        .collect();
    let find = |name: &str| {
        headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.clone())
            .unwrap_or_default()
    };
    let mut text = String::new();
    let mut html = String::new();
    for part in mail.parts() {
        match part.ctype.mimetype.as_str() {
            "text/plain" => text = part.get_body().expect("a text body"),
            "text/html" => html = part.get_body().expect("an HTML body"),
            _ => {}
        }
    }
    Received {
        to: find("X-Envelope-To"),
        subject: find("Subject"),
        text,
        html,
        headers,
    }
}

/// The member gives an address and follows the link mailed to it; answers the mail.
pub async fn verify_address(
    sink: &SmtpSink,
    member: &mut crate::web::Member,
    address: &str,
) -> Received {
    let page = member
        .submit("/settings/email", "/settings/email", &[("email", address)])
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body
            .contains(&format!("sent a confirmation link to {address}")),
        "{}",
        page.body
    );
    let before = sink.to(address).len();
    sink.wait_for(sink.received().len().max(1)).await;
    let mail = loop {
        let mails = sink.to(address);
        if mails.len() > before {
            break mails.last().cloned().expect("a mail");
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert!(
        mail.subject.contains("Confirm your e-mail address"),
        "{}",
        mail.subject
    );
    assert!(
        mail.header("List-Unsubscribe").is_none(),
        "a verification is not a list mail"
    );
    let link = mail.link(&member.base).expect("a link in the mail");
    let path = link
        .strip_prefix(&member.base)
        .expect("a link to the node")
        .to_owned();
    let page = member.submit(&path, &path, &[]).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Address confirmed"), "{}", page.body);
    mail
}
