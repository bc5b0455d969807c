#![allow(dead_code)]
pub mod malformed;
