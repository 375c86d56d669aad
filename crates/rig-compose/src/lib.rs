//! # rig-compose
//!
//! Composable, cost-bounded agent kernel.
#![forbid(unsafe_code)]

pub mod tool;

pub use tool::{
    OmittedSegment, RedactionPolicy, RedactionRule, ToolResultEnvelope, ToolResultEnvelopeConfig,
    ToolResultOmissionReason, ToolResultPageToken, bound_tool_result,
    decode_tool_result_page_token,
};
