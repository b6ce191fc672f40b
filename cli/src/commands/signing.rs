//! The commands that sign and append an entry: circles, accounts, stewards, keys, limits, payments, requests and the answers to them.

use super::*;

/// `commons circle create`: a new circle, its genesis signed by the first steward.
pub(super) async fn circle_create(store: &Store, args: CreateCircleArgs) -> Result<Outcome> {
    let steward = read_key(&args.steward_key)?;
    let decimals = Decimals::new(args.decimals)?;
    let spec = CircleSpec {
        slug: args
            .slug
            .parse::<commons_ledger::slug::CircleSlug>()?
            .to_string(),
        name: args.name,
        unit_symbol: args.symbol.unwrap_or_else(|| args.unit.clone()),
        unit_name: args.unit,
        decimals: decimals.places(),
        default_floor_minor: decimals.parse_minor(&args.floor).context("--floor")?,
        default_ceiling_minor: decimals.parse_minor(&args.ceiling).context("--ceiling")?,
    };
    let node_key = SecretKey::generate();
    let genesis = Request::genesis(spec, &steward, node_key.public_key());
    let info = store.create_circle(genesis, &node_key).await?;
    println!(
        "Created circle {} ({}), id {}",
        info.slug, info.name, info.circle_id
    );
    println!(
        "Tree heads are signed by node key {}",
        node_key.public_key()
    );
    Ok(Outcome::Done)
}

/// `commons circle list`: every circle on this node.
pub(super) async fn circle_list(store: &Store) -> Result<Outcome> {
    let mut table = new_table(&["Slug", "Name", "Unit", "Entries", "Circle id"]);
    for info in store.circles().await? {
        table.add_row(vec![
            Cell::new(&info.slug),
            Cell::new(&info.name),
            Cell::new(format!(
                "{} ({}, {} decimals)",
                info.unit_name, info.unit_symbol, info.decimals
            )),
            Cell::new(info.head_seq + 1).set_alignment(CellAlignment::Right),
            Cell::new(info.circle_id.short()),
        ]);
    }
    println!("{table}");
    Ok(Outcome::Done)
}

/// `commons account open`: a steward opens a member's account (default limits unless given).
pub(super) async fn account_open(
    store: &Store,
    slug: String,
    member: String,
    floor: Option<String>,
    ceiling: Option<String>,
    steward_key: std::path::PathBuf,
) -> Result<Outcome> {
    let info = store.circle(&slug).await?;
    let (state, _) = store.load_state(info.row_id).await?;
    let decimals = decimals(&info);
    let account = parse_key(&member)?;
    let floor_minor = match floor {
        Some(text) => decimals.parse_minor(&text).context("--floor")?,
        None => state.default_floor_minor,
    };
    let ceiling_minor = match ceiling {
        Some(text) => decimals.parse_minor(&text).context("--ceiling")?,
        None => state.default_ceiling_minor,
    };
    let steward = read_key(&steward_key)?;
    let signed = sign(
        &info,
        &steward,
        Body::OpenAccount {
            account,
            floor_minor,
            ceiling_minor,
        },
    );
    let appended = store.append(&slug, signed, None).await?;
    println!(
        "Opened account {} in {} (floor {}, ceiling {}) as entry {}",
        account,
        slug,
        decimals.format(floor_minor),
        decimals.format(ceiling_minor),
        appended.seq
    );
    Ok(Outcome::Done)
}

/// `commons account close`: a member's account closes (its balance must be zero).
pub(super) async fn account_close(
    store: &Store,
    slug: String,
    member: String,
    key: std::path::PathBuf,
) -> Result<Outcome> {
    let info = store.circle(&slug).await?;
    let signed = sign(
        &info,
        &read_key(&key)?,
        Body::CloseAccount {
            account: parse_key(&member)?,
        },
    );
    let appended = store.append(&slug, signed, None).await?;
    println!("Closed account {member} as entry {}", appended.seq);
    Ok(Outcome::Done)
}

/// `commons steward add|remove`: a steward adds or removes another.
pub(super) async fn steward(store: &Store, command: StewardCommand) -> Result<Outcome> {
    let (slug, member, steward_key, adding) = match command {
        StewardCommand::Add {
            slug,
            member,
            steward_key,
        } => (slug, member, steward_key, true),
        StewardCommand::Remove {
            slug,
            member,
            steward_key,
        } => (slug, member, steward_key, false),
    };
    let info = store.circle(&slug).await?;
    let key = parse_key(&member)?;
    let body = if adding {
        Body::AddSteward { key }
    } else {
        Body::RemoveSteward { key }
    };
    let appended = store
        .append(&slug, sign(&info, &read_key(&steward_key)?, body), None)
        .await?;
    let now = if adding { "now" } else { "no longer" };
    println!(
        "{member} is {now} a steward of {slug} (entry {})",
        appended.seq
    );
    Ok(Outcome::Done)
}

/// `commons key rotate`: an account moves to a new key.
pub(super) async fn key_rotate(
    store: &Store,
    slug: String,
    old: String,
    new: String,
    key: std::path::PathBuf,
) -> Result<Outcome> {
    let info = store.circle(&slug).await?;
    let body = Body::RotateKey {
        old: parse_key(&old)?,
        new: parse_key(&new)?,
    };
    let appended = store
        .append(&slug, sign(&info, &read_key(&key)?, body), None)
        .await?;
    println!(
        "The account moved from {} to {} (entry {})",
        &old[..8.min(old.len())],
        new,
        appended.seq
    );
    Ok(Outcome::Done)
}

/// `commons limits`: a steward sets one member's floor and ceiling.
pub(super) async fn limits(store: &Store, args: LimitsArgs) -> Result<Outcome> {
    let info = store.circle(&args.slug).await?;
    let decimals = decimals(&info);
    let body = Body::SetLimits {
        account: parse_key(&args.member)?,
        floor_minor: decimals.parse_minor(&args.floor).context("--floor")?,
        ceiling_minor: decimals.parse_minor(&args.ceiling).context("--ceiling")?,
    };
    let signed = sign(&info, &read_key(&args.steward_key)?, body);
    let appended = store.append(&args.slug, signed, None).await?;
    println!("Limits changed as entry {}", appended.seq);
    Ok(Outcome::Done)
}

/// `commons pay`: a transfer signed with the payer's key file.
pub(super) async fn pay(store: &Store, args: PayArgs) -> Result<Outcome> {
    let info = store.circle(&args.slug).await?;
    let payer = read_key(&args.from_key)?;
    let payee = parse_key(&args.to)?;
    let amount_minor = decimals(&info)
        .parse_positive(&args.amount)
        .context("--amount")?;
    let memo = args.memo.as_deref().map(new_memo).transpose()?;
    let cause = match args.reference {
        Some(text) => Cause::Reference(text),
        None => Cause::Direct,
    };
    let body = Body::Transfer {
        payer: payer.public_key(),
        payee,
        amount_minor,
        memo_hash: memo.as_ref().map(|m| memo_hash(&m.salt, &m.text)),
        cause,
    };
    let appended = store
        .append(&args.slug, sign(&info, &payer, body), memo)
        .await?;
    println!(
        "Paid {} {} to {} as entry {} ({})",
        decimals(&info).format(amount_minor),
        info.unit_name,
        payee.short(),
        appended.seq,
        appended.hash
    );
    Ok(Outcome::Done)
}

/// `commons request`: asks another member to pay; nothing moves until they accept.
pub(super) async fn request(store: &Store, args: RequestArgs) -> Result<Outcome> {
    let info = store.circle(&args.slug).await?;
    let payee = read_key(&args.key)?;
    let amount_minor = decimals(&info)
        .parse_positive(&args.amount)
        .context("--amount")?;
    let memo = args.memo.as_deref().map(new_memo).transpose()?;
    let body = Body::RequestPayment {
        payer: parse_key(&args.from)?,
        payee: payee.public_key(),
        amount_minor,
        memo_hash: memo.as_ref().map(|m| memo_hash(&m.salt, &m.text)),
    };
    let appended = store
        .append(&args.slug, sign(&info, &payee, body), memo)
        .await?;
    println!(
        "Requested {} {} as entry {}; the payer accepts with `commons accept {} {}`",
        decimals(&info).format(amount_minor),
        info.unit_name,
        appended.seq,
        args.slug,
        appended.seq
    );
    Ok(Outcome::Done)
}

pub(super) enum Response {
    Accept,
    Decline,
    Reverse,
}

pub(super) async fn respond(
    store: &Store,
    args: crate::RespondArgs,
    response: Response,
) -> Result<Outcome> {
    let info = store.circle(&args.slug).await?;
    let key = read_key(&args.key)?;
    let target = store.entry(&info, args.seq).await?;
    // The parties may have rotated keys since the entry was made: act on their accounts now.
    let (state, _) = store.load_state(info.row_id).await?;
    let body = match (&response, &target.entry.signed.record.body) {
        (Response::Accept, Body::RequestPayment { .. }) => {
            let open = state
                .open_requests
                .get(&target.hash)
                .with_context(|| format!("the payment request {} is no longer open (it was accepted, declined or withdrawn)", args.seq))?;
            Body::Transfer {
                payer: open.payer,
                payee: open.payee,
                amount_minor: open.amount_minor,
                memo_hash: None,
                cause: Cause::AcceptsRequest(target.hash),
            }
        }
        (Response::Decline, Body::RequestPayment { .. }) => Body::CloseRequest {
            request: target.hash,
        },
        (
            Response::Reverse,
            Body::Transfer {
                payer,
                payee,
                amount_minor,
                ..
            },
        ) => Body::Transfer {
            payer: state.current_key(payee),
            payee: state.current_key(payer),
            amount_minor: *amount_minor,
            memo_hash: None,
            cause: Cause::Reverses(target.hash),
        },
        (Response::Reverse, _) => bail!(
            "entry {} is not a transfer, so it cannot be reversed",
            args.seq
        ),
        _ => bail!("entry {} is not a payment request", args.seq),
    };
    let appended = store
        .append(&args.slug, sign(&info, &key, body), None)
        .await?;
    let verb = match response {
        Response::Accept => "Accepted and paid",
        Response::Decline => "Closed",
        Response::Reverse => "Reversed",
    };
    println!("{verb} entry {} as entry {}", args.seq, appended.seq);
    Ok(Outcome::Done)
}
