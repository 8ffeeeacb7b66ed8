//! levers tests.
