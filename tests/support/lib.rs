//! Helpers shared by the end-to-end tests: fresh databases on both backends, and small circles.
pub mod cc_peer;
pub mod fuzz;
pub mod node;
pub mod smtp;
pub mod web;

use commons_ledger::entry::{Body, Cause, CircleSpec, Request, SignedRequest};
use commons_ledger::keys::SecretKey;
use commons_ledger::store::{CircleInfo, Store};

/// The PostgreSQL server the tests use (a database per test is created on it).
pub fn pg_admin_url() -> String {
    std::env::var("COMMONS_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// A fresh database for one test; SQLite files live in a temporary folder removed on drop.
#[derive(Debug)]
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    /// The PostgreSQL database to drop when the test ends.
    pg_name: Option<String>,
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(name) = &self.pg_name {
            // Best effort: a failed clean-up must not fail the test; FORCE ends open connections.
            let _ = std::process::Command::new("psql")
                .args([
                    pg_admin_url().as_str(),
                    "-q",
                    "-c",
                    &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                ])
                .output();
        }
    }
}

impl TestDb {
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("commons.db");
        TestDb {
            url: path.to_string_lossy().into_owned(),
            _dir: Some(dir),
            pg_name: None,
        }
    }

    /// Creates a new, empty PostgreSQL database named after the test and a random suffix.
    pub async fn postgres() -> TestDb {
        use sqlx::Connection;
        let admin = pg_admin_url();
        let name = format!("commons_test_{}", hex::encode(rand::random::<[u8; 6]>()));
        let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap_or_else(|error| {
            panic!("PostgreSQL must be running for the store tests ({admin}): {error}. Start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start")
        });
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .expect("create database");
        let base = admin
            .rsplit_once('/')
            .map(|(base, _)| base.to_owned())
            .expect("a database URL");
        TestDb {
            url: format!("{base}/{name}"),
            _dir: None,
            pg_name: Some(name),
        }
    }
}

/// The account a test member holds whole (nobody recovered it).
pub fn full(user: &commons_web::db::User) -> commons_web::capability::FullAccount {
    commons_web::capability::FullAccount::of(user).expect("a login nobody recovered")
}

/// Runs the same async test body against SQLite and PostgreSQL, as two tests.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident => $body:expr;)+) => {
        mod sqlite {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = $crate::TestDb::sqlite();
                    ($body)(db.url.clone()).await;
                }
            )+
        }
        mod postgres {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = $crate::TestDb::postgres().await;
                    ($body)(db.url.clone()).await;
                }
            )+
        }
    };
}

pub fn spec(slug: &str) -> CircleSpec {
    CircleSpec {
        slug: slug.into(),
        name: "Garden Share".into(),
        unit_name: "hours".into(),
        unit_symbol: "h".into(),
        decimals: 2,
        default_floor_minor: -2000,
        default_ceiling_minor: 5000,
    }
}

/// A circle in a store: its steward and members (each with floor -20.00 and ceiling 50.00).
#[derive(Debug)]
pub struct StoreCircle {
    pub info: CircleInfo,
    pub steward: SecretKey,
    pub members: Vec<SecretKey>,
}

impl StoreCircle {
    pub fn sign(&self, author: &SecretKey, body: Body) -> SignedRequest {
        Request::signed(self.info.circle_id, author, body)
    }
    pub fn pay(&self, payer: &SecretKey, payee: &SecretKey, amount_minor: i64) -> SignedRequest {
        let body = Body::Transfer {
            payer: payer.public_key(),
            payee: payee.public_key(),
            amount_minor,
            memo_hash: None,
            cause: Cause::Direct,
        };
        self.sign(payer, body)
    }
}

/// A person row (no password anyone could type), for store tests that need a user id.
pub async fn person(store: &Store, name: &str) -> i64 {
    use sqlx::Row;
    sqlx::query(
        "INSERT INTO users (username, display_name, password_hash, seal_salt, created_at_ms)
         VALUES ($1, $1, 'x', $2, 0) RETURNING id",
    )
    .bind(name)
    .bind(vec![0u8; 16])
    .fetch_one(store.pool())
    .await
    .expect("user")
    .try_get(0)
    .expect("id")
}

pub async fn make_circle(store: &Store, slug: &str, members: usize) -> StoreCircle {
    let steward = SecretKey::generate();
    let node = SecretKey::generate();
    let genesis = Request::genesis(spec(slug), &steward, node.public_key());
    let info = store
        .create_circle(genesis, &node)
        .await
        .expect("create circle");
    let circle = StoreCircle {
        info,
        steward,
        members: (0..members).map(|_| SecretKey::generate()).collect(),
    };
    for member in &circle.members {
        let open = circle.sign(
            &circle.steward,
            Body::OpenAccount {
                account: member.public_key(),
                floor_minor: -2000,
                ceiling_minor: 5000,
            },
        );
        store.append(slug, open, None).await.expect("open account");
    }
    circle
}

/// A bot's flood: `count` made-up people waiting to join the circle with row id `circle`
/// (oldest first: `flood-0`), written straight into the database.
pub async fn fill_waiting_room(pool: &sqlx::AnyPool, circle: i64, count: i64) {
    use sqlx::Row;
    for n in 0..count {
        let id: i64 = sqlx::query("INSERT INTO users (username, display_name, password_hash, seal_salt, created_at_ms) VALUES ($1, $2, 'x', $3, $4) RETURNING id")
            .bind(format!("flood-{n}"))
            .bind(format!("Flood {n}"))
            .bind(vec![0u8; 16])
            .bind(1_000 + n)
            .fetch_one(pool)
            .await
            .expect("user")
            .try_get(0)
            .expect("id");
        sqlx::query("INSERT INTO memberships (circle, user_id, status, account_key, agreements_version, agreed_at_ms, created_at_ms) VALUES ($1, $2, 'pending', $3, 1, 1, $4)")
            .bind(circle)
            .bind(id)
            .bind(SecretKey::generate().public_key().as_bytes().to_vec())
            .bind(1_000 + n)
            .execute(pool)
            .await
            .expect("membership");
    }
}
