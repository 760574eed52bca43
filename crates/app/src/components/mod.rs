//! One file per component.

pub mod app;
pub mod composer;
pub mod message;
pub mod sidebar;
