//! The client (`call.rs`) and its one call path, an orchestrator of the steps in `steps.rs`;
//! built by `builder.rs`, answering with the replies of `reply.rs`.

mod builder;
mod call;
mod reply;
mod steps;

pub use builder::ClientBuilder;
pub use call::{decode, to_params, ApiCall, ApiRequest, Client, PlatformOptions};
pub use reply::{RawReply, Reply};
pub use steps::RetryPolicy;
