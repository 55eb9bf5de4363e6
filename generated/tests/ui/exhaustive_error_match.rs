// `opengate::Error` is `#[non_exhaustive]`: matching it needs a wildcard arm.
fn describe(e: &opengate::Error) -> &'static str {
    match e {
        opengate::Error::Transport { .. } => "transport",
        opengate::Error::Timeout { .. } => "timeout",
        opengate::Error::HttpStatus { .. } => "status",
        opengate::Error::Api(_) => "api",
        opengate::Error::Decode(_) => "decode",
        opengate::Error::Auth { .. } => "auth",
        opengate::Error::Config(_) => "config",
        opengate::Error::Build { .. } => "build",
    }
}

fn main() {}
