//! Appending to a circle's chain: one request, an enactment, or a batch, each through the circle's writer, and a retried request answered as the entry it already made.

use super::*;

impl Store {
    /// Appends a signed request to its circle. Concurrent appends share one transaction.
    ///
    /// Submitting the very same signed request again returns the entry it already made
    /// (`duplicate: true`) instead of applying it twice.
    pub async fn append(
        &self,
        slug: &str,
        signed: SignedRequest,
        memo: Option<Memo>,
    ) -> Result<Appended, StoreError> {
        crate::state::check_submission(&signed, memo.as_ref())?;
        let handle = self.writer(slug).await?;
        let bytes = signed.bytes.clone();
        let answer = handle.submit(signed, memo).await;
        self.same_as_before(slug, &bytes, answer).await
    }

    /// Applies a passed proposal's actions as an enactment signed by the circle's node key
    /// (which never leaves the store). The nonce is derived from the proposal's hash, so
    /// enacting the same decision again is the same signed request and answers as a duplicate.
    pub async fn enact(
        &self,
        info: &CircleInfo,
        proposal: Hash,
        board_root: Hash,
        actions: Vec<crate::entry::Action>,
    ) -> Result<Appended, StoreError> {
        let seed: Vec<u8> = sqlx::query("SELECT node_secret FROM circles WHERE id = $1")
            .bind(info.row_id)
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        let seed: [u8; 32] = seed
            .try_into()
            .map_err(|_| StoreError::Corrupt("the node key is not 32 bytes".into()))?;
        let node_key = SecretKey::from_seed(seed);
        let digest = Hash::sha256(&[b"commons.ledger.enact-nonce", &proposal.0]);
        let mut nonce = [0u8; 16];
        nonce.copy_from_slice(&digest.0[..16]);
        let signed = crate::entry::Request {
            circle_id: info.circle_id,
            author: node_key.public_key(),
            nonce: crate::keys::Nonce(nonce),
            body: Body::Enact {
                proposal,
                board_root,
                actions,
            },
        }
        .sign(&node_key);
        self.append(&info.slug, signed, None).await
    }

    /// Appends many signed requests to one circle at once (an API batch, an import): each is
    /// checked and applied on its own, in order, as if appended one after another, and they
    /// share the writer's transactions. At most [`APPEND_BATCH_MAX`].
    pub async fn append_many(
        &self,
        slug: &str,
        requests: Vec<(SignedRequest, Option<Memo>)>,
    ) -> Result<Vec<Result<Appended, StoreError>>, StoreError> {
        if requests.len() > APPEND_BATCH_MAX {
            return Err(StoreError::BatchTooLarge(APPEND_BATCH_MAX));
        }
        let handle = self.writer(slug).await?;
        let mut checked: Vec<Option<StoreError>> = Vec::with_capacity(requests.len());
        let mut submitted = Vec::new();
        let mut bytes = Vec::new();
        for (signed, memo) in requests {
            match crate::state::check_submission(&signed, memo.as_ref()) {
                Ok(()) => {
                    checked.push(None);
                    bytes.push(signed.bytes.clone());
                    submitted.push((signed, memo));
                }
                Err(refusal) => checked.push(Some(refusal.into())),
            }
        }
        let mut answers = handle.submit_many(submitted).await.into_iter().zip(bytes);
        let mut results = Vec::with_capacity(checked.len());
        for refused in checked {
            results.push(match refused {
                Some(error) => Err(error),
                None => match answers.next() {
                    Some((answer, bytes)) => self.same_as_before(slug, &bytes, answer).await,
                    None => Err(StoreError::WriterStopped),
                },
            });
        }
        Ok(results)
    }

    /// A request refused for reusing a nonce is answered with its earlier entry when it is the
    /// very same signed request (a retry), so nobody pays twice by retrying.
    pub(super) async fn same_as_before(
        &self,
        slug: &str,
        bytes: &[u8],
        answer: Result<Appended, StoreError>,
    ) -> Result<Appended, StoreError> {
        match answer {
            Err(StoreError::Refused(Refusal::NonceReused { seq })) => {
                let info = self.circle(slug).await?;
                let earlier = self.entry(&info, seq).await?;
                if earlier.entry.signed.bytes == bytes {
                    Ok(Appended {
                        seq,
                        hash: earlier.hash,
                        duplicate: true,
                    })
                } else {
                    Err(Refusal::NonceReused { seq }.into())
                }
            }
            other => other,
        }
    }

    /// The running writer of a circle, started on first use (no database round trip after that).
    pub(super) async fn writer(&self, slug: &str) -> Result<writer::WriterHandle, StoreError> {
        let mut writers = self.writers.lock().await;
        if let Some(handle) = writers.get(slug) {
            if !handle.is_closed() {
                return Ok(handle.clone());
            }
        }
        let info = self.circle(slug).await?;
        let handle = writer::spawn(self.clone(), info.row_id, self.config.clone()).await?;
        writers.insert(slug.to_owned(), handle.clone());
        Ok(handle)
    }

    /// Recomputes a circle's state from its stored log (signatures were checked on append).
    pub async fn load_state(
        &self,
        row_id: i64,
    ) -> Result<(CircleState, merkle::Frontier), StoreError> {
        replay(&mut *self.pool.acquire().await?, row_id).await
    }
}
