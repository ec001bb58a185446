//! `group_open_http_svc/destroy_group`: removes a group; its ID is free again.

use axum::response::Response;

use super::required_group_id;
use crate::api::command::Call;
use crate::api::envelope::{self, NoFields};
use crate::error::VendorError;

/// Destroys `GroupId` (10010 when it does not exist).
pub fn handle(call: Call) -> Result<Response, VendorError> {
    let id = required_group_id(&call.body)?;
    call.app
        .destroy_group(id)
        .ok_or_else(|| VendorError::GroupNotFound(id.to_string()))?;
    Ok(envelope::ok(NoFields {}))
}
