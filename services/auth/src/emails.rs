//! The auth emails: what each says, and the link it carries (to `GET /verify`, which then
//! redirects to the app).

use crate::mailer::Email;
use crate::onetime::{Issued, Kind};
use crate::state::AppState;

/// The verification link for a token.
pub fn link(state: &AppState, kind: Kind, token: &str, redirect_to: &str) -> String {
    let mut url = state.settings().external_url.clone();
    url.set_path("/verify");
    url.query_pairs_mut()
        .append_pair("token", token)
        .append_pair("type", kind.as_str())
        .append_pair("redirect_to", redirect_to);
    url.to_string()
}

/// The email that carries a one-time token of `kind`.
pub fn for_token(
    state: &AppState,
    kind: Kind,
    to: &str,
    issued: &Issued,
    redirect_to: &str,
) -> Email {
    let link = link(state, kind, &issued.link_token, redirect_to);
    let code = &issued.code;
    let (subject, lead) = match kind {
        Kind::Signup => ("Confirm your signup", "Follow this link to confirm your email address"),
        Kind::Recovery => ("Reset your password", "Follow this link to reset your password"),
        Kind::MagicLink => ("Your sign-in link", "Follow this link to sign in"),
        Kind::EmailChange => (
            "Confirm your new email address",
            "Follow this link to confirm the change of your email address",
        ),
        Kind::Invite => {
            ("You have been invited", "You have been invited to Posey. Follow this link to accept")
        }
    };
    Email {
        kind: kind.as_str(),
        to: to.to_owned(),
        subject: subject.to_owned(),
        body: format!(
            "{lead}:\n\n{link}\n\nOr enter this code: {code}\n\nIt works once and expires in {} minutes. \
             If you did not ask for this, ignore this email.\n",
            state.settings().email_token_ttl.as_secs() / 60
        ),
    }
}

/// Sent instead of a confirmation when someone signs up with an address that already has an
/// account: the answer to the request is the same either way, so only the owner learns of it.
pub fn signup_attempt(to: &str) -> Email {
    Email {
        kind: "signup_attempt",
        to: to.to_owned(),
        subject: "Someone tried to sign up with your address".into(),
        body: "Someone tried to create a Posey account with this email address, which already has \
               one. If it was you, sign in, or reset your password if you forgot it. Otherwise you \
               can ignore this email.\n"
            .into(),
    }
}

/// An invite's link: the app's invite page (`AUTH_INVITE_URL`) with the token as `token_hash`
/// (what `/verify` and `/signup`'s `invite_token` take), `type=invite` and the address, and the
/// `redirect_to` the inviter named, if any.
pub fn invite_link(
    state: &AppState,
    token: &str,
    email: &str,
    redirect_to: Option<&str>,
) -> String {
    let mut url = state.settings().invite_url.clone();
    {
        let mut query = url.query_pairs_mut();
        query
            .append_pair("token_hash", token)
            .append_pair("type", "invite")
            .append_pair("email", email);
        if let Some(redirect_to) = redirect_to {
            query.append_pair("redirect_to", redirect_to);
        }
    }
    url.to_string()
}

/// The invite email. It carries the link only: an invite lives for days, too long for a
/// six-digit code that could be guessed.
pub fn invite(state: &AppState, to: &str, link: &str) -> Email {
    let ttl = state.settings().invite_ttl.as_secs();
    let lasts = if ttl >= 86_400 && ttl.is_multiple_of(86_400) {
        let days = ttl / 86_400;
        if days == 1 { "1 day".to_owned() } else { format!("{days} days") }
    } else {
        format!("{} hours", ttl.div_ceil(3600))
    };
    Email {
        kind: Kind::Invite.as_str(),
        to: to.to_owned(),
        subject: "You have been invited to Posey".into(),
        body: format!(
            "You have been invited to Posey. Follow this link to choose a password and join:\n\n\
             {link}\n\nIt works once and expires in {lasts}. If you did not expect this, ignore \
             this email.\n"
        ),
    }
}
