//! descent-lab
