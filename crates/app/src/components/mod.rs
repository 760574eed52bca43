//! One file per component.

pub mod app;
pub mod composer;
pub mod confirm;
pub mod download;
pub mod inspector;
pub mod knowledge;
pub mod markdown;
pub mod message;
pub mod personas;
pub mod settings;
pub mod sidebar;
