//! `migflow compare`: policies against one base run.

use super::print_notes;
use crate::args::CompareArgs;
use anyhow::Result;
use migflow_report::compare::{self, CompareError, CompareOptions};

/// `migflow compare`.
pub fn compare(args: CompareArgs) -> Result<()> {
    let opts = CompareOptions {
        base: args.base,
        policies: args.policies,
        out: args.out,
        window: args.window,
        cohort_year: args.cohort_year,
        names: args.names,
        png: args.png,
        command: std::env::args().collect(),
    };
    let done = compare::compare(&opts).map_err(|e| match e {
        // As the library's own error, so that its message is told in
        // this command line's flags (see `main.rs`).
        CompareError::Io(e) => anyhow::Error::from(e),
        other => anyhow::Error::from(other),
    })?;
    for path in done.written {
        println!("wrote {}", path.display());
    }
    print_notes(&done.notes);
    Ok(())
}
