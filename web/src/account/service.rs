//! What a person does with their account: setting up the node, logging in and out, sessions
//! and unlocking, passwords, starting a circle, API tokens and an own key, and recovery.

#![allow(clippy::result_large_err)]

use crate::capability::FullAccount;
use std::collections::BTreeSet;
use std::net::IpAddr;

use commons_ledger::amount::Decimals;
use commons_ledger::entry::{Body, CircleSpec, Request};
use commons_ledger::keys::SecretKey;
use commons_ledger::store::CircleInfo;

use crate::custody::{
    hash_password, new_seal_salt, random_secret, seal, unseal, verify_password, CustodyError,
    Password, SealingKey,
};
use crate::db::{CircleSettings, MemberStatus, NewMembership, NewUser, User};
use crate::names::{DisplayName, Username};

use crate::account::activity::SecurityEvent;
use crate::services::*;

impl Services {
    // ----- people and sessions -----
    /// A new password's hash and the sealing key derived from it with a fresh salt (argon2id
    /// twice, off the async threads).
    pub(crate) async fn hash_and_seal(
        &self,
        password: Password,
    ) -> Result<(String, [u8; crate::custody::SEAL_SALT_BYTES], SealingKey), ActionError> {
        let salt = new_seal_salt();
        let cost = self.cost;
        let (hash, sealing) = self
            .argon2
            .run(move || {
                Ok::<_, CustodyError>((
                    hash_password(&password, cost)?,
                    SealingKey::derive(&password, &salt, cost)?,
                ))
            })
            .await
            .map_err(|_| ActionError::Busy)??;
        Ok((hash, salt, sealing))
    }

    /// Checks a sign-up and does the slow hashing, without writing anything yet.
    pub(crate) async fn prepare_user(
        &self,
        sign_up: &SignUp,
        is_node_admin: bool,
    ) -> Result<(NewUser, SealingKey), ActionError> {
        let username: Username = sign_up.username.parse().map_err(name_error("username"))?;
        let display_name: DisplayName = sign_up
            .display_name
            .parse()
            .map_err(name_error("display_name"))?;
        let password = Password::new_choice(&sign_up.password)
            .map_err(|_| invalid("password", "error-password-short"))?;
        if self.db.user_by_username(username.as_str()).await?.is_some() {
            return Err(ActionError::UsernameTaken);
        }
        let (hash, salt, sealing) = self.hash_and_seal(password).await?;
        Ok((
            NewUser {
                username: username.to_string(),
                display_name: display_name.as_str().to_owned(),
                password_hash: hash,
                seal_salt: salt.to_vec(),
                language: sign_up.language.clone(),
                is_node_admin,
                now_ms: self.now_ms(),
            },
            sealing,
        ))
    }

    pub(crate) async fn insert_user(&self, new: &NewUser) -> Result<User, ActionError> {
        let id = self
            .db
            .create_user(new)
            .await
            .map_err(|error| match &error {
                sqlx::Error::Database(db) if db.is_unique_violation() => ActionError::UsernameTaken,
                _ => ActionError::Database(error),
            })?;
        self.db.user(id).await?.ok_or(ActionError::NotFound)
    }

    /// Checks a person's password and derives their sealing key, on the argon2 pool. Not
    /// limited by itself: every caller outside this module goes through
    /// [`Services::verify_password`] (or [`Services::log_in`]).
    async fn check_password(&self, user: &User, password: &str) -> Result<SealingKey, ActionError> {
        let password = Password::typed(password).map_err(|_| ActionError::WrongPassword)?;
        let phc = user.password_hash.clone();
        let salt = user.seal_salt.clone();
        let cost = self.cost;
        self.argon2
            .run(move || {
                if !verify_password(&phc, &password) {
                    return Err(ActionError::WrongPassword);
                }
                Ok(SealingKey::derive(&password, &salt, cost)?)
            })
            .await
            .map_err(|_| ActionError::Busy)?
    }

    /// Checks a person's password (to unlock their key, change the password, give up the
    /// node-held key, confirm a recovery), within the limits per client address and per person.
    pub async fn verify_password(
        &self,
        user: &User,
        password: &str,
        from: Option<IpAddr>,
    ) -> Result<SealingKey, ActionError> {
        if !self.password_limits.allow(from, Some(&user.username)) {
            return Err(ActionError::TooManyAttempts);
        }
        self.check_password(user, password).await
    }

    /// Logs a person in: a fresh session (never one chosen by the browser) whose sealing key
    /// waits in memory. An unknown username costs the same time as a wrong password.
    pub async fn log_in(
        &self,
        username: &str,
        password: &str,
        session_ttl_ms: i64,
        from: Option<IpAddr>,
    ) -> Result<NewSession, ActionError> {
        // The name is parsed (and so bounded) before it touches the limits.
        let name = username.parse::<Username>().ok();
        if !self
            .password_limits
            .allow(from, name.as_ref().map(Username::as_str))
        {
            return Err(ActionError::TooManyAttempts);
        }
        let user = match &name {
            Some(name) => self.db.user_by_username(name.as_str()).await?,
            None => None,
        };
        let Some(user) = user else {
            // Spend the time a real check would, so timing does not reveal who has an account.
            let _ = self.check_password(&self.decoy_user(), password).await;
            return Err(ActionError::WrongPassword);
        };
        let (sealing, took_back) = match self.check_password(&user, password).await {
            Ok(sealing) => (sealing, false),
            Err(ActionError::WrongPassword) => {
                // The password from before a recovery takes the whole account back, until the
                // take-back period ends (whether or not the job has come by since).
                let in_period = user
                    .recovery_lifts_at_ms
                    .is_some_and(|lifts_at| lifts_at > self.now_ms());
                let prior = user.prior_password.clone().filter(|_| in_period);
                let Some((hash, salt)) = prior else {
                    self.record(user.id, SecurityEvent::LoginFailed, from, "")
                        .await;
                    return Err(ActionError::WrongPassword);
                };
                let prior = User {
                    password_hash: hash,
                    seal_salt: salt,
                    ..user.clone()
                };
                let sealing = match self.check_password(&prior, password).await {
                    Err(ActionError::WrongPassword) => {
                        self.record(user.id, SecurityEvent::LoginFailed, from, "")
                            .await;
                        return Err(ActionError::WrongPassword);
                    }
                    other => other?,
                };
                self.record(user.id, SecurityEvent::TookBack, from, "")
                    .await;
                for ended in self.db.take_back(user.id).await? {
                    self.keyring.remove(&ended);
                }
                (sealing, true)
            }
            Err(error) => return Err(error),
        };
        let mut session = self.open_session(user.id, sealing, session_ttl_ms).await?;
        session.notice = self.login_notice(&user, took_back).await?;
        self.record_login(user.id, from).await;
        Ok(session)
    }

    /// The notice of the person's last recovery, once (at the next login, or when they take
    /// the account back).
    pub(crate) async fn login_notice(
        &self,
        user: &User,
        took_back: bool,
    ) -> Result<Option<LoginNotice>, ActionError> {
        if !took_back && user.recovery_notice_at_ms.is_none() {
            return Ok(None);
        }
        self.db.clear_recovery_notice(user.id).await?;
        // Read again: a take-back has just made the account whole (the recoveries it lists are
        // the ones this login may now read).
        let user = &self.db.user(user.id).await?.ok_or(ActionError::NotFound)?;
        let Some((circle, steward, at_ms)) = self.recoveries_of(user).await?.into_iter().next()
        else {
            return Ok(None);
        };
        Ok(Some(if took_back {
            LoginNotice::TookBack {
                circle,
                steward,
                at_ms,
            }
        } else {
            LoginNotice::Recovered {
                circle,
                steward,
                at_ms,
            }
        }))
    }

    pub(crate) fn decoy_user(&self) -> User {
        User {
            id: 0,
            username: String::new(),
            display_name: String::new(),
            bio: String::new(),
            password_hash: self.decoy_hash(),
            seal_salt: vec![0; 16],
            language: None,
            is_node_admin: false,
            created_at_ms: 0,
            recovery_restricted: false,
            prior_password: None,
            recovery_notice_at_ms: None,
            recovery_lifts_at_ms: None,
        }
    }

    /// A password hash made once with this node's costs, checked for unknown usernames.
    pub(crate) fn decoy_hash(&self) -> String {
        static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        DECOY
            .get_or_init(|| {
                Password::typed("decoy password")
                    .ok()
                    .and_then(|password| hash_password(&password, self.cost).ok())
                    .unwrap_or_default()
            })
            .clone()
    }

    pub async fn open_session(
        &self,
        user_id: i64,
        sealing: SealingKey,
        session_ttl_ms: i64,
    ) -> Result<NewSession, ActionError> {
        let token = random_secret();
        let hash = token_hash(&token);
        let now = self.now_ms();
        self.db
            .create_session(&hash, user_id, now, now + session_ttl_ms)
            .await?;
        self.keyring.insert(hash, sealing);
        Ok(NewSession {
            token,
            token_hash: hash,
            user_id,
            notice: None,
        })
    }

    pub async fn log_out(&self, session_hash: &[u8]) -> Result<(), ActionError> {
        self.keyring.remove(session_hash);
        self.db.delete_session(session_hash).await?;
        Ok(())
    }

    /// Ends expired sessions and wipes their keys from memory.
    pub async fn purge_sessions(&self) -> Result<usize, ActionError> {
        let gone = self.db.purge_sessions(self.now_ms()).await?;
        for hash in &gone {
            self.keyring.remove(hash);
        }
        Ok(gone.len())
    }

    /// Unlocks signing for a session whose key is not in memory (e.g. after a restart).
    pub async fn unlock(
        &self,
        user: &User,
        session: [u8; 32],
        password: &str,
        from: Option<IpAddr>,
    ) -> Result<(), ActionError> {
        let sealing = self.verify_password(user, password, from).await?;
        self.keyring.insert(session, sealing);
        Ok(())
    }

    /// Changes a password: checks the current one, reseals every signing key under the new one,
    /// ends the person's other sessions and revokes every API token.
    pub async fn change_password(
        &self,
        user: &FullAccount,
        session: [u8; 32],
        current: &str,
        new: &str,
        from: Option<IpAddr>,
    ) -> Result<(), ActionError> {
        let old_sealing = self
            .verify_password(user, current, from)
            .await
            .map_err(|error| match error {
                ActionError::WrongPassword => invalid("current_password", "error-password-wrong"),
                other => other,
            })?;
        let new_password = Password::new_choice(new)
            .map_err(|_| invalid("new_password", "error-password-short"))?;
        let (hash, salt, new_sealing) = self.hash_and_seal(new_password).await?;
        let mut resealed = Vec::new();
        for membership in self.db.memberships_of(user.id).await? {
            let Some(sealed) = &membership.sealed_key else {
                continue;
            };
            let Some(info) = self.circle_by_row(membership.circle).await? else {
                continue;
            };
            // A key sealed under an older password (after a recovery elsewhere) stays as it is.
            let Ok(secret) = unseal(
                &old_sealing,
                &info.circle_id,
                &membership.account_key,
                sealed,
            ) else {
                continue;
            };
            resealed.push((
                membership.circle,
                seal(&new_sealing, &info.circle_id, &secret),
            ));
        }
        let others = self.db.sessions_of(user.id).await?;
        self.db
            .change_password(user.id, &hash, &salt, &resealed, &session)
            .await?;
        // Whoever had a token made with the old password loses it too.
        self.db.delete_api_tokens_of(user.id).await?;
        for other in others {
            if other != session {
                self.keyring.remove(&other);
            }
        }
        self.keyring.insert(session, new_sealing);
        self.record(user.id, SecurityEvent::PasswordChanged, from, "")
            .await;
        Ok(())
    }

    /// Whether the node has anyone yet (the first visitor sets it up).
    pub async fn is_new_node(&self) -> Result<bool, ActionError> {
        Ok(self.db.user_count().await? == 0)
    }

    /// The path that sets up a node nobody has set up yet, with its one-time token (what
    /// `commons serve` prints on its console); `None` once the node is set up.
    pub async fn setup_path(&self) -> Result<Option<String>, ActionError> {
        if !self.is_new_node().await? {
            return Ok(None);
        }
        let token = self.db.setup_token(random_secret()).await?;
        Ok(Some(format!("/setup?token={}", hex::encode(token))))
    }

    /// Whether `token` is this node's setup token (and the node is still new).
    pub async fn setup_token_is(&self, token: &str) -> Result<bool, ActionError> {
        let Ok(given) = hex::decode(token.trim()) else {
            return Ok(false);
        };
        if !self.is_new_node().await? {
            return Ok(false);
        }
        let known = self.db.setup_token(random_secret()).await?;
        Ok(given.len() == known.len()
            && bool::from(subtle::ConstantTimeEq::ct_eq(&given[..], &known[..])))
    }

    /// First run: the node's first person, who becomes node admin and steward of a first circle.
    /// Only with the one-time setup token the console printed, and only once, however many
    /// arrive at the same moment: the token is claimed in one statement before anything is
    /// written (and given back if the writing fails).
    pub async fn set_up_node(
        &self,
        token: &str,
        sign_up: &SignUp,
        circle: &NewCircle,
    ) -> Result<(User, SealingKey, CircleInfo), ActionError> {
        if !self.setup_token_is(token).await? {
            return Err(ActionError::Forbidden);
        }
        let spec = self.circle_spec(circle)?;
        let zone = zone_choice(&circle.time_zone)?;
        if self.store.circle(&spec.slug).await.is_ok() {
            return Err(invalid("slug", "error-slug-taken"));
        }
        let (new, sealing) = self.prepare_user(sign_up, true).await?;
        let token = hex::decode(token.trim()).map_err(|_| ActionError::Forbidden)?;
        if !self.db.claim_setup(&token).await? {
            return Err(ActionError::Forbidden);
        }
        let written = async {
            let user = self.insert_user(&new).await?;
            let info = self.create_circle(&user, &sealing, spec).await?;
            self.db.set_circle_time_zone(info.row_id, &zone).await?;
            Ok::<_, ActionError>((user, info))
        }
        .await;
        match written {
            Ok((user, info)) => Ok((user, sealing, info)),
            Err(error) => {
                self.db.release_setup(&token).await?;
                Err(error)
            }
        }
    }

    /// A node admin starts another circle on this node, as its first steward. Their signing
    /// key for it is sealed with the sealing key of their live session.
    pub async fn start_circle(
        &self,
        user: &User,
        session: Option<[u8; 32]>,
        circle: &NewCircle,
    ) -> Result<CircleInfo, ActionError> {
        if !user.is_admin() {
            return Err(ActionError::Forbidden);
        }
        let spec = self.circle_spec(circle)?;
        let zone = zone_choice(&circle.time_zone)?;
        if self.store.circle(&spec.slug).await.is_ok() {
            return Err(invalid("slug", "error-slug-taken"));
        }
        let sealing = session
            .and_then(|session| self.keyring.get(&session))
            .ok_or(ActionError::Locked)?;
        let info = self.create_circle(user, &sealing, spec).await?;
        self.db.set_circle_time_zone(info.row_id, &zone).await?;
        Ok(info)
    }

    pub fn circle_spec(&self, circle: &NewCircle) -> Result<CircleSpec, ActionError> {
        let slug: commons_ledger::slug::CircleSlug = circle
            .slug
            .trim()
            .parse()
            .map_err(|_| invalid("slug", "error-slug-invalid"))?;
        let name = circle.name.trim();
        if name.is_empty() || name.len() > 200 {
            return Err(invalid("name", "error-required"));
        }
        let unit_name = circle.unit_name.trim();
        if unit_name.is_empty() || unit_name.len() > 60 {
            return Err(invalid("unit_name", "error-required"));
        }
        let unit_symbol = circle.unit_symbol.trim();
        if unit_symbol.is_empty() || unit_symbol.len() > 12 {
            return Err(invalid("unit_symbol", "error-required"));
        }
        let decimals = Decimals::new(2).map_err(|_| ActionError::NotFound)?;
        let floor = parse_limit(decimals, &circle.floor, "floor")?;
        let ceiling = parse_limit(decimals, &circle.ceiling, "ceiling")?;
        if floor > 0 {
            return Err(invalid("floor", "error-floor-positive"));
        }
        if ceiling < 0 {
            return Err(invalid("ceiling", "error-ceiling-negative"));
        }
        Ok(CircleSpec {
            slug: slug.as_str().to_owned(),
            name: name.to_owned(),
            unit_name: unit_name.to_owned(),
            unit_symbol: unit_symbol.to_owned(),
            decimals: 2,
            default_floor_minor: floor,
            default_ceiling_minor: ceiling,
        })
    }

    /// Creates a circle with `user` as its first steward and member: a fresh signing key for
    /// the user in this circle (sealed), a fresh node key for its tree heads, the genesis and
    /// the steward's own account, and default agreements.
    pub async fn create_circle(
        &self,
        user: &User,
        sealing: &SealingKey,
        spec: CircleSpec,
    ) -> Result<CircleInfo, ActionError> {
        let member_key = SecretKey::generate();
        let node_key = SecretKey::generate();
        let (floor, ceiling) = (spec.default_floor_minor, spec.default_ceiling_minor);
        let genesis = Request::genesis(spec, &member_key, node_key.public_key());
        let info = self.store.create_circle(genesis, &node_key).await?;
        let open = Request::signed(
            info.circle_id,
            &member_key,
            Body::OpenAccount {
                account: member_key.public_key(),
                floor_minor: floor,
                ceiling_minor: ceiling,
            },
        );
        self.store.append(&info.slug, open, None).await?;
        let now = self.now_ms();
        self.db
            .save_circle_settings(
                info.row_id,
                &CircleSettings {
                    description: String::new(),
                    agreements: DEFAULT_AGREEMENTS.to_owned(),
                    agreements_version: 1,
                    members_may_invite: true,
                    open_to_requests: false,
                },
                now,
            )
            .await?;
        self.db
            .create_membership(&NewMembership {
                circle: info.row_id,
                user_id: user.id,
                status: MemberStatus::Active,
                account_key: member_key.public_key(),
                sealed_key: Some(seal(sealing, &info.circle_id, &member_key)),
                vouched_by: None,
                invitation: None,
                request_message: String::new(),
                agreements_version: 1,
                now_ms: now,
            })
            .await?;
        self.seed_discussions(
            info.row_id,
            user.id,
            user.language.as_deref().unwrap_or("en"),
        )
        .await?;
        Ok(self.store.circle(&info.slug).await?)
    }

    /// The circles a person is an active member of (and this login may reach).
    pub async fn my_circles(&self, user: &User) -> Result<Vec<CircleInfo>, ActionError> {
        let reachable = if user.recovery_restricted {
            Some(self.db.recovery_circles(user.id).await?)
        } else {
            None
        };
        let active: BTreeSet<i64> = self
            .db
            .memberships_of(user.id)
            .await?
            .into_iter()
            .filter(|membership| membership.status == MemberStatus::Active)
            .map(|membership| membership.circle)
            .filter(|circle| reachable.as_ref().is_none_or(|list| list.contains(circle)))
            .collect();
        Ok(self
            .store
            .circles()
            .await?
            .into_iter()
            .filter(|info| active.contains(&info.row_id))
            .collect())
    }
}

/// Who is behind a request, the keys unlocked in memory, and what a person keeps in settings.
impl Services {
    /// The person behind a live session, moving its idle expiry forward by `idle_ms`.
    pub(crate) async fn session_user(
        &self,
        token_hash: &[u8],
        now_ms: i64,
        idle_ms: i64,
    ) -> Result<Option<User>, ActionError> {
        Ok(self
            .db
            .session_user(token_hash, now_ms, now_ms + idle_ms)
            .await?)
    }

    /// The person and the grant behind a live API token.
    pub(crate) async fn api_token_user(
        &self,
        token_hash: &[u8],
        now_ms: i64,
    ) -> Result<Option<(User, crate::db::TokenGrant)>, ActionError> {
        Ok(self.db.api_token_user(token_hash, now_ms).await?)
    }

    /// The key a session unlocked (none after a restart, until the person unlocks again).
    pub(crate) fn sealing_key(&self, session: &[u8; 32]) -> Option<SealingKey> {
        self.keyring.get(session)
    }

    /// Keeps the key a session unlocked, in memory only.
    pub(crate) fn keep_sealing_key(&self, session: [u8; 32], sealing: SealingKey) {
        self.keyring.insert(session, sealing);
    }

    /// Forgets the key of a session that has ended.
    pub(crate) fn forget_sealing_key(&self, session: &[u8]) {
        self.keyring.remove(session);
    }

    /// Whether the node's database answers.
    pub(crate) async fn healthy(&self) -> Result<(), ActionError> {
        self.db.user_count().await?;
        Ok(())
    }

    /// The person's name, introduction and language (`None` keeps the language).
    pub(crate) async fn update_profile(
        &self,
        user: &FullAccount,
        display_name: &DisplayName,
        bio: &str,
        language: Option<&str>,
    ) -> Result<(), ActionError> {
        self.db
            .update_profile(user.id, display_name.as_str(), bio, language)
            .await?;
        Ok(())
    }

    /// The language the person reads the pages in.
    pub(crate) async fn set_language(
        &self,
        user: &FullAccount,
        language: &str,
    ) -> Result<(), ActionError> {
        self.db
            .update_profile(user.id, &user.display_name, &user.bio, Some(language))
            .await?;
        Ok(())
    }

    /// The person's API tokens, newest first.
    pub(crate) async fn api_tokens_of(
        &self,
        user: &User,
    ) -> Result<Vec<crate::db::TokenRow>, ActionError> {
        Ok(self.db.api_tokens_of(user.id).await?)
    }

    /// Revokes one of the person's own API tokens; another person's token is not found.
    pub(crate) async fn revoke_api_token(
        &self,
        user: &FullAccount,
        token_hash: &[u8],
    ) -> Result<(), ActionError> {
        if self.db.delete_api_token(user.id, token_hash).await? {
            self.record(user.id, SecurityEvent::TokenRevoked, None, "")
                .await;
            Ok(())
        } else {
            Err(ActionError::NotFound)
        }
    }

    /// The person's membership of a circle, if any.
    pub(crate) async fn membership_of(
        &self,
        info: &CircleInfo,
        user: &User,
    ) -> Result<Option<crate::db::Membership>, ActionError> {
        // A login a recovery link gave learns nothing of circles that did not recover it.
        if !self.may_reach(user, info.row_id).await? {
            return Ok(None);
        }
        Ok(self.db.membership(info.row_id, user.id).await?)
    }
}

/// A new circle's time zone: the name chosen (checked), or UTC when none was.
fn zone_choice(text: &str) -> Result<String, ActionError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok("UTC".to_owned());
    }
    crate::views::local::zone_named(text)
        .map(|_| text.to_owned())
        .ok_or(invalid("time_zone", "error-time-zone"))
}
