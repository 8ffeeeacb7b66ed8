//! `migflow discover`.

use crate::args::DiscoverArgs;
use anyhow::Result;

/// `migflow discover`.
pub fn discover(args: DiscoverArgs) -> Result<()> {
    let _ = args;
    anyhow::bail!("`migflow discover` is not built yet")
}
