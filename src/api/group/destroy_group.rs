//! `group_open_http_svc/destroy_group`: removes a group; its ID is free again.

use axum::response::Response;

use super::{callback_origin, required_group_id};
use crate::api::command::Call;
use crate::api::envelope::{self, NoFields};
use crate::callback::events::{AFTER_GROUP_DESTROYED, AfterGroupDestroyed};
use crate::error::VendorError;
use crate::store::throttle::unix_ms;

/// Destroys `GroupId` (10010 when it does not exist), then queues the after-destroy callback.
pub fn handle(call: Call) -> Result<Response, VendorError> {
    let id = required_group_id(&call.body)?;
    let group = call
        .app
        .destroy_group(id)
        .ok_or_else(|| VendorError::GroupNotFound(id.to_string()))?;
    let origin = callback_origin(&call);
    if origin.is_on(AFTER_GROUP_DESTROYED) {
        let event = AfterGroupDestroyed::new(&group, unix_ms());
        call.emu.callbacks.after(origin, &event);
    }
    Ok(envelope::ok(NoFields {}))
}
