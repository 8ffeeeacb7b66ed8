//! `migflow robust`.

use crate::args::RobustArgs;
use anyhow::Result;

/// `migflow robust`.
pub fn robust(args: RobustArgs) -> Result<()> {
    let _ = args;
    anyhow::bail!("`migflow robust` is not built yet")
}
