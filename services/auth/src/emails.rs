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
