//! Single-use email tokens. Each email carries a link token (random, 256 bits) and a six-digit
//! code; both are stored only as hashes (the code hashed with the address, so equal codes for
//! two people never collide), expire after `email_token_ttl`, and are consumed by their first use.
//! Issuing a new token of a kind invalidates the person's earlier ones of that kind.

use rand::Rng;
use sha2::{Digest, Sha256};
use sqlx::{PgExecutor, Postgres, Transaction};
use uuid::Uuid;

use crate::{db, tokens};

pub use crate::db::onetime::Consumed;

/// What a token is for (Supabase's `type` values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Signup,
    Recovery,
    MagicLink,
    EmailChange,
    Invite,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Signup => "signup",
            Self::Recovery => "recovery",
            Self::MagicLink => "magiclink",
            Self::EmailChange => "email_change",
            Self::Invite => "invite",
        }
    }

    /// Parses Supabase's `type`; `email` is the OTP type that accepts a signup or magic link code.
    pub fn parse(raw: &str) -> Option<Vec<Self>> {
        Some(match raw {
            "signup" => vec![Self::Signup],
            "recovery" => vec![Self::Recovery],
            "magiclink" => vec![Self::MagicLink],
            "email_change" => vec![Self::EmailChange],
            "invite" => vec![Self::Invite],
            "email" => vec![Self::MagicLink, Self::Signup],
            _ => return None,
        })
    }
}

/// The secrets that go into an email.
pub struct Issued {
    pub link_token: String,
    pub code: String,
}

pub fn otp_hash(address: &str, code: &str) -> Vec<u8> {
    Sha256::digest(format!("{address}\u{0}{code}").as_bytes()).to_vec()
}

pub struct NewToken<'a> {
    pub user_id: Uuid,
    pub kind: Kind,
    /// The address the email goes to (the new one, for an email change).
    pub relates_to: &'a str,
    pub redirect_to: Option<&'a str>,
    pub flow_state_id: Option<Uuid>,
    pub ttl: std::time::Duration,
}

pub async fn issue(tx: &mut Transaction<'_, Postgres>, new: &NewToken<'_>) -> sqlx::Result<Issued> {
    let code = format!("{:06}", rand::rngs::OsRng.gen_range(0..1_000_000));
    let link_token = store(tx, new, &otp_hash(new.relates_to, &code)).await?;
    Ok(Issued { link_token, code })
}

/// A token that works only as its link: no six-digit code matches it. For tokens that live
/// long (invites, days), where a code could be guessed within the account's rate limit.
pub async fn issue_link_only(
    tx: &mut Transaction<'_, Postgres>,
    new: &NewToken<'_>,
) -> sqlx::Result<String> {
    // The hash of a random 256-bit value: no address and code hash to it.
    let unmatchable = tokens::hash(&tokens::random_token());
    store(tx, new, &unmatchable).await
}

/// Replaces the person's tokens of this kind with a new one; returns its link token.
async fn store(
    tx: &mut Transaction<'_, Postgres>,
    new: &NewToken<'_>,
    otp_hash: &[u8],
) -> sqlx::Result<String> {
    db::onetime::delete_of_kind(&mut **tx, new.user_id, new.kind.as_str()).await?;
    let link_token = tokens::random_token();
    let stored = db::onetime::NewToken {
        user_id: new.user_id,
        kind: new.kind.as_str(),
        token_hash: &tokens::hash(&link_token),
        otp_hash,
        relates_to: new.relates_to,
        redirect_to: new.redirect_to,
        flow_state_id: new.flow_state_id,
        ttl: chrono::Duration::from_std(new.ttl).unwrap_or(chrono::Duration::hours(1)),
    };
    db::onetime::insert(&mut **tx, &stored).await?;
    Ok(link_token)
}

/// How the token was presented.
pub enum Presented<'a> {
    /// The link's token (`token` / `token_hash` in Supabase's API).
    Link(&'a str),
    /// The six-digit code, with the address it was sent to.
    Code { address: &'a str, code: &'a str },
}

/// Uses up a live token of one of `kinds`; `None` when there is none (wrong, used or expired).
pub async fn consume(
    db: impl PgExecutor<'_>,
    presented: Presented<'_>,
    kinds: &[Kind],
) -> sqlx::Result<Option<Consumed>> {
    let kinds: Vec<String> = kinds.iter().map(|k| k.as_str().to_owned()).collect();
    match presented {
        Presented::Link(token) => db::onetime::consume_link(db, &tokens::hash(token), &kinds).await,
        Presented::Code { address, code } => {
            db::onetime::consume_code(db, &otp_hash(address, code), &kinds).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_bound_to_their_address() {
        assert_ne!(otp_hash("a@x.test", "123456"), otp_hash("b@x.test", "123456"));
        assert_eq!(otp_hash("a@x.test", "123456"), otp_hash("a@x.test", "123456"));
    }

    #[test]
    fn email_type_accepts_magic_link_and_signup_codes() {
        assert_eq!(Kind::parse("email"), Some(vec![Kind::MagicLink, Kind::Signup]));
        assert_eq!(Kind::parse("sms"), None);
    }
}
