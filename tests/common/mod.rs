#![allow(dead_code)]
pub mod malformed;
pub mod netns;
