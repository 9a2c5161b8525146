//! descent-data
