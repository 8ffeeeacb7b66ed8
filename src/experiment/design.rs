//! Experimental designs.
