//! Hand-written parser for the config text format.
