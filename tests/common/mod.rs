#![allow(dead_code)]
pub mod hub;
pub mod malformed;
pub mod netns;
