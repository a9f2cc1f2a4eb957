//! Payload keys: the reserved field that holds a point's owner, and what any other key may be.
//! Collections (keyword indexes), points and filters all check keys here, below all three.

use crate::error::{Result, VectorError};

/// Payload field holding the owner of a point; indexed, and required by every search.
pub const USER_ID_FIELD: &str = "user_id";

/// Payload keys are plain field names: not empty, not the reserved `user_id` (set from the
/// point's owner, never by the payload), and without Qdrant's path syntax so a key cannot
/// reach into another field.
pub(crate) fn check_key(key: &str) -> Result<()> {
    if key.is_empty() || key.len() > 128 {
        return Err(VectorError::invalid(
            "payload key",
            format!("`{key}` must be 1-128 characters"),
        ));
    }
    if key == USER_ID_FIELD {
        return Err(VectorError::invalid(
            "payload key",
            "`user_id` is reserved: it comes from the point's owner / the filter's user",
        ));
    }
    if !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
        return Err(VectorError::invalid(
            "payload key",
            format!("`{key}` may only contain ASCII letters, digits, `_` and `-`"),
        ));
    }
    Ok(())
}
