//! Decoding rows into the governance types: methods, actions, keys, hashes and signatures, proposals, rounds, ballots and delegations.

use super::*;

pub(super) fn method_from(name: &str, seats: i64) -> Option<Method> {
    let seats = if name == "stv" {
        u16::try_from(seats).ok()?
    } else {
        0
    };
    Method::parse(name, seats)
}

pub(super) fn encode_actions(actions: &[Action]) -> Vec<u8> {
    let mut w = Writer::with_tag("commons.governance.actions");
    Action::encode_list(actions, &mut w);
    w.finish()
}

pub(super) fn decode_actions(bytes: &[u8]) -> Result<Vec<Action>, GovernanceError> {
    let mut r = Reader::with_tag(bytes, "commons.governance.actions")
        .map_err(|e| GovernanceError::Corrupt(e.to_string()))?;
    let actions =
        Action::decode_list(&mut r).map_err(|e| GovernanceError::Corrupt(e.to_string()))?;
    r.finish()
        .map_err(|e| GovernanceError::Corrupt(e.to_string()))?;
    Ok(actions)
}

pub(super) fn keys_bytes(keys: &[PublicKey]) -> Vec<u8> {
    keys.iter().flat_map(|k| k.as_bytes().to_vec()).collect()
}

pub(super) fn keys_from(bytes: &[u8]) -> Result<Vec<PublicKey>, GovernanceError> {
    if !bytes.len().is_multiple_of(32) {
        return Err(GovernanceError::Corrupt(
            "an electorate is not whole keys".into(),
        ));
    }
    Ok(bytes
        .chunks_exact(32)
        .map(|chunk| PublicKey::from_raw(chunk.try_into().expect("32 bytes")))
        .collect())
}

pub(super) fn hash_from(bytes: Vec<u8>) -> Result<Hash, GovernanceError> {
    Ok(Hash(bytes.try_into().map_err(|_| {
        GovernanceError::Corrupt("a hash is not 32 bytes".into())
    })?))
}

pub(super) fn signature_from(bytes: Vec<u8>) -> Result<Signature, GovernanceError> {
    Ok(Signature(bytes.try_into().map_err(|_| {
        GovernanceError::Corrupt("a signature is not 64 bytes".into())
    })?))
}

pub(super) fn proposal_from(row: &AnyRow) -> GovernanceResult<Proposal> {
    let corrupt = |what: &str| GovernanceError::Corrupt(what.to_owned());
    let method: String = row.try_get("method")?;
    let seats: i64 = row.try_get("seats")?;
    let options: String = row.try_get("options")?;
    let documents: String = row.try_get("documents")?;
    let status: String = row.try_get("status")?;
    let percent = |name: &str| -> GovernanceResult<u8> {
        u8::try_from(row.try_get::<i64, _>(name)?).map_err(|_| corrupt("a percentage"))
    };
    let round: i64 = row.try_get("round")?;
    Ok(Proposal {
        id: row.try_get("id")?,
        circle: row.try_get("circle")?,
        number: row.try_get("number")?,
        author: row.try_get("author")?,
        draft: ProposalDraft {
            title: row.try_get("title")?,
            body: row.try_get("body")?,
            method: method_from(&method, seats).ok_or_else(|| corrupt("a method"))?,
            options: serde_json::from_str(&options).map_err(|_| corrupt("options"))?,
            quorum_percent: percent("quorum_percent")?,
            threshold_percent: percent("threshold_percent")?,
            delegation: row.try_get::<i64, _>("delegation")? != 0,
            hide_results: row.try_get::<i64, _>("hide_results")? != 0,
            actions: decode_actions(&row.try_get::<Vec<u8>, _>("actions")?)?,
            documents: serde_json::from_str(&documents).map_err(|_| corrupt("documents"))?,
        },
        status: Status::parse(&status).ok_or_else(|| corrupt("a status"))?,
        round: u32::try_from(round).map_err(|_| corrupt("a round"))?,
        discussion_opened_at_ms: row.try_get("discussion_opened_at_ms")?,
        created_at_ms: row.try_get("created_at_ms")?,
        updated_at_ms: row.try_get("updated_at_ms")?,
        enacted_seq: row.try_get("enacted_seq")?,
        enact_error: row.try_get("enact_error")?,
        paused_from: row
            .try_get::<Option<String>, _>("paused_from")?
            .map(|text| Status::parse(&text).ok_or_else(|| corrupt("a paused status")))
            .transpose()?,
    })
}

pub(super) fn round_from(row: &AnyRow) -> GovernanceResult<Round> {
    let definition_bytes: Vec<u8> = row.try_get("definition")?;
    let electorate = keys_from(&row.try_get::<Vec<u8>, _>("electorate")?)?;
    let definition = Definition::decode(&definition_bytes, electorate)
        .map_err(|e| GovernanceError::Corrupt(format!("a definition: {e}")))?;
    let decision: Option<String> = row.try_get("decision")?;
    let round: i64 = row.try_get("round")?;
    let policy: Option<String> = row.try_get("policy")?;
    let policy = policy
        .and_then(|text| serde_json::from_str(&text).ok())
        .ok_or_else(|| GovernanceError::Corrupt("a round's policy".into()))?;
    Ok(Round {
        proposal: row.try_get("proposal")?,
        round: u32::try_from(round).map_err(|_| GovernanceError::Corrupt("a round".into()))?,
        definition_hash: hash_from(row.try_get("definition_hash")?)?,
        definition,
        policy,
        ballot_count: row.try_get("ballot_count")?,
        decision: decision
            .map(|text| serde_json::from_str(&text))
            .transpose()
            .map_err(|_| GovernanceError::Corrupt("a decision".into()))?,
        closed_at_ms: row.try_get("closed_at_ms")?,
        cancelled_at_ms: row.try_get("cancelled_at_ms")?,
    })
}

pub(super) fn ballot_from(row: &AnyRow) -> GovernanceResult<SignedBallot> {
    SignedBallot::from_parts(
        row.try_get("bytes")?,
        signature_from(row.try_get("signature")?)?,
    )
    .map_err(|e| GovernanceError::Corrupt(format!("a stored ballot: {e}")))
}

pub(super) fn delegation_from(row: &AnyRow) -> GovernanceResult<SignedDelegation> {
    SignedDelegation::from_parts(
        row.try_get("bytes")?,
        signature_from(row.try_get("signature")?)?,
    )
    .map_err(|e| GovernanceError::Corrupt(format!("a stored delegation: {e}")))
}
