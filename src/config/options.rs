//! Option names and value types for the config file.
