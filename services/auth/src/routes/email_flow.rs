//! What `/recover`, `/otp` and `/resend` share. Each answers `{}` whether or not the address
//! has an account (or anything pending), and should take as long either way: an address with
//! nothing to send goes through the same database round trips (`decoy`), and SMTP delivery
//! happens after the answer for everyone (`Mailer::deliver_in_background`).

use axum::Json;
use axum::http::StatusCode;
use rand::Rng;
use serde_json::{Value, json};
use sqlx::{Postgres, Transaction};

use crate::db::audit::{self, Event};
use crate::db::email_flows;
use crate::db::users::{self, Sent, User};
use crate::error::{AuthError, AuthResult};
use crate::extract::Client;
use crate::mailer::Recorded;
use crate::onetime::{self, Kind, NewToken};
use crate::routes::signup::prepare_confirmation;
use crate::state::AppState;
use crate::{emails, pkce, tokens};

/// A token email about to be issued: its kind, where it goes, where its link leads.
pub struct Outgoing<'a> {
    pub kind: Kind,
    pub to: &'a str,
    pub redirect_to: &'a str,
    pub flow: Option<&'a pkce::Challenge>,
}

/// The PKCE flow's `authentication_method` (what `/token?grant_type=pkce` signs in with),
/// as GoTrue names it.
fn flow_method(kind: Kind) -> &'static str {
    match kind {
        Kind::Signup => "email/signup",
        Kind::Recovery => "recovery",
        Kind::MagicLink => "magiclink",
        Kind::EmailChange => "email_change",
        Kind::Invite => "invite",
    }
}

fn sent_at(kind: Kind) -> Sent {
    match kind {
        Kind::Signup => Sent::Confirmation,
        Kind::Invite => Sent::Invite,
        Kind::Recovery | Kind::MagicLink => Sent::Recovery,
        Kind::EmailChange => Sent::EmailChange,
    }
}

/// Issues the token (and saves the PKCE flow), stamps when it was sent, records `action` in the
/// audit log and the email in the outbox, all in `tx`. Deliver the result once `tx` commits.
pub async fn prepare(
    state: &AppState,
    tx: &mut Transaction<'_, Postgres>,
    user: &User,
    out: &Outgoing<'_>,
    action: &str,
    client: &Client,
) -> AuthResult<Recorded> {
    let ttl = state.settings().email_token_ttl;
    let email = if out.kind == Kind::Signup {
        prepare_confirmation(state, tx, user, out.redirect_to, out.flow).await?
    } else {
        if let Some(challenge) = out.flow {
            pkce::save(&mut **tx, challenge, Some(user.id), flow_method(out.kind), ttl).await?;
        }
        let issued = onetime::issue(
            tx,
            &NewToken {
                user_id: user.id,
                kind: out.kind,
                relates_to: out.to,
                redirect_to: Some(out.redirect_to),
                flow_state_id: out.flow.map(|c| c.id),
                ttl,
            },
        )
        .await?;
        users::mark_sent(&mut **tx, user.id, sent_at(out.kind)).await?;
        emails::for_token(state, out.kind, out.to, &issued, out.redirect_to)
    };
    audit::record(
        &mut **tx,
        Event {
            action,
            actor_id: Some(user.id.to_string()),
            target_id: Some(user.id.to_string()),
            ip: client.ip,
            payload: json!({ "type": out.kind.as_str() }),
        },
    )
    .await?;
    Ok(state.mailer.record(&mut **tx, email).await?)
}

/// What `prepare` does, for an address with nothing to send: the same statements with the same
/// kind of values, writing only the audit entry (and an unused PKCE flow, which expires).
pub async fn decoy(
    state: &AppState,
    tx: &mut Transaction<'_, Postgres>,
    out: &Outgoing<'_>,
    action: &str,
    client: &Client,
) -> AuthResult<()> {
    if let Some(challenge) = out.flow {
        let ttl = state.settings().email_token_ttl;
        pkce::save(&mut **tx, challenge, None, flow_method(out.kind), ttl).await?;
    }
    let issued = onetime::Issued {
        link_token: tokens::random_token(),
        code: format!("{:06}", rand::rngs::OsRng.gen_range(0..1_000_000)),
    };
    email_flows::decoy_issue(
        tx,
        out.kind.as_str(),
        &tokens::hash(&issued.link_token),
        &onetime::otp_hash(out.to, &issued.code),
        out.to,
        out.redirect_to,
    )
    .await?;
    users::mark_sent(&mut **tx, uuid::Uuid::now_v7(), sent_at(out.kind)).await?;
    let email = emails::for_token(state, out.kind, out.to, &issued, out.redirect_to);
    audit::record(
        &mut **tx,
        Event {
            action,
            actor_id: None,
            target_id: None,
            ip: client.ip,
            payload: json!({ "type": out.kind.as_str(), "email": out.to, "sent": false }),
        },
    )
    .await?;
    email_flows::decoy_outbox(&mut **tx, &email.to, &email.subject, &email.body, email.kind)
        .await?;
    Ok(())
}

/// Commits, hands the email (if any) to delivery, and answers what every case answers.
pub async fn finish(
    state: &AppState,
    tx: Transaction<'_, Postgres>,
    recorded: Option<Recorded>,
) -> AuthResult<Json<Value>> {
    tx.commit().await?;
    if let Some(recorded) = recorded {
        state.mailer.deliver_in_background(recorded);
    }
    Ok(Json(json!({})))
}

/// `data` as user metadata: an object, or nothing.
pub fn metadata(data: Option<Value>) -> AuthResult<Value> {
    match data {
        None | Some(Value::Null) => Ok(json!({})),
        Some(v @ Value::Object(_)) => Ok(v),
        Some(_) => Err(AuthError::validation("data must be a JSON object")),
    }
}

/// GoTrue's answer to phone numbers, which Posey does not take.
pub fn no_phone() -> AuthError {
    AuthError::new(StatusCode::BAD_REQUEST, "phone_provider_disabled", "Unsupported phone provider")
}
