//! `group_open_http_svc/destroy_group`: removes a group; its ID is free again.

use axum::response::Response;
use serde::Deserialize;

use super::{callback_origin, group_id};
use crate::api::command::{Call, Service, VendorCommand};
use crate::api::envelope::{self, NoFields};
use crate::callback::events::{AFTER_GROUP_DESTROYED, AfterGroupDestroyed};
use crate::error::VendorError;

/// `destroy_group` (SPEC §5).
pub struct DestroyGroup;

/// The destroy_group body.
#[derive(Debug, Deserialize)]
#[allow(non_snake_case)]
pub struct Request {
    /// The group.
    GroupId: Option<String>,
}

impl VendorCommand for DestroyGroup {
    const SERVICE: Service = Service::Group;
    const NAME: &'static str = "destroy_group";
    const SUMMARY: &'static str = "10010 when missing; the ID is free again afterwards";
    type Request = Request;

    /// Destroys `GroupId` (10010 when it does not exist), then queues the after-destroy callback.
    async fn handle(call: Call, request: Request) -> Result<Response, VendorError> {
        let id = group_id(&call, request.GroupId)?;
        let group = call
            .app
            .destroy_group(&id, call.now())
            .ok_or(VendorError::GroupNotFound(id))?;
        let origin = callback_origin(&call);
        if origin.is_on(AFTER_GROUP_DESTROYED) {
            let event = AfterGroupDestroyed::new(&group, call.now_ms());
            call.emu.callbacks.after(origin, &event);
        }
        Ok(envelope::ok(NoFields {}))
    }
}
